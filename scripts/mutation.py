"""Mutation testing of the code that decides what gets written or deleted (docs/testing.md, decision 0150).

    python scripts/mutation.py                          # every group, 2 workers
    python scripts/mutation.py redact rollback          # some groups
    python scripts/mutation.py --jobs 4 planner
    python scripts/mutation.py --survivors executor     # only the last run's survivors, against today's tests

Each group is a set of modules and the tests that cover them: mutmut (a [dev] dependency) changes one thing at a
time in a module (a condition flipped, a constant changed, a call dropped), and for each such mutant runs only the
tests of the group that executed the mutated function, stopping at the first failure. A mutant no test notices is
a behaviour the suite does not pin down. Slow: run it before a release, never in `.ci/run`.

Each group runs in its own scratch copy of the working tree (`.mutation/<group>`, ignored by git), because mutmut
reads its settings from the `pyproject.toml` of the folder it runs in. The summary and the survivors are printed,
and written to `.mutation/<group>/survivors.txt` (`mutmut show <name>` in that folder shows a mutant's diff).
`--survivors` tests those again in the same folder with the tests as they are now, keeping every other verdict:
for the loop of reading survivors and writing tests, not for a figure after the modules changed (it refuses then).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / ".mutation"
KILLED = {"killed", "timeout"}
ALSO_COPY = ("agentform.yaml", "agents", "knowledge", "tools", "tests_specs", ".github")


@dataclass(frozen=True)
class Group:
    modules: tuple[str, ...]
    tests: tuple[str, ...]


GROUPS = {
    "redact": Group(("src/agentform/redact.py",), ("tests/test_redact.py", "tests/plan/test_plan_render.py")),
    "gc": Group(
        ("src/agentform/apply/gc.py",),
        (
            "tests/apply/test_gc_collect.py",
            "tests/apply/test_gc_spec.py",
            "tests/apply/test_branches_drift_gc.py",
            "tests/apply/test_crash_recovery.py",
            "tests/apply/test_ownership.py",
        ),
    ),
    "lock": Group(
        ("src/agentform/state/lock.py",),
        (
            "tests/apply/test_lock.py",
            "tests/apply/test_lock_spec.py",
            "tests/apply/test_read_once.py",
            "tests/apply/test_crash_recovery.py",
        ),
    ),
    "planner": Group(
        ("src/agentform/plan/planner.py", "src/agentform/plan/versions.py"),
        (
            "tests/plan/test_plan_planner.py",
            "tests/plan/test_planner_spec.py",
            "tests/plan/test_planner_agents_spec.py",
            "tests/plan/test_planner_secrets_spec.py",
            "tests/reliability/test_workspace_secrets.py",
            "tests/reliability/test_duplicate_agents.py",
            "tests/apply/test_recorded_secrets.py",
            "tests/plan/test_plan_properties.py",
            "tests/apply/test_gc_collect.py",
            "tests/apply/test_prune_off_by_default.py",
            "tests/apply/test_branches_drift_gc.py",
            "tests/apply/test_ownership.py",
            "tests/apply/test_plan_reads.py",
        ),
    ),
    "executor": Group(
        ("src/agentform/apply/executor.py", "src/agentform/apply/run.py", "src/agentform/apply/operations.py"),
        (
            "tests/apply/test_executor_spec.py",
            "tests/apply/test_executor_record_spec.py",
            "tests/apply/test_executor_deletes_branches_spec.py",
            "tests/apply/test_executor_secrets_spec.py",
            "tests/apply/test_recorded_secrets.py",
            "tests/reliability/test_workspace_secrets.py",
            "tests/apply/test_written_content.py",
            "tests/apply/test_units.py",
            "tests/apply/test_converge.py",
            "tests/apply/test_faults.py",
            "tests/apply/test_crash_recovery.py",
            "tests/apply/test_branches_drift_gc.py",
            "tests/apply/test_ownership.py",
        ),
    ),
    "rollback": Group(
        ("src/agentform/gitops/rollback.py",),
        (
            "tests/gitops/test_rollback_where_and_what.py",
            "tests/gitops/test_rollback_live.py",
            "tests/gitops/test_rollback_body.py",
        ),
    ),
    "deploy": Group(
        ("src/agentform/gitops/deploy.py",),
        (
            "tests/gitops/test_deploy_spec.py",
            "tests/gitops/test_merge_choice.py",
            "tests/gitops/test_ci_scenarios.py",
            "tests/gitops/test_closed_pr.py",
            "tests/gitops/test_deploy_reconcile.py",
            "tests/gitops/test_gitops_e2e.py",
            "tests/gitops/test_lifecycle.py",
            "tests/gitops/test_lock_wait.py",
            "tests/gitops/test_rollout_loop.py",
            "tests/gitops/test_progress_lines.py",
            "tests/reliability/test_kill_deploy.py",
        ),
    ),
}


def mutmut_settings(group: Group) -> str:
    return "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["src"]',
            f"only_mutate = {list(group.modules)!r}".replace("'", '"'),
            f"pytest_add_cli_args_test_selection = {list(group.tests)!r}".replace("'", '"'),
            'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
            # mutmut runs the tests in `mutants/`, a copy of src/ and tests/; the example project and the shipped
            # workflow files are read from the repository root by the end-to-end tests.
            f"also_copy = {list(ALSO_COPY)!r}".replace("'", '"'),
            "",
        ]
    )


def tracked_files(under: str = ".") -> list[str]:
    """The working tree's files as git sees them (committed or not, ignored files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", under],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [relative for relative in listed.split("\0") if relative and (ROOT / relative).is_file()]


