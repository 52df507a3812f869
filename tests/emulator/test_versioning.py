"""Branches, versions, merges (with conflicts) and deployments."""

from __future__ import annotations

import pytest


@pytest.fixture
def agent(api, make_agent):
    agent_id = make_agent(name="Clinic", conversation_config={"agent": {"first_message": "Hello", "language": "en"}})
    return api.get(f"/v1/convai/agents/{agent_id}").json()


def branch_off(api, agent, name="feature", **changes):
    response = api.post(
        f"/v1/convai/agents/{agent['agent_id']}/branches",
        json={"parent_version_id": agent["version_id"], "name": name, "description": "d", **changes},
    )
    assert response.status_code == 200, response.text
    return response.json()["created_branch_id"]


def edit(api, agent_id, branch_id=None, **body):
    """PATCH the agent on `branch_id` (main when None)."""
    params = {"branch_id": branch_id} if branch_id else {}
    return api.patch(f"/v1/convai/agents/{agent_id}", params=params, json=body)


def agent_part(**fields):
    """A `conversation_config` that sets fields of its `agent` section."""
    return {"agent": fields}


def merge(api, agent, branch_id, **body):
    """Merge `branch_id` into the agent's main branch."""
    return api.post(
        f"/v1/convai/agents/{agent['agent_id']}/branches/{branch_id}/merge",
        params={"target_branch_id": agent["main_branch_id"]},
        json=body,
    )


def split(*shares):
    """A deployment request from (branch id, percentage) pairs."""
    strategy = {"type": "percentage"}
    return [{"branch_id": b, "deployment_strategy": {**strategy, "traffic_percentage": p}} for b, p in shares]


def test_a_new_agent_has_a_main_branch_named_main(api, agent):
    branches = api.get(f"/v1/convai/agents/{agent['agent_id']}/branches").json()["results"]

    assert [(b["id"], b["name"]) for b in branches] == [(agent["main_branch_id"], "Main")]
    assert branches[0]["current_live_percentage"] == 100.0


def test_a_patch_on_a_branch_changes_only_that_branch(api, agent):
    agent_id = agent["agent_id"]
    branch_id = branch_off(api, agent)

    edit(api, agent_id, branch_id, conversation_config=agent_part(first_message="Hi from branch"))

    on_branch = api.get(f"/v1/convai/agents/{agent_id}", params={"branch_id": branch_id}).json()
    on_main = api.get(f"/v1/convai/agents/{agent_id}").json()
    assert on_branch["conversation_config"]["agent"]["first_message"] == "Hi from branch"
    assert on_branch["branch_id"] == branch_id
    assert on_main["conversation_config"]["agent"]["first_message"] == "Hello"


def test_branch_creation_applies_the_given_changes_in_its_first_version(api, agent):
    branch_id = branch_off(api, agent, conversation_config={"agent": {"language": "ro"}})

    branch_tip = api.get(f"/v1/convai/agents/{agent['agent_id']}", params={"branch_id": branch_id}).json()

    assert branch_tip["conversation_config"]["agent"]["language"] == "ro"
    assert branch_tip["conversation_config"]["agent"]["first_message"] == "Hello"


def test_branch_names_are_unique_per_agent(api, agent):
    branch_off(api, agent, name="same")

    response = api.post(
        f"/v1/convai/agents/{agent['agent_id']}/branches",
        json={"parent_version_id": agent["version_id"], "name": "same", "description": ""},
    )

    assert response.status_code == 409


def test_merge_brings_the_branch_changes_into_main_as_a_new_version(api, agent):
    agent_id = agent["agent_id"]
    branch_id = branch_off(api, agent)
    edit(api, agent_id, branch_id, name="Renamed")
    edit(api, agent_id, branch_id, conversation_config=agent_part(first_message="Merged hello"))

    response = merge(api, agent, branch_id, archive_source_branch=True)

    assert response.status_code == 200
    main = api.get(f"/v1/convai/agents/{agent_id}").json()
    assert main["conversation_config"]["agent"]["first_message"] == "Merged hello"
    assert main["name"] == "Renamed"
    assert main["version_id"] != agent["version_id"]
    version = api.get(f"/v1/convai/agents/{agent_id}/versions/{main['version_id']}").json()
    assert version["parents"]["merged_from_branch_id"] == branch_id
    assert api.get(f"/v1/convai/agents/{agent_id}/branches/{branch_id}").json()["is_archived"] is True
    listed = api.get(f"/v1/convai/agents/{agent_id}/branches").json()["results"]
    assert branch_id not in [b["id"] for b in listed]


def test_merge_conflicts_when_main_changed_the_same_field_since_the_branch_point(api, agent):
    agent_id = agent["agent_id"]
    branch_id = branch_off(api, agent)
    edit(api, agent_id, branch_id, conversation_config=agent_part(first_message="branch"))
    edit(api, agent_id, conversation_config=agent_part(first_message="main"))
    target = {"target_branch_id": agent["main_branch_id"]}

    preview = api.get(f"/v1/convai/agents/{agent_id}/branches/{branch_id}/merge-preview", params=target).json()
    refused = merge(api, agent, branch_id)
    forced = merge(api, agent, branch_id, force=True)

    assert [c["path"] for c in preview["conflicts"]] == ["conversation_config.agent.first_message"]
    assert preview["conflicts"][0]["target_value"] == "main"
    assert refused.status_code == 409
    assert refused.json()["detail"]["conflicts"][0]["source_value"] == "branch"
    assert forced.status_code == 200
    assert api.get(f"/v1/convai/agents/{agent_id}").json()["conversation_config"]["agent"]["first_message"] == "branch"


