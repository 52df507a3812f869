"""What `apply_plan` sends and journals, read from the emulator's request log, the journal and the live resources.

Each test drives the public entry points (`read_workspace`, `make_plan`, `apply_plan`) against the emulator
in-process, so it holds whatever order the executor schedules its writes in, as long as dependencies come first.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.apply.helpers import (
    agent,
    converge,
    desired,
    document,
    in_emulator,
    in_process_client,
    last_seq,
    llm_test,
    new_app,
    plan_for,
    request_log,
    source,
    tool,
    write_requests,
)
from tests.apply.test_faults import inject
from tests.support.clock import FakeClock
from tests.support.example import REPO_ROOT as EXAMPLE

from agentform.apply import ApplyRefused, Journal, apply_plan
from agentform.emulator import create_app
from agentform.model import Desired, DesiredDocument
from agentform.plan.planner import make_plan
from agentform.plan.read import read_workspace
from agentform.project.loader import load_desired

AGENTS_CREATE = "/v1/convai/agents/create"
TOOLS = "/v1/convai/tools"
MOCKS = [{"parameter_conditions": [], "mock_result": '{"booked": true}'}]


def clinic(prompt: str = "Book visits.", faq: str = "Open 9-17.\n", *, revision: str | None = "abc1234") -> Desired:
    return desired(
        agents=[agent("receptionist", prompt, knowledge=["faq"], tools=["book"])],
        documents=[document("faq", faq)],
        tools=[tool("book")],
        tests=[llm_test("receptionist", "greets")],
        revision=revision,
    )


def operations_by_address(journal: Journal) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for entry in journal.entries:
        named.setdefault(entry.address, []).append(f"{entry.operation}:{entry.outcome}")
    return named


def seq_of(log: list[dict[str, Any]], method: str, path: str) -> list[int]:
    return [entry["seq"] for entry in log if entry["method"] == method and entry["path"] == path]


async def live_ids(client: Any, want: Desired) -> dict[str, str]:
    """Address -> live id of each managed resource, as a plan sees them."""
    plan = await plan_for(client, want)
    return {change.address: change.live_id for change in plan.changes if change.live_id}


def test_a_first_apply_journals_each_create_by_the_api_operation_it_called_with_names_and_keys_but_no_bodies():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, result = await converge(client, clinic())
            assert result.ok
            assert operations_by_address(result.journal) == {
                "document.faq": ["create_text_document:ok"],
                "tool.book": ["create_tool:ok"],
                "test.receptionist/greets": ["create_test:ok"],
                "agent.receptionist": ["create_agent:ok"],
            }
            requests = {entry.address: entry.request for entry in result.journal.entries}
            assert requests["tool.book"] == {"keys": ["tool_config"], "name": "book"}
            assert requests["agent.receptionist"]["name"] == "Receptionist"
            assert requests["agent.receptionist"]["keys"] == sorted(requests["agent.receptionist"]["keys"])
            assert "conversation_config" in requests["agent.receptionist"]["keys"]
            assert "Open 9-17." not in repr(requests), "a document's text stays out of the journal"
            assert sorted(entry.step for entry in result.journal.entries) == [1, 2, 3, 4]
            for entry in result.journal.entries:
                assert entry.live_id == result.ids[entry.address]

    asyncio.run(scenario())


def test_a_create_whose_reference_failed_is_never_sent_and_the_failure_names_the_operation():
    async def scenario(app, client):
        await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": TOOLS}])
        _, result = await converge(client, clinic())
        assert not result.ok
        [failed] = result.failed
        assert (failed.address, failed.operation, failed.outcome) == ("tool.book", "create_tool", "failed")
        assert "400" in (failed.error or "")
        assert failed.live_id is None
        steps = sorted(e.step for e in result.journal.entries)
        assert steps == list(range(1, len(steps) + 1)), "steps number the operations from 1"
        log = await request_log(app)
        assert not seq_of(log, "POST", AGENTS_CREATE), "the agent that uses the failed tool is not created"
        assert "agent.receptionist" not in result.ids
        # Run by stages, the agent's stage never starts; scheduled by dependency, it is journaled as skipped.
        agent_entries = [e for e in result.journal.entries if e.address == "agent.receptionist"]
        assert all((e.outcome, e.error) == ("skipped", "not attempted: tool.book failed") for e in agent_entries)
        assert result.skipped == [e for e in result.journal.entries if e.outcome == "skipped"]
        assert not result.garbage_collected

    in_emulator(scenario)


def test_a_failed_update_journals_the_update_operation_with_the_live_id_it_aimed_at():
    async def scenario(app, client):
        _, first = await converge(client, clinic())
        agent_id = first.ids["agent.receptionist"]
        await inject(
            app, [{"kind": "status", "status": 400, "method": "PATCH", "path": f"/v1/convai/agents/{agent_id}"}]
        )
        _, result = await converge(client, clinic("A new prompt."))
        [failed] = result.failed
        assert (failed.address, failed.action, failed.operation) == ("agent.receptionist", "update", "update_agent")
        assert failed.live_id == agent_id

    in_emulator(scenario)


def test_a_document_edited_in_the_dashboard_is_patched_back_and_its_version_compared_by_content_until_proven():
    async def scenario():
        clock = FakeClock()
        app = create_app(":memory:", clock=clock)
        async with in_process_client(app) as client:
            _, first = await converge(client, clinic())
            document_id = first.ids["document.faq"]
            clock.advance(1)
            await client.update_document(document_id, content="Closed forever.\n")
            plan = await plan_for(client, clinic())
            change = plan.change_for("document.faq")
            assert (change.action, change.drift) == ("update", True)
            mark = await last_seq(app)
            _, result = await converge(client, clinic())
            assert result.ok, result.failed
            assert operations_by_address(result.journal) == {"document.faq": ["update_document:ok"]}
            [write] = [e for e in write_requests(await request_log(app, since=mark)) if document_id in e["path"]]
            assert write["method"] == "PATCH"
            assert (await client.get_document_content(document_id)).strip() == "Open 9-17."
            entry = (await read_workspace(client, clinic())).record.documents[document_id]
            assert entry.key == "faq" and not entry.verified
            assert not (await plan_for(client, clinic())).has_changes

    asyncio.run(scenario())


def test_a_test_changed_in_the_dashboard_is_written_back_with_the_files_body():
    async def scenario():
        clock = FakeClock()
        app = create_app(":memory:", clock=clock)
        async with in_process_client(app) as client:
            _, first = await converge(client, clinic())
            test_id = first.ids["test.receptionist/greets"]
            clock.advance(1)
            live = await client.get_test(test_id)
            await client.update_test(test_id, {**live, "success_condition": "Anything goes."})
            _, result = await converge(client, clinic())
            assert result.ok, result.failed
            assert operations_by_address(result.journal) == {"test.receptionist/greets": ["update_test:ok"]}
            assert (await client.get_test(test_id))["success_condition"] == "The agent greets the caller."
            entry = (await read_workspace(client, clinic())).record.tests[test_id]
            assert entry.key == "receptionist/greets" and not entry.verified
            assert not (await plan_for(client, clinic())).has_changes

    asyncio.run(scenario())


def test_a_file_document_that_changed_after_the_plan_is_not_uploaded():
    def with_leaflet(data: bytes) -> Desired:
        leaflet = DesiredDocument(
            key="leaflet", kind="file", name="Leaflet", data=data, filename="leaflet.pdf", source=source("k/l.pdf")
        )
        return desired(documents=[leaflet])

    async def scenario(app, client):
        planned = with_leaflet(b"%PDF-1.4\n% v1\n")
        workspace = await read_workspace(client, planned)
        plan = make_plan(planned, workspace.live, prune=False)
        changed = with_leaflet(b"%PDF-1.4\n% v2\n")
        result = await apply_plan(client, plan, changed, prune=False, workspace=workspace)
        [failed] = result.failed
        assert (failed.address, failed.operation) == ("document.leaflet", "create_document")
        assert "plan again" in (failed.error or "")
        assert not [e for e in await request_log(app) if e["path"] == "/v1/convai/knowledge-base/file"]

    in_emulator(scenario)


def test_a_file_document_is_uploaded_under_its_file_name():
    async def scenario(app, client):
        leaflet = DesiredDocument(
            key="leaflet", kind="file", name="Leaflet", data=b"%PDF-1.4\n", source=source("k/l.pdf")
        )
        _, result = await converge(client, desired(documents=[leaflet]))
        assert result.ok, result.failed
        assert operations_by_address(result.journal) == {"document.leaflet": ["create_file_document:ok"]}
        live = await client.get_document(result.ids["document.leaflet"])
        assert live["name"].startswith("Leaflet")

    in_emulator(scenario)


def test_an_agent_version_is_labelled_with_the_address_and_the_working_tree_when_there_is_no_commit():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic(revision=None))
            _, result = await converge(client, clinic("Changed in the working tree.", revision=None))
            assert result.ok
            agent_id = first.ids["agent.receptionist"]
            live = await client.get_agent(agent_id)
            version = await client.get_version(agent_id, live["version_id"])
            assert version["version_description"] == "agentform apply: agent.receptionist from the working tree"

    asyncio.run(scenario())


def test_an_apply_whose_creates_were_not_retried_lists_nothing_again_to_look_for_twins():
    async def scenario(app, client):
        _, result = await converge(client, clinic())
        assert result.ok and result.duplicates_removed == []
        log = await request_log(app)
        assert len(seq_of(log, "GET", "/v1/convai/agents")) == 1
        assert len(seq_of(log, "GET", TOOLS)) == 1

    in_emulator(scenario)


def test_progress_sees_each_journal_entry_as_it_is_written_and_started_each_operation_as_it_begins():
    async def scenario(app, client):
        await inject(app, [{"kind": "status", "status": 400, "method": "POST", "path": TOOLS}])
        want = clinic()
        workspace = await read_workspace(client, want)
        plan = make_plan(want, workspace.live, prune=False)
        seen: list[Any] = []
        begun: list[str] = []
        result = await apply_plan(
            client,
            plan,
            want,
            prune=False,
            workspace=workspace,
            progress=seen.append,
            started=lambda change: begun.append(change.address),
        )
        assert seen == list(result.journal.entries)
        attempted = {entry.address for entry in result.journal.entries if entry.outcome != "skipped"}
        assert sorted(begun) == sorted(attempted)
        assert "tool.book" in begun and "agent.receptionist" not in begun

    in_emulator(scenario)


def test_a_rotated_secret_is_updated_in_place_and_journaled_as_such():
    async def scenario():
        async with in_process_client(new_app()) as client:
            first_files = load_desired(EXAMPLE, env="local", environ={"CLINIC_WEBHOOK_TOKEN": "first-token"})
            _, first = await converge(client, first_files)
            assert first.ok, first.failed
            [address] = [a for a in first.ids if a.startswith("secret.")]
            secret_id = first.ids[address]
            assert operations_by_address(first.journal)[address] == ["create_secret:ok"]
            rotated = load_desired(EXAMPLE, env="local", environ={"CLINIC_WEBHOOK_TOKEN": "second-token"})
            plan, result = await converge(client, rotated)
            assert [(c.address, c.action) for c in plan.changes if c.is_change] == [(address, "update")]
            assert result.ok, result.failed
            [entry] = result.journal.entries
            assert (entry.address, entry.operation, entry.outcome, entry.live_id) == (
                address,
                "update_secret",
                "ok",
                secret_id,
            )
            assert result.ids[address] == secret_id
            assert not (await plan_for(client, rotated)).has_changes

    asyncio.run(scenario())


def test_an_agent_update_and_a_tool_repair_are_journaled_by_the_operation_they_called():
    async def scenario():
        async with in_process_client(new_app()) as client:
            mocked = tool("book").model_copy(update={"response_mocks": MOCKS})
            files = desired(agents=[agent("receptionist", tools=["book"])], tools=[mocked])
            _, first = await converge(client, files)
            assert first.ok, first.failed
            tool_id = first.ids["tool.book"]
            live = await client.get_tool(tool_id)
            config = {**live["tool_config"], "description": "Edited in the dashboard"}  # and its mocks dropped
            await client.update_tool(tool_id, config, [])
            changed = desired(agents=[agent("receptionist", "A new prompt.", tools=["book"])], tools=[mocked])
            _, result = await converge(client, changed)
            assert result.ok, result.failed
            assert operations_by_address(result.journal) == {
                "tool.book": ["update_tool:ok"],
                "agent.receptionist": ["update_agent:ok"],
            }
            assert {e.address: e.live_id for e in result.journal.entries} == {
                "tool.book": tool_id,
                "agent.receptionist": first.ids["agent.receptionist"],
            }
            repaired = await client.get_tool(tool_id)
            assert repaired["tool_config"]["description"] == "Book an appointment"
            assert repaired.get("response_mocks") == MOCKS

    asyncio.run(scenario())


def test_a_document_renamed_in_the_dashboard_gets_its_name_back():
    async def scenario():
        async with in_process_client(new_app()) as client:
            _, first = await converge(client, clinic())
            document_id = first.ids["document.faq"]
            name = (await client.get_document(document_id))["name"]
            await client.update_document(document_id, name="Renamed by hand")
            _, result = await converge(client, clinic())
            assert operations_by_address(result.journal) == {"document.faq": ["update_document:ok"]}
            assert (await client.get_document(document_id))["name"] == name

    asyncio.run(scenario())


def test_a_url_and_a_file_document_are_created_in_the_managed_folder_with_their_settings():
    site = DesiredDocument(
        key="site",
        kind="url",
        name="Site",
        url="https://clinic.example/",
        url_settings={"enable_auto_sync": True},
        source=source("knowledge/site.url"),
    )
    leaflet = DesiredDocument(
        key="leaflet", kind="file", name="Leaflet", data=b"%PDF-1.4\n", filename="leaflet.pdf", source=source("k/l.pdf")
    )

    async def scenario():
        async with in_process_client(new_app()) as client:
            files = desired(documents=[site, leaflet])
            _, result = await converge(client, files)
            assert result.ok, result.failed
            assert operations_by_address(result.journal) == {
                "document.leaflet": ["create_file_document:ok"],
                "document.site": ["create_url_document:ok"],
            }
            folder = result.ids["folder.documents"]
            for address, name in (("document.site", "Site ["), ("document.leaflet", "Leaflet [")):
                live = await client.get_document(result.ids[address])
                assert live["name"].startswith(name) and live["folder_parent_id"] == folder
            workspace = await read_workspace(client, files)
            assert {d.key for d in workspace.live.documents} == {"site", "leaflet"}, "both are in the managed folder"
            assert not (await plan_for(client, files)).has_changes

    asyncio.run(scenario())


def test_an_apply_reuses_the_folders_the_plan_read_and_lists_nothing():
    async def scenario(app, client):
        await converge(client, clinic())
        more = desired(
            agents=[agent("receptionist", knowledge=["faq", "prices"], tools=["book"])],
            documents=[document("faq", "Open 9-17.\n"), document("prices", "Visit: 50 EUR.\n")],
            tools=[tool("book")],
            tests=[llm_test("receptionist", "greets"), llm_test("receptionist", "polite", "Polite.")],
        )
        workspace = await read_workspace(client, more)
        plan = make_plan(more, workspace.live, prune=False)
        before = workspace.record.model_dump()
        mark = await last_seq(app)
        result = await apply_plan(client, plan, more, prune=False, workspace=workspace)
        assert result.ok, result.failed
        assert [e["method"] for e in await request_log(app, since=mark) if e["method"] == "GET"] == []
        assert workspace.record.model_dump() == before, "the plan's reads are left as they were read"

    in_emulator(scenario)


def test_apply_refuses_a_plan_with_conflicts_naming_each_and_sends_nothing():
    async def scenario(app, client):
        await converge(client, clinic())
        plan = await plan_for(client, clinic("Changed."))
        conflicting = plan.model_copy(
            update={
                "changes": [
                    c.model_copy(update={"conflict": c.address in ("agent.receptionist", "document.faq")})
                    for c in plan.changes
                ]
            }
        )
        mark = await last_seq(app)
        with pytest.raises(ApplyRefused) as refused:
            await apply_plan(client, conflicting, clinic("Changed."), prune=False)
        assert str(refused.value) == (
            "drift conflict on document.faq, agent.receptionist: choose a side with --on-drift git-wins|live-wins"
        )
        assert await request_log(app, since=mark) == []

    in_emulator(scenario)


def test_a_failed_replace_is_journaled_as_the_create_of_the_new_version():
    async def scenario(app, client):
        await converge(client, clinic())
        changed = clinic(faq="Open 8-18.\n")
        assert (await plan_for(client, changed)).change_for("document.faq").action == "replace"
        await inject(
            app, [{"kind": "status", "status": 400, "method": "POST", "path": "/v1/convai/knowledge-base/text"}]
        )
        _, result = await converge(client, changed)
        [failed] = result.failed
        assert (failed.address, failed.action, failed.operation) == ("document.faq", "replace", "create_document")

    in_emulator(scenario)
