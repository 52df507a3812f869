"""A pull request closed without merging leaves nothing behind: its agent branch is archived, the state record
forgets it, and the next deploy's garbage collection reclaims the versions only that branch referenced. A merged
PR's close is left to the deploy. Live effects are read from the emulator, GitHub effects from the fake."""

from __future__ import annotations

import pytest
from tests.gitops.world import AGENT, GREETING, World, knowledge_ids, pr_event, push_event

from agentform import exitcodes
from agentform.cli import main

pytestmark = pytest.mark.e2e

FAQ = "knowledge/clinic-faq.md"
NEW_FAQ_LINE = "\n## Parcare\nClinica are parcare gratuită pentru pacienți în curtea interioară.\n"


def _push_to_main(world: World, edit: tuple[str, str, str], message: str) -> int:
    """A direct change on main, deployed by the deploy workflow; its exit code."""
    world.repo.git.checkout("main")
    before = world.repo.head.commit.hexsha
    world.edit(*edit)
    after = world.commit(message)
    return world.run_workflow("agentform-deploy.yml", "push", push_event(before, after, message))


def _append(world: World, relative: str, text: str) -> None:
    path = world.root / relative
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_pr_closed_without_merging_has_its_branch_archived_and_its_document_version_collected_by_the_next_deploy(
    world: World,
):
    base = world.repo.head.commit.hexsha
    world.repo.git.checkout("-b", "parking")
    _append(world, FAQ, NEW_FAQ_LINE)
    head = world.commit("FAQ: parking")
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(3, "parking", head, base)) == exitcodes.OK
    (pr_document,) = knowledge_ids(world.branch_config("pr-3")) - knowledge_ids(world.main_config())
    assert "pr-3" in world.state_record()["branches"]

    # While the PR is open, a deploy keeps the document version its branch references.
    assert _push_to_main(world, (f"agents/{AGENT}/agent.yaml", *GREETING), "Greeting") == exitcodes.OK
    assert world.document_exists(pr_document)

    closed = pr_event(3, "parking", head, base, action="closed", merged=False)
    assert world.run_workflow("agentform-pr.yml", "pull_request", closed) == exitcodes.OK

    assert world.branches()["pr-3"]["is_archived"] is True
    assert "pr-3" not in world.state_record()["branches"]
    assert "archived (PR closed without merging)" in world.report()
    assert world.github.statuses(head)[-1]["state"] == "success", "the closed run posts no status of its own"
    assert world.document_exists(pr_document), "archiving deletes nothing by itself"

    edit = (f"agents/{AGENT}/agent.yaml", "temperature: 0.3", "temperature: 0.25")
    assert _push_to_main(world, edit, "A little less creative") == exitcodes.OK
    assert not world.document_exists(pr_document), "the next deploy collected the version only pr-3 referenced"
    assert knowledge_ids(world.main_config()), "main's own documents are untouched"


def test_closing_a_merged_pr_leaves_everything_to_the_deploy(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(8, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(8, "greeting", head, base)) == exitcodes.OK
    statuses_before = world.github.statuses(head)
    mark = world.request_mark()

    closed = pr_event(8, "greeting", head, base, action="closed", merged=True)
    assert world.run_workflow("agentform-pr.yml", "pull_request", closed) == exitcodes.OK

    assert world.writes_since(mark) == 0
    assert world.branches()["pr-8"]["is_archived"] is False
    assert "pr-8" in world.state_record()["branches"]
    assert world.github.statuses(head) == statuses_before
    assert "was merged" in world.report()


def test_closing_a_pr_that_has_no_agent_branch_archives_nothing_and_succeeds(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(11, "never-checked", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    closed = pr_event(11, "never-checked", head, base, action="closed")
    assert world.run_workflow("agentform-pr.yml", "pull_request", closed) == exitcodes.OK
    assert "nothing to archive" in world.report()
    assert "never-checked" not in world.branches() and "pr-11" not in world.branches()


def test_a_closed_pr_is_cleaned_up_from_its_base_files_even_when_its_own_files_are_invalid(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(12, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(12, "greeting", head, base)) == exitcodes.OK
    world.edit(f"agents/{AGENT}/agent.yaml", "first_message:", "first_mesage:")
    broken = world.commit("Typo: the reason the PR was abandoned")

    closed = pr_event(12, "greeting", broken, base, action="closed")
    assert world.run_workflow("agentform-pr.yml", "pull_request", closed) == exitcodes.OK
    assert world.branches()["pr-12"]["is_archived"] is True


def test_a_branch_left_behind_before_the_workflow_handled_closes_is_archived_with_the_closed_flag(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(13, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(13, "greeting", head, base)) == exitcodes.OK
    world.repo.git.checkout("main")
    for name in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH"):
        world.monkeypatch.delenv(name)

    assert main(["ci", "pr", "--env", "local", "--closed", "--pr", "13"]) == exitcodes.OK
    assert world.branches()["pr-13"]["is_archived"] is True


def test_closing_a_pr_from_a_fork_touches_nothing_since_it_never_had_a_branch(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(15, "fork-change", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    closed = pr_event(15, "fork-change", head, base, action="closed", fork="stranger/clinic")
    mark = world.request_mark()

    assert world.run_workflow("agentform-pr.yml", "pull_request", closed) == exitcodes.OK

    assert world.writes_since(mark) == 0
    assert "came from a fork" in world.report()


def test_closing_a_pr_without_the_api_key_fails_naming_the_secret_and_archives_nothing(world: World):
    world.monkeypatch.setenv("CLINIC_WEBHOOK_TOKEN", "token-from-the-ci-secrets")  # production's secret variable
    base = world.repo.head.commit.hexsha
    head = world.open_pr(16, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    closed = pr_event(16, "greeting", head, base, action="closed")
    mark = world.request_mark()

    code = world.run_workflow("agentform-pr.yml", "pull_request", closed, env="production")

    assert code == exitcodes.ERROR
    assert world.writes_since(mark) == 0
    assert "ELEVENLABS_API_KEY is not set" in world.report()
    assert world.github.statuses(head) == [] and world.github.comments(16) == []
