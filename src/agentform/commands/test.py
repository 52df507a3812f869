"""`agentform test`: run the agents' test suites on an agent branch, or on the files' config as an override.

Steps: load the files (working tree or `--ref`), choose agents and tests (`--select`, `--shard`, `--test`,
`--changed-since`), read the live workspace, create the test definitions and (for the files' config) the KB document
and tool versions that do not exist live yet (docs/decisions/0060, 0160; `--no-create`: none), run one invocation
per agent in parallel, then print the report and write the requested files (JUnit, markdown, JSON).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import TaskID

from agentform import exitcodes
from agentform.commands._shared import (
    Session,
    console,
    print_error,
    print_styled,
    progress_bar,
    write_text,
)
from agentform.context import lock_holder
from agentform.model import Desired, DesiredTest
from agentform.plan.shard import Shard
from agentform.redact import Redactor
from agentform.state.lock import LockHeld
from agentform.testing.report import TestReport
from agentform.testing.runner import PollPolicy, SuiteOptions, SuiteTarget, judge_invocation, run_suite

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    select: Sequence[str] = (),
    tests: Sequence[str] = (),
    branch: str | None = None,
    ref: str | None = None,
    changed_since: str | None = None,
    repeat: int | None = None,
    timeout: float | None = None,
    junit: Path | None = None,
    as_json: bool = False,
    markdown: Path | None = None,
    strict: bool = False,
    parallelism: int | None = None,
    shard: Shard | None = None,
    create: bool = True,
) -> int:
    if branch and ref:
        return print_error("--branch tests what is on the agent branch; --ref tests files: choose one.")
    # The summary's time is the command's wall time: loading, reading live, creating tests and polling, not only the
    # runs themselves (in the emulator those take no time at all).
    started = time.monotonic()
    session = Session.open(project_dir, env, ref=ref, strict=strict, parallelism=parallelism)
    if session is None:
        return exitcodes.ERROR
    desired, redactor = session.desired, session.redactor
    session.announce(shard)
    if (unmatched := session.unmatched(select, tests)) is not None:
        return unmatched
    try:
        selection = _changed(project_dir, changed_since, ref, desired)
        from agentform.testing.targets import choose_tests

        agents = None if selection is None else selection.agents
        if shard is not None:
            agents = shard.keys(desired.agents if agents is None else agents)
        chosen = choose_tests(desired, agent_globs=select, test_globs=tests, agents=agents)
        if not chosen and (select or tests) and selection is None and shard is None:
            return session.fail("the --select and --test globs together match no test")
        report = _run(
            session, chosen, branch=branch, target=_target(branch, ref), repeat=repeat, timeout=timeout, create=create
        )
    except LockHeld as error:
        print_error(error)
        return exitcodes.STALE_OR_CONFLICT
    except Exception as error:  # API, transport, git: one readable line, never a traceback with secrets
        return session.fail(error)
    report = report.model_copy(
        update={
            "project": desired.settings.project,
            "environment": desired.environment.name,
            "target": _target(branch, ref),
            "selection": selection.explain() if selection is not None else [],
            "duration_secs": round(time.monotonic() - started, 3),
        }
    )
    _emit(report, junit=junit, markdown=markdown, as_json=as_json, redactor=redactor)
    return report.exit_code()


def _changed(project_dir: Path, since: str | None, ref: str | None, desired: Desired) -> Any:
    if since is None:
        return None
    from agentform.gitops.changes import changed_agents

    return changed_agents(project_dir, since, ref, desired)


def _run(
    session: Session,
    chosen: dict[str, list[DesiredTest]],
    *,
    branch: str | None,
    target: str,
    repeat: int | None,
    timeout: float | None,
    create: bool,
) -> TestReport:
    from agentform.plan.read import read_workspace
    from agentform.testing.targets import build_targets, create_missing_tests, resolve_ids
    from agentform.testing.versions import create_versions, missing_versions

    err, desired = console(stderr=True), session.desired
    if not chosen:
        err.print("No test matched the selection.")
        return TestReport()

    async def run_them(client: ElevenLabsClient) -> tuple[TestReport, list[str]]:
        live = (await read_workspace(client, desired, branch=branch)).live
        ids = resolve_ids(desired, live)
        missing = missing_versions(desired, live, chosen, ids, override=branch is None) if create else None
        if missing:
            err.print(missing.announcement())
            if missing.documents or missing.tools:
                ids = await create_versions(client, desired, missing, holder=lock_holder())
            ids = await create_missing_tests(client, desired, live, ids, list(missing.tests))
        planned = build_targets(desired, live, chosen, ids, branch=branch)
        poll = PollPolicy(timeout_secs=timeout or desired.settings.test_timeout_secs)
        name = f"agentform {desired.settings.project}/{desired.environment.name}: {target}"
        with _ProgressDisplay(err) as progress:
            options = SuiteOptions(repeat=repeat, poll=poll, invocation_name=name, on_progress=progress.update)
            return await run_suite(client, planned.targets, options), planned.problems

    report, problems = session.run(run_them)
    unrunnable = [_unrunnable(problem, chosen) for problem in problems]
    return report.model_copy(update={"agents": sorted([*report.agents, *unrunnable], key=lambda a: a.agent_key)})


def _unrunnable(problem: str, chosen: dict[str, list[DesiredTest]]) -> Any:
    """An agent that could not be run: each of its tests is an error carrying the reason."""
    agent_key, reason = problem.split(": ", 1)
    return judge_invocation(
        SuiteTarget(agent_key, "", [(t, "") for t in chosen[agent_key]]), None, incomplete_reason=reason
    )


def _target(branch: str | None, ref: str | None) -> str:
    if branch:
        return f"agent branch {branch}"
    if ref:
        return f"files at {ref} (agent_config_override)"
    return "working tree (agent_config_override)"


class _ProgressDisplay:
    """Progress per invocation: live bars on a terminal; in CI logs, one line as each invocation finishes."""

    def __init__(self, err: Console) -> None:
        self._err = err
        self._progress = progress_bar(err, disable=not err.is_terminal)
        self._tasks: dict[str, TaskID] = {}
        self._finished: set[str] = set()

    def __enter__(self) -> _ProgressDisplay:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.__exit__(*exc_info)  # type: ignore[arg-type]

    def update(self, agent_key: str, invocation: dict[str, Any]) -> None:
        key = str(invocation.get("id"))
        runs = invocation.get("test_runs") or []
        done = sum(run.get("status") != "pending" for run in runs)
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(agent_key, total=len(runs))
        self._progress.update(self._tasks[key], total=len(runs), completed=done)
        if done == len(runs) and key not in self._finished and not self._err.is_terminal:
            self._finished.add(key)
            self._err.print(f"{agent_key}: {done} runs finished")


def _emit(report: TestReport, *, junit: Path | None, markdown: Path | None, as_json: bool, redactor: Redactor) -> None:
    from agentform.testing.junit import render_junit
    from agentform.testing.markdown import render_markdown
    from agentform.testing.render import render_json, render_text

    if junit is not None:
        write_text(junit, render_junit(report, redactor=redactor))
    if markdown is not None:
        # The Actions step summary is shared by every step of a job: append to it rather than replace it.
        append = str(markdown) == os.environ.get("GITHUB_STEP_SUMMARY")
        write_text(markdown, render_markdown(report, redactor=redactor), append=append)
    if as_json:
        sys.stdout.write(render_json(report, redactor=redactor))
        return
    print_styled(render_text(report, redactor=redactor).splitlines(), console(), _verdict_style)


def _verdict_style(line: str) -> str:
    return {"PASS": "green", "FAIL": "red", "ERRO": "red"}.get(line.strip()[:4], "")
