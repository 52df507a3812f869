"""Agents: create, read at a version or branch, list with filters and pagination, PATCH, delete, duplicate."""

from __future__ import annotations

from agentform.emulator.defaults import CONVERSATION_CONFIG_DEFAULTS


def test_create_returns_only_the_agent_id_and_get_returns_the_full_config_with_server_defaults(api, make_agent):
    agent_id = make_agent(name="Clinic", tags=["team:a"], conversation_config={"agent": {"first_message": "Hi"}})

    agent = api.get(f"/v1/convai/agents/{agent_id}").json()

    assert agent["name"] == "Clinic"
    assert agent["tags"] == ["team:a"]
    assert agent["conversation_config"]["agent"]["first_message"] == "Hi"
    assert agent["conversation_config"]["tts"]["model_id"] == CONVERSATION_CONFIG_DEFAULTS["tts"]["model_id"]
    assert agent["conversation_config"]["agent"]["prompt"]["llm"] == "gemini-2.0-flash"
    assert agent["branch_id"] == agent["main_branch_id"]
    assert agent["version_id"].startswith("agtvrsn_")


def test_patch_deep_merges_dicts_replaces_lists_and_creates_a_new_version(api, make_agent, clock):
    agent_id = make_agent(conversation_config={"agent": {"first_message": "Hi", "prompt": {"tool_ids": ["a", "b"]}}})
    before = api.get(f"/v1/convai/agents/{agent_id}").json()
    clock.advance(60)

    after = api.patch(
        f"/v1/convai/agents/{agent_id}",
        json={"conversation_config": {"agent": {"prompt": {"tool_ids": ["c"]}}}, "version_description": "swap tools"},
    ).json()

    assert after["conversation_config"]["agent"]["first_message"] == "Hi"
    assert after["conversation_config"]["agent"]["prompt"]["tool_ids"] == ["c"]
    assert after["version_id"] != before["version_id"]
    assert after["metadata"]["updated_at_unix_secs"] == before["metadata"]["updated_at_unix_secs"] + 60
    version = api.get(f"/v1/convai/agents/{agent_id}/versions/{after['version_id']}").json()
    assert version["version_description"] == "swap tools"
    assert version["parents"]["in_branch_parent_id"] == before["version_id"]


def test_get_with_version_id_returns_the_config_as_it_was_at_that_version(api, make_agent):
    agent_id = make_agent(name="v1")
    first = api.get(f"/v1/convai/agents/{agent_id}").json()["version_id"]
    api.patch(f"/v1/convai/agents/{agent_id}", json={"name": "v2"})

    assert api.get(f"/v1/convai/agents/{agent_id}", params={"version_id": first}).json()["name"] == "v1"
    assert api.get(f"/v1/convai/agents/{agent_id}").json()["name"] == "v2"


def test_unknown_fields_in_a_body_are_tolerated(api, make_agent):
    agent_id = make_agent(future_field={"x": 1})

    response = api.patch(f"/v1/convai/agents/{agent_id}", json={"name": "n", "procedures": {}, "new_thing": True})

    assert response.status_code == 200


def test_list_filters_by_search_tags_and_archived(api, make_agent):
    make_agent(name="Clinic Receptionist", tags=["agentform:clinic"])
    make_agent(name="Support Line", tags=["other"])
    archived = make_agent(name="Old Clinic", platform_settings={"archived": True})

    def names(**params):
        return sorted(a["name"] for a in api.get("/v1/convai/agents", params=params).json()["agents"])

    assert names(search="clinic") == ["Clinic Receptionist", "Old Clinic"]
    assert names(tags=["agentform:clinic", "nope"]) == ["Clinic Receptionist"]
    assert names(archived="true") == ["Old Clinic"]
    unarchived = api.get("/v1/convai/agents", params={"archived": "false"}).json()["agents"]
    assert archived not in [a["agent_id"] for a in unarchived]


def test_list_pages_with_an_opaque_cursor_until_has_more_is_false(api, make_agent):
    created = {make_agent(name=f"agent {i}") for i in range(7)}
    seen, cursor = [], None
    while True:
        page = api.get("/v1/convai/agents", params={"page_size": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [a["agent_id"] for a in page["agents"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]

    assert len(seen) == 7
    assert set(seen) == created


def test_page_size_over_100_is_rejected_with_a_validation_error(api):
    response = api.get("/v1/convai/agents", params={"page_size": 101})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "page_size"]


def test_missing_conversation_config_on_create_is_a_422_naming_the_field(api):
    response = api.post("/v1/convai/agents/create", json={"name": "x"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "conversation_config"]


def test_unknown_agent_is_a_404_with_a_detail(api):
    response = api.get("/v1/convai/agents/agent_missing")

    assert response.status_code == 404
    assert response.json()["detail"]["status"] == "agent_not_found"


def test_delete_removes_the_agent(api, make_agent):
    agent_id = make_agent()

    assert api.delete(f"/v1/convai/agents/{agent_id}").status_code == 200
    assert api.get(f"/v1/convai/agents/{agent_id}").status_code == 404


def test_duplicate_copies_the_config_under_a_new_id_and_name(api, make_agent):
    agent_id = make_agent(name="Original", conversation_config={"agent": {"first_message": "Hello"}})

    copy_id = api.post(f"/v1/convai/agents/{agent_id}/duplicate", json={"name": "Copy"}).json()["agent_id"]

    copy = api.get(f"/v1/convai/agents/{copy_id}").json()
    assert copy_id != agent_id
    assert copy["name"] == "Copy"
    assert copy["conversation_config"]["agent"]["first_message"] == "Hello"
