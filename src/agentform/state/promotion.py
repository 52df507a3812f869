"""Main's state record entry when a tested agent branch becomes main (a deploy's merge, a rollout's promote).

Pure: what the record keeps for a plan's change to main, whether main holds it after a merge, and the entry.
"""

from __future__ import annotations

from typing import Any

from agentform.plan.agents import recordable
from agentform.plan.model import ResourceChange, refs_in
from agentform.plan.normalize import normalize_agent, payload_hash, project
from agentform.state.model import AgentEntry


def desired_record(change: ResourceChange | None) -> dict[str, Any] | None:
    """What the record would keep after applying `change` to main; None when it is not a plain agent update."""
    if change is None or change.kind != "agent" or change.action != "update" or change.conflict:
        return None
    if change.payload is None or refs_in(change.payload):
        # Placeholders mean a document, tool or test version that does not exist yet: no branch can carry it.
        return None
    return recordable(change.payload)


def merged_exactly(main_after: dict[str, Any], recorded: dict[str, Any]) -> bool:
    """True when main now holds `recorded` on every key the files set (server defaults elsewhere are fine)."""
    return project(normalize_agent(main_after), recorded) == recorded


def main_entry(agent_id: str, recorded: dict[str, Any], main_after: dict[str, Any]) -> AgentEntry:
    metadata = main_after.get("metadata") or {}
    return AgentEntry(
        id=agent_id,
        payload_hash=payload_hash(recorded),
        payload=recorded,
        updated_at=metadata.get("updated_at_unix_secs"),
        version_id=main_after.get("version_id"),
    )
