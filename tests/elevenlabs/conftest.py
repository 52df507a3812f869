"""Fixtures of the client tests; the helpers themselves are in client_fakes.py."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.elevenlabs.client_fakes import API_KEY, BASE_URL, Handler, Recorder
from tests.support.emulator_server import running_emulator

from agentform.elevenlabs import ElevenLabsClient, RetryPolicy
from agentform.redact import Redactor


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


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """The emulator served on a free loopback port, one per test module (tests reset it as they need)."""
    with running_emulator() as base_url:
        yield base_url
