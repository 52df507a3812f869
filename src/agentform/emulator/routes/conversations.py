"""Conversations: list (filters, text search, cursor), get (transcript), delete, feedback, message text search.
They are seeded through the admin API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field

from agentform.emulator import text_search
from agentform.emulator.common import C, Context, Listing, ListQuery, LooseBody, Resource, new_id

router = APIRouter(prefix="/v1/convai/conversations")
CONVERSATION = Resource("conversation", "Conversation", owner_field="agent_id")
# The text search's own page size default (its maximum, 50, the OpenAPI document enforces).
_SEARCH_PAGE_SIZE = 20


class TranscriptItem(LooseBody):
    role: Literal["user", "agent"]
    message: str | None = None
    time_in_call_secs: int = 0


class SeedConversation(LooseBody):
    """The body of `POST /_emulator/conversations`: a finished call to store as if it had happened."""

    agent_id: str
    transcript: list[TranscriptItem]
    conversation_id: str | None = None
    agent_name: str | None = None
    branch_id: str | None = None
    version_id: str | None = None
    start_time_unix_secs: int | None = None
    call_duration_secs: int | None = None
    status: Literal["initiated", "in-progress", "processing", "done", "failed"] = "done"
    call_successful: Literal["success", "failure", "unknown"] = "success"
    feedback: Literal["like", "dislike"] | None = None
    transcript_summary: str = ""
    main_language: str | None = None
    tag_ids: list[str] = Field(default_factory=list)


class FeedbackBody(LooseBody):
    feedback: Literal["like", "dislike"] | None = None


def _agent_defaults(c: Context, agent_id: str) -> dict[str, Any]:
    """Name, main branch and its tip version of the agent, when it exists in the emulator (else nothing)."""
    agent = c.store.get("agent", agent_id)
    if agent is None:
        return {}
    branch = c.store.get("branch", agent["main_branch_id"]) or {}
    version = c.store.get("version", branch.get("tip_version_id") or "") or {}
    return {
        "agent_name": (version.get("config") or {}).get("name"),
        "branch_id": branch.get("id"),
        "version_id": version.get("id"),
    }


def seed(c: Context, body: SeedConversation) -> dict[str, Any]:
    """Store a conversation; agent name, branch and version default to the agent's main tip when it exists."""
    known = _agent_defaults(c, body.agent_id)
    transcript = [item.model_dump(exclude_none=True) for item in body.transcript]
    duration = body.call_duration_secs
    if duration is None:
        duration = max((item["time_in_call_secs"] for item in transcript), default=0)
    extra = {k: v for k, v in body.model_dump().items() if k not in SeedConversation.model_fields}
    conversation = {
        **extra,
        "conversation_id": body.conversation_id or new_id("conv_"),
        "agent_id": body.agent_id,
        "agent_name": body.agent_name or known.get("agent_name"),
        "branch_id": body.branch_id or known.get("branch_id"),
        "version_id": body.version_id or known.get("version_id"),
        "status": body.status,
        "start_time_unix_secs": body.start_time_unix_secs if body.start_time_unix_secs is not None else c.now(),
        "call_duration_secs": duration,
        "call_successful": body.call_successful,
        "transcript_summary": body.transcript_summary,
        "main_language": body.main_language,
        "tag_ids": body.tag_ids,
        "transcript": transcript,
        "feedback": _feedback(body.feedback),
    }
    c.store.put("conversation", conversation["conversation_id"], conversation, owner=body.agent_id)
    return get_rendered(conversation)


def _feedback(score: str | None) -> dict[str, Any]:
    return {
        "type": "thumbs",
        "overall_score": score,
        "likes": int(score == "like"),
        "dislikes": int(score == "dislike"),
    }


def _summary(conversation: dict[str, Any]) -> dict[str, Any]:
    transcript = conversation["transcript"]
    return {
        "agent_id": conversation["agent_id"],
        "agent_name": conversation["agent_name"],
        "branch_id": conversation["branch_id"],
        "version_id": conversation["version_id"],
        "conversation_id": conversation["conversation_id"],
        "start_time_unix_secs": conversation["start_time_unix_secs"],
        "call_duration_secs": conversation["call_duration_secs"],
        "message_count": len(transcript),
        "user_message_count": sum(1 for i in transcript if i["role"] == "user"),
        "agent_message_count": sum(1 for i in transcript if i["role"] == "agent"),
        "status": conversation["status"],
        "call_successful": conversation["call_successful"],
        "transcript_summary": conversation["transcript_summary"],
        "main_language": conversation["main_language"],
        "tag_ids": conversation["tag_ids"],
        "evaluation_criteria_results": {
            criteria_id: {"result": result["result"]} for criteria_id, result in _evaluations(conversation).items()
        },
    }


def _evaluations(conversation: dict[str, Any]) -> dict[str, Any]:
    """Evaluation-criteria results by criteria id (seeded conversations may carry them; older ones have none)."""
    return conversation.get("evaluation_criteria_results") or {}


