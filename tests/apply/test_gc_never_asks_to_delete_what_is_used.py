"""Garbage collection checks references itself: it never asks the API to delete a version something still uses.

The API refuses such a delete and the collector would shrug the refusal off, so only the request log can tell a
collector that checks from one that tries and fails (docs/decisions/0054).
"""

from __future__ import annotations

import asyncio

from tests.apply.helpers import (
    agent,
    converge,
    desired,
    document,
    in_process_client,
    last_seq,
    new_app,
    request_log,
    tool,
)
from tests.apply.test_branches_drift_gc import apply_on_branch


def project(faq: str, booking: str):
    return desired(
        agents=[agent("receptionist", "Book visits.", knowledge=["faq"], tools=["book"])],
        documents=[document("faq", faq)],
        tools=[tool("book", description=booking)],
    )


def test_collection_never_requests_the_delete_of_a_document_or_tool_version_a_branch_still_uses():
    async def scenario():
        app = new_app()
        async with in_process_client(app) as client:
            _, first = await converge(client, project("v1\n", "Books a visit"))
            _, on_branch = await apply_on_branch(client, project("v2\n", "Books a consultation"), "pr-1")
            used_by_branch = {on_branch.ids["document.faq"], on_branch.ids["tool.book"]}
            mark = await last_seq(app)
            _, result = await converge(client, project("v3\n", "Books an appointment"))
            assert result.ok
            log = await request_log(app, mark)
            deleted = {entry["path"].rsplit("/", 1)[-1] for entry in log if entry["method"] == "DELETE"}
            assert not deleted & used_by_branch
            assert deleted == {first.ids["document.faq"], first.ids["tool.book"]}, "v1, used by nothing, was collected"

    asyncio.run(scenario())


def test_collection_never_requests_the_delete_of_a_version_an_agent_made_in_the_dashboard_uses():
    async def scenario():
        app = new_app()
        async with in_process_client(app) as client:
            _, first = await converge(client, project("v1\n", "Books a visit"))
            document_id, tool_id = first.ids["document.faq"], first.ids["tool.book"]
            prompt = {
                "prompt": "A colleague's agent.",
                "knowledge_base": [{"type": "text", "id": document_id, "name": "Faq", "usage_mode": "auto"}],
                "tool_ids": [tool_id],
            }
            await client.create_agent({"name": "Not ours", "conversation_config": {"agent": {"prompt": prompt}}})
            mark = await last_seq(app)
            _, result = await converge(client, project("v2\n", "Books an appointment"))
            assert result.ok and result.garbage_collected == []
            assert [entry for entry in await request_log(app, mark) if entry["method"] == "DELETE"] == []

    asyncio.run(scenario())
