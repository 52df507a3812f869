"""`--branch` semantics, drift and conflicts, garbage collection of superseded versions, failure reports."""

from __future__ import annotations

import asyncio

import pytest
from tests.apply.helpers import (
    agent,
    converge,
    desired,
    document,
    in_process_client,
    llm_test,
    new_app,
    plan_for,
    tool,
)
from tests.apply.test_faults import clear, inject
from tests.support.clock import FakeClock

from agentform.apply import ApplyRefused, Journal, apply_plan
from agentform.emulator import create_app
from agentform.plan.planner import make_plan
from agentform.plan.read import read_workspace


def project(prompt: str = "Book visits.", faq: str = "Open 9-17.\n"):
    return desired(
        agents=[agent("receptionist", prompt, knowledge=["faq"], tools=["book"])],
        documents=[document("faq", faq)],
        tools=[tool("book")],
    )


async def apply_on_branch(client, want, branch):
    workspace = await read_workspace(client, want, branch=branch)
    plan = make_plan(want, workspace.live, prune=False, branch=branch)
    return plan, await apply_plan(client, plan, want, prune=False, branch=branch, workspace=workspace)


def prompt_of(config):
    return config["conversation_config"]["agent"]["prompt"]["prompt"]


def test_apply_to_a_branch_changes_only_that_branch_and_records_what_it_applied():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, project())
            agent_id = first.ids["agent.receptionist"]
            proposed = project("Book visits. Speak Romanian.", faq="Open 8-18.\n")
            _, result = await apply_on_branch(client, proposed, "pr-7")
            assert result.ok, result.failed

            assert prompt_of(await client.get_agent(agent_id)) == "Book visits."
            branch = next(b for b in await client.list_branches(agent_id) if b["name"] == "pr-7")
            on_branch = await client.get_agent(agent_id, branch_id=branch["id"])
            assert prompt_of(on_branch) == "Book visits. Speak Romanian."
            main_kb = (await client.get_agent(agent_id))["conversation_config"]["agent"]["prompt"]["knowledge_base"]
            branch_kb = on_branch["conversation_config"]["agent"]["prompt"]["knowledge_base"]
            assert main_kb != branch_kb, "the new document version is referenced from the branch only"

            record = (await read_workspace(client, proposed)).record
            entry = record.branches["pr-7"]["receptionist"]
            assert (entry.branch_id, entry.version_id) == (branch["id"], on_branch["version_id"])
            assert entry.source_revision == "abc1234"

            assert not (await plan_for(client, proposed, branch="pr-7")).has_changes
            assert (await plan_for(client, proposed)).has_changes, "main still differs until deploy"
            # The old document version is still main's: nothing collected it.
            assert len((await read_workspace(client, proposed)).live.documents_of("faq")) == 2

    asyncio.run(scenario())


def test_a_second_branch_apply_reuses_the_existing_branch():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, project())
            await apply_on_branch(client, project("Version two."), "pr-8")
            _, again = await apply_on_branch(client, project("Version three."), "pr-8")
            assert again.ok
            names = [b["name"] for b in await client.list_branches(first.ids["agent.receptionist"])]
            assert names.count("pr-8") == 1

    asyncio.run(scenario())


def test_a_dashboard_edit_shows_as_drift_and_git_wins_when_the_file_did_not_touch_it():
    async def scenario():
        clock = FakeClock()
        async with in_process_client(create_app(":memory:", clock=clock)) as client:
            _, first = await converge(client, project())
            agent_id = first.ids["agent.receptionist"]
            clock.advance(1)  # a human edit comes in a later second than our write
            await client.update_agent(agent_id, {"name": "Renamed in the dashboard"})
            plan = await plan_for(client, project())
            change = plan.change_for("agent.receptionist")
            assert change.drift and not change.conflict and change.action == "update"
            _, result = await converge(client, project())
            assert result.ok
            assert (await client.get_agent(agent_id))["name"] == "Receptionist"
            assert not (await plan_for(client, project())).has_changes

    asyncio.run(scenario())


def test_a_field_changed_both_in_git_and_live_is_a_conflict_that_apply_refuses_without_sending_anything():
    async def scenario():
        clock = FakeClock()
        async with in_process_client(create_app(":memory:", clock=clock)) as client:
            _, first = await converge(client, project())
            agent_id = first.ids["agent.receptionist"]
            clock.advance(1)
            live = await client.get_agent(agent_id)
            config = live["conversation_config"]
            config["agent"]["prompt"]["prompt"] = "Edited live."
            await client.update_agent(agent_id, {"conversation_config": config})
            edited = project("Edited in git.")
            workspace = await read_workspace(client, edited)
            plan = make_plan(edited, workspace.live, prune=False)
            assert plan.has_conflicts
            writes = client.write_count
            with pytest.raises(ApplyRefused, match=r"agent\.receptionist"):
                await apply_plan(client, plan, edited, prune=False, workspace=workspace)
            assert client.write_count == writes

            resolved = make_plan(edited, workspace.live, prune=False, on_drift="git-wins")
            result = await apply_plan(client, resolved, edited, prune=False, workspace=workspace)
            assert result.ok and prompt_of(await client.get_agent(agent_id)) == "Edited in git."

    asyncio.run(scenario())


