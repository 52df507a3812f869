"""Deploys reconcile the pushed commit with the live main, test every agent that plan touches, keep what a rollback
needs until the smoke tests pass, and rollbacks (automatic or by hand) leave only references that resolve.
Live effects are read from the emulator; GitHub effects from the fake."""

from __future__ import annotations

import pytest
from tests.gitops.world import (
    ADDRESS_SENTENCE,
    AGENT,
    GREETING,
    World,
    dispatch_event,
    first_message_of,
    knowledge_ids,
    prompt_of,
)

from agentform import exitcodes
from agentform.cli import main
from agentform.gitops.references import unresolved
from agentform.gitops.rollback import restorable
from agentform.plan.references import references
from agentform.state.lock import acquire_lock

pytestmark = pytest.mark.e2e

FAQ = "knowledge/clinic-faq.md"
PROMPT = f"agents/{AGENT}/prompt.md"
AGENT_FILE = f"agents/{AGENT}/agent.yaml"


def _append(world: World, relative: str, text: str) -> None:
    path = world.root / relative
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _push(world: World, message: str, change) -> tuple[str, str]:
    """A commit on main made by `change(world)`: (before, after)."""
    world.repo.git.checkout("main")
    before = world.repo.head.commit.hexsha
    change(world)
    return before, world.commit(message)


def _references_resolve(world: World) -> list[str]:
    """Every reference of every live agent that does not resolve (empty: all do)."""

    async def check(client):
        broken = []
        for item in await client.list_agents():
            config = await client.get_agent(item["agent_id"])
            broken += await unresolved(client, references(config))
        return broken

    return world.live(check)


def test_a_deploy_that_changed_a_document_and_failed_its_smoke_tests_restores_a_version_whose_references_resolve(
    world: World,
):
    original = world.main_config()
    before, after = _push(
        world,
        "FAQ update and a shorter prompt",
        lambda w: (_append(w, FAQ, "\n## Parcare\nParcare gratuită.\n"), w.edit(PROMPT, ADDRESS_SENTENCE, "")),
    )

    assert world.deploy(before, after) == exitcodes.TESTS_FAILED

    restored = world.main_config()
    assert restorable(restored) == restorable(original)
    assert knowledge_ids(restored) == knowledge_ids(original)
    assert all(world.document_exists(doc_id) for doc_id in knowledge_ids(restored)), "nothing collected before tests"
    assert _references_resolve(world) == []
    record = world.state_record()["deploy"]
    assert record["passed_commit"] is None, "a rolled-back commit never counts as passed"
    assert record["rollback_points"][AGENT]["version_id"] == original["version_id"]


def test_superseded_versions_are_collected_only_once_no_rollback_point_references_them(world: World):
    first_faq = knowledge_ids(world.main_config())
    before, after = _push(world, "FAQ: parking", lambda w: _append(w, FAQ, "\n## Parcare\nParcare gratuită.\n"))
    assert world.deploy(before, after) == exitcodes.OK
    second_faq = knowledge_ids(world.main_config())
    (old_faq,) = first_faq - second_faq
    assert world.document_exists(old_faq), "the deploy's rollback point (the version before it) still needs it"
    assert world.state_record()["deploy"]["passed_commit"] == after

    before, after = _push(world, "FAQ: hours", lambda w: _append(w, FAQ, "\n## Program\nLuni-vineri 8-20.\n"))
    assert world.deploy(before, after) == exitcodes.OK
    assert not world.document_exists(old_faq), "two deploys later nothing references it: collected"
    assert all(world.document_exists(doc_id) for doc_id in second_faq), "the new rollback point's documents stay"


def test_a_cancelled_deploy_is_caught_up_and_tested_by_the_next_one(world: World):
    # The first push breaks the smoke test; its deploy was cancelled by the concurrency group and never ran.
    _push(world, "Shorter prompt", lambda w: w.edit(PROMPT, ADDRESS_SENTENCE, ""))
    before, after = _push(world, "Support tweak", lambda w: w.edit(AGENT_FILE, *GREETING))
    mark = world.request_mark()

    assert world.deploy(before, after) == exitcodes.TESTS_FAILED, "the next deploy tested the first one's change"

    assert world.writes_since(mark) > 0
    assert "Strada Florilor" in prompt_of(world.main_config()), "rolled back"
    assert "the plan has update agent.clinic-receptionist" in world.report()


