"""Knowledge base, tools, tests, runs and conversations through the client against the emulator over loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from agentform.elevenlabs import ApiError, ElevenLabsClient, NotFoundError, RetryPolicy
from agentform.emulator import DEV_API_KEY

FAST = RetryPolicy(max_retries=4, base_delay=0.005, max_delay=0.05, max_total_wait=2.0)
WEBHOOK = {
    "type": "webhook",
    "name": "book_appointment",
    "description": "Books an appointment at the clinic",
    "api_schema": {"url": "https://clinic.example.test/book", "method": "POST"},
}


@pytest.fixture
def base_url(emulator: str) -> str:
    httpx.post(f"{emulator}/_emulator/reset", headers={"xi-api-key": DEV_API_KEY}).raise_for_status()
    return emulator


def session(base_url: str, work) -> Any:
    async def go() -> Any:
        async with ElevenLabsClient(base_url, DEV_API_KEY, retry_policy=FAST, max_retries=4) as client:
            return await work(client)

    return asyncio.run(go())


def test_text_documents_round_trip_with_their_content(base_url: str) -> None:
    async def work(client: ElevenLabsClient) -> tuple[Any, ...]:
        folder = await client.create_folder(name="agentform:clinic")
        doc = await client.create_text_document(text="Open 9 to 17.", name="hours", parent_folder_id=folder["id"])
        await client.update_document(doc["id"], content="Open 8 to 18.")
        content = await client.get_document_content(doc["id"])
        in_folder = await client.list_documents(parent_folder_id=folder["id"])
        folders = await client.list_documents(types=["folder"], search="agentform")
        return doc, content, in_folder, folders, folder

    doc, content, in_folder, folders, folder = session(base_url, work)
    assert content.strip() == "Open 8 to 18."
    assert [item["id"] for item in in_folder] == [doc["id"]]
    assert [item["id"] for item in folders] == [folder["id"]]


def test_a_file_document_is_uploaded_as_multipart(base_url: str) -> None:
    async def work(client: ElevenLabsClient) -> dict:
        created = await client.create_file_document(filename="prices.txt", data=b"Consult: 200 lei", name="prices")
        return await client.get_document(created["id"])

    document = session(base_url, work)
    assert document["name"] == "prices"
    assert document["type"] == "file"


def test_a_document_in_use_needs_force_to_delete(base_url: str) -> None:
    async def work(client: ElevenLabsClient) -> tuple[Any, ...]:
        doc = await client.create_text_document(text="FAQ", name="faq")
        locator = {"type": "text", "name": "faq", "id": doc["id"], "usage_mode": "auto"}
        agent_id = await client.create_agent(
            {"name": "Clinic", "conversation_config": {"agent": {"prompt": {"knowledge_base": [locator]}}}}
        )
        dependents = await client.document_dependent_agents(doc["id"])
        with pytest.raises(ApiError) as refused:
            await client.delete_document(doc["id"])
        await client.delete_document(doc["id"], force=True)
        with pytest.raises(NotFoundError):
            await client.get_document(doc["id"])
        return agent_id, dependents, refused.value

    agent_id, dependents, refused = session(base_url, work)
    assert agent_id in [agent["id"] for agent in dependents["agents"]]
    assert refused.status in (400, 409, 422)
    assert refused.resource.startswith("document ")


def test_tools_are_created_updated_with_the_full_config_and_deleted(base_url: str) -> None:
    async def work(client: ElevenLabsClient) -> tuple[Any, ...]:
        tool = await client.create_tool(WEBHOOK)
        changed = {**WEBHOOK, "description": "Books or moves an appointment"}
        updated = await client.update_tool(tool["id"], changed)
        listed = await client.list_tools()
        dependents = await client.tool_dependent_agents(tool["id"])
        await client.delete_tool(tool["id"])
        with pytest.raises(NotFoundError):
            await client.get_tool(tool["id"])
        return updated, listed, dependents

    updated, listed, dependents = session(base_url, work)
    assert updated["tool_config"]["description"] == "Books or moves an appointment"
    assert [tool["tool_config"]["name"] for tool in listed] == ["book_appointment"]
    assert dependents["agents"] == []


def test_tests_are_created_replaced_with_put_run_on_an_agent_and_polled(base_url: str) -> None:
    test_body = {
        "type": "llm",
        "name": "greets in romanian",
        "chat_history": [{"role": "user", "message": "Bună ziua", "time_in_call_secs": 0}],
        "success_condition": "The agent greets the caller",
        "success_examples": [{"response": "Alo, bună ziua!", "type": "success"}],
        "failure_examples": [{"response": "Goodbye.", "type": "failure"}],
    }

    async def work(client: ElevenLabsClient) -> tuple[Any, ...]:
        folder = await client.create_test_folder(name="agentform:clinic")
        test_id = await client.create_test({**test_body, "parent_folder_id": folder["id"]})
        await client.update_test(test_id, {**test_body, "name": "greets the caller"})
        fetched = await client.get_test(test_id)
        listed = await client.list_tests(parent_folder_id=folder["id"])
        agent_id = await client.create_agent(
            {"name": "Clinic", "conversation_config": {"agent": {"first_message": "Alo, bună ziua!"}}}
        )
        invocation = await client.run_tests(agent_id, [test_id], name="smoke")
        polled = await client.get_test_invocation(invocation["id"])
        history = await client.list_test_invocations(agent_id=agent_id)
        await client.delete_test(test_id)
        return fetched, listed, invocation, polled, history, test_id

    fetched, listed, invocation, polled, history, test_id = session(base_url, work)
    assert fetched["name"] == "greets the caller"
    assert [item["id"] for item in listed] == [test_id]
    assert [run["test_id"] for run in invocation["test_runs"]] == [test_id]
    assert polled["id"] == invocation["id"]
    assert all(run["status"] in ("pending", "passed", "failed") for run in polled["test_runs"])
    assert [item["id"] for item in history] == [invocation["id"]]


def seed_conversation(base_url: str, agent_id: str, **fields: Any) -> str:
    body = {"agent_id": agent_id, "transcript": [{"role": "user", "message": "Bună", "time_in_call_secs": 0}], **fields}
    response = httpx.post(f"{base_url}/_emulator/conversations", json=body, headers={"xi-api-key": DEV_API_KEY})
    response.raise_for_status()
    return response.json()["conversation_id"]


def test_conversations_are_listed_with_filters_read_and_rated(base_url: str) -> None:
    agent_id = session(base_url, lambda client: client.create_agent({"name": "Clinic", "conversation_config": {}}))
    failed = seed_conversation(base_url, agent_id, call_successful="failure", start_time_unix_secs=2_000)
    seed_conversation(base_url, agent_id, call_successful="success", start_time_unix_secs=3_000)
    seed_conversation(base_url, agent_id, call_successful="success", start_time_unix_secs=1_000)

    async def work(client: ElevenLabsClient) -> tuple[Any, ...]:
        failures = await client.list_conversations(agent_id=agent_id, call_successful="failure")
        recent = await client.list_conversations(agent_id=agent_id, call_start_after_unix=1_500)
        first_two = await client.list_conversations(agent_id=agent_id, limit=2)
        await client.send_conversation_feedback(failed, "dislike")
        return failures, recent, first_two, await client.get_conversation(failed)

    failures, recent, first_two, conversation = session(base_url, work)
    assert [item["conversation_id"] for item in failures] == [failed]
    assert len(recent) == 2
    assert len(first_two) == 2
    assert conversation["conversation_id"] == failed
    assert conversation["transcript"][0]["message"] == "Bună"
    assert conversation["metadata"]["feedback"]["overall_score"] == "dislike"
