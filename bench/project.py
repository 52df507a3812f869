"""A generated project of N agents on disk, pointed at a served emulator (documents, tools, tests in proportion)."""

from __future__ import annotations

from pathlib import Path

from bench.bench_validate import generate

CONFIG = """\
project: bench
default_environment: bench
environments:
  bench: {backend: api, api_key_env: BENCH_API_KEY, parallelism: %(parallelism)d}
  production: {backend: api}
variables:
  VOICE_ID: {default: 21m00Tcm4TlvDq8ikWAM}
  TURN_TIMEOUT: {default: "7"}
  TOKEN: {default: bench-token, secret: true}
"""


def write_project(root: Path, agents: int, parallelism: int) -> None:
    """agents/, knowledge/ (agents / 10), tools/ (agents / 25) and two tests per agent, as `bench_validate` makes."""
    generate(root, agents)
    (root / "agentform.yaml").write_text(CONFIG % {"parallelism": parallelism})


def prompt_path(root: Path, agent: int) -> Path:
    return root / "agents" / f"agent-{agent}" / "prompt.md"


def counts(agents: int) -> dict[str, int]:
    """What `write_project` makes, for the lower bounds."""
    return {
        "agents": agents,
        "documents": max(2, agents // 10),
        "tools": max(1, agents // 25),
        "tests": 2 * agents,
    }
