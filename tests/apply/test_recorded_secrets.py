"""Workspace secrets vouched for by the state record (docs/decisions/0112): a plan lists the workspace's secrets only
when the record cannot vouch for every secret the files want.

The record keeps each secret's id and name (the name carries a tag of the value); a live tool using the secret
proves it still exists, since the API refuses to delete a secret in use.
"""

from __future__ import annotations

import asyncio

from tests.apply.helpers import FAST_RETRIES, admin, converge, in_process_client, new_app, plan_for, request_log
from tests.reliability.test_workspace_secrets import desired_with

from agentform.plan import identity
from agentform.plan.live import LiveSecret
from agentform.plan.secrets import recorded_secrets, secret_users, verify_secrets
from agentform.state.model import PendingIntent, ResourceEntry, StateRecord

TOKEN = "Bearer canary-header-5c1e9a"
SECRET = "canary-header-5c1e9a"
SECRETS_PATH = "/v1/convai/secrets"


def secret_lists(log):
    return [entry for entry in log if entry["method"] == "GET" and entry["path"] == SECRETS_PATH]


async def plan_and_log(app, client, want):
    mark = (await request_log(app))[-1]["seq"]
    plan = await plan_for(client, want, prune=True)
    return plan, await request_log(app, since=mark)


def test_after_an_apply_a_plan_trusts_the_record_and_sends_no_secrets_list():
    async def scenario():
        app = new_app()
        want = desired_with(TOKEN, SECRET)
        async with in_process_client(app) as client:
            await converge(client, want, prune=True)
            plan, log = await plan_and_log(app, client, want)
            assert not plan.has_changes
            assert secret_lists(log) == []
            [secret] = await client.list_secrets()
            assert [(c.action, c.live_id) for c in plan.changes if c.kind == "secret"] == [
                ("no-op", secret["secret_id"])
            ]

    asyncio.run(scenario())


def test_a_rotated_value_is_planned_from_the_list_and_trusted_again_once_applied():
    async def scenario():
        app = new_app()
        async with in_process_client(app) as client:
            await converge(client, desired_with(TOKEN, SECRET), prune=True)
            rotated = desired_with("Bearer canary-header-rotated-77d2", "canary-header-rotated-77d2")
            plan, log = await plan_and_log(app, client, rotated)
            assert {c.address: c.action for c in plan.changes if c.is_change} == {"secret.book.Authorization": "update"}
            assert len(secret_lists(log)) == 1, "the record's tag differs from the files' value: the list decides"
            await converge(client, rotated, prune=True)
            plan, log = await plan_and_log(app, client, rotated)
            assert not plan.has_changes and secret_lists(log) == []

    asyncio.run(scenario())


def test_a_twin_left_by_a_retried_create_is_listed_and_pruned_not_hidden_by_the_record():
    async def scenario():
        app = new_app()
        async with admin(app) as http:
            # The first secret create happens but its answer is lost: the client retries and makes a twin.
            fault = {"kind": "status", "status": 503, "method": "POST", "path": SECRETS_PATH, "nth": 1, "when": "after"}
            (await http.post("/_emulator/faults", json=fault)).raise_for_status()
        want = desired_with(TOKEN, SECRET)
        async with in_process_client(app, retry_policy=FAST_RETRIES) as client:
            await converge(client, want, prune=True)
            assert len(await client.list_secrets()) == 2
            plan, log = await plan_and_log(app, client, want)
            assert len(secret_lists(log)) == 1, "a secret made while the client retried a create is not trusted"
            assert [c.reason for c in plan.changes if c.kind == "secret" and c.action == "delete"] == [
                "a second workspace secret for the same header"
            ]
            await converge(client, want, prune=True)
            assert len(await client.list_secrets()) == 1
            plan, log = await plan_and_log(app, client, want)
            assert not plan.has_changes and secret_lists(log) == [], "the twin is gone: the record vouches again"

    asyncio.run(scenario())


def _record(*entries: ResourceEntry, pending: list[PendingIntent] | None = None) -> StateRecord:
    record = StateRecord.empty("clinic", "local")
    record.secrets = {entry.id: entry for entry in entries}
    record.pending = pending or []
    return record


def _tools_using(*secret_ids: str) -> list[dict]:
    return [
        {"id": f"tool_{n}", "tool_config": {"api_schema": {"request_headers": {"Authorization": {"secret_id": s}}}}}
        for n, s in enumerate(secret_ids)
    ]


def _trusted_entry() -> ResourceEntry:
    name = identity.secret_name("clinic", "local", "book.Authorization", TOKEN)
    return ResourceEntry(id="sec_1", key="book.Authorization", hash=name)


def test_the_record_vouches_only_for_a_complete_trusted_set_that_live_tools_use():
    want = desired_with(TOKEN, SECRET)
    entry = _trusted_entry()
    [live] = recorded_secrets(want, _record(entry), _tools_using("sec_1"))
    assert (live.id, live.key, live.name, live.tool_ids) == ("sec_1", "book.Authorization", entry.hash, ["tool_0"])

    unverified = entry.model_copy(update={"verified": False})
    rotated = entry.model_copy(update={"hash": entry.hash.replace("[", "[0")})
    extra = ResourceEntry(id="sec_2", key="gone.Authorization", hash="agentform.clinic.local.gone.Authorization [x]")
    intent = PendingIntent(kind="tool", key="book", hash="h", started_at=0)
    refused = {
        "no tool uses it": recorded_secrets(want, _record(entry), _tools_using("sec_other")),
        "not trusted": recorded_secrets(want, _record(unverified), _tools_using("sec_1")),
        "another value's tag": recorded_secrets(want, _record(rotated), _tools_using("sec_1")),
        "a secret no file wants": recorded_secrets(want, _record(entry, extra), _tools_using("sec_1", "sec_2")),
        "a create pending": recorded_secrets(want, _record(entry, pending=[intent]), _tools_using("sec_1")),
        "not recorded": recorded_secrets(want, _record(), _tools_using("sec_1")),
    }
    assert refused == dict.fromkeys(refused)


def test_secret_users_finds_secret_ids_anywhere_in_a_tool_config():
    tools = [*_tools_using("sec_1", "sec_1"), {"id": "plain", "tool_config": {"name": "x", "secret_id": 7}}]
    assert secret_users(tools) == {"sec_1": {"tool_0", "tool_1"}}


def test_listed_secrets_refresh_the_record_and_a_twin_or_a_stranger_keeps_it_untrusted():
    mine = LiveSecret(id="sec_1", key="book.Authorization", name="agentform.clinic.local.book.Authorization [a]")
    twin = mine.model_copy(update={"id": "sec_9"})
    record = _record(ResourceEntry(id="sec_1", key="book.Authorization", hash="", verified=False))
    verify_secrets(record, [mine])
    assert (record.secrets["sec_1"].hash, record.secrets["sec_1"].verified) == (mine.name, True)
    verify_secrets(record, [mine, twin])
    assert record.secrets["sec_1"].verified is False
