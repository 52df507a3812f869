"""The lock document itself: how it is read when damaged, when it expires, what a refusal says, where it counts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tests.apply.helpers import in_process_client, last_seq, new_app, request_log
from tests.apply.test_faults import inject
from tests.apply.test_gc_collect import on_new_emulator

from agentform.elevenlabs import ApiError
from agentform.plan.lock import LockHeld, delete_quietly, lock_document_name, parse_lock
from agentform.plan.state import acquire_lock, ensure_folder, force_unlock, list_locks

ENV = "prod"
DOCUMENT = {"id": "doc_1", "created_at_unix_secs": 1_000}


async def held_lock(client: Any) -> tuple[str, Any]:
    """(the environment's folder, a lock taken in it)."""
    folder_id = await ensure_folder(client, "agentform.clinic.prod")
    return folder_id, await acquire_lock(client, folder_id, ENV, holder="ci run 1", purpose="deploy", settle_secs=0)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "null"])
def test_an_unreadable_lock_names_no_one_and_has_already_expired(text):
    lock = parse_lock(DOCUMENT, text, ENV)
    assert (lock.document_id, lock.environment, lock.created_at) == ("doc_1", ENV, 1_000)
    assert (lock.holder, lock.purpose, lock.token) == ("unknown", "unknown", "")
    assert (lock.acquired_at, lock.expires_at) == (0.0, 0.0)
    assert lock.expired(0.0)


def test_a_lock_is_read_field_by_field_and_expires_at_its_expiry_second():
    body = {"holder": "ci run 7", "purpose": "deploy", "acquired_at": 100.0, "expires_at": 160.0, "token": "t-1"}
    lock = parse_lock(DOCUMENT, json.dumps(body), ENV)
    assert (lock.holder, lock.purpose, lock.acquired_at, lock.expires_at, lock.token) == (
        "ci run 7",
        "deploy",
        100.0,
        160.0,
        "t-1",
    )
    assert not lock.expired(159.9)
    assert lock.expired(160.0)


def test_a_refusal_names_the_holder_the_purpose_and_both_times_in_utc():
    body = {"holder": "ci run 7", "purpose": "deploy", "acquired_at": 1_000.0, "expires_at": 1_060.0}
    message = str(LockHeld(parse_lock(DOCUMENT, json.dumps(body), ENV)))
    assert message.startswith("environment 'prod' is locked by ci run 7 (deploy) since 1970-01-01T00:16:40Z,")
    assert "until 1970-01-01T00:17:40Z;" in message


def test_a_lock_counts_only_in_its_own_folder_and_force_unlock_removes_only_that_one():
    async def scenario():
        async with in_process_client(new_app()) as client:
            other = await ensure_folder(client, "x.other")
            await client.create_text_document(text="{}", name=lock_document_name(ENV), parent_folder_id=other)
            prod, held = await held_lock(client)
            assert [lock.document_id for lock in await force_unlock(client, prod, ENV)] == [held.info.document_id]
            assert await list_locks(client, prod, ENV) == []
            assert len(await list_locks(client, other, ENV)) == 1

    asyncio.run(scenario())


def test_releasing_twice_deletes_the_lock_document_once():
    async def scenario(app, client):
        _, lock = await held_lock(client)
        mark = await last_seq(app)
        await lock.release()
        await lock.release()
        deletes = [entry["path"] for entry in await request_log(app, mark) if entry["method"] == "DELETE"]
        assert deletes == [f"/v1/convai/knowledge-base/{lock.info.document_id}"]

    on_new_emulator(scenario)


def test_deleting_a_lock_quietly_ignores_one_already_gone_but_not_a_refusal():
    async def scenario(app, client):
        folder_id, lock = await held_lock(client)
        path = f"/v1/convai/knowledge-base/{lock.info.document_id}"
        await inject(app, [{"kind": "status", "status": 403, "method": "DELETE", "path": path, "count": 1}])
        with pytest.raises(ApiError):
            await delete_quietly(client, lock.info.document_id)
        await delete_quietly(client, lock.info.document_id)
        await delete_quietly(client, lock.info.document_id)
        assert await list_locks(client, folder_id, ENV) == []

    on_new_emulator(scenario)
