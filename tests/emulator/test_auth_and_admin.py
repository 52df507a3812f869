"""Auth with xi-api-key, the request log that lets a test count writes, and reset."""

from __future__ import annotations

from fastapi.testclient import TestClient

from agentform.emulator import DEV_API_KEY, create_app


def test_requests_without_or_with_a_wrong_key_get_401_and_change_nothing(app, api):
    anonymous = TestClient(app)
    wrong = TestClient(app, headers={"xi-api-key": "sk_wrong"})

    assert anonymous.post("/v1/convai/agents/create", json={"conversation_config": {}}).status_code == 401
    assert wrong.post("/v1/convai/agents/create", json={"conversation_config": {}}).status_code == 401
    assert api.get("/v1/convai/agents").json()["agents"] == []


def test_only_the_configured_keys_are_accepted():
    app = create_app(api_keys=["k1", "k2"])

    assert TestClient(app, headers={"xi-api-key": "k2"}).get("/v1/convai/agents").status_code == 200
    assert TestClient(app, headers={"xi-api-key": DEV_API_KEY}).get("/v1/convai/agents").status_code == 401


def test_the_admin_api_needs_a_key_too(app):
    assert TestClient(app).post("/_emulator/reset").status_code == 401


def test_request_log_counts_writes_since_a_mark_and_omits_admin_calls(api, make_agent):
    agent_id = make_agent()
    mark = api.get("/_emulator/requests").json()["last_seq"]

    api.get(f"/v1/convai/agents/{agent_id}")
    api.patch(f"/v1/convai/agents/{agent_id}", params={"branch_id": "nope"}, json={"name": "x"})
    api.get("/_emulator/settings")

    log = api.get("/_emulator/requests", params={"since": mark}).json()
    assert [(e["method"], e["status"]) for e in log["requests"]] == [("GET", 200), ("PATCH", 404)]
    assert log["requests"][1]["query"] == "branch_id=nope"
    assert log["write_count"] == 1
    assert all(e["duration_ms"] >= 0 and e["seq"] > mark for e in log["requests"])


def test_reset_forgets_every_resource(api, make_agent):
    make_agent()

    api.post("/_emulator/reset")

    assert api.get("/v1/convai/agents").json()["agents"] == []


def test_state_survives_a_new_app_on_the_same_file(tmp_path):
    db = str(tmp_path / "emulator.sqlite")
    first = TestClient(create_app(db), headers={"xi-api-key": DEV_API_KEY})
    created = first.post("/v1/convai/agents/create", json={"conversation_config": {}, "name": "kept"})
    agent_id = created.json()["agent_id"]

    second = TestClient(create_app(db), headers={"xi-api-key": DEV_API_KEY})

    assert second.get(f"/v1/convai/agents/{agent_id}").json()["name"] == "kept"
