"""Rollback against the emulator: the config at the recorded version comes back as a new version on main."""

from __future__ import annotations

import asyncio

import httpx

from agentform.elevenlabs import ElevenLabsClient
from agentform.emulator import DEV_API_KEY, create_app
from agentform.gitops.rollback import RollbackTarget, restorable, rollback_agent


def _client() -> ElevenLabsClient:
    transport = httpx.ASGITransport(app=create_app(":memory:"))
    return ElevenLabsClient("http://emulator.local", DEV_API_KEY, transport=transport)


async def _scenario():
    async with _client() as client:
        agent_id = await client.create_agent(
            {
                "name": "Clinic Receptionist",
                "tags": ["af:clinic:prod", "af-key:receptionist"],
                "conversation_config": {"agent": {"first_message": "Alo!", "prompt": {"prompt": "Be kind."}}},
            }
        )
        good = await client.get_agent(agent_id)
        await client.update_agent(
            agent_id,
            {
                "name": "Broken",
                "conversation_config": {"agent": {"first_message": "Go away.", "prompt": {"prompt": "Be rude."}}},
                "version_description": "a bad change",
            },
        )
        result = await rollback_agent(client, RollbackTarget("receptionist", agent_id, good["version_id"], "smoke"))
        after = await client.get_agent(agent_id)
        version = await client.get_version(agent_id, after["version_id"])
        return good, after, version, result


def test_rollback_restores_every_field_of_the_recorded_version_as_a_new_described_version():
    good, after, version, result = asyncio.run(_scenario())
    assert result.ok, result.mismatches
    assert after["version_id"] not in (None, good["version_id"])
    assert result.new_version_id == after["version_id"]
    assert restorable(after) == restorable(good)
    assert after["conversation_config"]["agent"]["first_message"] == "Alo!"
    assert after["name"] == "Clinic Receptionist"
    assert version["version_description"] == f"Rollback to {good['version_id']} (smoke)"
