"""Garbage collection of superseded content-addressed versions (docs/decisions/0054).

A changed document, tool or test is created as a new version so that a PR's agent branch can reference it while
main keeps the old one. Once main moved on (after an apply to main, or a deploy), an old version that no agent
branch references is removed. Only versions of keys that the files still declare are collected here: removing a
key altogether is a planned delete, carried out only with prune. `prevent_destroy` versions are kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from agentform.apply.journal import JournalEntry
from agentform.model import Desired, DesiredDocument, DesiredTest, DesiredTool
from agentform.plan.live import LiveState
from agentform.plan.payload import test_content_hash
from agentform.plan.read import test_attachments
from agentform.plan.resources import current_document, current_test, tool_ids, tool_versions
from agentform.state.record import RecordStore

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

Declared = TypeVar("Declared", DesiredDocument, DesiredTool, DesiredTest)


def superseded(desired: Desired, live: LiveState) -> dict[str, list[str]]:
    """Candidate ids per kind: live versions of declared keys that are not the declared version."""
    versions = tool_versions(desired)
    # A pulled version is the desired one under the address it was created with (decision 0124).
    pulled = {
        document_version.id
        for document in desired.documents.values()
        if (document_version := current_document(document, live))
    }
    ids = tool_ids(desired, live)
    pulled |= {
        live_test.id for test in desired.tests.values() if (live_test := current_test(test, live, ids, versions))
    }
    documents = [
        d.id for d in live.documents if _stale(desired.documents, d.key, d.hash, _own_address) and d.id not in pulled
    ]
    tools = [
        t.id
        for t in live.tools
        if not t.adopted and t.hash is not None and _stale(desired.tools, t.key, t.hash, _own_address)
    ]
    tests = [
        t.id
        for t in live.tests
        if _stale(desired.tests, t.address, t.hash, lambda test: test_content_hash(test, versions))
        and t.id not in pulled
    ]
    return {"document": documents, "tool": tools, "test": tests}


def _stale(declared: Mapping[str, Declared], key: str, live_hash: str, address: Callable[[Declared], str]) -> bool:
    """True for a version of a declared key whose content address is not the declared one (and may go)."""
    wanted = declared.get(key)
    return wanted is not None and not wanted.prevent_destroy and live_hash != address(wanted)


def _own_address(resource: DesiredDocument | DesiredTool) -> str:
    return resource.content_hash()


def _has_dependents(answer: dict[str, Any] | None) -> bool:
    # None: the version is gone already (deleted by the apply that collects, or meanwhile): nothing to delete.
    return answer is None or bool(answer.get("agents") or answer.get("branches"))


async def _unless_gone(answer: Awaitable[dict[str, Any]]) -> dict[str, Any] | None:
    """The dependents of a candidate, or None when it no longer exists: collection starts from the plan's reads,
    and the apply may have deleted a superseded version itself (a planned delete)."""
    try:
        return await answer
    except Exception as error:
        if getattr(error, "status", None) != 404:
            raise
        return None


async def _tests_referenced_by_branches(client: ElevenLabsClient, live: LiveState, addresses: set[str]) -> set[str]:
    """Test ids attached on any unarchived branch of the agents that own the candidate tests."""
    agent_keys = {address.split("/", 1)[0] for address in addresses}
    return set(await test_attachments(client, [agent for agent in live.agents if agent.key in agent_keys]))


def _rollback_references(live: LiveState, store: RecordStore | None) -> set[str]:
    """The ids the state record's rollback points reference: from the apply's own record, else the one read."""
    record = store.record if store is not None else live.record
    return record.deploy.protected_ids() if record is not None else set()


async def collect_garbage(
    client: ElevenLabsClient,
    desired: Desired,
    live: LiveState,
    *,
    log: Callable[[JournalEntry], Any] | None = None,
    store: RecordStore | None = None,
) -> list[str]:
    """Delete unreferenced superseded versions; the ids removed. Reads only when there are candidates.

    A version a recorded rollback point references stays (docs/decisions/0080): a rollback must find it."""
    candidates = superseded(desired, live)
    if not any(candidates.values()):
        return []
    protected = _rollback_references(live, store)
    candidates = {kind: [i for i in ids if i not in protected] for kind, ids in candidates.items()}
    doc_deps, tool_deps = await asyncio.gather(
        asyncio.gather(*(_unless_gone(client.document_dependent_agents(i)) for i in candidates["document"])),
        asyncio.gather(*(_unless_gone(client.tool_dependent_agents(i)) for i in candidates["tool"])),
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
