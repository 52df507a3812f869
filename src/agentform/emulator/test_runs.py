"""Test runs: evaluated by the stand-in model when created, revealed by the clock when read.

A run's verdict is computed at creation from the configuration under test (a branch tip, or the main tip with
`agent_config_override` merged over it) and from any result pinned through the admin API at that moment. Its
status is computed whenever it is read: `pending` until `created_at + eval_delay_secs`, then the verdict. No
background thread is involved, so a fake clock makes runs resolve instantly in tests.
"""

from __future__ import annotations

from typing import Any

from agentform.emulator import agent_state as state
from agentform.emulator import standin
from agentform.emulator.common import Context, Resource, deep_merge, new_id
from agentform.emulator.dependents import kb_ids, tool_ids

WORKSPACE_ID = "emulator-workspace"
# The record a test-run request creates; its runs are stored with it as owner.
INVOCATION = Resource("invocation", "Test invocation")
_TEST_TYPE = {"llm": "llm", "tool": "tool_call", "simulation": "simulation"}


def config_under_test(c: Context, agent_id: str, branch_id: str | None, override: dict[str, Any] | None) -> dict:
    version = state.resolve_version(c, agent_id, branch_id=branch_id)
    config = version["config"]
    if override:
        config = {**config, **{s: deep_merge(config[s], override.get(s) or {}) for s in state.CONFIG_SECTIONS}}
    return {"version_id": version["id"], "branch_id": version["branch_id"], "config": config}


def _material(c: Context, config: dict[str, Any]) -> list[str]:
    agent = config["conversation_config"].get("agent", {})
    prompt = agent.get("prompt", {}) or {}
    documents = [doc.get("content", "") for doc in (c.store.get("document", i) for i in kb_ids(config)) if doc]
    return standin.candidates(prompt.get("prompt") or "", agent.get("first_message") or "", documents)


def evaluate(c: Context, test: dict[str, Any], config: dict[str, Any]) -> standin.Verdict:
    body = test["body"]
    if body["type"] == "tool":
        tools = [t for t in (c.store.get("tool", i) for i in tool_ids(config)) if t]
        return standin.judge_tool(body, tools)
    if body["type"] == "simulation":
        return standin.judge_simulation(body, _material(c, config))
    return standin.judge_llm(body, _material(c, config))


def _pinned(c: Context, test_id: str, agent_id: str) -> dict[str, Any] | None:
    for pin in reversed(c.store.all("pin")):
        if pin["test_id"] == test_id and pin.get("agent_id") in (None, agent_id):
            return pin
    return None


def new_run(c: Context, invocation: dict[str, Any], test: dict[str, Any], target: dict, delay: float) -> dict:
    """A run record for one test of an invocation (its verdict fixed now, revealed after `delay`)."""
    verdict = evaluate(c, test, target["config"])
    result = {
        "passed": verdict.passed,
        "summary": verdict.summary,
        "messages": verdict.messages,
        "agent_responses": _transcript(verdict),
    }
    pin = _pinned(c, test["id"], invocation["agent_id"])
    if pin:
        result = {
            **result,
            "passed": pin["status"] == "passed",
            "summary": pin.get("rationale") or f"Result pinned to {pin['status']} through the emulator admin API.",
            "messages": [f"Pinned result ({pin['id']})."],
        }
        if pin.get("reply") is not None:
            result["agent_responses"] = [{"role": "agent", "message": pin["reply"], "time_in_call_secs": 0}]
    return {
        "test_run_id": new_id("trun_"),
        "test_invocation_id": invocation["id"],
        "agent_id": invocation["agent_id"],
        "branch_id": target["branch_id"],
        "version_id": target["version_id"],
        "test_id": test["id"],
        "test_name": test["body"]["name"],
        "test_info": test["body"],
        "created_at": c.clock(),
        "eval_delay_secs": delay,
        "cancelled": False,
        "result": result,
    }


def _transcript(verdict: standin.Verdict) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for turn, (user, reply) in enumerate(zip(verdict.user_turns, verdict.replies, strict=False)):
        if len(verdict.user_turns) > 1:
            items.append({"role": "user", "message": user, "time_in_call_secs": turn * 10})
        item: dict[str, Any] = {"role": "agent", "message": reply, "time_in_call_secs": turn * 10 + 1}
        if verdict.tool_calls and turn == 0:
            item["tool_calls"] = verdict.tool_calls
        items.append(item)
    return items


def run_status(c: Context, run: dict[str, Any]) -> str:
    if run["cancelled"]:
        return "cancelled"
    if c.clock() < run["created_at"] + run["eval_delay_secs"]:
        return "pending"
    return "passed" if run["result"]["passed"] else "failed"


def render_run(c: Context, run: dict[str, Any]) -> dict[str, Any]:
    """`UnitTestRunResponseModel`; result fields appear only once the run has resolved."""
    status = run_status(c, run)
    rendered: dict[str, Any] = {
        key: run[key]
        for key in ("test_run_id", "test_invocation_id", "agent_id", "branch_id", "version_id", "test_id", "test_name")
    }
    rendered |= {
        "status": status,
        "ran_against_draft": False,
        "test_info": run["test_info"],
        "last_updated_at_unix": int(max(run["created_at"] + run["eval_delay_secs"], run["created_at"])),
        "metadata": {
            "workspace_id": WORKSPACE_ID,
            "test_name": run["test_name"],
            "ran_by_user_email": "emulator@localhost",
            "test_type": _TEST_TYPE.get(run["test_info"]["type"], "llm"),
        },
    }
    if status in ("passed", "failed"):
        result = run["result"]
        rendered["agent_responses"] = result["agent_responses"]
        rendered["condition_result"] = {
            "result": "success" if result["passed"] else "failure",
            "rationale": {"summary": result["summary"], "messages": result["messages"]},
        }
    return rendered


def result_groups(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buckets of repeated runs per test, by status (what the API returns when repeat_count > 1)."""
    groups: dict[str, dict[str, Any]] = {}
    for run in runs:
        group = groups.setdefault(run["test_id"], {"test_id": run["test_id"], "test_name": run["test_name"], "b": {}})
        group["b"].setdefault(run["status"], []).append(run)
    rendered = []
    for group in groups.values():
        buckets = [
            {
                "test_run_ids": [r["test_run_id"] for r in members],
                "title": f"{len(members)} {status}",
                "reason": (members[0].get("condition_result") or {}).get("rationale", {}).get("summary") or status,
                "status": status,
            }
            for status, members in group["b"].items()
        ]
        rendered.append({"test_id": group["test_id"], "test_name": group["test_name"], "buckets": buckets})
    return rendered
