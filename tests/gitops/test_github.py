"""The GitHub REST client against the local fake: sticky comments, statuses, issues, errors and the run context."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.gitops import payloads
from tests.support.fake_github import FakeGitHub

from agentform.gitops.event import EventError
from agentform.gitops.github import (
    GitHubApiError,
    GitHubClient,
    GitHubConfigError,
    GitHubContext,
)
from agentform.redact import MASK
from agentform.retrying import RetryPolicy

TOKEN = "ghs_0123456789abcdefTOKEN"
REPO = "acme/agents"
MARKER = "<!-- agentform:pr env=production -->"
NO_WAIT = RetryPolicy(max_retries=3, base_delay=0.0, max_delay=0.0, max_total_wait=1.0)


@pytest.fixture
def fake() -> FakeGitHub:
    return FakeGitHub(REPO, token=TOKEN)


def github(fake: FakeGitHub, **kwargs: Any) -> GitHubClient:
    kwargs.setdefault("retry_policy", NO_WAIT)
    return GitHubClient(REPO, kwargs.pop("token", TOKEN), api_url=fake.api_url, transport=fake.transport(), **kwargs)


def run(fake: FakeGitHub, action, **kwargs: Any) -> Any:
    async def go() -> Any:
        async with github(fake, **kwargs) as client:
            return await action(client)

    return asyncio.run(go())


def writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(method, path) for method, path in fake.requests if method != "GET"]


# ---- sticky comments -----------------------------------------------------------------------------------------------


def test_the_first_sticky_comment_is_created_with_its_marker(fake: FakeGitHub) -> None:
    result = run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "## Plan\n1 to change"))
    assert result.action == "created"
    [comment] = fake.comments(7)
    assert comment["body"] == f"{MARKER}\n## Plan\n1 to change"
    assert result.id == comment["id"]


def test_the_next_run_edits_the_same_comment_instead_of_adding_one(fake: FakeGitHub) -> None:
    first = run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "plan one"))
    second = run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "plan two"))
    assert second.action == "updated"
    assert second.id == first.id
    assert [c["body"] for c in fake.comments(7)] == [f"{MARKER}\nplan two"]


def test_an_unchanged_comment_is_not_written_again(fake: FakeGitHub) -> None:
    run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "same plan"))
    before = len(writes(fake))
    result = run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "same plan"))
    assert result.action == "unchanged"
    assert len(writes(fake)) == before


def test_comments_of_people_are_left_alone_even_when_they_quote_the_marker(fake: FakeGitHub) -> None:
    fake.add_comment(7, "LGTM", user="reviewer")
    fake.add_comment(7, f"> {MARKER}\n> plan one\nwhy does this change?", user="reviewer")
    run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "plan"))
    bodies = [c["body"] for c in fake.comments(7)]
    assert bodies[:2] == ["LGTM", f"> {MARKER}\n> plan one\nwhy does this change?"]
    assert bodies[2] == f"{MARKER}\nplan"


def test_each_environment_keeps_its_own_sticky_comment(fake: FakeGitHub) -> None:
    staging = "<!-- agentform:pr env=staging -->"
    run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "production plan"))
    run(fake, lambda c: c.upsert_sticky_comment(7, staging, "staging plan"))
    run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "production plan v2"))
    assert [c["body"] for c in fake.comments(7)] == [f"{MARKER}\nproduction plan v2", f"{staging}\nstaging plan"]


def test_comments_are_read_across_link_header_pages(fake: FakeGitHub) -> None:
    for index in range(230):
        fake.add_comment(7, f"chatter {index}", user="bot")
    fake.add_comment(7, f"{MARKER}\nold plan", user="github-actions[bot]")
    comments = run(fake, lambda c: c.list_issue_comments(7))
    assert len(comments) == 231
    assert sum(1 for method, _ in fake.requests if method == "GET") == 3
    result = run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "new plan"))
    assert result.action == "updated"
    assert fake.comments(7)[-1]["body"] == f"{MARKER}\nnew plan"


# ---- commit statuses -----------------------------------------------------------------------------------------------


def test_a_commit_status_is_set_with_context_description_and_link(fake: FakeGitHub) -> None:
    sha = "a" * 40
    run(
        fake,
        lambda c: c.create_commit_status(
            sha,
            state="failure",
            context="agentform/pr (production)",
            description="2 of 5 tests failed",
            target_url="https://github.com/acme/agents/actions/runs/1",
        ),
    )
    [status] = fake.statuses(sha)
    assert (status["state"], status["context"], status["description"], status["target_url"]) == (
        "failure",
        "agentform/pr (production)",
        "2 of 5 tests failed",
        "https://github.com/acme/agents/actions/runs/1",
    )


def test_a_long_status_description_is_shortened_to_what_github_accepts(fake: FakeGitHub) -> None:
    run(fake, lambda c: c.create_commit_status("b" * 40, state="success", context="x", description="word " * 60))
    [status] = fake.statuses("b" * 40)
    assert len(status["description"]) == 140
    assert status["description"].endswith("…")


def test_an_unknown_status_state_is_refused_before_any_request(fake: FakeGitHub) -> None:
    with pytest.raises(ValueError, match="commit status state"):
        run(fake, lambda c: c.create_commit_status("c" * 40, state="passed", context="x"))
    assert fake.requests == []


# ---- issues --------------------------------------------------------------------------------------------------------


DRIFT = "<!-- agentform:drift-issue env=production -->"


def test_a_drift_issue_is_opened_once_then_updated(fake: FakeGitHub) -> None:
    title = "agentform: drift in production"
    created = run(fake, lambda c: c.open_or_update_issue(title, "1 to change", label="agentform-drift", marker=DRIFT))
    updated = run(fake, lambda c: c.open_or_update_issue(title, "2 to change", label="agentform-drift", marker=DRIFT))
    again = run(fake, lambda c: c.open_or_update_issue(title, "2 to change", label="agentform-drift", marker=DRIFT))
    assert (created.action, updated.action, again.action) == ("created", "updated", "unchanged")
    [issue] = fake.issues()
    assert issue["number"] == created.id == updated.id
    assert issue["body"] == f"{DRIFT}\n2 to change"
    assert [label["name"] for label in issue["labels"]] == ["agentform-drift"]


def test_our_issue_is_found_by_its_hidden_marker_after_people_renamed_it_and_dropped_its_label(
    fake: FakeGitHub,
) -> None:
    run(
        fake, lambda c: c.open_or_update_issue("agentform: drift", "1 to change", label="agentform-drift", marker=DRIFT)
    )
    [issue] = fake.issues()
    fake_issue = fake._state.issues[issue["number"]]
    fake_issue["title"], fake_issue["labels"] = "Dashboard edits to look at", []
    updated = run(
        fake, lambda c: c.open_or_update_issue("agentform: drift", "2", label="agentform-drift", marker=DRIFT)
    )
    assert updated.action == "updated" and [i["body"] for i in fake.issues()] == [f"{DRIFT}\n2"]


def test_a_closed_drift_issue_is_not_reopened_a_new_one_is_filed(fake: FakeGitHub) -> None:
    title = "agentform: drift in production"
    fake.add_issue(title, f"{DRIFT}\nold", labels=["agentform-drift"], state="closed")
    result = run(fake, lambda c: c.open_or_update_issue(title, "new drift", label="agentform-drift", marker=DRIFT))
    assert result.action == "created"
    assert [(i["state"], i["body"]) for i in fake.issues()] == [
        ("closed", f"{DRIFT}\nold"),
        ("open", f"{DRIFT}\nnew drift"),
    ]


def test_an_issue_with_our_title_and_label_but_without_the_marker_is_not_touched(fake: FakeGitHub) -> None:
    fake.add_issue("agentform: drift in production", "a human's notes", labels=["agentform-drift"])
    run(
        fake,
        lambda c: c.open_or_update_issue(
            "agentform: drift in production", "drift", label="agentform-drift", marker=DRIFT
        ),
    )
    assert [i["body"] for i in fake.issues()] == ["a human's notes", f"{DRIFT}\ndrift"]


def test_resolved_drift_closes_the_issue_with_a_last_comment(fake: FakeGitHub) -> None:
    title = "agentform: drift in production"
    run(fake, lambda c: c.open_or_update_issue(title, "drift", label="agentform-drift", marker=DRIFT))
    closed = run(fake, lambda c: c.close_issue(DRIFT, comment="No drift any more."))
    assert closed["state"] == "closed"
    assert [c["body"] for c in fake.comments(closed["number"])] == ["No drift any more."]
    assert run(fake, lambda c: c.close_issue(DRIFT)) is None


def test_list_issues_filters_by_every_label(fake: FakeGitHub) -> None:
    fake.add_issue("a", labels=["agentform-rollback", "production"])
    fake.add_issue("b", labels=["agentform-rollback"])
    found = run(fake, lambda c: c.list_issues(labels=["agentform-rollback", "production"]))
    assert [issue["title"] for issue in found] == ["a"]


# ---- errors and secrets --------------------------------------------------------------------------------------------


def test_a_bad_token_is_reported_without_the_token(fake: FakeGitHub) -> None:
    wrong = "ghs_wrong_token_value"
    with pytest.raises(GitHubApiError) as caught:
        run(fake, lambda c: c.list_issue_comments(7), token=wrong)
    assert caught.value.status == 401
    assert str(caught.value) == "GitHub GET /repos/acme/agents/issues/7/comments failed with HTTP 401: Bad credentials"
    assert wrong not in str(caught.value)


def test_a_refused_write_explains_the_workflow_permissions() -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"message": "Resource not accessible by integration"})

    async def go() -> None:
        async with GitHubClient(REPO, TOKEN, transport=httpx.MockTransport(forbidden)) as client:
            await client.create_issue_comment(7, "plan")

    with pytest.raises(GitHubApiError) as caught:
        asyncio.run(go())
    assert "Resource not accessible by integration" in str(caught.value)
    assert "pull-requests: write" in str(caught.value)


def test_validation_errors_carry_githubs_field_details() -> None:
    def invalid(request: httpx.Request) -> httpx.Response:
        body = {"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "title", "code": "missing"}]}
        return httpx.Response(422, json=body)

    async def go() -> None:
        async with GitHubClient(REPO, TOKEN, transport=httpx.MockTransport(invalid)) as client:
            await client.create_issue(title="", body="x")

    with pytest.raises(GitHubApiError, match=r"Validation Failed \(title: missing\)"):
        asyncio.run(go())


def test_server_errors_are_retried(fake: FakeGitHub) -> None:
    fake.fail_next(2, status=502)
    result = run(fake, lambda c: c.upsert_sticky_comment(7, MARKER, "plan"))
    assert result.action == "created"
    assert len(fake.comments(7)) == 1


def test_a_post_whose_connection_dropped_is_not_sent_twice() -> None:
    attempts: list[str] = []

    def drop(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    async def go() -> None:
        async with GitHubClient(REPO, TOKEN, transport=httpx.MockTransport(drop), retry_policy=NO_WAIT) as client:
            await client.create_issue_comment(7, "plan")

    with pytest.raises(GitHubApiError, match="no answer"):
        asyncio.run(go())
    assert attempts == ["POST"]


def test_the_token_is_masked_if_anything_echoes_it() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"message": f"bad header {request.headers['authorization']}"})

    async def go() -> None:
        async with GitHubClient(REPO, TOKEN, transport=httpx.MockTransport(echo)) as client:
            await client.list_issue_comments(1)

    with pytest.raises(GitHubApiError) as caught:
        asyncio.run(go())
    assert TOKEN not in str(caught.value)
    assert MASK in str(caught.value)


def test_a_repository_that_is_not_owner_slash_name_is_refused() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        GitHubClient("just-a-name", TOKEN)


# ---- configuration and the run's context ---------------------------------------------------------------------------


def test_the_client_is_configured_from_actions_variables(fake: FakeGitHub) -> None:
    environ = {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.api_url}

    async def go() -> Any:
        async with GitHubClient.from_environ(environ, transport=fake.transport()) as client:
            return await client.create_issue_comment(3, "hello")

    assert asyncio.run(go())["body"] == "hello"


@pytest.mark.parametrize("missing", ["GITHUB_TOKEN", "GITHUB_REPOSITORY"])
def test_a_missing_variable_is_named(missing: str) -> None:
    environ = {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN}
    del environ[missing]
    with pytest.raises(GitHubConfigError, match=missing):
        GitHubClient.from_environ(environ)


def _pull_request_event(tmp_path: Path, *, head_repo: str = REPO) -> Path:
    payload = payloads.pull_request(
        "opened",
        repository=REPO,
        number=12,
        head_ref="friendlier-greeting",
        head_sha="h" * 40,
        base_sha="b" * 40,
        head_repository=None if head_repo == REPO else head_repo,
    )
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


def test_the_context_of_a_pull_request_run(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    context = GitHubContext.from_environ(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(_pull_request_event(tmp_path)),
            "GITHUB_SHA": "m" * 40,
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_TOKEN": TOKEN,
        }
    )
    assert context.is_actions
    assert (context.pr_number, context.head_ref, context.head_sha, context.base_sha) == (
        12,
        "friendlier-greeting",
        "h" * 40,
        "b" * 40,
    )
    assert not context.is_fork
    assert context.can_write
    assert context.step_summary == summary


def test_a_pull_request_from_a_fork_cannot_write(tmp_path: Path) -> None:
    context = GitHubContext.from_environ(
        {
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(_pull_request_event(tmp_path, head_repo="stranger/agents")),
            "GITHUB_TOKEN": TOKEN,
        }
    )
    assert context.is_fork
    assert not context.can_write


def test_a_push_run_puts_statuses_on_github_sha() -> None:
    context = GitHubContext.from_environ({"GITHUB_REPOSITORY": REPO, "GITHUB_SHA": "p" * 40})
    assert context.head_sha == "p" * 40
    assert context.pr_number is None
    assert not context.is_actions


def test_an_unreadable_event_file_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "event.json"
    broken.write_text("{not json")
    with pytest.raises(EventError, match=r"event\.json:1:2"):
        GitHubContext.from_environ({"GITHUB_EVENT_PATH": str(broken)})


def test_a_context_without_a_token_cannot_make_a_client() -> None:
    with pytest.raises(GitHubConfigError, match="GITHUB_TOKEN"):
        GitHubContext.from_environ({"GITHUB_REPOSITORY": REPO}).client()


def test_the_context_client_talks_to_a_real_server_on_loopback(fake: FakeGitHub, tmp_path: Path) -> None:
    with fake.serve() as api_url:
        context = GitHubContext.from_environ(
            {
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_API_URL": api_url,
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_EVENT_PATH": str(_pull_request_event(tmp_path)),
            }
        )

        async def publish() -> None:
            async with context.client() as client:
                await client.upsert_sticky_comment(context.pr_number, MARKER, "plan over a socket")
                await client.create_commit_status(context.head_sha, state="pending", context="agentform/pr")

        asyncio.run(publish())
    assert [c["body"] for c in fake.comments(12)] == [f"{MARKER}\nplan over a socket"]
    assert [s["state"] for s in fake.statuses("h" * 40)] == ["pending"]


# ---- the fake is as strict as GitHub ------------------------------------------------------------------------------


def test_the_fake_answers_404_to_a_path_github_has_but_it_does_not_know(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubApiError) as raised:
        run(fake, lambda c: c._request("GET", f"/repos/{REPO}/pulls/7/reviews"))
    assert raised.value.status == 404


def test_the_fake_answers_422_to_a_comment_body_over_githubs_limit(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubApiError) as raised:
        run(fake, lambda c: c.create_issue_comment(7, "x" * 65_537))
    assert raised.value.status == 422 and fake.comments(7) == []


def test_the_merged_pull_request_of_a_commit_is_the_one_github_says_it_merged(fake: FakeGitHub) -> None:
    opened = payloads.pull_request(
        "opened", repository=REPO, number=12, head_ref="greeting", head_sha="h" * 40, base_sha="b" * 40
    )
    fake.put_pull(opened["pull_request"])
    assert run(fake, lambda c: c.merged_pull_request("h" * 40)) is None, "its head, not merged"
    fake.merge_pull(12, "m" * 40)
    assert run(fake, lambda c: c.merged_pull_request("m" * 40)) == 12
