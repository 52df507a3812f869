"""Which agents reference a KB document or a tool, across every non-archived branch tip.

Used by the dependent-agents endpoints, by the KB listing (each document carries its dependent agents), by deletes
that refuse while a resource is in use, and by forced deletes that remove the reference from every branch (each
removal is a new version, as any other write).

Nothing is indexed on write: the reverse index is built per request from the branch tips, loaded in a few batched
queries, so it cannot go stale whatever write path (PATCH, merge, archive, delete) moved a tip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import HTTPException

from agentform.emulator import agent_state as state
from agentform.emulator.common import Context, ListQuery, paginate
from agentform.emulator.store import Doc

Config = dict[str, Any]
References = Callable[[Config], list[str]]
# The error a delete answers while agents use the resource: (resource id, the agents) -> 400.
Refusal = Callable[[str, list[dict]], HTTPException]
# resource id -> (dependent agents as the API lists them, the branches that reference it)
Index = dict[str, tuple[list[dict], list[dict]]]


def _prompt(config: Config) -> dict[str, Any]:
    return config["conversation_config"].get("agent", {}).get("prompt", {}) or {}


def kb_ids(config: Config) -> list[Any]:
    return [item.get("id") for item in _prompt(config).get("knowledge_base") or [] if isinstance(item, dict)]


def tool_ids(config: Config) -> list[str]:
    return list(_prompt(config).get("tool_ids") or [])


# Only what the index reads of each record: SQLite extracts it, so configs (and records) are never decoded whole.
_AGENT_FIELDS = ("agent_id", "created_at", "main_branch_id")
_BRANCH_FIELDS = ("id", "agent_id", "name", "is_archived", "tip_version_id")
_TIP_FIELDS = (
    "$.config.name",
    "$.config.conversation_config.agent.prompt.knowledge_base",
    "$.config.conversation_config.agent.prompt.tool_ids",
)


def _records(c: Context, kind: str, fields: tuple[str, ...]) -> list[Doc]:
    """Every record of a kind, oldest first, cut down to its top-level `fields`."""
    extracted = c.store.extract(kind, [f"$.{field}" for field in fields])
    return [dict(zip(fields, values, strict=True)) for values in extracted.values()]


def _branch_tips(c: Context, *, include_archived: bool) -> Iterator[tuple[Doc, Doc, Config, str]]:
    """(agent, branch, tip references, agent name) for every branch with a tip, agents and branches oldest first.

    The agent and branch carry only the fields the index renders; the tip references are the tip's config cut down
    to what `kb_ids` and `tool_ids` read. Three queries whatever the number of agents: agents, branches, and the
    tips' names and references (the main tips' names are the agents' names).
    """
    agents = _records(c, "agent", _AGENT_FIELDS)
    branches_by_agent: dict[str, list[Doc]] = {}
    for branch in _records(c, "branch", _BRANCH_FIELDS):
        if branch["tip_version_id"] and (include_archived or not branch["is_archived"]):
            branches_by_agent.setdefault(branch["agent_id"], []).append(branch)
    tip_ids = [b["tip_version_id"] for branches in branches_by_agent.values() for b in branches]
    tips = c.store.extract("version", _TIP_FIELDS, tip_ids)
    for agent in agents:
        branches = branches_by_agent.get(agent["agent_id"], [])
        main = [b for b in branches if b["id"] == agent["main_branch_id"]]
        # The main branch is never archived; the fallback only guards a store edited by hand.
        if main:
            name = tips[main[0]["tip_version_id"]][0]
        elif branches:
            name = state.resolve_version(c, agent["agent_id"])["config"]["name"]
        for branch in branches:
            _, knowledge_base, tools = tips[branch["tip_version_id"]]
            prompt = {"knowledge_base": knowledge_base, "tool_ids": tools}
            yield agent, branch, {"conversation_config": {"agent": {"prompt": prompt}}}, name


def reference_index(c: Context, refs: References) -> Index:
    """resource id -> (agents, branches) referencing it from a non-archived branch tip, in one pass over the tips.

    Listing endpoints build this once per request instead of scanning every agent for every item.
    """
    index: Index = {}
    for agent, branch, config, name in _branch_tips(c, include_archived=False):
        for resource_id in dict.fromkeys(refs(config)):
            agents, branches = index.setdefault(resource_id, ([], []))
            if not agents or agents[-1]["id"] != agent["agent_id"]:
                agents.append(_available(agent, name, resource_id))
            branches.append(
                {
                    "agent_id": agent["agent_id"],
                    "agent_name": name,
                    "branch_id": branch["id"],
                    "branch_name": branch["name"],
                    "is_main": branch["id"] == agent["main_branch_id"],
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


def dependents(c: Context, resource_id: str, refs: References) -> tuple[list[dict], list[dict]]:
    """(agents, branches) whose non-archived branch tips reference `resource_id`."""
    return reference_index(c, refs).get(resource_id, ([], []))


def dependents_page(c: Context, resource_id: str, refs: References, query: ListQuery) -> dict[str, Any]:
    """The `dependent-agents` response: a page of agents, with the referencing branches of those agents only."""
    agents, branches = dependents(c, resource_id, refs)
    page, next_cursor, has_more = paginate(agents, query.cursor, query.page_size)
    page_ids = {a["id"] for a in page}
    return {
        "agents": page,
        "branches": [b for b in branches if b["agent_id"] in page_ids],
        "next_cursor": next_cursor,
        "has_more": has_more,
    }


def remove_references(c: Context, resource_id: str, refs: References, kind: str) -> None:
    """Drop `resource_id` from every branch tip that references it, archived branches included (a forced delete)."""
    for agent, branch, references, _ in list(_branch_tips(c, include_archived=True)):
        if resource_id not in refs(references):
            continue
        # The full records: the cut-down ones above are for reading only.
        branch = state.get_branch(c, agent["agent_id"], branch["id"])
        config = state.get_version(c, agent["agent_id"], branch["tip_version_id"])["config"]
        prompt = dict(config["conversation_config"]["agent"]["prompt"])
        if kind == "document":
            prompt["knowledge_base"] = [i for i in prompt.get("knowledge_base") or [] if i.get("id") != resource_id]
        else:
            prompt["tool_ids"] = [t for t in prompt.get("tool_ids") or [] if t != resource_id]
        agent_config = {**config["conversation_config"]["agent"], "prompt": prompt}
        updated = {**config, "conversation_config": {**config["conversation_config"], "agent": agent_config}}
        state.commit(c, agent["agent_id"], branch, updated, f"Removed deleted {kind} {resource_id}")


def delete_referenced(
    c: Context, kind: str, resource_id: str, refs: References, *, force: bool, refusal: Refusal
) -> None:
    """Delete a KB document or tool: refused while a non-archived branch tip references it, unless `force`; every
    branch tip that references it (archived ones too) first gets a new version without it."""
    agents, _ = dependents(c, resource_id, refs)
    if agents and not force:
        raise refusal(resource_id, agents)
    remove_references(c, resource_id, refs, kind)
    c.store.delete(kind, resource_id)
