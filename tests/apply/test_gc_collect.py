"""`collect_garbage` called as a deploy calls it: what only an archived branch used goes, each delete is journaled
and dropped from the state record, refusals are skipped, any other error stops it (docs/decisions/0054).

The scene: v1 on main, v2 on branch pr-1, v3 on main (the plan deletes v1; v2 is kept for pr-1), then pr-1 is
archived. v2's document, tool and test are left for collection.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.apply.helpers import (
    agent,
    converge,
    desired,
    document,
    in_emulator,
    last_seq,
    llm_test,
    request_log,
    tool,
)
from tests.apply.test_branches_drift_gc import apply_on_branch
from tests.apply.test_faults import inject

from agentform.apply import collect_garbage
from agentform.elevenlabs import ApiError
from agentform.plan import identity
from agentform.plan.read import read_workspace
from agentform.state.folder import ensure_folder
from agentform.state.record import RecordStore

TEST = "test.receptionist/greets"
KINDS = ("document.faq", "tool.book", TEST)


def project(version: str, *, keep_faq: bool = False):
    faq = document("faq", f"Open 9-17 ({version}).\n")
    return desired(
        agents=[agent("receptionist", "Book visits.", knowledge=["faq"], tools=["book"])],
        documents=[faq.model_copy(update={"prevent_destroy": keep_faq})],
        tools=[tool("book", description=f"Books a visit ({version})")],
        tests=[llm_test("receptionist", "greets", f"The agent greets the caller ({version}).")],
    )


async def left_for_collection(client: Any, *, keep_faq: bool = False) -> dict[str, str]:
    """Play the scene; the ids of v2's document, tool and test by address."""
    await converge(client, project("v1"))
    _, on_branch = await apply_on_branch(client, project("v2"), "pr-1")
    _, main = await converge(client, project("v3", keep_faq=keep_faq))
    agent_id = main.ids["agent.receptionist"]
    pr_1 = next(branch for branch in await client.list_branches(agent_id) if branch["name"] == "pr-1")
    await client.update_branch(agent_id, pr_1["id"], is_archived=True)
    return {address: on_branch.ids[address] for address in KINDS}


async def record_store(client: Any) -> tuple[RecordStore, Any]:
    workspace = await read_workspace(client, project("v3"))
    folder_id = await ensure_folder(client, identity.folder_name("clinic", "local"))
    return RecordStore(client, folder_id, workspace.record, workspace.record_document_id), workspace.live


async def deletes_since(app: Any, mark: int) -> list[str]:
    return [entry["path"] for entry in await request_log(app, mark) if entry["method"] == "DELETE"]


def test_collection_deletes_what_only_an_archived_branch_used_journals_it_and_drops_it_from_the_record():
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        store, live = await record_store(client)
        assert set(garbage.values()) <= {*store.record.documents, *store.record.tools, *store.record.tests}
        journal, mark = [], await last_seq(app)

        removed = await collect_garbage(client, project("v3"), live, log=journal.append, store=store)

        assert sorted(removed) == sorted(garbage.values())
        assert sorted(await deletes_since(app, mark)) == sorted(
            [
                f"/v1/convai/knowledge-base/{garbage['document.faq']}",
                f"/v1/convai/tools/{garbage['tool.book']}",
                f"/v1/convai/agent-testing/{garbage['test.receptionist/greets']}",
            ]
        )
        kinds = {"document.faq": "document", "tool.book": "tool", "test.receptionist/greets": "test"}
        assert sorted((e.step, e.address, e.action, e.operation, e.outcome, e.live_id) for e in journal) == sorted(
            (0, f"{kinds[a]}:{i}", "gc", f"delete_{kinds[a]}", "ok", i) for a, i in garbage.items()
        )
        saved = (await read_workspace(client, project("v3"))).record
        for record in (store.record, saved):
            assert not set(garbage.values()) & {*record.documents, *record.tools, *record.tests}
        assert await collect_garbage(client, project("v3"), (await record_store(client))[1]) == []

    in_emulator(scenario)


def test_a_prevent_destroy_document_keeps_its_old_versions():
    async def scenario(app, client):
        garbage = await left_for_collection(client, keep_faq=True)
        _, live = await record_store(client)
        removed = await collect_garbage(client, project("v3", keep_faq=True), live)
        assert garbage["document.faq"] not in removed
        assert sorted(removed) == sorted([garbage["tool.book"], garbage["test.receptionist/greets"]])

    in_emulator(scenario)


@pytest.mark.parametrize("status", [400, 404, 409])
def test_a_delete_refused_as_in_use_or_already_gone_is_skipped_and_collection_goes_on(status):
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        store, live = await record_store(client)
        path = f"/v1/convai/knowledge-base/{garbage['document.faq']}"
        await inject(app, [{"kind": "status", "status": status, "method": "DELETE", "path": path, "count": 1}])
        journal: list = []
        removed = await collect_garbage(client, project("v3"), live, log=journal.append, store=store)
        assert sorted(removed) == sorted([garbage["tool.book"], garbage["test.receptionist/greets"]])
        assert garbage["document.faq"] not in {entry.live_id for entry in journal}
        assert garbage["document.faq"] in store.record.documents

    in_emulator(scenario)


def test_any_other_refusal_of_a_delete_stops_collection():
    async def scenario(app, client):
        garbage = await left_for_collection(client)
        _, live = await record_store(client)
        path = f"/v1/convai/tools/{garbage['tool.book']}"
        await inject(app, [{"kind": "status", "status": 403, "method": "DELETE", "path": path}])
        with pytest.raises(ApiError) as raised:
            await collect_garbage(client, project("v3"), live)
        assert raised.value.status == 403

    in_emulator(scenario)


def test_collection_never_requests_the_delete_of_a_version_a_branch_still_uses():
    """The API would refuse it and collection would shrug: only the request log tells checking from trying."""

    async def scenario(app, client):
        _, first = await converge(client, project("v1"))
        _, on_branch = await apply_on_branch(client, project("v2"), "pr-1")
        mark = await last_seq(app)
        _, result = await converge(client, project("v3"))
        assert result.ok
        deleted = {path.rsplit("/", 1)[-1] for path in await deletes_since(app, mark)}
        assert not deleted & {on_branch.ids[address] for address in KINDS}
        assert deleted == {first.ids[address] for address in KINDS}, "v1, used by nothing, was collected"

    in_emulator(scenario)


def test_collection_never_requests_the_delete_of_a_version_an_agent_made_in_the_dashboard_uses():
    async def scenario(app, client):
        _, first = await converge(client, project("v1"))
        document_id, tool_id = first.ids["document.faq"], first.ids["tool.book"]
        prompt = {
            "prompt": "A colleague's agent.",
            "knowledge_base": [{"type": "text", "id": document_id, "name": "Faq", "usage_mode": "auto"}],
            "tool_ids": [tool_id],
        }
        theirs = await client.create_agent({"name": "Not ours", "conversation_config": {"agent": {"prompt": prompt}}})
        mark = await last_seq(app)
        plan, result = await converge(client, project("v2"))
        assert result.ok
        kept = {c.live_id: c.blocked for c in plan.changes if c.action == "delete" and c.live_id != first.ids[TEST]}
        assert set(kept) == {document_id, tool_id}
        assert all(reason.startswith("still referenced by ") and theirs in reason for reason in kept.values())
        deleted = {path.rsplit("/", 1)[-1] for path in await deletes_since(app, mark)}
        assert deleted == {first.ids[TEST]}, "only the test version nobody uses went"

    in_emulator(scenario)
