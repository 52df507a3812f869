"""A create that succeeded but whose answer never arrived: the re-run (or the retry) makes no duplicate."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest
from tests.apply.helpers import FAST_RETRIES, agent, converge, desired, document, in_process_client, new_app, tool
from tests.apply.test_faults import clear, inject

from agentform.elevenlabs import RetryPolicy
from agentform.plan import identity
from agentform.plan.read import read_workspace
from agentform.state.record import is_record_document

NO_RETRIES = RetryPolicy(max_retries=0)

CREATES = {
    "agent": "/v1/convai/agents/create",
    "tool": "/v1/convai/tools",
    "document": "/v1/convai/knowledge-base/text",
}


def small():
    return desired(
        agents=[agent("receptionist", knowledge=["faq"], tools=["book"])],
        documents=[document("faq", "Open 9-17.\n")],
        tools=[tool("book")],
    )


async def with_record(client):
    """A workspace that already holds the managed folder and the state record (so the only create is the fault's)."""
    _, result = await converge(client, desired(documents=[document("other", "Unrelated.\n")]))
    assert result.ok


def lost_response(kind: str) -> dict:
    """A fault: the first create of `kind` is carried out, but its response never arrives."""
    return {"kind": "drop", "method": "POST", "path": CREATES[kind], "nth": 1, "when": "after"}


@asynccontextmanager
async def applied_losing_a_create_response(kind: str, retry_policy):
    """`small()` applied over an existing record while the first create of `kind` loses its response.

    Yields (app, client, result) with the client still open.
    """
    app = new_app()
    async with in_process_client(app, retry_policy=retry_policy) as client:
        await with_record(client)
        await inject(app, [lost_response(kind)])
        _, result = await converge(client, small())
        yield app, client, result


async def counts(client):
    agents = await client.list_agents(tags=[identity.owner_tag("clinic", "local")])
    workspace = await read_workspace(client, small())
    return {
        "agent": len(agents),
        "tool": len(await client.list_tools()),
        "document": len(workspace.live.documents_of("faq")),
    }


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_a_lost_create_response_followed_by_a_rerun_creates_no_duplicate(kind):
    async def scenario():
        want = small()
        async with applied_losing_a_create_response(kind, NO_RETRIES) as (app, client, crashed):
            assert not crashed.ok and crashed.failed[0].address == f"{kind}.{want_key(kind)}"
            await clear(app)
            _, rerun = await converge(client, want)
            assert rerun.ok, [e.error for e in rerun.failed]
            assert await counts(client) == {"agent": 1, "tool": 1, "document": 1}
            record = (await read_workspace(client, want)).record
            assert record.pending == [] and len([t for t in record.tools.values() if t.key == "book"]) == 1
            _, third = await converge(client, want)
            assert third.journal.entries == []

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_a_create_retried_by_the_client_after_a_lost_response_leaves_no_twin(kind):
    async def scenario():
        async with applied_losing_a_create_response(kind, FAST_RETRIES) as (_, client, result):
            assert result.ok
            assert [e.action for e in result.journal.entries].count("dedupe") == 1
            assert await counts(client) == {"agent": 1, "tool": 1, "document": 1}

    asyncio.run(scenario())


def want_key(kind: str) -> str:
    return {"agent": "receptionist", "tool": "book", "document": "faq"}[kind]


def test_a_state_record_created_twice_by_a_retry_is_settled_on_one_document():
    async def scenario():
        app = new_app()
        want = small()
        await inject(app, [lost_response("document")])
        async with in_process_client(app, retry_policy=FAST_RETRIES) as client:
            _, result = await converge(client, want)
            assert result.ok
            workspace = await read_workspace(client, want)
            folder_docs = await client.list_documents(parent_folder_id=workspace.documents_folder_id)
            assert len([d for d in folder_docs if is_record_document(d)]) == 1
            assert set(workspace.record.tools) == {result.ids["tool.book"]}
            _, again = await converge(client, want)
            assert again.journal.entries == []

    asyncio.run(scenario())
