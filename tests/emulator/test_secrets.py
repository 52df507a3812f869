"""Workspace secrets (elevenlabs-api.md §4.4): every answer is checked against the SDK's models by the `api` fixture.

The value is write-only; `used_by.tools` lists the tools whose headers reference the secret; a secret in use is
not deleted; the list pages by `next_cursor` alone.
"""

from __future__ import annotations


def webhook(secret_id: str) -> dict:
    return {
        "type": "webhook",
        "name": "book",
        "description": "Book an appointment",
        "api_schema": {
            "url": "https://hooks.example.test/book",
            "request_headers": {"Authorization": {"secret_id": secret_id}},
        },
    }


def test_a_secret_is_created_listed_with_its_dependent_tools_and_never_answers_its_value(api):
    created = api.post("/v1/convai/secrets", json={"name": "token", "value": "v-123456", "type": "new"}).json()
    secret_id = created["secret_id"]
    tool = api.post("/v1/convai/tools", json={"tool_config": webhook(secret_id)}).json()
    [listed] = api.get("/v1/convai/secrets").json()["secrets"]
    assert listed["name"] == "token" and [t["id"] for t in listed["used_by"]["tools"]] == [tool["id"]]
    assert "v-123456" not in str(listed) + api.get(f"/v1/convai/secrets/{secret_id}").text


def test_a_patch_rotates_the_value_and_renames_and_a_secret_in_use_is_not_deleted(api):
    secret_id = api.post("/v1/convai/secrets", json={"name": "a", "value": "v-1", "type": "new"}).json()["secret_id"]
    renamed = api.patch(f"/v1/convai/secrets/{secret_id}", json={"name": "b", "value": "v-2", "type": "update"})
    assert renamed.json() == {"type": "stored", "secret_id": secret_id, "name": "b"}
    tool = api.post("/v1/convai/tools", json={"tool_config": webhook(secret_id)}).json()
    refused = api.delete(f"/v1/convai/secrets/{secret_id}")
    assert refused.status_code == 400 and refused.json()["detail"]["status"] == "secret_in_use"
    api.delete(f"/v1/convai/tools/{tool['id']}")
    assert api.delete(f"/v1/convai/secrets/{secret_id}").status_code == 200
    assert api.get(f"/v1/convai/secrets/{secret_id}").status_code == 404


def test_the_list_pages_by_cursor_and_filters_by_name_prefix(api):
    for n in range(3):
        api.post("/v1/convai/secrets", json={"name": f"agentform.p.e.t{n}", "value": "v-1", "type": "new"})
    api.post("/v1/convai/secrets", json={"name": "other", "value": "v-1", "type": "new"})
    first = api.get("/v1/convai/secrets", params={"page_size": 2, "search": "agentform."}).json()
    second = api.get(
        "/v1/convai/secrets", params={"page_size": 2, "cursor": first["next_cursor"], "search": "agentform."}
    )
    names = [s["name"] for s in first["secrets"] + second.json()["secrets"]]
    assert names == ["agentform.p.e.t0", "agentform.p.e.t1", "agentform.p.e.t2"]
    assert second.json()["next_cursor"] is None