def test_merge_keeps_main_changes_to_other_fields(api, agent):
    agent_id = agent["agent_id"]
    branch_id = branch_off(api, agent)
    edit(api, agent_id, branch_id, conversation_config=agent_part(first_message="branch"))
    edit(api, agent_id, conversation_config=agent_part(language="de"))

    merge(api, agent, branch_id)

    main_agent = api.get(f"/v1/convai/agents/{agent_id}").json()["conversation_config"]["agent"]
    assert (main_agent["first_message"], main_agent["language"]) == ("branch", "de")


def test_archived_branches_refuse_writes_and_can_be_unarchived(api, agent):
    agent_id = agent["agent_id"]
    branch_id = branch_off(api, agent)

    archived = api.patch(f"/v1/convai/agents/{agent_id}/branches/{branch_id}", json={"is_archived": True}).json()
    refused = edit(api, agent_id, branch_id, name="x")
    api.patch(f"/v1/convai/agents/{agent_id}/branches/{branch_id}", json={"is_archived": False})
    accepted = edit(api, agent_id, branch_id, name="x")

    assert archived["is_archived"] is True
    assert refused.status_code == 400
    assert accepted.status_code == 200
    all_branches = api.get(f"/v1/convai/agents/{agent_id}/branches", params={"include_archived": True}).json()
    assert len(all_branches["results"]) == 2


def test_the_main_branch_cannot_be_archived(api, agent):
    response = api.patch(
        f"/v1/convai/agents/{agent['agent_id']}/branches/{agent['main_branch_id']}", json={"is_archived": True}
    )

    assert response.status_code == 400


def test_branch_details_list_its_most_recent_versions_newest_first(api, agent):
    agent_id = agent["agent_id"]
    edit(api, agent_id, name="two", version_description="second")

    branch = api.get(f"/v1/convai/agents/{agent_id}/branches/{agent['main_branch_id']}").json()

    assert [v["version_description"] for v in branch["most_recent_versions"]] == ["second", "Initial version"]
    assert [v["seq_no_in_branch"] for v in branch["most_recent_versions"]] == [1, 0]


def test_deployments_split_traffic_and_are_listed_newest_first(api, agent):
    agent_id = agent["agent_id"]
    branch_id = branch_off(api, agent)
    requests = split((agent["main_branch_id"], 90), (branch_id, 10))

    deployed = api.post(
        f"/v1/convai/agents/{agent_id}/deployments", json={"deployment_request": {"requests": requests}}
    )
    bad = api.post(f"/v1/convai/agents/{agent_id}/deployments", json={"deployment_request": {"requests": requests[:1]}})

    assert deployed.json()["traffic_percentage_branch_id_map"] == {agent["main_branch_id"]: 90.0, branch_id: 10.0}
    assert bad.status_code == 422
    history = api.get(f"/v1/convai/agents/{agent_id}/deployments").json()["results"]
    assert len(history) == 1 and history[0]["is_active"] is True
    branch = api.get(f"/v1/convai/agents/{agent_id}/branches/{branch_id}").json()
    assert branch["current_live_percentage"] == 10.0


def test_unknown_version_is_a_404(api, agent):
    response = api.get(f"/v1/convai/agents/{agent['agent_id']}/versions/agtvrsn_missing")

    assert response.status_code == 404


def test_duplicate_copies_unarchived_branches_and_the_live_split(api, agent):
    agent_id = agent["agent_id"]
    kept = branch_off(api, agent, name="kept", conversation_config={"agent": {"language": "fr"}})
    archived = branch_off(api, agent, name="old")
    requests = split((agent["main_branch_id"], 70), (kept, 20), (archived, 10))
    api.post(f"/v1/convai/agents/{agent_id}/deployments", json={"deployment_request": {"requests": requests}})
    api.patch(f"/v1/convai/agents/{agent_id}/branches/{archived}", json={"is_archived": True})

    copy_id = api.post(f"/v1/convai/agents/{agent_id}/duplicate", json={}).json()["agent_id"]

    branches = {b["name"]: b for b in api.get(f"/v1/convai/agents/{copy_id}/branches").json()["results"]}
    assert sorted(branches) == ["Main", "kept"]
    assert (branches["Main"]["current_live_percentage"], branches["kept"]["current_live_percentage"]) == (80.0, 20.0)
    copied = api.get(f"/v1/convai/agents/{copy_id}", params={"branch_id": branches["kept"]["id"]}).json()
    assert copied["conversation_config"]["agent"]["language"] == "fr"
    assert copied["name"] == "Clinic"
    history = api.get(f"/v1/convai/agents/{copy_id}/deployments").json()["results"]
    assert [d["source"] for d in history] == ["duplicate"]
