"""`--shard I/N`: matrix jobs that each plan, apply or test a stable part of the agents (docs/decisions/0056).

The partition's properties are checked with hypothesis; the rest runs the commands on the example project (two
agents, one in each of two shards) against the `local` environment's emulator, or two applies at once against one
emulator server on loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.apply import test_commands as example
from tests.apply.helpers import in_process_client, network_client
from tests.support.emulator_server import running_emulator

from agentform import exitcodes
from agentform.apply import Journal
from agentform.cli import main
from agentform.commands import apply as apply_command
from agentform.commands import plan as plan_command
from agentform.commands import test as test_command
from agentform.emulator import create_app
from agentform.plan.fresh import make_fresh_plan
from agentform.plan.planner import select
from agentform.plan.read import read_workspace
from agentform.plan.shard import Shard, ShardError, partition, shard_of
from agentform.project import load_desired

CLINIC, SUPPORT = "clinic-receptionist", "support-agent"
KEYS = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,24}", fullmatch=True), unique=True, max_size=40)
COUNTS = st.integers(min_value=1, max_value=16)
project = example.project  # the fixture: a copy of the example project
plan_json = example.plan_json


# --- the partition ------------------------------------------------------------------------------------------------


@given(KEYS, COUNTS)
def test_every_agent_is_in_exactly_one_shard(keys, count):
    parts = partition(keys, count)
    assert list(parts) == list(range(1, count + 1))
    assert sorted(key for part in parts.values() for key in part) == sorted(keys)
    for key in keys:
        assert [index for index in parts if Shard(index, count).holds(key)] == [shard_of(key, count)]


@given(KEYS, KEYS, COUNTS)
def test_adding_agents_never_moves_the_others(keys, more, count):
    before = {key: index for index, part in partition(keys, count).items() for key in part}
    after = {key: index for index, part in partition({*keys, *more}, count).items() for key in part}
    assert {key: after[key] for key in keys} == before


def test_a_shards_agents_do_not_depend_on_which_process_asks():
    # sha256, not Python's salted hash(): every matrix job computes the same partition.
    assert (shard_of(CLINIC, 2), shard_of(SUPPORT, 2)) == (1, 2)
    assert [shard_of(CLINIC, count) for count in (1, 3, 4)] == [1, 2, 3]


def test_keys_spread_evenly_over_the_shards():
    sizes = [len(part) for part in partition([f"agent-{n}" for n in range(4000)], 4).values()]
    assert all(900 <= size <= 1100 for size in sizes), sizes


def test_a_shard_is_written_i_slash_n_with_i_between_1_and_n():
    assert Shard.parse("2/4") == Shard(2, 4) and str(Shard.parse(" 1 / 1 ")) == "1/1"
    for bad in ("0/2", "3/2", "1/0", "x", "1/2/3", "-1/2", ""):
        with pytest.raises(ShardError):
            Shard.parse(bad)


def test_a_bad_shard_is_a_usage_error_naming_the_option(tmp_path, capsys):
    assert main(["plan", "-C", str(tmp_path), "--shard", "3/2"]) == 2
    assert "--shard" in capsys.readouterr().err


def test_the_shard_line_names_the_agents_it_holds():
    assert Shard(1, 2).describe([SUPPORT, CLINIC]) == f"Shard 1/2: 1 of 2 agent(s): {CLINIC}"
    assert Shard(2, 2).describe([CLINIC]) == "Shard 2/2: 0 of 1 agent(s): none"


def test_select_and_shard_together_keep_the_agents_matching_both(project):
    want = load_desired(project)
    assert select(want, ["clinic-*", "support-*"], Shard(1, 2)).agents == (CLINIC,)
    assert select(want, ["support-*"], Shard(2, 2)).agents == (SUPPORT,)
    nothing = select(want, ["support-*"], Shard(1, 2))
    # An empty shard is an empty selection, never "everything".
    assert (nothing.agents, nothing.documents, nothing.tools, nothing.tests) == ((), (), (), ())
    assert not nothing.covers_agent(SUPPORT) and nothing.narrowed


# --- plan and apply on the example project --------------------------------------------------------------------


def _addresses(plan: dict) -> set[str]:
    return {change["address"] for change in plan["changes"] if change["action"] != "no-op"}


def _live_facts(project: Path) -> dict[str, list]:
    """What the `local` emulator holds, by file key and content address (live ids differ between workspaces)."""
    app = create_app(str(project / ".agentform" / "emulator.sqlite"))

    async def read() -> dict[str, list]:
        async with in_process_client(app) as client:
            live = (await read_workspace(client, load_desired(project))).live
        return {
            "agents": sorted(agent.key for agent in live.agents),
            "documents": sorted((d.key, d.hash) for d in live.documents),
            "tools": sorted((t.key, t.hash) for t in live.tools),
            "tests": sorted((t.address, t.hash) for t in live.tests),
        }

    return asyncio.run(read())


def _apply(project: Path, **options) -> int:
    return apply_command.run(project_dir=project, auto_approve=True, **options)


def test_a_shards_plan_holds_only_its_agents_and_what_they_use(project, capsys):
    _, full = plan_json(project, capsys)
    code, first = plan_json(project, capsys, shard=Shard(1, 2))
    assert code == exitcodes.OK
    _, second = plan_json(project, capsys, shard=Shard(2, 2))
    assert {c["key"] for c in first["changes"] if c["kind"] == "agent"} == {CLINIC}
    assert {c["key"] for c in second["changes"] if c["kind"] == "agent"} == {SUPPORT}
    assert not any(SUPPORT in address or "support-" in address for address in _addresses(first))
    assert _addresses(first) | _addresses(second) == _addresses(full)
    assert not _addresses(first) & _addresses(second)


def test_the_shard_says_which_agents_it_holds(project, capsys):
    assert plan_command.run(project_dir=project, shard=Shard(2, 2)) == exitcodes.OK
    assert f"Shard 2/2: 1 of 2 agent(s): {SUPPORT}" in capsys.readouterr().err


def test_applying_both_shards_equals_one_full_apply(project, tmp_path, capsys):
    whole = tmp_path / "whole"
    shutil.copytree(project, whole)
    assert _apply(project, shard=Shard(1, 2)) == exitcodes.OK
    halfway = _live_facts(project)
    assert halfway["agents"] == [CLINIC]
    assert _apply(project, shard=Shard(2, 2)) == exitcodes.OK
    assert _apply(whole) == exitcodes.OK

    assert _live_facts(project) == _live_facts(whole)
    capsys.readouterr()
    code, plan = plan_json(project, capsys, detailed_exitcode=True)
    assert code == exitcodes.OK and _addresses(plan) == set()


def test_a_sharded_prune_deletes_nothing_that_belongs_to_the_other_shard(project, capsys):
    assert _apply(project) == exitcodes.OK
    theirs = select(load_desired(project), [SUPPORT])
    of_support = {
        "agents": set(theirs.agents),
        "documents": set(theirs.documents),
        "tools": set(theirs.tools),
        "tests": set(theirs.tests),
    }
    before = _live_facts(project)
    # The support agent leaves git and its document changes; the clinic's prompt changes so its shard writes (and
    # collects garbage afterwards).
    shutil.rmtree(project / "agents" / SUPPORT)
    shutil.rmtree(project / "tests_specs" / SUPPORT)
    (project / "knowledge" / "support-faq.md").write_text("Nothing but a changed answer.\n", encoding="utf-8")
    prompt = project / "agents" / CLINIC / "prompt.md"
    prompt.write_text(prompt.read_text(encoding="utf-8") + "\nO zi bună!\n", encoding="utf-8")

    assert _apply(project, shard=Shard(1, 2), prune=True) == exitcodes.OK
    after_first = _live_facts(project)
    for kind, keys in of_support.items():
        # Every version of theirs is still there, the superseded document too: their agent still uses it.
        versions = {item for item in before[kind] if (item if kind == "agents" else item[0]) in keys}
        assert keys and versions <= set(after_first[kind]), kind

    assert _apply(project, shard=Shard(2, 2), prune=True) == exitcodes.OK
    after_second = _live_facts(project)
    assert after_second["agents"] == [CLINIC]
    assert not [address for address, _ in after_second["tests"] if address.startswith(f"{SUPPORT}/")]


def test_a_shard_with_a_plan_file_is_refused(project, tmp_path, capsys):
    saved = tmp_path / "plan.json"
    saved.write_text("{}", encoding="utf-8")
    assert _apply(project, plan_file=saved, shard=Shard(1, 2)) == exitcodes.ERROR
    assert "--shard" in capsys.readouterr().err


# --- concurrent shards --------------------------------------------------------------------------------------------


def test_shards_applied_at_once_take_turns_on_the_lock_and_converge(project, capsys, monkeypatch):
    monkeypatch.setattr("agentform.state.lock._LOCK_POLL_SECS", 0.1)
    desired = load_desired(project)
    shards = [Shard(1, 2), Shard(2, 2)]
    replanned: list[str] = []
    steps: list[str] = []

    async def race(base_url: str) -> list:
        async with network_client(base_url) as client:
            # Both plans are made before either apply starts: whichever waits finds the workspace moved.
            plans = [(await make_fresh_plan(client, desired, prune=True, shard=shard)).plan for shard in shards]

            def replan_as(shard: Shard):
                async def replan(client):
                    replanned.append(str(shard))
                    return await make_fresh_plan(client, desired, prune=True, shard=shard)

                return replan

            def record(shard: Shard):
                return lambda entry: steps.append(str(shard)) if entry.step else None

            return await asyncio.gather(
                *(
                    apply_command.apply_with_lock(
                        client,
                        desired,
                        plan,
                        prune=True,
                        journal=Journal(),
                        progress=record(shard),
                        lock_wait_secs=60,
                        replan=replan_as(shard),
                    )
                    for shard, plan in zip(shards, plans, strict=True)
                )
            )

    with running_emulator() as base_url:
        outcomes = asyncio.run(race(base_url))
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        code, plan = plan_json(project, capsys, detailed_exitcode=True)

    assert all(result.ok for _, result in outcomes)
    assert len(replanned) == 1, "the shard that waited planned again under the lock"
    first = steps[0]
    assert steps == [first] * steps.count(first) + [s for s in steps if s != first], "no step interleaved"
    assert code == exitcodes.OK and _addresses(plan) == set()


# --- test --shard ---------------------------------------------------------------------------------------------------


def test_test_with_a_shard_runs_only_its_agents_tests(project, capsys):
    assert _apply(project) == exitcodes.OK
    capsys.readouterr()
    test_command.run(project_dir=project, shard=Shard(2, 2), as_json=True)
    report = json.loads(capsys.readouterr().out)
    assert [agent["agent_key"] for agent in report["agents"]] == [SUPPORT]
    assert {t["key"] for t in report["agents"][0]["tests"]} == {
        path.stem for path in (project / "tests_specs" / SUPPORT).glob("*.yaml")
    }


def test_two_apply_processes_with_lock_wait_both_succeed_and_converge(project, capsys, monkeypatch):
    with running_emulator() as base_url:
        environ = {**os.environ, "ELEVENLABS_BASE_URL": base_url}
        command = [sys.executable, "-m", "agentform", "apply", "-C", str(project), "--auto-approve", "--lock-wait=60"]
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        runs = [subprocess.Popen([*command, "--shard", shard], env=environ, **pipes) for shard in ("1/2", "2/2")]
        outputs = [run.communicate(timeout=120) for run in runs]
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        code, plan = plan_json(project, capsys, detailed_exitcode=True)

    assert [run.returncode for run in runs] == [exitcodes.OK, exitcodes.OK], outputs
    assert [CLINIC in err.decode() for _, err in outputs] == [True, False], "each job names its own agents"
    assert code == exitcodes.OK and _addresses(plan) == set()


def test_a_plan_confirmed_at_a_terminal_is_refused_when_another_shard_applied_meanwhile(project, capsys, monkeypatch):
    def confirm_while_the_other_shard_applies(*_args, **_kwargs) -> bool:
        # The other job runs its own event loop: this one is waiting inside `apply`.
        other = threading.Thread(target=_apply, args=(project,), kwargs={"shard": Shard(2, 2)})
        other.start()
        other.join()
        return True

    monkeypatch.setattr("click.confirm", confirm_while_the_other_shard_applies)
    code = apply_command.run(project_dir=project, shard=Shard(1, 2), is_terminal=True)

    assert code == exitcodes.STALE_OR_CONFLICT
    assert "changed since the plan was made" in capsys.readouterr().err
    assert _live_facts(project)["agents"] == [SUPPORT], "the confirmed plan was not applied"