def get_rendered(conversation: dict[str, Any]) -> dict[str, Any]:
    """`GetConversationResponseModel`."""
    summary = _summary(conversation)
    return {
        "conversation_id": conversation["conversation_id"],
        "agent_id": conversation["agent_id"],
        "agent_name": conversation["agent_name"],
        "status": conversation["status"],
        "branch_id": conversation["branch_id"],
        "version_id": conversation["version_id"],
        "metadata": {
            "start_time_unix_secs": conversation["start_time_unix_secs"],
            "call_duration_secs": conversation["call_duration_secs"],
            "cost_fiat": None,
            "feedback": conversation["feedback"],
            "main_language": conversation["main_language"],
        },
        "analysis": {
            "call_successful": conversation["call_successful"],
            "transcript_summary": conversation["transcript_summary"],
            "evaluation_criteria_results": _evaluations(conversation),
        },
        "user_message_count": summary["user_message_count"],
        "agent_message_count": summary["agent_message_count"],
        "has_audio": False,
        "has_user_audio": False,
        "has_response_audio": False,
        "has_auxiliary_audio": False,
        "transcript": conversation["transcript"],
        "tag_ids": conversation["tag_ids"],
    }


@dataclass
class ListFilters:
    """The list filters the list and the text search both take (query parameters, through `Depends`)."""

    agent_id: str | None = None
    branch_id: str | None = None
    version_id: str | None = None
    # The list's outcome filter takes one more value than a conversation's own outcome (elevenlabs-api.md §6).
    call_successful: Literal["success", "failure", "unknown", "error"] | None = None
    call_start_after_unix: int | None = None
    call_start_before_unix: int | None = None

    def keeps(self, conv: dict[str, Any]) -> bool:
        after, before = self.call_start_after_unix, self.call_start_before_unix
        return (
            (self.branch_id is None or conv["branch_id"] == self.branch_id)
            and (self.version_id is None or conv["version_id"] == self.version_id)
            and (self.call_successful is None or conv["call_successful"] == self.call_successful)
            and (after is None or conv["start_time_unix_secs"] > after)
            and (before is None or conv["start_time_unix_secs"] < before)
        )


Filters = Annotated[ListFilters, Depends()]


def _filtered(c: Context, filters: ListFilters) -> list[dict[str, Any]]:
    agent_id = filters.agent_id
    found = c.store.all("conversation", owner=agent_id) if agent_id else c.store.all("conversation")
    return [conv for conv in found if filters.keeps(conv)]


@router.get("")
async def list_conversations(c: C, filters: Filters, query: Listing) -> dict[str, Any]:
    found = _filtered(c, filters)
    if query.search:
        words = text_search.query_words(query.search)
        found = [conv for conv in found if any(_message_matches(words, item) for item in conv["transcript"])]
    found.sort(key=lambda conv: conv["start_time_unix_secs"], reverse=query.descending)
    return query.page("conversations", found, _summary)


def _message_matches(words: list[str], item: dict[str, Any]) -> bool:
    return text_search.match(words, item.get("message") or "") is not None


@router.get("/messages/text-search")
async def search_messages(
    c: C,
    text_query: str,
    filters: Filters,
    sort_by: str = "search_score",
    cursor: str | None = None,
    page_size: int = _SEARCH_PAGE_SIZE,
) -> dict[str, Any]:
    """`MessagesSearchResponse`: one result per matching transcript message, best score (or newest) first."""
    words = text_search.query_words(text_query)
    results = []
    for conv in _filtered(c, filters):
        for index, item in enumerate(conv["transcript"]):
            found = text_search.match(words, item.get("message") or "")
            if found is not None:
                results.append(_search_result(conv, index, item["message"], found))
    if sort_by == "created_at":
        results.sort(key=lambda r: (-r["conversation_start_time_unix_secs"], r["transcript_index"]))
    else:
        results.sort(key=lambda r: (-r["score"], -r["conversation_start_time_unix_secs"], r["transcript_index"]))
    meta = {"total": len(results), "page": None, "page_size": page_size}
    return {"meta": meta, **ListQuery(cursor=cursor, page_size=page_size).page("results", results)}


def _search_result(conv: dict[str, Any], index: int, text: str, found: text_search.Match) -> dict[str, Any]:
    return {
        "conversation_id": conv["conversation_id"],
        "agent_id": conv["agent_id"],
        "agent_name": conv["agent_name"],
        "transcript_index": index,
        "chunk_text": text,
        "chunk_highlights": found.highlights,
        "score": found.score,
        "conversation_start_time_unix_secs": conv["start_time_unix_secs"],
    }


@router.get("/{conversation_id}")
async def get_conversation(conversation_id: str, c: C) -> dict[str, Any]:
    return get_rendered(CONVERSATION.load(c, conversation_id))


@router.delete("/{conversation_id}")
async def delete_conversation(conversation_id: str, c: C) -> dict[str, Any]:
    CONVERSATION.delete(c, conversation_id)
    return {}


@router.post("/{conversation_id}/feedback")
async def feedback(conversation_id: str, body: FeedbackBody, c: C) -> dict[str, Any]:
    CONVERSATION.update(c, conversation_id, {"feedback": _feedback(body.feedback)})
    return {}
