"""A managed agent duplicated in the dashboard (same ownership tags) is reported by plan, never ignored.

Without prune the plan fails naming both ids (the CLI exits 1); with prune it plans, and apply carries out, a
delete of the copy while the agent the state record names stays, with its record entry.
"""

from __future__ import annotations

import asyncio

import pytest
from tests.apply.helpers import agent, converge, desired, in_process_client, new_app, plan_for

from agentform.plan.planner import DuplicateAgentsError


def test_a_duplicated_agent_is_an_error_without_prune_and_a_delete_with_it():
    want = desired(agents=[agent("clinic")])

    async def scenario() -> None:
        app = new_app()
        async with in_process_client(app) as client:
            await converge(client, want, prune=True)
            [original] = await client.list_agents()
            copy = await client.get_agent(original["agent_id"])
            copy_id = await client.create_agent(
                {key: copy[key] for key in ("name", "tags", "conversation_config", "platform_settings")}
            )
            with pytest.raises(DuplicateAgentsError, match=f"{original['agent_id']} and {copy_id}"):
                await plan_for(client, want, prune=False)
            plan = await plan_for(client, want, prune=True)
            deletes = [c for c in plan.changes if c.action == "delete"]
            assert [(c.live_id, c.address) for c in deletes] == [(copy_id, f"agent.clinic#{copy_id}")]
            await converge(client, want, prune=True)
            assert [a["agent_id"] for a in await client.list_agents()] == [original["agent_id"]]
            again = await plan_for(client, want, prune=True)
            assert not [c for c in again.changes if c.is_change]
            assert again.change_for("agent.clinic").action == "no-op"

    asyncio.run(scenario())
