"""The emulator over real loopback HTTP (uvicorn), and the reusable `running_emulator` context manager."""

from __future__ import annotations

import httpx
from tests.support.emulator_server import running_emulator

from agentform.emulator import DEV_API_KEY


def test_running_emulator_serves_the_api_over_loopback_and_stops_cleanly():
    with running_emulator() as base_url:
        headers = {"xi-api-key": DEV_API_KEY}
        created = httpx.post(f"{base_url}/v1/convai/agents/create", json={"conversation_config": {}}, headers=headers)
        listed = httpx.get(f"{base_url}/v1/convai/agents", headers=headers)

    assert created.status_code == 200
    assert [a["agent_id"] for a in listed.json()["agents"]] == [created.json()["agent_id"]]
    try:
        httpx.get(f"{base_url}/v1/convai/agents", headers=headers, timeout=1)
        raise AssertionError("the server is still answering after the block")
    except httpx.TransportError:
        pass
