"""Values in API-shaped sections are type-checked against the field tree: a wrong kind is an error, an unknown
enum value is a typo (error) or a newer value (warning); variables reach numeric fields as numbers; plan and apply
show the warnings of a valid project."""

from __future__ import annotations

import io

import pytest
from tests.project.projectkit import MINIMAL, write_project

from agentform import exitcodes
from agentform.commands import plan as plan_command
from agentform.commands import validate
from agentform.project import load_desired, validate_project
from agentform.project.values import check_leaf, parse_scalar, typo_of

AGENT = MINIMAL["agents/helper/agent.yaml"]
CONFIG = MINIMAL["agentform.yaml"]
NEWER_LLM = "agents/helper/agent.yaml:8:7: warning: conversation_config.agent.prompt.llm: unknown value"


def with_prompt(extra: str) -> str:
    """The minimal agent with more keys under conversation_config.agent.prompt (after llm, line 8)."""
    return AGENT.replace("      llm: gpt-4o-mini\n", "      llm: gpt-4o-mini\n" + extra)


def messages(root, **options) -> list[str]:
    return [str(d) for d in validate_project(root, environ={}, **options)]


def test_a_number_from_a_variable_reaches_the_api_as_a_number(tmp_path):
    agent = with_prompt("      temperature: ${TEMPERATURE}\n      max_tokens: ${MAX_TOKENS:-300}\n")
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    prompt = load_desired(root, environ={"TEMPERATURE": "0.25"}).agents["helper"].conversation_config["agent"]
    assert (prompt["prompt"]["temperature"], prompt["prompt"]["max_tokens"]) == (0.25, 300)


def test_a_variable_that_is_not_a_number_is_an_error_at_the_reference(tmp_path):
    agent = with_prompt("      temperature: ${TEMPERATURE}\n")
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    assert [str(d) for d in validate_project(root, environ={"TEMPERATURE": "warm"})] == [
        "agents/helper/agent.yaml:9:7: error: conversation_config.agent.prompt.temperature: "
        "expected a number, got a string (from a variable)"
    ]


def test_a_variable_in_a_field_that_takes_strings_stays_a_string(tmp_path):
    # first_message takes any string: "42" is a greeting here, not a number.
    agent = AGENT.replace("first_message: Hello there", "first_message: ${GREETING}")
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    config = load_desired(root, environ={"GREETING": "42"}).agents["helper"].conversation_config
    assert config["agent"]["first_message"] == "42"


def test_an_overlay_value_from_a_variable_is_checked_where_the_overlay_wrote_it(tmp_path):
    agent = AGENT + "environments:\n  production:\n    conversation_config:\n      turn: {turn_timeout: '${WAIT}'}\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    assert [str(d) for d in validate_project(root, env="production", environ={"WAIT": "soon"})] == [
        "agents/helper/agent.yaml:12:14: error: environments.production.conversation_config.turn.turn_timeout: "
        "expected a number, got a string (from a variable)"
    ]
    desired = load_desired(root, env="production", environ={"WAIT": "7"})
    assert desired.agents["helper"].conversation_config["turn"] == {"turn_timeout": 7}


def test_an_unknown_value_that_is_not_a_typo_is_a_warning_and_strict_makes_it_an_error(tmp_path):
    agent = AGENT.replace("llm: gpt-4o-mini", "llm: gpt-99-turbo-max")
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    out = io.StringIO()

    assert validate.run(root, environ={}, out=out) == exitcodes.OK
    assert out.getvalue().splitlines()[0] == (
        "agents/helper/agent.yaml:8:7: warning: conversation_config.agent.prompt.llm: unknown value: not one of the "
        "112 values known to the field tree (elevenlabs SDK 2.78.0 + CLI OpenAPI); newer value or typo?"
    )
    assert [d.severity for d in validate_project(root, environ={}, strict=True)] == ["error"]


def test_a_short_list_of_known_values_is_named_in_the_warning(tmp_path):
    agent = AGENT + "  turn: {turn_eagerness: relaxed}\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    assert messages(root) == [
        "agents/helper/agent.yaml:9:10: warning: conversation_config.turn.turn_eagerness: unknown value: not one of "
        "'patient', 'normal', 'eager' known to the field tree (elevenlabs SDK 2.78.0 + CLI OpenAPI); newer value or "
        "typo?"
    ]


def test_integers_fit_numbers_and_whole_floats_fit_integers_but_booleans_fit_neither():
    number, integer = {"t": ["number", "null"]}, {"t": ["integer"]}
    assert check_leaf(number, 1, "sdk") is None
    assert check_leaf(integer, 300.0, "sdk") is None
    assert check_leaf(number, None, "sdk") is None
    assert check_leaf(integer, 0.5, "sdk") == ("error", "expected an integer, got a number")
    assert check_leaf(number, True, "sdk") == ("error", "expected a number, got a boolean")
    assert check_leaf(integer, None, "sdk") == ("error", "expected an integer, got null")


def test_a_version_bump_is_not_a_typo_but_a_missing_letter_is():
    known = ["gpt-5.2", "gpt-4o-mini", "claude-opus-5"]
    assert typo_of("gpt-4o-mni", known) == "gpt-4o-mini"
    assert typo_of("gpt-5.3", known) is None
    assert typo_of("claude-9-opus", known) is None


@pytest.mark.parametrize(
    ("kinds", "text", "value"),
    [
        (["number"], "0.5", 0.5),
        (["number"], " 7 ", 7),
        (["integer"], "300", 300),
        (["integer"], "3.5", "3.5"),
        (["boolean"], "true", True),
        (["boolean"], "yes", "yes"),
        (["number"], "nan", "nan"),
    ],
)
def test_a_substituted_text_becomes_the_scalar_the_field_expects_or_stays_text(kinds, text, value):
    assert parse_scalar(kinds, text) == value


def test_values_a_list_of_strings_holds_are_checked_item_by_item(tmp_path):
    agent = AGENT.replace("    prompt:\n", "    prompt:\n      tool_ids: [abc, 3]\n")
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})

    assert messages(root) == [
        "agents/helper/agent.yaml:8:23: error: conversation_config.agent.prompt.tool_ids[1]: "
        "expected a string, got an integer"
    ]


def test_plan_prints_the_warnings_of_a_valid_project_before_the_plan(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    root = write_project(tmp_path, {"agents/helper/agent.yaml": AGENT.replace("gpt-4o-mini", "gpt-99-turbo-max")})

    assert plan_command.run(project_dir=root) == exitcodes.OK
    captured = capsys.readouterr()
    assert captured.err.splitlines()[0].startswith(NEWER_LLM)
    assert "unknown value" not in captured.out and "create" in captured.out


def test_plan_of_a_clean_project_prints_nothing_more_on_stderr(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    root = write_project(tmp_path)

    assert plan_command.run(project_dir=root) == exitcodes.OK
    assert "warning" not in capsys.readouterr().err