def test_a_superseded_document_version_is_collected_after_main_moves_unless_a_branch_still_uses_it():
    async def scenario():
        async with in_process_client(new_app()) as client:
            await converge(client, project(faq="v1\n"))
            await apply_on_branch(client, project(faq="v2\n"), "pr-1")
            _, result = await converge(client, project(faq="v3\n"))
            assert result.ok
            versions = (await read_workspace(client, project(faq="v3\n"))).live.documents_of("faq")
            # v1 was only main's and is gone; v2 is still referenced by branch pr-1; v3 is main's now.
            assert len(result.garbage_collected) == 1
            assert len(versions) == 2

    asyncio.run(scenario())


def test_the_plan_keeps_a_superseded_version_a_pr_branch_uses_as_apply_does_and_deletes_it_once_archived():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, project(faq="v1\n"))
            agent_id = first.ids["agent.receptionist"]
            _, on_branch = await apply_on_branch(client, project(faq="v2\n"), "pr-1")
            await converge(client, project(faq="v3\n"))
            [v2] = [
                d
                for d in (await read_workspace(client, project())).live.documents
                if d.id == on_branch.ids["document.faq"]
            ]
            v2_address = f"document.faq@{v2.hash}"
            for prune in (False, True):
                plan, result = await converge(client, project(faq="v3\n"), prune=prune)
                assert (plan.change_for(v2_address).blocked) == "still referenced by branch pr-1 of agent.receptionist"
                assert not plan.has_changes and result.ok
                assert v2.id in {d.id for d in (await read_workspace(client, project())).live.documents}

            pr_1 = next(b for b in await client.list_branches(agent_id) if b["name"] == "pr-1")
            await client.update_branch(agent_id, pr_1["id"], is_archived=True)
            plan, result = await converge(client, project(faq="v3\n"))
            assert plan.change_for(v2_address).is_change
            assert (
                plan.summary().line() == "Plan: 0 to add, 0 to change, 0 to destroy; 1 superseded version to clean up."
            )
            assert result.ok and result.garbage_collected == [v2.id]
            assert not (await plan_for(client, project(faq="v3\n"))).has_changes

    asyncio.run(scenario())


def test_a_superseded_tool_version_a_pr_branch_uses_is_planned_as_kept_naming_the_branch():
    async def scenario():
        async with in_process_client(new_app()) as client:
            await converge(client, project())
            changed = desired(
                agents=[agent("receptionist", "Book visits.", knowledge=["faq"], tools=["book"])],
                documents=[document("faq", "Open 9-17.\n")],
                tools=[tool("book", description="Books a visit")],
            )
            await apply_on_branch(client, changed, "pr-2")
            plan = await plan_for(client, project(), prune=True)
            [kept] = [c for c in plan.changes if c.kind == "tool" and c.action == "delete"]
            assert kept.blocked == "still referenced by branch pr-2 of agent.receptionist"

    asyncio.run(scenario())


def test_a_superseded_test_version_a_pr_branch_attaches_is_planned_as_kept_and_kept_with_prune():
    def with_test(condition):
        want = project()
        test = llm_test("receptionist", "greets", condition)
        return want.model_copy(update={"tests": {test.address: test}})

    async def scenario():
        async with in_process_client(new_app()) as client:
            await converge(client, with_test("v1"))
            _, on_branch = await apply_on_branch(client, with_test("v2"), "pr-3")
            v2_id = on_branch.ids["test.receptionist/greets"]
            plan, result = await converge(client, with_test("v3"), prune=True)
            [kept] = [c for c in plan.changes if c.kind == "test" and c.action == "delete" and c.live_id == v2_id]
            assert kept.blocked == "still referenced by branch pr-3 of agent.receptionist"
            assert result.ok and v2_id not in result.garbage_collected
            assert v2_id in {t.id for t in (await read_workspace(client, with_test("v3"))).live.tests}

    asyncio.run(scenario())


def test_a_failed_apply_journals_what_was_done_and_a_rerun_finishes_the_rest():
    async def scenario():
        app = new_app()
        async with in_process_client(app) as client:
            await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": "/v1/convai/agents/create"}])
            journal = Journal()
            workspace = await read_workspace(client, project())
            plan = make_plan(project(), workspace.live, prune=False)
            result = await apply_plan(client, plan, project(), prune=False, workspace=workspace, journal=journal)
            assert not result.ok
            outcomes = {entry.address: entry.outcome for entry in journal.entries}
            assert outcomes == {"document.faq": "ok", "tool.book": "ok", "agent.receptionist": "failed"}
            assert "400" in result.failed[0].error
            await clear(app)
            plan, rerun = await converge(client, project())
            assert [c.address for c in plan.changes if c.is_change] == ["agent.receptionist"]
            assert rerun.ok

    asyncio.run(scenario())
