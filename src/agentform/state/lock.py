"""The environment lock, kept in the workspace: one KB text document per contender (docs/decisions/0051, 0110).

CI runners are stateless, so the lock cannot live on disk. A contender creates a document at the workspace root
named `agentform-lock.<project>.<env> <token> <expires_at>`; the name alone says whose it is and until when, so one
list call decides. Taking the lock costs two requests (create, list), releasing it one (delete). The holder's
description (who, why, since when) is the document's JSON content, read only to name a holder who blocks us.

The rule that needs no wait for the clock (docs/decisions/0110): a contender holds the lock when every other
unexpired lock document it lists was created in a *later* second than its own. Any two contenders list after their
own create, so the later one always sees the earlier one's document with an earlier or equal second and yields:
two never both win. Contenders created in the same second may all yield (`LockContended`); the wait loop
(`environment_lock`) retries them after a short random pause.

All I/O goes through the client interface of docs/decisions/0001.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agentform.model import Desired
from agentform.plan import identity

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

DEFAULT_LOCK_TTL_SECS = 30 * 60
# How often a run waiting for the environment lock asks again.
_LOCK_POLL_SECS = 5.0
# Same-second contenders all yield; each retries after a random pause this long at most, this many times.
_CONTENTION_PAUSE_SECS = 0.5
_CONTENTION_RETRIES = 5
LOCK_PREFIX = "agentform-lock."
_LOCK_NAME = re.compile(r"^agentform-lock\.(?P<scope>.+) (?P<token>[0-9a-f]{32}) (?P<expires>\d+)$")


def lock_scope(project: str, environment: str) -> str:
    return f"{project}.{environment}"


def lock_document_name(scope: str, token: str, expires_at: float) -> str:
    return f"{LOCK_PREFIX}{scope} {token} {int(expires_at)}"


class LockHeld(Exception):
    """Another holder owns the environment's lock."""

    def __init__(self, info: LockInfo) -> None:
        super().__init__(
            f"environment {info.environment!r} is locked by {info.holder} ({info.purpose}) since "
            f"{_iso(info.acquired_at)}, until {_iso(info.expires_at)}; `agentform force-unlock` removes a stale lock"
        )
        self.info = info


class LockContended(LockHeld):
    """Contenders created their lock documents in the same second and all yielded: nobody holds the lock."""


@dataclass(frozen=True)
class LockInfo:
    document_id: str
    environment: str
    token: str
    expires_at: float
    created_at: int
    holder: str = "unknown"
    purpose: str = "unknown"
    acquired_at: float = 0.0

    def expired(self, now: float) -> bool:
        return self.expires_at <= now


