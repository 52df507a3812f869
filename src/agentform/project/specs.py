"""tests_specs/<agent>/<test>.yaml -> `DesiredTest`: the agent-testing API's create body, tools still by key.

Shorthands accepted in the files and expanded here:
- `chat_history` items as `{user: "..."}` / `{agent: "..."}` (or a bare string for a user turn);
  `time_in_call_secs` defaults to the item's index;
- `success_examples` / `failure_examples` as plain strings;
- `tool: <tool-key>` for `tool_call_parameters.referenced_tool`.
"""

from __future__ import annotations

import posixpath
from typing import Any

from agentform.model import DesiredTest, DesiredTool, SourceLocation
from agentform.project.context import START, Context, dotted
from agentform.project.fieldtree import values_checked_elsewhere
from agentform.project.schema import OUR_TEST_KEYS, DefaultsFile, TestFile, did_you_mean
from agentform.project.yamlio import FieldPath, YamlDocument

# Our keys that never reach the API body.
NOT_IN_BODY = frozenset({"kind", "repeat", "pass_threshold", "smoke", "prevent_destroy", "tool", "environments"})
# Fields that make sense for one kind of test only.
KIND_ONLY = {
    "success_examples": "llm",
    "failure_examples": "llm",
    "tool": "tool",
    "tool_call_parameters": "tool",
    "check_any_tool_matches": "tool",
    "simulation_scenario": "simulation",
    "simulation_max_turns": "simulation",
    "simulation_environment": "simulation",
    "success_conditions": "simulation",
    "tool_mock_config": "simulation",
    "tool_mock_overrides": "simulation",
    "evaluation_model": "simulation",
    "simulated_user_model": "simulation",
}
API_TYPE = {"llm": "llm", "tool": "tool", "simulation": "simulation"}
# Where a test names tools by key (the API wants ids); `_mocked_tools` checks them.
_TOOL_KEYS = frozenset({("tool_mock_config", "mocked_tool_ids")})


def load_tests(
    context: Context, agents: set[str], tools: dict[str, DesiredTool], defaults: DefaultsFile
) -> dict[str, DesiredTest]:
    tests = {}
    for path in sorted(context.files):
        if not path.startswith("tests_specs/") or posixpath.basename(path).startswith("."):
            continue
        parts = path.split("/")
        stem, extension = posixpath.splitext(parts[-1])
        if len(parts) != 3 or extension not in (".yaml", ".yml"):
            context.diagnostics.error(path, START, "", "test specs live in tests_specs/<agent-key>/<test-key>.yaml")
            continue
        agent_key = parts[1]
        if not context.valid_key(path, "test", stem):
            continue
        document = context.read_yaml(path)
        if document is None:
            continue
        if agent_key not in agents:
            guess = did_you_mean(agent_key, agents)
            hint = f" (did you mean {guess!r}?)" if guess else f" (no agents/{agent_key}/agent.yaml)"
            context.diagnostics.error(path, START, "", f"test for unknown agent {agent_key!r}{hint}")
            continue
        test = _load_test(context, document, agent_key, stem, tools, defaults)
        if test is not None:
            if test.address in tests:
                context.diagnostics.error(path, START, "", f"test {test.address!r} is declared twice (.yaml and .yml)")
                continue
            tests[test.address] = test
    return tests


def _load_test(
    context: Context,
    document: YamlDocument,
    agent_key: str,
    key: str,
    tools: dict[str, DesiredTool],
    defaults: DefaultsFile,
) -> DesiredTest | None:
    expand_shorthands(document.data)
    overlays = document.data.get("environments")
    for overlay in overlays.values() if isinstance(overlays, dict) else ():
        if isinstance(overlay, dict):
            expand_shorthands(overlay)

    def check_api(data: dict[str, Any], report: Any) -> None:
        kind = data.get("kind", document.data.get("kind"))
        # Fields of another kind get their own, clearer error below; do not also warn about them here.
        body = {
            k: v
            for k, v in data.items()
            if (k not in OUR_TEST_KEYS or k in _API_SHORTHANDS) and KIND_ONLY.get(k, kind) == kind
        }
        body["type"] = API_TYPE.get(kind, kind) if isinstance(kind, str) else None
        context.fieldtree.check("test_body", body, values_checked_elsewhere(report, _TOOL_KEYS))

    resolved = context.resolve_resource(document, TestFile, check_api)
    if resolved is None:
        return None
    parsed, data = resolved
    body = {k: v for k, v in data.items() if k not in NOT_IN_BODY}
    body["type"] = API_TYPE[parsed.kind]
    body["name"] = parsed.name or key
    errors: list[tuple[FieldPath, str]] = []
    tool_key, mocked = _check_kind(parsed, data, body, tools, errors)
    for at, message in errors:
        context.diagnostics.error(document.path, document.where(at), dotted(at), message)
    if errors or not context.check_api_body(document, "test", body):
        return None
    return DesiredTest(
        agent_key=agent_key,
        key=key,
        kind=parsed.kind,
        body=body,
        tool_key=tool_key,
        mocked_tool_keys=mocked,
        repeat=parsed.repeat or defaults.repeat,
        pass_threshold=parsed.pass_threshold or defaults.pass_threshold,
        smoke=parsed.smoke,
        prevent_destroy=parsed.prevent_destroy,
        source=SourceLocation(path=document.path),
    )


