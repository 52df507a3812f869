"""The emulator application: routers over one SQLite store, wrapped by auth, fault injection and the request log.

The wrapping happens in `EmulatorApp.__call__`, outside FastAPI's own middleware stack, so that an injected
connection drop is not turned into a 500 by Starlette's error middleware and the request log sees the status
the client really got.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from agentform.emulator.common import Context
from agentform.emulator.faults import Fault, FaultBook
from agentform.emulator.store import Store
from agentform.emulator.validation import Implemented, Recorder, serve_validated

DEV_API_KEY = "sk_emulator_dev_0000000000000000000000000000"
# Names a file to which every app appends one JSON line per API request (see `validation.Recorder`).
RECORD_ENV = "AGENTFORM_EMULATOR_RECORD"


_ADMIN_PREFIX = "/_emulator"


class EmulatorApp(FastAPI):
    """FastAPI plus the emulator's outer layer (see the module docstring)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["path"].startswith(_ADMIN_PREFIX):
            # The admin API takes the same keys as the emulated API and is never logged.
            if self._authorised(scope):
                await super().__call__(scope, receive, send)
            else:
                await _send_json(send, 401, _UNAUTHORISED)
            return
        await self._serve_logged(scope, receive, send)

    def _authorised(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"xi-api-key":
                return value.decode("latin-1") in self.state.api_keys
        return False

    async def _serve_logged(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 0  # stays 0 when the connection is dropped without a response

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._serve(scope, receive, recording_send, send)
        finally:
            store: Store = self.state.emulator.store
            store.log_request(
                at=time.time(),
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
            )

    async def _serve(self, scope: Scope, receive: Receive, send: Send, raw_send: Send) -> None:
        if not self._authorised(scope):
            await _send_json(send, 401, _UNAUTHORISED)
            return
        faults: FaultBook = self.state.faults
        fired = faults.fire(scope["method"], scope["path"])
        for fault in fired:
            if fault.kind == "latency":
                await asyncio.sleep(fault.latency_ms / 1000)
        failure = next((f for f in fired if f.kind != "latency"), None)
        if failure is None:
            await self._handle(scope, receive, send)
            return
        if failure.when == "after":
            await self._handle(scope, receive, _discard)
        else:
            await _drain(receive)
        await _fail(failure, send, raw_send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The routes, behind the request validation against the OpenAPI document."""
        await serve_validated(self.state.implemented, scope, receive, send, super().__call__, self.state.recorder)


_UNAUTHORISED = {"detail": {"status": "invalid_api_key", "message": "Invalid or missing API key (xi-api-key)."}}


async def _drain(receive: Receive) -> None:
    """Read the request body the handler will never read: closing a socket with unread data sends a reset (the
    client would see ECONNRESET instead of a clean 'server disconnected')."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def _discard(message: Message) -> None:
    """The response of a handler whose answer an 'after' fault loses."""


async def _fail(fault: Fault, send: Send, raw_send: Send) -> None:
    if fault.kind == "drop":
        _drop_connection(raw_send)
        return
    headers: list[tuple[bytes, bytes]] = []
    if fault.status == 429:
        headers.append((b"retry-after", _seconds(fault.retry_after if fault.retry_after is not None else 1)))
        body = {"detail": {"status": "too_many_concurrent_requests", "message": "Injected rate limit."}}
    else:
        if fault.retry_after is not None:
            headers.append((b"retry-after", _seconds(fault.retry_after)))
        body = {"detail": {"status": "internal_error", "message": f"Injected fault ({fault.id})."}}
    await _send_json(send, fault.status, body, headers)


def _seconds(value: float) -> bytes:
    return (str(int(value)) if float(value).is_integer() else str(value)).encode()


def _drop_connection(raw_send: Send) -> None:
    """Close the socket without a response; in-process there is no socket, so fail the way httpx would."""
    # uvicorn's `send` is a bound method of its per-request cycle, which holds the asyncio transport.
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response (emulator fault).")
    transport.close()


async def _send_json(send: Send, status: int, body: Any, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def create_app(
    db_path: str = ":memory:",
    *,
    api_keys: Sequence[str] = (DEV_API_KEY,),
    eval_delay_secs: float = 0.0,
    clock: Callable[[], float] = time.time,
    record_to: str | None = None,
) -> FastAPI:
    """A new emulator app over the SQLite database at `db_path` (a file keeps state between runs).

    Everything the app needs lives on `app.state` (no module-level state), and the schema is created here rather
    than in a startup event, because httpx's ASGITransport does not send lifespan events. `record_to` (else the
    `AGENTFORM_EMULATOR_RECORD` environment variable) names a request record file.
    """
    from agentform.emulator.routes import ROUTERS

    app = EmulatorApp(title="agentform ElevenLabs emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.api_keys = frozenset(api_keys)
    app.state.faults = FaultBook()
    record = record_to or os.environ.get(RECORD_ENV)
    app.state.recorder = Recorder(record) if record else None
    app.state.emulator = Context(store=Store(db_path), clock=clock, eval_delay_secs=eval_delay_secs)
    for router in ROUTERS:
        app.include_router(router)
    app.state.implemented = Implemented(app.router.routes)
    return app
