"""Workspace tools (elevenlabs-api.md §4)."""

from __future__ import annotations

from typing import Any

from agentform.elevenlabs.core import ClientCore, segment

_TOOLS = "/v1/convai/tools"


def _tool(tool_id: str) -> str:
    return f"{_TOOLS}/{segment(tool_id)}"


def _tool_body(tool_config: dict[str, Any], response_mocks: list[dict[str, Any]] | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"tool_config": tool_config}
    if response_mocks is not None:
        payload["response_mocks"] = response_mocks
    return payload


class ToolsApi(ClientCore):
    async def list_tools(self) -> list[dict[str, Any]]:
        """Every workspace tool, `{id, tool_config, response_mocks, ...}` (all pages)."""
        return await self._pages(_TOOLS, "tools", resource="tools")

    async def get_tool(self, tool_id: str) -> dict[str, Any]:
        return await self._call("GET", _tool(tool_id), resource=f"tool {tool_id}")

    async def create_tool(
        self, tool_config: dict[str, Any], response_mocks: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        name = tool_config.get("name") or "(unnamed)"
        return await self._call(
            "POST", _TOOLS, resource=f"new tool {name!r}", json=_tool_body(tool_config, response_mocks)
        )

    async def update_tool(
        self, tool_id: str, tool_config: dict[str, Any], response_mocks: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """PATCH a tool. The API requires the full `tool_config` even on PATCH, so this takes it whole."""
        return await self._call(
            "PATCH", _tool(tool_id), resource=f"tool {tool_id}", json=_tool_body(tool_config, response_mocks)
        )

    async def delete_tool(self, tool_id: str, *, force: bool = False) -> None:
        await self._delete(_tool(tool_id), resource=f"tool {tool_id}", force=force)

    async def tool_dependent_agents(self, tool_id: str) -> dict[str, Any]:
        """`{agents, branches}` that reference the tool, all pages merged."""
        return await self._dependents(_tool(tool_id), resource=f"agents using tool {tool_id}")
