"""GitHub REST over httpx: PR comments (sticky, found by a hidden marker), commit statuses and issues.

Only what agentform's workflows need, as plain dicts in GitHub's own shapes. The token (the workflow's
`GITHUB_TOKEN`) goes into the Authorization header and nowhere else: every error message is built from the
method, the path and GitHub's `message`, and passed through a `Redactor` that knows the token. The transport is
injected like the ElevenLabs client's, so tests run against `tests/support/fake_github.py` in-process or on a
loopback port.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx

from agentform import __version__
from agentform.gitops.event import CiContext, ci_context_from_env
from agentform.redact import Redactor
from agentform.retrying import RetryingSender, RetryPolicy, RetryRules, SendingClient, describe_exception

DEFAULT_API_URL = "https://api.github.com"
StatusState = Literal["error", "failure", "pending", "success"]
# GitHub rejects longer commit-status descriptions with a 422.
STATUS_DESCRIPTION_LIMIT = 140
_PER_PAGE = 100
_RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# A server-given wait is honoured as given: GitHub's secondary rate limits name the moment to come back.
_DEFAULT_POLICY = RetryPolicy(max_retries=3, base_delay=1.0, max_delay=10.0, max_total_wait=30.0, retry_after_jitter=0)
logger = logging.getLogger("agentform.github")
# What a 403/404 on a write usually means inside Actions; GitHub's own message does not say.
_PERMISSION_HINT = (
    " (inside GitHub Actions: give the workflow `permissions:` pull-requests: write, issues: write and "
    "statuses: write; a pull request from a fork gets a read-only token)"
)


class GitHubError(Exception):
    """Base class of what the GitHub client raises."""


class GitHubApiError(GitHubError):
    """GitHub answered with an error status (`status`), or could not be reached (`status` None)."""

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        answer = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"GitHub {method} {path} failed with {answer}: {message}")


class GitHubConfigError(GitHubError):
    """A variable the GitHub client needs (GITHUB_TOKEN, GITHUB_REPOSITORY) is not set."""

    def __init__(self, variable: str) -> None:
        self.variable = variable
        super().__init__(f"${variable} is not set: GitHub comments, statuses and issues need it")


@dataclass(frozen=True)
class Upserted:
    """The comment or issue after an upsert, and what was done: created, updated, or unchanged."""

    item: dict[str, Any]
    action: Literal["created", "updated", "unchanged"]

    @property
    def id(self) -> int:
        return int(self.item.get("id") or self.item["number"])


def _retry_status(method: str, response: httpx.Response, retry_after: float | None) -> bool:
    # 403 and 429 with a wait are secondary rate limits; without one, a 403 is a permission answer.
    return response.status_code in _RETRYABLE_STATUSES or (
        response.status_code in (403, 429) and retry_after is not None
    )


def _retry_exception(method: str, error: httpx.HTTPError) -> bool:
    # Only a connection that never opened is safe to retry for a POST: a dropped one may have posted.
    return isinstance(error, httpx.ConnectError) or (method != "POST" and isinstance(error, httpx.TransportError))


GITHUB_RULES = RetryRules(retry_status=_retry_status, retry_exception=_retry_exception)


def has_marker(body: str | None, marker: str) -> bool:
    """Whether a comment is ours: its body *starts* with the marker (a reply quoting it has `> ` in front)."""
    return (body or "").lstrip().startswith(marker)


def with_marker(body: str, marker: str) -> str:
    return body if has_marker(body, marker) else f"{marker}\n{body}"


class GitHubClient(SendingClient):
    """An async client for one repository (`owner/name`); an async context manager (`SendingClient`)."""

    def __init__(
        self,
        repository: str,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        redactor: Redactor | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        owner, _, name = repository.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', not {repository!r}")
        self.repository = repository
        self.redactor = redactor if redactor is not None else Redactor()
        self.redactor.add(token)
        self._repo_path = f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={
                "authorization": f"Bearer {token}",
                "accept": "application/vnd.github+json",
                "x-github-api-version": "2022-11-28",
                "user-agent": f"agentform/{__version__}",
            },
        )
        self._sender = RetryingSender(
            self._http,
            retry_policy or _DEFAULT_POLICY,
            GITHUB_RULES,
            redactor=self.redactor,
            logger=logger,
            sleep=sleep,
        )

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], *, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
    ) -> GitHubClient:
        """From Actions' variables: GITHUB_REPOSITORY, GITHUB_TOKEN and (GitHub Enterprise) GITHUB_API_URL."""
        for variable in ("GITHUB_TOKEN", "GITHUB_REPOSITORY"):
            if not environ.get(variable):
                raise GitHubConfigError(variable)
        api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
        return cls(
            environ["GITHUB_REPOSITORY"], environ["GITHUB_TOKEN"], api_url=api_url, transport=transport, **kwargs
        )

    # ---- issue and PR comments ---------------------------------------------------------------------------------

    async def list_issue_comments(self, issue_number: int) -> list[dict[str, Any]]:
        """Every comment of an issue or pull request, oldest first (all pages)."""
        return await self._all_pages(f"{self._repo_path}/issues/{int(issue_number)}/comments")

    async def create_issue_comment(self, issue_number: int, body: str) -> dict[str, Any]:
        return await self._request("POST", f"{self._repo_path}/issues/{int(issue_number)}/comments", {"body": body})

    async def update_issue_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        return await self._request("PATCH", f"{self._repo_path}/issues/comments/{int(comment_id)}", {"body": body})

    async def upsert_sticky_comment(self, issue_number: int, marker: str, body: str) -> Upserted:
        """Edit our comment (the first starting with `marker`) in place, or create it; the marker is added if
        missing. An unchanged body sends no write, so re-running a job does not bump the comment."""
        body = with_marker(body, marker)
        existing = next(
            (c for c in await self.list_issue_comments(issue_number) if has_marker(c.get("body"), marker)), None
        )
        if existing is None:
            return Upserted(await self.create_issue_comment(issue_number, body), "created")
        if existing.get("body") == body:
            return Upserted(existing, "unchanged")
        return Upserted(await self.update_issue_comment(int(existing["id"]), body), "updated")

    # ---- commit statuses ---------------------------------------------------------------------------------------

    async def create_commit_status(
        self,
        sha: str,
        *,
        state: StatusState,
        context: str,
        description: str = "",
        target_url: str | None = None,
    ) -> dict[str, Any]:
        """Set the status `context` of a commit (a required check in branch protection blocks the merge on it)."""
        if state not in ("error", "failure", "pending", "success"):
            raise ValueError(f"commit status state must be error, failure, pending or success, not {state!r}")
        payload: dict[str, Any] = {"state": state, "context": context, "description": _shorten(description)}
        if target_url:
            payload["target_url"] = target_url
        return await self._request("POST", f"{self._repo_path}/statuses/{quote(sha, safe='')}", payload)

    # ---- pull requests -----------------------------------------------------------------------------------------

    async def merged_pull_request(self, sha: str) -> int | None:
        """The number of the PR that commit `sha` merged (a merge, squash or rebase commit), or None."""
        pulls = await self._all_pages(f"{self._repo_path}/commits/{quote(sha, safe='')}/pulls")
        merged = [pull for pull in pulls if pull.get("merged_at") and pull.get("merge_commit_sha") == sha]
        return int(merged[0]["number"]) if merged else None

    # ---- issues ------------------------------------------------------------------------------------------------

    async def list_issues(self, *, labels: Sequence[str] = (), state: str = "open") -> list[dict[str, Any]]:
        """Issues (not pull requests) carrying every label in `labels`; all pages."""
        params = {"state": state, **({"labels": ",".join(labels)} if labels else {})}
        items = await self._all_pages(f"{self._repo_path}/issues", params)
        # The issues endpoint also lists pull requests; they carry a `pull_request` key.
        return [item for item in items if "pull_request" not in item]

    async def create_issue(self, *, title: str, body: str, labels: Sequence[str] = ()) -> dict[str, Any]:
        payload = {"title": title, "body": body, "labels": list(labels)}
        return await self._request("POST", f"{self._repo_path}/issues", payload)

    async def update_issue(self, number: int, **fields: Any) -> dict[str, Any]:
        """PATCH an issue: `title`, `body`, `state` ("open" / "closed"), `labels`."""
        return await self._request("PATCH", f"{self._repo_path}/issues/{int(number)}", fields)

    async def find_issue(self, marker: str) -> dict[str, Any] | None:
        """The open issue agentform keeps under `marker`: found by the hidden marker its body starts with, not by a
        label or title a person may have changed or reused."""
        return next((issue for issue in await self.list_issues() if has_marker(issue.get("body"), marker)), None)

    async def open_or_update_issue(self, title: str, body: str, *, label: str, marker: str) -> Upserted:
        """The open issue with `marker` gets `body`; without one, it is opened with `label` (drift, rollbacks)."""
        body = with_marker(body, marker)
        issue = await self.find_issue(marker)
        if issue is None:
            return Upserted(await self.create_issue(title=title, body=body, labels=[label]), "created")
        if issue.get("body") == body:
            return Upserted(issue, "unchanged")
        return Upserted(await self.update_issue(int(issue["number"]), body=body), "updated")

    async def close_issue(self, marker: str, *, comment: str | None = None) -> dict[str, Any] | None:
        """Close the open issue with `marker` (drift resolved), with an optional last comment."""
        issue = await self.find_issue(marker)
        if issue is None:
            return None
        if comment:
            await self.create_issue_comment(int(issue["number"]), comment)
        return await self.update_issue(int(issue["number"]), state="closed")

    # ---- transport ---------------------------------------------------------------------------------------------

    async def _all_pages(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = path
        query: dict[str, Any] | None = {**(params or {}), "per_page": _PER_PAGE}
        while url:
            response = await self._send("GET", url, params=query)
            items.extend(response.json())
            # GitHub pages by RFC 8288 Link headers; the `next` URL already carries every query parameter.
            url = response.links.get("next", {}).get("url")
            query = None
        return items

    async def _request(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        response = await self._send(method, path, json=payload)
        return response.json() if response.content else {}

    async def _send(
        self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        sent = await self._sender.send(method, url, params=params, json=json)
        if sent.response is not None and sent.response.is_success:
            return sent.response
        path = httpx.URL(url).path
        if sent.response is None:
            raise GitHubApiError(method, path, None, describe_exception(sent.error, self.redactor)) from None
        raise self._error(method, path, sent.response)

    def _error(self, method: str, path: str, response: httpx.Response) -> GitHubApiError:
        try:
            data = response.json()
        except ValueError:
            data = {"message": response.text[:300] or response.reason_phrase}
        message = str(data.get("message") or response.reason_phrase) if isinstance(data, dict) else str(data)
        details = [
            f"{e.get('field')}: {e.get('message') or e.get('code')}"
            for e in (data.get("errors") or [] if isinstance(data, dict) else [])
            if isinstance(e, dict)
        ]
        if details:
            message += f" ({'; '.join(details)})"
        if response.status_code in (403, 404) and method != "GET":
            message += _PERMISSION_HINT
        return GitHubApiError(method, path, response.status_code, self.redactor.text(message))


def _shorten(text: str, limit: int = STATUS_DESCRIPTION_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- the run's context ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubContext:
    """The CI run as GitHub describes it (`gitops.event.CiContext`) plus what the REST client needs."""

    ci: CiContext
    token: str | None = None
    is_actions: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> GitHubContext:
        """Read GITHUB_REPOSITORY, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_SHA, GITHUB_STEP_SUMMARY,
        GITHUB_ACTIONS and GITHUB_TOKEN; raises `gitops.event.EventError` naming an unreadable event file."""
        return cls(
            ci=ci_context_from_env(environ),
            token=environ.get("GITHUB_TOKEN") or None,
            is_actions=environ.get("GITHUB_ACTIONS") == "true",
        )

    @property
    def repository(self) -> str | None:
        return self.ci.repository

    @property
    def pr_number(self) -> int | None:
        return self.ci.pull_request.number if self.ci.pull_request else None

    @property
    def head_sha(self) -> str | None:
        """The commit a status belongs on: the PR head (GITHUB_SHA is a merge commit for PRs), else GITHUB_SHA."""
        return self.ci.pull_request.head_sha if self.ci.pull_request else self.ci.sha

    @property
    def base_sha(self) -> str | None:
        return self.ci.pull_request.base_sha if self.ci.pull_request else None

    @property
    def head_ref(self) -> str | None:
        return self.ci.pull_request.head_ref if self.ci.pull_request else None

    @property
    def is_fork(self) -> bool:
        return bool(self.ci.pull_request and self.ci.pull_request.is_fork)

    @property
    def can_write(self) -> bool:
        """Whether comments and statuses can be posted: a token, a repository, and not a fork's read-only run."""
        return bool(self.token and self.repository and not self.is_fork)

    @property
    def step_summary(self) -> Path | None:
        return self.ci.step_summary

    def client(self, *, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> GitHubClient:
        if not self.token:
            raise GitHubConfigError("GITHUB_TOKEN")
        if not self.repository:
            raise GitHubConfigError("GITHUB_REPOSITORY")
        return GitHubClient(self.repository, self.token, api_url=self.ci.api_url, transport=transport, **kwargs)
