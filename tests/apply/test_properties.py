"""Properties of apply, over random projects and random edits (hypothesis; in-process emulator, few examples).

- apply then plan is empty;
- apply twice equals apply once: the second apply writes nothing and the live state is the same.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.apply.helpers import agent, converge, desired, document, in_process_client, llm_test, new_app, plan_for, tool
from tests.support.hypothesis_profiles import examples

from agentform.plan import identity
from agentform.plan.read import read_workspace

DOCS = [f"doc-{i}" for i in range(3)]
TOOLS = [f"tool-{i}" for i in range(2)]
AGENTS = [f"agent-{i}" for i in range(3)]
words = st.sampled_from(["Hello.", "Be brief.", "Speak Romanian.", "Book visits.", "Never guess.\nAsk again."])


@st.composite
def projects(draw):
    documents = {key: draw(words) for key in draw(st.lists(st.sampled_from(DOCS), unique=True, max_size=3))}
    tools = {key: draw(words) for key in draw(st.lists(st.sampled_from(TOOLS), unique=True, max_size=2))}
    agent_keys = draw(st.lists(st.sampled_from(AGENTS), unique=True, min_size=1, max_size=3))
    agents = [
        agent(
            key,
            draw(words),
            knowledge=draw(st.lists(st.sampled_from(sorted(documents)), unique=True)) if documents else [],
            tools=draw(st.lists(st.sampled_from(sorted(tools)), unique=True)) if tools else [],
            temperature=draw(st.sampled_from([0.0, 0.3, 0.7])),
        )
        for key in agent_keys
    ]
    tested = draw(st.lists(st.sampled_from(agent_keys), unique=True, max_size=2))
    return desired(
        agents=agents,
        documents=[document(key, text) for key, text in documents.items()],
        tools=[tool(key, description) for key, description in tools.items()],
        tests=[llm_test(key, "greets", draw(words)) for key in tested],
    )


async def snapshot(client, want):
    """The managed live state, by identity: what two equal applies must leave behind."""
    live = (await read_workspace(client, want, refresh_all=True)).live
    agents = {
        a.key: (a.id, a.payload["name"], a.payload["conversation_config"]["agent"]["prompt"]) for a in live.agents
    }
    return (
        agents,
        sorted((d.id, d.key, d.hash) for d in live.documents),
        sorted((t.id, t.key, t.hash) for t in live.tools),
        sorted((t.id, t.address, t.hash) for t in live.tests),
    )


@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=projects(), after=projects())
def test_apply_then_plan_is_empty_and_applying_twice_equals_applying_once(before, after):
    async def scenario():
        app = new_app()
        async with in_process_client(app) as client:
            for want in (before, after):
                _, result = await converge(client, want, prune=True)
                assert result.ok, [e.error for e in result.failed]
                plan = await plan_for(client, want, prune=True)
                assert not plan.has_changes, [(c.address, c.action, c.reason) for c in plan.changes if c.is_change]
            once = await snapshot(client, after)
            writes = client.write_count
            _, second = await converge(client, after, prune=True)
            assert second.journal.entries == [] and client.write_count == writes
            assert await snapshot(client, after) == once
            keys = {identity.key_from_tags(a["tags"]) for a in await client.list_agents()}
            assert keys == set(after.agents)

    asyncio.run(scenario())
