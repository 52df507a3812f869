"""`rollout status` and `rollout analyze`: measure each rollout, decide, and with `--auto` act on the decision.

Acting: healthy -> the next step of the policy once the current one has held `interval`, else promote; regressed ->
abort; wait -> nothing. What each rollout came to is a `Result`, which the command renders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentform.rollout import actions
from agentform.rollout.decide import Decision, decide
from agentform.rollout.stats import Comparison
from agentform.state.model import RolloutEntry, StateRecord
from agentform.state.record import RecordStore
from agentform.state.rollouts import RolloutError, active, in_progress

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

DEFAULT_MIN_CONVERSATIONS = 100
DEFAULT_MAX_REGRESSION = 0.05


@dataclass(frozen=True)
class Thresholds:
    """The command's flags (None: not given) over the rollout's own policy, over the defaults."""

    min_conversations: int | None = None
    max_regression: float | None = None

    def of(self, entry: RolloutEntry) -> tuple[int, float]:
        policy = entry.policy
        minimum = self.min_conversations or (policy.min_conversations if policy else DEFAULT_MIN_CONVERSATIONS)
        regression = self.max_regression or (policy.max_regression if policy else DEFAULT_MAX_REGRESSION)
        return minimum, regression


@dataclass(frozen=True)
class Result:
    agent: str
    entry: RolloutEntry
    comparison: Comparison | None = None
    decision: Decision | None = None
    # What `--auto` did: "stepped to 50%", "promoted", "aborted" (None: nothing).
    action: str | None = None


def finished_or_current(record: StateRecord, agent: str | None, *, include_finished: bool) -> dict[str, RolloutEntry]:
    """The rollouts to report: the agent's (its latest even when finished, for `status`), else all in progress."""
    if agent is None:
        return in_progress(record)
    entry = record.rollouts.get(agent)
    if include_finished and entry is not None:
        return {agent: entry}
    return {agent: active(record, agent)}


def hold_remaining(entry: RolloutEntry, now: int) -> int:
    """Seconds the current step still has to hold before the next step (0: it may move)."""
    last = entry.steps[-1].at if entry.steps else entry.started_at
    return max(0, last + (entry.policy.interval_secs if entry.policy else 0) - now)


async def analyze_all(
    client: ElevenLabsClient,
    store: RecordStore | None,
    agent: str | None,
    thresholds: Thresholds,
    *,
    act: bool,
    entries: dict[str, RolloutEntry] | None = None,
    decide_it: bool = True,
) -> list[Result]:
    """Measure (and decide on) each rollout; with `act`, under the lock that `store` was read under, act too."""
    if act:
        if store is None:
            raise RolloutError("acting on a rollout needs the state record under the lock")
        for key in sorted(store.record.rollouts):
            await actions.resume(client, store, key)
        entries = finished_or_current(store.record, agent, include_finished=False)
    results = []
    for key, entry in (entries or {}).items():
        if entry.status != "in_progress":
            results.append(Result(key, entry))
            continue
        comparison = await actions.measure(client, entry)
        if not decide_it:
            results.append(Result(key, entry, comparison))
            continue
        minimum, regression = thresholds.of(entry)
        decision = decide(comparison, min_conversations=minimum, max_regression=regression)
        action = await _act(client, store, key, entry, decision) if act and store is not None else None
        results.append(Result(key, entry, comparison, decision, action))
    return results


async def _act(
    client: ElevenLabsClient, store: RecordStore, key: str, entry: RolloutEntry, decision: Decision
) -> str | None:
    if decision.outcome == "regressed":
        await actions.abort(client, store, key, decision.reason)
        return "aborted: main takes 100% of the traffic again"
    if decision.outcome != "healthy":
        return None
    if entry.next_steps:
        holding = hold_remaining(entry, int(time.time()))
        if holding:
            return f"holding {entry.steps[-1].percent:g}% for {holding}s more before the next step"
        share = entry.next_steps[0]
        entry.next_steps = entry.next_steps[1:]
        await actions.step(client, store, key, share)
        return f"stepped to {share:g}%"
    await actions.promote(client, store, key, decision.reason)
    return "promoted: merged into main, which takes 100% of the traffic"
