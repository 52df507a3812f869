"""The GitOps loop end to end: a real git repository, the emulator on loopback, a fake GitHub on loopback.

PR opens -> second push -> merge and deploy -> a second PR that breaks a smoke test is merged anyway -> automatic
rollback -> `agentform plan` afterwards. The commands run exactly as the shipped workflow files run them (their
`run:` lines, with the workflow's environment), through `agentform.cli.main`. Every live effect is asserted from the
emulator's state, read back through the API client, never from the commands' output.
"""

from __future__ import annotations

import json
import os

import pytest
from tests.gitops.world import (
    ADDRESS_SENTENCE,
    AGENT,
    REPOSITORY,
    TOKEN,
    World,
    first_message_of,
    pr_event,
    prompt_of,
    push_event,
)

from agentform import exitcodes
from agentform.cli import main
from agentform.gitops.publish import PENDING_DESCRIPTION
from agentform.gitops.rollback import restorable

pytestmark = pytest.mark.e2e


# ---- the loop -------------------------------------------------------------------------------------------------


def test_pr_branch_merge_and_automatic_rollback_loop(world: World):
    github = world.github
    main_sha = world.repo.head.commit.hexsha
    original = world.main_config()
    agent_id = original["agent_id"]

    # 1. A PR opens: the change reaches only the PR's agent branch, its tests run there, one comment is posted.
    world.repo.git.checkout("-b", "friendlier-greeting")
    world.edit(f"agents/{AGENT}/agent.yaml", "Cu ce vă pot ajuta astăzi?", "Cu ce vă putem ajuta astăzi?")
    head_1 = world.commit("Friendlier greeting")
    assert (
        world.run_workflow("agentform-pr.yml", "pull_request", pr_event(1, "friendlier-greeting", head_1, main_sha))
        == exitcodes.OK
    )

    assert first_message_of(world.branch_config("pr-1")) == "Alo, bună ziua! Cu ce vă putem ajuta astăzi?"
    assert world.main_config()["version_id"] == original["version_id"], "main is untouched by a PR"
    pr_branch_id = world.branches()["pr-1"]["id"]
    runs = world.invocations(agent_id)
    assert runs and {run["branch_id"] for run in runs} == {pr_branch_id}, "tests ran on the PR's branch only"
    comments = github.comments(1)
    assert len(comments) == 1
    first_comment = comments[0]
    assert first_comment["body"].startswith("<!-- agentform:pr env=local -->")
    assert head_1[:12] in first_comment["body"] and "pr-1" in first_comment["body"]
    # The check showed as running from the start, then passed, under one name (a required check).
    pending, final = github.statuses(head_1)
    assert (pending["state"], pending["description"]) == ("pending", PENDING_DESCRIPTION)
    assert final["state"] == "success" and final["context"] == pending["context"] == "agentform/pr (local)"
    assert (
        pending["target_url"] == final["target_url"] == f"https://github.com/{REPOSITORY}/actions/runs/{world.run_id}"
    )

    # 2. A second push: the branch follows, and the same comment is edited in place.
    world.edit(f"agents/{AGENT}/agent.yaml", "temperature: 0.3", "temperature: 0.25")
    head_2 = world.commit("A little less creative")
    assert (
        world.run_workflow("agentform-pr.yml", "pull_request", pr_event(1, "friendlier-greeting", head_2, main_sha))
        == exitcodes.OK
    )
    assert world.branch_config("pr-1")["conversation_config"]["agent"]["prompt"]["temperature"] == 0.25
    comments = github.comments(1)
    assert [c["id"] for c in comments] == [first_comment["id"]], "edited, not a second comment"
    assert head_2[:12] in comments[0]["body"] and head_1[:12] not in comments[0]["body"]
    tested_tip = world.branches()["pr-1"]

    # 3. Merge: the tested branch is merged into main, the smoke tests pass on main, the branch is archived.
    world.repo.git.checkout("main")
    world.repo.git.merge("--no-ff", "friendlier-greeting", "-m", "Merge pull request #1 from octo/friendlier-greeting")
    merge_1 = world.repo.head.commit.hexsha
    push = push_event(main_sha, merge_1, "Merge pull request #1 from octo/friendlier-greeting")
    assert world.run_workflow("agentform-deploy.yml", "push", push) == exitcodes.OK

    deployed = world.main_config()
    assert first_message_of(deployed) == "Alo, bună ziua! Cu ce vă putem ajuta astăzi?"
    assert deployed["conversation_config"]["agent"]["prompt"]["temperature"] == 0.25
    version = world.live(lambda c: c.get_version(agent_id, deployed["version_id"]))
    assert version["parents"]["merged_from_branch_id"] == tested_tip["id"], "main got the tested branch by a merge"
    assert world.branches()["pr-1"]["is_archived"] is True
    assert "pr-1" not in world.branches(include_archived=False)
    assert [s["state"] for s in github.statuses(merge_1)] == ["success"]

    # 4. A second PR deletes the clinic's address from the prompt; its tests fail, it is merged anyway.
    world.repo.git.checkout("-b", "shorter-prompt")
    world.edit(f"agents/{AGENT}/prompt.md", ADDRESS_SENTENCE, "")
    head_3 = world.commit("Shorter prompt")
    assert (
        world.run_workflow("agentform-pr.yml", "pull_request", pr_event(2, "shorter-prompt", head_3, merge_1))
        == exitcodes.TESTS_FAILED
    )
    assert [s["state"] for s in github.statuses(head_3)] == ["pending", "failure"]
    assert "Strada Florilor" not in prompt_of(world.branch_config("pr-2"))
    assert len(github.comments(2)) == 1 and "tests failed" in github.comments(2)[0]["body"]

    world.repo.git.checkout("main")
    world.repo.git.merge("--no-ff", "shorter-prompt", "-m", "Merge pull request #2 from octo/shorter-prompt")
    merge_2 = world.repo.head.commit.hexsha
    before_deploy = world.main_config()
    push = push_event(merge_1, merge_2, "Merge pull request #2 from octo/shorter-prompt")
    assert world.run_workflow("agentform-deploy.yml", "push", push) == exitcodes.TESTS_FAILED

    # Main is back, field by field, to what it was before this deploy, as a new, described version.
    restored = world.main_config()
    assert restored["version_id"] != before_deploy["version_id"]
    assert restorable(restored) == restorable(before_deploy)
    assert "Strada Florilor" in prompt_of(restored)
    version = world.live(lambda c: c.get_version(agent_id, restored["version_id"]))
    assert version["version_description"].startswith(f"Rollback to {before_deploy['version_id']} (smoke tests failed")
    assert [s["state"] for s in github.statuses(merge_2)] == ["failure"]
    issues = github.issues(state="open")
    assert [issue["title"] for issue in issues] == ["agentform: deploy to local rolled back"]
    assert "rolled back" in world.report()

    # 5. Afterwards, plan tells the truth: main lacks the merged change, which is still to apply, not drift.
    world.monkeypatch.chdir(world.root)
    plan_file = world.root.parent / "after.json"
    code = main(["plan", "--env", "local", "--detailed-exitcode", "--out", str(plan_file)])
    assert code == exitcodes.CHANGES
    plan = json.loads(plan_file.read_text())
    changed = [c for c in plan["changes"] if c["action"] not in ("no-op",) and not c.get("blocked")]
    assert [c["address"] for c in changed] == [f"agent.{AGENT}"]
    assert changed[0]["drift"] is False
    prompt_field = next(f for f in changed[0]["fields"] if f["path"].endswith("prompt.prompt"))
    assert "-Clinica se află pe Strada Florilor" in prompt_field["line_diff"]
    assert os.environ.get("GITHUB_TOKEN") == TOKEN
