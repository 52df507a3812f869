"""`agentform pull`: write dashboard edits of managed resources, made since the last apply, back into the files.

I/O only: plan against the workspace (the plan's drift is the 3-way comparison with the state record), let
`adopt/pull.py` decide what each drifted field becomes in the files, refuse with exit 4 when a file changed the same
field (unless `--force`), write. Nothing is sent to the API: pull changes the files, the next apply the workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.text import Text

from agentform import exitcodes
from agentform.adopt.pull import pull_changes
from agentform.commands._shared import Session, console


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    select: Sequence[str] = (),
    force: bool = False,
    parallelism: int | None = None,
) -> int:
    session = Session.open(project_dir, env, parallelism=parallelism)
    if session is None:
        return exitcodes.ERROR
    try:
        planned = session.run(lambda client: session.plan(client, prune=False, select=select))
    except Exception as error:  # API, transport, state record: one readable line, secrets masked
        return session.fail(error)
    live = planned.workspace.live
    result = pull_changes(
        session.desired,
        planned.plan,
        live,
        read_file=lambda path: (project_dir / path).read_text(encoding="utf-8"),
        redactor=session.redactor,
        force=force,
    )
    out, err = console(), console(stderr=True)
    if result.conflicts and not force:
        err.print(Text("Changed in the files and live since the last apply (--force takes the live values):", "red"))
        for conflict in result.conflicts:
            err.print(Text(f"  {conflict}", style="red"))
        err.print("Nothing was written.")
        return exitcodes.STALE_OR_CONFLICT
    for path, text in sorted(result.files.items()):
        # Bytes, not text mode: a prompt or document keeps its own line endings exactly.
        (project_dir / path).write_bytes(text.encode())
    for pulled in result.pulled:
        out.print(f"  < {pulled}")
    for kept in result.kept:
        out.print(Text(f"  ! {kept}", style="yellow"))
    if live.record is None:
        out.print("No state record yet (nothing applied): there is no last apply to compare live edits with.")
    elif not result.pulled and not result.kept:
        out.print("Nothing to pull: no managed resource changed live since the last apply.")
    else:
        out.print(f"Pulled {len(result.pulled)} field(s) into {len(result.files)} file(s); review them with git diff.")
    return exitcodes.OK
