"""One apply's mutable state and its bookkeeping in the state record (docs/decisions/0052, 0113).

`Run` holds what the executor learns as writes finish (ids, failures, what was created) and makes the managed
folders and the record store once however many writes ask. The functions below fold each result into the record
and write it: the intents of tool creates first, then as few record writes as stay consistent (the executor says
when).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentform.apply.journal import Journal, JournalEntry
from agentform.apply.observe import verify_agents, verify_versions
from agentform.model import Desired
from agentform.plan import identity
from agentform.plan.model import Plan, ResourceChange, refs_in
from agentform.plan.read import Workspace
from agentform.plan.secrets import verify_secrets
from agentform.state.folder import ensure_folder, ensure_test_folder
from agentform.state.model import AgentEntry, PendingIntent, ResourceEntry
from agentform.state.record import RecordStore

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

Progress = Callable[[JournalEntry], None]


@dataclass(eq=False)
class Run:
    """The mutable state of one apply."""

    client: ElevenLabsClient
    plan: Plan
    desired: Desired
    workspace: Workspace
    journal: Journal
    progress: Progress | None
    # Address -> live id, from the plan and filled as creates succeed; `$ref:` placeholders resolve through it.
    ids: dict[str, str] = field(init=False)
    failed_addresses: set[str] = field(default_factory=set)
    store: RecordStore | None = None
    # Key -> the record entry of each agent written on main, made as its answer arrives (while others are in flight).
    written_agents: dict[str, AgentEntry] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)
    created_names: dict[str, str] = field(default_factory=dict)
    branch_entries_unsaved: bool = False
    step: int = 0
    started: Callable[[ResourceChange], None] | None = None
    # The client's count of retried creates when the apply began: one retried since may have left a twin.
    posts_retried_at_start: int | None = None
    # One creation per managed folder and one record store, however many changes ask at once.
    folders: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    store_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The record holds results not written yet (folded in memory, written by the next save).
    unsaved: bool = False
    deleted_secrets: set[str] = field(default_factory=set)
    # Address -> the addresses its payload and `depends_on` name, walked once per change.
    references: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids = {c.address: c.live_id for c in self.plan.changes if c.live_id}
        if self.workspace.documents_folder_id:
            self.ids.setdefault("folder.documents", self.workspace.documents_folder_id)
        if self.workspace.tests_folder_id:
            self.ids.setdefault("folder.tests", self.workspace.tests_folder_id)

    def referenced(self, change: ResourceChange) -> set[str]:
        if change.address not in self.references:
            self.references[change.address] = refs_in(change.payload) | set(change.depends_on)
        return self.references[change.address]

    def log(self, entry: JournalEntry) -> JournalEntry:
        self.journal.add(entry)
        if self.progress is not None:
            self.progress(entry)
        return entry

    async def folder(self, address: str) -> str:
        """The id of managed folder `address` (`folder.documents` or `folder.tests`), created when missing."""
        if address in self.ids:
            return self.ids[address]
        if address not in self.folders:
            self.folders[address] = asyncio.ensure_future(self._create_folder(address))
        return await self.folders[address]

    async def _create_folder(self, address: str) -> str:
        name = identity.folder_name(self.plan.project, self.plan.environment)
        ensure = ensure_folder if address == "folder.documents" else ensure_test_folder
        folder_id = await ensure(self.client, name)
        self.ids[address] = self.created[address] = folder_id
        return folder_id

    async def record_store(self) -> RecordStore:
        async with self.store_lock:
            if self.store is None:
                folder_id = await self.folder("folder.documents")
                record = self.workspace.record.model_copy(deep=True)
                verify_agents(record, self.workspace.live)
                verify_versions(record, self.workspace.live, self.plan)
                verify_secrets(record, self.workspace.live.secrets)
                # Tools recovered from an interrupted create become ours for good.
                for tool_id, key in self.workspace.recovered_tools.items():
                    content = self.desired.tools[key].content_hash()
                    record.tools[tool_id] = ResourceEntry(id=tool_id, key=key, hash=content)
                self.store = RecordStore(self.client, folder_id, record, self.workspace.record_document_id)
            return self.store


async def save_intents(run: Run, changes: list[ResourceChange]) -> None:
    """Save the intents of the tool creates before any tool or secret create starts (the module docstring)."""
    tools = [c for c in changes if c.kind == "tool" and c.action in ("create", "replace")]
    store = await run.record_store()
    # The intents of this apply's creates replace any left over: those were recovered by the read, or never created.
    store.record.pending = [
        PendingIntent(
            kind="tool", key=c.key, hash=c.hash or run.desired.tools[c.key].content_hash(), started_at=time.time()
        )
        for c in tools
    ]
    await store.save()


async def save(run: Run, changes: list[ResourceChange]) -> None:
    """Fold the results of `changes` into the record and write it once, if anything is unsaved."""
    await fold(run, changes)
    if run.unsaved:
        await (await run.record_store()).save()
        run.unsaved = False


async def fold(run: Run, changes: list[ResourceChange]) -> bool:
    """Record the results of `changes` in the record (not written yet); whether that changed it."""
    changed = False
    for change in changes:
        if change.address in run.failed_addresses:
            continue
        if change.kind in ("folder",) or (change.kind == "agent" and change.action != "delete"):
            continue
        record = (await run.record_store()).record
        changed |= _folded(run, change, getattr(record, f"{change.kind}s"))
        if change.kind == "secret" and change.action == "delete":
            # A twin or stranger pruned: the secrets that remain may be trusted again (`verify_secrets`).
            run.deleted_secrets.update(change.delete_ids or [change.live_id or ""])
            verify_secrets(record, [s for s in run.workspace.live.secrets if s.id not in run.deleted_secrets])
            changed = True
    if any(c.kind == "tool" for c in changes):
        store = await run.record_store()
        # A failed create keeps its intent: its tool may exist anyway (the answer was lost), and the next read
        # must be able to recognise it.
        done = {c.key for c in changes if c.kind == "tool" and c.address not in run.failed_addresses}
        store.record.pending = [p for p in store.record.pending if p.key not in done]
        changed = True
    run.unsaved |= changed
    return changed


def _folded(run: Run, change: ResourceChange, entries: dict[str, Any]) -> bool:
    """Record one successful change in `entries` (the record's entries of its kind); whether that changed them."""
    if change.action == "delete":
        # Agents are recorded by key, everything else by live id.
        gone = [change.key] if change.kind == "agent" else change.delete_ids or [change.live_id or ""]
        return any([entries.pop(key, None) is not None for key in gone])
    live_id = run.ids[change.address]
    if change.kind == "secret":
        # The recorded name (with its tag of the value) lets a plan trust the record instead of listing secrets
        # (docs/decisions/0112); one made while the client retried a create may have a twin: not trusted yet.
        entry = entries.setdefault(live_id, ResourceEntry(id=live_id, key=change.key, hash=""))
        retried = run.posts_retried_at_start is None or retried_posts(run.client) != run.posts_retried_at_start
        entry.hash, entry.verified = change.hash or "", not retried
        return True
    # Only what we created is ours: an adopted tool (`id:` in its file) is updated in place, never collected.
    if change.action in ("create", "replace") and live_id not in entries:
        entries[live_id] = ResourceEntry(id=live_id, key=change.key, hash=change.hash or "")
        return True
    if change.kind in ("document", "test") and change.action == "update":
        # A repaired version: an edit in the second of our write would not move its timestamp, so plans compare
        # its content until one proves it (`verify_versions`; docs/decisions/0110). A version found by its
        # marker alone becomes recorded too.
        entry = entries.setdefault(live_id, ResourceEntry(id=live_id, key=change.key, hash=change.hash or ""))
        entry.updated_at, entry.verified = None, False
        return True
    return False


async def record_agents(run: Run) -> None:
    """Record what we wrote to agents, from the writes' answers (docs/decisions/0110); save the record if needed."""
    if not (run.written_agents or run.branch_entries_unsaved or run.unsaved):
        return
    store = await run.record_store()
    store.record.agents.update(run.written_agents)
    await store.save()
    run.unsaved = False


def retried_posts(client: ElevenLabsClient) -> int | None:
    """How many POST attempts the client retried so far; None when it does not tell (then assume some were)."""
    counts = getattr(client, "retry_counts", None)
    return None if counts is None else counts["POST"]
