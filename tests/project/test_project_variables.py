"""`${VAR}` substitution, overlays, and secrets."""

from __future__ import annotations

from tests.project.projectkit import MINIMAL, write_project

from agentform.project import load_desired, validate_project

CONFIG = MINIMAL["agentform.yaml"]
AGENT = MINIMAL["agents/helper/agent.yaml"]


def _voice(tmp_path, value: str, environ=None, env=None, config=CONFIG):
    root = write_project(
        tmp_path, {"agentform.yaml": config, "agents/helper/agent.yaml": AGENT + f"  tts:\n    voice_id: '{value}'\n"}
    )
    desired = load_desired(root, env=env, environ=environ or {})
    return desired.agents["helper"].conversation_config["tts"]["voice_id"]


def test_the_process_environment_wins_over_every_default(tmp_path):
    assert _voice(tmp_path, "${VOICE:-inline}", environ={"VOICE": "from-env"}) == "from-env"


def test_the_inline_default_applies_when_nothing_else_sets_the_variable(tmp_path):
    assert _voice(tmp_path, "${VOICE:-inline}") == "inline"


def test_environment_values_win_over_project_defaults(tmp_path):
    config = CONFIG.replace("    backend: emulator\n", "    backend: emulator\n    variables: {VOICE: local-voice}\n")
    config += "  VOICE:\n    default: project-voice\n"
    assert _voice(tmp_path, "${VOICE}", config=config) == "local-voice"
    assert _voice(tmp_path, "${VOICE}", config=config, env="production") == "project-voice"


def test_a_doubled_dollar_writes_a_literal_reference(tmp_path):
    assert _voice(tmp_path, "$${NOT_A_VARIABLE} and ${VOICE:-x}") == "${NOT_A_VARIABLE} and x"


def test_a_malformed_reference_is_an_error(tmp_path):
    root = write_project(tmp_path, {"agents/helper/agent.yaml": AGENT + "  tts:\n    voice_id: ${1BAD}\n"})
    assert [d.message for d in validate_project(root, environ={})] == [
        "malformed variable reference '${1BAD}': expected ${NAME} or ${NAME:-default}"
    ]


def test_secret_values_are_collected_and_never_printed_in_diagnostics(tmp_path):
    agent = AGENT.replace("name: Helper", "name: 'Helper ${TOKEN}'") + "  unknown_section:\n    x: ${TOKEN}\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    desired = load_desired(root, environ={})
    assert "s3cr3t-token-value" in desired.secret_values
    assert desired.workspace_secrets["lookup.Authorization"].value.endswith("s3cr3t-token-value")
    assert "s3cr3t" not in str(desired.tools["lookup"].tool_config)
    diagnostics = validate_project(
        write_project(tmp_path / "broken", {"agents/helper/agent.yaml": agent.replace("name:", "nmae:")}), environ={}
    )
    assert diagnostics and all("s3cr3t" not in str(d) for d in diagnostics)


def test_an_overlay_deep_merges_and_a_null_removes_a_key(tmp_path):
    agent = AGENT + (
        "  turn:\n    turn_timeout: 7\n"
        "environments:\n  production:\n    name: Helper (prod)\n"
        "    conversation_config:\n      agent: {first_message: null}\n      turn: {turn_eagerness: patient}\n"
    )
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    local = load_desired(root, environ={}).agents["helper"]
    production = load_desired(root, env="production", environ={}).agents["helper"]
    assert local.name == "Helper" and local.conversation_config["agent"]["first_message"] == "Hello there"
    assert production.name == "Helper (prod)"
    assert "first_message" not in production.conversation_config["agent"]
    assert production.conversation_config["agent"]["prompt"]["llm"] == "gpt-4o-mini"
    assert production.conversation_config["turn"] == {"turn_timeout": 7, "turn_eagerness": "patient"}


def test_an_unset_variable_in_an_overlay_is_located_in_the_overlay(tmp_path):
    agent = AGENT + "environments:\n  production:\n    name: ${PROD_NAME}\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    assert validate_project(root, environ={}) == []  # only the selected environment substitutes
    assert [str(d) for d in validate_project(root, env="production", environ={})] == [
        "agents/helper/agent.yaml:11:5: error: environments.production.name: "
        "variable PROD_NAME is not set (no environment value and no default)"
    ]


def test_every_declared_secret_that_is_set_is_masked_even_if_no_file_uses_it(tmp_path):
    config = CONFIG + "  UNUSED_SECRET:\n    secret: true\n  PUBLIC:\n    default: not-secret-at-all\n"
    root = write_project(tmp_path, {"agentform.yaml": config})
    desired = load_desired(root, environ={"UNUSED_SECRET": "hunter2-from-ci"})
    assert desired.secret_values == {"s3cr3t-token-value", "hunter2-from-ci"}


def test_a_secret_too_short_to_mask_is_a_warning_that_does_not_show_it(tmp_path):
    root = write_project(tmp_path)
    diagnostics = [str(d) for d in validate_project(root, environ={"TOKEN": "abc"})]
    assert diagnostics == [
        "agentform.yaml:10:3: warning: variables.TOKEN: "
        "the value of this secret is too short to be masked in output; use a longer one"
    ]
