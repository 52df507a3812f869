"""Reading conversations for people: --since, feedback, list rows and numbered transcripts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agentform.testing.conversations import (
    feedback_of,
    header_lines,
    parse_since,
    summary_row,
    table_lines,
    transcript_lines,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_since_accepts_ages_and_dates():
    assert parse_since("30m", NOW) == int(NOW.timestamp()) - 1800
    assert parse_since("2d", NOW) == int(NOW.timestamp()) - 2 * 86400
    assert parse_since("1w", NOW) == int(NOW.timestamp()) - 7 * 86400
    assert parse_since("2026-11-01", NOW) == int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    assert parse_since("2026-11-01T10:00+02:00", NOW) == int(datetime(2026, 11, 1, 8, tzinfo=UTC).timestamp())
    with pytest.raises(ValueError, match="use an age such as 3d"):
        parse_since("yesterday", NOW)


def test_feedback_is_the_overall_score_or_the_majority_of_thumbs():
    assert feedback_of({"metadata": {"feedback": {"overall_score": "dislike"}}}) == "dislike"
    assert feedback_of({"metadata": {"feedback": {"likes": 2, "dislikes": 1}}}) == "like"
    assert feedback_of({"metadata": {"feedback": {"likes": 1, "dislikes": 1}}}) is None
    assert feedback_of({"metadata": {}}) is None


def test_list_rows_name_agents_by_file_key_and_keep_ids_whole():
    summary = {
        "conversation_id": "conv_" + "x" * 26,
        "agent_id": "agent_1",
        "start_time_unix_secs": int(NOW.timestamp()),
        "call_duration_secs": 75,
        "message_count": 6,
        "call_successful": "success",
        "call_summary_title": "Booking",
    }
    row = summary_row(summary, {"agent_1": "clinic"})
    assert row == {
        "id": "conv_" + "x" * 26,
        "started (UTC)": "2026-11-22 12:00",
        "agent": "clinic",
        "duration": "1:15",
        "messages": "6",
        "outcome": "success",
        "title": "Booking",
    }
    header, line = table_lines([row])
    assert header.split() == ["id", "started", "(UTC)", "agent", "duration", "messages", "outcome", "title"]
    assert line.startswith("conv_" + "x" * 26 + "  2026-11-22 12:00")
    assert table_lines([]) == []


def test_transcripts_number_user_turns_and_show_tool_traffic():
    conversation = {
        "conversation_id": "conv_1",
        "agent_id": "agent_1",
        "status": "done",
        "metadata": {"start_time_unix_secs": int(NOW.timestamp()), "call_duration_secs": 30},
        "transcript": [
            {"role": "agent", "message": "Alo!", "time_in_call_secs": 0},
            {"role": "user", "message": "O programare, vă rog.", "time_in_call_secs": 2},
            {
                "role": "agent",
                "time_in_call_secs": 4,
                "tool_calls": [{"tool_name": "book", "params_as_json": '{"day": "luni"}'}],
                "tool_results": [{"tool_name": "book", "result_value": "ok", "is_error": False}],
            },
            {"role": "user", "message": "Mulțumesc.", "time_in_call_secs": 9},
        ],
    }
    lines = transcript_lines(conversation)
    assert lines[1] == "  0:02  [1] user: O programare, vă rog."
    assert lines[2].endswith('-> book({"day": "luni"})')
    assert lines[3].endswith("<- book result: ok")
    assert "[2] user: Mulțumesc." in lines[4]
    assert header_lines(conversation, "clinic") == [
        "Conversation conv_1 · agent clinic · started 2026-11-22 12:00 · duration 0:30 · status done"
    ]
