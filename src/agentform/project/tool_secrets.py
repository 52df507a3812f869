"""Tool headers built from secret variables become workspace secrets, referenced by `{secret_id}`.

The API has a slot for exactly this (elevenlabs-api.md §4.4): a webhook header's value may be `{secret_id}`, and
the secret's value is then stored by the API alone, write-only. A header whose value contains a secret variable's
value is taken out of the tool and replaced by a placeholder for its secret's id
(`WorkspaceSecret.placeholder`); the planner creates or rotates the secret and puts its id in (or its own `$ref:`
for apply to resolve). The placeholder, not the value, is part of the tool's content address, so a
rotated secret updates the secret and leaves the tool as it is (docs/decisions/0091).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from agentform.model import DesiredTool, WorkspaceSecret


def with_workspace_secrets(
    tools: Mapping[str, DesiredTool], secret_values: Iterable[str]
) -> tuple[dict[str, DesiredTool], dict[str, WorkspaceSecret]]:
    """The tools with secret-bearing headers replaced by placeholders, and the workspace secrets they need."""
    values = [value for value in secret_values if value]
    secrets: dict[str, WorkspaceSecret] = {}
    result: dict[str, DesiredTool] = {}
    for tool_key, tool in tools.items():
        headers = (tool.tool_config.get("api_schema") or {}).get("request_headers")
        if not isinstance(headers, dict):
            result[tool_key] = tool
            continue
        secret_headers = {
            name: value
            for name, value in headers.items()
            if isinstance(value, str) and any(secret in value for secret in values)
        }
        if not secret_headers:
            result[tool_key] = tool
            continue
        config = copy.deepcopy(tool.tool_config)
        for name, value in secret_headers.items():
            key = f"{tool_key}.{name}"
            secrets[key] = WorkspaceSecret(key=key, value=value, tool_key=tool_key, source=tool.source)
            config["api_schema"]["request_headers"][name] = {"secret_id": WorkspaceSecret.placeholder(key)}
        result[tool_key] = tool.model_copy(update={"tool_config": config})
    return result, secrets
