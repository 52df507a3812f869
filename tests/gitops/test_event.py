"""Reading the GitHub Actions environment and event payloads."""

from __future__ import annotations

import json

import pytest

from agentform.gitops.event import (
    EventError,
    agent_branch_name,
    ci_context_from_env,
    parse_pull_request,
    pr_number_from_message,
)


def _pr_payload(head_repo: str | None = "acme/agents") -> dict:
    return {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "title": "Friendlier greeting",
            "html_url": "https://github.com/acme/agents/pull/7",
            "head": {"ref": "greeting", "sha": "a" * 40, "repo": {"full_name": head_repo} if head_repo else None},
            "base": {"ref": "main", "sha": "b" * 40, "repo": {"full_name": "acme/agents"}},
        },
    }


def test_a_pull_request_event_gives_number_refs_and_shas(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(_pr_payload()))
    context = ci_context_from_env(
        {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "acme/agents",
            "GITHUB_RUN_ID": "99",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
    )
    pr = context.pull_request
    assert (pr.number, pr.head_ref, pr.base_ref, pr.is_fork) == (7, "greeting", "main", False)
    assert pr.head_sha == "a" * 40
    assert context.run_url == "https://github.com/acme/agents/actions/runs/99"
    assert context.step_summary == tmp_path / "summary.md"


@pytest.mark.parametrize("head_repo", ["someone/agents", None])
def test_a_pull_request_from_a_fork_or_a_deleted_fork_is_marked_as_a_fork(head_repo):
    assert parse_pull_request(_pr_payload(head_repo)).is_fork


def test_a_push_event_names_the_merged_pull_request_from_the_merge_commit_message(tmp_path):
    event = tmp_path / "push.json"
    message = "Merge pull request #12 from acme/greeting\n\nFriendlier greeting"
    event.write_text(
        json.dumps(
            {"ref": "refs/heads/main", "before": "1" * 40, "after": "2" * 40, "head_commit": {"message": message}}
        )
    )
    context = ci_context_from_env({"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event)})
    assert context.push.after == "2" * 40
    assert context.push.merged_pr_number == 12


def test_squash_merge_messages_name_the_pull_request_too():
    assert pr_number_from_message("Friendlier greeting (#31)") == 31
    assert pr_number_from_message("Direct push to main") is None


def test_outside_github_actions_the_context_is_empty():
    context = ci_context_from_env({})
    assert not context.in_actions and context.pull_request is None and context.run_url is None


def test_a_broken_event_file_is_reported_with_its_path_and_position(tmp_path):
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": ')
    with pytest.raises(EventError, match=r"event\.json:1:\d+: not JSON"):
        ci_context_from_env({"GITHUB_EVENT_PATH": str(event)})


def test_agent_branches_are_named_after_the_pr_or_else_the_git_branch():
    assert agent_branch_name(pr_number=7, git_branch="x") == "pr-7"
    assert agent_branch_name(git_branch="refs/heads/feature/new greeting!") == "feature-new-greeting"
    with pytest.raises(ValueError):
        agent_branch_name(git_branch="///")


@pytest.mark.parametrize(
    ("action", "merged", "closed"),
    [("synchronize", False, False), ("closed", False, True), ("closed", True, True), ("reopened", False, False)],
)
def test_a_pull_request_event_says_whether_it_closed_the_pr_and_whether_it_was_merged(action, merged, closed):
    payload = _pr_payload()
    payload["action"] = action
    payload["pull_request"]["merged"] = merged
    pr = parse_pull_request(payload)
    assert (pr.action, pr.closed, pr.merged) == (action, closed, merged)


def test_an_open_pull_request_without_a_merged_field_is_not_merged():
    assert parse_pull_request(_pr_payload()).merged is False
