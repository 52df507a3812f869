"""Executing a plan: each write as soon as what it references exists, bounded parallelism, journal, state record.

Order (docs/decisions/0052, 0113): a create or update starts as soon as every change it references (`$ref:`
placeholders and `depends_on`) has finished, so folders, secrets, documents and tools, tests and agents overlap
instead of waiting for the slowest of the previous kind; the client's semaphore bounds how many requests are in
flight. A change that references one that failed is skipped, so a failed apply leaves a dependency-closed set of
writes that a re-run completes. Deletes run after every write succeeded, in reverse stages (agents -> tests ->
documents and tools -> secrets), each stage after the previous one.

The state record (`apply/run.py`) is written once before the first tool create when there is one (its intent: tools
carry no marker, see `state/record.py`; the intents also keep a plan from trusting the record's secrets, decision
0112), once when the tool and secret writes are done, and once at the end, also when every write failed (decision
0114); not per step: that would double the writes.

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
from agentform.apply.observe import agent_entry, record_adopted_tools
from agentform.apply.run import Progress, Run, fold, record_agents, retried_posts, save, save_intents
from agentform.model import Desired
from agentform.plan.agents import recordable
from agentform.plan.model import Plan, ResourceChange, resolve_refs
from agentform.plan.normalize import payload_hash
from agentform.plan.read import Workspace, find_branch, read_workspace
from agentform.state.model import BranchEntry

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

_STAGE_OF_KIND = {"folder": 0, "secret": 0, "document": 1, "tool": 1, "test": 2, "agent": 3}
_DELETE_STAGE_OF_KIND = {"agent": 4, "test": 5, "document": 6, "tool": 6, "secret": 7}


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
    run = Run(client, plan, desired, workspace, journal or Journal(), progress, started=started)
    result = ApplyResult(journal=run.journal)
    run.posts_retried_at_start = posts_before = retried_posts(client)
    all_stages = stages(plan, prune=prune)
    writes = [change for stage in all_stages for change in stage if change.action != "delete"]
    await _write(run, writes, branch)
    deletes = [stage for stage in all_stages if stage[0].action == "delete"]
    if deletes and not run.failed_addresses:
        if run.unsaved:
            # What was created is recorded before anything is deleted, as a stage at a time did.
            await (await run.record_store()).save()
            run.unsaved = False
        for stage in deletes:
            await asyncio.gather(*(_execute(run, change, branch) for change in stage))
            await save(run, stage)
            if run.failed_addresses:
                break
    if run.created and (posts_before is None or retried_posts(client) != posts_before):
        result.duplicates_removed = await remove_retry_duplicates(
            client, desired, workspace, run.created, run.log, run.created_names
        )
    if run.store is not None and record_adopted_tools(
        run.store.record, plan, workspace.live, run.ids, run.failed_addresses
    ):
        run.unsaved = True
    await record_agents(run)
    if (
        collect
        and branch is None
        and not run.failed_addresses
        and (run.created or run.written_agents or _garbage_planned(plan))
    ):
        from agentform.apply.gc import collect_garbage

        # The plan's reads name every version that existed; what this apply created is the declared version. The
        # record is opened even when nothing else was written, so that a collected version leaves it too.
        store = run.store or (await run.record_store() if workspace.documents_folder_id else None)
        result.garbage_collected = await collect_garbage(client, desired, workspace.live, log=run.log, store=store)
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


async def _write(run: Run, writes: list[ResourceChange], branch: str | None) -> None:
    """Every create and update, each as soon as the changes it references are done (`dependencies`).

    First the managed folders the payloads need (a first apply) and the intents of tool creates; then each change
    once its references are done, in kind order among the ready ones. Each result is folded into the record as it
    arrives; once the tool and secret writes are done the record is saved (dropping the intents) while documents,
    tests and agents go on; the rest is written at the end.
    """
    missing = _FOLDERS & set().union(*(run.referenced(change) for change in writes)) - set(run.ids)
    await asyncio.gather(*(run.folder(address) for address in sorted(missing)))
    marked = [c for c in writes if c.kind in ("tool", "secret")]
    if any(c.kind == "tool" and c.action in ("create", "replace") for c in marked):
        await save_intents(run, marked)
    after = dependencies(writes, run.referenced)
    blocked_by = {change.address: len(after[change.address]) for change in writes}
    unblocks: dict[str, list[ResourceChange]] = {}
    for change in writes:
        for address in after[change.address]:
            unblocks.setdefault(address, []).append(change)
    # Ready changes wait in kind order (what others reference first); a few more workers than the client sends at
    # once build each request just before a slot frees, instead of a thousand tasks at the start.
    ready: asyncio.Queue[ResourceChange] = asyncio.Queue()
    for change in writes:
        if not after[change.address]:
            ready.put_nowait(change)
    marked_left, marked_addresses = len(marked), {change.address for change in marked}
    saves: list[asyncio.Future[None]] = []

    async def worker() -> None:
        nonlocal marked_left
        while True:
            change = await ready.get()
            try:
                await _execute(run, change, branch)
                # Folded as it finishes, while other requests are in flight; written by the next save.
                await fold(run, [change])
                if change.address in marked_addresses:
                    marked_left -= 1
                    if marked_left == 0:
                        saves.append(asyncio.ensure_future(save(run, [])))
            finally:
                for waiting in unblocks.get(change.address, ()):
                    blocked_by[waiting.address] -= 1
                    if blocked_by[waiting.address] == 0:
                        ready.put_nowait(waiting)
                ready.task_done()

    workers = [asyncio.ensure_future(worker()) for _ in range(2 * (getattr(run.client, "parallelism", None) or 8))]
    joined = asyncio.ensure_future(ready.join())
    try:
        # Workers only end by failing (a record write that raised): that ends the apply as it would have.
        await asyncio.wait([joined, *workers], return_when=asyncio.FIRST_COMPLETED)
        for task in workers:
            if task.done():
                task.result()
        await asyncio.gather(*saves)
    finally:
        joined.cancel()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


_FOLDERS = frozenset({"folder.documents", "folder.tests"})


def dependencies(
    changes: list[ResourceChange], referenced: Callable[[ResourceChange], set[str]]
) -> dict[str, set[str]]:
    """Address -> the addresses among `changes` that it references (`referenced`) and that come in an earlier stage.

    Only earlier stages count (folders and secrets, documents and tools, tests, agents), so the graph has no cycle
    whatever a payload names.
    """
    stage_of = {change.address: _STAGE_OF_KIND[change.kind] for change in changes}
    return {
        change.address: {
            address for address in referenced(change) if stage_of.get(address, _LAST_STAGE) < stage_of[change.address]
        }
        for change in changes
    }


_LAST_STAGE = max(_STAGE_OF_KIND.values())


async def _execute(run: Run, change: ResourceChange, branch: str | None) -> None:
    run.step += 1
    step = run.step
    waiting = run.referenced(change) & run.failed_addresses
    if waiting:
        run.failed_addresses.add(change.address)
        run.log(_entry(step, change, "-", "skipped", error=f"not attempted: {', '.join(sorted(waiting))} failed"))
        return
    if run.started is not None:
        run.started(change)
    # Every apply that attempts a write writes the record before it releases the lock, even when all its writes
    # failed: a write whose answer was lost may have happened, and the next apply's freshness check looks at the
    # record (docs/decisions/0111, 0114).
    run.unsaved = True
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
            run.written_agents[change.key] = agent_entry(outcome.live_id, recordable(payload), outcome.response)
        run.log(_entry(step, change, outcome.operation, "ok", live_id=outcome.live_id, request=_summary(payload)))
    except Exception as error:
        run.failed_addresses.add(change.address)
        run.log(_entry(step, change, _operation_name(change), "failed", live_id=change.live_id, error=str(error)))


async def _update_branch(run: Run, change: ResourceChange, payload: dict[str, Any], name: str) -> operations.Outcome:
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
