"""`agentform rollout start|status|analyze|promote|abort|step`: staged rollouts of an agent branch on live traffic.

`start` needs the branch to carry exactly the files' change for the agent (written by `apply --branch`, tip
unchanged since), because promoting it must leave main where the files say. Every write runs under the environment
lock and first finishes whatever a killed run left pending (`rollout/actions.py`), except `abort`, which replaces
it. Exit codes: 0 ok (also "not enough data yet"), 1 error, 3 the branch regressed, 4 the environment is locked.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentform import exitcodes
from agentform.commands._shared import Session, console, print_error
from agentform.context import lock_holder
from agentform.state.lock import LockHeld
from agentform.state.model import RolloutEntry
from agentform.state.record import RecordStore
from agentform.state.rollouts import RolloutError

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def run(action: str, project_dir: Path = Path("."), env: str | None = None, **options: Any) -> int:
    session = Session.open(project_dir, env, ref=options.pop("ref", None), parallelism=options.pop("parallelism", None))
    if session is None:
        return exitcodes.ERROR
    command: Callable[[Any], Awaitable[int]] = {
        "start": lambda client: _start(client, session, **options),
        "status": lambda client: _report(client, session, auto=False, decide_it=False, **options),
        "analyze": lambda client: _report(client, session, decide_it=True, **options),
        "promote": lambda client: _finish(client, session, "promote", **options),
        "abort": lambda client: _finish(client, session, "abort", **options),
        "step": lambda client: _step(client, session, **options),
    }[action]
    try:
        return session.run(command)
    except LockHeld as error:
        print_error(error)
        return exitcodes.STALE_OR_CONFLICT
    except Exception as error:  # a refused rollout, API, transport, state record: one line, secrets masked
        return session.fail(error)


def _locked(client: ElevenLabsClient, session: Session, purpose: str) -> Any:
    from agentform.rollout.actions import record_under_lock

    return record_under_lock(client, session.desired, holder=lock_holder(), purpose=f"rollout {purpose}")


async def _resumed(client: ElevenLabsClient, store: RecordStore, agent: str) -> None:
    from agentform.rollout.actions import resume

    finished = await resume(client, store, agent)
    if finished:
        console(stderr=True).print(f"{agent}: {finished}.")


async def _start(client: ElevenLabsClient, session: Session, *, agent: str, branch: str, percent: float) -> int:
    from agentform.rollout.actions import start
    from agentform.rollout.rollable import rollable_branch

    desired = session.desired
    planned = await session.plan(client, prune=False, select=[agent])
    rollable = rollable_branch(planned.plan, planned.workspace.record, agent, branch)
    tip = await client.get_agent(rollable.agent_id, branch_id=rollable.entry.branch_id)
    if tip.get("version_id") != rollable.entry.version_id:
        raise RolloutError(f"branch {branch} of {agent} was edited after `apply --branch {branch}`: apply it again")
    async with _locked(client, session, f"start {agent}") as store:
        await _resumed(client, store, agent)
        entry = await start(
            client,
            store,
            agent_key=agent,
            agent_id=rollable.agent_id,
            branch=branch,
            branch_id=rollable.entry.branch_id,
            payload=rollable.payload,
            percent=percent,
            policy=desired.environment.rollout,
        )
    console().print(f"{agent}: rollout of branch {branch} started: {percent:g}% of live traffic, main has the rest.")
    return exitcodes.OK if entry.status == "in_progress" else exitcodes.ERROR


async def _step(client: ElevenLabsClient, session: Session, *, agent: str, percent: float) -> int:
    from agentform.rollout.actions import step

    async with _locked(client, session, f"step {agent}") as store:
        await _resumed(client, store, agent)
        entry = await step(client, store, agent, percent)
    console().print(f"{agent}: branch {entry.branch} now takes {percent:g}% of live traffic.")
    return exitcodes.OK


async def _finish(client: ElevenLabsClient, session: Session, how: str, *, agent: str) -> int:
    from agentform.rollout import actions

    async with _locked(client, session, f"{how} {agent}") as store:
        if how == "promote":
            await _resumed(client, store, agent)
        # An abort is always possible: it replaces whatever a killed run left pending (a promote that keeps failing
        # on a merge conflict, say) by putting all the traffic back on main.
        entry = store.record.rollouts.get(agent)
        if entry is not None and entry.status == {"promote": "promoted", "abort": "aborted"}[how]:
            console().print(f"{agent}: the rollout of {entry.branch} is already {entry.status}.")
            return exitcodes.OK
        act = actions.promote if how == "promote" else actions.abort
        entry = await act(client, store, agent, "by hand")
    console().print(_finished_line(agent, entry))
    return exitcodes.OK


def _finished_line(agent: str, entry: RolloutEntry) -> str:
    if entry.status == "promoted":
        return f"{agent}: {entry.branch} merged into main; main takes 100% of live traffic."
    return f"{agent}: rollout aborted; main takes 100% of live traffic, branch {entry.branch} is kept for inspection."


async def _report(
    client: ElevenLabsClient,
    session: Session,
    *,
    agent: str | None = None,
    as_json: bool = False,
    auto: bool = False,
    decide_it: bool,
    min_conversations: int | None = None,
    max_regression: float | None = None,
) -> int:
    """`status` (measure) and `analyze` (measure and decide; with `auto`, act on the decision under the lock)."""
    from agentform.plan.read import read_workspace
    from agentform.rollout.analysis import Thresholds, analyze_all, finished_or_current

    thresholds = Thresholds(min_conversations, max_regression)
    if auto:
        async with _locked(client, session, "analyze --auto") as store:
            results = await analyze_all(client, store, agent, thresholds, act=True)
    else:
        record = (await read_workspace(client, session.desired)).record
        entries = finished_or_current(record, agent, include_finished=not decide_it)
        results = await analyze_all(client, None, agent, thresholds, act=False, entries=entries, decide_it=decide_it)
    _print(results, as_json)
    regressed = any(result.decision is not None and result.decision.outcome == "regressed" for result in results)
    return exitcodes.TESTS_FAILED if regressed else exitcodes.OK


def _print(results: list[Any], as_json: bool) -> None:
    from agentform.rollout.render import result_lines, results_json

    if as_json:
        sys.stdout.write(results_json(results))
        return
    out = console()
    if not results:
        out.print("No rollout in progress.")
    for result in results:
        for line in result_lines(result):
            out.print(line)
