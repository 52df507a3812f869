"""Garbage collection of superseded content-addressed versions (docs/decisions/0054).

A changed document, tool or test is created as a new version so that a PR's agent branch can reference it while
main keeps the old one. Once main moved on (after an apply to main, or a deploy), an old version that no agent
branch references is removed. Only versions of keys that the files still declare are collected here: removing a
key altogether is a planned delete, carried out only with prune. `prevent_destroy` versions are kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from agentform.apply.journal import JournalEntry
from agentform.model import Desired
from agentform.plan.live import LiveState
from agentform.plan.payload import test_content_hash
from agentform.plan.state import RecordStore


def tool_versions(desired: Desired) -> dict[str, str]:
    """Tool key -> the token a test's content address uses for it (`plan.payload.test_content_hash`)."""
    return {key: tool.id or f"{key}@{tool.content_hash()}" for key, tool in desired.tools.items()}


def superseded(desired: Desired, live: LiveState) -> dict[str, list[str]]:
    """Candidate ids per kind: live versions of declared keys that are not the declared version."""
    versions = tool_versions(desired)
    documents = [
        d.id
        for d in live.documents
        if d.key in desired.documents
        and d.hash != desired.documents[d.key].content_hash()
        and not desired.documents[d.key].prevent_destroy
    ]
    tools = [
        t.id
        for t in live.tools
        if t.key in desired.tools
        and not t.adopted
        and t.hash is not None
        and t.hash != desired.tools[t.key].content_hash()
        and not desired.tools[t.key].prevent_destroy
    ]
    tests = [
        t.id
        for t in live.tests
        if t.address in desired.tests
        and t.hash != test_content_hash(desired.tests[t.address], versions)
        and not desired.tests[t.address].prevent_destroy
    ]
    return {"document": documents, "tool": tools, "test": tests}


def _has_dependents(answer: dict[str, Any]) -> bool:
    return bool(answer.get("agents") or answer.get("branches"))


async def _tests_referenced_by_branches(client: Any, live: LiveState, addresses: set[str]) -> set[str]:
    """Test ids attached on any unarchived branch of the agents that own the candidate tests."""
    agent_keys = {address.split("/", 1)[0] for address in addresses}
    agents = [agent for agent in live.agents if agent.key in agent_keys]
    branch_lists = await asyncio.gather(*(client.list_branches(agent.id) for agent in agents))
    reads = [
        (agent.id, branch["id"])
        for agent, branches in zip(agents, branch_lists, strict=True)
        for branch in branches
        if not branch.get("is_archived")
    ]
    payloads = await asyncio.gather(*(client.get_agent(agent_id, branch_id=bid) for agent_id, bid in reads))
    referenced: set[str] = set()
    for payload in payloads:
        testing = (payload.get("platform_settings") or {}).get("testing") or {}
        referenced |= {str(item.get("test_id")) for item in testing.get("attached_tests") or []}
    return referenced


async def collect_garbage(
    client: Any,
    desired: Desired,
    live: LiveState,
    *,
    log: Callable[[JournalEntry], Any] | None = None,
    store: RecordStore | None = None,
) -> list[str]:
    """Delete unreferenced superseded versions; the ids removed. Reads only when there are candidates."""
    candidates = superseded(desired, live)
    if not any(candidates.values()):
        return []
    doc_deps, tool_deps = await asyncio.gather(
        asyncio.gather(*(client.document_dependent_agents(i) for i in candidates["document"])),
        asyncio.gather(*(client.tool_dependent_agents(i) for i in candidates["tool"])),
    )
    test_addresses = {t.address for t in live.tests if t.id in candidates["test"]}
    in_use_tests = await _tests_referenced_by_branches(client, live, test_addresses) if test_addresses else set()
    doomed = (
        [("document", i) for i, deps in zip(candidates["document"], doc_deps, strict=True) if not _has_dependents(deps)]
        + [("tool", i) for i, deps in zip(candidates["tool"], tool_deps, strict=True) if not _has_dependents(deps)]
        + [("test", i) for i in candidates["test"] if i not in in_use_tests]
    )
    operation = {"document": "delete_document", "tool": "delete_tool", "test": "delete_test"}
    removed: list[str] = []
    for kind, live_id in doomed:
        try:
            await getattr(client, operation[kind])(live_id)
        except Exception as error:
            # Still referenced after all (a branch created meanwhile) or already gone: keep going.
            if getattr(error, "status", None) not in (404, 409, 400):
                raise
            continue
        removed.append(live_id)
        if store is not None:
            getattr(store.record, f"{kind}s").pop(live_id, None)
        if log is not None:
            log(
                JournalEntry(
                    step=0,
                    address=f"{kind}:{live_id}",
                    action="gc",
                    operation=operation[kind],
                    outcome="ok",
                    live_id=live_id,
                )
            )
    if store is not None and removed:
        await store.save()
    return removed
