"""Rollouts in the GitOps loop: with a `rollout:` policy, `ci deploy` starts a canary of the merged PR's tested branch
instead of merging it, and the scheduled workflow (`agentform-rollout.yml`) steps it up and promotes it.

The commands run as the shipped workflow files run them; traffic comes from the emulator's generator; every live
effect is read back from the emulator.
"""

from __future__ import annotations

import httpx
import pytest
from tests.gitops.payloads import recorded
from tests.gitops.world import AGENT, GREETING, World, first_message_of, pr_event, push_event

from agentform import exitcodes
from agentform.cli import main
from agentform.emulator import DEV_API_KEY

pytestmark = pytest.mark.e2e

POLICY = "    rollout: {steps: [20, 50], min_conversations: 50, max_regression: 0.15}\n"
# A real `workflow_dispatch` payload: the scheduled workflow is also started by hand.
DISPATCH = recorded("workflow_dispatch.payload.json")


def _split(world: World) -> dict[str, float]:
    agent_id = world.agent_id()
    names = {branch["id"]: name for name, branch in world.branches().items()}
    history = world.live(lambda c: c.list_deployments(agent_id))
    live = next(item for item in history if item["is_active"])
    return {names[branch]: share for branch, share in live["traffic_percentage_branch_id_map"].items() if share}


def _traffic(world: World, count: int, seed: int) -> None:
    body = {
        "agent_id": world.agent_id(),
        "conversations": count,
        "seed": seed,
        "success_rate": {"main": 0.9, "pr-1": 0.9},
    }
    response = httpx.post(f"{world.emulator_url}/_emulator/traffic", json=body, headers={"xi-api-key": DEV_API_KEY})
    response.raise_for_status()


def test_a_deploy_with_a_rollout_policy_starts_a_canary_that_the_scheduled_workflow_promotes(world: World):
    world.edit("agentform.yaml", "    prune: true\n    variables:", "    prune: true\n" + POLICY + "    variables:")
    main_sha = world.commit("Roll changes out as canaries")
    original = world.main_config()

    world.repo.git.checkout("-b", "friendlier-greeting")
    world.edit(f"agents/{AGENT}/agent.yaml", *GREETING)
    head = world.commit("Friendlier greeting")
    assert (
        world.run_workflow("agentform-pr.yml", "pull_request", pr_event(1, "friendlier-greeting", head, main_sha)) == 0
    )
    world.repo.git.checkout("main")
    world.repo.git.merge("--no-ff", "friendlier-greeting", "-m", "Merge pull request #1 from octo/friendlier-greeting")
    merged = world.repo.head.commit.hexsha
    push = push_event(main_sha, merged, "Merge pull request #1 from octo/friendlier-greeting")

    assert world.run_workflow("agentform-deploy.yml", "push", push) == exitcodes.OK

    # A canary, not a merge: main is as it was, the tested branch takes the policy's first step.
    assert world.main_config()["version_id"] == original["version_id"]
    assert _split(world) == {"Main": 80.0, "pr-1": 20.0}
    assert world.branches()["pr-1"]["is_archived"] is False
    assert world.state_record()["rollouts"][AGENT]["pull_request"] == 1

    _traffic(world, 400, seed=21)
    assert world.run_workflow("agentform-rollout.yml", "workflow_dispatch", DISPATCH) == exitcodes.OK
    assert _split(world) == {"Main": 50.0, "pr-1": 50.0}
    assert "stepped to 50%" in world.github.comments(1)[-1]["body"]

    _traffic(world, 400, seed=22)
    assert world.run_workflow("agentform-rollout.yml", "workflow_dispatch", DISPATCH) == exitcodes.OK
    assert _split(world) == {"Main": 100.0}
    assert first_message_of(world.main_config()) == "Alo, bună ziua! Cu ce vă putem ajuta astăzi?"
    last = world.github.comments(1)[-1]["body"]
    assert last.startswith("<!-- agentform:rollout -->") and "promoted" in last
    assert world.state_record()["rollouts"][AGENT]["status"] == "promoted"

    # Main is now what the merged files say, and the record knows it.
    assert main(["plan", "--env", "local", "--detailed-exitcode"]) == exitcodes.OK
