"""Writes scheduled by dependency (docs/decisions/0113): each create starts once what it references exists; a failed
write skips exactly what references it, and the rest of the apply goes on, its results recorded."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import admin, agent, converge, desired, document, in_process_client, new_app, request_log

from agentform.plan import identity
from agentform.state.record import find_record_document


def test_a_failed_document_skips_the_agent_using_it_while_the_others_are_created_and_recorded():
    async def scenario():
        app = new_app()
        want = desired(
            agents=[agent("desk", knowledge=["faq"]), agent("lobby"), agent("hall")],
            documents=[document("faq", "Opening hours: 9 to 5.\n")],
        )
        async with admin(app) as http:
            refused = {"kind": "status", "status": 400, "method": "POST", "path": "/v1/convai/knowledge-base/text"}
            (await http.post("/_emulator/faults", json={**refused, "nth": 1})).raise_for_status()
        async with in_process_client(app) as client:
            _, result = await converge(client, want)
            outcomes = {entry.address: entry.outcome for entry in result.journal.entries}
            assert outcomes == {
                "document.faq": "failed",
                "agent.desk": "skipped",
                "agent.lobby": "ok",
                "agent.hall": "ok",
            }
            [skipped] = result.skipped
            assert skipped.error == "not attempted: document.faq failed"
            live = await client.list_agents(tags=[identity.owner_tag("clinic", "local")])
            assert sorted(identity.key_from_tags(item["tags"]) for item in live) == ["hall", "lobby"]
            # The record holds what was created, so the re-run plans only what failed.
            folder = result.ids["folder.documents"]
            assert find_record_document(await client.list_documents(parent_folder_id=folder)) is not None
            plan, again = await converge(client, want)
            assert sorted(c.address for c in plan.changes if c.is_change) == ["agent.desk", "document.faq"]
            assert again.ok

    asyncio.run(scenario())


def test_an_agent_that_references_nothing_new_is_created_before_the_document_it_does_not_need():
    async def scenario():
        app = new_app()
        want = desired(agents=[agent("lobby")], documents=[document("faq", "Opening hours.\n")])
        async with admin(app) as http:
            slow = {"kind": "latency", "latency_ms": 300, "method": "POST", "path": "/v1/convai/knowledge-base/text"}
            (await http.post("/_emulator/faults", json=slow)).raise_for_status()
        async with in_process_client(app) as client:
            await converge(client, want)
        # The log is in order of answers: the agent's create answered while the slow document was on its way (one
        # kind at a time, the agent would have started only after the document's answer).
        order = [entry["path"] for entry in await request_log(app) if entry["method"] == "POST"]
        assert order.index("/v1/convai/agents/create") < order.index("/v1/convai/knowledge-base/text")

    asyncio.run(scenario())
