"""`agentform plan`: load the files, read the live workspace, show what apply would change.

Also the shared steps of `plan` and `apply` (loading with diagnostics, making a plan from a fresh read, rendering),
so that both commands show a plan the same way.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from agentform import exitcodes
from agentform.model import Desired
from agentform.plan.model import Plan
from agentform.plan.read import Workspace, read_workspace
from agentform.redact import Redactor


def console(*, stderr: bool = False) -> Console:
    # No soft wrapping and no highlighting: plans are diffs, and a colourised id or a folded line misleads.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def load(project_dir: Path, env: str | None, ref: str | None, strict: bool) -> Desired | None:
    """The desired state, or None after printing every diagnostic (bad input: nothing is sent)."""
    from agentform.project import ProjectError, load_desired

    try:
        return load_desired(project_dir, env=env, ref=ref, strict=strict)
    except ProjectError as error:
        err = console(stderr=True)
        for diagnostic in error.diagnostics:
            err.print(Text(str(diagnostic), style="red" if diagnostic.severity == "error" else "yellow"))
        errors = sum(1 for d in error.diagnostics if d.severity == "error")
        err.print(f"{errors} error(s): nothing was sent to the API.")
        return None


@dataclass(frozen=True)
class Planned:
    plan: Plan
    workspace: Workspace


async def make_fresh_plan(
    client: Any,
    desired: Desired,
    *,
    prune: bool,
    select: Sequence[str] = (),
    branch: str | None = None,
    on_drift: str = "refuse",
    refresh_all: bool = False,
    redactor: Redactor | None = None,
) -> Planned:
    """Read the workspace and plan against it."""
    from agentform.plan.planner import make_plan

    workspace = await read_workspace(client, desired, branch=branch, refresh_all=refresh_all)
    plan = make_plan(
        desired,
        workspace.live,
        prune=prune,
        select_globs=list(select),
        branch=branch,
        on_drift=on_drift,  # type: ignore[arg-type]
        redactor=redactor,
    )
    return Planned(plan, workspace)


_STYLES = {"+": "green", "-": "red", "~": "yellow", "-/+": "magenta", "!": "red"}


def print_plan_text(plan: Plan, out: Console) -> None:
    """The text rendering, coloured by the Terraform symbol that starts each line."""
    from agentform.plan.render_text import render_text

    for line in render_text(plan).splitlines():
        stripped = line.lstrip()
        style = next(
            (s for sym, s in sorted(_STYLES.items(), key=lambda i: -len(i[0])) if stripped.startswith(sym)), ""
        )
        out.print(Text(line, style=style))


def open_env_client(desired: Desired, project_dir: Path, parallelism: int | None, redactor: Redactor) -> Any:
    from agentform.elevenlabs import open_client

    return open_client(desired.environment, project_dir, parallelism=parallelism, redactor=redactor)


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
) -> int:
    desired = load(project_dir, env, ref, strict)
    if desired is None:
        return exitcodes.ERROR
    redactor = Redactor(desired.secret_values)
    use_prune = desired.environment.prune if prune is None else prune
    err = console(stderr=True)

    async def plan_it() -> Planned:
        async with open_env_client(desired, project_dir, parallelism, redactor) as client:
            return await make_fresh_plan(
                client,
                desired,
                prune=use_prune,
                select=select,
                branch=branch,
                refresh_all=refresh_all,
                redactor=redactor,
            )

    try:
        planned = asyncio.run(plan_it())
    except Exception as error:  # API, transport, state record: one readable line, never a traceback with secrets
        err.print(Text(f"Error: {redactor.text(str(error))}", style="red"))
        return exitcodes.ERROR
    plan = planned.plan
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
