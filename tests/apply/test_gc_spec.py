"""Collection's reads and refusals, through `collect_garbage` as a deploy calls it and through `apply_plan`: it reads
the dependents of superseded versions only, keeps what a rollback point references, and tells a version already
gone from a failure."""

from __future__ import annotations

import pytest
from tests.apply.helpers import agent, converge, desired, document, in_emulator, last_seq, llm_test, request_log, tool
from tests.apply.test_faults import inject
from tests.apply.test_gc_collect import left_for_collection, project, record_store

from agentform.apply import apply_plan, collect_garbage
from agentform.elevenlabs import ApiError
from agentform.plan.planner import make_plan
from agentform.plan.read import read_workspace
from agentform.state.model import RollbackPoint
from agentform.state.record import save_record


def two_documents(faq: str):
    return desired(
        agents=[agent("receptionist", "Book visits.", knowledge=["faq", "prices"], tools=["book"])],
        documents=[document("faq", faq), document("prices", "Visit: 50 EUR.\n")],
        tools=[tool("book")],
        tests=[llm_test("receptionist", "greets")],
    )


def test_collection_after_an_apply_reads_the_dependents_of_the_superseded_version_only():
    async def scenario(app, client):
        _, first = await converge(client, two_documents("Open 9-17.\n"))
        changed = two_documents("Open 8-18.\n")
        workspace = await read_workspace(client, changed)
        plan = make_plan(changed, workspace.live, prune=False)
        mark = await last_seq(app)
        result = await apply_plan(client, plan, changed, prune=False, workspace=workspace)
        old = first.ids["document.faq"]
        assert result.garbage_collected == [old]
        reads = [entry["path"] for entry in await request_log(app, since=mark) if entry["method"] == "GET"]
        assert reads == [f"/v1/convai/knowledge-base/{old}/dependent-agents"]

    in_emulator(scenario)


async def with_rollback_point(client, referenced: str) -> None:
    """Record a deploy's rollback point that references `referenced` (as `ci deploy` records one)."""
    workspace = await read_workspace(client, project("v3"))
    agent_id = workspace.live.agent_by_key("receptionist").id
    point = RollbackPoint(agent_id=agent_id, version_id="agtvrsn_old", documents=[referenced])
    workspace.record.deploy.rollback_points["receptionist"] = point
    await save_record(client, project("v3"), workspace)


@pytest.mark.parametrize("record_from", ["the read", "the apply's store"])
def test_a_version_a_rollback_point_references_is_not_collected(record_from):
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        await with_rollback_point(client, garbage["document.faq"])
        store, live = await record_store(client)
        if record_from == "the read":
            removed = await collect_garbage(client, project("v3"), live)
        else:
            # The apply's own record is the newer one: the read's has no rollback point any more.
            live = live.model_copy(
                update={"record": live.record.model_copy(update={"deploy": type(live.record.deploy)()})}
            )
            removed = await collect_garbage(client, project("v3"), live, store=store)
        assert sorted(removed) == sorted([garbage["tool.book"], garbage["test.receptionist/greets"]])
        documents = (await read_workspace(client, project("v3"))).live.documents_of("faq")
        assert garbage["document.faq"] in {version.id for version in documents}

    in_emulator(scenario)


def test_a_superseded_version_deleted_before_collection_reads_it_is_passed_over():
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        _, live = await record_store(client)
        await client.delete_document(garbage["document.faq"], force=True)
        removed = await collect_garbage(client, project("v3"), live)
        assert sorted(removed) == sorted([garbage["tool.book"], garbage["test.receptionist/greets"]])

    in_emulator(scenario)


def test_a_failed_read_of_a_superseded_versions_dependents_stops_collection():
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        _, live = await record_store(client)
        path = f"/v1/convai/knowledge-base/{garbage['document.faq']}/dependent-agents"
        await inject(app, [{"kind": "status", "status": 400, "method": "GET", "path": path}])
        mark = await last_seq(app)
        with pytest.raises(ApiError) as failed:
            await collect_garbage(client, project("v3"), live)
        assert failed.value.status == 400
        assert not [entry for entry in await request_log(app, since=mark) if entry["method"] == "DELETE"]

    in_emulator(scenario)


def test_collection_works_from_a_read_that_found_no_state_record():
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        _, live = await record_store(client)
        removed = await collect_garbage(client, project("v3"), live.model_copy(update={"record": None}), store=None)
        assert set(removed) == set(garbage.values())

    in_emulator(scenario)


def test_a_collected_version_missing_from_the_apply_record_is_collected_all_the_same():
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        store, live = await record_store(client)
        store.record.documents.pop(garbage["document.faq"])
        removed = await collect_garbage(client, project("v3"), live, store=store)
        assert set(removed) == set(garbage.values())

    in_emulator(scenario)
