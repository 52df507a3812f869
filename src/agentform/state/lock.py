"""The environment lock, kept in the workspace: one KB text document per contender (docs/decisions/0051).

`agentform-lock.<env>` documents sit in the managed folder beside the state record; the oldest unexpired one holds
the lock. CI runners are stateless, so the lock cannot live on disk. All I/O goes through the client interface of
docs/decisions/0001.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentform.model import Desired
from agentform.plan import identity
from agentform.state.folder import ensure_folder

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

DEFAULT_LOCK_TTL_SECS = 30 * 60
# How often a run waiting for the environment lock asks again.
_LOCK_POLL_SECS = 5.0


def lock_document_name(env: str) -> str:
    return f"agentform-lock.{env}"


class LockHeld(Exception):
    """Another holder owns the environment's lock."""

    def __init__(self, info: LockInfo) -> None:
        super().__init__(
            f"environment {info.environment!r} is locked by {info.holder} ({info.purpose}) since "
            f"{_iso(info.acquired_at)}, until {_iso(info.expires_at)}; `agentform force-unlock` removes a stale lock"
        )
        self.info = info


@dataclass(frozen=True)
class LockInfo:
    document_id: str
    environment: str
    holder: str
    purpose: str
    acquired_at: float
    expires_at: float
    created_at: int
    token: str

    def expired(self, now: float) -> bool:
        return self.expires_at <= now


def _iso(secs: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


def parse_lock(document: dict[str, Any], text: str, environment: str) -> LockInfo:
    """A lock from its document; unreadable content counts as expired (a crash mid-create must not wedge CI)."""
    try:
        raw = json.loads(text)
        raw = raw if isinstance(raw, dict) else {}
    except json.JSONDecodeError:
        raw = {}
    return LockInfo(
        document_id=str(document["id"]),
        environment=environment,
        holder=str(raw.get("holder", "unknown")),
        purpose=str(raw.get("purpose", "unknown")),
        acquired_at=float(raw.get("acquired_at", 0.0)),
        expires_at=float(raw.get("expires_at", 0.0)),
        created_at=identity.created_at(document),
        token=str(raw.get("token", "")),
    )


def lock_winner(locks: list[LockInfo], now: float) -> LockInfo | None:
    """The holder: the oldest unexpired lock document, ties broken by document id."""
    alive = [lock for lock in locks if not lock.expired(now)]
    return min(alive, key=lambda lock: (lock.created_at, lock.document_id)) if alive else None


async def list_locks(client: ElevenLabsClient, folder_id: str, environment: str) -> list[LockInfo]:
    name = lock_document_name(environment)
    documents = [doc for doc in await client.list_documents(parent_folder_id=folder_id) if doc.get("name") == name]
    texts = await asyncio.gather(*(_content_unless_gone(client, doc["id"]) for doc in documents))
    return [parse_lock(doc, text, environment) for doc, text in zip(documents, texts, strict=True) if text is not None]


async def _content_unless_gone(client: ElevenLabsClient, document_id: str) -> str | None:
    """The document's text, or None when it was deleted since it was listed.

    Racing contenders delete their lock documents as soon as they lose: one listed a moment ago may be gone now,
    and a lock that is gone holds nothing.
    """
    try:
        return await client.get_document_content(document_id)
    except Exception as error:
        if getattr(error, "status", None) == 404:
            return None
        raise


@dataclass
class EnvironmentLock:
    """A held lock; `release()` (or leaving the `async with`) deletes its document."""

    client: ElevenLabsClient
    info: LockInfo
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            await delete_quietly(self.client, self.info.document_id)
            self.released = True

    async def __aenter__(self) -> EnvironmentLock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


async def delete_quietly(client: ElevenLabsClient, document_id: str) -> None:
    try:
        await client.delete_document(document_id, force=True)
    except Exception as error:  # already gone (404) is the common case; anything else must not mask the caller's
        if getattr(error, "status", None) not in (404, None):
            raise


async def acquire_lock(
    client: ElevenLabsClient,
    folder_id: str,
    environment: str,
    *,
    holder: str,
    purpose: str,
    ttl_secs: float = DEFAULT_LOCK_TTL_SECS,
    settle_secs: float = 1.1,
    clock: Callable[[], float] = time.time,
) -> EnvironmentLock:
    """Take the environment's lock or raise `LockHeld`.

    Create our lock document, wait until the server's clock has certainly moved past its creation second, then
    list: any document created later has a strictly later `created_at`, and every contender that created one in
    the same second sees ours and breaks the tie the same way (docs/decisions/0051). Losers delete theirs.
    """
    now = clock()
    token = uuid.uuid4().hex
    body = {
        "holder": holder,
        "purpose": purpose,
        "acquired_at": now,
        "expires_at": now + ttl_secs,
        "token": token,
    }
    created = await client.create_text_document(
        text=json.dumps(body), name=lock_document_name(environment), parent_folder_id=folder_id
    )
    mine = str(created["id"])
    if settle_secs > 0:
        await asyncio.sleep(settle_secs)
    try:
        locks = await list_locks(client, folder_id, environment)
    except BaseException:
        await delete_quietly(client, mine)
        raise
    winner = lock_winner(locks, clock())
    # Our documents are those with our token: a create retried after a lost answer makes two, either may be older.
    ours = [lock for lock in locks if lock.token == token] or [parse_lock({"id": mine}, json.dumps(body), environment)]
    if winner is None or winner.token != token:
        await asyncio.gather(*(delete_quietly(client, lock.document_id) for lock in ours))
        raise LockHeld(winner or ours[0])
    # Our twins and the expired documents of crashed holders are ours to tidy up.
    await asyncio.gather(
        *(
            delete_quietly(client, lock.document_id)
            for lock in locks
            if lock.document_id != winner.document_id and (lock.token == token or lock.expired(clock()))
        )
    )
    return EnvironmentLock(client, winner)


async def force_unlock(client: ElevenLabsClient, folder_id: str, environment: str) -> list[LockInfo]:
    """Delete every lock document of the environment; returns what was removed (for the message)."""
    locks = await list_locks(client, folder_id, environment)
    await asyncio.gather(*(delete_quietly(client, lock.document_id) for lock in locks))
    return locks


@contextlib.asynccontextmanager
async def environment_lock(
    client: ElevenLabsClient, desired: Desired, *, holder: str, purpose: str, ttl_secs: float, wait_secs: float = 0.0
) -> AsyncIterator[Any]:
    """Hold the environment's lock for the block, waiting up to `wait_secs` for another holder to finish.

    Raises `LockHeld` (naming the holder) when it is still taken after that.
    """
    folder_id = await ensure_folder(client, identity.folder_name(desired.settings.project, desired.environment.name))
    deadline = time.monotonic() + wait_secs
    while True:
        try:
            lock = await acquire_lock(
                client, folder_id, desired.environment.name, holder=holder, purpose=purpose, ttl_secs=ttl_secs
            )
            break
        except LockHeld:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise
            await asyncio.sleep(min(_LOCK_POLL_SECS, remaining))
    async with lock:
        yield lock
