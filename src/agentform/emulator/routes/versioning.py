"""Agent versioning: branches, versions, merge and merge-preview, deployments (traffic split)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import Field

from agentform.emulator import agent_state as state
from agentform.emulator.common import C, Context, LooseBody, access_info, bad_request, deep_merge, validation_error
from agentform.emulator.merge import merge_configs

router = APIRouter(prefix="/v1/convai/agents/{agent_id}")


class CreateBranchBody(LooseBody):
    parent_version_id: str
    name: str
    description: str
    conversation_config: dict[str, Any] | None = None
    platform_settings: dict[str, Any] | None = None
    workflow: dict[str, Any] | None = None


class UpdateBranchBody(LooseBody):
    name: str | None = None
    description: str | None = None
    is_archived: bool | None = None
    protection_status: Literal["writer_perms_required", "admin_perms_required"] | None = None
    auto_rebase: bool | None = None


class MergeBody(LooseBody):
    archive_source_branch: bool = False
    force: bool = False


class DeploymentStrategy(LooseBody):
    type: str = "percentage"
    traffic_percentage: float = Field(ge=0, le=100)


class DeploymentItem(LooseBody):
    branch_id: str
    deployment_strategy: DeploymentStrategy


class DeploymentRequest(LooseBody):
    requests: list[DeploymentItem]


class DeploymentBody(LooseBody):
    deployment_request: DeploymentRequest


def _render_branch(c: Context, branch: dict[str, Any], *, summary: bool) -> dict[str, Any]:
    rendered = {
        "id": branch["id"],
        "name": branch["name"],
        "agent_id": branch["agent_id"],
        "description": branch["description"],
        "created_at": branch["created_at"],
        "last_committed_at": branch["last_committed_at"],
        "is_archived": branch["is_archived"],
        "protection_status": branch["protection_status"],
        "auto_rebase": branch["auto_rebase"],
        "access_info": access_info(),
        "current_live_percentage": state.live_split(c, branch["agent_id"]).get(branch["id"], 0.0),
    }
    if summary:
        return {
            **rendered,
            "parent_branch_id": branch["parent_branch_id"],
            "draft_exists": False,
            "merged_into_branch_id": branch["merged_into_branch_id"],
        }
    parent = c.store.get("branch", branch["parent_branch_id"]) if branch["parent_branch_id"] else None
    return {
        **rendered,
        "parent_branch": {"id": parent["id"], "name": parent["name"]} if parent else None,
        "most_recent_versions": _recent_versions(c, branch, limit=10),
    }


def _recent_versions(c: Context, branch: dict[str, Any], *, limit: int) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = []
    version_id = branch["tip_version_id"]
    while version_id and len(versions) < limit:
        version = c.store.get("version", version_id)
        if version is None or version["branch_id"] != branch["id"]:
            break
        versions.append(render_version(version))
        version_id = version["parents"].get("in_branch_parent_id")
    return versions


def render_version(version: dict[str, Any]) -> dict[str, Any]:
    """`AgentVersionMetadata`: the version without its config."""
    return {key: value for key, value in version.items() if key != "config"}


@router.get("/branches")
async def list_branches(agent_id: str, c: C, include_archived: bool = False, limit: int | None = None) -> dict:
    state.get_agent_record(c, agent_id)
    branches = [b for b in state.branches_of(c, agent_id) if include_archived or not b["is_archived"]]
    results = [_render_branch(c, b, summary=True) for b in branches[: limit or None]]
    return {"meta": {"total": len(branches), "page": 1, "page_size": len(results)}, "results": results}


@router.post("/branches")
async def create_branch(agent_id: str, body: CreateBranchBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        parent = state.get_version(c, agent_id, body.parent_version_id)
        if any(b["name"] == body.name for b in state.branches_of(c, agent_id)):
            raise bad_request("branch_name_taken", f"A branch named {body.name!r} already exists.", 409)
        config = dict(parent["config"])
        for section in state.CONFIG_SECTIONS:
            changes = getattr(body, section)
            if changes:
                config[section] = deep_merge(config[section], changes)
        branch = state.new_branch(c, agent_id, body.name, body.description, parent=parent)
        version = state.commit(
            c,
            agent_id,
            branch,
            config,
            f"Branch {body.name} created",
            parents={"in_branch_parent_id": None, "out_of_branch_parent_id": parent["id"]},
        )
    return {"created_branch_id": branch["id"], "created_version_id": version["id"]}


@router.get("/branches/{branch_id}")
async def get_branch(agent_id: str, branch_id: str, c: C) -> dict[str, Any]:
    return _render_branch(c, state.get_branch(c, agent_id, branch_id), summary=False)


@router.patch("/branches/{branch_id}")
async def update_branch(agent_id: str, branch_id: str, body: UpdateBranchBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        branch = state.get_branch(c, agent_id, branch_id)
        is_main = branch["id"] == state.get_agent_record(c, agent_id)["main_branch_id"]
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        if is_main and (changes.get("is_archived") or "auto_rebase" in changes):
            raise bad_request("main_branch_protected", "The main branch cannot be archived or auto-rebased.")
        branch = {**branch, **{k: v for k, v in changes.items() if k in UpdateBranchBody.model_fields}}
        c.store.put("branch", branch_id, branch, owner=agent_id)
        return _render_branch(c, branch, summary=False)


def _plan_merge(c: Context, agent_id: str, source_id: str, target_id: str, force: bool):
    source = state.get_branch(c, agent_id, source_id)
    target = state.get_branch(c, agent_id, target_id)
    if source["id"] == target["id"]:
        raise bad_request("invalid_merge", "A branch cannot be merged into itself.")
    source_tip = state.get_version(c, agent_id, source["tip_version_id"])
    target_tip = state.get_version(c, agent_id, target["tip_version_id"])
    base = state.get_version(c, agent_id, source["base_version_id"]) if source["base_version_id"] else target_tip
    result = merge_configs(base["config"], source_tip["config"], target_tip["config"], force=force)
    return source, target, source_tip, target_tip, result


@router.get("/branches/{branch_id}/merge-preview")
async def merge_preview(agent_id: str, branch_id: str, target_branch_id: str, c: C, force: bool = False) -> dict:
    _, _, _, target_tip, result = _plan_merge(c, agent_id, branch_id, target_branch_id, force)
    preview = state.render_agent(c, {**target_tip, "config": result.config})
    return {
        **preview,
        "overridden_fields": result.overridden_fields,
        "conflicts": result.conflicts,
        "source_identical_to_target": result.config == target_tip["config"],
    }


@router.post("/branches/{branch_id}/merge")
async def merge(agent_id: str, branch_id: str, target_branch_id: str, c: C, body: MergeBody | None = None) -> dict:
    options = body or MergeBody()
    with c.store.tx():
        source, target, source_tip, _, result = _plan_merge(c, agent_id, branch_id, target_branch_id, options.force)
        if result.conflicts and not options.force:
            raise HTTPException(
                409,
                detail={
                    "status": "merge_conflict",
                    "message": f"{len(result.conflicts)} conflicting field(s); merge with force=true to take the "
                    "source branch's values.",
                    "conflicts": result.conflicts,
                },
            )
        version = state.commit(
            c,
            agent_id,
            target,
            result.config,
            f"Merged branch {source['name']}",
            parents={"merged_from_branch_id": source["id"], "merged_from_version_id": source_tip["id"]},
        )
        source = {
            **state.get_branch(c, agent_id, source["id"]),
            "merged_into_branch_id": target["id"],
            # The next merge of this branch only carries what changed after this one.
            "base_version_id": source_tip["id"],
            "is_archived": source["is_archived"] or options.archive_source_branch,
        }
        c.store.put("branch", source["id"], source, owner=agent_id)
    return {"version_id": version["id"], "branch_id": target["id"]}


@router.get("/versions/{version_id}")
async def get_version(agent_id: str, version_id: str, c: C) -> dict[str, Any]:
    state.get_agent_record(c, agent_id)
    return render_version(state.get_version(c, agent_id, version_id))


@router.post("/deployments")
async def deploy(agent_id: str, body: DeploymentBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        split: dict[str, float] = {}
        for item in body.deployment_request.requests:
            branch = state.get_branch(c, agent_id, item.branch_id)
            if branch["is_archived"]:
                raise bad_request("branch_archived", f"Branch {branch['id']} is archived and cannot take traffic.")
            split[branch["id"]] = split.get(branch["id"], 0.0) + item.deployment_strategy.traffic_percentage
        if abs(sum(split.values()) - 100.0) > 1e-6:
            raise validation_error(
                ["body", "deployment_request", "requests"], "Traffic percentages must add up to 100."
            )
        state.record_deployment(c, agent_id, split, "manual")
    return {"traffic_percentage_branch_id_map": split}


@router.get("/deployments")
async def list_deployments(agent_id: str, c: C, page: int = 1, page_size: int = 30) -> dict[str, Any]:
    state.get_agent_record(c, agent_id)
    history = list(reversed(c.store.all("deployment", owner=agent_id)))
    start = (max(page, 1) - 1) * page_size
    results = history[start : start + page_size]
    return {"meta": {"total": len(history), "page": page, "page_size": page_size}, "results": results}
