"""How live values are written in project files: nulls and empty containers left out, `${` escaped, and test
bodies in the spec format's shorthands. Shared by `import` (new files) and `pull` (fields of existing ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentform.plan.normalize import TEST_READ_ONLY_PATHS, without_paths


def spec_of_test(test: Mapping[str, Any], tool_keys: Mapping[str, str]) -> dict[str, Any]:
    """tests_specs/<agent>/<key>.yaml's data from a live test body: tool ids become tool keys, shorthands used."""
    body = pruned(without_paths(dict(test), (*TEST_READ_ONLY_PATHS, ("name",), ("type",))))
    spec: dict[str, Any] = {"kind": test.get("type"), "name": test.get("name")}
    parameters = body.get("tool_call_parameters")
    referenced = parameters.get("referenced_tool") if isinstance(parameters, dict) else None
    if isinstance(referenced, dict) and referenced.get("id") in tool_keys:
        spec["tool"] = tool_keys[referenced["id"]]
        del parameters["referenced_tool"]
        if not parameters:
            del body["tool_call_parameters"]
    mock_config = body.get("tool_mock_config")
    if isinstance(mock_config, dict) and mock_config.get("mocked_tool_ids"):
        mock_config["mocked_tool_ids"] = [tool_keys.get(str(i), i) for i in mock_config["mocked_tool_ids"]]
    if isinstance(body.get("tool_mock_overrides"), dict):
        body["tool_mock_overrides"] = {tool_keys.get(k, k): v for k, v in body["tool_mock_overrides"].items()}
    if isinstance(body.get("chat_history"), list):
        body["chat_history"] = [_history_shorthand(item, index) for index, item in enumerate(body["chat_history"])]
    for examples, kind in (("success_examples", "success"), ("failure_examples", "failure")):
        if isinstance(body.get(examples), list):
            body[examples] = [_example_shorthand(item, kind) for item in body[examples]]
    spec.update(body)
    return spec


def pruned(value: Any) -> Any:
    """`value` without nulls and empty containers, at any depth (an object emptied so goes too).

    They set nothing: the planner treats a missing key and a null alike, and compares only keys a file sets.
    """
    if isinstance(value, dict):
        kept = {key: pruned(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item is not None and item != {} and item != []}
    if isinstance(value, list):
        return [pruned(item) for item in value]
    return value


def escaped(value: Any) -> Any:
    """Strings with `${` written as `$${`: the loader substitutes variables in YAML files, live text is literal."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {key: escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [escaped(item) for item in value]
    return value


def _history_shorthand(item: Any, index: int) -> Any:
    """`{user: ...}` where the loader expands it back to exactly this item (time_in_call_secs = its index)."""
    if (
        isinstance(item, dict)
        and set(item) == {"role", "message", "time_in_call_secs"}
        and item["role"] in ("user", "agent")
        and isinstance(item["message"], str)
        and item["time_in_call_secs"] == index
    ):
        return {item["role"]: item["message"]}
    return item


def _example_shorthand(item: Any, kind: str) -> Any:
    if isinstance(item, dict) and set(item) == {"response", "type"} and item["type"] == kind:
        return item["response"]
    return item
