"""Apply converges: a full creation from nothing, then plans with no changes and applies that write nothing."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import (
    agent,
    converge,
    converged,
    desired,
    document,
    in_process_client,
    new_app,
    plan_for,
    request_log,
    tool,
    write_requests,
)

from agentform.plan import identity


def clinic():
    return desired(
        agents=[
            agent("receptionist", "Book appointments politely.", knowledge=["faq"], tools=["book"]),
            agent("triage", "Ask about symptoms.", knowledge=["faq", "prices"]),
        ],
        documents=[document("faq", "Open 9-17.\nClosed Sundays.\n"), document("prices", "Consultation: 200 RON.\n")],
        tools=[tool("book")],
    )


def test_a_first_apply_creates_everything_and_a_second_plan_is_empty():
    async def scenario():
        app = new_app()
        want = clinic()
        async with in_process_client(app) as client:
            plan, result = await converge(client, want)
            assert result.ok, result.failed
            assert {c.address for c in plan.changes if c.action == "create"} == {
                "agent.receptionist",
                "agent.triage",
                "document.faq",
                "document.prices",
                "tool.book",
            }
            again = await plan_for(client, want)
            assert not again.has_changes, [(c.address, c.action, c.fields) for c in again.changes if c.is_change]

            agents = await client.list_agents(tags=[identity.owner_tag("clinic", "local")])
            assert sorted(a["name"] for a in agents) == ["Receptionist", "Triage"]
            receptionist = await client.get_agent(result.ids["agent.receptionist"])
            prompt = receptionist["conversation_config"]["agent"]["prompt"]
            assert prompt["tool_ids"] == [result.ids["tool.book"]]
            assert [kb["id"] for kb in prompt["knowledge_base"]] == [result.ids["document.faq"]]

    asyncio.run(scenario())


def test_a_second_apply_of_unchanged_files_sends_no_write_request():
    async def scenario():
        want = clinic()
        async with converged(want) as (app, client, mark):
            plan, result = await converge(client, want)
            assert not plan.has_changes and result.ok
            log = await request_log(app, since=mark)
            assert log, "the second apply read the workspace"
            assert write_requests(log) == []

    asyncio.run(scenario())


def test_an_unchanged_workspace_is_planned_from_list_calls_without_reading_agents():
    async def scenario():
        want = clinic()
        async with converged(want) as (app, client, mark):
            await plan_for(client, want)
            paths = [entry["path"] for entry in await request_log(app, since=mark)]
            assert not [p for p in paths if p.startswith("/v1/convai/agents/")], paths

    asyncio.run(scenario())


def test_a_changed_prompt_updates_only_that_agent_and_labels_the_version_with_the_commit():
    async def scenario():
        app = new_app()
        async with in_process_client(app) as client:
            _, first = await converge(client, clinic())
            edited = clinic().model_copy(
                update={
                    "agents": {
                        **clinic().agents,
                        "triage": agent("triage", "Ask about symptoms, then book.", knowledge=["faq", "prices"]),
                    }
                }
            )
            plan, result = await converge(client, edited)
            assert [(c.address, c.action) for c in plan.changes if c.is_change] == [("agent.triage", "update")]
            assert result.ok
            live = await client.get_agent(first.ids["agent.triage"])
            assert live["conversation_config"]["agent"]["prompt"]["prompt"] == "Ask about symptoms, then book."
            version = await client.get_version(first.ids["agent.triage"], live["version_id"])
            assert "abc1234" in version["version_description"]
            assert not (await plan_for(client, edited)).has_changes

    asyncio.run(scenario())
