"""`agentform force-unlock`: remove the environment's lock left by a run that died (a cancelled CI job).

A lock expires on its own (30 minutes by default); this is for not waiting. It shows who held the lock first:
removing the lock of a deploy that is still running lets a second one interleave with it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click

from agentform import exitcodes
from agentform.commands.plan import console, load, open_env_client
from agentform.plan import identity
from agentform.plan.state import find_folder, force_unlock, list_locks
from agentform.redact import Redactor


def _describe(lock, now: float) -> str:
    state = "expired" if lock.expired(now) else f"expires in {int(lock.expires_at - now)}s"
    acquired = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(lock.acquired_at))
    return f"{lock.holder} ({lock.purpose}), taken {acquired}, {state}"


def run(project_dir: Path = Path("."), env: str | None = None, yes: bool = False) -> int:
    desired = load(project_dir, env, None, False)
    if desired is None:
        return exitcodes.ERROR
    return asyncio.run(_unlock(project_dir, desired, yes))


async def _unlock(project_dir: Path, desired, yes: bool) -> int:
    from agentform.elevenlabs import ElevenLabsError

    out, err = console(), console(stderr=True)
    env_name = desired.environment.name
    redactor = Redactor(desired.secret_values)
    try:
        async with open_env_client(desired, project_dir, None, redactor) as client:
            folder = await find_folder(client, identity.folder_name(desired.settings.project, env_name))
            locks = await list_locks(client, str(folder["id"]), env_name) if folder else []
            if not locks:
                out.print(f"Environment {env_name!r} is not locked.")
                return exitcodes.OK
            now = time.time()
            for lock in locks:
                out.print(f"Lock on {env_name!r}: {_describe(lock, now)}")
            if not yes and not click.confirm("Remove it? A run that still holds it would lose it", default=False):
                out.print("Nothing removed.")
                return exitcodes.ERROR
            removed = await force_unlock(client, str(folder["id"]), env_name)
    except ElevenLabsError as error:
        err.print(f"Error: {redactor.text(str(error))}")
        return exitcodes.ERROR
    out.print(f"Removed {len(removed)} lock document(s) of {env_name!r}.")
    return exitcodes.OK
