"""Turning a real conversation into a test spec: turn choice, examples, tool calls, metadata, YAML, slugs."""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from agentform.testing.from_conversation import (
    FromConversationError,
    build_spec,
    flatten_parameters,
    select_turn,
    slugify,
    spec_key,
    spec_yaml,
    write_spec,
)

BOOK_CALL = {
    "type": "webhook",
    "request_id": "req-1",
    "tool_name": "book_appointment",
    "tool_id": "tool_abc",
    "params_as_json": json.dumps({"day": "luni", "patient": {"name": "Ana", "phone": "0722"}}),
    "tool_has_been_called": True,
    "tool_details": {"method": "POST", "url": "https://clinic.example/book"},
}


@pytest.fixture
def conversation() -> dict:
    return {
        "conversation_id": "conv_42",
        "agent_id": "agent_7",
        "branch_id": "agtbrch_1",
        "status": "done",
        "metadata": {"start_time_unix_secs": 1_763_700_000, "call_duration_secs": 40},
        "conversation_initiation_client_data": {
            "dynamic_variables": {"patient_name": "Ana", "system__time": "12:00", "system__caller_id": "+40..."}
        },
        "transcript": [
            {"role": "agent", "message": "Alo, bună ziua! Cu ce vă pot ajuta?", "time_in_call_secs": 0},
            {"role": "user", "message": "Unde se află clinica?", "time_in_call_secs": 3, "llm_usage": {"x": 1}},
            {
                "role": "agent",
                "message": "Clinica se află pe Strada Lalelelor 5, București.",
                "time_in_call_secs": 5,
                "conversation_turn_metrics": {"metrics": {}},
            },
            {"role": "user", "message": "Vreau o programare luni.", "time_in_call_secs": 12},
            {"role": "agent", "message": None, "time_in_call_secs": 14, "tool_calls": [BOOK_CALL]},
            {
                "role": "agent",
                "message": "V-am programat luni.\nVă așteptăm!",
                "time_in_call_secs": 16,
                "tool_results": [
                    {
                        "request_id": "req-1",
                        "tool_name": "book_appointment",
                        "result_value": "ok",
                        "is_error": False,
                        "tool_has_been_called": True,
                        "tool_latency_secs": 0.3,
                    }
                ],
            },
            {"role": "user", "message": "Mulțumesc!", "time_in_call_secs": 20},
        ],
    }


def test_the_default_turn_is_the_last_user_message_the_agent_answered(conversation):
    selected = select_turn(conversation["transcript"])
    assert selected.number == 2
    assert selected.user_message == "Vreau o programare luni."
    assert selected.reply_text == "V-am programat luni.\nVă așteptăm!"
    assert [call["tool_name"] for call in selected.tool_calls] == ["book_appointment"]


def test_a_chosen_turn_keeps_the_history_up_to_it_without_response_only_noise(conversation):
    selected = select_turn(conversation["transcript"], 1)
    assert [item["role"] for item in selected.history] == ["agent", "user"]
    assert selected.history[-1] == {"role": "user", "message": "Unde se află clinica?", "time_in_call_secs": 3}
    assert selected.reply == [
        {"role": "agent", "message": "Clinica se află pe Strada Lalelelor 5, București.", "time_in_call_secs": 5}
    ]
    assert select_turn(conversation["transcript"], -2).number == 2


def test_turns_out_of_range_or_unanswered_are_clear_errors(conversation):
    with pytest.raises(FromConversationError, match="has 3 user turns"):
        select_turn(conversation["transcript"], 4)
    with pytest.raises(FromConversationError, match="did not answer user turn 3"):
        select_turn(conversation["transcript"], 3)
    with pytest.raises(FromConversationError, match="no user message"):
        select_turn([{"role": "agent", "message": "hello", "time_in_call_secs": 0}])


def test_an_llm_spec_uses_the_actual_reply_as_the_success_example(conversation):
    spec = build_spec(conversation, turn=1)
    assert spec["kind"] == "llm"
    assert spec["name"] == "Reply to: Unde se află clinica?"
    assert spec["success_condition"] == (
        "The agent answers the user's last message (Unde se află clinica?) with the same facts and intent as the "
        "success example."
    )
    assert '"' not in build_spec(conversation, turn=1)["success_condition"]
    assert spec["chat_history"] == [{"agent": "Alo, bună ziua! Cu ce vă pot ajuta?"}, {"user": "Unde se află clinica?"}]
    assert spec["success_examples"] == ["Clinica se află pe Strada Lalelelor 5, București."]
    assert spec["failure_examples"] == []
    assert spec["dynamic_variables"] == {"patient_name": "Ana"}
    metadata = spec["from_conversation_metadata"]
    assert (metadata["conversation_id"], metadata["agent_id"], metadata["branch_id"]) == (
        "conv_42",
        "agent_7",
        "agtbrch_1",
    )
    assert metadata["original_agent_reply"][0]["message"].startswith("Clinica se află")


