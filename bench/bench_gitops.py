"""GitOps benchmark: what `ci pr` costs beyond the work it orchestrates, and what composing a huge comment costs.

    .venv/bin/python bench/bench_gitops.py [--rounds 3] [--prompt-lines 50000]

Each figure sits beside a baseline measured in the same run, reported as a ratio:

- `ci pr` on the example project (one agent changed, against the in-process emulator with its state in a SQLite
  file, everything else already deployed) next to the two commands a person would run for the same result:
  `apply --branch pr-1 --select <agent>` then `test --branch pr-1 --select <agent>`. The difference is what the
  check adds: validation and change detection at a git ref, the plan against main for the comment, the report.
- composing the sticky comment for a plan whose prompt diff has N lines (cut to fit 65,536 characters, fences and
  `<details>` closed) next to a bare `"\\n".join` of the same text (the floor).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import git

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from agentform.commands import apply as apply_command  # noqa: E402
from agentform.commands import ci_pr  # noqa: E402
from agentform.commands import test as test_command  # noqa: E402
from agentform.gitops.comment import Section, compose_comment, marker  # noqa: E402

EXAMPLE_PARTS = ("agentform.yaml", "agents", "knowledge", "tools", "tests_specs")
AGENT = "clinic-receptionist"


def _quiet(call: Callable[[], int]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return call()


def _repository(folder: Path) -> Path:
    """The example project deployed to its local emulator, with a branch changing one agent's greeting."""
    for part in EXAMPLE_PARTS:
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / part)
    (folder / ".gitignore").write_text(".agentform/\n")
    repo = git.Repo.init(folder, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Bench").set_value("user", "email", "bench@example.test")
    repo.git.add(A=True)
    repo.index.commit("Agents")
    assert _quiet(lambda: apply_command.run(project_dir=folder, env="local", auto_approve=True)) == 0
    repo.git.checkout("-b", "greeting")
    agent_file = folder / "agents" / AGENT / "agent.yaml"
    agent_file.write_text(agent_file.read_text().replace("vă pot ajuta", "vă putem ajuta"))
    repo.git.add(A=True)
    repo.index.commit("Greeting")
    return folder


def _timed(call: Callable[[], int]) -> float:
    started = time.perf_counter()
    code = _quiet(call)
    elapsed = time.perf_counter() - started
    assert code == 0, f"exit {code}"
    return elapsed


def bench_ci_pr(rounds: int) -> tuple[float, float]:
    check, manual = [], []
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "ELEVENLABS_"))}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
            first, second = _repository(Path(one)), _repository(Path(two))

            def check_run(folder: Path = first) -> int:
                return ci_pr.run(
                    project_dir=folder,
                    env="local",
                    base="main",
                    head="HEAD",
                    pr_number=1,
                    comment=False,
                    environ=environ,
                )

            check.append(_timed(check_run))

            def by_hand(folder: Path = second) -> int:
                applied = apply_command.run(
                    project_dir=folder, env="local", select=(AGENT,), branch="pr-1", auto_approve=True
                )
                return applied or test_command.run(project_dir=folder, env="local", select=(AGENT,), branch="pr-1")

            manual.append(_timed(by_hand))
    return statistics.median(check), statistics.median(manual)


def bench_comment(prompt_lines: int, rounds: int) -> tuple[float, float, int]:
    diff = "```diff\n" + "\n".join(f"+ line {n} of a long system prompt, in Romanian" for n in range(prompt_lines))
    sections = [Section("Plan", diff + "\n```"), Section("Tests", "| a | b |\n|---|---|\n" * 50)]
    composed, floor = [], []
    body = ""
    for _ in range(rounds):
        started = time.perf_counter()
        body = compose_comment(marker_line=marker("pr", "bench"), headline="h", summary=["s"], sections=sections)
        composed.append(time.perf_counter() - started)
        started = time.perf_counter()
        "\n".join([marker("pr", "bench"), "h", "s", *(section.body for section in sections)])
        floor.append(time.perf_counter() - started)
    return statistics.median(composed), statistics.median(floor), len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prompt-lines", type=int, default=50_000)
    args = parser.parse_args()

    check, manual = bench_ci_pr(args.rounds)
    print(f"ci pr (one agent, in-process emulator):   {check:7.2f} s   median of {args.rounds}")
    print(f"baseline apply --branch + test --branch:  {manual:7.2f} s")
    print(f"ratio ci pr / baseline:                   {check / manual:7.2f}x")
    composed, floor, size = bench_comment(args.prompt_lines, max(args.rounds, 5))
    print(f"comment for a {args.prompt_lines}-line diff:      {composed * 1000:7.1f} ms   ({size} chars posted)")
    print(f"baseline join of the same text:           {floor * 1000:7.1f} ms")
    print(f"ratio compose / join:                     {composed / floor:7.1f}x")


if __name__ == "__main__":
    main()
