"""Every client method sends the method, path, query and body that elevenlabs-api.md documents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from tests.elevenlabs.client_fakes import API_KEY, Recorder, answer

from agentform.elevenlabs import ElevenLabsClient, ElevenLabsError


def call(make_client: Callable, method: Callable[[ElevenLabsClient], Awaitable[Any]], reply: Any = None, **headers):
    """Run one client call against a fake that always answers `reply`; (result, recorder)."""
    client, recorder = make_client(lambda request: reply if isinstance(reply, httpx.Response) else answer(reply))

    async def run() -> Any:
        async with client:
            return await method(client)

    return asyncio.run(run()), recorder


def sent(recorder: Recorder) -> tuple[str, str, dict[str, list[str]]]:
    request = recorder.last
    params: dict[str, list[str]] = {}
    for key, value in request.url.params.multi_items():
        params.setdefault(key, []).append(value)
    return request.method, request.url.path, params


def test_every_request_carries_the_api_key_header_and_json_accept(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.get_agent("agent_1"), {"agent_id": "agent_1"})
    assert recorder.last.headers["xi-api-key"] == API_KEY
    assert recorder.last.headers["accept"] == "application/json"
    assert recorder.last.headers["user-agent"].startswith("agentform/")


def test_listing_agents_repeats_the_tags_key_and_asks_for_full_pages(make_client) -> None:
    reply = {"agents": [{"agent_id": "a"}], "has_more": False, "next_cursor": None}
    result, recorder = call(make_client, lambda c: c.list_agents(tags=["af:clinic", "af:sales"], archived=False), reply)
    assert result == [{"agent_id": "a"}]
    assert sent(recorder) == (
        "GET",
        "/v1/convai/agents",
        {"tags": ["af:clinic", "af:sales"], "archived": ["false"], "page_size": ["100"]},
    )


def test_lists_follow_next_cursor_while_has_more(make_client) -> None:
    pages = {
        None: {"tools": [{"id": "t1"}, {"id": "t2"}], "has_more": True, "next_cursor": "c2"},
        "c2": {"tools": [{"id": "t3"}], "has_more": True, "next_cursor": "c3"},
        "c3": {"tools": [{"id": "t4"}], "has_more": False, "next_cursor": None},
    }
    client, recorder = make_client(lambda request: answer(pages[request.url.params.get("cursor")]))
    tools = asyncio.run(client.list_tools())
    assert [tool["id"] for tool in tools] == ["t1", "t2", "t3", "t4"]
    assert [request.url.params.get("cursor") for request in recorder.requests] == [None, "c2", "c3"]


def test_a_page_without_has_more_ends_the_list_even_with_a_cursor(make_client) -> None:
    reply = {"tests": [{"id": "x"}], "has_more": False, "next_cursor": "ignored"}
    result, recorder = call(make_client, lambda c: c.list_tests(parent_folder_id="root", types=["llm", "tool"]), reply)
    assert result == [{"id": "x"}]
    assert len(recorder.requests) == 1
    assert sent(recorder)[2] == {"parent_folder_id": ["root"], "types": ["llm", "tool"], "page_size": ["100"]}


def test_a_server_that_repeats_a_cursor_is_reported_instead_of_looped_on(make_client) -> None:
    client, _ = make_client(lambda r: answer({"documents": [{"id": "d"}], "has_more": True, "next_cursor": "same"}))
    with pytest.raises(ElevenLabsError, match=r"page cursor .same. a second time"):
        asyncio.run(client.list_documents())


def test_conversation_lists_stop_at_the_limit_and_pass_filters(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["page_size"])
        return answer(
            {
                "conversations": [{"conversation_id": str(i)} for i in range(size)],
                "has_more": True,
                "next_cursor": "more",
            }
        )

    client, recorder = make_client(handler)
    result = asyncio.run(
        client.list_conversations(agent_id="agent_1", call_successful="failure", tool_names=["a", "b"], limit=5)
    )
    assert len(result) == 5
    assert sent(recorder) == (
        "GET",
        "/v1/convai/conversations",
        {
            "agent_id": ["agent_1"],
            "call_successful": ["failure"],
            "tool_names": ["a", "b"],
            "page_size": ["5"],
        },
    )


def test_get_agent_at_a_version_sends_version_id(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.get_agent("agent_1", version_id="v_9"), {})
    assert sent(recorder) == ("GET", "/v1/convai/agents/agent_1", {"version_id": ["v_9"]})


def test_create_agent_posts_to_the_create_path_and_returns_the_id(make_client) -> None:
    body = {"name": "Clinic", "conversation_config": {"agent": {"first_message": "Alo"}}, "tags": ["af:clinic"]}
    result, recorder = call(make_client, lambda c: c.create_agent(body), {"agent_id": "agent_new"})
    assert result == "agent_new"
    assert sent(recorder)[:2] == ("POST", "/v1/convai/agents/create")
    assert recorder.json_body() == body


def test_update_agent_on_a_branch_patches_with_branch_id_in_the_query(make_client) -> None:
    body = {"conversation_config": {"agent": {"first_message": "Hi"}}, "version_description": "pr-12"}
    _, recorder = call(make_client, lambda c: c.update_agent("agent_1", body, branch_id="br_1"), {})
    assert sent(recorder) == ("PATCH", "/v1/convai/agents/agent_1", {"branch_id": ["br_1"]})
    assert recorder.json_body() == body


def test_ids_are_escaped_so_they_cannot_change_the_path(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.get_tool("../agents/x?y"), {})
    assert recorder.last.url.raw_path == b"/v1/convai/tools/..%2Fagents%2Fx%3Fy"


def test_branches_are_listed_with_limit_not_a_cursor(make_client) -> None:
    result, recorder = call(
        make_client, lambda c: c.list_branches("agent_1", include_archived=True), {"results": [{"id": "b"}]}
    )
    assert result == [{"id": "b"}]
    assert sent(recorder) == (
        "GET",
        "/v1/convai/agents/agent_1/branches",
        {"include_archived": ["true"], "limit": ["100"]},
    )


def test_create_branch_sends_only_the_changes_given(make_client) -> None:
    reply = {"created_branch_id": "br_2", "created_version_id": "v_2"}
    result, recorder = call(
        make_client,
        lambda c: c.create_branch(
            "agent_1", parent_version_id="v_1", name="pr-12", description="PR 12", conversation_config={"tts": {}}
        ),
        reply,
    )
    assert result == reply
    assert sent(recorder)[:2] == ("POST", "/v1/convai/agents/agent_1/branches")
    assert recorder.json_body() == {
        "parent_version_id": "v_1",
        "name": "pr-12",
        "description": "PR 12",
        "conversation_config": {"tts": {}},
    }


def test_archiving_a_branch_patches_is_archived(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.update_branch("agent_1", "br_2", is_archived=True), {})
    assert sent(recorder)[:2] == ("PATCH", "/v1/convai/agents/agent_1/branches/br_2")
    assert recorder.json_body() == {"is_archived": True}


def test_merge_sends_the_target_branch_in_the_query_and_flags_in_the_body(make_client) -> None:
    _, recorder = call(
        make_client,
        lambda c: c.merge_branch("agent_1", "br_2", target_branch_id="br_main", archive_source_branch=True),
        {},
    )
    assert sent(recorder) == (
        "POST",
        "/v1/convai/agents/agent_1/branches/br_2/merge",
        {"target_branch_id": ["br_main"]},
    )
    assert recorder.json_body() == {"archive_source_branch": True, "force": False}


def test_merge_preview_is_a_get_with_the_target_in_the_query(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.merge_preview("agent_1", "br_2", "br_main", force=True), {})
    assert sent(recorder) == (
        "GET",
        "/v1/convai/agents/agent_1/branches/br_2/merge-preview",
        {"target_branch_id": ["br_main"], "force": ["true"]},
    )


def test_version_metadata_is_read_from_the_versions_path(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.get_version("agent_1", "v_3"), {"id": "v_3"})
    assert sent(recorder) == ("GET", "/v1/convai/agents/agent_1/versions/v_3", {})


def test_a_deployment_is_wrapped_in_deployment_request(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.deploy("agent_1", {"br_main": 100.0}), {})
    assert recorder.json_body() == {
        "deployment_request": {
            "requests": [
                {"branch_id": "br_main", "deployment_strategy": {"type": "percentage", "traffic_percentage": 100.0}}
            ]
        }
    }


def test_document_content_is_returned_as_text(make_client) -> None:
    reply = httpx.Response(200, text="# FAQ\nOpen 9-17", headers={"content-type": "text/plain; charset=utf-8"})
    result, recorder = call(make_client, lambda c: c.get_document_content("doc_1"), reply)
    assert result == "# FAQ\nOpen 9-17"
    assert sent(recorder)[:2] == ("GET", "/v1/convai/knowledge-base/doc_1/content")


def test_a_file_document_is_uploaded_as_multipart_with_file_part_and_form_fields(make_client) -> None:
    result, recorder = call(
        make_client,
        lambda c: c.create_file_document(
            filename="prices.pdf", data=b"%PDF-1.7 bytes", name="prices", parent_folder_id="f1"
        ),
        {"id": "doc_2", "name": "prices"},
    )
    assert result == {"id": "doc_2", "name": "prices"}
    request = recorder.last
    assert request.url.path == "/v1/convai/knowledge-base/file"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    content = request.content
    assert b'name="file"; filename="prices.pdf"' in content
    assert b"Content-Type: application/pdf" in content
    assert b"%PDF-1.7 bytes" in content
    assert b'name="name"\r\n\r\nprices' in content
    assert b'name="parent_folder_id"\r\n\r\nf1' in content


def test_text_and_url_documents_are_json_bodies(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.create_text_document(text="Hello", name="faq"), {"id": "d"})
    assert (recorder.last.url.path, recorder.json_body()) == (
        "/v1/convai/knowledge-base/text",
        {"text": "Hello", "name": "faq"},
    )
    _, recorder = call(
        make_client,
        lambda c: c.create_url_document(url="https://x.test", name="site", enable_auto_sync=True),
        {"id": "d"},
    )
    assert (recorder.last.url.path, recorder.json_body()) == (
        "/v1/convai/knowledge-base/url",
        {"url": "https://x.test", "name": "site", "enable_auto_sync": True},
    )


def test_update_document_sends_only_what_changes(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.update_document("doc_1", name="faq v2"), {})
    assert sent(recorder)[:2] == ("PATCH", "/v1/convai/knowledge-base/doc_1")
    assert recorder.json_body() == {"name": "faq v2"}


def test_force_delete_of_a_document_is_a_query_flag(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.delete_document("doc_1", force=True), None)
    assert sent(recorder) == ("DELETE", "/v1/convai/knowledge-base/doc_1", {"force": ["true"]})
    _, recorder = call(make_client, lambda c: c.delete_document("doc_1"), None)
    assert sent(recorder)[2] == {}


def test_dependent_agents_merges_agents_and_branches_over_pages(make_client) -> None:
    pages = {
        None: {"agents": [{"id": "a1"}], "branches": [{"branch_id": "b1"}], "has_more": True, "next_cursor": "n"},
        "n": {"agents": [{"id": "a2"}], "branches": [], "has_more": False, "next_cursor": None},
    }
    client, recorder = make_client(lambda request: answer(pages[request.url.params.get("cursor")]))
    result = asyncio.run(client.document_dependent_agents("doc_1"))
    assert result == {"agents": [{"id": "a1"}, {"id": "a2"}], "branches": [{"branch_id": "b1"}]}
    assert recorder.last.url.path == "/v1/convai/knowledge-base/doc_1/dependent-agents"


def test_tool_update_is_a_patch_carrying_the_full_tool_config(make_client) -> None:
    config = {"type": "webhook", "name": "book", "description": "Books", "api_schema": {"url": "https://x.test"}}
    mocks = [{"mock_result": "ok", "parameter_conditions": []}]
    _, recorder = call(make_client, lambda c: c.update_tool("tool_1", config, mocks), {"id": "tool_1"})
    assert sent(recorder)[:2] == ("PATCH", "/v1/convai/tools/tool_1")
    assert recorder.json_body() == {"tool_config": config, "response_mocks": mocks}


def test_create_tool_posts_tool_config_without_mocks_when_none(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.create_tool({"type": "client", "name": "n"}), {"id": "t"})
    assert sent(recorder)[:2] == ("POST", "/v1/convai/tools")
    assert recorder.json_body() == {"tool_config": {"type": "client", "name": "n"}}


def test_create_test_posts_to_agent_testing_create_and_returns_the_id(make_client) -> None:
    body = {"type": "llm", "name": "greets", "chat_history": [], "success_condition": "greets"}
    result, recorder = call(make_client, lambda c: c.create_test(body), {"id": "test_1"})
    assert result == "test_1"
    assert sent(recorder)[:2] == ("POST", "/v1/convai/agent-testing/create")


def test_test_update_is_a_put(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.update_test("test_1", {"type": "llm", "name": "n"}), {})
    assert sent(recorder)[:2] == ("PUT", "/v1/convai/agent-testing/test_1")


def test_run_tests_sends_the_documented_body(make_client) -> None:
    override = {"conversation_config": {}, "platform_settings": {}}
    _, recorder = call(
        make_client,
        lambda c: c.run_tests(
            "agent_1", ["t1", "t2"], branch_id="br_2", repeat_count=3, agent_config_override=override, name="pr-12"
        ),
        {"id": "inv_1", "test_runs": []},
    )
    assert sent(recorder)[:2] == ("POST", "/v1/convai/agents/agent_1/run-tests")
    assert recorder.json_body() == {
        "tests": [{"test_id": "t1"}, {"test_id": "t2"}],
        "branch_id": "br_2",
        "repeat_count": 3,
        "agent_config_override": override,
        "name": "pr-12",
    }


def test_run_tests_on_main_leaves_out_what_was_not_given(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.run_tests("agent_1", ["t1"]), {"id": "inv"})
    assert recorder.json_body() == {"tests": [{"test_id": "t1"}]}


def test_invocations_are_read_and_cancelled_under_test_invocations(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.get_test_invocation("inv_1"), {"id": "inv_1"})
    assert sent(recorder)[:2] == ("GET", "/v1/convai/test-invocations/inv_1")
    _, recorder = call(make_client, lambda c: c.cancel_test_invocation("inv_1"), None)
    assert sent(recorder)[:2] == ("POST", "/v1/convai/test-invocations/inv_1/cancel")


def test_test_folders_are_created_under_agent_testing_folders(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.create_test_folder(name="agentform"), {"id": "f", "name": "agentform"})
    assert (sent(recorder)[:2], recorder.json_body()) == (
        ("POST", "/v1/convai/agent-testing/folders"),
        {"name": "agentform"},
    )


def test_feedback_is_posted_to_the_conversation(make_client) -> None:
    _, recorder = call(make_client, lambda c: c.send_conversation_feedback("conv_1", "like"), None)
    assert (sent(recorder)[:2], recorder.json_body()) == (
        ("POST", "/v1/convai/conversations/conv_1/feedback"),
        {"feedback": "like"},
    )


def test_request_counts_split_reads_from_writes(make_client) -> None:
    client, _ = make_client(lambda request: answer({"id": "x", "agents": [], "has_more": False}))

    async def run() -> None:
        await client.list_agents()
        await client.get_tool("t")
        await client.update_document("d", name="n")
        await client.delete_test("t")

    asyncio.run(run())
    assert client.request_count == 4
    assert client.request_counts == {"GET": 2, "PATCH": 1, "DELETE": 1}
    assert client.write_count == 2


def test_an_empty_answer_is_none_and_json_answers_are_dicts(make_client) -> None:
    result, _ = call(make_client, lambda c: c.delete_agent("agent_1"), httpx.Response(204))
    assert result is None
    result, _ = call(make_client, lambda c: c.get_agent("agent_1"), {"agent_id": "agent_1", "name": "n"})
    assert json.dumps(result) == '{"agent_id": "agent_1", "name": "n"}'
