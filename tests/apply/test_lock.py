"""The environment lock kept in the workspace: one holder at a time with no wait for the clock, expiry, release,
force-unlock, and never more than one lock document per contender (docs/decisions/0051, 0110)."""

from __future__ import annotations

import asyncio

import pytest
from tests.apply.helpers import FAST_RETRIES, admin, desired, in_process_client, new_app

from agentform.elevenlabs import RetryPolicy, TransportFailure
from agentform.emulator import create_app
from agentform.state.lock import (
    LOCK_PREFIX,
    LockContended,
    LockHeld,
    acquire_lock,
    environment_lock,
    force_unlock,
    list_locks,
)

PROJECT, ENV = "clinic", "prod"


async def lock_documents(client) -> list[dict]:
    return await client.list_documents(types=["text"], search=LOCK_PREFIX)


def test_a_second_holder_is_refused_naming_the_first_until_the_first_releases():
    async def scenario():
        async with in_process_client(new_app()) as client:
            lock = await acquire_lock(client, PROJECT, ENV, holder="ci run 1", purpose="deploy")
            with pytest.raises(LockHeld, match="ci run 1") as refused:
                await acquire_lock(client, PROJECT, ENV, holder="alice@laptop", purpose="apply")
            assert refused.value.info.purpose == "deploy"
            assert [entry.holder for entry in await list_locks(client, PROJECT, ENV)] == ["ci run 1"]
            await lock.release()
            async with await acquire_lock(client, PROJECT, ENV, holder="alice@laptop", purpose="apply"):
                assert [entry.holder for entry in await list_locks(client, PROJECT, ENV)] == ["alice@laptop"]
            assert await list_locks(client, PROJECT, ENV) == []

    asyncio.run(scenario())


def test_taking_the_lock_costs_two_requests_and_releasing_it_one():
    async def scenario():
        async with in_process_client(new_app()) as client:
            before = client.request_count
            lock = await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply")
            taken = client.request_count - before
            await lock.release()
            return taken, client.request_count - before - taken

    assert asyncio.run(scenario()) == (2, 1)


def test_a_contender_that_created_its_document_in_the_holders_second_yields():
    # The emulator's clock stands still: both documents carry one creation second. The second contender cannot
    # know whether the first listed before its document existed (and took the lock), so it must not take it.
    async def scenario():
        async with in_process_client(create_app(":memory:", clock=lambda: 1_700_000_000.0)) as client:
            held = await acquire_lock(client, PROJECT, ENV, holder="first", purpose="apply", clock=lambda: 1e9)
            with pytest.raises(LockContended, match="first"):
                await acquire_lock(client, PROJECT, ENV, holder="second", purpose="apply", clock=lambda: 1e9)
            assert [entry.holder for entry in await list_locks(client, PROJECT, ENV)] == ["first"]
            await held.release()

    asyncio.run(scenario())


def test_of_contenders_racing_for_the_lock_at_most_one_holds_it_at_a_time():
    async def scenario():
        async with in_process_client(new_app()) as client:
            holding: list[str] = []
            overlaps: list[list[str]] = []

            async def contender(name: str) -> str:
                try:
                    lock = await acquire_lock(client, PROJECT, ENV, holder=name, purpose="apply")
                except LockHeld:
                    return "refused"
                holding.append(name)
                if len(holding) > 1:
                    overlaps.append(list(holding))
                await asyncio.sleep(0.01)
                holding.remove(name)
                await lock.release()
                return "held"

            outcomes = await asyncio.gather(*(contender(f"job {i}") for i in range(6)))
            return outcomes, overlaps, await lock_documents(client)

    outcomes, overlaps, left = asyncio.run(scenario())
    assert overlaps == []
    assert set(outcomes) <= {"held", "refused"}
    assert left == []


