"""A local fake of the GitHub REST endpoints agentform uses, for tests; state in memory.

Interface (stable; the GitOps end-to-end tests use it):

    fake = FakeGitHub("octo/clinic", token="ghs_test")

    # In-process: any httpx client (sync or async) through a MockTransport.
    client = GitHubClient("octo/clinic", "ghs_test", api_url=fake.api_url, transport=fake.transport())

    # As a real HTTP server on a free loopback port (uvicorn in a thread), e.g. for a subprocess:
    with fake.serve() as api_url:          # "http://127.0.0.1:<port>"
        run(["agentform", "ci", "pr"], env={"GITHUB_API_URL": api_url, "GITHUB_TOKEN": "ghs_test", ...})

    # Inspection (plain dicts shaped like GitHub's answers, oldest first):
    fake.comments(7)          -> [{"id", "body", "user": {"login"}, "created_at", "updated_at", ...}]
    fake.statuses(sha)        -> [{"state", "context", "description", "target_url", ...}]
    fake.issues(state="open") -> [{"number", "title", "body", "labels": [{"name"}], "state", ...}]
    fake.requests             -> [(method, path), ...] every request received, including rejected ones

    # Seeding and faults:
    fake.add_comment(7, "LGTM", user="reviewer")     # a comment someone else wrote
    fake.add_issue("Drift", "...", labels=["agentform-drift"])
    fake.fail_next(2, status=502)                    # the next 2 requests answer 502
    fake.put_pull(event["pull_request"])             # a PR, as a delivered event describes it
    fake.merge_pull(7, merge_commit_sha)             # ...merged by that commit

Endpoints (paths under `/repos/{owner}/{repo}`, as documented at docs.github.com/rest):
    GET   /issues/{n}/comments        per_page (<=100, default 30), page; RFC 8288 `Link` header (next, last)
    POST  /issues/{n}/comments        {body}                      -> 201
    GET   /issues/comments/{id}
    PATCH /issues/comments/{id}       {body}
    POST  /statuses/{sha}             {state, context, description, target_url} -> 201
    GET   /commits/{sha}/statuses     newest first, like GitHub
    GET   /issues                     state (open|closed|all), labels (comma-separated, all must match), paging
    POST  /issues                     {title, body, labels}       -> 201
    PATCH /issues/{n}                 {title, body, state, labels}
    GET   /commits/{sha}/pulls        the PRs that commit is the head of or merged (known through `put_pull`)
    GET   /pulls/{n}

Requests need `Authorization: Bearer <token>` (or `token <token>`), else 401 `{"message": "Bad credentials"}`.
Another repository, or any path not listed above, answers 404 `{"message": "Not Found"}`; bodies GitHub rejects
(a missing or over-long comment/issue body or title, a bad status state, a status description over 140 characters)
answer 422 `{"message": "Validation Failed"}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

# GitHub refuses comment and issue bodies longer than this.
BODY_LIMIT = 65_536
STATUS_STATES = frozenset({"error", "failure", "pending", "success"})
_DOCS = "https://docs.github.com/rest"


class _Reply(Exception):
    """Raised inside a handler to answer with an error status."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.payload = {"message": message, "documentation_url": _DOCS, **extra}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _State:
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Pull requests by number, as the test delivered them in events (GitHub's own object).
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1000
    next_issue: int = 1


class FakeGitHub:
    """In-memory GitHub for one repository; see the module docstring for the interface."""

    def __init__(
        self, repository: str = "octo/clinic", *, token: str = "ghs_fake_token", user: str = "github-actions[bot]"
    ):
        self.repository = repository
        self.token = token
        self.user = user
        self.api_url = "https://api.github.test"
        self.requests: list[tuple[str, str]] = []
        self._state = _State()
        self._faults: list[int] = []
        self._lock = threading.Lock()
        prefix = re.escape(f"/repos/{repository}")
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., tuple[int, Any, dict[str, str]]]]] = [
            ("GET", re.compile(rf"{prefix}/issues/(\d+)/comments"), self._list_comments),
            ("POST", re.compile(rf"{prefix}/issues/(\d+)/comments"), self._create_comment),
            ("GET", re.compile(rf"{prefix}/issues/comments/(\d+)"), self._get_comment),
            ("PATCH", re.compile(rf"{prefix}/issues/comments/(\d+)"), self._update_comment),
            ("POST", re.compile(rf"{prefix}/statuses/([0-9A-Za-z]+)"), self._create_status),
            ("GET", re.compile(rf"{prefix}/commits/([0-9A-Za-z]+)/statuses"), self._list_statuses),
            ("GET", re.compile(rf"{prefix}/issues"), self._list_issues),
            ("POST", re.compile(rf"{prefix}/issues"), self._create_issue),
            ("PATCH", re.compile(rf"{prefix}/issues/(\d+)"), self._update_issue),
            ("GET", re.compile(rf"{prefix}/commits/([0-9A-Za-z]+)/pulls"), self._pulls_of_commit),
            ("GET", re.compile(rf"{prefix}/pulls/(\d+)"), self._get_pull),
        ]

    # ---- inspection and seeding -------------------------------------------------------------------------------

    def comments(self, issue_number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._state.comments.values() if c["issue_number"] == issue_number]

    def statuses(self, sha: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self._state.statuses if s["sha"] == sha]

    def issues(self, *, state: str = "all") -> list[dict[str, Any]]:
        with self._lock:
            return [dict(i) for i in self._state.issues.values() if state == "all" or i["state"] == state]

    def add_comment(self, issue_number: int, body: str, *, user: str = "someone") -> dict[str, Any]:
        with self._lock:
            return dict(self._new_comment(issue_number, body, user))

    def add_issue(
        self, title: str, body: str = "", *, labels: tuple[str, ...] | list[str] = (), state: str = "open"
    ) -> dict[str, Any]:
        with self._lock:
            issue = self._new_issue(title, body, list(labels))
            issue["state"] = state
            return dict(issue)

    def put_pull(self, pull_request: dict[str, Any]) -> None:
        """Know a pull request: the `pull_request` object of a delivered event (GitHub's REST object has its shape)."""
        with self._lock:
            self._state.pulls[int(pull_request["number"])] = json.loads(json.dumps(pull_request))

    def merge_pull(self, number: int, merge_commit_sha: str) -> None:
        """Mark a known pull request merged by `merge_commit_sha`, as GitHub does when its merge is pushed."""
        with self._lock:
            pull = self._state.pulls[number]
            pull.update(
                state="closed", merged=True, merge_commit_sha=merge_commit_sha, merged_at=_now(), closed_at=_now()
            )

    def fail_next(self, count: int = 1, *, status: int = 502) -> None:
        """The next `count` requests (whatever they are) answer `status` with GitHub's error shape."""
        with self._lock:
            self._faults.extend([status] * count)

    # ---- transports ------------------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An in-process transport for `httpx.Client` or `httpx.AsyncClient`."""
        return httpx.MockTransport(self.handle)

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Run the fake as a real HTTP server on a free loopback port; yields its base URL."""
        import uvicorn

        # Bound here (port 0) and handed to uvicorn: no window in which another process could take the port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.asgi_app, log_level="warning", interface="asgi3", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake GitHub server did not start")
            time.sleep(0.01)
        previous = self.api_url
        self.api_url = f"http://127.0.0.1:{port}"
        try:
            yield self.api_url
        finally:
            self.api_url = previous
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    async def asgi_app(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        """A minimal ASGI app around `handle`, so the server and the in-process transport share one code path."""
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = [(key.decode("latin-1"), value.decode("latin-1")) for key, value in scope["headers"]]
        host = dict(headers).get("host", "127.0.0.1")
        url = f"http://{host}{scope['path']}" + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        request = httpx.Request(scope["method"], url, headers=headers, content=b"".join(chunks))
        response = await asyncio.to_thread(self.handle, request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": response.content})

    # ---- request handling ------------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request like GitHub would."""
        path = request.url.path
        with self._lock:
            self.requests.append((request.method, path))
            try:
                if self._faults:
                    raise _Reply(self._faults.pop(0), "Server Error (injected)")
                self._authenticate(request)
                status, payload, headers = self._route(request)
            except _Reply as reply:
                return httpx.Response(reply.status, json=reply.payload)
        return httpx.Response(status, json=payload, headers=headers)

    def _authenticate(self, request: httpx.Request) -> None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or credentials != self.token:
            raise _Reply(401, "Bad credentials")

    def _route(self, request: httpx.Request) -> tuple[int, Any, dict[str, str]]:
        path = request.url.path.rstrip("/")
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match:
                allowed = True
                if method == request.method:
                    return handler(request, *match.groups())
        raise _Reply(405 if allowed else 404, "Not Found" if not allowed else "Method Not Allowed")

    def _new_comment(self, issue_number: int, body: str, user: str) -> dict[str, Any]:
        self._state.next_id += 1
        comment_id = self._state.next_id
        stamp = _now()
        comment = {
            "id": comment_id,
            "issue_number": issue_number,
            "body": body,
            "user": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
            "created_at": stamp,
            "updated_at": stamp,
            "html_url": f"https://github.com/{self.repository}/issues/{issue_number}#issuecomment-{comment_id}",
        }
        self._state.comments[comment_id] = comment
        return comment

    def _new_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        number = self._state.next_issue
        self._state.next_issue += 1
        stamp = _now()
        issue = {
            "number": number,
            "title": title,
            "body": body,
            "labels": [{"name": label} for label in labels],
            "state": "open",
            "user": {"login": self.user},
            "created_at": stamp,
            "updated_at": stamp,
            "html_url": f"https://github.com/{self.repository}/issues/{number}",
        }
        self._state.issues[number] = issue
        return issue

    def _list_comments(self, request: httpx.Request, number: str) -> tuple[int, Any, dict[str, str]]:
        items = [c for c in self._state.comments.values() if c["issue_number"] == int(number)]
        return _page(request, items)

    def _create_comment(self, request: httpx.Request, number: str) -> tuple[int, Any, dict[str, str]]:
        body = _field(request, "body", str)
        return 201, self._new_comment(int(number), body, self.user), {}

    def _get_comment(self, request: httpx.Request, comment_id: str) -> tuple[int, Any, dict[str, str]]:
        return 200, self._comment(comment_id), {}

    def _update_comment(self, request: httpx.Request, comment_id: str) -> tuple[int, Any, dict[str, str]]:
        comment = self._comment(comment_id)
        comment["body"] = _field(request, "body", str)
        comment["updated_at"] = _now()
        return 200, comment, {}

    def _comment(self, comment_id: str) -> dict[str, Any]:
        comment = self._state.comments.get(int(comment_id))
        if comment is None:
            raise _Reply(404, "Not Found")
        return comment

    def _create_status(self, request: httpx.Request, sha: str) -> tuple[int, Any, dict[str, str]]:
        data = _json(request)
        if data.get("state") not in STATUS_STATES:
            raise _Reply(422, "Validation Failed", errors=[{"field": "state", "code": "invalid"}])
        description = data.get("description")
        if description is not None and len(description) > 140:
            raise _Reply(422, "Validation Failed", errors=[{"field": "description", "code": "custom"}])
        self._state.next_id += 1
        status = {
            "id": self._state.next_id,
            "sha": sha,
            "state": data["state"],
            "context": data.get("context") or "default",
            "description": description,
            "target_url": data.get("target_url"),
            "created_at": _now(),
        }
        self._state.statuses.append(status)
        return 201, status, {}

    def _list_statuses(self, request: httpx.Request, sha: str) -> tuple[int, Any, dict[str, str]]:
        return _page(request, [s for s in reversed(self._state.statuses) if s["sha"] == sha])

    def _pulls_of_commit(self, request: httpx.Request, sha: str) -> tuple[int, Any, dict[str, str]]:
        """`GET /commits/{sha}/pulls`: the PRs whose head is the commit or that it merged (newest first)."""
        found = [
            pull
            for pull in self._state.pulls.values()
            if sha in (pull.get("merge_commit_sha"), (pull.get("head") or {}).get("sha"))
        ]
        return _page(request, sorted(found, key=lambda pull: -pull["number"]))

    def _get_pull(self, request: httpx.Request, number: str) -> tuple[int, Any, dict[str, str]]:
        pull = self._state.pulls.get(int(number))
        if pull is None:
            raise _Reply(404, "Not Found")
        return 200, pull, {}

    def _list_issues(self, request: httpx.Request) -> tuple[int, Any, dict[str, str]]:
        state = request.url.params.get("state", "open")
        wanted = {label for label in request.url.params.get("labels", "").split(",") if label}
        items = [
            issue
            for issue in self._state.issues.values()
            if (state == "all" or issue["state"] == state) and wanted <= {label["name"] for label in issue["labels"]}
        ]
        return _page(request, items)

    def _create_issue(self, request: httpx.Request) -> tuple[int, Any, dict[str, str]]:
        title = _field(request, "title", str)
        data = _json(request)
        if len(data.get("body") or "") > BODY_LIMIT:
            raise _Reply(422, "Validation Failed", errors=[{"resource": "Issue", "field": "body", "code": "custom"}])
        labels = [label if isinstance(label, str) else label.get("name") for label in data.get("labels") or []]
        return 201, self._new_issue(title, data.get("body") or "", labels), {}

    def _update_issue(self, request: httpx.Request, number: str) -> tuple[int, Any, dict[str, str]]:
        issue = self._state.issues.get(int(number))
        if issue is None:
            raise _Reply(404, "Not Found")
        data = _json(request)
        if "state" in data and data["state"] not in ("open", "closed"):
            raise _Reply(422, "Validation Failed", errors=[{"field": "state", "code": "invalid"}])
        for key in ("title", "body", "state"):
            if key in data:
                issue[key] = data[key]
        if "labels" in data:
            issue["labels"] = [{"name": name} for name in data["labels"]]
        issue["updated_at"] = _now()
        return 200, issue, {}


