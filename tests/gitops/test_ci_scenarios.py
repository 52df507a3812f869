"""The CI commands in the situations around the main loop: forks, bad files, concurrent PRs, the lock, people's
rollbacks and scheduled drift checks. Live effects are read from the emulator; GitHub effects from the fake."""

from __future__ import annotations

import httpx
import pytest
from tests.gitops.world import (
    AGENT,
    GREETING,
    REPOSITORY,
    dispatch_event,
    first_message_of,
    pr_event,
    push_event,
)

from agentform import exitcodes
from agentform.cli import main
from agentform.emulator import DEV_API_KEY
from agentform.gitops.rollback import restorable
from agentform.state.lock import acquire_lock

pytestmark = pytest.mark.e2e


def temperature_of(config: dict) -> float:
    return config["conversation_config"]["agent"]["prompt"]["temperature"]


def test_a_pr_from_a_fork_is_validated_and_planned_offline_without_touching_the_workspace_or_posting(world):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(5, "fork-change", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    event = pr_event(5, "fork-change", head, base, fork="stranger/clinic")
    mark = world.request_mark()

    assert world.run_workflow("agentform-pr.yml", "pull_request", event) == exitcodes.OK

    assert world.writes_since(mark) == 0, "nothing live was written"
    assert "pr-5" not in world.branches()
    assert world.github.comments(5) == [], "a fork's token cannot comment; the report is in the summary"
    assert world.github.statuses(head) == [], "nor set a status, pending or final"
    report = world.report()
    assert "comes from a fork" in report
    assert f"agents/{AGENT}/agent.yaml" in report
    assert '+    first_message: "Alo, bună ziua! Cu ce vă putem ajuta astăzi?"' in report
    assert '-    first_message: "Alo, bună ziua! Cu ce vă pot ajuta astăzi?"' in report


def test_without_an_api_key_a_pr_from_the_repository_fails_the_check_and_says_which_secret_is_missing(world):
    world.monkeypatch.setenv("CLINIC_WEBHOOK_TOKEN", "token-from-the-ci-secrets")
    base = world.repo.head.commit.hexsha
    head = world.open_pr(7, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    mark = world.request_mark()

    code = world.run_workflow("agentform-pr.yml", "pull_request", pr_event(7, "greeting", head, base), env="production")

    assert code == exitcodes.ERROR
    assert world.writes_since(mark) == 0
    (comment,) = world.github.comments(7)
    assert comment["body"].startswith("<!-- agentform:pr env=production -->")
    assert "ELEVENLABS_API_KEY is not set" in comment["body"]
    assert [s["state"] for s in world.github.statuses(head)] == ["pending", "error"]


def test_invalid_files_fail_the_check_with_file_and_line_in_the_comment_and_change_nothing(world, capsys):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(6, "typo", [(f"agents/{AGENT}/agent.yaml", "first_message:", "first_mesage:")])
    mark = world.request_mark()

    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(6, "typo", head, base)) == exitcodes.ERROR

    assert world.writes_since(mark) == 0
    (comment,) = world.github.comments(6)
    assert "invalid project files" in comment["body"]
    assert f"agents/{AGENT}/agent.yaml:" in comment["body"] and "first_mesage" in comment["body"]
    assert [s["state"] for s in world.github.statuses(head)] == ["pending", "failure"]
    assert f"::error file=agents/{AGENT}/agent.yaml,line=" in capsys.readouterr().out, "annotated on the PR's diff"


def test_two_prs_on_one_agent_get_their_own_branches_and_the_second_deploy_replans_against_the_new_main(world):
    base = world.repo.head.commit.hexsha
    greeting = world.open_pr(1, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    calmer = world.open_pr(2, "calmer", [(f"agents/{AGENT}/agent.yaml", "temperature: 0.3", "temperature: 0.1")])
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(1, "greeting", greeting, base)) == 0
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(2, "calmer", calmer, base)) == 0

    one, two = world.branch_config("pr-1"), world.branch_config("pr-2")
    assert (
        first_message_of(one).endswith(GREETING[1])
        and one["conversation_config"]["agent"]["prompt"]["temperature"] == 0.3
    )
    assert (
        first_message_of(two).endswith(GREETING[0])
        and two["conversation_config"]["agent"]["prompt"]["temperature"] == 0.1
    )

    before, after = world.merge_pr(1, "greeting")
    assert world.run_workflow("agentform-deploy.yml", "push", push_event(before, after, "Merge pull request #1")) == 0
    before, after = world.merge_pr(2, "calmer")
    assert world.run_workflow("agentform-deploy.yml", "push", push_event(before, after, "Merge pull request #2")) == 0

    live = world.main_config()
    assert first_message_of(live).endswith(GREETING[1]), "the first PR's change survived the second deploy"
    assert temperature_of(live) == 0.1
    version = world.live(lambda c: c.get_version(live["agent_id"], live["version_id"]))
    assert version["parents"].get("merged_from_branch_id") != world.branches()["pr-2"]["id"], (
        "pr-2 was tested without pr-1's change, so it was not merged as is"
    )
    assert world.branches()["pr-1"]["is_archived"] and world.branches()["pr-2"]["is_archived"]


