"""`validate` judges each resource's API body against ElevenLabs' OpenAPI document: required fields and union
variants per variant, with file, line and field; keys the document lacks stay warnings; no false positives."""

from __future__ import annotations

from tests.project.projectkit import MINIMAL, write_project

from agentform.project import validate_project

AGENT = MINIMAL["agents/helper/agent.yaml"]


def messages(root, **options) -> list[str]:
    return [str(d) for d in validate_project(root, environ={}, **options)]


def test_a_webhook_tool_without_api_schema_is_an_error_at_the_tool_config(tmp_path):
    tool = "tool_config:\n  type: webhook\n  name: lookup\n  description: Looks up opening hours.\n"
    root = write_project(tmp_path, {"tools/lookup.yaml": tool})

    assert messages(root) == [
        "tools/lookup.yaml:1:1: error: tool_config.api_schema: required key is missing (ElevenLabs' OpenAPI document)"
    ]


def test_a_system_tool_without_params_is_an_error(tmp_path):
    tool = "tool_config:\n  type: system\n  name: end_call\n  description: Ends the call.\n"
    root = write_project(tmp_path, {"tools/lookup.yaml": tool})

    assert messages(root) == [
        "tools/lookup.yaml:1:1: error: tool_config.params: required key is missing (ElevenLabs' OpenAPI document)"
    ]


def test_a_response_mock_without_its_result_is_an_error_at_the_item(tmp_path):
    tool = MINIMAL["tools/lookup.yaml"] + "response_mocks:\n  - is_error: false\n"
    root = write_project(tmp_path, {"tools/lookup.yaml": tool})

    assert messages(root) == [
        "tools/lookup.yaml:10:5: error: response_mocks[0].mock_result: "
        "required key is missing (ElevenLabs' OpenAPI document)"
    ]


def test_an_evaluation_criterion_without_its_goal_prompt_is_an_error(tmp_path):
    agent = AGENT + "platform_settings:\n  evaluation:\n    criteria:\n      - id: polite\n        name: Polite\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    assert messages(root) == [
        "agents/helper/agent.yaml:12:9: error: platform_settings.evaluation.criteria[0].conversation_goal_prompt: "
        "required key is missing (ElevenLabs' OpenAPI document)"
    ]


def test_workflow_nodes_are_checked_per_kind_and_edges_need_their_ends(tmp_path):
    workflow = """\
workflow:
  nodes:
    start: {type: start}
    agent: {type: standalone_agnet, agent_id: agent_x}
    odd: {type: teleport}
  edges:
    e1: {forward_condition: {type: unconditional}}
"""
    root = write_project(tmp_path, {"agents/helper/agent.yaml": AGENT + workflow})

    assert messages(root) == [
        "agents/helper/agent.yaml:12:13: error: workflow.nodes.agent.type: unknown value "
        "(did you mean 'standalone_agent'?)",
        "agents/helper/agent.yaml:13:11: error: workflow.nodes.odd.type: unknown value: expected one of 'start', "
        "'end', 'phone_number', 'override_agent', 'standalone_agent', 'tool'",
        "agents/helper/agent.yaml:15:5: error: workflow.edges.e1.source: "
        "required key is missing (ElevenLabs' OpenAPI document)",
        "agents/helper/agent.yaml:15:5: error: workflow.edges.e1.target: "
        "required key is missing (ElevenLabs' OpenAPI document)",
    ]


def test_a_test_turn_is_checked_by_the_variant_of_its_kind(tmp_path):
    spec = "kind: llm\nchat_history:\n  - {role: user, message: 42}\nsuccess_condition: ok\n"
    root = write_project(tmp_path, {"tests_specs/helper/hours.yaml": spec})

    assert messages(root) == [
        "tests_specs/helper/hours.yaml:3:18: error: chat_history[0].message: expected a string, got an integer"
    ]


def test_a_value_neither_source_lists_is_one_warning_and_strict_makes_it_an_error(tmp_path):
    agent = AGENT + "  tts:\n    agent_output_audio_format: pcm_96000\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    found = messages(root)
    assert len(found) == 1 and found[0].startswith(
        "agents/helper/agent.yaml:10:5: warning: conversation_config.tts.agent_output_audio_format: unknown value"
    )
    assert messages(root, strict=True)[0].startswith("agents/helper/agent.yaml:10:5: error:")


def test_a_problem_the_field_tree_reports_is_not_repeated(tmp_path):
    agent = AGENT.replace("      llm: gpt-4o-mini\n", "      llm: gpt-4o-mini\n      temperature: hot\n")
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    assert messages(root) == [
        "agents/helper/agent.yaml:9:7: error: conversation_config.agent.prompt.temperature: "
        "expected a number, got a string"
    ]


def test_a_required_key_an_overlay_removes_is_reported_in_that_overlay(tmp_path):
    tool = MINIMAL["tools/lookup.yaml"] + "environments:\n  local:\n    tool_config: {api_schema: null}\n"
    root = write_project(tmp_path, {"tools/lookup.yaml": tool})

    assert messages(root) == [
        "tools/lookup.yaml:11:19: error: environments.local.tool_config.api_schema: "
        "required key is missing (ElevenLabs' OpenAPI document)"
    ]
