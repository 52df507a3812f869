"""What a plan reads beyond the list calls, against the emulator, and what it shows with what it read."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import agent, converged, desired, document, last_seq, llm_test, plan_for, request_log, tool

from agentform.plan.model import Plan
from agentform.plan.read import read_workspace

KB = "/v1/convai/knowledge-base"
GREETING = [{"role": "user", "message": "Hello, I would like to book a visit for next week.", "time_in_call_secs": 0}]
FOLLOW_UP = {"role": "user", "message": "Tuesday morning, please, if the doctor is in.", "time_in_call_secs": 4}


def project(condition: str = "The agent greets the caller.", history: list[dict] = GREETING, faq: str = "Open 9-17.\n"):
    test = llm_test("receptionist", "greets", condition)
    return desired(
        agents=[agent("receptionist", knowledge=["faq"], tools=["book"])],
        documents=[document("faq", faq)],
        tools=[tool("book")],
        tests=[test.model_copy(update={"body": {**test.body, "chat_history": history}})],
    )


async def detail_reads(app, client, want, **options) -> tuple[Plan, list[str]]:
    """A plan of `want`, and the detail reads it sent: GETs of one resource or of its dependents (list calls name
    no id in their path), bar the state record's content, which every plan reads."""
    record = (await read_workspace(client, want)).record_document_id
    mark = await last_seq(app)
    plan = await plan_for(client, want, **options)
    detail = ("/v1/convai/agent-testing/", "/v1/convai/agents/", "/dependent-agents", "/content")
    paths = [entry["path"] for entry in await request_log(app, since=mark) if entry["method"] == "GET"]
    return plan, sorted(p for p in paths if any(d in p for d in detail) and p != f"{KB}/{record}/content")


def test_an_edited_test_spec_is_planned_as_a_replace_showing_the_fields_of_the_old_body():
    async def scenario():
        async with converged(project()) as (app, client, _):
            live = (await read_workspace(client, project())).live
            [old], [receptionist] = live.tests, live.agents
            edited = project("The agent offers a Tuesday morning slot.", [*GREETING, FOLLOW_UP])
            plan, reads = await detail_reads(app, client, edited)
            change = plan.change_for("test.receptionist/greets")
            assert change.action == "replace" and change.live_id == old.id
            fields = {field.path: field for field in change.fields}
            assert set(fields) == {"chat_history", "success_condition"}, "never a bare content_hash"
            assert (fields["success_condition"].before, fields["success_condition"].after) == (
                "The agent greets the caller.",
                "The agent offers a Tuesday morning slot.",
            )
            added = [line for line in fields["chat_history"].line_diff.splitlines() if line.startswith("+{")]
            assert len(added) == 1 and "Tuesday morning, please" in added[0]
            # The old body, for the diff; the agent's branches, for the old version's delete (tests have no
            # dependents endpoint: each unarchived branch tip, here main alone, says what it attaches).
            agent_path = f"/v1/convai/agents/{receptionist.id}"
            assert reads == sorted([f"/v1/convai/agent-testing/{old.id}", agent_path, f"{agent_path}/branches"])

    asyncio.run(scenario())


def test_a_no_op_plan_reads_no_body_no_text_and_no_dependents():
    async def scenario():
        async with converged(project()) as (app, client, _):
            plan, reads = await detail_reads(app, client, project(), prune=True)
            assert not plan.has_changes and reads == []

    asyncio.run(scenario())


def test_a_plan_reads_the_old_text_and_the_dependents_of_the_superseded_document_only():
    async def scenario():
        async with converged(project()) as (app, client, _):
            [old] = (await read_workspace(client, project())).live.documents
            plan, reads = await detail_reads(app, client, project(faq="Open 8-18.\n"))
            assert (
                plan.summary().line() == "Plan: 1 to add, 1 to change, 0 to destroy; 1 superseded version to clean up."
            )
            assert reads == [f"{KB}/{old.id}/content", f"{KB}/{old.id}/dependent-agents"]

    asyncio.run(scenario())
