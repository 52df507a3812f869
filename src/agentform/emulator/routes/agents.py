"""Agents: create, get, list, PATCH (deep merge, one new version per write), delete, duplicate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response

from agentform.emulator import agent_state as state
from agentform.emulator.common import C, Listing, ListQuery, LooseBody, QueryList, bad_request, deep_merge

router = APIRouter(prefix="/v1/convai")


class CreateAgentBody(LooseBody):
    conversation_config: dict[str, Any]
    platform_settings: dict[str, Any] | None = None
    workflow: dict[str, Any] | None = None
    name: str | None = None
    tags: list[str] | None = None


class UpdateAgentBody(LooseBody):
    conversation_config: dict[str, Any] | None = None
    platform_settings: dict[str, Any] | None = None
    workflow: dict[str, Any] | None = None
    name: str | None = None
    tags: list[str] | None = None
    version_description: str | None = None


class DuplicateAgentBody(LooseBody):
    name: str | None = None


@router.post("/agents/create")
async def create_agent(body: CreateAgentBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        agent_id = state.create_agent(c, body.model_dump(exclude_unset=True))
    return {"agent_id": agent_id}


@router.get("/agents")
async def list_agents(c: C, query: Listing, archived: bool | None = None, tags: QueryList = None) -> dict[str, Any]:
    selected = [s for s in state.render_summaries(c) if _matches(s, query, archived=archived, tags=tags)]
    fields = {"name": "name", "updated_at": "updated_at_unix_secs"}
    # Ties (same second) keep creation order so that pages are stable.
    return query.page("agents", query.ordered(selected, fields, "created_at_unix_secs"))


def _matches(summary: dict[str, Any], query: ListQuery, *, archived: bool | None, tags: list[str] | None) -> bool:
    if not query.finds(summary["name"], anywhere=True):
        return False
    if archived is not None and summary["archived"] != archived:
        return False
    return not tags or bool(set(tags) & set(summary["tags"]))


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: str, c: C, version_id: str | None = None, branch_id: str | None = None) -> dict:
    return state.render_agent(c, state.resolve_version(c, agent_id, version_id=version_id, branch_id=branch_id))


@router.patch("/agents/{agent_id}")
async def update_agent(agent_id: str, body: UpdateAgentBody, c: C, branch_id: str | None = None) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    with c.store.tx():
        agent = state.get_agent_record(c, agent_id)
        branch = state.get_branch(c, agent_id, branch_id or agent["main_branch_id"])
        if branch["is_archived"]:
            raise bad_request("branch_archived", f"Branch {branch['id']} is archived; unarchive it to write to it.")
        config = state.get_version(c, agent_id, branch["tip_version_id"])["config"]
        updated = apply_patch(config, changes)
        version = state.commit(c, agent_id, branch, updated, changes.get("version_description"))
        return state.render_agent(c, version)


def apply_patch(config: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A PATCH body over a full config: sections deep-merge, `name` and `tags` replace, others are ignored."""
    updated = dict(config)
    for section in state.CONFIG_SECTIONS:
        if changes.get(section) is not None:
            updated[section] = deep_merge(config[section], changes[section])
    if changes.get("name") is not None:
        updated["name"] = changes["name"]
    if changes.get("tags") is not None:
        updated["tags"] = list(changes["tags"])
    return updated


@router.delete("/agents/{agent_id}")
async def delete_agent(agent_id: str, c: C, force: bool = False) -> Response:
    with c.store.tx():
        state.get_agent_record(c, agent_id)
        state.delete_agent(c, agent_id)
    return Response(status_code=200, content=b"{}", media_type="application/json")


@router.post("/agents/{agent_id}/duplicate")
async def duplicate_agent(agent_id: str, c: C, body: Annotated[DuplicateAgentBody | None, Body()] = None) -> dict:
    """Copies every unarchived branch from its tip and the live traffic split (history, archived branches and
    past splits are not copied)."""
    with c.store.tx():
        main_tip = state.resolve_version(c, agent_id)
        config = dict(main_tip["config"])
        config["name"] = (body.name if body and body.name else None) or f"{config['name']} (copy)"
        new_agent_id = state.create_agent(c, {**config, "version_description": f"Duplicated from {agent_id}"})
        new_main: str = state.get_agent_record(c, new_agent_id)["main_branch_id"]
        copies: dict[str, str] = {state.get_agent_record(c, agent_id)["main_branch_id"]: new_main}
        for branch in state.branches_of(c, agent_id):
            if branch["is_archived"] or branch["parent_branch_id"] is None:
                continue
            tip = state.get_version(c, agent_id, branch["tip_version_id"])
            start = state.resolve_version(c, new_agent_id)
            copy = state.new_branch(c, new_agent_id, branch["name"], branch["description"], parent=start)
            state.commit(c, new_agent_id, copy, tip["config"], f"Duplicated from {agent_id}")
            copies[branch["id"]] = copy["id"]
        # The live split follows the copies; a share held by a branch that was not copied moves to main.
        split: dict[str, float] = {}
        for branch_id, share in state.live_split(c, agent_id).items():
            target = copies.get(branch_id, new_main)
            split[target] = split.get(target, 0.0) + share
        if split != {new_main: 100.0}:
            state.record_deployment(c, new_agent_id, split, "duplicate")
    return {"agent_id": new_agent_id}
