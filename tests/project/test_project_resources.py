"""What each file kind becomes in the desired state: documents, tools and test bodies."""

from __future__ import annotations

import git
from tests.project.projectkit import MINIMAL, write_project
from tests.support.example import copy_example

from agentform.project import load_desired

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_each_document_kind_is_loaded_with_its_content_and_settings(tmp_path):
    root = write_project(
        tmp_path,
        {
            "knowledge/prices.txt": "A cleaning costs 250 lei.\n",
            "knowledge/about.html": "<p>About us</p>\n",
            "knowledge/manual.pdf": PDF,
            "knowledge/manual.yaml": "name: Device manual\nprevent_destroy: true\n",
            "knowledge/status.url": "\nhttps://status.example.com/page\n",
            "knowledge/status.yaml": "enable_auto_sync: true\nminimum_frequency_days: 7\n",
            "knowledge/.gitkeep": "",
        },
    )
    documents = load_desired(root, environ={}).documents

    assert sorted(documents) == ["about", "faq", "manual", "prices", "status"]
    assert (documents["prices"].kind, documents["prices"].text) == ("text", "A cleaning costs 250 lei.\n")
    assert (documents["about"].kind, documents["about"].text) == ("text", "<p>About us</p>\n")
    manual = documents["manual"]
    assert (manual.kind, manual.data, manual.filename, manual.text) == ("file", PDF, "manual.pdf", None)
    assert (manual.name, manual.prevent_destroy) == ("Device manual", True)
    status = documents["status"]
    assert (status.kind, status.url, status.name) == ("url", "https://status.example.com/page", "status")
    assert status.url_settings == {"enable_auto_sync": True, "minimum_frequency_days": 7}
    assert documents["faq"].source.path == "knowledge/faq.md"


def test_a_tool_test_references_its_tool_by_key_and_type(tmp_path):
    spec = "kind: tool\nchat_history: [Look it up]\ntool: lookup\ncheck_any_tool_matches: true\n"
    root = write_project(tmp_path, {"tests_specs/helper/call.yaml": spec})
    test = load_desired(root, environ={}).tests["helper/call"]

    assert test.tool_key == "lookup"
    assert test.body == {
        "type": "tool",
        "name": "call",
        "chat_history": [{"role": "user", "message": "Look it up", "time_in_call_secs": 0}],
        "tool_call_parameters": {"referenced_tool": {"id": "lookup", "type": "webhook"}},
        "check_any_tool_matches": True,
    }


def test_a_system_tool_is_referenced_without_a_tool_file(tmp_path):
    spec = "kind: tool\nchat_history: [Bye]\ntool_call_parameters:\n  referenced_tool: {id: end_call, type: system}\n"
    root = write_project(tmp_path, {"tests_specs/helper/bye.yaml": spec})
    test = load_desired(root, environ={}).tests["helper/bye"]
    assert test.tool_key is None
    assert test.body["tool_call_parameters"]["referenced_tool"] == {"id": "end_call", "type": "system"}


def test_a_simulation_lists_the_tools_it_mocks_by_key(tmp_path):
    spec = (
        "kind: simulation\nname: Calls in\nsimulation_scenario: A caller asks for hours.\n"
        "success_conditions: [The agent answers.]\nrepeat: 4\npass_threshold: 0.75\nsmoke: true\n"
        "tool_mock_config: {mocking_strategy: selected, mocked_tool_ids: [lookup]}\n"
        "tool_mock_overrides:\n  lookup: [{mock_result: 'open'}]\n"
    )
    root = write_project(tmp_path, {"tests_specs/helper/sim.yaml": spec})
    test = load_desired(root, environ={}).tests["helper/sim"]

    assert (test.kind, test.repeat, test.pass_threshold, test.smoke) == ("simulation", 4, 0.75, True)
    assert test.mocked_tool_keys == ["lookup"]
    assert test.body["name"] == "Calls in"
    assert test.body["tool_mock_config"]["mocked_tool_ids"] == ["lookup"]
    assert test.body["tool_mock_overrides"] == {"lookup": [{"mock_result": "open"}]}
    assert not {"kind", "repeat", "pass_threshold", "smoke", "tool"} & set(test.body)


def test_project_defaults_apply_to_tests_that_do_not_set_repeat_or_threshold(tmp_path):
    config = MINIMAL["agentform.yaml"] + "defaults:\n  repeat: 3\n  pass_threshold: 0.5\n"
    test = load_desired(write_project(tmp_path, {"agentform.yaml": config}), environ={}).tests["helper/hours"]
    assert (test.repeat, test.pass_threshold) == (3, 0.5)
    assert test.body["success_examples"] == [{"response": "We open at nine.", "type": "success"}]


def test_an_inline_prompt_is_used_when_there_is_no_prompt_file(tmp_path):
    agent = "name: Inline\nconversation_config:\n  agent:\n    prompt: {prompt: You are brief.}\n"
    root = write_project(tmp_path, {"agents/inline/agent.yaml": agent})
    loaded = load_desired(root, environ={}).agents["inline"]
    assert loaded.conversation_config["agent"]["prompt"]["prompt"] == "You are brief."
    assert loaded.prompt_source is None


def test_the_example_loads_the_same_from_a_git_ref_as_from_the_working_tree(tmp_path):
    copy_example(tmp_path)
    repo = git.Repo.init(tmp_path)
    repo.git.add(A=True)
    repo.git.commit(m="example", author="T <t@example.com>")

    from_tree = load_desired(tmp_path, environ={})
    from_ref = load_desired(tmp_path, ref="HEAD", environ={})

    assert from_ref == from_tree
    assert from_ref.settings.source_revision == repo.head.commit.hexsha
