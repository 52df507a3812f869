"""SIGINT and SIGTERM in the middle of an apply: the run says what it did, releases the lock and exits 130 / 143.

The CLI runs as a real process against a served emulator that answers every request after 300 ms, so the signal
arrives while the apply holds the lock and writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.apply.test_commands import project as project  # the example project, copied
from tests.support.emulator_server import running_emulator

from agentform.emulator import DEV_API_KEY
from agentform.state.lock import LOCK_PREFIX


def lock_documents(api: httpx.Client) -> list[dict]:
    answer = api.get("/v1/convai/knowledge-base", params={"search": LOCK_PREFIX, "types": "text"})
    return answer.json()["documents"]


def interrupted_apply(project_dir: Path, base_url: str, signum: int) -> tuple[int, str, list[dict]]:
    """Start an apply, send `signum` once it holds the lock; its exit code, stderr and the lock documents left."""
    with httpx.Client(base_url=base_url, headers={"xi-api-key": DEV_API_KEY}, timeout=30) as api:
        api.post("/_emulator/faults", json={"kind": "latency", "latency_ms": 300}).raise_for_status()
        # The agents' creates come last and hang, so the signal finds the apply mid-run however slowly this process
        # notices the lock (a loaded machine once let the whole apply finish first).
        hang = {"kind": "latency", "latency_ms": 8000, "method": "POST", "path": "/v1/convai/agents/create"}
        api.post("/_emulator/faults", json=hang).raise_for_status()
        environ = {**os.environ, "ELEVENLABS_BASE_URL": base_url}
        command = [sys.executable, "-m", "agentform", "apply", "-C", str(project_dir), "--auto-approve"]
        process = subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not lock_documents(api):
            assert process.poll() is None and time.monotonic() < deadline, "the apply never took the lock"
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
        return process.returncode, err.decode(), lock_documents(api)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_apply_releases_the_lock_and_reports_what_was_done(project, signum, code):
    with running_emulator() as base_url:
        exit_code, err, left = interrupted_apply(project, base_url, signum)
    assert (exit_code, left) == (code, [])
    assert "Apply interrupted" in err
