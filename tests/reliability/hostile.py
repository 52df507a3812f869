"""A hostile server: a real HTTP proxy in front of the emulator that misbehaves on the paths it is told to.

    proxy = HostileProxy(emulator_app)
    with serving(proxy) as base_url:
        proxy.misbehave("/v1/convai/agents", "null-list")

Modes (each on GET of a matching path, every other request is passed through unchanged):
- `endless-cursor`: every page says `has_more: true` with a fresh cursor;
- `trickle`: the real body, one byte every `trickle_secs`, for ever;
- `null-list` / `wrong-type`: the page's list becomes `null` / a list of strings;
- `truncated-json`: the first half of the real body;
- `html-200`: a maintenance page as 200 text/html;
- `huge`: a JSON body of `huge_bytes` (a long string field).
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
import json
from typing import Any

import httpx

LIST_KEYS = ("agents", "documents", "tools", "tests", "secrets", "results", "conversations")


class HostileProxy:
    """An ASGI app forwarding to `upstream` (another ASGI app) over `httpx.ASGITransport`."""

    def __init__(self, upstream: Any, *, trickle_secs: float = 0.2, huge_bytes: int = 80 * 1024 * 1024) -> None:
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream), base_url="http://upstream")
        self.rules: list[tuple[str, str]] = []
        self.trickle_secs = trickle_secs
        self.huge_bytes = huge_bytes
        self._cursors = itertools.count()
        self.hits = 0

    def misbehave(self, path_glob: str, mode: str) -> None:
        self.rules.append((path_glob, mode))

    def _mode(self, method: str, path: str) -> str | None:
        if method != "GET":
            return None
        return next((mode for glob, mode in self.rules if fnmatch.fnmatchcase(path, glob)), None)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k != b"host"]
        path, query = scope["path"], scope["query_string"].decode()
        mode = self._mode(scope["method"], path)
        if mode == "endless-cursor":  # our cursors mean nothing upstream: every page is its first page again
            query = "&".join(part for part in query.split("&") if not part.startswith("cursor="))
        upstream = await self._client.request(
            scope["method"], path + (f"?{query}" if query else ""), headers=headers, content=body
        )
        if mode is not None:
            self.hits += 1
        await self._answer(send, upstream, mode)

    async def _answer(self, send: Any, upstream: httpx.Response, mode: str | None) -> None:
        status, content = upstream.status_code, upstream.content
        content_type = upstream.headers.get("content-type", "application/json")
        if mode == "html-200":
            status, content_type = 200, "text/html"
            content = b"<html><body><h1>Down for maintenance</h1></body></html>"
        elif mode == "truncated-json":
            content = content[: len(content) // 2]
        elif mode == "huge":
            content = b'{"agents": [], "has_more": false, "padding": "' + b"x" * self.huge_bytes + b'"}'
        elif mode in ("endless-cursor", "null-list", "wrong-type"):
            content = json.dumps(self._page(json.loads(content), mode)).encode()
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type.encode())]}
        )
        if mode == "trickle":
            for index in range(len(content)):
                await send({"type": "http.response.body", "body": content[index : index + 1], "more_body": True})
                await asyncio.sleep(self.trickle_secs)
            while True:  # and never end
                await send({"type": "http.response.body", "body": b" ", "more_body": True})
                await asyncio.sleep(self.trickle_secs)
        await send({"type": "http.response.body", "body": content})

    def _page(self, page: dict[str, Any], mode: str) -> dict[str, Any]:
        key = next((k for k in LIST_KEYS if k in page), None)
        if key is None:
            return page
        if mode == "endless-cursor":
            return {**page, "has_more": True, "next_cursor": f"cursor-{next(self._cursors)}"}
        if mode == "null-list":
            return {**page, key: None}
        return {**page, key: [str(item) for item in page[key]] or ["not-an-object"]}
