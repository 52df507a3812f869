"""The state record's entry for a tool adopted through `id:` (decision 0125): `pull`'s base, never a secret's value."""

from __future__ import annotations

from agentform.state.model import AdoptedToolEntry, StateRecord, dump_record, parse_record

SECRET = "Bearer live-booking-token-8c1f"


def test_an_adopted_tools_recorded_config_keeps_secret_values_as_tokens_and_reads_back_whole():
    payload = {"tool_config": {"name": "book", "api_schema": {"request_headers": {"Authorization": SECRET}}}}
    record = StateRecord.empty("clinic", "local")
    record.adopted_tools["tool_1"] = AdoptedToolEntry(key="book-appointment", payload=payload)
    record.use_secrets([SECRET])

    text = dump_record(record)
    assert SECRET not in text and "book-appointment" in text

    read = parse_record(text, project="clinic", environment="local", secrets=[SECRET])
    assert read.adopted_tools["tool_1"] == AdoptedToolEntry(key="book-appointment", payload=payload)
    assert read.tools == {}, "an adopted tool is never one the record owns (and may collect)"
