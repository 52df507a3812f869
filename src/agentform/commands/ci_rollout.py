"""`agentform ci rollout`: the scheduled workflow (`agentform-rollout.yml`) that moves rollouts along.

Under the environment lock: finish what a killed run left pending, analyze every rollout in progress with its own
policy, step, promote or abort it (`rollout analyze --auto`), then comment on the pull request each one came from.
The report goes to stdout and the job's step summary. Exit 3 when a rollout regressed (it was aborted), 1 on error,
4 when the environment is locked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from agentform import exitcodes
from agentform.commands._shared import Session, console, print_error, write_text
from agentform.context import lock_holder
from agentform.state.lock import LockHeld

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient
    from agentform.rollout.analysis import Result


def run(project_dir: Path = Path("."), env: str | None = None, parallelism: int | None = None) -> int:
    from agentform.gitops.rollout_step import tell_pull_requests
    from agentform.rollout.actions import record_under_lock
    from agentform.rollout.analysis import Thresholds, analyze_all
    from agentform.rollout.render import result_lines

    session = Session.open(project_dir, env, parallelism=parallelism)
    if session is None:
        return exitcodes.ERROR

    async def go(client: ElevenLabsClient) -> tuple[list[Result], dict[str, list[str]], int]:
        async with record_under_lock(client, session.desired, holder=lock_holder(), purpose="ci rollout") as store:
            results = await analyze_all(client, store, None, Thresholds(), act=True)
        rendered = {result.agent: result_lines(result) for result in results}
        commented = await tell_pull_requests(results, rendered, os.environ)
        return results, rendered, commented

    try:
        results, rendered, commented = session.run(go)
    except LockHeld as error:
        print_error(error)
        return exitcodes.STALE_OR_CONFLICT
    except Exception as error:  # API, transport, GitHub: one readable line, secrets masked
        return session.fail(error)
    lines = [line for result in results for line in rendered[result.agent]] or ["No rollout in progress."]
    if commented:
        lines.append(f"Commented on {commented} pull request(s).")
    out = console()
    for line in lines:
        out.print(session.redactor.text(line))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        text = "### agentform rollouts\n\n```\n" + "\n".join(lines) + "\n```\n"
        write_text(Path(summary), session.redactor.text(text), append=True)
    regressed = any(r.decision is not None and r.decision.outcome == "regressed" for r in results)
    return exitcodes.TESTS_FAILED if regressed else exitcodes.OK
