"""The state record's format and the lock's arbitration rule (pure parts; the I/O is in test_lock.py)."""

from __future__ import annotations

import json

import pytest

from agentform.state.folder import oldest
from agentform.state.lock import LockInfo, blocking, described, lock_from_item
from agentform.state.model import (
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


def test_a_record_owns_its_tools_and_a_copy_owns_the_recovered_ones_too():
    record = StateRecord.empty("p", "e")
    record.tools["t2"] = ResourceEntry(id="t2", key="book", hash="new")
    record.tools["t1"] = ResourceEntry(id="t1", key="book", hash="old")
    recovered = record.with_tools({"t9": ("cancel", "h")})
    assert record.tools_owned() == {"t1": ("book", "old"), "t2": ("book", "new")}
    assert recovered.tools_owned() == {**record.tools_owned(), "t9": ("cancel", "h")}
    assert "t9" not in record.tools, "the record itself is left as it was"


def _lock(doc_id: str, token: str, created_at: int, expires_at: float = 1e12) -> LockInfo:
    return LockInfo(doc_id, "prod", token, expires_at, created_at)


def test_only_unexpired_documents_of_others_created_no_later_than_ours_block_the_lock():
    ours = "a" * 32
    locks = [
        _lock("mine", ours, 100),
        _lock("mine-twin", ours, 99),  # a retried create: our position is our oldest document
        _lock("older", "b" * 32, 98),
        _lock("same-second", "c" * 32, 99),
        _lock("newer", "d" * 32, 100),
        _lock("crashed", "e" * 32, 50, expires_at=10.0),
    ]
    assert [lock.document_id for lock in blocking(locks, ours, now=20.0)] == ["older", "same-second"]
    assert blocking([_lock("mine", ours, 100), _lock("newer", "d" * 32, 101)], ours, now=20.0) == []


def test_a_lock_document_says_whose_it_is_and_until_when_by_its_name():
    token = "f" * 32
    item = {"id": "doc", "name": f"agentform-lock.clinic.prod {token} 1700000000", "created_at_unix_secs": 7}
    lock = lock_from_item(item, "clinic.prod", "prod")
    assert (lock.token, lock.expires_at, lock.created_at) == (token, 1_700_000_000.0, 7)
    assert lock_from_item(item, "clinic.production", "production") is None
    assert lock_from_item({**item, "name": "agentform-lock.prod"}, "clinic.prod", "prod") is None
    assert described(lock, '{"holder": "ci", "purpose": "deploy"}').holder == "ci"
    assert described(lock, "garbage").holder == "unknown"


def test_among_same_named_objects_the_oldest_is_canonical():
    items = [
        {"id": "f2", "metadata": {"created_at_unix_secs": 5}},
        {"id": "f1", "metadata": {"created_at_unix_secs": 5}},
        {"id": "f0", "metadata": {"created_at_unix_secs": 9}},
    ]
    assert oldest(items)["id"] == "f1"
    assert oldest([]) is None
