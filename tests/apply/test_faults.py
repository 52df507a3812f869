"""Apply under failure: 20% of requests fail (5xx, 429, dropped connections, lost responses) and it still converges.

Faults are injected through the emulator's admin API. Some fire *after* the handler ran (the write happened, the
response is lost): the client retries the POST, and apply must remove the twin it leaves (decision 0053).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from tests.apply.helpers import (
    FAST_RETRIES,
    admin,
    agent,
    converge,
    desired,
    document,
    in_process_client,
    llm_test,
    new_app,
    plan_for,
    request_log,
    tool,
)

from agentform.plan import identity
from agentform.state.folder import oldest

FAULTS = [
    {"kind": "status", "status": 500, "rate": 0.06, "seed": 1},
    {"kind": "status", "status": 503, "rate": 0.03, "seed": 2, "when": "after"},
    {"kind": "status", "status": 429, "rate": 0.05, "seed": 3, "retry_after": 0},
    {"kind": "drop", "rate": 0.03, "seed": 4},
    {"kind": "drop", "rate": 0.03, "seed": 5, "when": "after"},
]


def workspace():
    return desired(
        agents=[
            agent(f"agent-{i}", f"Prompt {i}.", knowledge=[f"doc-{i % 3}"], tools=[f"tool-{i % 2}"]) for i in range(6)
        ],
        documents=[document(f"doc-{i}", f"Fact {i}.\n") for i in range(3)],
        tools=[tool(f"tool-{i}", f"Tool {i}") for i in range(2)],
        tests=[llm_test(f"agent-{i}", "greets") for i in range(3)],
    )


async def inject(app, faults):
    async with admin(app) as http:
        for fault in faults:
            (await http.post("/_emulator/faults", json=fault)).raise_for_status()


async def clear(app):
    async with admin(app) as http:
        (await http.delete("/_emulator/faults")).raise_for_status()


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_apply_converges_under_twenty_percent_failures_without_duplicates_and_journals_what_the_log_shows(seed):
    async def scenario():
        app = new_app()
        want = workspace()
        await inject(app, [{**fault, "seed": fault["seed"] + 10 * seed} for fault in FAULTS])
        journals = []
        async with in_process_client(app, retry_policy=FAST_RETRIES) as client:
            for _ in range(3):  # a failed run is re-run, as a user would; it must converge
                _, result = await converge(client, want)
                journals.append(result.journal.entries)
                if result.ok:
                    break
            assert result.ok, [e.error for e in result.failed]
            log = await request_log(app)
            failures = [entry for entry in log if not 200 <= entry["status"] < 300 and entry["status"] != 404]
            assert len(failures) / len(log) > 0.1, "the faults fired"
            await clear(app)

            assert not (await plan_for(client, want)).has_changes
            agents = await client.list_agents(tags=[identity.owner_tag("clinic", "local")])
            assert sorted(identity.key_from_tags(a["tags"]) for a in agents) == sorted(want.agents)
            assert len(await client.list_tools()) == len(want.tools)
            # A folder create retried after a lost answer leaves an empty twin; every reader settles on the oldest.
            kb_folder = oldest(
                [d for d in await client.list_documents(types=["folder"]) if d["name"].startswith("agentform.")]
            )
            names = [d["name"] for d in await client.list_documents(parent_folder_id=kb_folder["id"])]
            managed = [n for n in names if identity.parse_document_name(n)]
            assert len(managed) == len(set(managed)) == len(want.documents)
            tests = await client.list_tests()
            test_names = [t["name"] for t in tests if identity.parse_test_name(t.get("name") or "")]
            assert len(test_names) == len(set(test_names)) == len(want.tests)

        entries = [entry for run in journals for entry in run if entry.outcome == "ok"]
        ok_log = Counter((e["method"], e["path"]) for e in log if 200 <= e["status"] < 300)
        journaled = Counter(entry.operation for entry in entries)
        # Every create the journal reports got exactly one successful answer in the log, and vice versa.
        assert journaled["create_agent"] == ok_log[("POST", "/v1/convai/agents/create")] == len(want.agents)
        assert journaled["create_tool"] == ok_log[("POST", "/v1/convai/tools")]
        assert journaled["create_test"] == ok_log[("POST", "/v1/convai/agent-testing/create")]
        # Every update and delete the journal reports reached the live id it names.
        for entry in entries:
            if entry.operation == "update_agent":
                assert ok_log[("PATCH", f"/v1/convai/agents/{entry.live_id}")] >= 1
            if entry.operation.startswith("delete_"):
                assert any(e["method"] == "DELETE" and e["path"].endswith(f"/{entry.live_id}") for e in log)

    asyncio.run(scenario())
