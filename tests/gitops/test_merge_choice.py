"""Which agent branch a deploy may merge: only one that carries exactly the merged files and was not moved since."""

from __future__ import annotations

from agentform.context import smoke_tests
from agentform.gitops.merge import candidates, desired_record, merged_exactly
from agentform.model import DesiredTest, SourceLocation
from agentform.plan.model import ResourceChange
from agentform.plan.normalize import payload_hash
from agentform.state.model import BranchEntry, StateRecord

PAYLOAD = {"name": "Receptionist", "conversation_config": {"agent": {"first_message": "Alo!"}}, "tags": ["b", "a"]}


def _update(payload, **overrides) -> ResourceChange:
    fields = {"address": "agent.r", "kind": "agent", "key": "r", "action": "update", "live_id": "agent_1"}
    return ResourceChange(**{**fields, "payload": payload, **overrides})


def _entry(payload_hash: str, applied_at: float) -> BranchEntry:
    return BranchEntry(agent_id="agent_1", branch_id=f"b{applied_at}", payload_hash=payload_hash, applied_at=applied_at)


def test_only_a_plain_agent_update_without_placeholders_can_come_from_a_branch():
    assert desired_record(_update(PAYLOAD)) is not None
    assert desired_record(_update({**PAYLOAD, "tags": ["$ref:tool.x"]})) is None, "a version that does not exist yet"
    assert desired_record(_update(PAYLOAD, conflict=True)) is None
    assert desired_record(_update(None, action="no-op")) is None
    assert desired_record(None) is None


def test_a_branch_qualifies_by_the_hash_of_what_it_carries_preferring_the_merged_prs_then_the_newest():
    wanted = payload_hash(desired_record(_update(PAYLOAD)))
    record = StateRecord(
        project="p",
        environment="e",
        branches={
            "pr-1": {"r": _entry(wanted, 10.0)},
            "pr-2": {"r": _entry(wanted, 20.0)},
            "pr-3": {"r": _entry("somethingelse", 30.0)},
            "pr-4": {"other": _entry(wanted, 40.0)},
        },
    )
    assert [c.name for c in candidates(record, "r", wanted, prefer=None)] == ["pr-2", "pr-1"]
    assert [c.name for c in candidates(record, "r", wanted, prefer="pr-1")] == ["pr-1", "pr-2"]


def test_main_after_a_merge_must_hold_the_desired_values_server_defaults_aside():
    recorded = desired_record(_update(PAYLOAD))
    live = {**PAYLOAD, "agent_id": "agent_1", "version_id": "v2", "platform_settings": {"widget": {}}}
    assert merged_exactly(live, recorded)
    moved = {**live, "conversation_config": {"agent": {"first_message": "Hello?"}}}
    assert not merged_exactly(moved, recorded)


def _test(key: str, smoke: bool) -> DesiredTest:
    return DesiredTest(agent_key="r", key=key, kind="llm", body={}, smoke=smoke, source=SourceLocation(path="t"))


def test_smoke_tests_are_those_marked_smoke_or_all_when_none_is():
    marked, other = _test("a", True), _test("b", False)
    assert smoke_tests([marked, other]) == [marked]
    assert smoke_tests([other]) == [other]
