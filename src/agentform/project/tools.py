"""tools/<key>.yaml -> `DesiredTool`."""

from __future__ import annotations

import posixpath
from typing import Any

from agentform.model import DesiredTool, SourceLocation
from agentform.project.context import START, Context, dotted
from agentform.project.fieldtree import Report, values_checked_elsewhere
from agentform.project.schema import ToolFile

TOOL_TYPES = ("webhook", "client", "system", "mcp")
# Checked below with messages that say what is required.
_CHECKED_HERE = frozenset({("tool_config", "type"), ("tool_config", "name")})


def load_tools(context: Context) -> dict[str, DesiredTool]:
    tools = {}
    for path in sorted(context.files):
        if not path.startswith("tools/") or posixpath.basename(path).startswith("."):
            continue
        key, extension = posixpath.splitext(path[len("tools/") :])
        if "/" in key or extension not in (".yaml", ".yml"):
            context.diagnostics.error(path, START, "", "tools/ holds one <key>.yaml file per tool")
            continue
        if not context.valid_key(path, "tool", key):
            continue
        if key in tools:
            context.diagnostics.error(path, START, "", f"tool {key!r} is declared twice (.yaml and .yml)")
            continue
        tool = _load_tool(context, key, path)
        if tool is not None:
            tools[key] = tool
    return tools


def _load_tool(context: Context, key: str, path: str) -> DesiredTool | None:
    document = context.read_yaml(path)
    if document is None:
        return None

    def check_api(data: dict[str, Any], report: Report) -> None:
        if isinstance(data.get("tool_config"), dict):
            own = values_checked_elsewhere(report, _CHECKED_HERE)
            context.fieldtree.check("tool_config", data["tool_config"], own, ("tool_config",))
        if isinstance(data.get("response_mocks"), list):
            context.fieldtree.check("response_mock", data["response_mocks"], report, ("response_mocks",))

    resolved = context.resolve_resource(document, ToolFile, check_api)
    if resolved is None:
        return None
    parsed, _ = resolved
    config = parsed.tool_config
    problems = []
    if config.get("type") not in TOOL_TYPES:
        problems.append((("tool_config", "type"), f"required: one of {', '.join(TOOL_TYPES)}"))
    if not isinstance(config.get("name"), str) or not config.get("name"):
        problems.append((("tool_config", "name"), "required: the name the LLM sees"))
    for at, message in problems:
        context.diagnostics.error(path, document.where(at), dotted(at), message)
    if problems:
        return None
    body = {"tool_config": config, **({"response_mocks": parsed.response_mocks} if parsed.response_mocks else {})}
    if not context.check_api_body(document, "tool", body):
        return None
    return DesiredTool(
        key=key,
        tool_config=config,
        response_mocks=parsed.response_mocks,
        id=parsed.id,
        prevent_destroy=parsed.prevent_destroy,
        source=SourceLocation(path=path),
    )