def _json(request: httpx.Request) -> dict[str, Any]:
    try:
        data = json.loads(request.content or b"{}")
    except ValueError as error:
        raise _Reply(400, "Problems parsing JSON") from error
    if not isinstance(data, dict):
        raise _Reply(400, "Problems parsing JSON")
    return data


def _field(request: httpx.Request, name: str, kind: type) -> Any:
    value = _json(request).get(name)
    if not isinstance(value, kind) or value == "":
        raise _Reply(422, "Validation Failed", errors=[{"resource": "Issue", "field": name, "code": "missing_field"}])
    if name == "body" and len(value) > BODY_LIMIT:
        raise _Reply(422, "Validation Failed", errors=[{"resource": "IssueComment", "field": "body", "code": "custom"}])
    return value


def _page(request: httpx.Request, items: list[dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
    """One page of `items` and GitHub's `Link` header (absolute URLs, rel next/last)."""
    params = request.url.params
    per_page = max(1, min(100, int(params.get("per_page", 30))))
    page = max(1, int(params.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    links = []
    base = str(request.url.copy_with(query=None))
    other = [(key, value) for key, value in params.multi_items() if key not in ("page", "per_page")]
    if page < last:
        links.append(f'<{base}?{urlencode([*other, ("per_page", per_page), ("page", page + 1)])}>; rel="next"')
        links.append(f'<{base}?{urlencode([*other, ("per_page", per_page), ("page", last)])}>; rel="last"')
    headers = {"link": ", ".join(links)} if links else {}
    return 200, items[(page - 1) * per_page : page * per_page], headers
