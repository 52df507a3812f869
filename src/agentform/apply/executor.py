"""Executing a plan: stages in dependency order, bounded parallelism within a stage, journal, state record.

Order (docs/decisions/0040, 0052): folders -> documents and tools -> tests -> agents; then deletes in reverse
(agents -> tests -> documents and tools). Within a stage every change runs concurrently; the client's semaphore
bounds how many requests are in flight. A change whose payload names a `$ref:` that failed is skipped, and no later
stage starts after a failure, so a failed apply leaves a consistent prefix that a re-run completes.

The state record is saved once per stage (not per step: that would double the writes), plus once before a stage
that creates tools, holding the create intents (tools carry no marker; see `state/record.py`).

Nothing is waited for and nothing is read back that a write's answer tells (docs/decisions/0110): an agent's update
answers with its `version_id` and timestamp, which the record keeps; a created agent, document or test is vouched for
by its creation time. Garbage collection works from the plan's reads; the twins of retried creates are looked for
only when the client retried a create.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentform.apply import operations
from agentform.apply.dedupe import remove_retry_duplicates
from agentform.apply.journal import Journal, JournalEntry
from agentform.apply.observe import agent_entry, record_adopted_tools, verify_agents, verify_versions
from agentform.model import Desired
from agentform.plan import identity
from agentform.plan.agents import recordable
from agentform.plan.model import Plan, ResourceChange, refs_in, resolve_refs
from agentform.plan.normalize import payload_hash
from agentform.plan.read import Workspace, find_branch, read_workspace
from agentform.state.folder import ensure_folder, ensure_test_folder
from agentform.state.model import BranchEntry, PendingIntent, ResourceEntry
from agentform.state.record import RecordStore

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

_STAGE_OF_KIND = {"folder": 0, "secret": 0, "document": 1, "tool": 1, "test": 2, "agent": 3}
_DELETE_STAGE_OF_KIND = {"agent": 4, "test": 5, "document": 6, "tool": 6, "secret": 7}

Progress = Callable[[JournalEntry], None]


class ApplyRefused(Exception):
    """The plan cannot be applied as it stands (a drift conflict); nothing was sent."""


@dataclass
class ApplyResult:
    """What an apply did: ids by address, the journal, and the count of API writes it took."""

    ids: dict[str, str] = field(default_factory=dict)
    journal: Journal = field(default_factory=Journal)
    failed: list[JournalEntry] = field(default_factory=list)
    skipped: list[JournalEntry] = field(default_factory=list)
    garbage_collected: list[str] = field(default_factory=list)
    duplicates_removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped


def stages(plan: Plan, *, prune: bool) -> list[list[ResourceChange]]:
    """The changes apply carries out, grouped by stage in execution order."""
    grouped: dict[int, list[ResourceChange]] = {}
    for change in plan.changes:
        if not change.is_change:
            continue
        if change.action == "delete":
            if prune:
                grouped.setdefault(_DELETE_STAGE_OF_KIND[change.kind], []).append(change)
            continue
        grouped.setdefault(_STAGE_OF_KIND[change.kind], []).append(change)
    return [grouped[stage] for stage in sorted(grouped)]


@dataclass(eq=False)
class _Run:
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
    written_agents: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)
    created_names: dict[str, str] = field(default_factory=dict)
    branch_entries_unsaved: bool = False
    step: int = 0
    started: Callable[[ResourceChange], None] | None = None

    def __post_init__(self) -> None:
        self.ids = {c.address: c.live_id for c in self.plan.changes if c.live_id}
        if self.workspace.documents_folder_id:
            self.ids.setdefault("folder.documents", self.workspace.documents_folder_id)
        if self.workspace.tests_folder_id:
            self.ids.setdefault("folder.tests", self.workspace.tests_folder_id)

    def log(self, entry: JournalEntry) -> JournalEntry:
        self.journal.add(entry)
        if self.progress is not None:
            self.progress(entry)
        return entry

    async def record_store(self) -> RecordStore:
        if self.store is None:
            folder_id = self.ids.get("folder.documents") or await ensure_folder(
                self.client, identity.folder_name(self.plan.project, self.plan.environment)
            )
            self.ids["folder.documents"] = folder_id
            record = self.workspace.record.model_copy(deep=True)
            verify_agents(record, self.workspace.live)
            verify_versions(record, self.workspace.live, self.plan)
            # Tools recovered from an interrupted create become ours for good.
            for tool_id, key in self.workspace.recovered_tools.items():
                record.tools[tool_id] = ResourceEntry(id=tool_id, key=key, hash=self.desired.tools[key].content_hash())
            self.store = RecordStore(self.client, folder_id, record, self.workspace.record_document_id)
        return self.store


async def apply_plan(
    client: ElevenLabsClient,
    plan: Plan,
    desired: Desired,
    *,
    prune: bool,
    branch: str | None = None,
    progress: Progress | None = None,
    journal: Journal | None = None,
    workspace: Workspace | None = None,
    collect: bool = True,
    started: Callable[[ResourceChange], None] | None = None,
) -> ApplyResult:
    """Carry out `plan`; see the module docstring. `workspace` saves re-reading what the plan was made from.
    `collect=False` leaves garbage collection to the caller (a deploy collects only after its smoke tests pass);
    `started(change)` is called as each operation begins (log lines for non-terminals, `apply/progress_lines.py`)."""
    if plan.has_conflicts:
        conflicts = ", ".join(c.address for c in plan.changes if c.conflict)
        raise ApplyRefused(f"drift conflict on {conflicts}: choose a side with --on-drift git-wins|live-wins")
    branch = branch if branch is not None else plan.branch
    workspace = workspace or await read_workspace(client, desired)
    run = _Run(client, plan, desired, workspace, journal or Journal(), progress, started=started)
    result = ApplyResult(journal=run.journal)
    retried_posts = _retried_posts(client)
    for stage in stages(plan, prune=prune):
        await _folders(run, stage)
        await _intents(run, stage)
        await asyncio.gather(*(_execute(run, change, branch) for change in stage))
        await _save(run, stage)
        if run.failed_addresses:
            break
    if run.created and (retried_posts is None or _retried_posts(client) != retried_posts):
        result.duplicates_removed = await remove_retry_duplicates(
            client, desired, workspace, run.created, run.log, run.created_names
        )
    await _record_agents(run)
    if run.store is not None and record_adopted_tools(
        run.store.record, plan, workspace.live, run.ids, run.failed_addresses
    ):
        await run.store.save()
    if (
        collect
        and branch is None
        and not run.failed_addresses
        and (run.created or run.written_agents or _garbage_planned(plan))
    ):
        from agentform.apply.gc import collect_garbage

        # The plan's reads name every version that existed; what this apply created is the declared version.
        result.garbage_collected = await collect_garbage(client, desired, workspace.live, log=run.log, store=run.store)
    if workspace.recovered_tools:
        # Tools found through an interrupted create's intent become ours for good (`record_store` adds them).
        store = await run.record_store()
        recovered = set(workspace.recovered_tools.values())
        store.record.pending = [p for p in store.record.pending if p.key not in recovered]
        await store.save()
    result.ids = run.ids
    result.failed = run.journal.of("failed")
    result.skipped = run.journal.of("skipped")
    return result


async def _folders(run: _Run, stage: list[ResourceChange]) -> None:
    """Create the managed folders a stage's payloads wait for (the plan refers to them as `$ref:folder.*`)."""
    wanted = set().union(*(refs_in(change.payload) for change in stage)) - set(run.ids)
    name = identity.folder_name(run.plan.project, run.plan.environment)
    if "folder.documents" in wanted:
        run.ids["folder.documents"] = await ensure_folder(run.client, name)
        run.created["folder.documents"] = run.ids["folder.documents"]
    if "folder.tests" in wanted:
        run.ids["folder.tests"] = await ensure_test_folder(run.client, name)
        run.created["folder.tests"] = run.ids["folder.tests"]


