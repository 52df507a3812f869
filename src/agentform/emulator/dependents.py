"""Which agents reference a KB document or a tool, across every non-archived branch tip.

Used by the dependent-agents endpoints, by deletes that refuse while a resource is in use, and by forced deletes
that remove the reference from every branch (each removal is a new version, as any other write).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentform.emulator import agent_state as state
from agentform.emulator.common import Context

Config = dict[str, Any]


def kb_ids(config: Config) -> list[str]:
    prompt = config["conversation_config"].get("agent", {}).get("prompt", {}) or {}
    return [item.get("id") for item in prompt.get("knowledge_base") or [] if isinstance(item, dict)]


def tool_ids(config: Config) -> list[str]:
    prompt = config["conversation_config"].get("agent", {}).get("prompt", {}) or {}
    return list(prompt.get("tool_ids") or [])


def reference_index(c: Context, refs: Callable[[Config], list[str]]) -> dict[str, tuple[list[dict], list[dict]]]:
    """resource id -> (agents, branches) referencing it from a non-archived branch tip, in one pass over agents.

    Listing endpoints build this once per request instead of scanning every agent for every item.
    """
    index: dict[str, tuple[list[dict], list[dict]]] = {}
    for agent in c.store.all("agent"):
        main_id = agent["main_branch_id"]
        name: str | None = None
        for branch in state.branches_of(c, agent["agent_id"]):
            if branch["is_archived"] or not branch["tip_version_id"]:
                continue
            config = state.get_version(c, agent["agent_id"], branch["tip_version_id"])["config"]
            if branch["id"] == main_id:
                name = config["name"]
            for resource_id in dict.fromkeys(refs(config)):
                agents, branches = index.setdefault(resource_id, ([], []))
                if name is None:
                    name = state.resolve_version(c, agent["agent_id"])["config"]["name"]
                if not agents or agents[-1]["id"] != agent["agent_id"]:
                    agents.append(_available(agent, name, resource_id))
                branches.append(
                    {
                        "agent_id": agent["agent_id"],
                        "agent_name": name,
                        "branch_id": branch["id"],
                        "branch_name": branch["name"],
                        "is_main": branch["id"] == main_id,
                    }
                )
    return index


def _available(agent: dict, name: str, resource_id: str) -> dict:
    return {
        "type": "available",
        "id": agent["agent_id"],
        "name": name,
        "created_at_unix_secs": agent["created_at"],
        "access_level": "admin",
        "referenced_resource_ids": [resource_id],
    }


def dependents(c: Context, resource_id: str, refs: Callable[[Config], list[str]]) -> tuple[list[dict], list[dict]]:
    """(agents, branches) whose non-archived branch tips reference `resource_id`."""
    return reference_index(c, refs).get(resource_id, ([], []))


def remove_references(c: Context, resource_id: str, refs: Callable[[Config], list[str]], kind: str) -> None:
    """Drop `resource_id` from every branch tip that references it (a forced delete)."""
    for agent in c.store.all("agent"):
        for branch in state.branches_of(c, agent["agent_id"]):
            if not branch["tip_version_id"]:
                continue
            config = state.get_version(c, agent["agent_id"], branch["tip_version_id"])["config"]
            if resource_id not in refs(config):
                continue
            prompt = dict(config["conversation_config"]["agent"]["prompt"])
            if kind == "document":
                prompt["knowledge_base"] = [i for i in prompt.get("knowledge_base") or [] if i.get("id") != resource_id]
            else:
                prompt["tool_ids"] = [t for t in prompt.get("tool_ids") or [] if t != resource_id]
            agent_config = {**config["conversation_config"]["agent"], "prompt": prompt}
            updated = {**config, "conversation_config": {**config["conversation_config"], "agent": agent_config}}
            state.commit(c, agent["agent_id"], branch, updated, f"Removed deleted {kind} {resource_id}")
