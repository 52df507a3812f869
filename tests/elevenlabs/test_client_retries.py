"""Transient failures are retried with backoff, honouring Retry-After, within a bounded budget; others are not."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from tests.elevenlabs.client_fakes import API_KEY, answer, scripted

from agentform.elevenlabs import ApiError, NotFoundError, RetryPolicy, TransportFailure
from agentform.redact import MASK, Redactor

AGENTS_PAGE = {"agents": [{"agent_id": "a"}], "has_more": False, "next_cursor": None}


def test_a_429_is_retried_after_the_seconds_in_retry_after(make_client) -> None:
    client, recorder = make_client(scripted(answer({"detail": "slow down"}, 429, **{"retry-after": "3"}), answer({})))
    assert asyncio.run(client.get_agent("agent_1")) == {}
    assert len(recorder.requests) == 2
    assert len(recorder.sleeps) == 1
    assert 3.0 <= recorder.sleeps[0] <= 3.3


def test_retry_after_ms_is_honoured_to_the_millisecond(make_client) -> None:
    client, recorder = make_client(scripted(answer(None, 429, **{"retry-after-ms": "1500"}), answer({})))
    asyncio.run(client.get_tool("t"))
    assert 1.5 <= recorder.sleeps[0] <= 1.65


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_timeouts_and_server_errors_are_retried_with_backoff(make_client, status: int) -> None:
    client, recorder = make_client(scripted(answer(None, status), answer(None, status), answer(AGENTS_PAGE)))
    assert asyncio.run(client.list_agents()) == [{"agent_id": "a"}]
    assert len(recorder.requests) == 3
    policy = RetryPolicy()
    assert 0 <= recorder.sleeps[0] <= policy.base_delay
    assert 0 <= recorder.sleeps[1] <= policy.base_delay * 2


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("Connection refused"),
        httpx.ReadError("Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
    ],
)
def test_dropped_and_refused_connections_are_retried(make_client, error: Exception) -> None:
    client, recorder = make_client(scripted(error, answer({"agent_id": "a"})))
    assert asyncio.run(client.get_agent("a")) == {"agent_id": "a"}
    assert len(recorder.requests) == 2


def test_a_create_whose_connection_dropped_is_sent_again(make_client) -> None:
    # The first POST may have executed; see docs/decisions/0030: creates are re-discoverable by their markers.
    client, recorder = make_client(scripted(httpx.RemoteProtocolError("disconnected"), answer({"agent_id": "new"})))
    assert asyncio.run(client.create_agent({"name": "n", "conversation_config": {}})) == "new"
    assert [r.method for r in recorder.requests] == ["POST", "POST"]
    assert recorder.requests[0].content == recorder.requests[1].content


def test_a_multipart_upload_is_rebuilt_for_each_attempt(make_client) -> None:
    client, recorder = make_client(scripted(answer(None, 503), answer({"id": "d", "name": "n"})))
    asyncio.run(client.create_file_document(filename="a.pdf", data=b"%PDF-data", name="n"))
    assert all(b"%PDF-data" in request.content for request in recorder.requests)
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
def test_client_errors_fail_at_once(make_client, status: int) -> None:
    client, recorder = make_client(scripted(answer({"detail": "no"}, status)))
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.update_agent("agent_1", {"name": "x"}))
    assert caught.value.status == status
    assert len(recorder.requests) == 1
    assert recorder.sleeps == []


def test_a_missing_resource_raises_not_found_naming_it(make_client) -> None:
    client, _ = make_client(scripted(answer({"detail": "Document not found"}, 404)))
    with pytest.raises(NotFoundError) as caught:
        asyncio.run(client.get_document("doc_9"))
    assert str(caught.value) == (
        "document doc_9: GET /v1/convai/knowledge-base/doc_9 failed with HTTP 404: Document not found"
    )


def test_after_max_retries_the_last_answer_is_raised_with_the_attempt_count(make_client) -> None:
    client, recorder = make_client(scripted(answer({"detail": "overloaded"}, 503)), max_retries=3)
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.list_tools())
    assert caught.value.status == 503
    assert caught.value.attempts == 4
    assert "overloaded" in str(caught.value)
    assert len(recorder.requests) == 4
    assert len(recorder.sleeps) == 3


def test_connection_failures_that_never_end_raise_transport_failure(make_client) -> None:
    client, _ = make_client(scripted(httpx.ConnectError("[Errno 111] Connection refused")), max_retries=2)
    with pytest.raises(TransportFailure) as caught:
        asyncio.run(client.get_agent("agent_1"))
    assert caught.value.attempts == 3
    assert str(caught.value) == (
        "agent agent_1: GET /v1/convai/agents/agent_1 got no answer after 3 attempts: "
        "ConnectError: [Errno 111] Connection refused"
    )


def test_max_retries_zero_means_a_single_attempt(make_client) -> None:
    client, recorder = make_client(scripted(answer(None, 500)), max_retries=0)
    with pytest.raises(ApiError):
        asyncio.run(client.get_agent("a"))
    assert len(recorder.requests) == 1


def test_the_total_wait_of_one_request_is_bounded(make_client) -> None:
    policy = RetryPolicy(max_retries=50, base_delay=1.0, max_delay=4.0, max_total_wait=10.0)
    client, recorder = make_client(scripted(answer(None, 502)), retry_policy=policy, max_retries=50)
    with pytest.raises(ApiError):
        asyncio.run(client.get_agent("a"))
    assert sum(recorder.sleeps) <= 10.0
    assert len(recorder.requests) < 51


def test_a_retry_after_longer_than_the_budget_fails_now_instead_of_hanging(make_client) -> None:
    policy = RetryPolicy(max_total_wait=30.0)
    client, recorder = make_client(
        scripted(answer({"detail": "quota"}, 429, **{"retry-after": "3600"})), retry_policy=policy
    )
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.get_agent("a"))
    assert caught.value.status == 429
    assert recorder.sleeps == []


def test_every_attempt_is_counted_as_a_request(make_client) -> None:
    client, _ = make_client(scripted(answer(None, 503), answer(None, 503), answer({})))
    asyncio.run(client.get_agent("a"))
    assert client.request_count == 3


def test_concurrency_never_exceeds_parallelism() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return httpx.Response(200, json={"agent_id": "a"})

    from agentform.elevenlabs import ElevenLabsClient

    async def run() -> None:
        async with ElevenLabsClient(
            "https://x.test", API_KEY, transport=httpx.MockTransport(handler), parallelism=3
        ) as c:
            await asyncio.gather(*(c.get_agent(f"agent_{i}") for i in range(20)))

    asyncio.run(run())
    assert peak == 3


def test_the_api_key_never_appears_in_errors_or_logs(make_client, caplog: pytest.LogCaptureFixture) -> None:
    # A hostile or buggy server echoes the key back in its error body and in a transport error.
    echo = answer({"detail": f"key {API_KEY} is not allowed"}, 401)
    client, _ = make_client(scripted(echo))
    caplog.set_level(logging.DEBUG, logger="agentform.elevenlabs")
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.get_agent("a"))
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value.body)
    assert MASK in str(caught.value)

    client, _ = make_client(scripted(httpx.ConnectError(f"refused with {API_KEY}")), max_retries=2)
    with pytest.raises(TransportFailure) as failure:
        asyncio.run(client.get_agent("a"))
    assert API_KEY not in str(failure.value)
    assert caplog.records, "retries should be logged"
    assert all(API_KEY not in record.getMessage() for record in caplog.records)


def test_the_client_adds_its_key_to_the_shared_redactor(make_client) -> None:
    shared = Redactor()
    make_client(scripted(answer({})), redactor=shared)
    assert shared.text(f"Authorization was {API_KEY}") == f"Authorization was {MASK}"


def test_other_secrets_known_to_the_redactor_are_masked_in_api_errors(make_client) -> None:
    shared = Redactor(["webhook-secret-token"])
    client, _ = make_client(
        scripted(answer({"detail": "header Authorization: Bearer webhook-secret-token rejected"}, 422)),
        redactor=shared,
    )
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.update_tool("t", {"type": "webhook"}))
    assert "webhook-secret-token" not in str(caught.value)


def test_a_policy_alone_sets_the_number_of_retries(make_client) -> None:
    client, recorder = make_client(scripted(answer(None, 503)), retry_policy=RetryPolicy(max_retries=2))
    with pytest.raises(ApiError):
        asyncio.run(client.get_agent("a"))
    assert len(recorder.requests) == 3


def test_max_retries_overrides_the_policys_count(make_client) -> None:
    client, recorder = make_client(scripted(answer(None, 503)), retry_policy=RetryPolicy(max_retries=2), max_retries=4)
    with pytest.raises(ApiError):
        asyncio.run(client.get_agent("a"))
    assert len(recorder.requests) == 5