async def _intents(run: _Run, stage: list[ResourceChange]) -> None:
    tools = [c for c in stage if c.kind == "tool" and c.action in ("create", "replace")]
    if not tools:
        return
    store = await run.record_store()
    store.record.pending = [
        PendingIntent(
            kind="tool", key=c.key, hash=c.hash or run.desired.tools[c.key].content_hash(), started_at=time.time()
        )
        for c in tools
    ]
    await store.save()


async def _execute(run: _Run, change: ResourceChange, branch: str | None) -> None:
    run.step += 1
    step = run.step
    waiting = (refs_in(change.payload) | set(change.depends_on)) & run.failed_addresses
    if waiting:
        run.failed_addresses.add(change.address)
        run.log(_entry(step, change, "-", "skipped", error=f"not attempted: {', '.join(sorted(waiting))} failed"))
        return
    if run.started is not None:
        run.started(change)
    try:
        if change.action == "delete":
            for live_id in change.delete_ids or [change.live_id or ""]:
                operation = await operations.delete(run.client, change.kind, live_id)
                run.log(_entry(step, change, operation, "ok", live_id=live_id))
            return
        payload = resolve_refs(change.payload or {}, run.ids)
        if change.action in ("create", "replace"):
            outcome = await operations.create(run.client, change, payload, run.desired)
            run.created[change.address] = outcome.live_id
            run.created_names[change.address] = str(payload.get("name") or "")
        elif branch is not None and change.kind == "agent":
            outcome = await _update_branch(run, change, payload, branch)
        else:
            outcome = await operations.update(run.client, change, payload, run.desired)
        run.ids[change.address] = outcome.live_id
        # Main's record entry: creates land on main even with --branch; branch updates are recorded per branch.
        if change.kind == "agent" and (branch is None or change.action == "create"):
            run.written_agents[change.key] = (outcome.live_id, payload, outcome.response)
        run.log(_entry(step, change, outcome.operation, "ok", live_id=outcome.live_id, request=_summary(payload)))
    except Exception as error:
        run.failed_addresses.add(change.address)
        run.log(_entry(step, change, _operation_name(change), "failed", live_id=change.live_id, error=str(error)))


