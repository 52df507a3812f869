"""Knowledge-base documents and workspace tools, including the references agents hold to them."""

from __future__ import annotations


def attach(api, agent_id, *, doc_id=None, tool_id=None, branch_id=None):
    prompt = {}
    if doc_id:
        prompt["knowledge_base"] = [{"type": "text", "name": "doc", "id": doc_id, "usage_mode": "prompt"}]
    if tool_id:
        prompt["tool_ids"] = [tool_id]
    params = {"branch_id": branch_id} if branch_id else {}
    response = api.patch(
        f"/v1/convai/agents/{agent_id}", params=params, json={"conversation_config": {"agent": {"prompt": prompt}}}
    )
    assert response.status_code == 200, response.text


def test_a_text_document_round_trips_its_content_as_a_raw_body(api):
    created = api.post("/v1/convai/knowledge-base/text", json={"text": "Opening hours: 9 to 17.", "name": "Hours"})

    doc_id = created.json()["id"]
    content = api.get(f"/v1/convai/knowledge-base/{doc_id}/content")
    doc = api.get(f"/v1/convai/knowledge-base/{doc_id}").json()

    assert content.text == "Opening hours: 9 to 17."
    assert content.headers["content-type"].startswith("text/html")
    assert (doc["type"], doc["name"], doc["extracted_inner_html"]) == ("text", "Hours", "Opening hours: 9 to 17.")


def test_file_upload_url_and_legacy_endpoints_create_documents(api):
    file_doc = api.post(
        "/v1/convai/knowledge-base/file", files={"file": ("faq.md", b"# FAQ\nParking is free.")}, data={"name": "FAQ"}
    ).json()
    url_doc = api.post("/v1/convai/knowledge-base/url", json={"url": "https://example.com/prices"}).json()
    legacy = api.post("/v1/convai/knowledge-base", data={"url": "https://example.com/legacy", "name": "L"}).json()

    assert api.get(f"/v1/convai/knowledge-base/{file_doc['id']}").json()["filename"] == "faq.md"
    assert api.get(f"/v1/convai/knowledge-base/{file_doc['id']}/content").text == "# FAQ\nParking is free."
    assert api.get(f"/v1/convai/knowledge-base/{url_doc['id']}").json()["url"] == "https://example.com/prices"
    assert api.get(f"/v1/convai/knowledge-base/{legacy['id']}").json()["type"] == "url"


def test_folders_hold_documents_and_the_list_filters_by_folder_type_and_name_prefix(api):
    folder = api.post("/v1/convai/knowledge-base/folder", json={"name": "agentform"}).json()
    inside = api.post(
        "/v1/convai/knowledge-base/text", json={"text": "a", "name": "clinic-faq", "parent_folder_id": folder["id"]}
    ).json()
    api.post("/v1/convai/knowledge-base/text", json={"text": "b", "name": "other"})

    def names(**params):
        return sorted(d["name"] for d in api.get("/v1/convai/knowledge-base", params=params).json()["documents"])

    assert inside["folder_path"] == [{"id": folder["id"]}]
    assert names(parent_folder_id=folder["id"]) == ["clinic-faq"]
    assert names(types=["folder"]) == ["agentform"]
    assert names(search="CLIN") == ["clinic-faq"]
    assert api.get(f"/v1/convai/knowledge-base/{folder['id']}").json()["document_count"] == 1


def test_patch_renames_and_replaces_text_content(api):
    doc_id = api.post("/v1/convai/knowledge-base/text", json={"text": "old", "name": "n"}).json()["id"]

    updated = api.patch(f"/v1/convai/knowledge-base/{doc_id}", json={"name": "new name", "content": "new"}).json()

    assert (updated["name"], updated["extracted_inner_html"]) == ("new name", "new")
    assert api.get(f"/v1/convai/knowledge-base/{doc_id}/content").text == "new"


def test_a_document_referenced_by_any_branch_refuses_delete_unless_forced(api, make_agent):
    agent_id = make_agent(name="Clinic")
    agent = api.get(f"/v1/convai/agents/{agent_id}").json()
    branch_id = api.post(
        f"/v1/convai/agents/{agent_id}/branches",
        json={"parent_version_id": agent["version_id"], "name": "pr-1", "description": ""},
    ).json()["created_branch_id"]
    doc_id = api.post("/v1/convai/knowledge-base/text", json={"text": "x", "name": "faq"}).json()["id"]
    attach(api, agent_id, doc_id=doc_id, branch_id=branch_id)

    dependents = api.get(f"/v1/convai/knowledge-base/{doc_id}/dependent-agents").json()
    refused = api.delete(f"/v1/convai/knowledge-base/{doc_id}")
    forced = api.delete(f"/v1/convai/knowledge-base/{doc_id}", params={"force": True})

    assert [a["id"] for a in dependents["agents"]] == [agent_id]
    assert dependents["branches"] == [
        {"agent_id": agent_id, "agent_name": "Clinic", "branch_id": branch_id, "branch_name": "pr-1", "is_main": False}
    ]
    assert refused.status_code == 400
    assert "Clinic" in refused.json()["detail"]["message"]
    assert forced.status_code == 200
    branch_tip = api.get(f"/v1/convai/agents/{agent_id}", params={"branch_id": branch_id}).json()
    assert branch_tip["conversation_config"]["agent"]["prompt"]["knowledge_base"] == []


def test_list_items_carry_their_dependent_agents(api, make_agent):
    agent_id = make_agent()
    doc_id = api.post("/v1/convai/knowledge-base/text", json={"text": "x", "name": "faq"}).json()["id"]
    attach(api, agent_id, doc_id=doc_id)

    listed = api.get("/v1/convai/knowledge-base").json()["documents"]

    assert [a["id"] for a in listed[0]["dependent_agents"]] == [agent_id]


