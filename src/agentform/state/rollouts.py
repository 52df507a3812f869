"""The rollout entries of the state record (`state.record.RolloutEntry`): splits, progress and notes, all pure."""

from __future__ import annotations

from agentform.state.model import RolloutEntry, StateRecord


class RolloutError(Exception):
    """A rollout command that cannot go ahead as asked (no rollout, a finished one, an untested branch)."""


def split(entry: RolloutEntry, percent: float) -> dict[str, float]:
    """The traffic split that gives the branch `percent` and main the rest."""
    if not 0 <= percent <= 100:
        raise RolloutError(f"--percent must be between 0 and 100, not {percent:g}")
    return {entry.main_branch_id: 100.0 - percent, entry.branch_id: float(percent)}


def current_percent(entry: RolloutEntry) -> float:
    """The branch's share as last set (0 once the rollout is finished)."""
    if entry.status != "in_progress" or not entry.steps:
        return 0.0
    return entry.steps[-1].percent


def in_progress(record: StateRecord) -> dict[str, RolloutEntry]:
    """Agent key -> its rollout, for the rollouts not finished yet."""
    return {key: entry for key, entry in sorted(record.rollouts.items()) if entry.status == "in_progress"}


def active(record: StateRecord, agent_key: str) -> RolloutEntry:
    """The agent's rollout in progress, or a `RolloutError` that says what there is instead."""
    entry = record.rollouts.get(agent_key)
    if entry is None:
        raise RolloutError(f"agent {agent_key} has no rollout: start one with `agentform rollout start`")
    if entry.status != "in_progress":
        raise RolloutError(f"the rollout of {entry.branch} on agent {agent_key} is finished ({entry.status})")
    return entry


def plan_notes(record: StateRecord) -> list[str]:
    """One line per rollout in progress, for the plan: main is not what callers all reach, and apply to main
    would change the agent under a running experiment."""
    return [
        f"agent.{key}: rollout of branch {entry.branch} in progress ({current_percent(entry):g}% of live traffic, "
        f"main has the rest): finish it with `agentform rollout analyze|promote|abort --agent {key}` before applying "
        "to main"
        for key, entry in in_progress(record).items()
    ]