async def _update_branch(run: _Run, change: ResourceChange, payload: dict[str, Any], name: str) -> operations.Outcome:
    """PATCH the agent's branch `name`, creating it from main's current version when missing."""
    agent_id = change.live_id or ""
    found = find_branch(await run.client.list_branches(agent_id), name)
    if found is None:
        main = await run.client.get_agent(agent_id)
        created = await run.client.create_branch(
            agent_id,
            parent_version_id=main["version_id"],
            name=name,
            description=f"agentform: {operations.version_description(run.desired, change)}",
        )
        branch_id = str(created["created_branch_id"])
    else:
        branch_id = str(found["id"])
    outcome = await operations.update(run.client, change, payload, run.desired, branch_id=branch_id)
    store = await run.record_store()
    store.record.branches.setdefault(name, {})[change.key] = BranchEntry(
        agent_id=agent_id,
        branch_id=branch_id,
        payload_hash=payload_hash(recordable(payload)),
        version_id=(outcome.response or {}).get("version_id"),
        source_revision=run.desired.settings.source_revision,
        applied_at=time.time(),
    )
    run.branch_entries_unsaved = True
    return operations.Outcome(agent_id, None, "update_agent")


async def _save(run: _Run, stage: list[ResourceChange]) -> None:
    """Fold the stage's results into the record and write it once."""
    changed = False
    store = None
    for change in stage:
        if change.address in run.failed_addresses:
            continue
        if change.kind in ("folder",) or (change.kind == "agent" and change.action != "delete"):
            continue
        store = store or await run.record_store()
        entries = getattr(store.record, f"{change.kind}s")
        if change.action == "delete":
            for live_id in change.delete_ids or [change.live_id or ""]:
                changed |= entries.pop(live_id, None) is not None
            if change.kind == "agent":
                changed |= store.record.agents.pop(change.key, None) is not None
            continue
        live_id = run.ids[change.address]
        # Only what we created is ours: an adopted tool (`id:` in its file) is updated in place, never collected.
        if change.action in ("create", "replace") and live_id not in entries:
            entries[live_id] = ResourceEntry(id=live_id, key=change.key, hash=change.hash or "")
            changed = True
        elif change.kind in ("document", "test") and change.action == "update":
            # A repaired version: an edit in the second of our write would not move its timestamp, so plans compare
            # its content until one proves it (`verify_versions`; docs/decisions/0110). A version found by its
            # marker alone becomes recorded too.
            entry = entries.setdefault(live_id, ResourceEntry(id=live_id, key=change.key, hash=change.hash or ""))
            entry.updated_at, entry.verified = None, False
            changed = True
    if any(c.kind == "tool" for c in stage):
        store = store or await run.record_store()
        # A failed create keeps its intent: its tool may exist anyway (the answer was lost), and the next read
        # must be able to recognise it.
        done = {c.key for c in stage if c.kind == "tool" and c.address not in run.failed_addresses}
        store.record.pending = [p for p in store.record.pending if p.key not in done]
        changed = True
    if changed and store is not None:
        await store.save()


async def _record_agents(run: _Run) -> None:
    """Record what we wrote to agents, from the writes' answers (docs/decisions/0110); save the record if needed."""
    if not run.written_agents:
        if run.branch_entries_unsaved:
            await (await run.record_store()).save()
        return
    store = await run.record_store()
    for key, (agent_id, payload, answer) in run.written_agents.items():
        store.record.agents[key] = agent_entry(agent_id, recordable(payload), answer)
    await store.save()


def _retried_posts(client: ElevenLabsClient) -> int | None:
    """How many POST attempts the client retried so far; None when it does not tell (then assume some were)."""
    counts = getattr(client, "retry_counts", None)
    return None if counts is None else counts["POST"]


def _garbage_planned(plan: Plan) -> bool:
    """Whether the plan deletes a version of a content-addressed resource, which collection carries out without
    prune (decision 0054): a plan made of such deletes alone writes nothing else that would start it."""
    return any(c.action == "delete" and c.is_change and c.kind != "agent" for c in plan.changes)


def _entry(
    step: int,
    change: ResourceChange,
    operation: str,
    outcome: Any,
    *,
    live_id: str | None = None,
    request: dict[str, Any] | None = None,
    error: str | None = None,
) -> JournalEntry:
    return JournalEntry(
        step=step,
        address=change.address,
        action=change.action,
        operation=operation,
        outcome=outcome,
        live_id=live_id,
        request=request or {},
        error=error,
    )


def _summary(payload: dict[str, Any]) -> dict[str, Any]:
    # Names and top-level keys only: bodies may hold secrets and are in the plan anyway.
    summary: dict[str, Any] = {"keys": sorted(payload)}
    name = payload.get("name") or (payload.get("tool_config") or {}).get("name")
    if name:
        summary["name"] = name
    return summary


def _operation_name(change: ResourceChange) -> str:
    if change.action == "delete":
        return operations.DELETE_OPERATIONS.get(change.kind, "delete")
    verb = "create" if change.action in ("create", "replace") else "update"
    return f"{verb}_{change.kind}"
