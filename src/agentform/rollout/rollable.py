"""Which agent branch may be rolled out: one that carries exactly the files' change to main (pure).

Promoting merges the branch into main, so the branch must hold what the files say main should be; `apply --branch`
records the payload hash it wrote to each branch, and the plan of main from the files gives the payload wanted.
This is the rule `ci deploy` merges by (`gitops/merge.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentform.plan.model import Plan
from agentform.plan.normalize import payload_hash
from agentform.state.model import BranchEntry, StateRecord
from agentform.state.promotion import desired_record
from agentform.state.rollouts import RolloutError


@dataclass(frozen=True)
class RollableBranch:
    agent_id: str
    entry: BranchEntry
    # Main's payload once the branch is merged (recordable): the state record's entry after the promote.
    payload: dict[str, Any]


def rollable_branch(plan: Plan, record: StateRecord, agent_key: str, branch: str) -> RollableBranch:
    """The branch `branch` of the agent, when it carries the plan's change to main; else a `RolloutError` that says
    what to do."""
    change = plan.change_for(f"agent.{agent_key}")
    if change is None or change.live_id is None:
        raise RolloutError(f"agent {agent_key} is not in the files or does not exist live: apply it first")
    if change.action == "no-op":
        raise RolloutError(f"main of {agent_key} already matches the files: there is no change to roll out")
    payload = desired_record(change)
    if payload is None:
        raise RolloutError(
            f"the files' change to {agent_key} is not a plain update of main (new document, tool or test versions "
            f"are not live yet, or main drifted): run `agentform apply --branch {branch}` first"
        )
    entry = record.branches.get(branch, {}).get(agent_key)
    if entry is None:
        raise RolloutError(f"agent {agent_key} has no branch {branch} written by `agentform apply --branch {branch}`")
    if entry.payload_hash != payload_hash(payload):
        raise RolloutError(
            f"branch {branch} of {agent_key} does not carry the files' change: run `agentform apply --branch {branch}`"
            " (and test it) first"
        )
    return RollableBranch(change.live_id, entry, payload)
