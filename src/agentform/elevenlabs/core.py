"""The request machinery under every API method: auth, bounded concurrency, retries, errors, pagination.

Resource methods (agents.py, knowledge.py, ...) call `_call` / `_pages` with a path and a short description of
the resource; nothing above this module sees httpx responses. The transport is httpx's seam: the network by
default, `httpx.ASGITransport` for the in-process emulator, `httpx.MockTransport` in unit tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import random
import socket
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from agentform import __version__
from agentform.elevenlabs.errors import (
    ResponseShapeError,
    TransportFailure,
    api_error,
    error_message,
    parse_body,
)
from agentform.redact import Redactor
from agentform.retrying import (
    ELEVENLABS_RULES,
    RetryingSender,
    RetryPolicy,
    SendingClient,
    Sleep,
    describe_exception,
)

logger = logging.getLogger("agentform.elevenlabs")

PAGE_SIZE = 100
# No list agentform reads comes near this many pages (100 000 items); a server that keeps answering "more" past it
# is broken or hostile, and the read stops with an error instead of running for ever.
MAX_PAGES = 1000
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The API key is the one header that must never reach a log line or an exception.
_API_KEY_HEADER = "xi-api-key"


def segment(value: str) -> str:
    """An id as one URL path segment: ids come from files and API answers, and a `/` must not change the path."""
    return quote(str(value), safe="")


def query(**params: Any) -> dict[str, Any]:
    """Query parameters without the None values (the API treats "absent" and "null" differently)."""
    return {key: value for key, value in params.items() if value is not None}


def compact(**fields: Any) -> dict[str, Any]:
    """A JSON body without the fields left at None: absent fields are left unchanged by PATCH."""
    return {key: value for key, value in fields.items() if value is not None}


def network_transport(parallelism: int) -> httpx.AsyncHTTPTransport:
    """httpx's network transport with one keep-alive connection per worker and TCP_NODELAY on every socket.

    Without TCP_NODELAY a request whose headers and body leave in two writes waits for the server's delayed ACK
    (Nagle's algorithm): about 40 ms per PATCH or POST over loopback, more than the request itself. TLS
    verification, proxies from the environment and HTTP/1.1 stay httpx's defaults.
    """
    return httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )


class ClientCore(SendingClient):
    """Owns the `httpx.AsyncClient`; sends one logical request as up to `max_retries + 1` attempts."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        parallelism: int = 8,
        max_retries: int | None = None,
        timeout: float = 30.0,
        redactor: Redactor | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.redactor = redactor if redactor is not None else Redactor()
        # The key joins the caller's redactor, so every renderer that shares it masks the key too.
        self.redactor.add(api_key)
        # `max_retries` (the documented knob) overrides the policy's; without either, RetryPolicy's default of 5.
        policy = retry_policy or RetryPolicy()
        self.retry_policy = policy if max_retries is None else dataclasses.replace(policy, max_retries=max_retries)
        self.parallelism = parallelism
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport if transport is not None else network_transport(parallelism),
            timeout=httpx.Timeout(timeout),
            headers={
                _API_KEY_HEADER: api_key,
                "accept": "application/json",
                "user-agent": f"agentform/{__version__}",
            },
        )
        self._sender = RetryingSender(
            self._http,
            self.retry_policy,
            ELEVENLABS_RULES,
            redactor=self.redactor,
            logger=logger,
            limit=asyncio.Semaphore(parallelism),
            attempt_timeout=timeout,
            sleep=sleep,
            rng=rng,
        )

    @property
    def request_counts(self) -> Counter[str]:
        """`request_count` split by method."""
        return self._sender.request_counts

    @property
    def retry_counts(self) -> Counter[str]:
        """Attempts after the first, by method: a retried POST may have created twice (docs/decisions/0053)."""
        return self._sender.retry_counts

    @property
    def write_count(self) -> int:
        """Requests sent with a method that may change live state (POST, PUT, PATCH, DELETE)."""
        return sum(count for method, count in self.request_counts.items() if method in _WRITE_METHODS)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        resource: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send a request (with retries) and return its JSON body, its text when not JSON, or None when empty."""
        response = await self._send(method, path, resource=resource, params=params, json=json, files=files, data=data)
        body = parse_body(response.content, response.headers.get("content-type", ""))
        if isinstance(body, str) or (body is None and method == "GET"):
            kind = (response.headers.get("content-type") or "no content type").split(";")[0]
            what = "an empty body" if body is None else f"{kind} that is not JSON ({len(response.content)} bytes)"
            raise ResponseShapeError(method, path, resource, what)
        return body

    async def _text(self, path: str, *, resource: str) -> str:
        """GET an endpoint that answers plain text (document content)."""
        response = await self._send("GET", path, resource=resource)
        return response.text

    async def _create_folder(self, path: str, kind: str, name: str, parent_folder_id: str | None) -> dict[str, Any]:
        """POST `{name, parent_folder_id?}`: how both the knowledge base and agent testing make a folder."""
        return await self._call(
            "POST",
            path,
            resource=f"new {kind} {name!r}",
            json={"name": name, **compact(parent_folder_id=parent_folder_id)},
        )

    async def _pages(
        self,
        path: str,
        items_key: str,
        *,
        resource: str,
        params: Mapping[str, Any] | None = None,
        limit: int | None = None,
        id_key: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a cursor-paginated list: follow `next_cursor` while `has_more` (or up to `limit` items).

        `id_key` names the id every item must carry (a string): identity is decided on it, so an item without one
        is an error, not an item to skip.
        """
        collected = await self._collect(path, (items_key,), resource=resource, params=params, limit=limit)
        items = collected[items_key]
        if id_key is not None:
            _check_ids(items, items_key, id_key, _Walk(path, resource, {}))
        return items

    async def _collect(
        self,
        path: str,
        keys: tuple[str, ...],
        *,
        resource: str,
        params: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """The lists under `keys` of every page, concatenated; `limit` caps the first key's items."""
        collected: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
        first = collected[keys[0]]
        walk = _Walk(path, resource, dict(params or {}))
        while True:
            page_size = PAGE_SIZE if limit is None else max(1, min(PAGE_SIZE, limit - len(first)))
            page = await self._page(walk, page_size)
            for key in keys:
                collected[key].extend(_items(page, key, walk, required=key == keys[0]))
            if limit is not None and len(first) >= limit:
                del first[limit:]
                return collected
            if walk.done:
                return collected

    async def _listing(
        self,
        path: str,
        items_key: str,
        *,
        resource: str,
        params: Mapping[str, Any],
        expected: int,
        id_key: str,
        created_at: Callable[[dict[str, Any]], Any],
    ) -> list[dict[str, Any]]:
        """Every item of a list, paged as the client sees fit for the `expected` length: from both ends when that is
        more than a page (fewer round trips), else one cursor chain (one request less for a single page)."""
        if expected > PAGE_SIZE:
            return await self._pages_from_both_ends(
                path, items_key, resource=resource, params=params, id_key=id_key, created_at=created_at
            )
        return await self._pages(path, items_key, resource=resource, params=params, id_key=id_key)

    async def _delete(self, path: str, *, resource: str, force: bool) -> None:
        """DELETE a resource; `force` also detaches it from the agents that use it (the API refuses otherwise)."""
        await self._call("DELETE", path, resource=resource, params=query(force=True if force else None))

    async def _dependents(self, path: str, *, resource: str) -> dict[str, Any]:
        """`{agents, branches}` that reference a document or tool, all pages merged."""
        return await self._collect(f"{path}/dependent-agents", ("agents", "branches"), resource=resource)

    async def _pages_from_both_ends(
        self,
        path: str,
        items_key: str,
        *,
        resource: str,
        id_key: str,
        created_at: Callable[[dict[str, Any]], Any],
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a long list, read oldest-first and newest-first at once: n pages in about n/2 round trips.

        A cursor chain is sequential (each page needs the previous page's cursor), so two chains from opposite ends
        halve the wait. They may stop once the oldest-first chain has reached a creation time strictly later than
        the newest-first chain has come down to: every item is older than the one side's last item or newer than
        the other's. Equal times prove nothing (the order within one second is the server's), so ties read on
        until one chain ends. `id_key` names an item's id field; `created_at` gives its creation time as the list
        shows it (docs/decisions/0055).
        """
        oldest = _Walk(path, resource, {**(params or {}), "sort_by": "created_at", "sort_direction": "asc"})
        newest = _Walk(path, resource, {**(params or {}), "sort_by": "created_at", "sort_direction": "desc"})
        rising: list[dict[str, Any]] = []
        falling: list[dict[str, Any]] = []
        while True:
            up, down = await asyncio.gather(self._page(oldest, PAGE_SIZE), self._page(newest, PAGE_SIZE))
            rising.extend(_items(up, items_key, oldest, required=True))
            falling.extend(_items(down, items_key, newest, required=True))
            if oldest.done or newest.done:
                _check_ids(rising + falling, items_key, id_key, oldest)
            if oldest.done:
                return rising
            if newest.done:
                return falling[::-1]
            if _crossed(rising, falling, created_at):
                _check_ids(rising + falling, items_key, id_key, oldest)
                seen = {item.get(id_key) for item in rising}
                return rising + [item for item in reversed(falling) if item.get(id_key) not in seen]

    async def _page(self, walk: _Walk, page_size: int) -> dict[str, Any]:
        """The next page of `walk`, which is advanced to the page's cursor."""
        params = {**walk.params, **query(page_size=page_size, cursor=walk.cursor)}
        page = await self._call("GET", walk.path, resource=walk.resource, params=params)
        if not isinstance(page, dict):
            raise walk.error(f"a {type(page).__name__}, not a page object")
        walk.advance(page)
        return page

    async def _send(self, method: str, path: str, *, resource: str, **request: Any) -> httpx.Response:
        """One logical request as attempts; `request` holds `build_request`'s keywords (params, json, files, data)."""
        sent = await self._sender.send(method, path, **request)
        if sent.response is not None:
            if sent.response.is_success:
                return sent.response
            raise self._api_error(sent.response, method, path, resource, sent.attempts)
        reason = describe_exception(sent.error, self.redactor)
        raise TransportFailure(method, path, resource, reason, attempts=sent.attempts) from None

    def _api_error(self, response: httpx.Response, method: str, path: str, resource: str, attempts: int) -> Exception:
        parsed = self.redactor.data(parse_body(response.content, response.headers.get("content-type", "")))
        message = self.redactor.text(error_message(parsed, response.reason_phrase or "error"))
        return api_error(response.status_code, method, path, resource, message, body=parsed, attempts=attempts)


class _Walk:
    """Where one cursor chain through a list stands: its fixed query, the next cursor, whether it has ended."""

    def __init__(self, path: str, resource: str, params: dict[str, Any]) -> None:
        self.path, self.resource, self.params = path, resource, params
        self.cursor: str | None = None
        self.done = False
        self._seen: set[str] = set()

    def error(self, problem: str) -> ResponseShapeError:
        return ResponseShapeError("GET", self.path, self.resource, problem)

    def advance(self, page: dict[str, Any]) -> None:
        """Move to the page's cursor; a chain that cannot end (a cursor again, past `MAX_PAGES`) is an error."""
        cursor = page.get("next_cursor")
        # Some lists (workspace secrets) have no `has_more`: a cursor alone says there is more.
        if not page.get("has_more", cursor is not None) or not cursor:
            self.done = True
            return
        if not isinstance(cursor, str):
            raise self.error(f"next_cursor: a {type(cursor).__name__}, not a string")
        if cursor in self._seen:
            raise self.error(f"the page cursor {cursor[:40]!r} a second time: the list would never end")
        self._seen.add(cursor)
        if len(self._seen) >= MAX_PAGES:
            raise self.error(f"more than {MAX_PAGES} pages (has_more never became false): the list would never end")
        self.cursor = cursor


def _items(page: dict[str, Any], key: str, walk: _Walk, *, required: bool) -> list[dict[str, Any]]:
    """The list under `key`, checked: a null or missing list is an error, never "empty" (that would plan creates
    of everything), and so is an item that is not an object."""
    value = page.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        shown = "missing" if key not in page else "null" if value is None else f"a {type(value).__name__}"
        raise walk.error(f"{key}: {shown}, not a list")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise walk.error(f"{key}[{index}]: a {type(item).__name__}, not an object")
    return value


# The fields of listed items that identity is decided on (markers in tags and names, configs of tools): a value of
# another type would make our own resource look foreign, and the plan would create it again.
_ITEM_FIELDS: dict[str, dict[str, type]] = {
    "agents": {"tags": list, "name": str},
    "documents": {"name": str, "type": str},
    "tools": {"tool_config": dict},
    "tests": {"name": str},
    "secrets": {"name": str},
}


def _check_ids(items: list[dict[str, Any]], key: str, id_key: str, walk: _Walk) -> None:
    """Every item carries its id, and the fields identity reads have their type (absent or null is allowed)."""
    fields = _ITEM_FIELDS.get(key, {})
    for index, item in enumerate(items):
        value = item.get(id_key)
        if not isinstance(value, str) or not value:
            shown = "missing" if id_key not in item else f"{value!r}"[:40]
            raise walk.error(f"{key}[{index}].{id_key}: {shown}, not an id")
        for field, kind in fields.items():
            found = item.get(field)
            if found is not None and not isinstance(found, kind):
                raise walk.error(f"{key}[{index}].{field}: a {type(found).__name__}, not a {kind.__name__}")
        tags = item.get("tags")
        if isinstance(tags, list) and not all(isinstance(tag, str) for tag in tags):
            raise walk.error(f"{key}[{index}].tags: not a list of strings")


def _crossed(
    rising: list[dict[str, Any]], falling: list[dict[str, Any]], created_at: Callable[[dict[str, Any]], Any]
) -> bool:
    """True when the oldest-first chain has passed the newest-first one: nothing can lie between them.

    Only when both chains really are in creation order as far as they went: a server that sorted otherwise
    (ignoring `sort_by`) proves nothing by its last items, and is read until a chain ends.
    """
    up = [created_at(item) for item in rising]
    down = [created_at(item) for item in falling]
    if not up or not down or not all(isinstance(t, int | float) for t in (*up, *down)):
        return False
    in_order = all(a <= b for a, b in itertools.pairwise(up)) and all(a >= b for a, b in itertools.pairwise(down))
    return in_order and up[-1] > down[-1]
