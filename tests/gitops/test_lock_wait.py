"""Waiting for the environment lock: a PR check queues behind a deploy; a deploy fails at once by default."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from agentform.elevenlabs import ElevenLabsClient
from agentform.emulator import DEV_API_KEY, create_app
from agentform.model import Desired, EnvironmentSettings, ProjectSettings
from agentform.state.lock import LockHeld, acquire_lock, environment_lock

LOCAL = EnvironmentSettings(name="local", backend="emulator")
DESIRED = Desired(
    settings=ProjectSettings(project="clinic", default_environment="local", environments={"local": LOCAL}),
    environment=LOCAL,
)


async def _scenario(wait_secs: float, release_after: float | None) -> str:
    transport = httpx.ASGITransport(app=create_app(":memory:"))
    async with ElevenLabsClient("http://emulator.local", DEV_API_KEY, transport=transport) as client:
        deploy = await acquire_lock(client, "clinic", "local", holder="deploy", purpose="ci deploy", ttl_secs=60)

        async def finish_deploy() -> None:
            if release_after is not None:
                await asyncio.sleep(release_after)
                await deploy.release()

        releasing = asyncio.create_task(finish_deploy())
        try:
            async with environment_lock(
                client, DESIRED, holder="pr", purpose="ci pr", ttl_secs=60, wait_secs=wait_secs
            ) as lock:
                return lock.info.holder
        finally:
            await releasing


def test_a_waiting_run_gets_the_lock_once_the_holder_releases_it(monkeypatch):
    monkeypatch.setattr("agentform.state.lock._LOCK_POLL_SECS", 0.2)
    assert asyncio.run(_scenario(wait_secs=10, release_after=1.5)) == "pr"


def test_without_waiting_a_held_lock_is_refused_naming_its_holder(monkeypatch):
    monkeypatch.setattr("agentform.state.lock._LOCK_POLL_SECS", 0.2)
    with pytest.raises(LockHeld, match="deploy"):
        asyncio.run(_scenario(wait_secs=0, release_after=None))
