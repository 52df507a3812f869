"""`agentform emulator serve` as a real process: keys from flags, the environment or the printed dev key."""

from __future__ import annotations

import io
import socket

import httpx
import pytest
from tests.support.emulator_server import serve_process as serve
from tests.support.emulator_server import stop_process as stop

from agentform.commands import emulator_serve
from agentform.emulator import DEV_API_KEY

pytestmark = pytest.mark.e2e


def test_serve_with_a_db_file_keeps_state_across_restarts_and_prints_the_dev_key(tmp_path):
    db = tmp_path / "state.sqlite"
    headers = {"xi-api-key": DEV_API_KEY}
    process, base_url = serve("--db", str(db), env={"AGENTFORM_EMULATOR_API_KEY": ""})
    try:
        agent_id = httpx.post(
            f"{base_url}/v1/convai/agents/create", json={"conversation_config": {}}, headers=headers
        ).json()["agent_id"]
    finally:
        banner = stop(process)
    process, base_url = serve("--db", str(db), env={"AGENTFORM_EMULATOR_API_KEY": ""})
    try:
        again = httpx.get(f"{base_url}/v1/convai/agents/{agent_id}", headers=headers)
    finally:
        stop(process)

    assert DEV_API_KEY in banner
    assert again.status_code == 200


def test_keys_from_flags_are_the_only_ones_accepted_and_are_never_printed():
    process, base_url = serve("--api-key", "sk_team_secret")
    try:
        accepted = httpx.get(f"{base_url}/v1/convai/agents", headers={"xi-api-key": "sk_team_secret"})
        refused = httpx.get(f"{base_url}/v1/convai/agents", headers={"xi-api-key": DEV_API_KEY})
    finally:
        banner = stop(process)

    assert (accepted.status_code, refused.status_code) == (200, 401)
    assert "sk_team_secret" not in banner


def test_keys_come_from_the_environment_when_no_flag_is_given():
    keys, source = emulator_serve.accepted_keys((), {"AGENTFORM_EMULATOR_API_KEY": "k1, k2"})

    assert (keys, source) == (("k1", "k2"), "AGENTFORM_EMULATOR_API_KEY")


def test_a_port_in_use_is_a_clear_error_with_exit_code_1():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = io.StringIO()

        code = emulator_serve.run(port=busy.getsockname()[1], out=out)

    assert code == 1
    assert "cannot listen on 127.0.0.1" in out.getvalue()
