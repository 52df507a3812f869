"""Property: for each operation with a JSON body that agentform uses, bodies generated from ElevenLabs' OpenAPI
document are accepted by the emulator (never a 422), and each single change the document forbids gets the API's 422
with nothing stored.

Bounded for CI: `AGENTFORM_CONTRACT_EXAMPLES` examples per operation (default 10); raise it for a thorough run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.contract.schema_strategies import apply, mutations, values

from agentform.emulator import DEV_API_KEY, create_app
from agentform.openapi import load_document

EXAMPLES = int(os.environ.get("AGENTFORM_CONTRACT_EXAMPLES", "10"))
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
STORED_KINDS = (
    "agent", "branch", "version", "deployment", "document", "tool", "test", "testfolder", "invocation", "testrun",
    "conversation",
)  # fmt: skip


def _agent(api: TestClient) -> str:
    body = {"conversation_config": {"agent": {"prompt": {"prompt": "You are helpful."}}}}
    return api.post("/v1/convai/agents/create", json=body).json()["agent_id"]


def _tool(api: TestClient) -> str:
    config = {"type": "client", "name": "lookup", "description": "Looks things up", "expects_response": False}
    return api.post("/v1/convai/tools", json={"tool_config": config}).json()["id"]


def _test(api: TestClient) -> str:
    body = {
        "name": "t",
        "type": "llm",
        "chat_history": [{"role": "user", "message": "hi", "time_in_call_secs": 0}],
        "success_condition": "ok",
        "success_examples": [],
        "failure_examples": [],
    }
    return api.post("/v1/convai/agent-testing/create", json=body).json()["id"]


def _document(api: TestClient) -> str:
    return api.post("/v1/convai/knowledge-base/text", json={"text": "We open at nine.", "name": "faq"}).json()["id"]


# The operations agentform sends JSON bodies to: (method, path template, a setup returning the path's ids).
OPERATIONS: dict[str, tuple[str, str, Callable[[TestClient], dict[str, str]]]] = {
    "create agent": ("POST", "/v1/convai/agents/create", lambda api: {}),
    "update agent": ("PATCH", "/v1/convai/agents/{agent_id}", lambda api: {"agent_id": _agent(api)}),
    "create tool": ("POST", "/v1/convai/tools", lambda api: {}),
    "update tool": ("PATCH", "/v1/convai/tools/{tool_id}", lambda api: {"tool_id": _tool(api)}),
    "create test": ("POST", "/v1/convai/agent-testing/create", lambda api: {}),
    "update test": ("PUT", "/v1/convai/agent-testing/{test_id}", lambda api: {"test_id": _test(api)}),
    "create text document": ("POST", "/v1/convai/knowledge-base/text", lambda api: {}),
    "create url document": ("POST", "/v1/convai/knowledge-base/url", lambda api: {}),
    "update document": (
        "PATCH",
        "/v1/convai/knowledge-base/{documentation_id}",
        lambda api: {"documentation_id": _document(api)},
    ),
    "create test folder": ("POST", "/v1/convai/agent-testing/folders", lambda api: {}),
    "create branch": ("POST", "/v1/convai/agents/{agent_id}/branches", lambda api: {"agent_id": _agent(api)}),
}


# Rules the emulator enforces beyond the document, each from the API reference: operation -> the 422 message.
RULES_BEYOND_THE_DOCUMENT = {
    # elevenlabs-api.md §5.2 (the SDK's docs): "success_condition or success_conditions: at least one is required".
    "create test": "a simulation test needs success_condition or success_conditions",
    "update test": "a simulation test needs success_condition or success_conditions",
}


def _schema(method: str, template: str) -> dict[str, Any]:
    operation = next(op for op in load_document().operations if (op.method, op.template) == (method, template))
    schema = operation.body_schema("application/json")
    assert schema is not None, f"{method} {template} takes no JSON body in the document"
    return schema


def _snapshot(app: Any) -> dict[str, list[Any]]:
    store = app.state.emulator.store
    return {kind: store.all(kind) for kind in STORED_KINDS}


_CLIENTS: dict[str, tuple[Any, TestClient]] = {}


def _client(operation: str) -> tuple[Any, TestClient]:
    """One emulator per operation for all its examples (a new app per example would dominate the run time)."""
    if operation not in _CLIENTS:
        app = create_app()
        _CLIENTS[operation] = (app, TestClient(app, headers={"xi-api-key": DEV_API_KEY}))
    return _CLIENTS[operation]


@dataclass
class Case:
    """One drawn example: a valid body for the operation, and where to send it on an emulator ready for it."""

    method: str
    path: str
    schema: dict[str, Any]
    body: Any
    app: Any
    api: TestClient


def _case(operation: str, data: st.DataObject) -> Case:
    method, template, setup = OPERATIONS[operation]
    schema = _schema(method, template)
    body = data.draw(values(load_document().api, schema), label="valid body")
    app, api = _client(operation)
    return Case(method, template.format(**setup(api)), schema, body, app, api)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@PROFILE
@given(data=st.data())
def test_a_body_the_document_allows_is_accepted(operation, data):
    case, document = _case(operation, data), load_document()

    verdict = document.check_request(document.find(case.method, case.path), case.path, {}, case.body, None)
    response = case.api.request(case.method, case.path, json=case.body)

    assert verdict == []
    if response.status_code == 422 and operation in RULES_BEYOND_THE_DOCUMENT:
        assert [d["msg"] for d in response.json()["detail"]] == [f"Value error, {RULES_BEYOND_THE_DOCUMENT[operation]}"]
        return
    assert response.status_code != 422, response.text


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@PROFILE
@given(data=st.data())
def test_a_body_the_document_forbids_gets_422_and_stores_nothing(operation, data):
    case = _case(operation, data)
    changes = mutations(load_document().api, case.schema, case.body)
    if not changes:
        event("no mutation possible")
        return  # a body with no required key and no typed value left (every field optional and absent)
    what, change = data.draw(st.sampled_from(changes), label="change")
    event("mutated: " + ("removed" if what.endswith("removed") else "wrong kind"))
    before = _snapshot(case.app)

    response = case.api.request(case.method, case.path, json=apply(case.body, change))

    assert response.status_code == 422, f"{what}: {response.text}"
    assert all({"loc", "msg", "type"} <= set(item) for item in response.json()["detail"])
    assert _snapshot(case.app) == before
