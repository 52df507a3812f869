"""What `apply_plan` deletes and collects, and how it applies to an agent branch: order of deletes, prune, deletes
already done or refused, superseded versions collected or kept, branch applies leaving main alone."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import (
    agent,
    apply_without_collecting,
    converge,
    desired,
    in_emulator,
    in_process_client,
    last_seq,
    new_app,
    plan_for,
    request_log,
    tool,
)
from tests.apply.test_executor_spec import TOOLS, clinic, operations_by_address
from tests.apply.test_faults import inject

from agentform.apply import apply_plan
from agentform.model import Desired
from agentform.plan.planner import make_plan
from agentform.plan.read import read_workspace


def test_a_pruning_apply_deletes_the_agent_before_what_it_used_and_forgets_them_in_the_record():
    async def scenario(app, client):
        _, first = await converge(client, clinic())
        mark = await last_seq(app)
        empty = desired()
        _, result = await converge(client, empty, prune=True)
        assert result.ok, result.failed
        # A version's address carries its content hash: `document.faq@806e6179fbf6`.
        deleted = {address.split("@")[0]: ops for address, ops in operations_by_address(result.journal).items()}
        assert deleted == {
            "agent.receptionist": ["delete_agent:ok"],
            "test.receptionist/greets": ["delete_test:ok"],
            "document.faq": ["delete_document:ok"],
            "tool.book": ["delete_tool:ok"],
        }
        deleted_ids = {e.address.split("@")[0]: e.live_id for e in result.journal.entries}
        assert deleted_ids == {address: first.ids[address] for address in deleted}
        assert sorted(e.step for e in result.journal.entries) == [1, 2, 3, 4]
        deletes = {e["path"]: e["seq"] for e in await request_log(app, since=mark) if e["method"] == "DELETE"}
        agent_delete = deletes[f"/v1/convai/agents/{first.ids['agent.receptionist']}"]
        assert agent_delete < deletes[f"/v1/convai/tools/{first.ids['tool.book']}"]
        assert agent_delete < deletes[f"/v1/convai/knowledge-base/{first.ids['document.faq']}"]
        record = (await read_workspace(client, empty)).record
        assert (record.agents, record.tools, record.documents, record.tests) == ({}, {}, {}, {})

    in_emulator(scenario)


def test_without_prune_apply_sends_none_of_the_deletes_a_pruning_plan_shows():
    async def scenario(app, client):
        await converge(client, clinic())
        mark = await last_seq(app)
        empty = desired()
        workspace = await read_workspace(client, empty, prune=True)
        plan = make_plan(empty, workspace.live, prune=True)
        assert {c.action for c in plan.changes if c.is_change} == {"delete"}
        result = await apply_plan(client, plan, empty, prune=False, workspace=workspace)
        assert result.ok and not result.journal.entries
        assert not [e for e in await request_log(app, since=mark) if e["method"] == "DELETE"]
        assert set((await read_workspace(client, clinic())).record.agents) == {"receptionist"}

    in_emulator(scenario)


def test_a_resource_someone_already_deleted_counts_as_deleted():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            empty = desired()
            workspace = await read_workspace(client, empty, prune=True)
            plan = make_plan(empty, workspace.live, prune=True)
            await client.delete_agent(first.ids["agent.receptionist"])
            result = await apply_plan(client, plan, empty, prune=True, workspace=workspace)
            assert result.ok, result.failed
            assert operations_by_address(result.journal)["agent.receptionist"] == ["delete_agent:ok"]
            assert "receptionist" not in (await read_workspace(client, empty)).record.agents

    asyncio.run(scenario())


def test_a_delete_the_api_refuses_fails_and_names_the_delete_operation():
    async def scenario(app, client):
        _, first = await converge(client, clinic())
        agent_id = first.ids["agent.receptionist"]
        await inject(
            app, [{"kind": "status", "status": 400, "method": "DELETE", "path": f"/v1/convai/agents/{agent_id}"}]
        )
        _, result = await converge(client, desired(), prune=True)
        [failed] = result.failed
        assert (failed.address, failed.operation, failed.live_id) == (
            "agent.receptionist",
            "delete_agent",
            agent_id,
        )
        record = (await read_workspace(client, desired())).record
        assert "receptionist" in record.agents, "an agent that was not deleted stays recorded"

    in_emulator(scenario)


def test_a_branch_apply_creates_the_branch_from_mains_current_version_and_collects_nothing():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            agent_id = first.ids["agent.receptionist"]
            main_version = (await client.get_agent(agent_id))["version_id"]
            main_entry = (await read_workspace(client, clinic())).record.agents["receptionist"]
            proposed = clinic("Speak Romanian.", faq="Open 8-18.\n")
            proposed = proposed.model_copy(update={"agents": {**proposed.agents, "triage": agent("triage", "Triage.")}})
            workspace = await read_workspace(client, proposed, branch="pr-9")
            plan = make_plan(proposed, workspace.live, prune=True, branch="pr-9")
            result = await apply_plan(client, plan, proposed, prune=True, branch="pr-9", workspace=workspace)
            assert result.ok, result.failed
            assert result.garbage_collected == []
            [branch] = [b for b in await client.list_branches(agent_id) if b["name"] == "pr-9"]
            assert branch["description"] == "agentform: agentform apply: agent.receptionist from commit abc1234"
            versions = (await client.get_branch(agent_id, branch["id"]))["most_recent_versions"]
            [start] = [v for v in versions if v["seq_no_in_branch"] == 0]
            assert start["parents"]["out_of_branch_parent_id"] == main_version
            entry = (await read_workspace(client, proposed)).record.branches["pr-9"]["receptionist"]
            assert entry.agent_id == agent_id and entry.applied_at
            assert (await client.get_agent(agent_id))["version_id"] == main_version, "main is untouched"
            record = (await read_workspace(client, proposed)).record
            assert record.agents["receptionist"] == main_entry, "main's record entry still describes main"
            assert record.agents["triage"].id == result.ids["agent.triage"], "a create lands on main, and is recorded"

    asyncio.run(scenario())


def test_collect_false_leaves_superseded_versions_for_the_caller_and_a_later_apply_collects_and_journals_them():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            changed = clinic(faq="Open 8-18.\n")
            result = await apply_without_collecting(client, changed)
            assert result.ok and result.garbage_collected == []
            assert len((await read_workspace(client, changed)).live.documents_of("faq")) == 2
            _, collected = await converge(client, changed)
            old = first.ids["document.faq"]
            assert collected.garbage_collected == [old]
            swept = [
                (e.address, e.action, e.operation, e.live_id) for e in collected.journal.entries if e.action == "gc"
            ]
            assert swept == [(f"document:{old}", "gc", "delete_document", old)]

    asyncio.run(scenario())


def test_a_branch_apply_journals_the_agent_update_on_main_agents_id():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            agent_id = first.ids["agent.receptionist"]
            proposed = clinic("Speak Romanian.")
            workspace = await read_workspace(client, proposed, branch="pr-5")
            plan = make_plan(proposed, workspace.live, prune=False, branch="pr-5")
            result = await apply_plan(client, plan, proposed, prune=False, branch="pr-5", workspace=workspace)
            [entry] = result.journal.entries
            assert (entry.address, entry.operation, entry.outcome, entry.live_id) == (
                "agent.receptionist",
                "update_agent",
                "ok",
                agent_id,
            )
            assert result.ids["agent.receptionist"] == agent_id

    asyncio.run(scenario())


def test_an_apply_with_nothing_to_carry_out_asks_nothing_even_with_a_version_kept_for_a_branch():
    def version(text: str) -> Desired:
        return clinic(faq=f"Open 9-17 ({text}).\n")

    async def scenario(app, client):
        await converge(client, version("v1"))
        workspace = await read_workspace(client, version("v2"), branch="pr-1")
        plan = make_plan(version("v2"), workspace.live, prune=False, branch="pr-1")
        await apply_plan(client, plan, version("v2"), prune=False, branch="pr-1", workspace=workspace)
        await converge(client, version("v3"))
        workspace = await read_workspace(client, version("v3"), prune=True)
        plan = make_plan(version("v3"), workspace.live, prune=True)
        [kept] = [c for c in plan.changes if c.action == "delete"]
        assert kept.blocked and not plan.has_changes
        mark = await last_seq(app)
        result = await apply_plan(client, plan, version("v3"), prune=True, workspace=workspace)
        assert result.ok and not result.journal.entries
        assert await request_log(app, since=mark) == []

    in_emulator(scenario)


def test_a_plan_made_for_a_branch_applies_to_that_branch_and_reads_the_workspace_itself_when_not_given_it():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            agent_id = first.ids["agent.receptionist"]
            proposed = clinic("Speak Romanian.")
            plan = await plan_for(client, proposed, branch="pr-6")
            result = await apply_plan(client, plan, proposed, prune=False)
            assert result.ok, result.failed
            assert [b["name"] for b in await client.list_branches(agent_id) if b["name"] == "pr-6"] == ["pr-6"]
            live = await client.get_agent(agent_id)
            assert live["conversation_config"]["agent"]["prompt"]["prompt"] == "Book visits."

    asyncio.run(scenario())


def test_with_prune_a_second_agent_carrying_our_markers_is_deleted_and_the_managed_one_stays_recorded():
    async def scenario(app, client):
        _, first = await converge(client, clinic())
        kept = first.ids["agent.receptionist"]
        twin = await client.create_agent(await client.get_agent(kept))
        plan, result = await converge(client, clinic(), prune=True)
        assert [(c.address, c.action) for c in plan.changes if c.is_change] == [
            (f"agent.receptionist#{twin}", "delete")
        ]
        assert result.ok, result.failed
        assert operations_by_address(result.journal) == {f"agent.receptionist#{twin}": ["delete_agent:ok"]}
        assert [a["agent_id"] for a in await client.list_agents()] == [kept]
        assert (await read_workspace(client, clinic())).record.agents["receptionist"].id == kept

    in_emulator(scenario)


def test_each_branch_apply_records_a_fingerprint_of_what_it_applied():
    async def scenario():
        async with in_process_client(new_app()) as client:
            await converge(client, clinic())

            async def applied_on_branch(prompt: str) -> str:
                proposed = clinic(prompt)
                workspace = await read_workspace(client, proposed, branch="pr-2")
                plan = make_plan(proposed, workspace.live, prune=False, branch="pr-2")
                result = await apply_plan(client, plan, proposed, prune=False, branch="pr-2", workspace=workspace)
                assert result.ok, result.failed
                record = (await read_workspace(client, proposed)).record
                return record.branches["pr-2"]["receptionist"].payload_hash

            first, second = await applied_on_branch("Version two."), await applied_on_branch("Version three.")
            assert first and second and first != second

    asyncio.run(scenario())


def test_a_failed_write_keeps_every_delete_of_the_plan_from_being_sent():
    async def scenario(app, client):
        with_triage = clinic().model_copy(update={"agents": {**clinic().agents, "triage": agent("triage", "Triage.")}})
        _, first = await converge(client, with_triage, prune=True)
        assert first.ok, first.failed
        changed_tool = clinic().model_copy(update={"tools": {"book": tool("book", "Book a visit")}})
        plan = await plan_for(client, changed_tool, prune=True)
        assert plan.change_for("agent.triage").action == "delete"
        mark = await last_seq(app)
        await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": TOOLS}])
        result = await apply_plan(client, plan, changed_tool, prune=True)
        assert not result.ok
        log = await request_log(app, since=mark)
        assert [entry["path"] for entry in log if entry["method"] == "DELETE"] == []
        assert first.ids["agent.triage"] in {a["agent_id"] for a in await client.list_agents()}

    in_emulator(scenario)
