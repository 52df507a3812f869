"""`agentform force-unlock`: remove the environment's lock left by a run that died (a cancelled CI job).

A lock expires on its own (30 minutes by default); this is for not waiting. It shows who held the lock first:
removing the lock of a deploy that is still running lets a second one interleave with it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agentform import exitcodes
from agentform.commands._shared import Session, console
from agentform.model import Desired
from agentform.state.lock import force_unlock, list_locks

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def _describe(lock, now: float) -> str:
    state = "expired" if lock.expired(now) else f"expires in {int(lock.expires_at - now)}s"
    acquired = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(lock.acquired_at))
    return f"{lock.holder} ({lock.purpose}), taken {acquired}, {state}"


def run(project_dir: Path = Path("."), env: str | None = None, yes: bool = False) -> int:
    from agentform.elevenlabs import ElevenLabsError

    session = Session.open(project_dir, env)
    if session is None:
        return exitcodes.ERROR
    try:
        return session.run(lambda client: _unlock(client, session.desired, yes))
    except ElevenLabsError as error:
        return session.fail(error)


async def _unlock(client: ElevenLabsClient, desired: Desired, yes: bool) -> int:
    out = console()
    project, env_name = desired.settings.project, desired.environment.name
    locks = await list_locks(client, project, env_name)
    if not locks:
        out.print(f"Environment {env_name!r} is not locked.")
        return exitcodes.OK
    now = time.time()
    for lock in locks:
        out.print(f"Lock on {env_name!r}: {_describe(lock, now)}")
    if not yes and not click.confirm("Remove it? A run that still holds it would lose it", default=False):
        out.print("Nothing removed.")
        return exitcodes.ERROR
    removed = await force_unlock(client, project, env_name)
    out.print(f"Removed {len(removed)} lock document(s) of {env_name!r}.")
    return exitcodes.OK
