"""Every request to an operation the emulator implements is judged against ElevenLabs' OpenAPI document before a
handler runs: an invalid one gets the API's 422 (`detail` list of `loc`/`msg`/`type`) and nothing is stored."""

from __future__ import annotations

import pytest

PROMPT = {"prompt": {"prompt": "You are helpful."}}
WEBHOOK = {
    "type": "webhook",
    "name": "book",
    "description": "Books an appointment",
    "api_schema": {"url": "https://example.test/book", "method": "POST"},
}

# Bodies the issue found accepted by the emulator though the API (document and SDK) rejects them: (path, body,
# the loc of the problem the API names; as in pydantic, a tagged variant's tag is part of the loc and an unknown
# tag is reported at the union).
INVALID_CREATES = {
    "a temperature that is not a number": (
        "/v1/convai/agents/create",
        {"conversation_config": {"agent": {"prompt": {"prompt": "Hi", "temperature": "hot"}}}},
        ["body", "conversation_config", "agent", "prompt", "temperature"],
    ),
    "evaluation criteria given as strings": (
        "/v1/convai/agents/create",
        {"conversation_config": {"agent": PROMPT}, "platform_settings": {"evaluation": {"criteria": ["polite"]}}},
        ["body", "platform_settings", "evaluation", "criteria", 0],
    ),
    "a criterion without its goal prompt": (
        "/v1/convai/agents/create",
        {
            "conversation_config": {"agent": PROMPT},
            "platform_settings": {"evaluation": {"criteria": [{"id": "polite", "name": "Polite"}]}},
        },
        ["body", "platform_settings", "evaluation", "criteria", 0, "conversation_goal_prompt"],
    ),
    "a workflow node of an unknown type": (
        "/v1/convai/agents/create",
        {"conversation_config": {"agent": PROMPT}, "workflow": {"nodes": {"start": {"type": "teleport"}}}},
        ["body", "workflow", "nodes", "start"],
    ),
    "a workflow edge without source and target": (
        "/v1/convai/agents/create",
        {"conversation_config": {"agent": PROMPT}, "workflow": {"edges": {"e1": {}}}},
        ["body", "workflow", "edges", "e1", "source"],
    ),
    "a response mock without mock_result": (
        "/v1/convai/tools",
        {"tool_config": WEBHOOK, "response_mocks": [{"parameter_conditions": []}]},
        ["body", "response_mocks", 0, "mock_result"],
    ),
    "a webhook tool without api_schema": (
        "/v1/convai/tools",
        {"tool_config": {k: v for k, v in WEBHOOK.items() if k != "api_schema"}},
        ["body", "tool_config", "webhook", "api_schema"],
    ),
    "a system tool without params": (
        "/v1/convai/tools",
        {"tool_config": {"type": "system", "name": "end_call", "description": "Ends the call"}},
        ["body", "tool_config", "system", "params"],
    ),
    "a tool type the API does not have": (
        "/v1/convai/tools",
        {"tool_config": {**WEBHOOK, "type": "webhooks"}},
        ["body", "tool_config"],
    ),
}


def _stored(app) -> int:
    store = app.state.emulator.store
    return sum(len(store.all(kind)) for kind in ("agent", "tool", "version", "branch"))


@pytest.mark.parametrize("case", sorted(INVALID_CREATES))
def test_an_invalid_create_gets_the_apis_422_and_stores_nothing(api, app, case):
    path, body, loc = INVALID_CREATES[case]

    response = api.post(path, json=body)

    assert response.status_code == 422, response.text
    details = response.json()["detail"]
    assert loc in [d["loc"] for d in details]
    assert all(set(d) == {"loc", "msg", "type"} and d["msg"] for d in details)
    assert _stored(app) == 0


def test_the_same_bodies_made_valid_are_accepted(api):
    agent = {
        "conversation_config": {"agent": {"prompt": {"prompt": "Hi", "temperature": 0.3}}},
        "platform_settings": {
            "evaluation": {"criteria": [{"id": "polite", "name": "Polite", "conversation_goal_prompt": "Was it?"}]}
        },
    }
    tool = {"tool_config": WEBHOOK, "response_mocks": [{"parameter_conditions": [], "mock_result": '{"ok": true}'}]}

    assert api.post("/v1/convai/agents/create", json=agent).status_code == 200
    assert api.post("/v1/convai/tools", json=tool).status_code == 200


def test_lax_values_the_api_coerces_are_accepted_as_pydantic_does(api):
    body = {"conversation_config": {"agent": {"prompt": {"prompt": "Hi", "temperature": "0.5", "max_tokens": 3.0}}}}

    assert api.post("/v1/convai/agents/create", json=body).status_code == 200


def test_keys_the_document_lacks_are_ignored_as_the_api_does(api):
    body = {"conversation_config": {"agent": PROMPT, "turn": {"mode": "turn"}}, "platform_settings": {"ban": None}}

    assert api.post("/v1/convai/agents/create", json=body).status_code == 200


def test_an_invalid_patch_changes_nothing(api, make_agent):
    agent_id = make_agent(name="Before")
    before = api.get(f"/v1/convai/agents/{agent_id}").json()

    response = api.patch(f"/v1/convai/agents/{agent_id}", json={"name": "After", "tags": "not-a-list"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "tags"], "msg": "Input should be a valid array", "type": "list_type"}
    ]
    after = api.get(f"/v1/convai/agents/{agent_id}").json()
    assert after["name"] == "Before" and after["version_id"] == before["version_id"]


def test_query_parameters_are_checked_by_type_and_enum(api):
    response = api.get("/v1/convai/agents", params={"archived": "maybe", "sort_direction": "sideways"})

    assert response.status_code == 422
    locs = {tuple(d["loc"]): d["type"] for d in response.json()["detail"]}
    assert locs == {("query", "archived"): "bool_parsing", ("query", "sort_direction"): "enum"}


def test_a_multipart_upload_without_its_file_is_rejected(api, app):
    response = api.post("/v1/convai/knowledge-base/file", data={"name": "faq"}, files={"other": ("a.txt", b"x")})

    assert response.status_code == 422
    assert {"loc": ["body", "file"], "msg": "Field required", "type": "missing"} in response.json()["detail"]
    assert app.state.emulator.store.all("document") == []


def test_a_missing_json_body_is_a_422_on_the_body(api):
    response = api.post("/v1/convai/tools")

    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body"], "msg": "Field required", "type": "missing"}]
