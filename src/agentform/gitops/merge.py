"""Deploy's merge step: promote the agent branch that was tested instead of re-applying its change.

A branch is merged only when it is up to date with what was tested and with what was merged in git:

- the state record's entry for the branch (written by `apply --branch`) has the same payload hash as the payload
  the main plan would send now, i.e. the merged files say exactly what the branch carries;
- the branch tip is still the version that apply wrote (nobody edited the branch after its tests ran).

Otherwise the change is applied to main directly, as the plan says. After a merge, main must equal the desired
payload on every key the files set; if the server's 3-way merge produced anything else (main moved in between),
the plan's PATCH is kept and settles it. Either way the state record ends with main's last-applied payload, so the
next plan sees no drift where there is none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentform.gitops.outcome import AgentBranch
from agentform.plan.model import Plan
from agentform.plan.normalize import payload_hash
from agentform.state.model import BranchEntry, StateRecord
from agentform.state.promotion import desired_record, main_entry, merged_exactly

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@dataclass(frozen=True)
class Candidate:
    name: str
    entry: BranchEntry


def candidates(record: StateRecord, agent_key: str, wanted_hash: str, prefer: str | None) -> list[Candidate]:
    """Branches whose recorded payload for the agent is `wanted_hash`: the preferred name first, then newest."""
    found = [
        Candidate(name, entries[agent_key])
        for name, entries in record.branches.items()
        if agent_key in entries and entries[agent_key].payload_hash == wanted_hash
    ]
    return sorted(found, key=lambda c: (c.name != prefer, -(c.entry.applied_at or 0.0), c.name))


@dataclass(frozen=True)
class Promotable:
    """An agent whose planned update a tested branch may carry to main (by a merge or a canary)."""

    key: str
    agent_id: str
    payload: dict[str, Any]  # what the record keeps once main has it
    candidates: list[Candidate]


def promotable(plan: Plan, record: StateRecord, agent_keys: Iterable[str], prefer: str | None) -> Iterator[Promotable]:
    """Each of `agent_keys` that the plan updates in place, with the branches tested with exactly that payload.

    Lazy: each agent's candidates are read from `record` when its turn comes, after the previous one was promoted.
    """
    for key in agent_keys:
        change = plan.change_for(f"agent.{key}")
        payload = desired_record(change)
        if payload is None or change is None or change.live_id is None:
            continue
        yield Promotable(key, change.live_id, payload, candidates(record, key, payload_hash(payload), prefer))


async def merge_tested_branches(
    client: ElevenLabsClient, plan: Plan, record: StateRecord, agent_keys: Iterable[str], *, prefer: str | None
) -> tuple[list[AgentBranch], Plan]:
    """Merge each agent's tested branch into main; returns what was merged and the plan without those agents.

    `record` is updated in place (main's last-applied entry of each merged agent); the caller saves it.
    """
    merged: list[AgentBranch] = []
    for agent in promotable(plan, record, agent_keys, prefer):
        branch = await _merge_first_fresh(client, agent.agent_id, agent.candidates)
        if branch is None:
            continue
        main_after = await client.get_agent(agent.agent_id)
        exact = merged_exactly(main_after, agent.payload)
        if exact:
            record.agents[agent.key] = main_entry(agent.agent_id, agent.payload, main_after)
        merged.append(
            AgentBranch(
                agent.key,
                agent.agent_id,
                branch.entry.branch_id,
                branch.name,
                "merged into main" if exact else "merged into main; plan applied on top (main had moved)",
                main_after.get("version_id"),
            )
        )
    exact_keys = {b.agent_key for b in merged if b.action == "merged into main"}
    remaining = [c for c in plan.changes if not (c.kind == "agent" and c.key in exact_keys)]
    return merged, plan.model_copy(update={"changes": remaining})


async def _merge_first_fresh(client: ElevenLabsClient, agent_id: str, found: list[Candidate]) -> Candidate | None:
    """Merge the first candidate whose tip is still the tested version; None when none qualifies."""
    from agentform.elevenlabs import ApiError

    for candidate in found:
        entry = candidate.entry
        try:
            tip = await client.get_agent(agent_id, branch_id=entry.branch_id)
            if entry.version_id is None or tip.get("version_id") != entry.version_id:
                continue
            main = await client.get_agent(agent_id)
            await client.merge_branch(agent_id, entry.branch_id, target_branch_id=main["main_branch_id"])
        except ApiError:
            # Archived, deleted or conflicting: the plain apply below still gets main to the merged files.
            continue
        return candidate
    return None
