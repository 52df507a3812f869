"""`agentform plan`: load the files, read the live workspace, show what apply would change."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentform import exitcodes
from agentform.commands._shared import Session, console, print_plan_text
from agentform.plan.fresh import Planned
from agentform.plan.shard import Shard

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    select: Sequence[str] = (),
    strict: bool = False,
    parallelism: int | None = None,
    out: Path | None = None,
    as_json: bool = False,
    as_markdown: bool = False,
    detailed_exitcode: bool = False,
    ref: str | None = None,
    branch: str | None = None,
    prune: bool | None = None,
    refresh_all: bool = False,
    shard: Shard | None = None,
) -> int:
    session = Session.open(project_dir, env, ref=ref, strict=strict, parallelism=parallelism)
    if session is None:
        return exitcodes.ERROR
    desired, redactor = session.desired, session.redactor
    session.announce(shard)
    if (unmatched := session.unmatched(select)) is not None:
        return unmatched

    def plan_it(client: ElevenLabsClient) -> Awaitable[Planned]:
        return session.plan(client, prune=prune, select=select, shard=shard, branch=branch, refresh_all=refresh_all)

    try:
        plan = session.run(plan_it).plan
    except Exception as error:  # API, transport, state record: one readable line, never a traceback with secrets
        return session.fail(error)
    if out is not None:
        from agentform.plan.saved import save_plan

        save_plan(plan, out, secrets=desired.secret_values)
    if as_json:
        from agentform.plan.render_json import render_json

        sys.stdout.write(render_json(plan, redactor=redactor) + "\n")
    elif as_markdown:
        from agentform.plan.render_markdown import render_markdown

        sys.stdout.write(render_markdown(plan, redactor=redactor) + "\n")
    else:
        print_plan_text(plan, console())
        if out is not None:
            console().print(f"\nSaved the plan to {out}: `agentform apply {out}` applies exactly this.")
    if detailed_exitcode and (plan.has_changes or plan.summary().drifted):
        return exitcodes.CHANGES
    return exitcodes.OK
