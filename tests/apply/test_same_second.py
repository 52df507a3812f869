"""Our own writes and a dashboard edit within one second are told apart with no wait for the clock
(docs/decisions/0110), on an emulator whose clock moves only by hand."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.apply.helpers import agent, converge, desired, document, in_process_client, plan_for

from agentform.emulator import create_app
from agentform.plan.read import read_workspace

START = 1_700_000_000.0


def frozen_emulator() -> tuple[Any, list[float]]:
    now = [START]
    return create_app(":memory:", clock=lambda: now[0]), now


def test_a_dashboard_edit_in_the_second_of_our_update_shows_as_drift():
    async def scenario():
        app, now = frozen_emulator()
        async with in_process_client(app) as client:
            _, created = await converge(client, desired(agents=[agent("desk", "Version one.")]))
            now[0] += 10
            _, updated = await converge(client, desired(agents=[agent("desk", "Version two.")]))
            assert updated.ok
            # Same second as our update: the list timestamp cannot tell the two writes apart.
            await client.update_agent(created.ids["agent.desk"], {"name": "Renamed In The Dashboard"})
            plan = await plan_for(client, desired(agents=[agent("desk", "Version two.")]))
            return [(change.address, change.drift) for change in plan.changes if change.is_change]

    assert asyncio.run(scenario()) == [("agent.desk", True)]


def test_an_agent_we_created_is_vouched_for_by_its_creation_time_until_someone_edits_it():
    async def scenario():
        app, now = frozen_emulator()
        want = desired(agents=[agent("desk"), agent("line")])
        async with in_process_client(app) as client:
            _, created = await converge(client, want)
            workspace = await read_workspace(client, want)
            unread = [a.key for a in workspace.live.agents if a.payload is not None]
            now[0] += 3
            await client.update_agent(created.ids["agent.line"], {"name": "Edited Later"})
            plan = await plan_for(client, want)
            return unread, [c.address for c in plan.changes if c.drift]

    unread, drifted = asyncio.run(scenario())
    assert unread == [], "no agent config read after our own creates"
    assert drifted == ["agent.line"]


def test_an_updated_agent_is_read_by_plans_until_an_apply_saw_our_version_after_the_clock_moved_on():
    def want(prompt: str, faq: str):
        return desired(agents=[agent("desk", prompt)], documents=[document("faq", faq)])

    async def read_agents(client: Any, files: Any) -> list[str]:
        return [a.key for a in (await read_workspace(client, files)).live.agents if a.payload is not None]

    async def scenario():
        app, now = frozen_emulator()
        async with in_process_client(app) as client:
            await converge(client, want("One.", "A.\n"))
            now[0] += 10
            await converge(client, want("Two.", "A.\n"))  # the agent and the record written in one second
            reads = [await read_agents(client, want("Two.", "B.\n"))]
            now[0] += 10
            # Its plan read the agent, but the record it listed was written in the second of our update: an edit
            # after that read could still share the second, so this apply cannot vouch for the agent yet.
            assert (await converge(client, want("Two.", "B.\n")))[1].ok
            reads.append(await read_agents(client, want("Two.", "C.\n")))
            now[0] += 10
            # This one's plan listed the record written 10 s after our update, then still saw our version.
            assert (await converge(client, want("Two.", "C.\n")))[1].ok
            reads.append(await read_agents(client, want("Two.", "C.\n")))
            return reads

    assert asyncio.run(scenario()) == [["desk"], ["desk"], []]


def test_a_dashboard_edit_in_the_second_of_our_document_repair_shows_as_drift():
    async def scenario():
        app, now = frozen_emulator()
        want = desired(documents=[document("faq", "Ours.\n")])
        async with in_process_client(app) as client:
            await converge(client, want)
            [version] = (await read_workspace(client, want)).live.documents
            now[0] += 5
            await client.update_document(version.id, content="Edited once.\n")
            _, repaired = await converge(client, want)
            assert repaired.ok
            await client.update_document(version.id, content="Edited again, same second.\n")
            plan = await plan_for(client, want)
            return [(c.address, c.drift) for c in plan.changes if c.is_change]

    assert asyncio.run(scenario()) == [("document.faq", True)]
