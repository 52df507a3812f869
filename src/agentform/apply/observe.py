"""What an apply records of its own writes to agents, with no wait and no read-back (docs/decisions/0110).

A plan skips an agent's detail read when its list timestamp still equals what the state record vouches for
(docs/decisions/0050). Timestamps are whole seconds, so a timestamp alone cannot tell our write from a dashboard
edit made in the same second: the record vouches only for what is certain.

- A created agent: nobody can edit it within the second it was created in (its id was not known yet), so a list
  timestamp equal to its creation time vouches for it. The create answers with the id only; nothing is read.
- An updated agent: the update answers with the new `version_id` and timestamp, which the record keeps unverified;
  the next plan reads the agent (one GET) and compares. A later apply marks the entry verified once a read made
  after the clock left that second still saw our version.

Documents and tests follow the same rule in `executor._save`: created versions by their creation time, repaired ones
by their content. Tools adopted through `id:` get the config their file and the live tool agree on after the apply
(`record_adopted_tools`): `pull`'s base for telling which side changed later.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from agentform.plan.live import LiveState
from agentform.plan.model import Plan, resolve_refs
from agentform.plan.normalize import normalize_tool, payload_hash
from agentform.state.model import AdoptedToolEntry, AgentEntry, StateRecord


def agent_entry(agent_id: str, sent: dict[str, Any], answer: dict[str, Any] | None) -> AgentEntry:
    """The record entry after a write of `sent` (normalised) to an agent; `answer` is the update's, None after a
    create (which answers with the id only).

    A created agent is vouched for by its creation time: nobody can edit it within the second it was created in,
    its id not being known yet. An updated agent's timestamp cannot vouch for it yet (an edit in the same second
    would share it): the next plan reads it, and the next apply marks it verified (`verify_agents`).
    """
    if answer is None:
        return AgentEntry(id=agent_id, payload_hash=payload_hash(sent), payload=sent, verified=True)
    return AgentEntry(
        id=agent_id,
        payload_hash=payload_hash(sent),
        payload=sent,
        updated_at=(answer.get("metadata") or {}).get("updated_at_unix_secs"),
        version_id=answer.get("version_id"),
    )


def verify_agents(record: StateRecord, live: LiveState) -> None:
    """Mark verified the agents whose entry the plan's reads proved: a GET that still saw our `version_id`, with the
    list timestamp unchanged since our write and older than the record document the plan listed before that GET
    (so the read came after the server's clock left the timestamp's second, and any later edit moves it)."""
    for agent in live.agents:
        entry = record.agents.get(agent.key)
        if entry is None or entry.verified or entry.updated_at is None or agent.payload is None:
            continue
        if (
            entry.id == agent.id
            and agent.version_id == entry.version_id
            and agent.updated_at == entry.updated_at
            and _read_after_its_second(agent.updated_at, live)
        ):
            entry.verified = True


def verify_versions(record: StateRecord, live: LiveState, plan: Plan) -> None:
    """Vouch for repaired document and test versions whose content the plan read and found as git wants it, under
    the same condition on the clock as `verify_agents`: their timestamp becomes the recorded one."""
    drifted = {change.address for change in plan.changes if change.drift}
    # (record field, address, live id, content read or None, list timestamp)
    versions: list[tuple[str, str, str, Any, int | None]] = [
        ("documents", f"document.{d.key}", d.id, d.text, d.updated_at) for d in live.documents
    ]
    versions += [("tests", f"test.{t.address}", t.id, t.body, t.updated_at) for t in live.tests]
    for kind, address, live_id, content, stamp in versions:
        entry = getattr(record, kind).get(live_id)
        if entry is None or entry.verified or content is None or address in drifted:
            continue
        if _read_after_its_second(stamp, live):
            entry.updated_at, entry.verified = stamp, True


def _read_after_its_second(stamp: int | None, live: LiveState) -> bool:
    """Whether detail reads of the plan came after the second `stamp` names: the plan listed the record document
    with a later timestamp before it read any detail."""
    return stamp is not None and live.record_updated_at is not None and live.record_updated_at > stamp


def record_adopted_tools(
    record: StateRecord, plan: Plan, live: LiveState, ids: Mapping[str, str], failed: Collection[str]
) -> bool:
    """Record, for each tool adopted through `id:`, the config its file and the live tool agree on after this apply:
    the live one when the plan left it as it was, the one sent when the plan updated it. Whether any entry changed."""
    adopted = {tool.id: tool for tool in live.tools if tool.adopted}
    changed = False
    for change in plan.changes:
        tool = adopted.get(change.live_id or "")
        if change.kind != "tool" or tool is None or change.address in failed:
            continue
        if change.action == "update" and change.payload is not None:
            agreed = normalize_tool(resolve_refs(change.payload, ids))
        elif change.action == "no-op" and tool.tool_config is not None:
            agreed = normalize_tool({"tool_config": tool.tool_config, "response_mocks": tool.response_mocks})
        else:
            continue
        entry = AdoptedToolEntry(key=change.key, payload=agreed)
        if record.adopted_tools.get(tool.id) != entry:
            record.adopted_tools[tool.id] = entry
            changed = True
    return changed
