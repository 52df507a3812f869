"""`agentform apply [PLAN_FILE]`: apply the files (or a saved plan) to the live workspace.

Steps: load (bad input: diagnostics, exit 1, nothing sent); plan against a fresh read, read-only, so an unchanged
repository sends zero writes and takes no lock; show the plan; ask (a terminal) or require `--auto-approve`, except
for a saved plan, which was reviewed when saved and is applied without asking; take the environment lock; read
again under the lock and refuse (exit 4) if the live state moved since the plan shown or saved; apply with a
progress display and a journal in `.agentform/journal/`; release the lock.

With `--lock-wait`, a run that finds the lock taken waits for it (matrix jobs of `--shard`, docs/decisions/0056). An
auto-approved run from the files (no plan file) whose workspace moved meanwhile plans again under the lock and applies
that plan, as `terraform apply -auto-approve` plans under its lock; a plan file or a plan a person confirmed is
refused as stale instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from agentform import exitcodes
from agentform.apply import ApplyRefused, ApplyResult, Journal, stages
from agentform.apply.journal import JournalEntry, summarise
from agentform.apply.progress_lines import for_log
from agentform.commands._shared import (
    Session,
    confirmation_possible,
    console,
    print_error,
    print_plan_text,
    progress_bar,
)
from agentform.context import apply_with_lock
from agentform.plan.fresh import Planned
from agentform.plan.model import Plan
from agentform.plan.read import Workspace, read_workspace
from agentform.plan.saved import PlanFileError, StalePlanError, check_fresh, load_plan
from agentform.plan.shard import Shard
from agentform.redact import Redactor
from agentform.state.lock import LockHeld

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def journal_path(project_dir: Path, env: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return project_dir / ".agentform" / "journal" / f"{env}-{stamp}-{os.getpid()}.jsonl"


def _confirm(plan: Plan, auto_approve: bool) -> bool:
    if auto_approve:
        return True
    return click.confirm(
        f"\nApply these changes to {plan.project}/{plan.environment}"
        + (f" (agent branch {plan.branch})" if plan.branch else "")
        + "?",
        default=False,
    )


def run(
    plan_file: Path | None = None,
    project_dir: Path = Path("."),
    env: str | None = None,
    select: Sequence[str] = (),
    strict: bool = False,
    parallelism: int | None = None,
    auto_approve: bool = False,
    prune: bool | None = None,
    branch: str | None = None,
    ref: str | None = None,
    on_drift: str = "refuse",
    is_terminal: bool | None = None,
    shard: Shard | None = None,
    lock_wait: float = 0.0,
) -> int:
    out = console()
    # A saved plan was reviewed when it was saved: applying it is the approval, as `terraform apply plan.tfplan`.
    approved = auto_approve or plan_file is not None
    if not confirmation_possible(approved, is_terminal, "apply"):
        return exitcodes.ERROR
    if plan_file is not None and shard is not None:
        return print_error(f"{plan_file} holds its own selection: --shard plans from the files, not with a plan file.")
    session = Session.open(project_dir, env, ref=ref, strict=strict, parallelism=parallelism)
    if session is None:
        return exitcodes.ERROR
    desired = session.desired
    session.announce(shard)
    if (unmatched := session.unmatched(select)) is not None:
        return unmatched

    def plan_now(client: ElevenLabsClient) -> Awaitable[Planned]:
        return session.plan(client, prune=prune, select=select, shard=shard, branch=branch, on_drift=on_drift)

    async def replan(client: ElevenLabsClient) -> Planned:
        out.print("\nThe workspace changed while this run waited for the lock: planned again under the lock.")
        planned = await plan_now(client)
        print_plan_text(planned.plan, out)
        return planned

    how = _Execution(
        lock_wait_secs=lock_wait,
        purpose="apply" if shard is None else f"apply --shard {shard}",
        # Nobody reviewed this very plan: like `terraform apply -auto-approve`, plan again under the lock.
        replan=replan if plan_file is None and auto_approve else None,
    )

    async def go(client: ElevenLabsClient) -> int:
        if plan_file is not None:
            plan = load_plan(plan_file, secrets=desired.secret_values)
            try:
                check_fresh(plan, (await read_workspace(client, desired, branch=plan.branch)).live)
            except StalePlanError as error:
                print_error(f"{plan_file} is stale: {error}")
                return exitcodes.STALE_OR_CONFLICT
            recovered = {}
        else:
            planned = await plan_now(client)
            plan, recovered = planned.plan, planned.workspace.recovered_tools
        print_plan_text(plan, out)
        if plan.has_conflicts:
            print_error("drift conflict: choose a side with --on-drift git-wins or --on-drift live-wins.")
            return exitcodes.STALE_OR_CONFLICT
        if not plan.has_changes:
            out.print("\nNo changes. The live workspace matches the files.")
            if recovered:
                # Bookkeeping after a crash, not a live change: record the tools an interrupted apply created.
                return await _execute(client, session, plan, how)
            return exitcodes.OK
        if not _confirm(plan, approved):
            out.print("Apply cancelled.")
            return exitcodes.ERROR
        return await _execute(client, session, plan, how, planned_from=None if plan_file else planned.workspace)

    try:
        return session.run(go)
    except PlanFileError as error:
        return print_error(error)
    except Exception as error:  # API, transport, state record: one readable line, secrets masked
        return session.fail(error)


@dataclasses.dataclass(frozen=True)
class _Execution:
    """How `_execute` takes the lock and what it does when the workspace moved since the plan (see the docstring)."""

    lock_wait_secs: float = 0.0
    purpose: str = "apply"
    replan: Callable[[Any], Awaitable[Planned]] | None = None


async def _execute(
    client: ElevenLabsClient,
    session: Session,
    plan: Plan,
    how: _Execution = _Execution(),
    *,
    planned_from: Workspace | None = None,
) -> int:
    """Apply `plan` under the lock with a progress bar and a journal; report the result (also when interrupted)."""
    desired, err = session.desired, console(stderr=True)
    journal = Journal(journal_path(session.project_dir, desired.environment.name))
    total = sum(len(stage) for stage in stages(plan, prune=plan.prune))
    # Not a terminal (a CI log): one line per operation instead of a bar redrawn in place.
    lines = for_log(session.redactor)
    try:
        with progress_bar(err, disable=lines is not None) as bar:
            task = bar.add_task("Applying", total=total)

            def advance(entry: JournalEntry) -> None:
                if lines is not None:
                    lines.finished(entry)
                elif entry.step:
                    bar.update(task, advance=1, description=f"{entry.outcome} {entry.address}")

            plan, result = await apply_with_lock(
                client,
                desired,
                plan,
                prune=plan.prune,
                journal=journal,
                progress=advance,
                lock_wait_secs=how.lock_wait_secs,
                replan=how.replan,
                purpose=how.purpose,
                started=lines.started if lines else None,
                planned_from=planned_from,
            )
    except (StalePlanError, LockHeld, ApplyRefused) as error:
        print_error(error)
        return exitcodes.STALE_OR_CONFLICT
    except (asyncio.CancelledError, KeyboardInterrupt):
        # SIGINT or SIGTERM: the lock was released on the way out; say what was done before the exit (130 / 143).
        err.print(Text("\nApply interrupted. What was done (journal: " + str(journal.path) + "):", style="red"))
        for line in summarise(journal.entries):
            err.print(Text(session.redactor.text(line)))
        raise
    finally:
        journal.close()
    return _report(result, plan, journal, session.redactor)


def _report(result: ApplyResult, plan: Plan, journal: Journal, redactor: Redactor) -> int:
    if not result.ok:
        err = console(stderr=True)
        err.print(Text("\nApply failed. What was done (journal: " + str(journal.path) + "):", style="red"))
        for line in summarise(journal.entries):
            err.print(Text(redactor.text(line)))
        err.print("Run `agentform apply` again to finish: completed steps are found again, not repeated.")
        return exitcodes.ERROR
    out, summary = console(), plan.summary()
    cleaned = f", {summary.cleanup} superseded cleaned up" if summary.cleanup else ""
    out.print(
        f"\nApply complete! Resources: {summary.add} added, {summary.change} changed, {summary.destroy} destroyed"
        f"{cleaned}."
    )
    if result.garbage_collected:
        out.print(f"Removed {len(result.garbage_collected)} superseded version(s) that nothing references.")
    return exitcodes.OK
