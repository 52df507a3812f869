"""Rendering a rollout's state and measurements: text for people, JSON for scripts. Decides nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentform.rollout.decide import Decision
from agentform.rollout.stats import BranchStats, Comparison, Difference, Rate
from agentform.state.model import RolloutEntry
from agentform.state.rollouts import current_percent

if TYPE_CHECKING:
    from agentform.rollout.analysis import Result

JSON_FORMAT_VERSION = "1"


def results_json(results: Sequence[Result]) -> str:
    """`rollout status|analyze --json`: every rollout, and what `--auto` did to it."""
    shown = [as_json(r.agent, r.entry, r.comparison, r.decision) | {"action": r.action} for r in results]
    return json.dumps({"format_version": JSON_FORMAT_VERSION, "rollouts": shown}, indent=2) + "\n"


def result_lines(result: Result) -> list[str]:
    """One rollout for a terminal, a step summary or a comment, with what `--auto` did to it."""
    lines = as_text(result.agent, result.entry, result.comparison, result.decision)
    return lines + ([f"  action: {result.action}"] if result.action else [])


def as_json(agent_key: str, entry: RolloutEntry, comparison: Comparison | None, decision: Decision | None) -> dict:
    """One rollout as data (`rollout status --json`, `analyze --json`)."""
    shown: dict[str, Any] = {
        "agent": agent_key,
        "branch": entry.branch,
        "status": entry.status,
        "percent": current_percent(entry),
        "started_at": entry.started_at,
        "steps": [step.model_dump() for step in entry.steps],
        "pending": entry.pending,
        "next_steps": entry.next_steps,
    }
    if comparison is not None:
        shown["branches"] = [_stats(comparison.branch), _stats(comparison.main)]
        shown["difference"] = {
            "call_success": _difference(comparison.success),
            "criteria": {key: _difference(d) for key, d in comparison.criteria.items()},
            "mean_duration_secs": comparison.duration_secs,
        }
    if decision is not None:
        shown["decision"] = {"outcome": decision.outcome, "reason": decision.reason}
    return shown


def _rate(rate: Rate) -> dict[str, Any]:
    return {"passed": rate.passed, "judged": rate.judged, "rate": rate.value, "low": rate.low, "high": rate.high}


def _stats(stats: BranchStats) -> dict[str, Any]:
    return {
        "name": stats.name,
        "branch_id": stats.branch_id,
        "conversations": stats.conversations,
        "call_success": _rate(stats.success),
        "criteria": {key: _rate(rate) for key, rate in stats.criteria.items()},
        "mean_duration_secs": stats.mean_duration_secs,
    }


def _difference(d: Difference) -> dict[str, float | None]:
    return {"value": d.value, "low": d.low, "high": d.high}


def as_text(agent_key: str, entry: RolloutEntry, comparison: Comparison | None, decision: Decision | None) -> list[str]:
    """Lines for a terminal: the rollout, then one block per branch, then the decision."""
    if entry.status == "in_progress":
        state = f"{current_percent(entry):g}% of live traffic, main has the rest"
    else:
        state = entry.status + (f": {entry.decision}" if entry.decision else "")
    lines = [f"{agent_key}: rollout of branch {entry.branch} ({state})"]
    if entry.pending:
        lines.append(f"  an earlier run left a {entry.pending} unfinished: the next rollout command on it finishes it")
    if comparison is not None:
        lines += _branch_lines(comparison.branch, comparison)
        lines += _branch_lines(comparison.main, None)
    if decision is not None:
        lines.append(f"  decision: {decision.outcome}: {decision.reason}")
    return lines


def _branch_lines(stats: BranchStats, comparison: Comparison | None) -> list[str]:
    lines = [f"  {stats.name}: {stats.conversations} conversations since the rollout started"]
    lines.append(f"    call success     {_show_rate(stats.success)}{_vs(comparison.success if comparison else None)}")
    for key, rate in stats.criteria.items():
        vs = _vs(comparison.criteria.get(key) if comparison else None)
        lines.append(f"    {key:<16} {_show_rate(rate)}{vs}")
    if stats.mean_duration_secs is not None:
        delta = comparison.duration_secs if comparison else None
        extra = f"  ({delta:+.1f}s vs main)" if delta is not None else ""
        lines.append(f"    mean duration    {stats.mean_duration_secs:.1f}s{extra}")
    return lines


def _show_rate(rate: Rate) -> str:
    if rate.value is None or rate.low is None or rate.high is None:
        return "no calls judged"
    return f"{rate.value:.1%} ({rate.passed}/{rate.judged}; 95% CI {rate.low:.1%}-{rate.high:.1%})"


def _vs(d: Difference | None) -> str:
    if d is None or d.value is None or d.low is None or d.high is None:
        return ""
    return f"  {d.value * 100:+.1f} pt vs main (95% CI {d.low * 100:+.1f} to {d.high * 100:+.1f})"
