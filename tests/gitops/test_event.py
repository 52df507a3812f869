"""Reading the GitHub Actions environment and event payloads: GitHub's own recorded deliveries
(`shared/github-webhooks/` beside the repository), with only SHAs, refs, numbers and repository names rewritten."""

from __future__ import annotations

import json

import pytest
from tests.gitops import payloads

from agentform.gitops.event import (
    EventError,
    agent_branch_name,
    ci_context_from_env,
    parse_event,
    parse_pull_request,
    pr_number_from_message,
)

HEAD, BASE = "a" * 40, "b" * 40

# Every recording, the GITHUB_EVENT_NAME GitHub runs it under, and what agentform must make of it.
RECORDINGS = {
    "issues.opened.json": ("issues", "opened", None),
    "merge_group.checks_requested.json": ("merge_group", "checks_requested", "merge_group"),
    "pull_request.closed.json": ("pull_request", "closed", "pull_request"),
    "pull_request.opened.json": ("pull_request", "opened", "pull_request"),
    "pull_request.opened.with-null-body.json": ("pull_request", "opened", "pull_request"),
    "pull_request.ready_for_review.json": ("pull_request", "ready_for_review", "pull_request"),
    "pull_request.reopened.json": ("pull_request", "reopened", "pull_request"),
    "pull_request.synchronize.json": ("pull_request", "synchronize", "pull_request"),
    "push.payload.json": ("push", "", "push"),
    "push.with-new-branch.json": ("push", "", "push"),
    "workflow_dispatch.payload.json": ("workflow_dispatch", "", None),
}


def test_the_table_covers_every_recorded_delivery():
    assert sorted(RECORDINGS) == [path.name for path in payloads.recorded_files()]


@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_every_recorded_delivery_parses_to_its_event_and_action(name):
    event_name, action, part = RECORDINGS[name]
    event = parse_event(event_name, payloads.recorded(name))
    assert (event.name, event.action) == (event_name, action)
    parts = {"pull_request": event.pull_request, "push": event.push, "merge_group": event.merge_group}
    assert {key for key, value in parts.items() if value is not None} == ({part} if part else set())


def test_a_synchronize_delivery_is_a_pull_request_although_it_carries_before_and_after_like_a_push(tmp_path):
    payload = payloads.pull_request(
        "synchronize", repository="acme/agents", number=7, head_ref="greeting", head_sha=HEAD, base_sha=BASE
    )
    assert {"before", "after"} <= set(payload)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
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
    assert context.push is None and context.action == "synchronize"
    assert (pr.number, pr.head_ref, pr.base_ref, pr.is_fork) == (7, "greeting", "main", False)
    assert pr.head_sha == HEAD
    assert context.run_url == "https://github.com/acme/agents/actions/runs/99"
    assert context.step_summary == tmp_path / "summary.md"


def test_a_pull_request_from_a_fork_is_marked_as_a_fork():
    payload = payloads.pull_request(
        "opened",
        repository="acme/agents",
        number=7,
        head_ref="greeting",
        head_sha=HEAD,
        base_sha=BASE,
        head_repository="someone/agents",
    )
    assert parse_pull_request(payload).is_fork
    assert not parse_pull_request(payloads.recorded("pull_request.opened.json")).is_fork


def test_a_recorded_push_that_deleted_a_tag_is_a_deletion():
    event = parse_event("push", payloads.recorded("push.payload.json"))
    assert event.push.deleted and event.push.ref == "refs/tags/simple-tag"


def test_a_merge_group_names_its_head_commit_and_newest_pull_request():
    event = parse_event("merge_group", payloads.recorded("merge_group.checks_requested.json"))
    group = event.merge_group
    assert group.pr_number == 104
    assert group.head_sha == "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d" and group.base_ref == "refs/heads/main"


def test_a_push_names_the_merged_pull_request_from_a_merge_commit_message():
    payload = payloads.push(repository="acme/agents", ref="refs/heads/main", before=BASE, after=HEAD)
    push = parse_event("push", payload).push
    assert (push.after, push.before, push.deleted) == (HEAD, BASE, False)
    assert pr_number_from_message("Merge pull request #12 from acme/greeting\n\nFriendlier greeting") == 12


def test_squash_merge_messages_name_the_pull_request_too():
    assert pr_number_from_message("Friendlier greeting (#31)") == 31
    assert pr_number_from_message("Direct push to main") is None


def test_without_an_event_name_nothing_is_guessed_from_the_payload(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payloads.recorded("pull_request.synchronize.json")))
    context = ci_context_from_env({"GITHUB_EVENT_PATH": str(event)})
    assert context.pull_request is None and context.push is None


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
    payload = payloads.pull_request(
        action,
        repository="acme/agents",
        number=7,
        head_ref="greeting",
        head_sha=HEAD,
        base_sha=BASE,
        merged=merged,
        merge_commit_sha="c" * 40 if merged else None,
    )
    pr = parse_pull_request(payload)
    assert (pr.action, pr.closed, pr.merged) == (action, closed, merged)
