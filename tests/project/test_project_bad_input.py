"""The bad-input corpus: each broken project is reported at the exact file, line, column and field, with a clear
message, the command exits 1, and nothing on disk changes.

One case a check, several a file kind: `BadInput` says which files of the minimal project to change, what to put
beside the project (a symlink's target outside the repository) and the exact diagnostics expected."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.project.projectkit import MINIMAL, snapshot, write_project

from agentform import exitcodes
from agentform.commands import validate
from agentform.project import ProjectError, load_desired, validate_project

AGENT = MINIMAL["agents/helper/agent.yaml"]
TOOL = MINIMAL["tools/lookup.yaml"]
CONFIG = MINIMAL["agentform.yaml"]
TEST = MINIMAL["tests_specs/helper/hours.yaml"]
LLM = "      llm: gpt-4o-mini\n"
NEWER_VALUE = "unknown value: not one of the 112 values known to the field tree (elevenlabs SDK 2.78.0 + CLI OpenAPI); "


@dataclass(frozen=True)
class BadInput:
    """A broken project and what `validate` must say about it.

    `files` change the minimal project (None deletes a file); `outside` are files written next to the project,
    outside the repository, and `links` symlinks in the project to them. In `expected`, `{root}` stands for the
    project folder and `{outside}` for the folder around it. `strict` runs with --strict (warnings are errors)."""

    name: str
    files: dict[str, str | bytes | None]
    expected: list[str]
    exit_code: int = exitcodes.ERROR
    env: str | None = None
    strict: bool = False
    outside: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def build(self, folder: Path) -> Path:
        """Write the case under `folder` (the project in `folder/project`); returns the project root."""
        for relative, content in self.outside.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(content, encoding="utf-8")
        root = write_project(folder / "project", self.files)
        for link, target in self.links.items():
            os.symlink(folder / target, root / link)
        return root


CASES: list[BadInput] = [
    # -- agentform.yaml ------------------------------------------------------------------------------------------
    BadInput(
        "config: YAML syntax error",
        {"agentform.yaml": "project: demo\ndefault_environment: [local\nenvironments: {}\n"},
        ["agentform.yaml:3:13: error: invalid YAML: did not find expected ',' or ']'"],
    ),
    BadInput(
        "config: duplicate key",
        {"agentform.yaml": CONFIG + "project: other\n"},
        ["agentform.yaml:13:1: error: project: duplicate key 'project'"],
    ),
    BadInput(
        "config: unknown key with did-you-mean",
        {"agentform.yaml": CONFIG + "defualts:\n  test_timeout_secs: 60\n"},
        ["agentform.yaml:13:1: error: defualts: unknown key 'defualts' (did you mean 'defaults'?)"],
    ),
    BadInput(
        "config: wrong type",
        {"agentform.yaml": CONFIG.replace("DEMO_API_KEY\n", "DEMO_API_KEY\n    parallelism: many\n")},
        [
            "agentform.yaml:9:5: error: environments.production.parallelism: "
            "Input should be a valid integer, unable to parse string as an integer"
        ],
    ),
    BadInput(
        "config: default environment not declared",
        {"agentform.yaml": CONFIG.replace("default_environment: local", "default_environment: staging")},
        [
            "agentform.yaml:2:1: error: default_environment: "
            "environment 'staging' is not declared (declared: local, production)"
        ],
    ),
    BadInput(
        "config: project name is not a slug",
        {"agentform.yaml": CONFIG.replace("project: demo", "project: Demo Project")},
        ["agentform.yaml:1:1: error: project: expected a lowercase slug: a-z, 0-9 and '-' (e.g. clinic-voice)"],
    ),
    BadInput(
        "config: api_key_env is not a variable name",
        {"agentform.yaml": CONFIG.replace("api_key_env: DEMO_API_KEY", "api_key_env: sk-live-1234")},
        [
            "agentform.yaml:8:5: error: environments.production.api_key_env: "
            "expected an environment variable name: letters, digits and '_'"
        ],
    ),
    BadInput(
        "config: unknown backend",
        {"agentform.yaml": CONFIG.replace("backend: emulator", "backend: emulater")},
        ["agentform.yaml:5:5: error: environments.local.backend: Input should be 'emulator' or 'api'"],
    ),
    BadInput(
        "config: missing file",
        {"agentform.yaml": None},
        ["agentform.yaml:1:1: error: no agentform.yaml in {root}: run `agentform init` to create a project"],
    ),
    BadInput(
        "config: the selected environment is not declared",
        {},
        ["agentform.yaml:3:1: error: environments: no environment 'staging' (declared: local, production)"],
        env="staging",
    ),
    BadInput(
        "config: symlink out of the repository",
        {"agentform.yaml": None},
        ["agentform.yaml:1:1: error: agentform.yaml is a symlink that points outside the repository"],
        outside={"other-project.yaml": CONFIG},
        links={"agentform.yaml": "other-project.yaml"},
    ),
    BadInput(
        "config: an invalid agentform.yaml does not hide the errors in other files",
        {
            "agentform.yaml": CONFIG.replace("backend: emulator", "backend: emulater"),
            "agents/helper/agent.yaml": AGENT.replace("knowledge:", "knowlege:"),
            "tests_specs/helper/hours.yaml": TEST + "repeat: 0\n",
        },
        [
            "agentform.yaml:5:5: error: environments.local.backend: Input should be 'emulator' or 'api'",
            "agents/helper/agent.yaml:2:1: error: knowlege: unknown key 'knowlege' (did you mean 'knowledge'?)",
            "tests_specs/helper/hours.yaml:6:1: error: repeat: Input should be greater than or equal to 1",
        ],
    ),
    # -- agents/<key>/agent.yaml and prompt.md ------------------------------------------------------------------
    BadInput(
        "agent: unknown key with did-you-mean",
        {"agents/helper/agent.yaml": AGENT.replace("knowledge:", "knowlege:")},
        ["agents/helper/agent.yaml:2:1: error: knowlege: unknown key 'knowlege' (did you mean 'knowledge'?)"],
    ),
    BadInput(
        "agent: typo of an API key is an error",
        {"agents/helper/agent.yaml": AGENT.replace("first_message", "first_mesage")},
        [
            "agents/helper/agent.yaml:6:5: error: conversation_config.agent.first_mesage: "
            "unknown key 'first_mesage' (did you mean 'first_message'?)"
        ],
    ),
    BadInput(
        "agent: missing name",
        {"agents/helper/agent.yaml": AGENT.replace("name: Helper\n", "")},
        ["agents/helper/agent.yaml:1:1: error: name: required key is missing"],
    ),
    BadInput(
        "agent: dangling knowledge reference",
        {"agents/helper/agent.yaml": AGENT.replace("[faq]", "[faqs]")},
        ["agents/helper/agent.yaml:2:13: error: knowledge[0]: unknown document 'faqs' (did you mean 'faq'?)"],
    ),
    BadInput(
        "agent: dangling tool reference",
        {"agents/helper/agent.yaml": AGENT.replace("[lookup]", "[lookpu]")},
        ["agents/helper/agent.yaml:3:9: error: tools[0]: unknown tool 'lookpu' (did you mean 'lookup'?)"],
    ),
    BadInput(
        "agent: missing prompt file",
        {"agents/helper/agent.yaml": "prompt_file: missing.md\n" + AGENT},
        ["agents/helper/agent.yaml:1:1: error: prompt_file: file 'agents/helper/missing.md' does not exist"],
    ),
    BadInput(
        "agent: prompt path escapes with ../",
        {"agents/helper/agent.yaml": "prompt_file: ../../../etc/passwd\n" + AGENT},
        ["agents/helper/agent.yaml:1:1: error: prompt_file: path '../../../etc/passwd' escapes the repository"],
    ),
    BadInput(
        "agent: absolute prompt path",
        {"agents/helper/agent.yaml": "prompt_file: /etc/passwd\n" + AGENT},
        ["agents/helper/agent.yaml:1:1: error: prompt_file: path '/etc/passwd' escapes the repository"],
    ),
    BadInput(
        "agent: empty prompt",
        {"agents/helper/prompt.md": "  \n\n"},
        ["agents/helper/prompt.md:1:1: error: prompt is empty"],
    ),
    BadInput(
        "agent: prompt is not UTF-8",
        {"agents/helper/prompt.md": b"Bun\xe3 ziua\n"},
        ["agents/helper/prompt.md:1:4: error: file is not valid UTF-8 text"],
    ),
    BadInput(
        "agent: unset variable",
        {"agents/helper/agent.yaml": AGENT + "  tts:\n    voice_id: ${VOICE_ID}\n"},
        [
            "agents/helper/agent.yaml:10:5: error: conversation_config.tts.voice_id: "
            "variable VOICE_ID is not set (no environment value and no default)"
        ],
    ),
    BadInput(
        "agent: overlay for an undeclared environment",
        {"agents/helper/agent.yaml": AGENT + "environments:\n  stagin:\n    name: Helper (staging)\n"},
        [
            "agents/helper/agent.yaml:10:3: error: environments.stagin: "
            "environment 'stagin' is not declared in agentform.yaml"
        ],
    ),
    BadInput(
        "agent: wrong type in an overlay of another environment",
        {"agents/helper/agent.yaml": AGENT + "environments:\n  production:\n    name: 42\n"},
        ["agents/helper/agent.yaml:11:5: error: environments.production.name: Input should be a valid string"],
    ),
    BadInput(
        "agent: folder without agent.yaml",
        {"agents/orphan/prompt.md": "Hi.\n"},
        ["agents/orphan/prompt.md:1:1: error: agent folder agents/orphan/ has no agent.yaml"],
    ),
    BadInput(
        "agent: prompt symlink out of the repository is refused, not followed",
        {"agents/helper/prompt.md": None},
        [
            "agents/helper/agent.yaml:1:1: error: prompt_file: the agent has no prompt: add agents/helper/prompt.md",
            "agents/helper/prompt.md:1:1: error: symlink to '{outside}/outside.md' points outside the repository",
        ],
        outside={"outside.md": "A secret prompt from outside the repository.\n"},
        links={"agents/helper/prompt.md": "outside.md"},
    ),
    BadInput(
        "agent: a conversation_config section in the way of the prompt",
        {"agents/helper/agent.yaml": "name: Helper\nconversation_config:\n  agent:\n    prompt: just a string\n"},
        [
            "agents/helper/agent.yaml:4:5: error: conversation_config.agent.prompt: "
            "expected a mapping (the prompt file's text goes inside it)"
        ],
    ),
    # -- knowledge/ -----------------------------------------------------------------------------------------------
    BadInput(
        "knowledge: unsupported file type",
        {"knowledge/notes.doc": b"x"},
        [
            "knowledge/notes.doc:1:1: error: "
            "unsupported document type '.doc' (.docx, .htm, .html, .md, .pdf, .txt, .url)"
        ],
    ),
    BadInput(
        "knowledge: two documents with one key",
        {"knowledge/faq.txt": "We open at nine.\n"},
        [
            "knowledge/faq.md:1:1: error: several documents share the key 'faq': faq.md, faq.txt",
            "knowledge/faq.txt:1:1: error: several documents share the key 'faq': faq.md, faq.txt",
        ],
    ),
    BadInput(
        "knowledge: .url without a URL",
        {"knowledge/site.url": "not a url\n"},
        ["knowledge/site.url:1:1: error: expected an http(s) URL on the first line"],
    ),
    BadInput(
        "knowledge: URL setting on a text document",
        {"knowledge/faq.yaml": "name: FAQ\nenable_auto_sync: true\n"},
        ["knowledge/faq.yaml:2:1: error: enable_auto_sync: only URL documents (.url) have this setting"],
    ),
    BadInput(
        "knowledge: document is not UTF-8",
        {"knowledge/faq.md": b"ok\nna\xefve\n"},
        ["knowledge/faq.md:2:3: error: file is not valid UTF-8 text"],
    ),
    BadInput(
        "knowledge: empty document",
        {"knowledge/faq.md": "\n"},
        ["knowledge/faq.md:1:1: error: document is empty"],
    ),
    BadInput(
        "knowledge: document over the API size limit",
        {"knowledge/manual.pdf": b"%PDF-1.7\n" + b"0" * (22 * 1024 * 1024)},
        ["knowledge/manual.pdf:1:1: error: document is 23,068,681 bytes; the API accepts at most 21 MB"],
    ),
    BadInput(
        "knowledge: folder symlink out of the repository is not walked",
        {"knowledge/faq.md": None},
        [
            "agents/helper/agent.yaml:2:13: error: knowledge[0]: unknown document 'faq' (expected knowledge/faq.md)",
            "knowledge:1:1: error: symlink to '{outside}/elsewhere' points outside the repository",
        ],
        outside={"elsewhere/stolen.md": "Not part of the project.\n"},
        links={"knowledge": "elsewhere"},
    ),
    # -- tools/ ---------------------------------------------------------------------------------------------------
    BadInput(
        "tool: missing type",
        {"tools/lookup.yaml": TOOL.replace("  type: webhook\n", "")},
        ["tools/lookup.yaml:1:1: error: tool_config.type: required: one of webhook, client, system, mcp"],
    ),
    BadInput(
        "tool: typo of an API key",
        {"tools/lookup.yaml": TOOL.replace("request_headers", "request_header")},
        [
            "tools/lookup.yaml:7:5: error: tool_config.api_schema.request_header: "
            "unknown key 'request_header' (did you mean 'request_headers'?)"
        ],
    ),
    BadInput(
        "tool: unknown top-level key",
        {"tools/lookup.yaml": TOOL + "respone_mocks: []\n"},
        ["tools/lookup.yaml:9:1: error: respone_mocks: unknown key 'respone_mocks' (did you mean 'response_mocks'?)"],
    ),
    BadInput(
        "tool: not a mapping",
        {"tools/lookup.yaml": "- just\n- a list\n"},
        ["tools/lookup.yaml:1:1: error: expected a mapping of keys to values at the top level"],
    ),
    # -- tests_specs/ ---------------------------------------------------------------------------------------------
    BadInput(
        "test: unknown kind",
        {"tests_specs/helper/hours.yaml": "kind: voice\nchat_history: [hi]\n"},
        ["tests_specs/helper/hours.yaml:1:1: error: kind: Input should be 'llm', 'tool' or 'simulation'"],
    ),
    BadInput(
        "test: agent does not exist",
        {"tests_specs/helpr/hours.yaml": "kind: llm\n"},
        ["tests_specs/helpr/hours.yaml:1:1: error: test for unknown agent 'helpr' (did you mean 'helper'?)"],
    ),
    BadInput(
        "test: unknown tool",
        {"tests_specs/helper/call.yaml": "kind: tool\nchat_history: [Look it up]\ntool: lookpu\n"},
        ["tests_specs/helper/call.yaml:3:1: error: tool: unknown tool 'lookpu' (did you mean 'lookup'?)"],
    ),
    BadInput(
        "test: repeat below 1",
        {"tests_specs/helper/hours.yaml": TEST + "repeat: 0\n"},
        ["tests_specs/helper/hours.yaml:6:1: error: repeat: Input should be greater than or equal to 1"],
    ),
    BadInput(
        "test: pass threshold above 1",
        {"tests_specs/helper/hours.yaml": TEST + "pass_threshold: 1.5\n"},
        ["tests_specs/helper/hours.yaml:6:1: error: pass_threshold: Input should be less than or equal to 1"],
    ),
    BadInput(
        "test: llm test without a success condition",
        {"tests_specs/helper/hours.yaml": "kind: llm\nchat_history: [hi]\n"},
        ["tests_specs/helper/hours.yaml:1:1: error: success_condition: required for llm tests"],
    ),
    BadInput(
        "test: chat history ends with the agent",
        {"tests_specs/helper/hours.yaml": TEST.replace("When do you open?\n", "Hi\n  - agent: Yo\n")},
        ["tests_specs/helper/hours.yaml:4:5: error: chat_history[1]: the last turn must be the user's"],
    ),
    BadInput(
        "test: field of another kind",
        {"tests_specs/helper/hours.yaml": TEST + "simulation_scenario: A caller.\n"},
        [
            "tests_specs/helper/hours.yaml:6:1: error: simulation_scenario: "
            "only simulation tests use simulation_scenario (this test is kind llm)"
        ],
    ),
    BadInput(
        "test: duplicate key",
        {"tests_specs/helper/hours.yaml": TEST + "kind: tool\n"},
        ["tests_specs/helper/hours.yaml:6:1: error: kind: duplicate key 'kind'"],
    ),
    BadInput(
        "test: typo of an API key",
        {"tests_specs/helper/hours.yaml": TEST.replace("success_condition", "success_conditon")},
        [
            "tests_specs/helper/hours.yaml:1:1: error: success_condition: required for llm tests",
            "tests_specs/helper/hours.yaml:4:1: error: success_conditon: "
            "unknown key 'success_conditon' (did you mean 'success_condition'?)",
        ],
    ),
    BadInput(
        "test: simulation mocks an unknown tool",
        {
            "tests_specs/helper/sim.yaml": "kind: simulation\nsimulation_scenario: A caller.\n"
            "success_conditions: [ok]\ntool_mock_config:\n  mocked_tool_ids: [lookup, nope]\n"
        },
        ["tests_specs/helper/sim.yaml:5:29: error: tool_mock_config.mocked_tool_ids[1]: unknown tool 'nope'"],
    ),
    BadInput(
        "test: mocked tools not a list",
        {
            "tests_specs/helper/sim.yaml": "kind: simulation\nsimulation_scenario: A caller.\n"
            "success_conditions: [ok]\ntool_mock_config:\n  mocked_tool_ids: true\n"
        },
        ["tests_specs/helper/sim.yaml:5:3: error: tool_mock_config.mocked_tool_ids: expected a list of tool keys"],
    ),
    BadInput(
        "test: a mocked tool that is not a key",
        {
            "tests_specs/helper/sim.yaml": "kind: simulation\nsimulation_scenario: A caller.\n"
            "success_conditions: [ok]\ntool_mock_config:\n  mocked_tool_ids: [lookup, {a: 1}]\n"
        },
        ["tests_specs/helper/sim.yaml:5:29: error: tool_mock_config.mocked_tool_ids[1]: expected a tool key"],
    ),
    # -- values in API sections (checked against the field tree's types and known values) -------------------
    BadInput(
        "agent: a word where a number goes",
        {"agents/helper/agent.yaml": AGENT.replace(LLM, LLM + "      temperature: hot\n")},
        [
            "agents/helper/agent.yaml:9:7: error: conversation_config.agent.prompt.temperature: "
            "expected a number, got a string"
        ],
    ),
    BadInput(
        "agent: a word where an integer goes",
        {"agents/helper/agent.yaml": AGENT.replace(LLM, LLM + "      max_tokens: many\n")},
        [
            "agents/helper/agent.yaml:9:7: error: conversation_config.agent.prompt.max_tokens: "
            "expected an integer, got a string"
        ],
    ),
    BadInput(
        "agent: a list where a number goes",
        {"agents/helper/agent.yaml": AGENT + "  turn:\n    turn_timeout: [1]\n"},
        ["agents/helper/agent.yaml:10:5: error: conversation_config.turn.turn_timeout: expected a number, got a list"],
    ),
    BadInput(
        "agent: a number where a model name goes",
        {"agents/helper/agent.yaml": AGENT.replace("llm: gpt-4o-mini", "llm: 42")},
        [
            "agents/helper/agent.yaml:8:7: error: conversation_config.agent.prompt.llm: "
            "expected a string, got an integer"
        ],
    ),
    BadInput(
        "agent: a quoted boolean",
        {"agents/helper/agent.yaml": AGENT + "platform_settings:\n  auth: {enable_auth: 'true'}\n"},
        ["agents/helper/agent.yaml:10:10: error: platform_settings.auth.enable_auth: expected a boolean, got a string"],
    ),
    BadInput(
        "agent: a misspelt model name",
        {"agents/helper/agent.yaml": AGENT.replace("llm: gpt-4o-mini", "llm: gpt-4o-mni")},
        [
            "agents/helper/agent.yaml:8:7: error: conversation_config.agent.prompt.llm: "
            "unknown value (did you mean 'gpt-4o-mini'?)"
        ],
    ),
    BadInput(
        "agent: a model name newer than the field tree, with --strict",
        {"agents/helper/agent.yaml": AGENT.replace("llm: gpt-4o-mini", "llm: gpt-99-turbo-max")},
        [
            "agents/helper/agent.yaml:8:7: error: conversation_config.agent.prompt.llm: "
            f"{NEWER_VALUE}newer value or typo?"
        ],
        strict=True,
    ),
    BadInput(
        "agent: a variable that is not a number in a number field",
        {
            "agents/helper/agent.yaml": AGENT.replace(LLM, LLM + "      temperature: ${TEMPERATURE}\n"),
            "agentform.yaml": CONFIG + "  TEMPERATURE:\n    default: warm\n",
        },
        [
            "agents/helper/agent.yaml:9:7: error: conversation_config.agent.prompt.temperature: "
            "expected a number, got a string (from a variable)"
        ],
    ),
    BadInput(
        "tool: a word where an integer goes",
        {"tools/lookup.yaml": TOOL + "  response_timeout_secs: soon\n"},
        ["tools/lookup.yaml:9:3: error: tool_config.response_timeout_secs: expected an integer, got a string"],
    ),
    BadInput(
        "tool: a number where a boolean goes",
        {"tools/lookup.yaml": TOOL + "  disable_interruptions: 1\n"},
        ["tools/lookup.yaml:9:3: error: tool_config.disable_interruptions: expected a boolean, got an integer"],
    ),
    BadInput(
        "tool: a list where a string goes",
        {"tools/lookup.yaml": TOOL.replace("Looks up opening hours.", "[Looks up, hours]")},
        ["tools/lookup.yaml:4:3: error: tool_config.description: expected a string, got a list"],
    ),
    BadInput(
        "tool: numbers for its type and name are reported once, by what the tool needs",
        {"tools/lookup.yaml": TOOL.replace("type: webhook", "type: 7").replace("name: lookup", "name: 5")},
        [
            "tools/lookup.yaml:2:3: error: tool_config.type: required: one of webhook, client, system, mcp",
            "tools/lookup.yaml:3:3: error: tool_config.name: required: the name the LLM sees",
        ],
    ),
    BadInput(
        "test: a word where a boolean goes",
        {
            "tests_specs/helper/pick.yaml": "kind: tool\nchat_history: [Book me]\ntool: lookup\n"
            "check_any_tool_matches: maybe\n"
        },
        ["tests_specs/helper/pick.yaml:4:1: error: check_any_tool_matches: expected a boolean, got a string"],
    ),
    BadInput(
        "test: a number where a string goes",
        {"tests_specs/helper/hours.yaml": TEST.replace("""'Says "nine"'""", "9")},
        ["tests_specs/helper/hours.yaml:4:1: error: success_condition: expected a string, got an integer"],
    ),
    BadInput(
        "test: a misspelt known value",
        {"tests_specs/helper/hours.yaml": TEST + "conversation_initiation_source: widgt\n"},
        [
            "tests_specs/helper/hours.yaml:6:1: error: conversation_initiation_source: "
            "unknown value (did you mean 'widget'?)"
        ],
    ),
    BadInput(
        "test: an evaluation model newer than the field tree, with --strict",
        {
            "tests_specs/helper/sim.yaml": "kind: simulation\nsimulation_scenario: A caller.\n"
            "success_conditions: [ok]\nevaluation_model: gpt-99-turbo-max\n"
        },
        [f"tests_specs/helper/sim.yaml:4:1: error: evaluation_model: {NEWER_VALUE}newer value or typo?"],
        strict=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_reported_exactly_and_changes_nothing(tmp_path, case):
    root = case.build(tmp_path)
    before = snapshot(tmp_path)

    diagnostics = validate_project(root, env=case.env, environ={}, strict=case.strict)
    with pytest.raises(ProjectError) as raised:
        load_desired(root, env=case.env, environ={}, strict=case.strict)
    out = io.StringIO()
    exit_code = validate.run(root, env=case.env, environ={}, out=out, strict=case.strict)

    assert [str(d) for d in diagnostics] == [line.format(root=root, outside=tmp_path) for line in case.expected]
    assert raised.value.diagnostics == diagnostics
    assert exit_code == case.exit_code
    assert out.getvalue().splitlines()[-1].startswith("Invalid: ")
    assert snapshot(tmp_path) == before


def test_the_corpus_has_one_case_a_check_and_several_a_file_kind():
    names = [case.name for case in CASES]
    kinds = [name.split(":", 1)[0] for name in names]

    assert len(set(names)) == len(names)
    assert {kind: kinds.count(kind) >= 3 for kind in kinds} == dict.fromkeys(
        ["config", "agent", "knowledge", "tool", "test"], True
    )
