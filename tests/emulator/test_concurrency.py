"""16 clients hammer a real `agentform emulator serve` process with mixed writes: no write is lost, no 500.

The duration defaults to 8 s so that CI stays fast; AGENTFORM_EMULATOR_HAMMER_SECS=30 runs the full soak.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import httpx
import pytest
from tests.support.emulator_server import serve_process as serve
from tests.support.emulator_server import stop_process as stop

from agentform.emulator import DEV_API_KEY

pytestmark = pytest.mark.e2e

CLIENTS = 16
DURATION = float(os.environ.get("AGENTFORM_EMULATOR_HAMMER_SECS", "8"))
HEADERS = {"xi-api-key": DEV_API_KEY}


def placeholders(agent: dict) -> dict:
    return agent["conversation_config"]["agent"]["dynamic_variables"]["dynamic_variable_placeholders"]


def hammer(base_url: str, agent_id: str, index: int, stop_at: float, results: dict) -> None:
    """One client: PATCH its own key on the shared agent, create documents and tools, read; record what was acked."""
    rng = random.Random(index)
    statuses: Counter[int] = Counter()
    last_acked, patches, docs, tools = 0, 0, [], []
    with httpx.Client(base_url=base_url, headers=HEADERS, timeout=30) as client:
        n = 0
        while time.monotonic() < stop_at:
            roll = rng.random()
            if roll < 0.5:
                n += 1
                response = client.patch(
                    f"/v1/convai/agents/{agent_id}",
                    json={
                        "conversation_config": {
                            "agent": {"dynamic_variables": {"dynamic_variable_placeholders": {f"client{index}": n}}}
                        },
                        "version_description": f"client {index} write {n}",
                    },
                )
                if response.status_code == 200:
                    last_acked, patches = n, patches + 1
            elif roll < 0.7:
                response = client.post("/v1/convai/knowledge-base/text", json={"text": f"doc {index}-{n}"})
                if response.status_code == 200:
                    docs.append(response.json()["id"])
            elif roll < 0.8:
                config = {"type": "client", "name": f"tool_{index}_{n}", "description": "hammer"}
                response = client.post("/v1/convai/tools", json={"tool_config": config})
                if response.status_code == 200:
                    tools.append(response.json()["id"])
            else:
                response = client.get(f"/v1/convai/agents/{agent_id}")
            statuses[response.status_code] += 1
    results[index] = {"statuses": statuses, "last_acked": last_acked, "patches": patches, "docs": docs, "tools": tools}


def list_all(client: httpx.Client, path: str, key: str) -> list[str]:
    ids, cursor = [], None
    while True:
        page = client.get(path, params={"page_size": 100, **({"cursor": cursor} if cursor else {})}).json()
        ids += [item["id"] for item in page[key]]
        if not page["has_more"]:
            return ids
        cursor = page["next_cursor"]


def test_sixteen_clients_with_mixed_writes_lose_nothing_and_see_no_server_error(tmp_path):
    process, base_url = serve("--db", str(tmp_path / "hammer.sqlite"))
    try:
        with httpx.Client(base_url=base_url, headers=HEADERS, timeout=30) as client:
            agent_id = client.post("/v1/convai/agents/create", json={"conversation_config": {}}).json()["agent_id"]
            results: dict[int, dict] = {}
            stop_at = time.monotonic() + DURATION
            threads = [
                threading.Thread(target=hammer, args=(base_url, agent_id, i, stop_at, results)) for i in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=DURATION + 60)

            agent = client.get(f"/v1/convai/agents/{agent_id}").json()
            version = client.get(f"/v1/convai/agents/{agent_id}/versions/{agent['version_id']}").json()
            doc_ids = set(list_all(client, "/v1/convai/knowledge-base", "documents"))
            tool_ids = set(list_all(client, "/v1/convai/tools", "tools"))
    finally:
        stop(process)

    statuses = sum((r["statuses"] for r in results.values()), Counter())
    assert len(results) == CLIENTS
    assert all(status < 500 for status in statuses), statuses
    assert statuses[200] == sum(statuses.values())
    # Each client's key holds its last acknowledged write: no PATCH overwrote another's with stale data.
    expected = {f"client{i}": r["last_acked"] for i, r in results.items() if r["last_acked"]}
    assert {k: v for k, v in placeholders(agent).items() if k.startswith("client")} == expected
    # One version per acknowledged PATCH, after the initial version (seq 0).
    assert version["seq_no_in_branch"] == sum(r["patches"] for r in results.values())
    assert doc_ids == {d for r in results.values() for d in r["docs"]}
    assert tool_ids == {t for r in results.values() for t in r["tools"]}
    print(f"hammer: {sum(statuses.values())} requests in {DURATION:.0f}s, {statuses}")
