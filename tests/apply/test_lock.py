"""The environment lock kept in the workspace: one holder at a time, expiry, release and force-unlock."""

from __future__ import annotations

import asyncio

import pytest
from tests.apply.helpers import in_process_client, new_app

from agentform.state.folder import ensure_folder
from agentform.state.lock import LockHeld, acquire_lock, force_unlock, list_locks

ENV = "prod"


async def folder(client):
    return await ensure_folder(client, "agentform.clinic.prod")


def test_a_second_holder_is_refused_until_the_first_releases():
    async def scenario():
        async with in_process_client(new_app()) as client:
            folder_id = await folder(client)
            # The holder waits out its creation second (the default): only then is its claim final.
            lock = await acquire_lock(client, folder_id, ENV, holder="ci run 1", purpose="deploy")
            with pytest.raises(LockHeld, match="ci run 1") as refused:
                await acquire_lock(client, folder_id, ENV, holder="alice@laptop", purpose="apply", settle_secs=0)
            assert refused.value.info.purpose == "deploy"
            assert [entry.holder for entry in await list_locks(client, folder_id, ENV)] == ["ci run 1"]
            await lock.release()
            async with await acquire_lock(
                client, folder_id, ENV, holder="alice@laptop", purpose="apply", settle_secs=0
            ):
                assert [entry.holder for entry in await list_locks(client, folder_id, ENV)] == ["alice@laptop"]
            assert await list_locks(client, folder_id, ENV) == []

    asyncio.run(scenario())


def test_of_contenders_racing_for_the_lock_exactly_one_wins():
    async def scenario():
        async with in_process_client(new_app()) as client:
            folder_id = await folder(client)
            outcomes = await asyncio.gather(
                *(
                    acquire_lock(client, folder_id, ENV, holder=f"job {i}", purpose="apply", settle_secs=1.1)
                    for i in range(4)
                ),
                return_exceptions=True,
            )
            winners = [o for o in outcomes if not isinstance(o, BaseException)]
            assert len(winners) == 1
            assert all(isinstance(o, LockHeld) for o in outcomes if o not in winners)
            assert [entry.holder for entry in await list_locks(client, folder_id, ENV)] == [winners[0].info.holder]

    asyncio.run(scenario())


def test_an_expired_lock_of_a_crashed_holder_does_not_block_and_is_tidied_up():
    async def scenario():
        now = [1_000.0]
        async with in_process_client(new_app()) as client:
            folder_id = await folder(client)
            await acquire_lock(
                client,
                folder_id,
                ENV,
                holder="crashed",
                purpose="apply",
                ttl_secs=60,
                settle_secs=0,
                clock=lambda: now[0],
            )
            now[0] += 61
            lock = await acquire_lock(
                client, folder_id, ENV, holder="next", purpose="apply", settle_secs=0, clock=lambda: now[0]
            )
            assert [entry.holder for entry in await list_locks(client, folder_id, ENV)] == ["next"]
            await lock.release()

    asyncio.run(scenario())


def test_force_unlock_removes_every_lock_of_the_environment_only():
    async def scenario():
        async with in_process_client(new_app()) as client:
            folder_id = await folder(client)
            await acquire_lock(client, folder_id, ENV, holder="stuck", purpose="deploy", settle_secs=0)
            await acquire_lock(client, folder_id, "staging", holder="other env", purpose="deploy", settle_secs=0)
            removed = await force_unlock(client, folder_id, ENV)
            assert [entry.holder for entry in removed] == ["stuck"]
            assert await list_locks(client, folder_id, ENV) == []
            assert [entry.holder for entry in await list_locks(client, folder_id, "staging")] == ["other env"]

    asyncio.run(scenario())


class _LoserDeletesAfterTheList:
    """The client, except that a contender deletes its lock document right after our list call saw it."""

    def __init__(self, client, doomed: str) -> None:
        self._client, self._doomed = client, doomed

    def __getattr__(self, name):
        return getattr(self._client, name)

    async def list_documents(self, **kwargs):
        listed = await self._client.list_documents(**kwargs)
        await self._client.delete_document(self._doomed, force=True)
        return listed


def test_a_lock_document_deleted_between_the_list_and_its_read_holds_nothing():
    async def scenario():
        async with in_process_client(new_app()) as client:
            folder_id = await folder(client)
            held = await acquire_lock(client, folder_id, ENV, holder="ci run 1", purpose="deploy", settle_secs=0)
            loser = await client.create_text_document(
                text="{}", name=f"agentform-lock.{ENV}", parent_folder_id=folder_id
            )
            racing = _LoserDeletesAfterTheList(client, loser["id"])
            assert [entry.holder for entry in await list_locks(racing, folder_id, ENV)] == ["ci run 1"]
            await held.release()

    asyncio.run(scenario())
