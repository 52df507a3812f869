"""Reading conversations for people: time filters, feedback, one-line summaries and numbered transcripts.

Pure functions over the API's JSON; `commands/conversations.py` does the fetching and printing. User turns are
numbered exactly as `tests from-conversation --turn N` counts them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

Feedback = Literal["like", "dislike"]

_AGE = re.compile(r"^(?P<amount>\d+)(?P<unit>[mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> int:
    """Unix seconds from an age (`30m`, `12h`, `3d`, `2w`) or an ISO date/time (UTC when no zone is given)."""
    text = text.strip()
    match = _AGE.match(text)
    if match:
        delta = timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
        return int((now - delta).timestamp())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"--since {text!r}: use an age such as 3d, 12h, 30m or a date such as 2026-11-01") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def feedback_of(conversation: dict[str, Any]) -> Feedback | None:
    """The caller's overall rating of a conversation, when there is one (thumbs up/down on the whole call)."""
    feedback = (conversation.get("metadata") or {}).get("feedback") or {}
    score = feedback.get("overall_score")
    if score in ("like", "dislike"):
        return score
    likes, dislikes = feedback.get("likes") or 0, feedback.get("dislikes") or 0
    if likes or dislikes:
        return "like" if likes > dislikes else "dislike" if dislikes > likes else None
    return None


def summary_row(summary: dict[str, Any], agent_keys: dict[str, str]) -> dict[str, str]:
    """The columns of `conversations list` for one conversation summary."""
    started = summary.get("start_time_unix_secs")
    agent_id = str(summary.get("agent_id", ""))
    return {
        "id": str(summary.get("conversation_id", "")),
        "started (UTC)": _utc(started) if isinstance(started, int | float) else "",
        "agent": agent_keys.get(agent_id) or summary.get("agent_name") or agent_id,
        "duration": _duration(summary.get("call_duration_secs")),
        "messages": str(summary.get("message_count", "")),
        "outcome": str(summary.get("call_successful") or summary.get("status") or ""),
        "title": str(summary.get("call_summary_title") or summary.get("transcript_summary") or "")[:60],
    }


def table_lines(rows: list[dict[str, str]]) -> list[str]:
    """Rows as left-aligned columns, ids never wrapped or cut (they are meant to be copied)."""
    if not rows:
        return []
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in columns}
    render = lambda values: "  ".join(v.ljust(widths[c]) for c, v in zip(columns, values, strict=True)).rstrip()  # noqa: E731
    return [render(columns), *(render([row[c] for c in columns]) for row in rows)]


def transcript_lines(conversation: dict[str, Any]) -> list[str]:
    """The transcript, one line per message, tool call and tool result; user turns numbered `[1]`, `[2]`, ..."""
    lines: list[str] = []
    turn = 0
    for item in conversation.get("transcript") or []:
        at = _duration(item.get("time_in_call_secs"))
        role = item.get("role", "?")
        if item.get("message"):
            label = role
            if role == "user":
                turn += 1
                label = f"[{turn}] user"
            text = str(item["message"]).replace("\n", "\n" + " " * 16)
            lines.append(f"{at:>6}  {label:>8}: {text}")
        for call in item.get("tool_calls") or []:
            lines.append(f"{at:>6}  {'':>8}  -> {call.get('tool_name', '?')}({call.get('params_as_json', '')})")
        for result in item.get("tool_results") or []:
            marker = "error" if result.get("is_error") else "result"
            lines.append(
                f"{at:>6}  {'':>8}  <- {result.get('tool_name', '?')} {marker}: {result.get('result_value', '')}"
            )
    return lines


def header_lines(conversation: dict[str, Any], agent_key: str | None = None) -> list[str]:
    metadata = conversation.get("metadata") or {}
    started = metadata.get("start_time_unix_secs")
    feedback = feedback_of(conversation)
    facts = [
        f"Conversation {conversation.get('conversation_id')}",
        f"agent {agent_key or conversation.get('agent_name') or conversation.get('agent_id')}"
        + (f" (branch {conversation['branch_id']})" if conversation.get("branch_id") else ""),
        f"started {_utc(started)}" if isinstance(started, int | float) else "",
        f"duration {_duration(metadata.get('call_duration_secs'))}",
        f"status {conversation.get('status')}",
        f"feedback {feedback}" if feedback else "",
    ]
    return [" · ".join(fact for fact in facts if fact)]


def _utc(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M")


def _duration(secs: Any) -> str:
    if not isinstance(secs, int | float):
        return ""
    minutes, seconds = divmod(int(secs), 60)
    return f"{minutes}:{seconds:02d}"
