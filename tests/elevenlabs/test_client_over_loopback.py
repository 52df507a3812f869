"""The client over real HTTP against the emulator on a loopback port, including faults injected by its admin API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from agentform.elevenlabs import ApiError, ElevenLabsClient, NotFoundError, RetryPolicy
from agentform.emulator import DEV_API_KEY

# Short real waits: these tests cross a socket, so sleeping is real, but it need not be long.
FAST = RetryPolicy(max_retries=8, base_delay=0.005, max_delay=0.05, max_total_wait=5.0)


@pytest.fixture
def base_url(emulator: str) -> str:
    admin("POST", emulator, "/_emulator/reset")
    return emulator


def admin(method: str, base_url: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, base_url + path, json=body, headers={"xi-api-key": DEV_API_KEY})
    response.raise_for_status()
    return response.json()


def add_fault(base_url: str, **spec: Any) -> None:
    admin("POST", base_url, "/_emulator/faults", spec)


def client(base_url: str, *, key: str = DEV_API_KEY, **kwargs: Any) -> ElevenLabsClient:
    kwargs.setdefault("retry_policy", FAST)
    kwargs.setdefault("max_retries", FAST.max_retries)
    return ElevenLabsClient(base_url, key, **kwargs)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_an_agent_goes_through_create_read_list_update_and_delete(base_url: str) -> None:
    async def lifecycle() -> tuple[Any, ...]:
        async with client(base_url) as api:
            agent_id = await api.create_agent(
                {"name": "Clinic", "tags": ["af:clinic"], "conversation_config": {"agent": {"first_message": "Alo"}}}
            )
            await api.create_agent({"name": "Other", "tags": ["other"], "conversation_config": {}})
            tagged = await api.list_agents(tags=["af:clinic"])
            updated = await api.update_agent(agent_id, {"name": "Clinic v2"})
            fetched = await api.get_agent(agent_id)
            await api.delete_agent(agent_id)
            with pytest.raises(NotFoundError) as gone:
                await api.get_agent(agent_id)
            return agent_id, tagged, updated, fetched, gone.value

    agent_id, tagged, updated, fetched, gone = run(lifecycle())
    assert [agent["agent_id"] for agent in tagged] == [agent_id]
    assert updated["name"] == fetched["name"] == "Clinic v2"
    assert fetched["conversation_config"]["agent"]["first_message"] == "Alo"
    assert gone.resource == f"agent {agent_id}"


def test_lists_longer_than_a_page_are_read_whole(base_url: str) -> None:
    async def create_many() -> list[dict]:
        async with client(base_url) as api:
            await asyncio.gather(
                *(api.create_agent({"name": f"a{i}", "tags": ["bulk"], "conversation_config": {}}) for i in range(130))
            )
            return await api.list_agents(tags=["bulk"])

    agents = run(create_many())
    assert len(agents) == 130
    assert len({agent["agent_id"] for agent in agents}) == 130


def test_a_change_on_a_branch_reaches_main_only_through_a_merge(base_url: str) -> None:
    async def branch_and_merge() -> tuple[Any, ...]:
        async with client(base_url) as api:
            agent_id = await api.create_agent({"name": "Clinic", "conversation_config": {"agent": {"language": "ro"}}})
            main = await api.get_agent(agent_id)
            created = await api.create_branch(
                agent_id, parent_version_id=main["version_id"], name="pr-7", description="PR 7"
            )
            branch_id = created["created_branch_id"]
            await api.update_agent(
                agent_id, {"conversation_config": {"agent": {"language": "en"}}}, branch_id=branch_id
            )
            before = await api.get_agent(agent_id)
            preview = await api.merge_preview(agent_id, branch_id, main["main_branch_id"])
            await api.merge_branch(agent_id, branch_id, target_branch_id=main["main_branch_id"])
            after = await api.get_agent(agent_id)
            version = await api.get_version(agent_id, after["version_id"])
            branches = await api.list_branches(agent_id)
            return before, preview, after, version, branches, branch_id

    before, preview, after, version, branches, branch_id = run(branch_and_merge())
    assert before["conversation_config"]["agent"]["language"] == "ro"
    assert preview["conversation_config"]["agent"]["language"] == "en"
    assert after["conversation_config"]["agent"]["language"] == "en"
    assert version["id"] == after["version_id"]
    assert branch_id in {branch["id"] for branch in branches}


def test_a_bad_key_is_a_401_with_the_apis_message_and_without_the_key(base_url: str) -> None:
    wrong = "sk_wrong_key_123456"

    async def read() -> None:
        async with client(base_url, key=wrong) as api:
            await api.list_agents()

    with pytest.raises(ApiError) as caught:
        run(read())
    assert caught.value.status == 401
    assert "Invalid or missing API key" in str(caught.value)
    assert wrong not in str(caught.value)


@pytest.mark.sends_invalid_requests
def test_a_validation_error_names_the_missing_field(base_url: str) -> None:
    async def create() -> None:
        async with client(base_url) as api:
            await api.create_agent({"name": "No config"})

    with pytest.raises(ApiError) as caught:
        run(create())
    assert caught.value.status == 422
    assert "conversation_config" in caught.value.message


def test_a_429_with_retry_after_is_waited_out_and_the_request_succeeds(base_url: str) -> None:
    add_fault(base_url, kind="status", status=429, retry_after=0.2, method="GET", path="/v1/convai/agents", count=1)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async def read() -> list[dict]:
        async with client(base_url, sleep=sleep) as api:
            return await api.list_agents()

    assert run(read()) == []
    assert len(waits) == 1
    assert waits[0] >= 0.2


def test_a_dropped_connection_is_retried_on_a_fresh_one(base_url: str) -> None:
    add_fault(base_url, kind="drop", method="POST", path="/v1/convai/agents/create", count=1)

    async def create() -> tuple[str, int]:
        async with client(base_url) as api:
            agent_id = await api.create_agent({"name": "Dropped once", "conversation_config": {}})
            return agent_id, api.request_count

    agent_id, attempts = run(create())
    assert agent_id
    assert attempts == 2
    log = admin("GET", base_url, "/_emulator/requests?method=POST")["requests"]
    assert len(log) == 2


def test_with_one_request_in_five_failing_every_operation_still_completes(base_url: str) -> None:
    # 20% of requests fail: server errors, rate limits and connections dropped before any handler ran.
    add_fault(base_url, kind="status", status=503, rate=0.08, seed=1)
    add_fault(base_url, kind="status", status=429, retry_after=0, rate=0.06, seed=2)
    add_fault(base_url, kind="drop", rate=0.06, seed=3)

    async def busy() -> tuple[list[dict], int]:
        async with client(base_url, parallelism=4) as api:
            ids = await asyncio.gather(
                *(api.create_agent({"name": f"f{i}", "tags": ["f"], "conversation_config": {}}) for i in range(40))
            )
            await asyncio.gather(*(api.update_agent(agent_id, {"name": f"{agent_id}!"}) for agent_id in ids))
            return await api.list_agents(tags=["f"]), api.request_count

    agents, sent = run(busy())
    assert len(agents) == 40
    assert all(agent["name"].endswith("!") for agent in agents)
    faults = admin("GET", base_url, "/_emulator/faults")["faults"]
    fired = sum(fault["fired"] for fault in faults)
    assert fired > 0
    # Each failed attempt was retried: more attempts than operations, at most one per fired fault (one request can
    # trip two rules at once).
    assert 81 < sent <= 81 + fired


def test_faults_of_the_in_process_emulator_are_retried_like_network_ones() -> None:
    from agentform.emulator import create_app

    transport = httpx.ASGITransport(app=create_app())

    async def scenario() -> tuple[str, int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.local") as admin_http:
            for spec in (
                {"kind": "drop", "method": "POST", "path": "/v1/convai/agents/create", "nth": 1},
                {"kind": "status", "status": 503, "method": "POST", "path": "/v1/convai/agents/create", "nth": 2},
            ):
                response = await admin_http.post("/_emulator/faults", json=spec, headers={"xi-api-key": DEV_API_KEY})
                response.raise_for_status()
        async with client("http://emulator.local", transport=transport) as api:
            agent_id = await api.create_agent({"name": "Twice unlucky", "conversation_config": {}})
            return agent_id, api.request_count

    agent_id, attempts = run(scenario())
    assert agent_id
    assert attempts == 3
