"""Workspace tools: create, get, list, PATCH (the full `tool_config` again), delete, dependent agents."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException

from agentform.emulator import agent_state as state
from agentform.emulator.common import C, Context, Listing, LooseBody, Resource, access_info, bad_request, new_id
from agentform.emulator.dependents import delete_referenced, dependents_page, tool_ids

router = APIRouter(prefix="/v1/convai/tools")
TOOL = Resource("tool", "Tool")


class ToolConfig(LooseBody):
    # Only what the emulator relies on is checked; every other field of the union is stored as sent.
    type: Literal["webhook", "client", "system", "mcp", "api_integration_webhook"]
    name: str
    description: str | None = None


class ToolBody(LooseBody):
    tool_config: ToolConfig
    response_mocks: list[dict[str, Any]] | None = None


def _render(tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": tool["id"],
        "tool_config": tool["tool_config"],
        "access_info": access_info(),
        "usage_stats": {"total_calls": 0, "avg_latency_secs": 0.0},
        "response_mocks": tool.get("response_mocks") or [],
    }


def _config_of(body: ToolBody) -> dict[str, Any]:
    # Required fields per variant (a description, a webhook's api_schema.url, ...) are the OpenAPI document's to
    # judge: the request was validated against it before this handler ran.
    return body.tool_config.model_dump(exclude_unset=True)


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
async def list_tools(c: C, query: Listing, used_by_agent_id: str | None = None) -> dict[str, Any]:
    tools = [
        tool
        for tool in c.store.all("tool")
        if query.finds(tool["tool_config"]["name"]) and query.has_type(tool["tool_config"]["type"])
    ]
    if used_by_agent_id:
        used = set(_main_tool_ids(c, used_by_agent_id))
        tools = [t for t in tools if t["id"] in used]
    if query.sort_by == "name":
        tools.sort(key=lambda t: t["tool_config"]["name"], reverse=query.sort_direction == "desc")
    elif query.descending:
        tools.reverse()
    return query.page("tools", tools, _render)


def _main_tool_ids(c: Context, agent_id: str) -> list[str]:
    return tool_ids(state.resolve_version(c, agent_id)["config"])


@router.get("/{tool_id}")
async def get_tool(tool_id: str, c: C) -> dict[str, Any]:
    return _render(TOOL.load(c, tool_id))


@router.patch("/{tool_id}")
async def update_tool(tool_id: str, body: ToolBody, c: C) -> dict[str, Any]:
    changes = {"tool_config": _config_of(body), "response_mocks": body.response_mocks or []}
    return _render(TOOL.update(c, tool_id, changes))


@router.delete("/{tool_id}")
async def delete_tool(tool_id: str, c: C, force: bool = False) -> dict[str, Any]:
    with c.store.tx():
        TOOL.load(c, tool_id)
        delete_referenced(c, "tool", tool_id, tool_ids, force=force, refusal=_in_use)
    return {}


def _in_use(tool_id: str, agents: list[dict[str, Any]]) -> HTTPException:
    return bad_request(
        "tool_has_dependent_agents",
        f"Tool {tool_id} is used by {len(agents)} agent(s); remove it from them or delete with force=true.",
    )


@router.get("/{tool_id}/dependent-agents")
async def tool_dependents(tool_id: str, c: C, query: Listing) -> dict:
    TOOL.load(c, tool_id)
    return dependents_page(c, tool_id, tool_ids, query)
