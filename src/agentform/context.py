"""`Context`: the one engine the CLI (`commands/`) and CI (`gitops/`) drive, as SQLMesh's `Context` is.

It loads the project (one `load`), opens the environment's client (one factory, `connect.open_client`: network,
served or in-process emulator), takes and waits for the environment lock (one path, `state.lock`), plans against
a fresh read, applies and runs the live tests. The two callers differ only in what they print and publish
(docs/decisions/0135): a command prints diagnostics and progress to a terminal, a CI workflow puts them in its
outcome and on GitHub.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from agentform.apply.executor import ApplyResult, apply_plan
from agentform.apply.journal import Journal, JournalEntry
from agentform.connect import open_client
from agentform.elevenlabs.client import ElevenLabsClient
from agentform.model import Desired, DesiredTest
from agentform.plan import identity
from agentform.plan.fresh import Planned, make_fresh_plan
from agentform.plan.live import LiveState
from agentform.plan.model import Plan
from agentform.plan.read import Workspace, read_workspace, record_documents
from agentform.plan.saved import StalePlanError, check_fresh
from agentform.plan.shard import Shard
from agentform.project import Diagnostic, ProjectError, inspect_project
from agentform.redact import Redactor
from agentform.state.lock import DEFAULT_LOCK_TTL_SECS, EnvironmentLock, environment_lock
from agentform.state.record import record_unchanged
from agentform.testing.report import AgentResult, TestReport
from agentform.testing.runner import PollPolicy, SuiteOptions, SuiteTarget, run_suite
from agentform.testing.targets import build_targets, choose_tests, resolve_ids

T = TypeVar("T")


def run_until_signalled(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work()` in a new event loop. SIGTERM (what a CI runner sends a cancelled job) cancels it as SIGINT does,
    so it cleans up on the way out (a held lock is released); the process then exits 143 or 130, as one killed by the
    signal would. The CLI's commands and the CI workflows both run through here."""
    terminated: list[bool] = []

    async def cancellable() -> T:
        task = asyncio.current_task()

        def terminate() -> None:
            terminated.append(True)
            if task is not None:
                task.cancel()

        # An event loop takes signal handlers only in the main thread, and not at all on Windows.
        if threading.current_thread() is threading.main_thread() and sys.platform != "win32":
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminate)
        return await work()

    try:
        return asyncio.run(cancellable())
    except asyncio.CancelledError:
        if terminated:
            raise SystemExit(128 + signal.SIGTERM) from None
        raise
    except KeyboardInterrupt:
        raise SystemExit(128 + signal.SIGINT) from None


@dataclass(frozen=True)
class Loaded:
    """The desired state of one environment, or None; and every diagnostic of the load, errors and warnings."""

    desired: Desired | None
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity != "error"]

    @property
    def failure(self) -> str | None:
        """Why there is no desired state, as one message (None: there is one)."""
        return None if self.desired is not None else str(ProjectError(self.diagnostics))


def load(
    root: Path, env: str | None, ref: str | None = None, environ: Mapping[str, str] | None = None, *, strict: bool
) -> Loaded:
    """Load and validate the project at `ref` (the working tree when None) for environment `env`; never raises for
    bad files: the desired state is None when any diagnostic is an error."""
    desired, diagnostics = inspect_project(root, env=env, ref=ref, environ=environ, strict=strict)
    return Loaded(desired, diagnostics)


def lock_holder(environ: Mapping[str, str] | None = None) -> str:
    """Who holds the lock, for the message another run shows: CI run or user@host."""
    environ = os.environ if environ is None else environ
    if environ.get("GITHUB_RUN_ID"):
        return f"github run {environ['GITHUB_RUN_ID']} ({environ.get('GITHUB_REPOSITORY', '')})"
    return f"{environ.get('USER', 'someone')}@{socket.gethostname()}"


