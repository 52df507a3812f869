"""When the client retries and how long it waits: the pure functions behind the retry loop."""

from __future__ import annotations

import email.utils
import random

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentform.retrying import (
    RetryPolicy,
    backoff_delay,
    is_retryable_exception,
    is_retryable_status,
    parse_retry_after,
    retry_delay,
)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_rate_limits_timeouts_and_server_errors_are_retried(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 425])
def test_client_errors_and_conflicts_are_not_retried(status: int) -> None:
    assert not is_retryable_status(status)


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("slow"),
        httpx.PoolTimeout("busy"),
    ],
)
def test_connection_failures_and_timeouts_are_retried(error: Exception) -> None:
    assert is_retryable_exception(error)


@pytest.mark.parametrize("error", [httpx.UnsupportedProtocol("ftp"), httpx.LocalProtocolError("bad header")])
def test_mistakes_on_our_side_are_not_retried(error: Exception) -> None:
    assert not is_retryable_exception(error)


def test_retry_after_in_seconds_is_read() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7.0


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25


def test_retry_after_as_an_http_date_becomes_the_seconds_until_then() -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 12, usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=now) == pytest.approx(12.0)


def test_a_retry_after_date_in_the_past_means_no_wait() -> None:
    header = email.utils.formatdate(1_000_000_000, usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=1_800_000_000.0) == 0.0


@pytest.mark.parametrize("value", ["soon", "", "NaN", "Thu, 99 Foo 2024"])
def test_an_unreadable_retry_after_is_ignored(value: str) -> None:
    assert parse_retry_after({"retry-after": value}) is None


def test_no_retry_after_header_means_no_server_hint() -> None:
    assert parse_retry_after({"content-type": "application/json"}) is None


@given(attempt=st.integers(min_value=1, max_value=30), seed=st.integers())
def test_backoff_is_full_jitter_under_a_capped_exponential(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    delay = backoff_delay(attempt, policy, random.Random(seed))
    assert 0.0 <= delay <= min(8.0, 0.5 * 2 ** (attempt - 1))


def test_backoff_ceiling_doubles_per_attempt_until_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    # A generator that always draws the top of the range shows the ceiling itself.
    top = random.Random()
    top.uniform = lambda low, high: high  # type: ignore[method-assign]
    assert [backoff_delay(n, policy, top) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_spreads_clients_that_failed_together() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    delays = {round(backoff_delay(4, policy, random.Random(seed)), 6) for seed in range(50)}
    assert len(delays) > 40


@given(retry_after=st.floats(min_value=0, max_value=600), seed=st.integers())
def test_a_server_retry_after_is_waited_in_full_plus_at_most_ten_percent(retry_after: float, seed: int) -> None:
    delay = retry_delay(3, retry_after, RetryPolicy(), random.Random(seed))
    assert retry_after <= delay <= retry_after * 1.1 + 1e-9
