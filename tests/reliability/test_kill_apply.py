"""SIGKILL at a random point of `agentform apply`, then run again: converged, no duplicate, no orphan, no lost change.

Real processes over real HTTP: the emulator is served by its own process with its state in a file, and every
`agentform` command is a separate process, killed with SIGKILL (no handler runs) after a seeded random number of
its writes. A lock left behind is reported (exit 4 naming the lock) until `force-unlock`; then apply completes
the rest.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.apply.helpers import network_client
from tests.reliability.census import duplicates
from tests.reliability.conftest import seeds
from tests.support.emulator_server import serve_process, stop_process
from tests.support.example import copy_example

from agentform import exitcodes
from agentform.emulator.app import DEV_API_KEY

PROJECT = "example-voice-agents"
ADMIN = {"xi-api-key": DEV_API_KEY}


def agentform(project: Path, base_url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ELEVENLABS_BASE_URL": base_url}
    return subprocess.Popen(
        [sys.executable, "-m", "agentform", *args, "-C", str(project)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_writes(base_url: str, count: int, process: subprocess.Popen, since: int = 0) -> None:
    """Return once the emulator has received `count` writes after `since` (the process must still be running)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        log = httpx.get(f"{base_url}/_emulator/requests", params={"since": since}, headers=ADMIN).json()
        if log["write_count"] >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"the apply ended or stalled before its write number {count}")


def finished(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


@pytest.fixture
def served(tmp_path: Path):
    copy_example(tmp_path)
    process, base_url = serve_process("--db", str(tmp_path / "workspace.sqlite"))
    yield tmp_path, base_url
    stop_process(process)


# A request cut off by the kill reaches the server with half a body: invalid on purpose, not judged.
@pytest.mark.sends_invalid_requests
@pytest.mark.parametrize("seed", seeds())
def test_an_apply_killed_at_a_random_point_converges_on_the_next_run(served, seed):
    project, base_url = served
    # Every request a little slow while the doomed run goes, so that the kill lands inside the apply.
    faults = f"{base_url}/_emulator/faults"
    httpx.post(faults, json={"kind": "latency", "latency_ms": 15}, headers=ADMIN).raise_for_status()
    run = agentform(project, base_url, "apply", "--auto-approve")
    # Killed after a random number of the apply's writes (it sends about 30): inside the apply however fast it runs.
    wait_for_writes(base_url, random.Random(seed).randint(1, 20), run)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)  # reaps it and closes its pipes
    assert run.returncode == -signal.SIGKILL, "killed while running, not after it had finished"
    httpx.delete(faults, headers=ADMIN).raise_for_status()

    code, output = finished(agentform(project, base_url, "apply", "--auto-approve"))
    if code == exitcodes.STALE_OR_CONFLICT:
        assert "lock" in output.lower(), output
        assert finished(agentform(project, base_url, "force-unlock", "--yes"))[0] == exitcodes.OK
        code, output = finished(agentform(project, base_url, "apply", "--auto-approve"))
    assert code == exitcodes.OK, output

    code, output = finished(agentform(project, base_url, "plan", "--detailed-exitcode"))
    assert code == exitcodes.OK, f"not converged:\n{output}"
    assert _duplicates(base_url) == {}


def _duplicates(base_url: str) -> dict[str, list[str]]:
    async def census() -> dict[str, list[str]]:
        async with network_client(base_url) as client:
            return await duplicates(client, PROJECT, "local")

    return asyncio.run(census())


def test_two_applies_started_together_both_succeed_one_after_the_other_with_no_duplicate(served):
    project, base_url = served
    runs = [agentform(project, base_url, "apply", "--auto-approve", "--lock-wait", "120") for _ in range(2)]
    results = [finished(run) for run in runs]
    assert [code for code, _ in results] == [exitcodes.OK, exitcodes.OK], results
    code, output = finished(agentform(project, base_url, "plan", "--detailed-exitcode"))
    assert code == exitcodes.OK, f"not converged:\n{output}"
    assert _duplicates(base_url) == {}