def test_as_failure_turns_the_reply_into_a_failure_example(conversation):
    spec = build_spec(conversation, turn=1, as_failure=True)
    assert spec["success_examples"] == []
    assert spec["failure_examples"] == ["Clinica se află pe Strada Lalelelor 5, București."]


def test_a_tool_call_becomes_a_tool_test_with_exact_parameter_checks_and_the_tool_key(conversation):
    spec = build_spec(conversation, tool_keys={"tool_abc": "book-appointment"})
    assert spec["kind"] == "tool"
    assert spec["tool"] == "book-appointment"
    assert spec["tool_call_parameters"] == {
        "parameters": [
            {"path": "day", "eval": {"type": "exact", "expected_value": "luni"}},
            {"path": "patient.name", "eval": {"type": "exact", "expected_value": "Ana"}},
            {"path": "patient.phone", "eval": {"type": "exact", "expected_value": "0722"}},
        ],
        "verify_absence": False,
    }
    assert spec["chat_history"][-1] == {"user": "Vreau o programare luni."}


def test_a_tool_that_is_not_in_the_project_cannot_become_a_tool_test(conversation):
    with pytest.raises(FromConversationError, match=r"no tools/<key>\.yaml of this project declares"):
        build_spec(conversation, kind="tool")


def test_a_system_tool_is_referenced_by_its_built_in_id(conversation):
    end_call = {"type": "system", "request_id": "r", "tool_name": "end_call", "params_as_json": "{}"}
    conversation["transcript"][4]["tool_calls"] = [end_call]
    spec = build_spec(conversation)
    assert spec["tool_call_parameters"] == {
        "parameters": [],
        "verify_absence": False,
        "referenced_tool": {"id": "end_call", "type": "system"},
    }


def test_quotes_in_the_users_words_do_not_reach_the_success_condition(conversation):
    conversation["transcript"][1]["message"] = 'Unde e „Clinica Zâmbet" sau "Zâmbet"?'
    condition = build_spec(conversation, turn=1)["success_condition"]
    assert not any(quote in condition for quote in '"“”„')


def test_asking_for_the_wrong_kind_explains_which_one_fits(conversation):
    with pytest.raises(FromConversationError, match="no tool call after user turn 1: use --kind llm"):
        build_spec(conversation, turn=1, kind="tool")


def test_flatten_parameters_gives_dotted_leaf_paths():
    assert flatten_parameters({"a": {"b": 1, "c": [1, 2]}, "d": None}) == [("a.b", 1), ("a.c", [1, 2]), ("d", None)]
    assert flatten_parameters({}) == []


def test_slugs_are_ascii_lowercase_and_short():
    assert slugify("Bună ziua! Unde se află clinica?") == "buna-ziua-unde-se-afla-clinica"
    assert slugify("?!") == "conversation"
    assert len(slugify("word " * 40)) <= 48
    assert spec_key("¿?", "conv_42") == "conv-42"


def test_the_yaml_round_trips_keeps_unicode_and_shows_multiline_replies_as_blocks(conversation):
    spec = build_spec(conversation, kind="llm")
    text = spec_yaml(spec, header="Generated from conversation conv_42.\nEdit the success condition.")
    assert text.startswith("# Generated from conversation conv_42.\n# Edit the success condition.\n")
    assert "V-am programat luni." in text and "\\u" not in text
    assert "success_examples:\n  - |-\n    V-am programat luni.\n    Vă așteptăm!" in text
    assert YAML(typ="safe").load(text) == spec


def test_an_existing_spec_is_not_overwritten_without_force(tmp_path):
    path = tmp_path / "tests_specs" / "clinic" / "address.yaml"
    write_spec(path, "kind: llm\n")
    with pytest.raises(FromConversationError, match="already exists"):
        write_spec(path, "kind: tool\n")
    assert path.read_text() == "kind: llm\n"
    write_spec(path, "kind: tool\n", force=True)
    assert path.read_text() == "kind: tool\n"