def test_a_held_lock_stops_a_deploy_naming_the_holder_until_force_unlock(world):
    async def hold(client):
        return await acquire_lock(
            client, "example-voice-agents", "local", holder="alice@laptop", purpose="apply", ttl_secs=600
        )

    world.live(hold)
    before = world.repo.head.commit.hexsha
    world.edit(f"agents/{AGENT}/agent.yaml", *GREETING)
    after = world.commit("Direct change on main")
    mark = world.request_mark()

    assert world.run_workflow("agentform-deploy.yml", "push", push_event(before, after, "Direct")) == 4
    assert "alice@laptop" in world.report()
    assert first_message_of(world.main_config()).endswith(GREETING[0]), "nothing deployed under someone's lock"
    assert world.writes_since(mark) <= 2, "only our own lock document came and went"

    assert main(["force-unlock", "--env", "local", "--yes"]) == exitcodes.OK
    assert world.run_workflow("agentform-deploy.yml", "push", push_event(before, after, "Direct")) == exitcodes.OK
    assert first_message_of(world.main_config()).endswith(GREETING[1])
    assert "pr-" not in "".join(world.branches()), "a direct push deploys without any agent branch"


def test_rollback_to_a_version_shows_the_plan_then_restores_that_version(world, capsys):
    original = world.main_config()
    world.edit(f"agents/{AGENT}/agent.yaml", *GREETING)
    world.monkeypatch.chdir(world.root)
    assert main(["apply", "--env", "local", "--auto-approve"]) == exitcodes.OK
    assert first_message_of(world.main_config()).endswith(GREETING[1])
    capsys.readouterr()

    code = main(
        ["rollback", "--env", "local", "--agent", AGENT, "--to-version", original["version_id"], "--auto-approve"]
    )

    out = capsys.readouterr().out
    assert code == exitcodes.OK
    assert f"~ agent.{AGENT}" in out and "first_message" in out
    restored = world.main_config()
    assert restorable(restored) == restorable(original)
    version = world.live(lambda c: c.get_version(restored["agent_id"], restored["version_id"]))
    assert version["version_description"] == f"Rollback to {original['version_id']} (manual)"


def test_rollback_to_an_unknown_version_fails_and_writes_nothing(world, capsys):
    world.monkeypatch.chdir(world.root)
    mark = world.request_mark()
    code = main(["rollback", "--env", "local", "--agent", AGENT, "--to-version", "agtvrsn_nope", "--auto-approve"])
    assert code == exitcodes.ERROR
    assert "agtvrsn_nope" in capsys.readouterr().err
    assert world.writes_since(mark) == 0


def test_scheduled_drift_check_opens_one_issue_while_the_agent_differs_and_closes_it_after(world):
    agent_id = world.agent_id()
    original = world.main_config()["conversation_config"]["agent"]["first_message"]

    def dashboard_edit(text: str) -> None:
        body = {"conversation_config": {"agent": {"first_message": text}}}
        world.live(lambda c: c.update_agent(agent_id, body))

    dashboard_edit("Salut! Edited in the dashboard.")
    assert world.run_workflow("agentform-drift.yml", "workflow_dispatch", dispatch_event()) == exitcodes.CHANGES
    assert world.run_workflow("agentform-drift.yml", "workflow_dispatch", dispatch_event()) == exitcodes.CHANGES
    (issue,) = world.github.issues(state="open")
    assert issue["title"] == "agentform: drift in local" and "first_message" in issue["body"]
    assert world.main_config()["conversation_config"]["agent"]["first_message"].startswith("Salut!"), "never repaired"

    dashboard_edit(original)
    assert world.run_workflow("agentform-drift.yml", "workflow_dispatch", dispatch_event()) == exitcodes.OK
    assert world.github.issues(state="open") == []
    assert REPOSITORY in issue["html_url"]


