"""The state record's format and the lock's arbitration rule (pure parts; the I/O is in test_lock.py)."""

from __future__ import annotations

import json

import pytest

from agentform.state.folder import oldest
from agentform.state.lock import LockInfo, lock_winner, parse_lock
from agentform.state.record import (
    SCHEMA_VERSION,
    AgentEntry,
    PendingIntent,
    ResourceEntry,
    StateError,
    StateRecord,
    dump_record,
    parse_record,
)


def test_an_empty_document_is_an_empty_record():
    record = parse_record("", project="clinic", environment="prod")
    assert record == StateRecord.empty("clinic", "prod")


def test_a_record_survives_a_round_trip_through_its_document_text():
    record = StateRecord.empty("clinic", "prod")
    record.agents["receptionist"] = AgentEntry(id="agent_1", payload_hash="h", payload={"name": "R"}, updated_at=5)
    record.tools["tool_1"] = ResourceEntry(id="tool_1", key="book", hash="abc")
    record.pending.append(PendingIntent(kind="tool", key="book", hash="def", started_at=1.5))
    assert parse_record(dump_record(record), project="clinic", environment="prod") == record


def test_unknown_fields_written_by_a_newer_agentform_are_kept():
    text = json.dumps({"schema_version": SCHEMA_VERSION, "future_field": {"x": 1}})
    record = parse_record(text, project="clinic", environment="prod")
    assert json.loads(dump_record(record))["future_field"] == {"x": 1}


def test_a_record_from_a_newer_schema_is_refused_rather_than_misread():
    with pytest.raises(StateError, match="newer"):
        parse_record(json.dumps({"schema_version": SCHEMA_VERSION + 1}), project="p", environment="e")


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", json.dumps({"agents": {"a": {"no_id": True}}})])
def test_a_damaged_record_is_an_error_naming_the_document(text):
    with pytest.raises(StateError, match="agentform-state"):
        parse_record(text, project="p", environment="e")


def test_the_planner_view_groups_tool_versions_by_key_and_names_pending_creates_by_address():
    record = StateRecord.empty("p", "e")
    record.tools["t2"] = ResourceEntry(id="t2", key="book", hash="new")
    record.tools["t1"] = ResourceEntry(id="t1", key="book", hash="old")
    record.pending.append(PendingIntent(kind="tool", key="cancel", hash="h", started_at=10.0))
    view = record.view(extra_tools={"t9": ("cancel", "h")})
    assert [(t.id, t.hash) for t in view.tools["book"]] == [("t1", "old"), ("t2", "new")]
    assert [t.id for t in view.tools["cancel"]] == ["t9"]
    assert view.pending[0].address == "tool.cancel"


def _lock(doc_id: str, created_at: int, expires_at: float) -> LockInfo:
    return LockInfo(doc_id, "prod", "ci", "apply", 0.0, expires_at, created_at, "t")


def test_the_oldest_unexpired_lock_document_wins_and_ties_break_by_id():
    locks = [_lock("b", 100, 1e12), _lock("a", 100, 1e12), _lock("c", 99, 50.0)]
    assert lock_winner(locks, now=60.0).document_id == "a"
    assert lock_winner(locks, now=40.0).document_id == "c"
    assert lock_winner([_lock("x", 1, 2.0)], now=3.0) is None


def test_an_unreadable_lock_document_counts_as_expired():
    info = parse_lock({"id": "doc", "metadata": {"created_at_unix_secs": 7}}, "garbage", "prod")
    assert info.created_at == 7 and info.expired(now=0.0)


def test_among_same_named_objects_the_oldest_is_canonical():
    items = [
        {"id": "f2", "metadata": {"created_at_unix_secs": 5}},
        {"id": "f1", "metadata": {"created_at_unix_secs": 5}},
        {"id": "f0", "metadata": {"created_at_unix_secs": 9}},
    ]
    assert oldest(items)["id"] == "f1"
    assert oldest([]) is None
