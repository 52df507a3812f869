"""Rollout actions against the live workspace: start, step, promote, abort, resume, and measuring the traffic.

Every action that changes the split or main writes its intent into the rollout's entry of the state record first
(`pending`) and clears it once done, all under the environment lock. Each action is idempotent (a deployment of
the same split, a merge skipped when main already holds the branch's payload), so a process killed at any point is
finished by the next command on that rollout: `resume` runs first in each of them (docs/decisions/0142).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from agentform.model import Desired, RolloutPolicy
from agentform.rollout.stats import Comparison, branch_stats, compare
from agentform.state.lock import DEFAULT_LOCK_TTL_SECS
from agentform.state.model import RolloutEntry, RolloutStep
from agentform.state.record import RecordStore
from agentform.state.rollouts import RolloutError, active, split

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@contextlib.asynccontextmanager
async def record_under_lock(
    client: ElevenLabsClient, desired: Desired, *, holder: str, purpose: str
) -> AsyncIterator[RecordStore]:
    """The state record, read under the environment lock and written back through the store; raises `LockHeld`."""
    from agentform.plan.read import read_workspace
    from agentform.state.lock import environment_lock

    async with environment_lock(client, desired, holder=holder, purpose=purpose, ttl_secs=DEFAULT_LOCK_TTL_SECS):
        workspace = await read_workspace(client, desired)
        folder_id = workspace.documents_folder_id
        if folder_id is None:  # the lock's own document lives in it, so it exists by now
            raise RolloutError("the managed folder vanished while holding the lock")
        yield RecordStore(client, folder_id, workspace.record, workspace.record_document_id)


async def start(
    client: ElevenLabsClient,
    store: RecordStore,
    *,
    agent_key: str,
    agent_id: str,
    branch: str,
    branch_id: str,
    payload: dict[str, Any],
    percent: float,
    policy: RolloutPolicy | None = None,
    pull_request: int | None = None,
) -> RolloutEntry:
    """Record the rollout, then give the branch `percent` of the traffic; `policy` sets the steps after that one
    (those above `percent`), the thresholds and the interval."""
    running = store.record.rollouts.get(agent_key)
    if running is not None and running.status == "in_progress":
        raise RolloutError(
            f"agent {agent_key} already has a rollout of {running.branch} in progress: promote or abort it first"
        )
    main = await client.get_agent(agent_id)
    entry = RolloutEntry(
        agent_id=agent_id,
        branch=branch,
        branch_id=branch_id,
        main_branch_id=str(main["main_branch_id"]),
        payload=payload,
        started_at=0,
        pull_request=pull_request,
    )
    if policy is not None:
        entry.next_steps = [share for share in policy.steps if share > percent]
        entry.policy = policy
    split(entry, percent)  # a bad percentage fails before anything is recorded
    store.record.rollouts[agent_key] = entry
    return await _carry_out(client, store, agent_key, entry, "step", percent)


async def step(client: ElevenLabsClient, store: RecordStore, agent_key: str, percent: float) -> RolloutEntry:
    entry = active(store.record, agent_key)
    split(entry, percent)
    return await _carry_out(client, store, agent_key, entry, "step", percent)


async def promote(client: ElevenLabsClient, store: RecordStore, agent_key: str, decision: str) -> RolloutEntry:
    entry = active(store.record, agent_key)
    entry.decision = decision
    return await _carry_out(client, store, agent_key, entry, "promote")


async def abort(client: ElevenLabsClient, store: RecordStore, agent_key: str, decision: str) -> RolloutEntry:
    entry = active(store.record, agent_key)
    entry.decision = decision
    return await _carry_out(client, store, agent_key, entry, "abort")


async def resume(client: ElevenLabsClient, store: RecordStore, agent_key: str) -> str | None:
    """Finish the action a killed process left pending on the agent's rollout; what was finished, if anything."""
    entry = store.record.rollouts.get(agent_key)
    if entry is None or entry.pending is None:
        return None
    pending = entry.pending
    await _perform(client, store, agent_key, entry)
    await _done(store, entry)
    return f"finished the {pending} that an earlier run left pending"


