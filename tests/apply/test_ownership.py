"""Ownership: unmanaged resources are never touched, even with prune; adoption through `id:` updates in place."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import agent, converge, desired, in_process_client, new_app, plan_for, tool

from agentform.plan.read import read_workspace


def test_unmanaged_agents_tools_and_documents_survive_a_pruning_apply():
    async def scenario():
        async with in_process_client(new_app()) as client:
            hand_agent = await client.create_agent({"name": "Hand made", "conversation_config": {}})
            hand_tool = (await client.create_tool(tool("hand").tool_config))["id"]
            hand_doc = (await client.create_text_document(text="Mine.", name="notes"))["id"]
            _, result = await converge(client, desired(agents=[agent("receptionist")]), prune=True)
            assert result.ok
            _, result = await converge(client, desired(), prune=True)
            assert result.ok
            assert [a["agent_id"] for a in await client.list_agents()] == [hand_agent]
            assert [t["id"] for t in await client.list_tools()] == [hand_tool]
            assert (await client.get_document(hand_doc))["name"] == "notes"

    asyncio.run(scenario())


def test_an_adopted_tool_is_updated_in_place_and_never_collected():
    async def scenario():
        async with in_process_client(new_app()) as client:
            tool_id = (await client.create_tool(tool("book", "Old description").tool_config))["id"]

            def adopting(description):
                adopted = tool("book", description).model_copy(update={"id": tool_id})
                return desired(agents=[agent("receptionist", tools=["book"])], tools=[adopted])

            for description in ("New description", "Newer description"):
                _, result = await converge(client, adopting(description))
                assert result.ok and result.garbage_collected == []
                assert (await client.get_tool(tool_id))["tool_config"]["description"] == description
                assert not (await plan_for(client, adopting(description))).has_changes
            assert [t["id"] for t in await client.list_tools()] == [tool_id]
            assert tool_id not in (await read_workspace(client, adopting("x"))).record.tools

    asyncio.run(scenario())


def test_a_hand_made_tool_identical_to_a_managed_one_is_not_mistaken_for_a_retry_twin():
    async def scenario():
        async with in_process_client(new_app()) as client:
            hand_tool = (await client.create_tool(tool("book").tool_config))["id"]
            _, result = await converge(
                client, desired(agents=[agent("receptionist", tools=["book"])], tools=[tool("book")])
            )
            assert result.ok and result.ids["tool.book"] != hand_tool
            assert sorted(t["id"] for t in await client.list_tools()) == sorted([hand_tool, result.ids["tool.book"]])

    asyncio.run(scenario())