def _iso(secs: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


def lock_from_item(item: dict[str, Any], scope: str, environment: str) -> LockInfo | None:
    """The lock a KB list item stands for, when it is a lock document of `scope`."""
    matched = _LOCK_NAME.match(str(item.get("name") or ""))
    if matched is None or matched["scope"] != scope:
        return None
    return LockInfo(
        document_id=str(item["id"]),
        environment=environment,
        token=matched["token"],
        expires_at=float(matched["expires"]),
        created_at=identity.created_at(item),
    )


def described(lock: LockInfo, text: str) -> LockInfo:
    """`lock` with the holder's description from its document's JSON (unreadable content: left unknown)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, dict):
        return lock
    return replace(
        lock,
        holder=str(raw.get("holder", lock.holder)),
        purpose=str(raw.get("purpose", lock.purpose)),
        acquired_at=float(raw.get("acquired_at", lock.acquired_at)),
    )


def blocking(locks: list[LockInfo], token: str, now: float) -> list[LockInfo]:
    """The unexpired documents of other contenders that keep the holder of `token` from the lock, oldest first.

    Ours is our oldest document (a create retried after a lost answer makes twins). Another contender's document
    blocks us when it is not newer than ours: created in an earlier second, or in the same one (it may have listed
    before ours existed and taken the lock).
    """
    ours = [lock for lock in locks if lock.token == token]
    if not ours:
        return []
    position = min(lock.created_at for lock in ours)
    others = [lock for lock in locks if lock.token != token and not lock.expired(now)]
    return sorted(
        (lock for lock in others if lock.created_at <= position), key=lambda lock: (lock.created_at, lock.document_id)
    )


async def list_state_documents(client: ElevenLabsClient) -> list[dict[str, Any]]:
    """Every lock document and state record document of the workspace, in one list call: lock names carry their
    project and environment, records are told apart by their folder."""
    return list(await client.list_documents(types=["text"], search="agentform-"))


async def list_locks(client: ElevenLabsClient, project: str, environment: str) -> list[LockInfo]:
    """The environment's lock documents with their holders' descriptions (for `force-unlock` and messages)."""
    scope = lock_scope(project, environment)
    found = [
        lock
        for item in await client.list_documents(types=["text"], search=LOCK_PREFIX + scope)
        if (lock := lock_from_item(item, scope, environment))
    ]
    texts = await asyncio.gather(*(_content_unless_gone(client, lock.document_id) for lock in found))
    return [described(lock, text) for lock, text in zip(found, texts, strict=True) if text is not None]


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
    """A held lock; `release()` (or leaving the `async with`) deletes its document.

    `listing` is what the list call that decided the lock saw (lock and state record documents): the caller's
    freshness check compares the state record's name in it with the one its plan read (docs/decisions/0110).
    """

    client: ElevenLabsClient
    info: LockInfo
    listing: list[dict[str, Any]] = field(default_factory=list)
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            await delete_quietly(self.client, self.info.document_id)
            self.released = True

    async def __aenter__(self) -> EnvironmentLock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Shielded: a run cancelled by SIGINT or SIGTERM still removes its lock on the way out.
        await asyncio.shield(self.release())


async def delete_quietly(client: ElevenLabsClient, document_id: str) -> None:
    try:
        await client.delete_document(document_id, force=True)
    except Exception as error:  # already gone (404) is the common case; anything else must not mask the caller's
        if getattr(error, "status", None) not in (404, None):
            raise


async def acquire_lock(
    client: ElevenLabsClient,
    project: str,
    environment: str,
    *,
    holder: str,
    purpose: str,
    ttl_secs: float = DEFAULT_LOCK_TTL_SECS,
    clock: Callable[[], float] = time.time,
) -> EnvironmentLock:
    """Take the environment's lock or raise `LockHeld` (`LockContended` after a same-second tie).

    Create our document, list the lock documents once, and hold the lock when no other unexpired one is as old as
    ours (`blocking`). Whatever the outcome, at most one document of ours is left: losers delete theirs, a create
    that failed (its answer lost, perhaps after creating) is looked for by token and deleted, twins are tidied.
    """
    scope, now, token = lock_scope(project, environment), clock(), uuid.uuid4().hex
    body = {"holder": holder, "purpose": purpose, "acquired_at": now, "expires_at": now + ttl_secs, "token": token}
    name = lock_document_name(scope, token, now + ttl_secs)
    try:
        created = await client.create_text_document(text=json.dumps(body), name=name)
        listing = await list_state_documents(client)
    except BaseException:
        await asyncio.shield(_remove_token(client, scope, environment, token))
        raise
    locks = [lock for item in listing if (lock := lock_from_item(item, scope, environment))]
    ours = [lock for lock in locks if lock.token == token]
    if not ours:
        # The list does not show our own document yet: it cannot tell who came first. Withdraw and try again.
        await delete_quietly(client, str(created["id"]))
        raise LockContended(LockInfo(str(created["id"]), environment, token, now + ttl_secs, 0, holder, purpose, now))
    blockers = blocking(locks, token, clock())
    if blockers:
        await asyncio.gather(*(delete_quietly(client, lock.document_id) for lock in ours))
        first = blockers[0]
        info = described(first, await _content_unless_gone(client, first.document_id) or "")
        if first.created_at == min(lock.created_at for lock in ours):
            raise LockContended(info)
        raise LockHeld(info)
    kept = min(ours, key=lambda lock: (lock.created_at, lock.document_id))
    # Our twins and the expired documents of crashed holders are ours to tidy up.
    await asyncio.gather(
        *(
            delete_quietly(client, lock.document_id)
            for lock in locks
            if lock.document_id != kept.document_id and (lock.token == token or lock.expired(clock()))
        )
    )
    mine = replace(kept, holder=holder, purpose=purpose, acquired_at=now)
    return EnvironmentLock(client, mine, listing)


async def _remove_token(client: ElevenLabsClient, scope: str, environment: str, token: str) -> None:
    """Delete every lock document carrying `token` (a failed create may have made one), quietly."""
    with contextlib.suppress(Exception):
        for item in await client.list_documents(types=["text"], search=LOCK_PREFIX + scope):
            lock = lock_from_item(item, scope, environment)
            if lock is not None and lock.token == token:
                await delete_quietly(client, lock.document_id)


async def force_unlock(client: ElevenLabsClient, project: str, environment: str) -> list[LockInfo]:
    """Delete every lock document of the environment; returns what was removed (for the message)."""
    locks = await list_locks(client, project, environment)
    await asyncio.gather(*(delete_quietly(client, lock.document_id) for lock in locks))
    return locks


@contextlib.asynccontextmanager
async def environment_lock(
    client: ElevenLabsClient, desired: Desired, *, holder: str, purpose: str, ttl_secs: float, wait_secs: float = 0.0
) -> AsyncIterator[EnvironmentLock]:
    """Hold the environment's lock for the block, waiting up to `wait_secs` for another holder to finish.

    Raises `LockHeld` (naming the holder) when it is still taken after that. A same-second tie, where nobody holds
    the lock, is retried after a short random pause even without waiting (`LockContended`). The lock is released
    when the block ends, also when it ends by cancellation (SIGINT, SIGTERM).
    """
    project, environment = desired.settings.project, desired.environment.name
    deadline = time.monotonic() + wait_secs
    ties = 0
    while True:
        try:
            lock = await acquire_lock(client, project, environment, holder=holder, purpose=purpose, ttl_secs=ttl_secs)
            break
        except LockContended as tie:
            ties += 1
            await asyncio.sleep(random.uniform(0, _CONTENTION_PAUSE_SECS))
            # A tied contender that yielded has deleted its document by now; one still there holds the lock.
            if ties <= _CONTENTION_RETRIES and not await _still_there(client, project, tie.info):
                continue
            refused: LockHeld = tie
        except LockHeld as held:
            refused = held
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise refused
        await asyncio.sleep(min(_LOCK_POLL_SECS, remaining))
    async with lock:
        yield lock


async def _still_there(client: ElevenLabsClient, project: str, lock: LockInfo) -> bool:
    """Whether `lock`'s document is still listed, unexpired (one list call, no write)."""
    scope = lock_scope(project, lock.environment)
    listed = await client.list_documents(types=["text"], search=LOCK_PREFIX + scope)
    return any(str(item.get("id")) == lock.document_id for item in listed) and not lock.expired(time.time())
