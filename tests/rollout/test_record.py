"""The rollout entries of the state record, the tested-branch rule, the hold between steps and the yaml policy."""

from __future__ import annotations

import pytest
from tests.project.projectkit import MINIMAL, write_project

from agentform.model import RolloutPolicy
from agentform.plan.model import Plan, ResourceChange
from agentform.plan.normalize import payload_hash
from agentform.project import inspect_project
from agentform.rollout.analysis import hold_remaining
from agentform.rollout.rollable import rollable_branch
from agentform.state.model import BranchEntry, RolloutEntry, RolloutStep, StateRecord
from agentform.state.rollouts import RolloutError, active, current_percent, plan_notes, split

PAYLOAD = {"conversation_config": {"agent": {"prompt": {"prompt": "Be brief."}}}}


def _entry(**fields) -> RolloutEntry:
    base = {"agent_id": "ag1", "branch": "canary", "branch_id": "br1", "main_branch_id": "main1", "started_at": 100}
    return RolloutEntry(**{**base, **fields})


def _record(**rollouts: RolloutEntry) -> StateRecord:
    return StateRecord(project="demo", environment="local", rollouts=rollouts)


def test_a_split_gives_the_branch_its_share_and_main_the_rest():
    assert split(_entry(), 10) == {"main1": 90.0, "br1": 10.0}
    with pytest.raises(RolloutError, match="between 0 and 100"):
        split(_entry(), 120)


def test_only_rollouts_in_progress_are_noted_in_the_plan_with_their_share():
    record = _record(
        clinic=_entry(steps=[RolloutStep(percent=10, at=100), RolloutStep(percent=50, at=200)]),
        support=_entry(status="aborted"),
    )
    assert plan_notes(record) == [
        "agent.clinic: rollout of branch canary in progress (50% of live traffic, main has the rest): finish it "
        "with `agentform rollout analyze|promote|abort --agent clinic` before applying to main"
    ]
    assert current_percent(record.rollouts["support"]) == 0


def test_acting_on_a_missing_or_finished_rollout_says_so():
    with pytest.raises(RolloutError, match="has no rollout"):
        active(_record(), "clinic")
    with pytest.raises(RolloutError, match=r"is finished \(promoted\)"):
        active(_record(clinic=_entry(status="promoted")), "clinic")


def test_a_step_holds_for_the_interval_after_it_was_set():
    entry = _entry(policy=RolloutPolicy(steps=[10, 50], interval_secs=600), steps=[RolloutStep(percent=10, at=1000)])
    assert hold_remaining(entry, 1100) == 500
    assert hold_remaining(entry, 1600) == 0


def _plan(action: str = "update") -> Plan:
    change = ResourceChange(
        address="agent.clinic", kind="agent", key="clinic", action=action, live_id="ag1", payload=PAYLOAD
    )
    return Plan(project="demo", environment="local", fingerprint="f", changes=[change])


def _branch_record(payload_hash_: str) -> StateRecord:
    entry = BranchEntry(agent_id="ag1", branch_id="br1", payload_hash=payload_hash_, version_id="v2")
    return StateRecord(project="demo", environment="local", branches={"canary": {"clinic": entry}})


def test_a_branch_that_carries_the_files_change_may_be_rolled_out():
    plan = _plan()
    from agentform.plan.agents import recordable

    wanted = recordable(PAYLOAD)
    rollable = rollable_branch(plan, _branch_record(payload_hash(wanted)), "clinic", "canary")
    assert (rollable.agent_id, rollable.entry.branch_id, rollable.payload) == ("ag1", "br1", wanted)


@pytest.mark.parametrize(
    ("plan", "record", "message"),
    [
        (_plan("no-op"), _branch_record("x"), "already matches the files"),
        (_plan(), StateRecord(project="demo", environment="local"), "has no branch canary written by"),
        (_plan(), _branch_record("not-the-hash"), "does not carry the files' change"),
    ],
)
def test_a_branch_that_does_not_carry_the_files_change_is_refused(plan, record, message):
    with pytest.raises(RolloutError, match=message):
        rollable_branch(plan, record, "clinic", "canary")


def _config(rollout: str) -> str:
    return MINIMAL["agentform.yaml"].replace(
        "  local:\n    backend: emulator\n", f"  local:\n    backend: emulator\n{rollout}"
    )


def test_an_environment_rollout_policy_is_read_with_its_interval_in_seconds(tmp_path):
    rollout = "    rollout: {steps: [10, 50], min_conversations: 200, max_regression: 0.02, interval: 30m}\n"
    root = write_project(tmp_path, {"agentform.yaml": _config(rollout)})
    desired, diagnostics = inspect_project(root, env="local")
    assert desired is not None, [str(d) for d in diagnostics]
    policy = desired.environment.rollout
    assert (policy.steps, policy.min_conversations, policy.max_regression, policy.interval_secs) == (
        [10, 50],
        200,
        0.02,
        1800,
    )


@pytest.mark.parametrize(
    ("rollout", "expected"),
    [
        ("    rollout: {steps: [50, 10]}\n", "steps must go up"),
        ("    rollout: {steps: [10], interval: soon}\n", "expected a duration"),
        ("    rollout: {steps: [10], max_regresion: 0.1}\n", "max_regresion"),
    ],
)
def test_a_bad_rollout_policy_is_an_error_at_its_line(tmp_path, rollout, expected):
    root = write_project(tmp_path, {"agentform.yaml": _config(rollout)})
    desired, diagnostics = inspect_project(root, env="local")
    assert desired is None
    (error,) = [str(d) for d in diagnostics if d.severity == "error"]
    assert error.startswith("agentform.yaml:6:") and expected in error


def test_a_healthy_canary_holds_its_step_for_the_interval_before_the_next():
    import asyncio
    import time

    from agentform.rollout.analysis import _act
    from agentform.rollout.decide import Decision

    policy = RolloutPolicy(steps=[10, 50], interval_secs=3600)
    entry = _entry(policy=policy, next_steps=[50], steps=[RolloutStep(percent=10, at=int(time.time()))])
    action = asyncio.run(_act(None, None, "clinic", entry, Decision("healthy", "fine")))
    assert action is not None and action.startswith("holding 10% for ")
    assert entry.next_steps == [50]  # nothing moved
    assert asyncio.run(_act(None, None, "clinic", entry, Decision("wait", "few calls"))) is None