def test_nothing_secret_reaches_the_comment_the_summary_or_the_report(world, monkeypatch):
    secret = "super-secret-booking-token-42"
    monkeypatch.setenv("CLINIC_WEBHOOK_TOKEN", secret)
    world.edit("agentform.yaml", "      CLINIC_WEBHOOK_TOKEN: local-development-token\n", "")
    base = world.commit("The webhook token comes from the environment")
    head = world.open_pr(9, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    world.run_workflow("agentform-pr.yml", "pull_request", pr_event(9, "greeting", head, base))
    texts = [c["body"] for c in world.github.comments(9)] + [world.report()]
    texts += [path.read_text() for path in world.root.parent.glob("summary-*.md")]
    assert texts and all(secret not in text and DEV_API_KEY not in text for text in texts)


def test_a_deploy_whose_apply_fails_after_a_merge_rolls_the_merged_agent_back(world):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(4, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    # A document no agent uses yet: the PR check has no reason to create it, the deploy does.
    (world.root / "knowledge" / "press-kit.md").write_text("Clinica Dentară Zâmbet, fondată în 2009.\n")
    head = world.commit("Press kit")
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(4, "greeting", head, base)) == 0
    before_deploy = world.main_config()
    # The deploy's first text document is its lock; the second is the press kit.
    fault = {"kind": "status", "method": "POST", "path": "/v1/convai/knowledge-base/text", "status": 400, "nth": 2}
    httpx.post(f"{world.emulator_url}/_emulator/faults", json=fault, headers={"xi-api-key": DEV_API_KEY})

    before, after = world.merge_pr(4, "greeting")
    assert world.run_workflow("agentform-deploy.yml", "push", push_event(before, after, "Merge pull request #4")) == 1

    restored = world.main_config()
    assert restorable(restored) == restorable(before_deploy), "the merged greeting did not stay on main"
    version = world.live(lambda c: c.get_version(restored["agent_id"], restored["version_id"]))
    assert version["version_description"].startswith(f"Rollback to {before_deploy['version_id']} (deploy failed")
    merge = world.live(lambda c: c.get_version(restored["agent_id"], version["parents"]["in_branch_parent_id"]))
    assert merge["parents"]["merged_from_branch_id"] == world.branches()["pr-4"]["id"], "it had been merged"
    assert "rolled back" in world.report() and "knowledge-base" in world.report()
    assert world.branches()["pr-4"]["is_archived"] is False, "kept for the next attempt"


def test_rollback_to_a_git_ref_reapplies_the_files_of_that_commit(world, capsys):
    first = world.repo.head.commit.hexsha
    original = world.main_config()
    world.edit(f"agents/{AGENT}/agent.yaml", *GREETING)
    world.commit("Greeting")
    world.monkeypatch.chdir(world.root)
    assert main(["apply", "--env", "local", "--auto-approve"]) == exitcodes.OK
    capsys.readouterr()

    code = main(["rollback", "--env", "local", "--agent", AGENT, "--to-ref", first, "--auto-approve"])

    assert code == exitcodes.OK
    assert f"~ agent.{AGENT}" in capsys.readouterr().out
    restored = world.main_config()
    assert first_message_of(restored) == first_message_of(original)
    assert restored["version_id"] != original["version_id"], "a new version, history kept"


def test_a_pending_status_github_refuses_is_only_a_warning_and_the_final_status_still_decides(world, capsys):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(14, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    world.github.fail_next(1, status=422)  # the run's first GitHub request: the pending status

    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(14, "greeting", head, base)) == 0

    assert [s["state"] for s in world.github.statuses(head)] == ["success"]
    assert "Warning: could not post to GitHub" in capsys.readouterr().err
    assert world.branches()["pr-14"]["is_archived"] is False, "the check ran in full"
