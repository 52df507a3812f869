"""`open_client` picks the API host, the key and the transport from configuration alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.support.emulator_server import running_emulator

from agentform.connect import EMULATOR_BASE_URL, open_client
from agentform.elevenlabs import ElevenLabsClient, ElevenLabsError, MissingApiKeyError
from agentform.emulator import DEV_API_KEY
from agentform.model import EnvironmentSettings
from agentform.redact import MASK, Redactor


def environment(**fields) -> EnvironmentSettings:
    return EnvironmentSettings(name=fields.pop("name", "production"), **fields)


def close(client: ElevenLabsClient) -> None:
    asyncio.run(client.aclose())


def test_the_api_backend_uses_the_residency_host_and_the_named_key(tmp_path: Path) -> None:
    env = environment(residency="eu", api_key_env="CLINIC_XI_KEY")
    client = open_client(env, tmp_path, environ={"CLINIC_XI_KEY": "sk_live_abcdef"})
    assert client.base_url == "https://api.eu.residency.elevenlabs.io"
    assert client._http.headers["xi-api-key"] == "sk_live_abcdef"
    close(client)


def test_the_global_residency_is_the_default_host(tmp_path: Path) -> None:
    client = open_client(environment(), tmp_path, environ={"ELEVENLABS_API_KEY": "sk_live_abcdef"})
    assert client.base_url == "https://api.elevenlabs.io"
    close(client)


def test_an_explicit_base_url_wins_over_the_residency(tmp_path: Path) -> None:
    env = environment(residency="us", base_url="https://proxy.example.test/eleven/")
    client = open_client(env, tmp_path, environ={"ELEVENLABS_API_KEY": "sk_live_abcdef"})
    assert client.base_url == "https://proxy.example.test/eleven"
    close(client)


def test_elevenlabs_base_url_overrides_every_environment_setting(tmp_path: Path) -> None:
    env = environment(residency="sg", base_url="https://ignored.test")
    environ = {"ELEVENLABS_API_KEY": "sk_live_abcdef", "ELEVENLABS_BASE_URL": "http://127.0.0.1:8787"}
    client = open_client(env, tmp_path, environ=environ)
    assert client.base_url == "http://127.0.0.1:8787"
    close(client)


@pytest.mark.parametrize("value", ["127.0.0.1:8787", "ftp://files.test", "http://"])
def test_a_base_url_that_is_not_http_is_refused_naming_the_variable(tmp_path: Path, value: str) -> None:
    environ = {"ELEVENLABS_API_KEY": "sk_live_abcdef", "ELEVENLABS_BASE_URL": value}
    with pytest.raises(ElevenLabsError, match="ELEVENLABS_BASE_URL"):
        open_client(environment(), tmp_path, environ=environ)


def test_a_missing_key_is_an_error_that_names_the_variable_and_environment(tmp_path: Path) -> None:
    with pytest.raises(MissingApiKeyError) as caught:
        open_client(environment(name="staging", api_key_env="STAGING_XI_KEY"), tmp_path, environ={})
    assert caught.value.variable == "STAGING_XI_KEY"
    assert "STAGING_XI_KEY" in str(caught.value)
    assert "'staging'" in str(caught.value)


def test_an_empty_key_variable_counts_as_missing(tmp_path: Path) -> None:
    with pytest.raises(MissingApiKeyError):
        open_client(environment(), tmp_path, environ={"ELEVENLABS_API_KEY": ""})


def test_parallelism_comes_from_the_environment_unless_overridden(tmp_path: Path) -> None:
    environ = {"ELEVENLABS_API_KEY": "sk_live_abcdef"}
    client = open_client(environment(parallelism=3), tmp_path, environ=environ)
    assert client.parallelism == 3
    close(client)
    client = open_client(environment(parallelism=3), tmp_path, environ=environ, parallelism=12)
    assert client.parallelism == 12
    close(client)


def test_the_key_joins_the_callers_redactor(tmp_path: Path) -> None:
    redactor = Redactor()
    client = open_client(environment(), tmp_path, environ={"ELEVENLABS_API_KEY": "sk_live_abcdef"}, redactor=redactor)
    assert redactor.text("key=sk_live_abcdef") == f"key={MASK}"
    close(client)


def test_the_emulator_backend_runs_in_process_with_state_in_its_db_file(tmp_path: Path) -> None:
    env = environment(name="local", backend="emulator", emulator_db=".agentform/state/emulator.sqlite")

    async def create_then_list() -> tuple[str, list[dict]]:
        async with open_client(env, tmp_path, environ={}) as first:
            assert first.base_url == EMULATOR_BASE_URL
            agent_id = await first.create_agent({"name": "Clinic", "conversation_config": {}})
        # A second client (a second command) sees what the first one wrote: the state is in the file.
        async with open_client(env, tmp_path, environ={}) as second:
            return agent_id, await second.list_agents()

    agent_id, agents = asyncio.run(create_then_list())
    assert (tmp_path / ".agentform/state/emulator.sqlite").is_file()
    assert [agent["agent_id"] for agent in agents] == [agent_id]


def test_elevenlabs_base_url_points_an_emulator_environment_at_a_served_emulator(tmp_path: Path) -> None:
    env = environment(name="local", backend="emulator")
    with running_emulator() as base_url:

        async def create_and_read() -> dict:
            async with open_client(env, tmp_path, environ={"ELEVENLABS_BASE_URL": base_url}) as client:
                agent_id = await client.create_agent({"name": "Served", "conversation_config": {}})
                return await client.get_agent(agent_id)

        agent = asyncio.run(create_and_read())
    assert agent["name"] == "Served"
    # Nothing went to the in-process database.
    assert not (tmp_path / env.emulator_db).exists()


def test_the_in_process_emulator_gets_its_development_key_never_a_real_one(tmp_path: Path) -> None:
    client = open_client(environment(backend="emulator"), tmp_path, environ={"ELEVENLABS_API_KEY": "sk_live_real"})
    assert client._http.headers["xi-api-key"] == DEV_API_KEY
    agents = asyncio.run(_list_and_close(client))
    assert agents == []


async def _list_and_close(client: ElevenLabsClient) -> list[dict]:
    async with client:
        return await client.list_agents()
