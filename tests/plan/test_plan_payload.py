"""Desired API payloads: references by key become ids (or placeholders), markers are added."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.plan.builders import agent, document, llm_test, tool

from agentform.model import DesiredTest, KnowledgeRef, SourceLocation
from agentform.plan import identity
from agentform.plan.payload import DocumentRef, Refs, agent_payload, document_payload, test_content_hash, test_payload

REFS = Refs(
    project="clinic",
    environment="prod",
    documents={"faq": DocumentRef(id="doc-1", name="FAQ [faq@e48c37c3050e]", type="text")},
    tools={"book": "tool-1"},
    tests={"receptionist/greets": "$ref:test.receptionist/greets"},
)


def test_agent_payload_resolves_knowledge_tools_and_tests_and_adds_markers():
    desired = agent(
        knowledge=[KnowledgeRef(key="faq", usage_mode="prompt")], tools=["book"], tags=["vip", "af:old:tag"]
    )
    body = agent_payload(desired, REFS, [llm_test()])
    prompt = body["conversation_config"]["agent"]["prompt"]
    assert prompt["knowledge_base"] == [
        {"type": "text", "name": "FAQ [faq@e48c37c3050e]", "id": "doc-1", "usage_mode": "prompt"}
    ]
    assert prompt["tool_ids"] == ["tool-1"]
    assert body["platform_settings"]["testing"]["attached_tests"] == [{"test_id": "$ref:test.receptionist/greets"}]
    assert body["tags"] == ["af-key:receptionist", "af:clinic:prod", "vip"]
    assert body["name"] == "Receptionist"


def test_agent_payload_always_sends_the_reference_lists_so_removing_the_last_one_removes_it_live():
    body = agent_payload(agent(), REFS)
    prompt = body["conversation_config"]["agent"]["prompt"]
    assert prompt["knowledge_base"] == [] and prompt["tool_ids"] == []
    assert body["platform_settings"]["testing"]["attached_tests"] == []


def test_agent_payload_keeps_raw_ids_written_in_the_file_and_does_not_mutate_the_model():
    config = {"agent": {"prompt": {"tool_ids": ["raw-system-tool"]}}}
    desired = agent(conversation_config=config, tools=["book"])
    body = agent_payload(desired, REFS)
    assert body["conversation_config"]["agent"]["prompt"]["tool_ids"] == ["raw-system-tool", "tool-1"]
    assert desired.conversation_config == {"agent": {"prompt": {"tool_ids": ["raw-system-tool"]}}}


def test_document_payload_is_the_create_body_with_the_content_addressed_name():
    faq = document("faq")
    body = document_payload(faq, "kb-folder")
    assert body == {
        "type": "text",
        "name": f"FAQ [faq@{faq.content_hash()}]",
        "parent_folder_id": "kb-folder",
        "text": faq.text,
    }


def _tool_test() -> DesiredTest:
    body = {
        "chat_history": [{"role": "user", "message": "book me", "time_in_call_secs": 0}],
        "tool_call_parameters": {"referenced_tool": {"id": "book", "type": "webhook"}, "parameters": []},
        "tool_mock_config": {"mocking_strategy": "selected", "mocked_tool_ids": ["book"]},
        "tool_mock_overrides": {"book": [{"mock_result": "ok"}]},
    }
    return DesiredTest(
        agent_key="receptionist",
        key="books",
        kind="tool",
        body=body,
        tool_key="book",
        mocked_tool_keys=["book"],
        source=SourceLocation(path="tests_specs/receptionist/books.yaml"),
    )


def test_test_payload_substitutes_tool_keys_by_ids_everywhere_the_api_wants_ids():
    body = test_payload(_tool_test(), {"book": "tool-1"}, test_hash="0123456789ab", parent_folder_id="tf")
    assert body["tool_call_parameters"]["referenced_tool"] == {"id": "tool-1", "type": "webhook"}
    assert body["tool_mock_config"]["mocked_tool_ids"] == ["tool-1"]
    assert body["tool_mock_overrides"] == {"tool-1": [{"mock_result": "ok"}]}
    assert body["name"] == "books [receptionist/books@0123456789ab]"
    assert (body["type"], body["parent_folder_id"]) == ("tool", "tf")


def test_test_content_hash_follows_the_tool_content_not_its_id():
    test = _tool_test()
    one = test_content_hash(test, {"book": "book@aaaaaaaaaaaa"})
    assert one == test_content_hash(test, {"book": "book@aaaaaaaaaaaa"})
    assert one != test_content_hash(test, {"book": "book@bbbbbbbbbbbb"})


def test_tool_free_tests_hash_the_same_whatever_the_tools():
    assert test_content_hash(llm_test(), {}) == test_content_hash(llm_test(), {"book": "book@aaaaaaaaaaaa"})


def test_tool_payload_is_a_copy():
    book = tool()
    from agentform.plan.payload import tool_payload

    body = tool_payload(book)
    body["tool_config"]["name"] = "changed"
    assert book.tool_config["name"] == "book"


def test_a_test_is_named_in_the_dashboard_by_its_spec_name_with_a_parseable_marker():
    spec = _tool_test()
    named = spec.model_copy(update={"body": {**spec.body, "name": "Books an appointment [v2]"}})
    test_hash = test_content_hash(named, {"book": "book@aaaaaaaaaaaa"})
    body = test_payload(named, {"book": "tool-1"}, test_hash=test_hash)
    assert body["name"] == f"Books an appointment [v2] [receptionist/books@{test_hash}]"
    marker = identity.parse_test_name(body["name"])
    assert marker == ("Books an appointment [v2]", "receptionist", "books", test_hash)


def test_a_test_without_a_spec_name_is_named_by_its_key():
    assert test_payload(_tool_test(), {}, test_hash="0123456789ab")["name"].startswith("books [receptionist/books@")


def test_the_content_address_of_a_named_test_is_the_same_on_every_run():
    # Separate processes with different str-hash seeds: nothing in the address may depend on one process's state.
    script = (
        "from tests.plan.test_plan_payload import _tool_test\n"
        "from agentform.plan.payload import test_content_hash\n"
        "spec = _tool_test()\n"
        "named = spec.model_copy(update={'body': {**spec.body, 'name': 'Books an appointment'}})\n"
        "print(test_content_hash(named, {'book': 'book@aaaaaaaaaaaa'}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    hashes = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": f"{root}{os.pathsep}{root / 'src'}"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    spec = _tool_test()
    named = spec.model_copy(update={"body": {**spec.body, "name": "Books an appointment"}})
    assert hashes == {test_content_hash(named, {"book": "book@aaaaaaaaaaaa"})}
