"""Fixtures for the emulator's tests: an in-process client whose every response is checked against the SDK
models, a controllable clock, and a real uvicorn server on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.emulator.contracts import check_response
from tests.support.clock import FakeClock
from tests.support.emulator_server import serving

from agentform.emulator import DEV_API_KEY, create_app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> FastAPI:
    return create_app(":memory:", clock=clock)


def contract_client(app: FastAPI, **headers: str) -> TestClient:
    client = TestClient(app, headers={"xi-api-key": DEV_API_KEY, **headers}, raise_server_exceptions=True)
    client.event_hooks = {"request": [], "response": [check_response]}
    return client


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    """The emulator in-process; every /v1 response is validated against the official SDK's model."""
    with contract_client(app) as client:
        yield client


@pytest.fixture
def make_agent(api: TestClient):
    def make(**body: Any) -> str:
        body.setdefault("conversation_config", {"agent": {"prompt": {"prompt": "You are helpful."}}})
        response = api.post("/v1/convai/agents/create", json=body)
        assert response.status_code == 200, response.text
        return response.json()["agent_id"]

    return make


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The same app served by uvicorn on 127.0.0.1 (a free port); yields the base URL."""
    with serving(app) as base_url:
        yield base_url


def pytest_terminal_summary(terminalreporter) -> None:
    """Report which declared endpoint contracts the run actually exercised with a successful response."""
    from tests.emulator.contracts import CONTRACTS, checked

    if not checked:
        return
    exercised = {(method, template) for method, template, status in checked if status < 400}
    missing = sorted(set(CONTRACTS) - exercised)
    terminalreporter.write_line(
        f"emulator contracts: {len(exercised)}/{len(CONTRACTS)} endpoints validated against the SDK models"
        + (f"; not exercised: {missing}" if missing else "")
    )
