"""API-shaped sections are checked against the SDK field tree: typos are errors, newer API fields are warnings."""

from __future__ import annotations

import io
import subprocess
import sys

from tests.project.projectkit import MINIMAL, write_project
from tests.support.example import REPO_ROOT

from agentform.commands import validate
from agentform.project import load_desired, validate_project
from agentform.project.fieldtree import load_fieldtree

AGENT = MINIMAL["agents/helper/agent.yaml"]
TOOL = MINIMAL["tools/lookup.yaml"]


def test_a_key_newer_than_the_sdk_is_a_warning_and_validate_still_passes(tmp_path):
    root = write_project(
        tmp_path, {"agents/helper/agent.yaml": AGENT + "platform_settings:\n  ban: {enabled: false}\n"}
    )
    out = io.StringIO()

    assert validate.run(root, environ={}, out=out) == 0
    assert out.getvalue().splitlines() == [
        "agents/helper/agent.yaml:10:3: warning: platform_settings.ban: unknown API key 'ban': "
        "not in the field tree (elevenlabs SDK 2.78.0 + CLI OpenAPI); newer field or typo?",
        "Valid: 1 agent, 1 document, 1 tool, 1 test (environment local); 1 warning.",
    ]
    assert load_desired(root, environ={}).agents["helper"].platform_settings == {"ban": {"enabled": False}}


def test_fields_the_live_api_has_beyond_the_sdk_are_known_from_the_cli_openapi_document(tmp_path):
    # conversation_config.turn.mode is missing from SDK 2.78.0's TurnConfig but ElevenLabs' own configs use it.
    root = write_project(tmp_path, {"agents/helper/agent.yaml": AGENT + "  turn:\n    mode: turn\n"})
    assert validate_project(root, environ={}, strict=True) == []


def test_strict_turns_the_warning_into_an_error(tmp_path):
    root = write_project(tmp_path, {"agents/helper/agent.yaml": AGENT + "platform_settings:\n  ban: {}\n"})
    out = io.StringIO()

    assert validate.run(root, strict=True, environ={}, out=out) == 1
    assert out.getvalue().splitlines()[0].startswith("agents/helper/agent.yaml:10:3: error: platform_settings.ban:")
    assert out.getvalue().splitlines()[-1] == "Invalid: 1 error, 0 warnings."


def test_free_form_maps_are_not_checked(tmp_path):
    agent = AGENT + (
        "platform_settings:\n  data_collection:\n    any_name_we_like: {type: string, description: x}\n"
        "workflow:\n  nodes:\n    my-node-1: {type: start}\n"
    )
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    assert validate_project(root, environ={}) == []


def test_values_inside_free_form_maps_are_checked(tmp_path):
    agent = AGENT + "platform_settings:\n  data_collection:\n    order:\n      type: string\n      descripton: x\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    assert [str(d) for d in validate_project(root, environ={})] == [
        "agents/helper/agent.yaml:13:7: error: platform_settings.data_collection.order.descripton: "
        "unknown key 'descripton' (did you mean 'description'?)"
    ]


def test_a_tagged_union_is_checked_against_its_own_variant(tmp_path):
    # `parameters` belongs to client tools; in a webhook tool it is unknown (and not a typo of a webhook field).
    tool = TOOL + "  parameters: {type: object}\n"
    root = write_project(tmp_path, {"tools/lookup.yaml": tool})
    assert [d.severity + ": " + d.field for d in validate_project(root, environ={})] == [
        "warning: tool_config.parameters"
    ]
    client = "tool_config:\n  type: client\n  name: lookup\n  description: x\n  parameters: {type: object}\n"
    assert validate_project(write_project(tmp_path / "client", {"tools/lookup.yaml": client}), environ={}) == []


def test_list_items_are_checked_item_by_item(tmp_path):
    test = MINIMAL["tests_specs/helper/hours.yaml"] + "failure_examples:\n  - {response: closed, typ: failure}\n"
    root = write_project(tmp_path, {"tests_specs/helper/hours.yaml": test})
    assert [str(d) for d in validate_project(root, environ={})] == [
        "tests_specs/helper/hours.yaml:7:24: error: failure_examples[0].typ: unknown key 'typ' (did you mean 'type'?)"
    ]


def test_the_shipped_tree_covers_every_section_the_loader_checks():
    tree = load_fieldtree()
    assert tree.sdk_version == "2.78.0"
    assert {"conversation_config", "platform_settings", "workflow", "tool_config", "test_body"} <= set(tree.roots)
    assert {"agent", "tts", "asr", "turn", "conversation"} <= tree.known("conversation_config")


def test_the_shipped_tree_is_what_the_generator_produces_from_the_installed_sdk():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts/gen_fieldtree.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def load_generator():
    """scripts/gen_fieldtree.py as a module (it is a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_fieldtree", REPO_ROOT / "scripts/gen_fieldtree.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_merging_the_openapi_tree_never_adds_a_type_check():
    generator = load_generator()
    sdk = {"f": {"a": {"t": ["string", "null"]}, "b": {"t": ["number"]}, "c": {"l": {"t": ["string"]}}}, "o": 1}
    openapi = {"f": {"a": {"f": {"x": None}}, "b": None, "c": None, "d": {"f": {"y": None}}}}

    merged = generator.Merger({}, {}).merge(sdk, openapi)

    # a: a scalar for the SDK but a structure for the live API -> unchecked; d: OpenAPI-only, no type and no "o".
    assert merged == {
        "f": {"a": None, "b": {"t": ["number"]}, "c": {"l": {"t": ["string"]}}, "d": {"f": {"y": None}}},
        "o": 1,
    }


def test_the_shipped_tree_types_leaves_and_knows_enum_values():
    tree = load_fieldtree()
    prompt = tree._resolve(tree._resolve(tree._resolve(tree.roots["conversation_config"])["f"]["agent"])["f"]["prompt"])
    assert prompt["f"]["temperature"] == {"t": ["number", "null"]}
    assert prompt["f"]["max_tokens"] == {"t": ["integer", "null"]}
    assert "gpt-4o-mini" in prompt["f"]["llm"]["e"]


def test_a_field_that_takes_a_number_or_a_known_word_accepts_both(tmp_path):
    agent = AGENT + (
        "platform_settings:\n  guardrails:\n    content:\n      config:\n"
        "        sexual: {is_enabled: true, threshold: 0.4}\n        violence: {is_enabled: true, threshold: high}\n"
    )
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    assert validate_project(root, environ={}, strict=True) == []


def test_a_field_that_takes_a_number_or_a_known_word_rejects_a_list(tmp_path):
    agent = AGENT + "platform_settings:\n  guardrails:\n    content:\n      config:\n        sexual: {threshold: [1]}\n"
    root = write_project(tmp_path, {"agents/helper/agent.yaml": agent})
    assert [str(d) for d in validate_project(root, environ={})] == [
        "agents/helper/agent.yaml:13:18: error: platform_settings.guardrails.content.config.sexual.threshold: "
        "expected a string or a number, got a list"
    ]
