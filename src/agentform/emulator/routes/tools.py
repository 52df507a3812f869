"""Workspace tools: create, get, list, PATCH (the full `tool_config` again), delete, dependent agents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from agentform.emulator import agent_state as state
from agentform.emulator.common import (
    C,
    Context,
    LooseBody,
    access_info,
    bad_request,
    fold,
    load,
    new_id,
    paginate,
    validation_error,
)
from agentform.emulator.dependents import dependents, dependents_page, remove_references, tool_ids

router = APIRouter(prefix="/v1/convai/tools")


class ToolConfig(LooseBody):
    # Only what the emulator relies on is checked; every other field of the union is stored as sent.
    type: Literal["webhook", "client", "system", "mcp", "api_integration_webhook"]
    name: str
    description: str | None = None


class ToolBody(LooseBody):
    tool_config: ToolConfig
    response_mocks: list[dict[str, Any]] | None = None


def _load(c: Context, tool_id: str) -> dict[str, Any]:
    return load(c, "tool", tool_id, "Tool")


def _render(tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": tool["id"],
        "tool_config": tool["tool_config"],
        "access_info": access_info(),
        "usage_stats": {"total_calls": 0, "avg_latency_secs": 0.0},
        "response_mocks": tool.get("response_mocks") or [],
    }


def _config_of(body: ToolBody) -> dict[str, Any]:
    config = body.tool_config.model_dump(exclude_unset=True)
    if config["type"] != "system" and not config.get("description"):
        raise validation_error(["body", "tool_config", "description"], "Field required", "missing")
    if config["type"] == "webhook" and not (config.get("api_schema") or {}).get("url"):
        raise validation_error(["body", "tool_config", "api_schema", "url"], "Field required", "missing")
    return config


@router.post("")
async def create_tool(body: ToolBody, c: C) -> dict[str, Any]:
    now = c.now()
    tool: dict[str, Any] = {
        "id": new_id("tool_"),
        "tool_config": _config_of(body),
        "response_mocks": body.response_mocks or [],
        "created_at": now,
    }
    c.store.put("tool", tool["id"], tool)
    return _render(tool)


@router.get("")
async def list_tools(
    c: C,
    page_size: int | None = None,
    cursor: str | None = None,
    search: str | None = None,
    types: Annotated[list[str] | None, Query()] = None,
    used_by_agent_id: str | None = None,
    sort_by: str | None = None,
    sort_direction: str | None = None,
) -> dict[str, Any]:
    tools = c.store.all("tool")
    if search:
        tools = [t for t in tools if fold(t["tool_config"]["name"]).startswith(fold(search))]
    if types:
        tools = [t for t in tools if t["tool_config"]["type"] in types]
    if used_by_agent_id:
        used = set(_main_tool_ids(c, used_by_agent_id))
        tools = [t for t in tools if t["id"] in used]
    if sort_by == "name":
        tools.sort(key=lambda t: t["tool_config"]["name"], reverse=sort_direction == "desc")
    elif sort_direction != "asc":
        tools.reverse()
    page, next_cursor, has_more = paginate(tools, cursor, page_size)
    return {"tools": [_render(t) for t in page], "next_cursor": next_cursor, "has_more": has_more}


def _main_tool_ids(c: Context, agent_id: str) -> list[str]:
    return tool_ids(state.resolve_version(c, agent_id)["config"])


@router.get("/{tool_id}")
async def get_tool(tool_id: str, c: C) -> dict[str, Any]:
    return _render(_load(c, tool_id))


@router.patch("/{tool_id}")
async def update_tool(tool_id: str, body: ToolBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        tool = _load(c, tool_id)
        tool = {**tool, "tool_config": _config_of(body), "response_mocks": body.response_mocks or []}
        c.store.put("tool", tool_id, tool)
    return _render(tool)


@router.delete("/{tool_id}")
async def delete_tool(tool_id: str, c: C, force: bool = False) -> dict[str, Any]:
    with c.store.tx():
        _load(c, tool_id)
        agents, _ = dependents(c, tool_id, tool_ids)
        if agents and not force:
            raise bad_request(
                "tool_has_dependent_agents",
                f"Tool {tool_id} is used by {len(agents)} agent(s); remove it from them or delete with force=true.",
            )
        remove_references(c, tool_id, tool_ids, "tool")
        c.store.delete("tool", tool_id)
    return {}


@router.get("/{tool_id}/dependent-agents")
async def tool_dependents(tool_id: str, c: C, cursor: str | None = None, page_size: int | None = None) -> dict:
    _load(c, tool_id)
    return dependents_page(c, tool_id, tool_ids, cursor, page_size)
