"""The admin API under `/_emulator/`: reset, request log, faults, settings, seeds and pinned results.

It takes the same API keys as the emulated API and its own calls are never written to the request log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from agentform.emulator.common import C, Context, new_id, not_found
from agentform.emulator.faults import FaultBook, FaultSpec
from agentform.emulator.routes.conversations import SeedConversation, seed
from agentform.emulator.test_runs import INVOCATION

router = APIRouter(prefix="/_emulator")


def _faults(request: Request) -> FaultBook:
    return request.app.state.faults


F = Annotated[FaultBook, Depends(_faults)]


@router.post("/reset")
async def reset(c: C, faults: F) -> dict[str, Any]:
    """Forget every resource, log entry, setting, pin and fault."""
    c.store.reset()
    faults.clear()
    return {"ok": True}


@router.get("/requests")
async def requests(c: C, since: int = 0, method: str | None = None, path_prefix: str = "") -> dict[str, Any]:
    """Logged API requests with `seq > since`; `last_seq` is the mark to pass as `since` next time.

    `write_count` counts every non-read /v1 request after `since` (under `path_prefix` when that is a /v1 path),
    in SQL: it is exact even when more entries exist than one answer lists (10,000).
    """
    writes_under = path_prefix if path_prefix.startswith("/v1/") else "/v1/"
    entries = [
        entry
        for entry in c.store.requests_since(since)
        if (method is None or entry["method"] == method.upper()) and entry["path"].startswith(path_prefix)
    ]
    return {
        "requests": entries,
        "last_seq": c.store.last_request_seq(),
        "write_count": c.store.count_writes_since(since, path_prefix=writes_under),
    }


@router.get("/faults")
async def list_faults(faults: F) -> dict[str, Any]:
    return {"faults": [f.model_dump() for f in faults.list()]}


@router.post("/faults")
async def add_fault(spec: FaultSpec, faults: F) -> dict[str, Any]:
    return faults.add(spec).model_dump()


@router.delete("/faults")
async def clear_faults(faults: F) -> dict[str, Any]:
    faults.clear()
    return {"ok": True}


@router.delete("/faults/{fault_id}")
async def remove_fault(fault_id: str, faults: F) -> dict[str, Any]:
    if not faults.remove(fault_id):
        raise not_found("Fault", fault_id)
    return {"ok": True}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eval_delay_secs: float | None = Field(None, ge=0, description="Seconds new test runs stay pending.")


def effective_eval_delay(c: Context) -> float:
    """The delay for new test runs: the admin setting if any, else the app's `eval_delay_secs`."""
    return float(c.store.setting("eval_delay_secs", c.eval_delay_secs))


@router.get("/settings")
async def get_settings(c: C) -> dict[str, Any]:
    return {"eval_delay_secs": effective_eval_delay(c)}


@router.put("/settings")
async def put_settings(body: Settings, c: C) -> dict[str, Any]:
    if body.eval_delay_secs is not None:
        c.store.set_setting("eval_delay_secs", body.eval_delay_secs)
    return {"eval_delay_secs": effective_eval_delay(c)}


@router.post("/conversations")
async def seed_conversation(body: SeedConversation, c: C) -> dict[str, Any]:
    """Store a finished conversation (returned in the shape of `GET /v1/convai/conversations/{id}`)."""
    with c.store.tx():
        return seed(c, body)


class PinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_id: str
    agent_id: str | None = Field(None, description="Only runs on this agent (default: any agent).")
    status: Literal["passed", "failed"]
    rationale: str | None = None
    reply: str | None = Field(None, description="The agent reply to report instead of the stand-in model's.")


@router.post("/pins")
async def add_pin(body: PinBody, c: C) -> dict[str, Any]:
    """Pin the result of runs of a test created from now on (the newest matching pin wins)."""
    pin = {"id": new_id("pin_"), **body.model_dump()}
    c.store.put("pin", pin["id"], pin)
    return pin


@router.get("/pins")
async def list_pins(c: C) -> dict[str, Any]:
    return {"pins": c.store.all("pin")}


@router.delete("/pins")
async def clear_pins(c: C) -> dict[str, Any]:
    with c.store.tx():
        for pin in c.store.all("pin"):
            c.store.delete("pin", pin["id"])
    return {"ok": True}


@router.delete("/pins/{pin_id}")
async def remove_pin(pin_id: str, c: C) -> dict[str, Any]:
    if not c.store.delete("pin", pin_id):
        raise not_found("Pin", pin_id)
    return {"ok": True}


@router.patch("/test-invocations/{invocation_id}")
async def set_invocation_delay(invocation_id: str, body: Settings, c: C) -> dict[str, Any]:
    """Change how long the runs of one invocation stay pending (counted from their creation)."""
    with c.store.tx():
        INVOCATION.load(c, invocation_id)
        found = c.store.all("testrun", owner=invocation_id)
        for run in found:
            updated = {**run, "eval_delay_secs": body.eval_delay_secs or 0.0}
            c.store.put("testrun", run["test_run_id"], updated, owner=invocation_id)
    return {"updated_runs": len(found), "eval_delay_secs": body.eval_delay_secs or 0.0}
