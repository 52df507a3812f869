"""Helpers for client tests: a scripted fake API behind `httpx.MockTransport` and a sleep that only records.

A plain module (not a package: `tests/elevenlabs/__init__.py` would shadow the official SDK's `elevenlabs`
package in the test process), imported as `tests.elevenlabs.client_fakes`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

API_KEY = "sk_test_0123456789abcdef"
BASE_URL = "https://api.elevenlabs.test"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """Records every request the client sends and every wait it asks for, and answers through `handler`."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def json_body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def answer(payload: Any = None, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def scripted(*responses: httpx.Response | Exception) -> Handler:
    """A handler that gives these answers in order (an exception is raised as a transport error)."""
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handle