async def _carry_out(
    client: ElevenLabsClient,
    store: RecordStore,
    agent_key: str,
    entry: RolloutEntry,
    action: str,
    percent: float | None = None,
) -> RolloutEntry:
    """Record the intent, act, clear the intent: a run killed in between leaves the intent for `resume`."""
    entry.pending, entry.pending_percent = action, percent  # type: ignore[assignment]
    await store.save()
    await _perform(client, store, agent_key, entry)
    await _done(store, entry)
    return entry


async def _perform(client: ElevenLabsClient, store: RecordStore, agent_key: str, entry: RolloutEntry) -> None:
    """The action `entry.pending` names."""
    if entry.pending == "step":
        await _step(client, entry, entry.pending_percent or 0.0)
    elif entry.pending == "promote":
        await _promote(client, store, agent_key, entry)
    else:
        await _abort(client, entry)


async def measure(client: ElevenLabsClient, entry: RolloutEntry) -> Comparison:
    """The branch against main: the conversations of each since the rollout started."""
    branch, main = [
        branch_stats(branch_id, name, await _conversations_since(client, entry.agent_id, branch_id, entry.started_at))
        for branch_id, name in ((entry.branch_id, entry.branch), (entry.main_branch_id, "main"))
    ]
    return compare(branch, main)


async def _conversations_since(
    client: ElevenLabsClient, agent_id: str, branch_id: str, started_at: int
) -> list[dict[str, Any]]:
    # The API's "after" may be strict: ask from the second before and keep what started at or after the start.
    found = await client.list_conversations(
        agent_id=agent_id, branch_id=branch_id, call_start_after_unix=started_at - 1
    )
    return [c for c in found if (c.get("start_time_unix_secs") or 0) >= started_at]


async def _done(store: RecordStore, entry: RolloutEntry) -> None:
    entry.pending, entry.pending_percent = None, None
    await store.save()


async def _step(client: ElevenLabsClient, entry: RolloutEntry, percent: float) -> None:
    await client.deploy(entry.agent_id, split(entry, percent))
    at = await _deployed_at(client, entry.agent_id)
    entry.steps.append(RolloutStep(percent=percent, at=at))
    if not entry.started_at:
        entry.started_at = at


async def _deployed_at(client: ElevenLabsClient, agent_id: str) -> int:
    """When the live split was applied, by the server's clock (the conversations' clock)."""
    history = await client.list_deployments(agent_id)
    live = next((item for item in history if item.get("is_active")), None)
    return int(live["deployed_at_unix_secs"]) if live else int(time.time())


async def _promote(client: ElevenLabsClient, store: RecordStore, agent_key: str, entry: RolloutEntry) -> None:
    """Merge the branch into main (unless main holds its payload already), all traffic to main, archive it."""
    from agentform.elevenlabs import NotFoundError
    from agentform.state.promotion import main_entry, merged_exactly

    main = await client.get_agent(entry.agent_id)
    if not merged_exactly(main, entry.payload):
        await client.merge_branch(entry.agent_id, entry.branch_id, target_branch_id=entry.main_branch_id)
        main = await client.get_agent(entry.agent_id)
        if not merged_exactly(main, entry.payload):
            raise RolloutError(
                f"merging {entry.branch} left main of {agent_key} different from the branch (main moved since the "
                "rollout started): apply the files to main, then `agentform rollout promote` again"
            )
    await client.deploy(entry.agent_id, {entry.main_branch_id: 100.0})
    with contextlib.suppress(NotFoundError):  # deleted by hand meanwhile: nothing left to archive
        await client.update_branch(entry.agent_id, entry.branch_id, is_archived=True)
    # Main now holds the branch's payload: its record entry says so, or the next plan would call it drift.
    store.record.agents[agent_key] = main_entry(entry.agent_id, entry.payload, main)
    entry.status, entry.finished_at = "promoted", await _deployed_at(client, entry.agent_id)


async def _abort(client: ElevenLabsClient, entry: RolloutEntry) -> None:
    await client.deploy(entry.agent_id, {entry.main_branch_id: 100.0})
    entry.status, entry.finished_at = "aborted", await _deployed_at(client, entry.agent_id)