def test_a_dispatched_deploy_tests_everything_changed_since_the_last_passed_commit(world: World):
    before, after = _push(world, "Greeting", lambda w: w.edit(AGENT_FILE, *GREETING))
    assert world.deploy(before, after) == exitcodes.OK
    # Applied outside the deploy (no tests): a dispatched deploy must still test it, though the plan is empty.
    _push(world, "Shorter prompt", lambda w: w.edit(PROMPT, ADDRESS_SENTENCE, ""))
    world.monkeypatch.chdir(world.root)
    assert main(["apply", "--env", "local", "--auto-approve"]) == exitcodes.OK
    # The last commit touches no agent: only the recorded passed commit leads back to the untested change.
    _push(world, "Notes", lambda w: (w.root / "NOTES.md").write_text("Deployed by hand.\n"))

    assert world.run_workflow("agentform-deploy.yml", "workflow_dispatch", dispatch_event()) == exitcodes.TESTS_FAILED
    assert "since the last passed deploy" in world.report()


def test_a_manual_rollback_recreates_a_collected_document_from_git(world: World, capsys):
    original = world.main_config()
    for line in ("\n## Parcare\nParcare gratuită.\n", "\n## Program\nLuni-vineri 8-20.\n"):
        before, after = _push(world, "FAQ", lambda w, line=line: _append(w, FAQ, line))
        assert world.deploy(before, after) == exitcodes.OK
    gone = knowledge_ids(original) - knowledge_ids(world.main_config())
    assert gone and not any(world.document_exists(doc_id) for doc_id in gone)
    world.monkeypatch.chdir(world.root)
    capsys.readouterr()

    code = main(
        ["rollback", "--env", "local", "--agent", AGENT, "--to-version", original["version_id"], "--auto-approve"]
    )

    assert code == exitcodes.OK, capsys.readouterr().err
    assert "will be recreated from commit" in capsys.readouterr().out
    restored = world.main_config()
    assert _references_resolve(world) == []
    assert len(knowledge_ids(restored)) == len(knowledge_ids(original))
    assert restorable(restored)["conversation_config"]["agent"]["prompt"]["prompt"] == prompt_of(original)


def test_a_manual_rollback_refuses_when_a_missing_document_is_in_no_commit_and_writes_nothing(world: World, capsys):
    original = world.main_config()
    world.monkeypatch.chdir(world.root)
    _append(world, FAQ, "\n## Never committed\nO versiune care nu a ajuns în git.\n")
    assert main(["apply", "--env", "local", "--auto-approve"]) == exitcodes.OK
    uncommitted = world.main_config()
    world.repo.git.checkout("--", FAQ)
    assert main(["apply", "--env", "local", "--auto-approve"]) == exitcodes.OK
    (gone,) = knowledge_ids(uncommitted) - knowledge_ids(original)
    assert not world.document_exists(gone)
    capsys.readouterr()
    mark = world.request_mark()

    code = main(
        ["rollback", "--env", "local", "--agent", AGENT, "--to-version", uncommitted["version_id"], "--auto-approve"]
    )

    assert code == exitcodes.ERROR
    error = capsys.readouterr().err
    assert gone in error and "no commit holds that content" in error
    assert world.writes_since(mark) == 0


def test_a_deploy_waits_for_a_pr_check_holding_the_lock_instead_of_failing(world: World):
    world.monkeypatch.setattr("agentform.state.lock._LOCK_POLL_SECS", 0.2)

    async def pr_check_holds_the_lock(client):
        purpose = "ci pr: apply --branch pr-9"
        return await acquire_lock(client, "example-voice-agents", "local", holder="run 7", purpose=purpose, ttl_secs=8)

    world.live(pr_check_holds_the_lock)
    before, after = _push(world, "Greeting", lambda w: w.edit(AGENT_FILE, *GREETING))

    assert world.deploy(before, after) == exitcodes.OK

    assert "Waited for a PR check holding the environment lock" in world.report()
    assert first_message_of(world.main_config()).endswith(GREETING[1])
