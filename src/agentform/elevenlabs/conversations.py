"""Conversations: listing, reading, text search, feedback, deletion (elevenlabs-api.md §7)."""

from __future__ import annotations

from typing import Any

from agentform.elevenlabs.core import ClientCore, _Walk, query, segment

_CONVERSATIONS = "/v1/convai/conversations"
# The text search pages at most 50 results (the list endpoints 100).
_SEARCH_PAGE_SIZE = 50


class ConversationsApi(ClientCore):
    async def list_conversations(
        self,
        *,
        agent_id: str | None = None,
        branch_id: str | None = None,
        call_start_after_unix: int | None = None,
        limit: int | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Conversation summaries, newest first: all pages, or the first `limit`.

        `filters` are the API's other list filters by their query names (`call_successful="failure"`,
        `tool_names=["book"]`, ...); list values repeat the key.
        """
        params = query(agent_id=agent_id, branch_id=branch_id, call_start_after_unix=call_start_after_unix, **filters)
        return await self._pages(_CONVERSATIONS, "conversations", resource="conversations", params=params, limit=limit)

    async def get_conversation(self, conversation_id: str) -> dict[str, Any]:
        """The full conversation with its transcript and analysis."""
        return await self._call(
            "GET", f"{_CONVERSATIONS}/{segment(conversation_id)}", resource=f"conversation {conversation_id}"
        )

    async def send_conversation_feedback(self, conversation_id: str, feedback: str) -> None:
        """Rate a conversation "like" or "dislike"."""
        await self._call(
            "POST",
            f"{_CONVERSATIONS}/{segment(conversation_id)}/feedback",
            resource=f"conversation {conversation_id}",
            json={"feedback": feedback},
        )

    async def search_messages(self, text: str, *, agent_id: str | None = None, limit: int = 30, **filters: Any) -> list:
        """Transcript messages that match `text` (full-text and fuzzy), best first: up to `limit` results.

        Each result names its conversation, the message's `transcript_index`, its `chunk_text` and `score`.
        `filters` are the list filters by their query names (`branch_id=...`, `call_successful="failure"`).
        """
        params = query(text_query=text, agent_id=agent_id, **filters)
        walk = _Walk(f"{_CONVERSATIONS}/messages/text-search", "conversation search", params)
        results: list[dict[str, Any]] = []
        while not walk.done and len(results) < limit:
            page = await self._page(walk, min(_SEARCH_PAGE_SIZE, limit - len(results)))
            results.extend(page.get("results") or [])
        return results[:limit]

    async def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation and its recording."""
        await self._call(
            "DELETE", f"{_CONVERSATIONS}/{segment(conversation_id)}", resource=f"conversation {conversation_id}"
        )
