"""Shared builders for the testing package's tests: specs and API-shaped invocations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agentform.model import DesiredTest, SourceLocation


def _spec(
    key: str = "address",
    *,
    agent_key: str = "clinic",
    kind: str = "llm",
    repeat: int = 1,
    pass_threshold: float = 1.0,
    name: str | None = None,
) -> DesiredTest:
    body: dict[str, Any] = {"type": kind, "chat_history": [{"role": "user", "message": "hi", "time_in_call_secs": 0}]}
    if name:
        body["name"] = name
    return DesiredTest(
        agent_key=agent_key,
        key=key,
        kind=kind,
        body=body,
        repeat=repeat,
        pass_threshold=pass_threshold,
        source=SourceLocation(path=f"tests_specs/{agent_key}/{key}.yaml"),
    )


def _run(test_id: str, status: str, *, reply: str = "", rationale: str = "", run_id: str = "") -> dict[str, Any]:
    run: dict[str, Any] = {
        "test_run_id": run_id or f"run-{test_id}-{status}",
        "test_invocation_id": "inv-1",
        "agent_id": "agent-1",
        "test_id": test_id,
        "status": status,
        "last_updated_at_unix": 1_700_000_003,
    }
    if reply:
        run["agent_responses"] = [{"role": "agent", "message": reply, "time_in_call_secs": 1}]
    if status in ("passed", "failed"):
        run["condition_result"] = {
            "result": "success" if status == "passed" else "failure",
            "rationale": {"messages": [], "summary": rationale},
        }
    return run


@pytest.fixture
def make_spec() -> Callable[..., DesiredTest]:
    return _spec


@pytest.fixture
def make_run() -> Callable[..., dict[str, Any]]:
    return _run
