"""What the environment lock writes, says and tidies, through `acquire_lock`, `environment_lock` and `list_locks`.

Time is the emulator's (`FakeClock`, which dates the documents) and the contender's (`clock=`), both moved by hand.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tests.apply.helpers import desired, in_process_client
from tests.apply.test_faults import inject
from tests.support.clock import FakeClock

from agentform.elevenlabs import ApiError, RetryPolicy, TransportFailure
from agentform.emulator import create_app
from agentform.state.lock import (
    LOCK_PREFIX,
    LockContended,
    LockHeld,
    acquire_lock,
    environment_lock,
    list_locks,
    lock_document_name,
    lock_scope,
)

PROJECT, ENV = "clinic", "prod"
SCOPE = lock_scope(PROJECT, ENV)
# 2023-11-14T22:13:20Z
T = 1_700_000_000.0
NO_RETRIES = RetryPolicy(max_retries=0)


def emulator(clock: FakeClock) -> Any:
    return create_app(":memory:", clock=clock)


async def lock_documents(client: Any) -> list[dict[str, Any]]:
    return await client.list_documents(types=["text"], search=LOCK_PREFIX)


async def someone_elses_lock(client: Any, *, token: str, expires_at: float, content: str = "{}") -> str:
    """A lock document another contender left, made the way `acquire_lock` makes one."""
    created = await client.create_text_document(text=content, name=lock_document_name(SCOPE, token, expires_at))
    return str(created["id"])


class _ListLagsBehindCreates:
    """The client, except that the first `lagging` list calls do not show lock documents yet (an API whose
    listing trails its writes)."""

    def __init__(self, client: Any, lagging: int = 1) -> None:
        self._client, self._lagging = client, lagging

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def list_documents(self, **kwargs: Any) -> list[dict[str, Any]]:
        listed = await self._client.list_documents(**kwargs)
        if self._lagging:
            self._lagging -= 1
            return [item for item in listed if not str(item.get("name", "")).startswith(LOCK_PREFIX)]
        return listed


class _AnotherCreatesRightAfterUs:
    """The client, except that right after our lock document is created, another contender creates its own in
    the next second, before our list call."""

    def __init__(self, client: Any, clock: FakeClock) -> None:
        self._client, self._clock = client, clock
        self.other_id = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def create_text_document(self, **kwargs: Any) -> dict[str, Any]:
        created = await self._client.create_text_document(**kwargs)
        self._clock.advance(1)
        self.other_id = await someone_elses_lock(self._client, token="b" * 32, expires_at=T + 3600)
        return created


def test_a_held_lock_says_who_holds_it_why_since_when_and_until_when_in_its_document():
    async def scenario():
        async with in_process_client(emulator(FakeClock(T))) as client:
            lock = await acquire_lock(
                client, PROJECT, ENV, holder="ci run 1", purpose="deploy", ttl_secs=600, clock=lambda: T
            )
            info = lock.info
            assert (info.holder, info.purpose, info.acquired_at, info.expires_at) == ("ci run 1", "deploy", T, T + 600)
            assert info.environment == ENV
            [document] = await lock_documents(client)
            assert document["id"] == info.document_id
            assert document["name"] == lock_document_name(SCOPE, info.token, T + 600)
            assert json.loads(await client.get_document_content(info.document_id)) == {
                "holder": "ci run 1",
                "purpose": "deploy",
                "acquired_at": T,
                "expires_at": T + 600,
                "token": info.token,
            }
            [listed] = await list_locks(client, PROJECT, ENV)
            assert (listed.holder, listed.purpose, listed.acquired_at, listed.environment) == (
                "ci run 1",
                "deploy",
                T,
                ENV,
            )

    asyncio.run(scenario())


def test_a_holder_from_an_earlier_second_refuses_the_lock_with_a_message_in_utc():
    async def scenario():
        clock = FakeClock(T)
        async with in_process_client(emulator(clock)) as client:
            await acquire_lock(client, PROJECT, ENV, holder="ci run 1", purpose="deploy", ttl_secs=1800, clock=clock)
            clock.advance(5)
            with pytest.raises(LockHeld) as refused:
                await acquire_lock(client, PROJECT, ENV, holder="alice", purpose="apply", clock=clock)
            assert type(refused.value) is LockHeld, "an earlier second is a holder, not a tie"
            assert str(refused.value) == (
                "environment 'prod' is locked by ci run 1 (deploy) since 2023-11-14T22:13:20Z, "
                "until 2023-11-14T22:43:20Z; `agentform force-unlock` removes a stale lock"
            )
            assert [lock.holder for lock in await list_locks(client, PROJECT, ENV)] == ["ci run 1"]

    asyncio.run(scenario())


def test_a_contender_holds_the_lock_over_one_whose_document_came_in_a_later_second():
    async def scenario():
        clock = FakeClock(T)
        async with in_process_client(emulator(clock)) as client:
            racing = _AnotherCreatesRightAfterUs(client, clock)
            lock = await acquire_lock(racing, PROJECT, ENV, holder="first", purpose="apply", clock=clock)
            assert lock.info.holder == "first"
            listed = {document["id"] for document in await lock_documents(client)}
            assert listed == {lock.info.document_id, racing.other_id}, "the later contender's document is its own"

    asyncio.run(scenario())


def test_a_contender_whose_list_does_not_show_its_own_document_withdraws_it_and_reports_a_tie():
    async def scenario():
        async with in_process_client(emulator(FakeClock(T))) as client:
            lagging = _ListLagsBehindCreates(client)
            with pytest.raises(LockContended) as tie:
                await acquire_lock(lagging, PROJECT, ENV, holder="ci", purpose="apply", ttl_secs=60, clock=lambda: T)
            info = tie.value.info
            assert (info.holder, info.purpose, info.environment, info.acquired_at, info.expires_at) == (
                "ci",
                "apply",
                ENV,
                T,
                T + 60,
            )
            assert len(info.token) == 32
            assert info.document_id.startswith("kbdoc_")
            assert await lock_documents(client) == []

    asyncio.run(scenario())


def test_waiting_for_the_lock_gets_past_a_list_that_lagged_behind_our_create():
    async def scenario():
        async with in_process_client(emulator(FakeClock(T))) as client:
            lagging = _ListLagsBehindCreates(client)
            async with environment_lock(lagging, desired(), holder="ci", purpose="apply", ttl_secs=60) as lock:
                [document] = await lock_documents(client)
                assert document["id"] == lock.info.document_id
            assert await lock_documents(client) == []

    asyncio.run(scenario())


def test_a_lock_document_expiring_this_very_second_blocks_nobody_and_is_tidied():
    async def scenario():
        clock = FakeClock(T)
        async with in_process_client(emulator(clock)) as client:
            stale = await someone_elses_lock(client, token="c" * 32, expires_at=T + 10)
            clock.advance(10)
            lock = await acquire_lock(client, PROJECT, ENV, holder="next", purpose="apply", clock=clock)
            assert [document["id"] for document in await lock_documents(client)] == [lock.info.document_id]
            assert stale != lock.info.document_id

    asyncio.run(scenario())


def test_a_lock_document_without_a_readable_description_names_an_unknown_holder():
    async def scenario():
        clock = FakeClock(T)
        async with in_process_client(emulator(clock)) as client:
            await someone_elses_lock(client, token="d" * 32, expires_at=T + 600, content='{"token": "x"}')
            await someone_elses_lock(client, token="e" * 32, expires_at=T + 600, content="[1, 2]")
            listed = await list_locks(client, PROJECT, ENV)
            assert [(lock.holder, lock.purpose, lock.acquired_at) for lock in listed] == [
                ("unknown", "unknown", 0.0)
            ] * 2
            clock.advance(1)
            with pytest.raises(LockHeld, match="locked by unknown \\(unknown\\) since 1970-01-01T00:00:00Z"):
                await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply", clock=clock)

    asyncio.run(scenario())


def test_a_failed_lock_create_removes_only_its_own_document_never_the_holders():
    async def scenario():
        app = emulator(FakeClock(T))
        async with in_process_client(app, retry_policy=NO_RETRIES) as client:
            held = await acquire_lock(client, PROJECT, ENV, holder="holder", purpose="deploy")
            await inject(
                app, [{"kind": "drop", "method": "POST", "path": "/v1/convai/knowledge-base/text", "when": "after"}]
            )
            with pytest.raises(TransportFailure):
                await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply")
            assert [document["id"] for document in await lock_documents(client)] == [held.info.document_id]

    asyncio.run(scenario())


def test_releasing_a_lock_twice_sends_one_delete_and_a_lock_already_gone_releases_quietly():
    async def scenario():
        async with in_process_client(emulator(FakeClock(T))) as client:
            lock = await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply")
            before = client.request_count
            await lock.release()
            await lock.release()
            assert client.request_count - before == 1
            gone = await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply")
            await client.delete_document(gone.info.document_id, force=True)
            await gone.release()
            assert await lock_documents(client) == []

    asyncio.run(scenario())


def test_a_release_the_api_refuses_for_another_reason_than_gone_is_an_error():
    async def scenario():
        app = emulator(FakeClock(T))
        async with in_process_client(app, retry_policy=NO_RETRIES) as client:
            lock = await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply")
            path = f"/v1/convai/knowledge-base/{lock.info.document_id}"
            await inject(app, [{"kind": "status", "status": 400, "method": "DELETE", "path": path}])
            with pytest.raises(ApiError) as refused:
                await lock.release()
            assert refused.value.status == 400
            assert [document["id"] for document in await lock_documents(client)] == [lock.info.document_id]

    asyncio.run(scenario())
