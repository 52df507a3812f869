"""agentform against a hostile server over real HTTP: each misbehaviour ends in a clean exit 1, in time, with no
write sent and no secret shown.

The proxy (`hostile.py`) sits between the CLI and an emulator that already holds the applied canary project. The
client's deadline is shortened for the test (3 s instead of 120 s) and the page and body bounds lowered, so each
case finishes in seconds; the mechanisms are the ones production uses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time

import pytest
from tests.apply.helpers import request_log, write_requests
from tests.reliability.hostile import HostileProxy
from tests.reliability.project import OLD_SECRET, write_project
from tests.support.emulator_server import serving

from agentform import exitcodes, retrying
from agentform.commands import apply as apply_command
from agentform.commands import plan as plan_command
from agentform.elevenlabs import RetryPolicy
from agentform.elevenlabs import core as client_core
from agentform.emulator import create_app

DEADLINE = 3.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """(project, emulator app, proxy, base URL): the canary project applied through the proxy before any rule."""
    project = write_project(tmp_path_factory.mktemp("hostile") / "project")
    app = create_app(":memory:")
    proxy = HostileProxy(app)
    with serving(proxy) as base_url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ELEVENLABS_BASE_URL", base_url)
        patch.setenv("ROTATING_TOKEN", OLD_SECRET)
        assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
        yield project, app, proxy, base_url


@pytest.fixture
def hostile(served, monkeypatch):
    project, app, proxy, base_url = served
    monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
    monkeypatch.setenv("ROTATING_TOKEN", OLD_SECRET)
    policy = RetryPolicy(max_retries=3, base_delay=0.05, max_delay=0.1, deadline=DEADLINE)
    monkeypatch.setattr(client_core, "RetryPolicy", lambda: dataclasses.replace(policy))
    monkeypatch.setattr(client_core, "MAX_PAGES", 40)
    monkeypatch.setattr(retrying, "MAX_BODY_BYTES", 1024 * 1024)
    proxy.rules.clear()
    yield project, app, proxy
    proxy.rules.clear()


CASES = {
    "endless-cursor": "more than 40 pages",
    "null-list": "agents: null, not a list",
    "wrong-type": r"agents\[0\]: a str, not an object",
    "truncated-json": "application/json that is not JSON",
    "html-200": "text/html that is not JSON",
    "huge": "more than 1048576 bytes",
    "trickle": "no complete answer within",
}


@pytest.mark.parametrize("mode", list(CASES))
def test_a_misbehaving_agents_list_ends_in_exit_1_in_time_with_no_write(hostile, capsys, mode):
    project, app, proxy = hostile
    before = asyncio.run(request_log(app))
    proxy.misbehave("/v1/convai/agents", mode)
    started = time.monotonic()
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.ERROR
    took = time.monotonic() - started
    captured = capsys.readouterr()
    assert proxy.hits, "the misbehaviour was served"
    assert re.search(f"agents: GET /v1/convai/agents .*{CASES[mode]}", captured.err), captured.err
    assert "Traceback" not in captured.err
    assert OLD_SECRET not in captured.out + captured.err
    assert took < DEADLINE + 10, f"{mode}: {took:.1f} s"
    after = asyncio.run(request_log(app))
    assert write_requests(after[len(before) :]) == [], "nothing was written"


def test_with_the_server_well_again_the_plan_is_a_no_op(hostile, capsys):
    project, _, _ = hostile
    assert plan_command.run(project_dir=project, detailed_exitcode=True) == exitcodes.OK


def test_a_null_tools_list_is_not_read_as_no_tools(hostile, capsys):
    project, _, proxy = hostile
    proxy.misbehave("/v1/convai/tools", "null-list")
    assert plan_command.run(project_dir=project, detailed_exitcode=True) == exitcodes.ERROR
    assert "tools: GET /v1/convai/tools answered tools: null, not a list" in capsys.readouterr().err
