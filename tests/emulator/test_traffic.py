"""Generated traffic (`POST /_emulator/traffic`): conversations routed over the live split, deterministic by seed."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from tests.emulator.conftest import contract_client

from agentform.emulator import create_app
from agentform.emulator.traffic import Route, generate

CRITERIA = [
    {"id": "resolved", "name": "Resolved", "conversation_goal_prompt": "The caller's question was answered."},
    {"id": "polite", "name": "Polite", "conversation_goal_prompt": "The agent stayed polite."},
]


def _agent_with_canary(api: TestClient, percent: float) -> tuple[str, str, str]:
    """An agent with evaluation criteria, a branch `canary` and `percent`% of the traffic on it."""
    created = api.post(
        "/v1/convai/agents/create",
        json={
            "conversation_config": {"agent": {"first_message": "Hello!", "prompt": {"prompt": "We open at 8."}}},
            "platform_settings": {"evaluation": {"criteria": CRITERIA}},
        },
    )
    agent_id = created.json()["agent_id"]
    main = api.get(f"/v1/convai/agents/{agent_id}/branches").json()["results"][0]["id"]
    tip = api.get(f"/v1/convai/agents/{agent_id}").json()["version_id"]
    branch = api.post(
        f"/v1/convai/agents/{agent_id}/branches",
        json={"parent_version_id": tip, "name": "canary", "description": "the change"},
    ).json()["created_branch_id"]
    requests = [
        {"branch_id": main, "deployment_strategy": {"type": "percentage", "traffic_percentage": 100 - percent}},
        {"branch_id": branch, "deployment_strategy": {"type": "percentage", "traffic_percentage": percent}},
    ]
    deployed = api.post(
        f"/v1/convai/agents/{agent_id}/deployments", json={"deployment_request": {"requests": requests}}
    )
    assert deployed.status_code == 200, deployed.text
    return agent_id, main, branch


def _traffic(api: TestClient, agent_id: str, **body) -> dict:
    response = api.post("/_emulator/traffic", json={"agent_id": agent_id, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_conversations_follow_the_split_and_carry_branch_version_and_evaluations(api):
    agent_id, main, canary = _agent_with_canary(api, 30)

    made = _traffic(api, agent_id, conversations=200, seed=7, success_rate={"canary": 0.0, "main": 1.0})

    assert sum(made["by_branch"].values()) == 200 and set(made["by_branch"]) == {main, canary}
    assert 40 <= made["by_branch"][canary] <= 80  # 30% of 200, give or take the draw
    on_canary = api.get("/v1/convai/conversations", params={"branch_id": canary, "page_size": 100}).json()
    assert len(on_canary["conversations"]) == made["by_branch"][canary]
    assert {c["call_successful"] for c in on_canary["conversations"]} == {"failure"}
    assert {c["evaluation_criteria_results"]["resolved"]["result"] for c in on_canary["conversations"]} == {"failure"}
    canary_tip = api.get(f"/v1/convai/agents/{agent_id}", params={"branch_id": canary}).json()["version_id"]
    assert {c["version_id"] for c in on_canary["conversations"]} == {canary_tip}

    on_main = api.get("/v1/convai/conversations", params={"branch_id": main, "page_size": 100}).json()
    one = api.get(f"/v1/convai/conversations/{on_main['conversations'][0]['conversation_id']}").json()
    assert one["analysis"]["call_successful"] == "success"
    assert set(one["analysis"]["evaluation_criteria_results"]) == {"resolved", "polite"}
    assert [turn["role"] for turn in one["transcript"]] == ["agent", "user", "agent"]
    assert one["transcript"][0]["message"] == "Hello!"
    assert one["metadata"]["call_duration_secs"] >= 20


def _outcomes(seed: int) -> list[tuple[str, str, int, tuple]]:
    with contract_client(create_app(":memory:")) as api:
        agent_id, main, _ = _agent_with_canary(api, 50)
        made = _traffic(api, agent_id, conversations=40, seed=seed, success_rate={"canary": 0.5})
        conversations = [api.get(f"/v1/convai/conversations/{i}").json() for i in made["conversation_ids"]]
        return [
            (
                "main" if c["branch_id"] == main else "canary",
                c["analysis"]["call_successful"],
                c["metadata"]["call_duration_secs"],
                tuple(sorted((k, v["result"]) for k, v in c["analysis"]["evaluation_criteria_results"].items())),
            )
            for c in conversations
        ]


def test_the_same_seed_gives_the_same_conversations_and_another_seed_does_not():
    assert _outcomes(3) == _outcomes(3)
    assert _outcomes(3) != _outcomes(4)


def test_all_traffic_goes_to_main_until_a_deployment_splits_it(api, make_agent):
    agent_id = make_agent()
    made = _traffic(api, agent_id, conversations=5)
    assert list(made["by_branch"].values()) == [5]


def test_a_rate_for_a_branch_the_agent_does_not_have_is_a_422(api):
    agent_id, _, _ = _agent_with_canary(api, 10)
    response = api.post("/_emulator/traffic", json={"agent_id": agent_id, "conversations": 3, "success_rate": {"x": 1}})
    assert response.status_code == 422
    assert "no branch named x" in response.text


@pytest.mark.parametrize("rate", [0.2, 0.8])
def test_success_is_drawn_from_the_branch_rate(rate):
    route = Route("b1", "canary", 100.0, "v1", {"platform_settings": {}})
    made = generate([route], count=2000, seed=1, success_rates={"Canary": rate}, default_rate=1.0, at_unix=0)
    share = Counter(c["call_successful"] for c in made)["success"] / 2000
    assert abs(share - rate) < 0.04
