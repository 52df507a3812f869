"""Request validation against ElevenLabs' OpenAPI document, before any handler runs.

Every request to an operation the emulator implements and the document defines is judged as the real API judges
it (path and query parameters, JSON or multipart body; `agentform.openapi`): an invalid one gets 422 with FastAPI's
`{"detail": [{"loc", "msg", "type"}]}` and never reaches the handler, so nothing is stored. The check is generic:
a route added later is covered as soon as its operation is in the document.

With a record file (`create_app(record_to=)` or `AGENTFORM_EMULATOR_RECORD`), each `/v1` request is appended
as one JSON line: method, path, user agent, the document's operation (null when it has none) and the problems
found. The contract tests read it to prove that every request agentform sent conforms.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from agentform.openapi import Operation, load_document

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


class Recorder:
    """Appends one JSON line per request to a file shared by every app and process that names it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)


class Implemented:
    """Which operations of the document the app's routes serve, decided once per operation (not per request)."""

    def __init__(self, routes: list[Any]) -> None:
        self.routes = routes
        self._known: dict[tuple[str, str], bool] = {}

    def __call__(self, scope: Scope, operation: Operation) -> bool:
        # Every path of one operation's template reaches the same route: the first request decides for all.
        key = (operation.method, operation.template)
        if key not in self._known:
            self._known[key] = any(route.matches(scope)[0] == Match.FULL for route in self.routes)
        return self._known[key]


async def serve_validated(
    implemented: Implemented, scope: Scope, receive: Receive, send: Send, handler: Handler, recorder: Recorder | None
) -> None:
    """Run `handler` if the request is valid for its operation; else answer 422 without running it."""
    document = load_document()
    operation = document.find(scope["method"], scope["path"])
    if operation is None or not implemented(scope, operation):
        _record(recorder, scope, operation, [])
        await handler(scope, receive, send)
        return
    raw = await _read_body(receive)
    replay = _replaying(raw)
    body = await _parsed_body(scope, raw)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    details = (
        [] if body is _UNPARSABLE else document.check_request(operation, scope["path"], query, body, _ctype(scope))
    )
    _record(recorder, scope, operation, details)
    if details:
        await _send_422(send, details)
    else:
        await handler(scope, replay, send)


_UNPARSABLE = object()  # left to FastAPI, which answers a malformed JSON body with its own 422


def _ctype(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1")
    return None


def _header(scope: Scope, wanted: bytes) -> str:
    return next((value.decode("latin-1") for name, value in scope["headers"] if name == wanted), "")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replaying(raw: bytes) -> Receive:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return receive


async def _parsed_body(scope: Scope, raw: bytes) -> Any:
    kind = (_ctype(scope) or "").split(";")[0].strip().lower()
    if kind.startswith("multipart/") or kind == "application/x-www-form-urlencoded":
        form = await Request(scope, _replaying(raw)).form()
        try:
            fields: dict[str, Any] = {}
            for key in form:
                values = [value if isinstance(value, str) else b"<file>" for value in form.getlist(key)]
                fields[key] = values if len(values) > 1 else values[0]
            return fields
        finally:
            await form.close()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _UNPARSABLE


def _record(recorder: Recorder | None, scope: Scope, operation: Operation | None, details: list[dict]) -> None:
    if recorder is None or not scope["path"].startswith("/v1/"):
        return
    recorder.write(
        {
            "method": scope["method"],
            "path": scope["path"],
            "user_agent": _header(scope, b"user-agent"),
            "operation": operation.template if operation else None,
            "problems": details,
        }
    )


async def _send_422(send: Send, details: list[dict[str, Any]]) -> None:
    payload = json.dumps({"detail": details}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
