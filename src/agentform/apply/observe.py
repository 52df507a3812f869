"""What the workspace says of the document and test versions an apply wrote: the `updated_at` a plan trusts.

A plan reads a managed text document's content (or a test's body) only when its list timestamp moved since the one
recorded after our last write (docs/decisions/0058). Timestamps are whole seconds, so a dashboard edit within the
second of our write would leave it unchanged; the agents' rule (docs/decisions/0050) applies here too: the caller
waits until the server's clock has left that second, then this module lists the versions *before* reading their
content back. A timestamp is vouched for only when the content read afterwards is still what we sent: an edit made
between our write and the list shows in the content, one made after the list moves the timestamp. When the content
differs, no timestamp is recorded and the plan falls back on comparing content (`plan/versions.py`).

A version we *created* is not read back: nobody can edit it within the second it was created in (its id was not
known yet), so a list timestamp equal to its creation time vouches for it, and one that is not is an edit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from agentform.plan.normalize import comparable, normalize_test, same

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@dataclass(frozen=True)
class WrittenVersion:
    """A document or test version an apply created or repaired, and the body it sent."""

    kind: Literal["document", "test"]
    live_id: str
    key: str
    hash: str
    sent: dict[str, Any]
    created: bool


async def observed_timestamps(
    client: ElevenLabsClient,
    written: list[WrittenVersion],
    *,
    documents_folder_id: str | None,
    tests_folder_id: str | None,
) -> dict[str, int | None]:
    """Live id -> the list timestamp that vouches for our write, or None when the content no longer matches."""
    documents = [w for w in written if w.kind == "document" and "text" in w.sent]
    tests = [w for w in written if w.kind == "test"]
    document_items, test_items = await asyncio.gather(
        client.list_documents(parent_folder_id=documents_folder_id) if documents and documents_folder_id else _none(),
        client.list_tests(parent_folder_id=tests_folder_id) if tests and tests_folder_id else _none(),
    )
    # KB items keep their timestamps under `metadata`, test summaries at the top.
    items = [{**item, **(item.get("metadata") or {})} for item in [*document_items, *test_items]]
    stamps = {str(item["id"]): item.get("last_updated_at_unix_secs") for item in items}
    born = {str(item["id"]): item.get("created_at_unix_secs") for item in items}
    found: dict[str, int | None] = {
        w.live_id: stamps.get(w.live_id) if stamps.get(w.live_id) == born.get(w.live_id) else None
        for w in [*documents, *tests]
        if w.created
    }
    documents = [w for w in documents if not w.created]
    tests = [w for w in tests if not w.created]
    texts, bodies = await asyncio.gather(
        asyncio.gather(*(client.get_document_content(w.live_id) for w in documents)),
        asyncio.gather(*(client.get_test(w.live_id) for w in tests)),
    )
    for version, text in zip(documents, texts, strict=True):
        found[version.live_id] = stamps.get(version.live_id) if text == version.sent["text"] else None
    for version, body in zip(tests, bodies, strict=True):
        found[version.live_id] = stamps.get(version.live_id) if same_test(version.sent, body) else None
    return found


def same_test(sent: dict[str, Any], live: dict[str, Any]) -> bool:
    """Whether a test's live body is what we sent, by the planner's comparison (the server adds defaults)."""
    ours, theirs = comparable(normalize_test(sent), normalize_test(live))
    return same(ours, theirs)


async def _none() -> list[dict[str, Any]]:
    return []
