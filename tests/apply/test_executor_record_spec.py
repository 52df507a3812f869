"""What `apply_plan` keeps in the state record: what it created, intents before tool creates, what it deleted,
repaired versions, read back with `read_workspace` as the next plan reads them."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import (
    agent,
    apply_without_collecting,
    converge,
    desired,
    document,
    in_emulator,
    in_process_client,
    last_seq,
    llm_test,
    new_app,
    plan_for,
    request_log,
    source,
    tool,
)
from tests.apply.test_executor_spec import TOOLS, clinic, seq_of
from tests.apply.test_faults import inject
from tests.support.clock import FakeClock

from agentform.emulator import create_app
from agentform.model import DesiredDocument
from agentform.plan.read import read_workspace
from agentform.state.record import save_record


def test_the_record_names_a_tool_before_its_create_is_sent_and_keeps_the_intent_while_the_create_fails():
    async def scenario(app, client):
        _, first = await converge(client, desired(documents=[document("other", "Unrelated.\n")]))
        assert first.ok
        record_id = (await read_workspace(client, clinic())).record_document_id
        assert record_id
        mark = await last_seq(app)
        await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": TOOLS}])
        _, failing = await converge(client, clinic())
        assert not failing.ok
        log = await request_log(app, since=mark)
        [tool_create] = seq_of(log, "POST", TOOLS)
        record_writes = seq_of(log, "PATCH", f"/v1/convai/knowledge-base/{record_id}")
        assert record_writes and min(record_writes) < tool_create, "the intent is saved before the create"
        pending = (await read_workspace(client, clinic())).record.pending
        assert [(intent.kind, intent.key) for intent in pending] == [("tool", "book")]
        assert pending[0].hash == clinic().tools["book"].content_hash()

    in_emulator(scenario)


def test_a_tool_created_after_a_failed_attempt_is_recorded_as_ours_and_its_intent_is_dropped():
    async def scenario(app, client):
        await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": TOOLS, "count": 1}])
        _, failing = await converge(client, clinic())
        assert not failing.ok
        _, rerun = await converge(client, clinic())
        assert rerun.ok, rerun.failed
        workspace = await read_workspace(client, clinic())
        assert workspace.record.pending == []
        tool_id = rerun.ids["tool.book"]
        assert workspace.record.tools[tool_id].key == "book"
        assert workspace.record.tools[tool_id].hash == clinic().tools["book"].content_hash()
        assert not (await plan_for(client, clinic())).has_changes

    in_emulator(scenario)


def test_a_first_apply_records_every_document_tool_and_test_it_created_with_its_hash():
    async def scenario():
        async with in_process_client(new_app()) as client:
            plan, result = await converge(client, clinic())
            record = (await read_workspace(client, clinic())).record
            planned = {c.address: c.hash for c in plan.changes}
            for address, entries in (
                ("document.faq", record.documents),
                ("tool.book", record.tools),
                ("test.receptionist/greets", record.tests),
            ):
                entry = entries[result.ids[address]]
                assert (entry.id, entry.key, entry.hash) == (
                    result.ids[address],
                    address.split(".", 1)[1],
                    planned[address],
                )
            assert record.agents["receptionist"].id == result.ids["agent.receptionist"]

    asyncio.run(scenario())


def test_an_update_records_the_version_the_api_answered_with():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            await converge(client, clinic("Second prompt."))
            agent_id = first.ids["agent.receptionist"]
            entry = (await read_workspace(client, clinic())).record.agents["receptionist"]
            assert (entry.id, entry.version_id) == (agent_id, (await client.get_agent(agent_id))["version_id"])

    asyncio.run(scenario())


def test_a_first_apply_of_tools_alone_keeps_its_record_where_the_next_plan_finds_it():
    async def scenario():
        async with in_process_client(new_app()) as client:
            files = desired(tools=[tool("book")])
            _, result = await converge(client, files)
            assert result.ok, result.failed
            assert not (await plan_for(client, files)).has_changes, "the tool is known as ours, not created again"

    asyncio.run(scenario())


def test_a_version_collected_by_an_apply_that_wrote_nothing_else_leaves_the_state_record():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            changed = clinic(faq="Open 8-18.\n")
            await apply_without_collecting(client, changed)
            _, collected = await converge(client, changed)
            old = first.ids["document.faq"]
            assert collected.garbage_collected == [old]
            assert old not in (await read_workspace(client, changed)).record.documents

    asyncio.run(scenario())


def test_the_record_names_a_tool_being_replaced_before_the_new_version_is_created():
    async def scenario(app, client):
        await converge(client, clinic())
        changed = desired(
            agents=[agent("receptionist", knowledge=["faq"], tools=["book"])],
            documents=[document("faq", "Open 9-17.\n")],
            tools=[tool("book", "Book a visit")],
            tests=[llm_test("receptionist", "greets")],
        )
        plan = await plan_for(client, changed)
        assert plan.change_for("tool.book").action == "replace"
        await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": TOOLS}])
        _, result = await converge(client, changed)
        assert [e.address for e in result.failed] == ["tool.book"]
        pending = (await read_workspace(client, changed)).record.pending
        assert [(p.key, p.hash) for p in pending] == [("book", changed.tools["book"].content_hash())]

    in_emulator(scenario)


def test_a_failure_in_a_stage_does_not_keep_the_rest_of_the_stage_from_being_recorded():
    leaflet = DesiredDocument(key="leaflet", kind="file", name="Leaflet", data=b"%PDF-1.4\n", source=source("k/l.pdf"))

    async def scenario(app, client):
        await inject(
            app, [{"kind": "status", "status": 400, "method": "POST", "path": "/v1/convai/knowledge-base/file"}]
        )
        files = desired(documents=[leaflet], tools=[tool("book")])
        _, result = await converge(client, files)
        assert [e.address for e in result.failed] == ["document.leaflet"]
        record = (await read_workspace(client, files)).record
        assert set(record.tools) == {result.ids["tool.book"]} and record.pending == []

    in_emulator(scenario)


def test_a_pruning_apply_that_deletes_only_a_document_or_only_an_agent_forgets_it_in_the_record():
    async def scenario():
        async with in_process_client(new_app()) as client:
            two = desired(
                agents=[agent("receptionist", knowledge=["faq"]), agent("triage")],
                documents=[document("faq", "Open 9-17.\n"), document("prices", "Visit: 50 EUR.\n")],
            )
            _, first = await converge(client, two)
            without_prices = two.model_copy(update={"documents": {"faq": two.documents["faq"]}})
            _, result = await converge(client, without_prices, prune=True)
            assert [e.operation for e in result.journal.entries] == ["delete_document"]
            assert first.ids["document.prices"] not in (await read_workspace(client, two)).record.documents
            without_triage = without_prices.model_copy(update={"agents": {"receptionist": two.agents["receptionist"]}})
            _, result = await converge(client, without_triage, prune=True)
            assert [e.operation for e in result.journal.entries] == ["delete_agent"]
            assert set((await read_workspace(client, two)).record.agents) == {"receptionist"}

    asyncio.run(scenario())


def test_a_failed_create_of_a_lone_tool_is_reported_and_its_intent_kept():
    async def scenario(app, client):
        await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": TOOLS}])
        files = desired(tools=[tool("book")])
        _, result = await converge(client, files)
        assert [(e.address, e.outcome) for e in result.journal.entries] == [("tool.book", "failed")]
        assert [p.key for p in (await read_workspace(client, files)).record.pending] == ["book"]

    in_emulator(scenario)


def test_a_repaired_document_version_the_record_did_not_know_becomes_recorded():
    async def scenario():
        clock = FakeClock()
        async with in_process_client(create_app(":memory:", clock=clock)) as client:
            _, first = await converge(client, clinic())
            document_id = first.ids["document.faq"]
            workspace = await read_workspace(client, clinic())
            workspace.record.documents.pop(document_id)
            await save_record(client, clinic(), workspace)
            clock.advance(1)
            await client.update_document(document_id, content="Closed forever.\n")
            plan, result = await converge(client, clinic())
            assert plan.change_for("document.faq").action == "update"
            assert result.ok, result.failed
            entry = (await read_workspace(client, clinic())).record.documents[document_id]
            assert (entry.key, entry.hash, entry.verified) == ("faq", clinic().documents["faq"].content_hash(), False)

    asyncio.run(scenario())


def test_a_version_collected_by_the_apply_that_replaced_it_leaves_the_state_record():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            changed = clinic(faq="Open 8-18.\n")
            _, result = await converge(client, changed)
            old = first.ids["document.faq"]
            assert result.garbage_collected == [old]
            documents = (await read_workspace(client, changed)).record.documents
            assert set(documents) == {result.ids["document.faq"]}

    asyncio.run(scenario())
