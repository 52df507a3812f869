"""The GitOps loop across a pull request's whole life, driven only by GitHub's recorded event payloads (SHAs, refs,
numbers and repository names rewritten), against the emulator and a fake GitHub on loopback that answers 404 to
paths it does not know and 422 to bodies GitHub would reject:

opened -> synchronize twice -> closed -> reopened -> merged and deployed -> a breaking PR that also edits a KB
document, merged: smoke tests fail, main is rolled back and every reference of every live agent resolves -> the fix,
merged and deployed. (A cancelled deploy caught up by the next one: `test_deploy_reconcile.py`.)
"""

from __future__ import annotations

import pytest
from tests.gitops.world import (
    ADDRESS_SENTENCE,
    AGENT,
    GREETING,
    World,
    first_message_of,
    knowledge_ids,
    pr_event,
    prompt_of,
)

from agentform import exitcodes
from agentform.gitops.references import unresolved
from agentform.plan.references import references

pytestmark = pytest.mark.e2e

AGENT_FILE = f"agents/{AGENT}/agent.yaml"
FAQ = "knowledge/clinic-faq.md"
PARKING = "\n## Parcare\nClinica are parcare gratuită pentru pacienți.\n"


def _pr(world: World, number: int, branch: str, head: str, base: str, action: str, before: str | None = None) -> int:
    return world.run_workflow(
        "agentform-pr.yml", "pull_request", pr_event(number, branch, head, base, action=action, before=before)
    )


def _merge(world: World, number: int, branch: str) -> int:
    """GitHub's merge button: a merge commit on main, pushed; the deploy workflow's exit code."""
    return world.deploy(*world.merge_pr(number, branch))


def _broken_references(world: World) -> list[str]:
    async def check(client):
        broken = []
        for item in await client.list_agents():
            broken += await unresolved(client, references(await client.get_agent(item["agent_id"])))
        return broken

    return world.live(check)


def _deploy_comment(world: World, number: int) -> str:
    (comment,) = [c for c in world.github.comments(number) if c["body"].startswith("<!-- agentform:deploy env=local")]
    return comment["body"]


def test_a_pull_requests_whole_life_from_open_to_rollback_and_fix(world: World, capsys):
    github = world.github
    base = world.repo.head.commit.hexsha

    # opened, then two pushes (`synchronize` carries `before` and `after`, like a push: it is still a PR event).
    head = world.open_pr(1, "greeting", [(AGENT_FILE, *GREETING)])
    assert _pr(world, 1, "greeting", head, base, "opened") == exitcodes.OK
    for old, new in (("temperature: 0.3", "temperature: 0.25"), ("turn_timeout: 7", "turn_timeout: 8")):
        world.edit(AGENT_FILE, old, new)
        previous, head = head, world.commit(f"{old} -> {new}")
        assert _pr(world, 1, "greeting", head, base, "synchronize", before=previous) == exitcodes.OK
    assert len(github.comments(1)) == 1, "one sticky comment, edited in place"
    assert world.branch_config("pr-1")["conversation_config"]["turn"]["turn_timeout"] == 8

    # closed without merging: the branch is archived; reopened: restored and checked again.
    assert _pr(world, 1, "greeting", head, base, "closed") == exitcodes.OK
    assert world.branches()["pr-1"]["is_archived"] is True
    assert _pr(world, 1, "greeting", head, base, "reopened") == exitcodes.OK
    assert world.branches()["pr-1"]["is_archived"] is False
    assert [s["state"] for s in github.statuses(head)][-1] == "success"

    # merged: deployed, smoke-tested, and the result commented on the merged PR.
    capsys.readouterr()
    assert _merge(world, 1, "greeting") == exitcodes.OK
    assert f"agent.{AGENT}: Merged agent branch pr-1 into main [id=" in capsys.readouterr().out, "the CI log says so"
    assert first_message_of(world.main_config()).endswith(GREETING[1])
    assert "deploy: passed" in _deploy_comment(world, 1)
    assert world.branches()["pr-1"]["is_archived"] is True

    # A breaking PR that also edits a KB document: its check fails, it is merged anyway, the deploy rolls back.
    base = world.repo.head.commit.hexsha
    world.repo.git.checkout("-b", "shorter")
    world.edit(f"agents/{AGENT}/prompt.md", ADDRESS_SENTENCE, "")
    (world.root / FAQ).write_text((world.root / FAQ).read_text(encoding="utf-8") + PARKING, encoding="utf-8")
    head = world.commit("Shorter prompt, FAQ: parking")
    assert _pr(world, 2, "shorter", head, base, "opened") == exitcodes.TESTS_FAILED
    before_deploy = world.main_config()

    assert _merge(world, 2, "shorter") == exitcodes.TESTS_FAILED
    assert f"agent.{AGENT}: Rolled back to {before_deploy['version_id']} [id=" in capsys.readouterr().out

    restored = world.main_config()
    assert "Strada Florilor" in prompt_of(restored)
    assert knowledge_ids(restored) == knowledge_ids(before_deploy)
    assert _broken_references(world) == [], "every reference of every live agent resolves after the rollback"
    comment = _deploy_comment(world, 2)
    assert "rolled back" in comment and "Clinic address" in comment, "the failing test is named"
    (issue,) = github.issues(state="open")
    assert issue["body"].startswith("<!-- agentform:rollback-issue env=local -->")

    # The fix keeps the FAQ change and puts the address back: checked, merged, deployed.
    base = world.repo.head.commit.hexsha
    world.repo.git.checkout("-b", "fix")
    prompt = world.root / f"agents/{AGENT}/prompt.md"
    prompt.write_text(prompt.read_text(encoding="utf-8") + ADDRESS_SENTENCE, encoding="utf-8")
    head = world.commit("Put the address back")
    assert _pr(world, 3, "fix", head, base, "opened") == exitcodes.OK

    assert _merge(world, 3, "fix") == exitcodes.OK

    deployed = world.main_config()
    assert "Strada Florilor" in prompt_of(deployed)
    assert knowledge_ids(deployed) != knowledge_ids(before_deploy), "the FAQ change reached main with the fix"
    assert "deploy: passed" in _deploy_comment(world, 3)
    assert world.state_record()["deploy"]["passed_commit"] == world.repo.head.commit.hexsha
    assert _broken_references(world) == []