@dataclass(frozen=True)
class Context:
    """A loaded project for one environment, and every step that talks to that environment's API."""

    project_dir: Path
    desired: Desired
    # Knows the project's secret values (and the API key once a client is open): every error line goes through it.
    redactor: Redactor
    parallelism: int | None = None
    # The variables the client reads its key and base URL from (None: the process's).
    environ: Mapping[str, str] | None = None

    @classmethod
    def of(
        cls,
        project_dir: Path,
        loaded: Loaded,
        *,
        redactor: Redactor | None = None,
        parallelism: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Self | None:
        """The context of a load (None when the files are invalid); the project's secret values join `redactor`."""
        if loaded.desired is None:
            return None
        redactor = Redactor() if redactor is None else redactor
        redactor.add(*loaded.desired.secret_values)
        return cls(project_dir, loaded.desired, redactor, parallelism, environ)

    def client(self) -> ElevenLabsClient:
        """The environment's API client (an async context manager); its key joins the redactor."""
        return open_client(
            self.desired.environment,
            self.project_dir,
            parallelism=self.parallelism,
            redactor=self.redactor,
            environ=self.environ,
        )

    def lock(
        self,
        client: ElevenLabsClient,
        *,
        purpose: str,
        holder: str | None = None,
        ttl_secs: float = DEFAULT_LOCK_TTL_SECS,
        wait_secs: float = 0.0,
    ) -> contextlib.AbstractAsyncContextManager[EnvironmentLock]:
        """The environment's lock for a block, waited for up to `wait_secs` (`state.lock.environment_lock`)."""
        holder = lock_holder(self.environ) if holder is None else holder
        return environment_lock(
            client, self.desired, holder=holder, purpose=purpose, ttl_secs=ttl_secs, wait_secs=wait_secs
        )

    @contextlib.asynccontextmanager
    async def locked_client(
        self, *, holder: str, purpose: str, ttl_secs: float, wait_secs: float = 0.0
    ) -> AsyncIterator[ElevenLabsClient]:
        """The environment's client with its lock held for the whole block."""
        async with (
            self.client() as client,
            self.lock(client, holder=holder, purpose=purpose, ttl_secs=ttl_secs, wait_secs=wait_secs),
        ):
            yield client

    async def plan(
        self,
        client: ElevenLabsClient,
        *,
        prune: bool | None = None,
        select: Iterable[str] = (),
        shard: Shard | None = None,
        branch: str | None = None,
        on_drift: str = "refuse",
        refresh_all: bool = False,
    ) -> Planned:
        """Read the workspace and plan against it; `prune` None: the environment's setting."""
        return await make_fresh_plan(
            client,
            self.desired,
            prune=self.desired.environment.prune if prune is None else prune,
            select=tuple(select),
            shard=shard,
            branch=branch,
            on_drift=on_drift,
            refresh_all=refresh_all,
            redactor=self.redactor,
        )

    async def apply(
        self,
        client: ElevenLabsClient,
        plan: Plan,
        workspace: Workspace | None,
        *,
        collect: bool = True,
        progress: Callable[[JournalEntry], None] | None = None,
        started: Callable[[Any], None] | None = None,
        journal: Journal | None = None,
    ) -> ApplyResult:
        """Carry out `plan` (on its agent branch, or main) with the plan's own prune setting; `collect=False`: no
        garbage collection. The caller holds the lock."""
        return await apply_plan(
            client,
            plan,
            self.desired,
            prune=plan.prune,
            branch=plan.branch,
            workspace=workspace,
            collect=collect,
            progress=progress,
            started=started,
            journal=journal,
        )

    async def test(
        self,
        client: ElevenLabsClient,
        agent_keys: list[str],
        *,
        branch: str | None = None,
        smoke_only: bool = False,
        poll_timeout_secs: float | None = None,
    ) -> TestReport:
        """Run the agents' tests on agent branch `branch` (else on main itself) and judge them.

        An agent that cannot be tested (its tests or its branch do not exist live) is in the report as an error: a
        check that could not run its tests must not pass.
        """
        desired = self.desired
        live = (await read_workspace(client, desired, branch=branch)).live
        ids = resolve_ids(desired, live)
        chosen = choose_tests(desired, agents=agent_keys)
        if smoke_only:
            chosen = {key: smoke_tests(tests) for key, tests in chosen.items()}
        if branch is not None:
            built = build_targets(desired, live, chosen, ids, branch=branch)
            targets, problems = built.targets, built.problems
        else:
            targets, problems = _main_targets(live, chosen, ids.tests)
        where = f"agent branch {branch}" if branch else "main"
        timeout = poll_timeout_secs or desired.settings.test_timeout_secs
        options = SuiteOptions(poll=PollPolicy(timeout_secs=timeout), invocation_name=f"agentform on {where}")
        report = await run_suite(client, targets, options)
        untested = [AgentResult(agent_key=line.split(":", 1)[0], error=line) for line in problems]
        update = {
            "project": desired.settings.project,
            "environment": desired.environment.name,
            "target": where,
            "agents": [*report.agents, *untested],
        }
        return report.model_copy(update=update)


async def apply_with_lock(
    client: ElevenLabsClient,
    desired: Desired,
    plan: Plan,
    *,
    prune: bool,
    journal: Journal,
    progress: Callable[[JournalEntry], None] | None = None,
    lock_wait_secs: float = 0.0,
    replan: Callable[[Any], Awaitable[Planned]] | None = None,
    purpose: str = "apply",
    started: Callable[[Any], None] | None = None,
    planned_from: Workspace | None = None,
) -> tuple[Plan, ApplyResult]:
    """Take the lock (waiting up to `lock_wait_secs`), check the plan is still current, apply, release.

    `replan(client)` reads and plans again, for when the workspace moved since `plan` was made; without it that
    raises `StalePlanError`. Returns the plan applied and the result; raises `LockHeld`.

    `planned_from`, the workspace an unreviewed plan (`replan` given) was just made from, is reused when the lock's
    own list call shows the state record unchanged since: no other apply ran in between (docs/decisions/0111).
    Otherwise, and for a plan a person reviewed or saved, the workspace is read again and compared.
    """
    async with environment_lock(
        client,
        desired,
        holder=lock_holder(),
        purpose=purpose if plan.branch is None else f"{purpose} --branch {plan.branch}",
        ttl_secs=DEFAULT_LOCK_TTL_SECS,
        wait_secs=lock_wait_secs,
    ) as lock:
        if replan is not None and planned_from is not None and nobody_applied_since(lock.listing, planned_from):
            workspace = planned_from
        else:
            workspace = await read_workspace(client, desired, branch=plan.branch)
            try:
                check_fresh(plan, workspace.live)
            except StalePlanError:
                if replan is None:
                    raise
                planned = await replan(client)
                plan, workspace = planned.plan, planned.workspace
        return plan, await apply_plan(
            client,
            plan,
            desired,
            prune=prune,
            branch=plan.branch,
            progress=progress,
            journal=journal,
            workspace=workspace,
            started=started,
        )


def nobody_applied_since(listing: list[dict[str, Any]], workspace: Workspace) -> bool:
    """Whether the lock's list call (`listing`) shows that no apply wrote since `workspace` was read: the managed
    folder's record under the same name (docs/decisions/0111), or, for a first apply that saw no record of its own,
    every record document of the workspace as it was (docs/decisions/0114)."""
    live = workspace.live
    if live.record_id is not None:
        return record_unchanged(listing, live.documents_folder_id, live.record_id, live.record_name)
    return workspace.records_seen is not None and record_documents(listing) == workspace.records_seen


def _main_targets(
    live: LiveState, chosen: Mapping[str, list[DesiredTest]], test_ids: Mapping[str, str]
) -> tuple[list[SuiteTarget], list[str]]:
    """Each chosen agent's tests on main as it now is, not on the files' config as an override (that is the point of
    smoke tests); and a problem line for each agent that is not live, or whose tests are not all live."""
    targets, problems = [], []
    for key, tests in sorted(chosen.items()):
        agent = live.agent_by_key(key)
        pairs = [(test, test_ids.get(test.address)) for test in tests]
        if agent is None or any(test_id is None for _, test_id in pairs):
            problems.append(f"{key}: the agent or some of its tests do not exist live")
            continue
        targets.append(SuiteTarget(key, agent.id, pairs))  # type: ignore[arg-type]  # no None: checked above
    return targets, problems


def smoke_tests(tests: list[DesiredTest]) -> list[DesiredTest]:
    """The tests a deploy runs on main: those marked `smoke: true`, or all of them when none is."""
    return [test for test in tests if test.smoke] or tests


async def agent_ids(client: ElevenLabsClient, desired: Desired) -> dict[str, str]:
    """Live id of each managed agent of the environment, by file key."""
    project, env = desired.settings.project, desired.environment.name
    found: dict[str, str] = {}
    for item in await client.list_agents(tags=[identity.owner_tag(project, env)]):
        key = identity.key_from_tags(item.get("tags") or [])
        if key and identity.is_owned_agent(item.get("tags") or [], project, env):
            found.setdefault(key, str(item["agent_id"]))
    return found
