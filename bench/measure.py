"""Running one CLI command against the served emulator and measuring it: wall time, requests, peak memory."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from agentform.emulator import DEV_API_KEY

# Page size of every cursor list the client reads (`agentform.elevenlabs.core.PAGE_SIZE`).
PAGE = 100


@dataclass(frozen=True)
class Bound:
    """The least a scenario can cost: sequential dependency levels, plus the other requests `parallelism` at a time."""

    levels: int
    requests: int

    def secs(self, latency: float, parallelism: int) -> float:
        return (self.levels + math.ceil(self.requests / parallelism)) * latency


@dataclass(frozen=True)
class Measured:
    scenario: str
    agents: int
    wall_secs: float
    exit_code: int
    by_method: dict[str, int]
    peak_mib: float
    bound_secs: float | None
    # What the command printed: the reason when it failed.
    output: str = field(default="", repr=False)
    # With repeated runs: the fastest run's wall time (this one is the median's).
    fastest_secs: float | None = None

    @property
    def requests(self) -> int:
        return sum(self.by_method.values())

    def row(self) -> list[str]:
        methods = " ".join(f"{method} {count}" for method, count in sorted(self.by_method.items())) or "-"
        bound = f"{self.bound_secs:.2f}" if self.bound_secs else "-"
        ratio = f"{self.wall_secs / self.bound_secs:.1f}x" if self.bound_secs else "-"
        return [
            self.scenario,
            str(self.agents),
            f"{self.wall_secs:.2f}",
            f"{self.fastest_secs if self.fastest_secs is not None else self.wall_secs:.2f}",
            str(self.requests),
            methods,
            bound,
            ratio,
            f"{self.peak_mib:.0f}",
        ]


HEADER = ["scenario", "agents", "wall s", "min s", "requests", "by method", "bound s", "ratio", "peak MiB"]


class Emulator:
    """The admin side of a served emulator: latency, the request log, direct API calls (a dashboard user)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, headers={"xi-api-key": DEV_API_KEY}, timeout=60)

    def reset(self, latency_ms: float) -> None:
        self.http.post("/_emulator/reset").raise_for_status()
        if latency_ms:
            fault = {"kind": "latency", "latency_ms": latency_ms}
            self.http.post("/_emulator/faults", json=fault).raise_for_status()

    def mark(self) -> int:
        return int(self.http.get("/_emulator/requests", params={"since": 10**12}).json()["last_seq"])

    def requests_since(self, mark: int) -> dict[str, int]:
        entries = self.http.get("/_emulator/requests", params={"since": mark}).json()["requests"]
        return dict(Counter(entry["method"] for entry in entries if entry["path"].startswith("/v1/")))

    def agent_id(self, name: str) -> str:
        """The id of the agent called `name`: a search matches prefixes too ("Agent 1" finds "Agent 10"...), so
        every page is read."""
        params: dict[str, str | int] = {"search": name, "page_size": 100}
        while True:
            page = self.http.get("/v1/convai/agents", params=params).json()
            found = [agent["agent_id"] for agent in page["agents"] if agent["name"] == name]
            if found or not page.get("has_more"):
                return str(found[0])
            params["cursor"] = page["next_cursor"]

    def rename_agent(self, agent_id: str, name: str) -> None:
        self.http.patch(f"/v1/convai/agents/{agent_id}", json={"name": name}).raise_for_status()

    def create_agent(self, name: str) -> str:
        """An agent built in the dashboard, not managed by agentform (what `import agent` adopts)."""
        body = {"name": name, "conversation_config": {"agent": {"prompt": {"prompt": "Built by hand."}}}}
        answer = self.http.post("/v1/convai/agents/create", json=body)
        answer.raise_for_status()
        return str(answer.json()["agent_id"])

    def close(self) -> None:
        self.http.close()


def run_cli(
    emulator: Emulator,
    project: Path,
    args: list[str],
    *,
    scenario: str,
    agents: int,
    bound: float | None,
    source: Path | None = None,
) -> Measured:
    """`python -m agentform ARGS` in `project` as a fresh process, as a user or CI job runs it; `source`: another
    checkout's `src/` to run instead of this one (the baseline of `--compare-with`)."""
    environ = {**os.environ, "ELEVENLABS_BASE_URL": emulator.base_url, "BENCH_API_KEY": DEV_API_KEY}
    environ.pop("GITHUB_ACTIONS", None)
    if source is not None:
        environ["PYTHONPATH"] = str(source)
    mark = emulator.mark()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "agentform", *args],
            cwd=project,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        # wait4, not wait: the child's own peak resident set size (ru_maxrss, KiB on Linux).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        printed = output.read().decode(errors="replace")
    by_method = emulator.requests_since(mark)
    return Measured(scenario, agents, wall, process.returncode, by_method, usage.ru_maxrss / 1024, bound, printed)