def _check_kind(
    parsed: TestFile,
    data: dict[str, Any],
    body: dict[str, Any],
    tools: dict[str, DesiredTool],
    errors: list[tuple[FieldPath, str]],
) -> tuple[str | None, list[str]]:
    """What each kind of test requires; fills in tool references. Returns the tool key and the mocked tool keys."""
    for field, kind in KIND_ONLY.items():
        if field in data and kind != parsed.kind:
            errors.append(((field,), f"only {kind} tests use {field} (this test is kind {parsed.kind})"))
    history = body.get("chat_history")
    if parsed.kind in ("llm", "tool"):
        if not history:
            errors.append((("chat_history",), f"a {parsed.kind} test needs a chat_history ending with a user turn"))
        elif isinstance(history[-1], dict) and history[-1].get("role") != "user":
            # The test judges the agent's next turn, which answers the last user turn.
            errors.append((("chat_history", len(history) - 1), "the last turn must be the user's"))
    if parsed.kind == "llm" and not body.get("success_condition"):
        errors.append((("success_condition",), "required for llm tests"))
    if parsed.kind == "tool":
        return _tool_reference(parsed.tool, body, tools, errors), []
    if parsed.kind == "simulation":
        if not body.get("simulation_scenario"):
            errors.append((("simulation_scenario",), "required for simulation tests"))
        if not body.get("success_condition") and not body.get("success_conditions"):
            errors.append((("success_conditions",), "required for simulation tests (or success_condition)"))
        return None, _mocked_tools(body, tools, errors)
    return None, []


_API_SHORTHANDS = frozenset({"name", "chat_history", "success_examples", "failure_examples"})


def expand_shorthands(data: dict[str, Any]) -> None:
    """Rewrite the friendly forms into the API's own shapes, in place (positions stay with the items)."""
    history = data.get("chat_history")
    if isinstance(history, list):
        data["chat_history"] = [_transcript_item(item, index) for index, item in enumerate(history)]
    for field, kind in (("success_examples", "success"), ("failure_examples", "failure")):
        examples = data.get(field)
        if isinstance(examples, list):
            data[field] = [_example(item, kind) for item in examples]


def _transcript_item(item: Any, index: int) -> Any:
    if isinstance(item, str):
        return {"role": "user", "message": item, "time_in_call_secs": index}
    if not isinstance(item, dict):
        return item
    if "role" not in item and len(item) == 1:
        ((role, message),) = item.items()
        if role in ("user", "agent") and isinstance(message, str):
            return {"role": role, "message": message, "time_in_call_secs": index}
    if "role" in item and "time_in_call_secs" not in item:
        return {**item, "time_in_call_secs": index}
    return item


def _example(item: Any, kind: str) -> Any:
    if isinstance(item, str):
        return {"response": item, "type": kind}
    if isinstance(item, dict) and "type" not in item:
        return {**item, "type": kind}
    return item


def _tool_reference(
    tool: str | None, body: dict[str, Any], tools: dict[str, DesiredTool], errors: list[tuple[FieldPath, str]]
) -> str | None:
    parameters = body.get("tool_call_parameters")
    parameters = dict(parameters) if isinstance(parameters, dict) else {}
    if tool is None:
        referenced = parameters.get("referenced_tool")
        # A system tool (end_call, transfer_to_number, ...) is referenced by its built-in id, not by a file.
        if isinstance(referenced, dict) and referenced.get("type") == "system":
            return None
        errors.append((("tool",), "required for tool tests: the key of the tool the agent should call"))
        return None
    if "referenced_tool" in parameters:
        errors.append((("tool_call_parameters", "referenced_tool"), "set either tool: or referenced_tool, not both"))
        return None
    if tool not in tools:
        guess = did_you_mean(tool, tools)
        hint = f"did you mean {guess!r}?" if guess else f"expected tools/{tool}.yaml"
        errors.append((("tool",), f"unknown tool {tool!r} ({hint})"))
        return None
    parameters["referenced_tool"] = {"id": tool, "type": tools[tool].tool_config["type"]}
    body["tool_call_parameters"] = parameters
    return tool


def _mocked_tools(
    body: dict[str, Any], tools: dict[str, DesiredTool], errors: list[tuple[FieldPath, str]]
) -> list[str]:
    mocked: list[str] = []
    config = body.get("tool_mock_config")
    ids = config.get("mocked_tool_ids") if isinstance(config, dict) else None
    if ids is not None and not isinstance(ids, list):
        errors.append((("tool_mock_config", "mocked_tool_ids"), "expected a list of tool keys"))
        ids = None
    for index, key in enumerate(ids or []):
        at: FieldPath = ("tool_mock_config", "mocked_tool_ids", index)
        if not isinstance(key, str):
            errors.append((at, "expected a tool key"))
        elif key not in tools:
            errors.append((at, f"unknown tool {key!r}"))
        elif key not in mocked:
            mocked.append(key)
    overrides = body.get("tool_mock_overrides")
    for key in overrides if isinstance(overrides, dict) else {}:
        if key not in tools:
            errors.append((("tool_mock_overrides", key), f"unknown tool {key!r}"))
        elif key not in mocked:
            mocked.append(key)
    return mocked