def test_an_expired_lock_of_a_crashed_holder_does_not_block_and_is_tidied_up():
    async def scenario():
        now = [1_000.0]
        async with in_process_client(new_app()) as client:
            await acquire_lock(
                client, PROJECT, ENV, holder="crashed", purpose="apply", ttl_secs=60, clock=lambda: now[0]
            )
            now[0] += 61
            lock = await acquire_lock(client, PROJECT, ENV, holder="next", purpose="apply", clock=lambda: now[0])
            assert [entry.holder for entry in await list_locks(client, PROJECT, ENV)] == ["next"]
            await lock.release()

    asyncio.run(scenario())


def test_force_unlock_removes_every_lock_of_the_environment_only():
    async def scenario():
        async with in_process_client(new_app()) as client:
            await acquire_lock(client, PROJECT, ENV, holder="stuck", purpose="deploy")
            await acquire_lock(client, PROJECT, "staging", holder="other env", purpose="deploy")
            await acquire_lock(client, "other-project", ENV, holder="other project", purpose="deploy")
            removed = await force_unlock(client, PROJECT, ENV)
            assert [entry.holder for entry in removed] == ["stuck"]
            assert await list_locks(client, PROJECT, ENV) == []
            assert [entry.holder for entry in await list_locks(client, PROJECT, "staging")] == ["other env"]
            assert [entry.holder for entry in await list_locks(client, "other-project", ENV)] == ["other project"]

    asyncio.run(scenario())


def lost_lock_answers(count: int) -> dict:
    """A fault: the next `count` lock creates are carried out, but their answers never arrive."""
    return {"kind": "drop", "method": "POST", "path": "/v1/convai/knowledge-base/text", "count": count, "when": "after"}


async def with_fault(app, fault: dict) -> None:
    async with admin(app) as emulator:
        (await emulator.post("/_emulator/faults", json=fault)).raise_for_status()


def test_a_lock_create_whose_answers_were_all_lost_leaves_no_lock_document():
    async def scenario():
        app = new_app()
        retries = RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.01, max_total_wait=5.0, retry_after_jitter=0)
        async with in_process_client(app, retry_policy=retries) as client:
            await with_fault(app, lost_lock_answers(3))
            with pytest.raises(TransportFailure):
                await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply")
            left = await lock_documents(client)
            # The next run is not blocked by the ghosts of the failed one.
            async with await acquire_lock(client, PROJECT, ENV, holder="next", purpose="apply"):
                pass
            return left

    assert asyncio.run(scenario()) == []


def test_a_retried_lock_create_that_made_twins_leaves_one_lock_document():
    async def scenario():
        app = new_app()
        async with in_process_client(app, retry_policy=FAST_RETRIES) as client:
            await with_fault(app, lost_lock_answers(2))
            lock = await acquire_lock(client, PROJECT, ENV, holder="ci", purpose="apply")
            held = await lock_documents(client)
            await lock.release()
            return held, await lock_documents(client)

    held, after = asyncio.run(scenario())
    assert len(held) == 1 and after == []


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
            held = await acquire_lock(client, PROJECT, ENV, holder="ci run 1", purpose="deploy")
            loser = await acquire_lock(client, PROJECT, "other", holder="loser", purpose="apply")
            racing = _LoserDeletesAfterTheList(client, loser.info.document_id)
            assert [entry.holder for entry in await list_locks(racing, PROJECT, "other")] == []
            await held.release()

    asyncio.run(scenario())


def test_of_two_runs_tied_in_one_second_one_gets_the_lock_and_the_other_is_refused_naming_it():
    desired_state = desired()

    async def scenario():
        async with in_process_client(create_app(":memory:", clock=lambda: 1_700_000_000.0)) as client:

            async def run(name: str) -> str:
                try:
                    async with environment_lock(client, desired_state, holder=name, purpose="apply", ttl_secs=60):
                        await asyncio.sleep(1.0)  # holds it while the other one retries
                        return "held"
                except LockHeld as refused:
                    return f"refused by {refused.info.holder}"

            outcomes = await asyncio.gather(run("job 1"), run("job 2"))
            return sorted(outcomes), await lock_documents(client)

    outcomes, left = asyncio.run(scenario())
    assert outcomes[0] == "held" and outcomes[1] in ("refused by job 1", "refused by job 2")
    assert left == []