def test_listed_dependents_skip_archived_branches_and_take_the_agent_name_from_main(api, make_agent):
    agent_id = make_agent(name="Clinic")
    agent = api.get(f"/v1/convai/agents/{agent_id}").json()
    branches = [
        api.post(
            f"/v1/convai/agents/{agent_id}/branches",
            json={"parent_version_id": agent["version_id"], "name": name, "description": ""},
        ).json()["created_branch_id"]
        for name in ("live", "old")
    ]
    live_doc, old_doc = (
        api.post("/v1/convai/knowledge-base/text", json={"text": "x", "name": name}).json()["id"]
        for name in ("live-faq", "old-faq")
    )
    attach(api, agent_id, doc_id=live_doc, branch_id=branches[0])
    attach(api, agent_id, doc_id=old_doc, branch_id=branches[1])
    api.patch(f"/v1/convai/agents/{agent_id}/branches/{branches[1]}", json={"is_archived": True})
    api.patch(f"/v1/convai/agents/{agent_id}/branches/{branches[0]}", json={"name": "Branch name"})
    api.patch(f"/v1/convai/agents/{agent_id}", json={"name": "Clinic renamed"})

    listed = {d["name"]: d["dependent_agents"] for d in api.get("/v1/convai/knowledge-base").json()["documents"]}

    assert [(a["id"], a["name"]) for a in listed["live-faq"]] == [(agent_id, "Clinic renamed")]
    assert listed["old-faq"] == []


def test_a_listed_folder_counts_its_children_as_its_own_page_does(api):
    folder = api.post("/v1/convai/knowledge-base/folder", json={"name": "outer"}).json()["id"]
    api.post("/v1/convai/knowledge-base/folder", json={"name": "inner", "parent_folder_id": folder})
    for name in ("a", "b"):
        api.post("/v1/convai/knowledge-base/text", json={"text": name, "name": name, "parent_folder_id": folder})

    listed = api.get("/v1/convai/knowledge-base", params={"types": ["folder"]}).json()["documents"]
    detail = api.get(f"/v1/convai/knowledge-base/{folder}").json()

    outer = next(d for d in listed if d["id"] == folder)
    assert (outer["children_count"], outer["document_count"]) == (3, 2)
    assert (detail["children_count"], detail["document_count"]) == (3, 2)


WEBHOOK = {
    "type": "webhook",
    "name": "book_appointment",
    "description": "Book an appointment slot",
    "api_schema": {"url": "https://example.com/book", "method": "POST"},
}


def test_tools_are_created_read_listed_and_updated_with_the_full_config(api):
    tool = api.post("/v1/convai/tools", json={"tool_config": WEBHOOK}).json()

    partial = api.patch(f"/v1/convai/tools/{tool['id']}", json={"name": "x"})
    updated = api.patch(f"/v1/convai/tools/{tool['id']}", json={"tool_config": {**WEBHOOK, "description": "New"}})

    assert tool["tool_config"]["name"] == "book_appointment"
    assert partial.status_code == 422
    assert updated.json()["tool_config"]["description"] == "New"
    assert api.get(f"/v1/convai/tools/{tool['id']}").json()["tool_config"]["description"] == "New"
    assert [t["id"] for t in api.get("/v1/convai/tools").json()["tools"]] == [tool["id"]]
    assert api.get("/v1/convai/tools", params={"search": "zzz"}).json()["tools"] == []


def test_the_tool_list_filters_by_any_of_several_types_and_lists_newest_first_or_by_name(api, clock):
    def create(config):
        clock.advance(1)
        return api.post("/v1/convai/tools", json={"tool_config": config}).json()["id"]

    book = create(WEBHOOK)
    show = create({"type": "client", "name": "show_map", "description": "Show the way to the clinic"})
    cancel = create({**WEBHOOK, "name": "cancel_appointment"})

    def listed(**params):
        return [t["id"] for t in api.get("/v1/convai/tools", params=params).json()["tools"]]

    assert listed() == [cancel, show, book]
    assert listed(sort_direction="asc") == [book, show, cancel]
    assert listed(sort_by="name") == [book, cancel, show]
    assert listed(sort_by="name", sort_direction="desc") == [show, cancel, book]
    assert listed(types=["client"]) == [show]
    assert listed(types=["client", "webhook"], search="SHOW") == [show]


def test_a_webhook_tool_without_a_url_is_rejected(api):
    response = api.post("/v1/convai/tools", json={"tool_config": {**WEBHOOK, "api_schema": {}}})

    assert response.status_code == 422


def test_a_tool_in_use_refuses_delete_and_reports_its_dependents(api, make_agent):
    agent_id = make_agent()
    tool_id = api.post("/v1/convai/tools", json={"tool_config": WEBHOOK}).json()["id"]
    attach(api, agent_id, tool_id=tool_id)

    dependents = api.get(f"/v1/convai/tools/{tool_id}/dependent-agents").json()
    refused = api.delete(f"/v1/convai/tools/{tool_id}")
    used = api.get("/v1/convai/tools", params={"used_by_agent_id": agent_id}).json()["tools"]

    assert dependents["branches"][0]["is_main"] is True
    assert refused.status_code == 400
    assert [t["id"] for t in used] == [tool_id]
    assert api.delete(f"/v1/convai/tools/{tool_id}", params={"force": True}).status_code == 200
    assert api.get(f"/v1/convai/tools/{tool_id}").status_code == 404
