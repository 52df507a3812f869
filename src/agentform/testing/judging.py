"""Verdicts from the API's answers: a test invocation's runs -> each test passed, failed or error (docs/decisions/0061).

Pure functions of the invocation and the specs, so thresholds, repeats and the timeout rule are tested without a
server; `runner` calls them once an invocation has ended (or timed out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentform.model import DesiredTest
from agentform.testing.report import AgentResult, RunResult, RunStatus, TestResult, meets_threshold

if TYPE_CHECKING:
    from agentform.testing.runner import SuiteTarget

_RUN_STATUSES: frozenset[str] = frozenset({"passed", "failed", "cancelled", "pending"})


def judge_invocation(
    target: SuiteTarget, invocation: dict[str, Any] | None, *, incomplete_reason: str = ""
) -> AgentResult:
    """Map the invocation's runs to the target's specs and decide each test against its threshold."""
    runs_by_test: dict[str, list[dict[str, Any]]] = {}
    for run in (invocation or {}).get("test_runs", []):
        runs_by_test.setdefault(run.get("test_id", ""), []).append(run)
    created_at = (invocation or {}).get("created_at")
    tests = [
        judge_test(
            spec, test_id, runs_by_test.get(test_id, []), incomplete_reason=incomplete_reason, created_at=created_at
        )
        for spec, test_id in target.tests
    ]
    return AgentResult(
        agent_key=target.agent_key,
        agent_id=target.agent_id,
        branch_id=target.branch_id,
        invocation_ids=[invocation["id"]] if invocation and invocation.get("id") else [],
        error=incomplete_reason,
        tests=tests,
    )


def judge_test(
    spec: DesiredTest,
    test_id: str,
    runs: list[dict[str, Any]],
    *,
    incomplete_reason: str = "",
    created_at: float | None = None,
) -> TestResult:
    """One test's verdict from its runs: k/n against the threshold, unless a run never finished."""
    results = [_run_result(run) for run in runs]
    passed = sum(run.status == "passed" for run in results)
    unfinished = [run for run in results if run.status in ("pending", "cancelled")]
    if not results:
        message = incomplete_reason or "the invocation returned no run for this test"
    elif unfinished:
        message = incomplete_reason or f"{len(unfinished)} of {len(results)} runs did not finish"
    else:
        message = ""
    if message:
        status = "error"
    else:
        status = "passed" if meets_threshold(passed, len(results), spec.pass_threshold) else "failed"
    shown = next((run for run in results if run.status == "failed"), results[0] if results else None)
    return TestResult(
        agent_key=spec.agent_key,
        key=spec.key,
        name=str(spec.body.get("name") or spec.key),
        kind=spec.kind,
        status=status,
        passed_runs=passed,
        total_runs=len(results),
        pass_threshold=spec.pass_threshold,
        rationale=shown.rationale if shown else "",
        reply=shown.reply if shown else "",
        message=message,
        duration_secs=_test_duration(runs, created_at),
        source=spec.source.path,
        test_id=test_id,
        runs=results,
    )


def _run_result(run: dict[str, Any]) -> RunResult:
    status: RunStatus = run.get("status") if run.get("status") in _RUN_STATUSES else "pending"  # type: ignore[assignment]
    return RunResult(
        run_id=str(run.get("test_run_id", "")),
        status=status,
        rationale=rationale_text(run.get("condition_result")),
        reply=reply_excerpt(run.get("agent_responses") or []),
    )


def rationale_text(condition_result: dict[str, Any] | None) -> str:
    """The evaluator's reasoning: its summary, then its messages."""
    rationale = (condition_result or {}).get("rationale") or {}
    parts = [str(rationale.get("summary") or "").strip()]
    parts += [str(message).strip() for message in rationale.get("messages") or [] if message]
    return "\n".join(part for part in parts if part)


def reply_excerpt(agent_responses: list[dict[str, Any]], *, max_lines: int = 4, max_chars: int = 400) -> str:
    """The first lines of what the agent said or called in a run (tool calls shown as `-> name(params)`)."""
    lines: list[str] = []
    for item in agent_responses:
        if item.get("role", "agent") != "agent":
            continue
        if item.get("message"):
            lines.extend(line for line in str(item["message"]).splitlines() if line.strip())
        lines.extend(
            f"-> {call.get('tool_name', '?')}({call.get('params_as_json', '')})"
            for call in item.get("tool_calls") or []
        )
    text = "\n".join(lines[:max_lines])
    if len(lines) > max_lines or len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def _test_duration(runs: list[dict[str, Any]], created_at: float | None) -> float:
    """Seconds between the invocation's creation and the test's last update, when the API says both."""
    stamps = [run["last_updated_at_unix"] for run in runs if isinstance(run.get("last_updated_at_unix"), int | float)]
    return float(max(0, max(stamps) - created_at)) if stamps and isinstance(created_at, int | float) else 0.0


def merge_results(target: SuiteTarget, results: list[AgentResult]) -> AgentResult:
    """One agent's result from its groups' results, tests back in the target's order."""
    by_address = {test.address: test for result in results for test in result.tests}
    return AgentResult(
        agent_key=target.agent_key,
        agent_id=target.agent_id,
        branch_id=target.branch_id,
        invocation_ids=[i for result in results for i in result.invocation_ids],
        error="; ".join(dict.fromkeys(result.error for result in results if result.error)),
        duration_secs=max((result.duration_secs for result in results), default=0.0),
        tests=[by_address[spec.address] for spec, _ in target.tests if spec.address in by_address],
    )
