"""Running tests: `POST /agents/{id}/run-tests` and the test-invocation endpoints (get, list, cancel, resubmit)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from agentform.emulator import agent_state as state
from agentform.emulator import test_runs as runs
from agentform.emulator.common import C, Context, Listing, LooseBody, access_info, new_id, not_found, validation_error
from agentform.emulator.routes.admin import effective_eval_delay
from agentform.emulator.routes.testing import TEST

router = APIRouter(prefix="/v1/convai")


class TestRef(LooseBody):
    test_id: str
    workflow_node_id: str | None = None


class ConfigOverride(LooseBody):
    conversation_config: dict[str, Any]
    platform_settings: dict[str, Any]
    workflow: dict[str, Any] | None = None


class RunTestsBody(LooseBody):
    tests: list[TestRef]
    name: str | None = None
    branch_id: str | None = None
    repeat_count: int | None = Field(None, ge=1, le=50)
    agent_config_override: ConfigOverride | None = None


class ResubmitBody(LooseBody):
    test_run_ids: list[str]
    agent_id: str
    agent_config_override: ConfigOverride | None = None
    branch_id: str | None = None


def _identity(invocation: dict[str, Any]) -> dict[str, Any]:
    """The fields an invocation and its list summary share, in the API's order."""
    return {
        "id": invocation["id"],
        "name": invocation["name"],
        "agent_id": invocation["agent_id"],
        "branch_id": invocation["branch_id"],
        "version_id": invocation["version_id"],
        "ran_against_draft": False,
    }


def _render(c: Context, invocation: dict[str, Any]) -> dict[str, Any]:
    rendered_runs = [runs.render_run(c, run) for run in c.store.all("testrun", owner=invocation["id"])]
    repeated = (invocation["repeat_count"] or 1) > 1
    return {
        **_identity(invocation),
        "created_at": invocation["created_at"],
        "repeat_count": invocation["repeat_count"] or 1,
        "cancelled": invocation["cancelled"],
        "bucketing_status": (
            ("pending" if any(r["status"] == "pending" for r in rendered_runs) else "completed") if repeated else None
        ),
        "result_groups": runs.result_groups(rendered_runs) if repeated else [],
        "test_runs": rendered_runs,
    }


@router.post("/agents/{agent_id}/run-tests")
async def run_tests(agent_id: str, body: RunTestsBody, c: C) -> dict[str, Any]:
    if not body.tests:
        raise validation_error(["body", "tests"], "List should have at least 1 item", "too_short")
    with c.store.tx():
        override = body.agent_config_override.model_dump(exclude_none=True) if body.agent_config_override else None
        target = runs.config_under_test(c, agent_id, body.branch_id, override)
        tests = [TEST.load(c, ref.test_id) for ref in body.tests]
        invocation = {
            "id": new_id("suite_"),
            "name": body.name,
            "agent_id": agent_id,
            "branch_id": target["branch_id"],
            "version_id": target["version_id"],
            "created_at": c.now(),
            "repeat_count": body.repeat_count,
            "cancelled": False,
        }
        c.store.put("invocation", invocation["id"], invocation, owner=agent_id)
        delay = effective_eval_delay(c)
        for test in tests:
            for _ in range(body.repeat_count or 1):
                run = runs.new_run(c, invocation, test, target, delay)
                c.store.put("testrun", run["test_run_id"], run, owner=invocation["id"])
        return _render(c, invocation)


@router.get("/test-invocations/{invocation_id}")
async def get_invocation(invocation_id: str, c: C) -> dict[str, Any]:
    return _render(c, runs.INVOCATION.load(c, invocation_id))


@router.get("/test-invocations")
async def list_invocations(
    c: C, query: Listing, agent_id: str | None = None, branch_id: str | None = None, test_id: str | None = None
) -> dict[str, Any]:
    invocations = c.store.all("invocation", owner=agent_id) if agent_id else c.store.all("invocation")
    if branch_id:
        invocations = [i for i in invocations if i["branch_id"] == branch_id]
    summaries = []
    for invocation in reversed(invocations):
        found = c.store.all("testrun", owner=invocation["id"])
        if test_id and test_id not in {r["test_id"] for r in found}:
            continue
        summaries.append(_summary(invocation, [runs.run_status(c, r) for r in found]))
    return {"meta": {"total": len(summaries)}, **query.page("results", summaries)}


def _summary(invocation: dict[str, Any], statuses: list[str]) -> dict[str, Any]:
    return {
        **_identity(invocation),
        "created_at_unix_secs": invocation["created_at"],
        "test_run_count": len(statuses),
        **{f"{s}_count": statuses.count(s) for s in ("passed", "failed", "pending", "cancelled")},
        "title": invocation["name"] or f"Test run of {len(statuses)} test(s)",
        "access_info": access_info(),
        "repeat_count": invocation["repeat_count"] or 1,
        "cancelled": invocation["cancelled"],
    }


@router.post("/test-invocations/{invocation_id}/cancel")
async def cancel(invocation_id: str, c: C) -> dict[str, Any]:
    with c.store.tx():
        invocation = runs.INVOCATION.load(c, invocation_id)
        for run in c.store.all("testrun", owner=invocation_id):
            if runs.run_status(c, run) == "pending":
                c.store.put("testrun", run["test_run_id"], {**run, "cancelled": True}, owner=invocation_id)
        c.store.put("invocation", invocation_id, {**invocation, "cancelled": True}, owner=invocation["agent_id"])
    return {}


@router.post("/test-invocations/{invocation_id}/resubmit")
async def resubmit(invocation_id: str, body: ResubmitBody, c: C) -> dict[str, Any]:
    """Evaluates the given runs again (same run ids) against the branch tip or override given now."""
    with c.store.tx():
        invocation = runs.INVOCATION.load(c, invocation_id)
        state.get_agent_record(c, body.agent_id)
        override = body.agent_config_override.model_dump(exclude_none=True) if body.agent_config_override else None
        target = runs.config_under_test(c, body.agent_id, body.branch_id or invocation["branch_id"], override)
        delay = effective_eval_delay(c)
        old_runs = {r["test_run_id"]: r for r in c.store.all("testrun", owner=invocation_id)}
        for run_id in body.test_run_ids:
            if run_id not in old_runs:
                raise not_found("Test run", run_id)
            fresh = runs.new_run(c, invocation, TEST.load(c, old_runs[run_id]["test_id"]), target, delay)
            c.store.put("testrun", run_id, {**fresh, "test_run_id": run_id}, owner=invocation_id)
        c.store.put("invocation", invocation_id, {**invocation, "cancelled": False}, owner=invocation["agent_id"])
    return {}
