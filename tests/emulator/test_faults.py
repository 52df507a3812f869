"""Fault injection through the admin API: latency, 429 with Retry-After, 5xx, dropped connections, the Nth
matching request, seeded probabilistic failures; 'before' faults never run the handler, 'after' faults do."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient

from agentform.emulator import DEV_API_KEY

AGENTS = "/v1/convai/agents"
CREATE = "/v1/convai/agents/create"
BODY = {"conversation_config": {}}


def add_fault(api, **spec):
    response = api.post("/_emulator/faults", json=spec)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def agent_count(api):
    return len(api.get(AGENTS).json()["agents"])


def test_a_429_carries_retry_after_and_the_write_is_not_executed(api):
    add_fault(api, kind="status", status=429, retry_after=3, method="POST", path=CREATE, count=1)

    limited = api.post(CREATE, json=BODY)
    retried = api.post(CREATE, json=BODY)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert retried.status_code == 200
    assert agent_count(api) == 1


def test_only_the_nth_matching_request_fails(api):
    add_fault(api, kind="status", status=503, method="GET", path=f"{AGENTS}*", nth=2)

    statuses = [api.get(AGENTS).status_code for _ in range(4)]

    assert statuses == [200, 503, 200, 200]


def test_an_after_fault_executes_the_write_but_loses_the_response(api):
    add_fault(api, kind="status", status=502, method="POST", path=CREATE, when="after", count=1)

    lost = api.post(CREATE, json=BODY)

    assert lost.status_code == 502
    assert agent_count(api) == 1


def test_probabilistic_faults_replay_identically_with_the_same_seed(app, api):
    def pattern(seed):
        api.post("/_emulator/reset")
        add_fault(api, kind="status", status=500, method="GET", path=AGENTS, rate=0.5, seed=seed)
        return [api.get(AGENTS).status_code for _ in range(20)]

    first, again, other = pattern(7), pattern(7), pattern(8)

    assert first == again
    assert first != other
    assert 0 < first.count(500) < 20


def test_latency_delays_matching_requests(api):
    add_fault(api, kind="latency", latency_ms=150, path=AGENTS)
    log_mark = api.get("/_emulator/requests").json()["last_seq"]

    api.get(AGENTS)

    [entry] = api.get("/_emulator/requests", params={"since": log_mark}).json()["requests"]
    assert entry["duration_ms"] >= 150


def test_faults_can_be_listed_and_removed(api):
    fault_id = add_fault(api, kind="status", status=500, path=AGENTS)

    listed = api.get("/_emulator/faults").json()["faults"]
    api.delete(f"/_emulator/faults/{fault_id}")

    assert [f["id"] for f in listed] == [fault_id]
    assert api.get(AGENTS).status_code == 200


def test_a_dropped_connection_in_process_surfaces_as_an_httpx_transport_error(app, api):
    add_fault(api, kind="drop", method="POST", path=CREATE, count=1)

    async def call():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.post(CREATE, json=BODY, headers={"xi-api-key": DEV_API_KEY})

    with pytest.raises(httpx.TransportError):
        asyncio.run(call())
    assert agent_count(api) == 0


def test_a_dropped_connection_over_loopback_closes_the_socket_without_a_response(app, server):
    admin = TestClient(app, headers={"xi-api-key": DEV_API_KEY})
    admin.post("/_emulator/faults", json={"kind": "drop", "method": "POST", "path": CREATE, "count": 1})
    headers = {"xi-api-key": DEV_API_KEY}

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server}{CREATE}", json=BODY, headers=headers)
    after = httpx.post(f"{server}{CREATE}", json=BODY, headers=headers)

    assert after.status_code == 200
    log = admin.get("/_emulator/requests").json()["requests"]
    assert [e["status"] for e in log if e["method"] == "POST"] == [0, 200]


def test_an_invalid_fault_spec_is_rejected(api):
    assert api.post("/_emulator/faults", json={"kind": "explode"}).status_code == 422
