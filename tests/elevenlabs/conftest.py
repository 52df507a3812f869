"""Helpers for client unit tests: a scripted fake API behind `httpx.MockTransport` and a sleep that only records."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from agentform.elevenlabs import ElevenLabsClient, RetryPolicy
from agentform.redact import Redactor

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


@pytest.fixture
def make_client() -> Callable[..., tuple[ElevenLabsClient, Recorder]]:
    """`make_client(handler, **client_kwargs)` -> (client, recorder); waits are recorded, never slept."""

    def make(handler: Handler, **kwargs: Any) -> tuple[ElevenLabsClient, Recorder]:
        recorder = Recorder(handler)
        kwargs.setdefault("retry_policy", RetryPolicy())
        kwargs.setdefault("rng", random.Random(7))
        kwargs.setdefault("redactor", Redactor())
        client = ElevenLabsClient(
            BASE_URL, API_KEY, transport=httpx.MockTransport(recorder), sleep=recorder.sleep, **kwargs
        )
        return client, recorder

    return make
