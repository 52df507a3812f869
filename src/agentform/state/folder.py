"""The managed folders that hold the state record and the lock (KB) and the managed tests (agent testing).

Same-named folders may exist after two first applies raced: every reader settles on the oldest (ties broken by id).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentform.plan import identity

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def oldest(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The canonical one among same-named objects: oldest first, ties broken by id (every reader agrees)."""
    return min(items, key=lambda item: (identity.created_at(item), str(item.get("id")))) if items else None


async def find_folder(client: ElevenLabsClient, name: str) -> dict[str, Any] | None:
    """The KB folder with exactly this name at the workspace root, or None. Never writes."""
    found = await client.list_documents(types=["folder"], search=name)
    return oldest([item for item in found if item.get("name") == name and item.get("type", "folder") == "folder"])


async def ensure_folder(client: ElevenLabsClient, name: str) -> str:
    """The id of the managed folder, created when missing (apply only)."""
    folder = await find_folder(client, name)
    if folder is not None:
        return str(folder["id"])
    created = await client.create_folder(name=name)
    # Two first applies racing may both create one: all of them settle on the oldest, the empty loser is harmless.
    again = await find_folder(client, name)
    return str((again or created)["id"])


async def ensure_test_folder(client: ElevenLabsClient, name: str) -> str:
    """The id of the managed agent-testing folder, created when missing (apply only); oldest wins, as above."""

    async def find() -> dict[str, Any] | None:
        return oldest([item for item in await client.list_tests(types=["folder"]) if item.get("name") == name])

    folder = await find()
    if folder is not None:
        return str(folder["id"])
    created = await client.create_test_folder(name=name)
    return str(((await find()) or created)["id"])