def copy_into(folder: Path, files: list[str]) -> None:
    for relative in files:
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, folder / relative)


def write_settings(folder: Path, group: Group) -> None:
    """The repository's `pyproject.toml` with the group's mutmut settings appended."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (folder / "pyproject.toml").write_text(text + mutmut_settings(group), encoding="utf-8")


def scratch_copy(name: str, group: Group) -> Path:
    """The working tree, plus the group's settings, in a fresh scratch folder."""
    folder = SCRATCH / name
    shutil.rmtree(folder, ignore_errors=True)
    copy_into(folder, tracked_files())
    write_settings(folder, group)
    return folder


def refreshed_scratch(name: str, group: Group) -> tuple[Path, list[str]]:
    """The group's scratch folder from its last run, set to test its survivors against the group's test files that
    are new or changed since (the others already let them through), and those survivors. Only tests may have
    changed: a changed module has other mutants, and needs a full run."""
    folder = SCRATCH / name
    if not (folder / "verdicts.txt").is_file():
        raise SystemExit(f"{name}: no earlier run to go on from; run the group in full first")
    changed = [module for module in group.modules if (ROOT / module).read_bytes() != (folder / module).read_bytes()]
    if changed:
        raise SystemExit(f"{name}: {', '.join(changed)} changed since its last run; run the group in full")
    tested = _tested_with(folder)
    fresh = tuple(test for test in group.tests if test not in tested or not _same_file(ROOT / test, folder / test))
    copy_into(folder, tracked_files("tests"))
    write_settings(folder, Group(group.modules, fresh))
    _record_tested_with(folder, tested | set(fresh))
    survivors = (folder / "survivors.txt").read_text(encoding="utf-8").splitlines()
    return folder, [line.split(": ", 1)[0] for line in survivors if line] if fresh else []


def _tested_with(folder: Path) -> set[str]:
    """The test files the verdicts in `folder` were reached with."""
    listed = folder / "tested-with.txt"
    return set(listed.read_text(encoding="utf-8").split()) if listed.is_file() else set()


def _record_tested_with(folder: Path, tests: set[str]) -> None:
    (folder / "tested-with.txt").write_text("".join(f"{test}\n" for test in sorted(tests)), encoding="utf-8")


def _same_file(one: Path, other: Path) -> bool:
    return other.is_file() and one.read_bytes() == other.read_bytes()


def statuses(folder: Path) -> dict[str, str]:
    """Mutant name -> mutmut's verdict (killed, survived, no tests, timeout, ...)."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(re.findall(r"^\s+(\S+): (.+)$", out, flags=re.MULTILINE))


def run_group(name: str, group: Group, jobs: int, *, survivors_only: bool) -> tuple[int, int, list[str]]:
    if survivors_only:
        folder, mutants = refreshed_scratch(name, group)
        # mutmut forgets its verdicts when the settings change; the mutants not tested again keep theirs.
        verdicts = dict(
            line.split(": ", 1) for line in (folder / "verdicts.txt").read_text(encoding="utf-8").splitlines() if line
        )
    else:
        folder, mutants, verdicts = scratch_copy(name, group), [], {}
        _record_tested_with(folder, set(group.tests))
    if mutants or not survivors_only:
        # `mutants` empty on a full run: mutmut tests every mutant.
        command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *mutants]
        run = subprocess.run(command, cwd=folder, check=False)
        if run.returncode != 0:
            raise SystemExit(f"{name}: mutmut failed (exit {run.returncode}); its output is above")
    latest = statuses(folder)
    verdicts.update({mutant: latest[mutant] for mutant in (mutants or latest)})
    (folder / "verdicts.txt").write_text("".join(f"{m}: {v}\n" for m, v in sorted(verdicts.items())), encoding="utf-8")
    killed = sum(1 for verdict in verdicts.values() if verdict in KILLED)
    survivors = sorted(f"{mutant}: {verdict}" for mutant, verdict in verdicts.items() if verdict not in KILLED)
    (folder / "survivors.txt").write_text("".join(f"{line}\n" for line in survivors), encoding="utf-8")
    return killed, len(verdicts), survivors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run: {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default: 2)")
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="test only the survivors of each group's last run again, with the current tests (the modules must "
        "be unchanged since): after adding tests, minutes instead of a full run",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    totals = [0, 0]
    for name in args.groups or GROUPS:
        killed, total, survivors = run_group(name, GROUPS[name], args.jobs, survivors_only=args.survivors)
        totals[0] += killed
        totals[1] += total
        print(f"\n{name}: {killed}/{total} mutants killed ({_rate(killed, total)})")
        print("".join(f"  {line}\n" for line in survivors), end="")
    print(f"\nkill rate: {totals[0]}/{totals[1]} ({_rate(*totals)})")
    return 0


def _rate(killed: int, total: int) -> str:
    return f"{100 * killed / total:.1f}%" if total else "no mutants"


if __name__ == "__main__":
    sys.exit(main())
