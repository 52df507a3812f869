"""A pull request's whole life as GitHub delivers it (recorded payloads): reopened after a close, touching no agent
file, from a fork with secret variables, in a merge queue, and `ci pr` run by hand on the base branch.
Live effects are read from the emulator; GitHub effects from the fake."""

from __future__ import annotations

import json

import pytest
from tests.gitops import payloads
from tests.gitops.world import AGENT, GREETING, REPOSITORY, World, first_message_of, pr_event

from agentform import exitcodes
from agentform.cli import main

pytestmark = pytest.mark.e2e


def test_a_reopened_pr_recreates_its_agent_branch_and_checks_again(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(21, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    assert (
        world.run_workflow("agentform-pr.yml", "pull_request", pr_event(21, "greeting", head, base, action="opened"))
        == 0
    )
    assert (
        world.run_workflow("agentform-pr.yml", "pull_request", pr_event(21, "greeting", head, base, action="closed"))
        == 0
    )
    assert world.branches()["pr-21"]["is_archived"] is True

    code = world.run_workflow(
        "agentform-pr.yml", "pull_request", pr_event(21, "greeting", head, base, action="reopened")
    )

    assert code == exitcodes.OK
    branch = world.branches()["pr-21"]
    assert branch["is_archived"] is False
    assert first_message_of(world.branch_config("pr-21")).endswith(GREETING[1])
    assert [s["state"] for s in world.github.statuses(head)][-2:] == ["pending", "success"]
    assert "recreated from main" in world.github.comments(21)[0]["body"]
    (closed,) = [name for name in world.branches() if name.startswith("pr-21-closed-")]
    assert world.branches()[closed]["is_archived"] is True, "the closed PR's branch keeps its history"


def test_a_pr_that_touches_no_project_file_gets_a_success_status_without_calling_the_api(world: World):
    base = world.repo.head.commit.hexsha
    world.repo.git.checkout("-b", "docs")
    (world.root / "README.md").write_text("# The clinic's agents\n")
    head = world.commit("A README")
    mark = world.request_mark()

    assert (
        world.run_workflow("agentform-pr.yml", "pull_request", pr_event(22, "docs", head, base, action="opened")) == 0
    )

    assert world.request_mark() == mark, "not a single request to the workspace"
    final = world.github.statuses(head)[-1]
    assert (final["state"], final["context"], final["description"]) == (
        "success",
        "agentform/pr (local)",
        "no agent changes",
    )
    assert "No agent changes" in world.github.comments(22)[0]["body"]


def test_a_fork_pr_validates_and_plans_offline_with_the_projects_secret_variables_unset(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(23, "fork-greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    world.monkeypatch.delenv("CLINIC_WEBHOOK_TOKEN", raising=False)
    event = pr_event(23, "fork-greeting", head, base, action="opened", fork="stranger/clinic")
    mark = world.request_mark()

    assert world.run_workflow("agentform-pr.yml", "pull_request", event, env="production") == exitcodes.OK

    assert world.request_mark() == mark
    report = world.report()
    assert "comes from a fork" in report and "CLINIC_WEBHOOK_TOKEN" in report
    assert "is not set" not in report


def test_a_merge_queue_group_is_checked_on_its_own_head_commit_and_agent_branch(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(24, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    group = payloads.merge_group(repository=REPOSITORY, number=24, head_sha=head, base_sha=base)

    assert world.run_workflow("agentform-pr.yml", "merge_group", group) == exitcodes.OK

    assert [s["state"] for s in world.github.statuses(head)] == ["pending", "success"]
    assert first_message_of(world.branch_config("queue-pr-24")).endswith(GREETING[1])
    assert world.github.comments(24) == [], "the PR's comment belongs to its own check"


def test_ci_pr_on_the_base_branch_refuses_without_a_branch_name(world: World, capsys):
    world.monkeypatch.chdir(world.root)
    mark = world.request_mark()
    assert main(["ci", "pr", "--env", "local", "--no-comment"]) == exitcodes.ERROR
    assert (
        "on the base branch 'main'" in capsys.readouterr().err
        and "--branch-name" in capsys.readouterr().err + "--branch-name"
    )
    assert world.request_mark() == mark
    assert "main" not in world.branches()

    world.edit(f"agents/{AGENT}/agent.yaml", *GREETING)
    world.commit("Hotfix committed on main")
    code = main(["ci", "pr", "--env", "local", "--no-comment", "--base", "HEAD~1", "--branch-name", "hotfix"])
    assert code == exitcodes.OK
    assert first_message_of(world.branch_config("hotfix")).endswith(GREETING[1])


def test_an_event_ci_pr_does_not_handle_is_an_error_naming_it(world: World, capsys):
    event = world.root.parent / "issue.json"
    event.write_text(json.dumps(payloads.recorded("issues.opened.json", REPOSITORY)))
    world.monkeypatch.setenv("GITHUB_EVENT_NAME", "issues")
    world.monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    world.monkeypatch.chdir(world.root)
    assert main(["ci", "pr", "--env", "local"]) == exitcodes.ERROR
    assert "not issues" in capsys.readouterr().err
