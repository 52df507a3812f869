"""The session's request contract: what the emulator records for each request, and how the record is judged."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tests.contract.recording import judge, read_record

from agentform.elevenlabs import ElevenLabsClient
from agentform.emulator import DEV_API_KEY, create_app


def _entry(**fields):
    return {
        "method": "GET",
        "path": "/v1/convai/agents",
        "user_agent": "agentform/0.1.0",
        "operation": None,
        "problems": [],
        **fields,
    }


def test_a_request_that_breaks_the_document_is_a_violation_naming_operation_field_and_message():
    problem = {"loc": ["body", "tags"], "msg": "Input should be a valid array", "type": "list_type"}
    entry = _entry(
        method="PATCH", path="/v1/convai/agents/a1", operation="/v1/convai/agents/{agent_id}", problems=[problem]
    )

    assert judge([entry]) == ["PATCH /v1/convai/agents/{agent_id}: body.tags: Input should be a valid array"]


def test_an_operation_the_document_lacks_is_a_violation_unless_listed_with_its_reason():
    unknown = _entry(method="POST", path="/v1/convai/agents/a1/teleport")
    cancel = _entry(method="POST", path="/v1/convai/test-invocations/suite_1/cancel")

    assert judge([unknown, cancel]) == ["POST /v1/convai/agents/a1/teleport: not an operation of the OpenAPI document"]


def test_requests_other_clients_send_are_not_agentforms_to_answer_for():
    tests_own = _entry(
        user_agent="testclient",
        operation="/v1/convai/tools",
        problems=[{"loc": ["body"], "msg": "Field required", "type": "missing"}],
    )

    assert judge([tests_own]) == []


@pytest.mark.e2e
def test_the_emulator_records_what_agentform_sends_with_the_documents_verdict(tmp_path):
    record = tmp_path / "requests.jsonl"
    app = create_app(record_to=str(record))

    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with ElevenLabsClient("http://emulator.local", DEV_API_KEY, transport=transport) as client:
            await client.list_agents()
            with pytest.raises(Exception, match="422"):
                await client.create_tool({"type": "webhook", "name": "x", "description": "y"})

    asyncio.run(go())

    entries = read_record(record)
    assert [(e["method"], e["operation"]) for e in entries] == [
        ("GET", "/v1/convai/agents"),
        ("POST", "/v1/convai/tools"),
    ]
    assert entries[1]["user_agent"].startswith("agentform/")
    assert judge(entries) == ["POST /v1/convai/tools: body.tool_config.webhook.api_schema: Field required"]
