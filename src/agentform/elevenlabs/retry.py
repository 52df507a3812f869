"""When to retry a request and how long to wait first: pure functions over statuses, headers and attempts.

Retried: 429 (rate limited), 408 (request timeout) and every 5xx, plus transport errors (connection refused or
dropped, timeouts, protocol errors); see docs/decisions/0030-client-retries.md for why 409 is not retried and why
non-idempotent POSTs are. The wait honours the server's `retry-after-ms`, then `Retry-After` (seconds or an HTTP
date); otherwise it is exponential backoff with full jitter (a uniform draw between 0 and the capped exponential),
so that many clients that failed together do not come back together.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

RETRYABLE_STATUSES = frozenset({408, 429})

# Transport errors worth another attempt. UnsupportedProtocol, InvalidURL and LocalProtocolError are bugs or
# configuration errors on our side: retrying them cannot help.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries before giving up.

    `max_retries` counts attempts after the first; `max_total_wait` bounds the sum of all waits of one request and
    `deadline` its whole time (attempts, bodies and waits). A server that asks for a longer wait than what is left
    of either budget gets an immediate error instead.
    """

    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_wait: float = 120.0
    # Wall time one request may take, attempts and waits together: a slow or trickled answer is cut off at what
    # is left of it, so no server keeps a request alive past this (decision 0092).
    deadline: float = 120.0
    # Extra wait on top of a server-given Retry-After, as a fraction of it, drawn at random: requests that were
    # all told "retry after 1 s" should not all come back in the same millisecond.
    retry_after_jitter: float = 0.1


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def is_retryable_exception(error: Exception) -> bool:
    return isinstance(error, RETRYABLE_EXCEPTIONS)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, from `retry-after-ms` or `Retry-After`; None when it did not say.

    `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Unparseable values are ignored
    rather than trusted, and negative waits become 0.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    milliseconds = _number(lowered.get("retry-after-ms"))
    if milliseconds is not None:
        return max(0.0, milliseconds / 1000)
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Full-jitter exponential backoff before retry number `attempt` (1 for the first retry)."""
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    return rng.uniform(0.0, ceiling)


def retry_delay(attempt: int, retry_after: float | None, policy: RetryPolicy, rng: random.Random) -> float:
    """The wait before retry number `attempt`: the server's Retry-After (plus a little jitter) or backoff."""
    if retry_after is None:
        return backoff_delay(attempt, policy, rng)
    return retry_after + rng.uniform(0.0, retry_after * policy.retry_after_jitter)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number else None  # NaN is not a wait
