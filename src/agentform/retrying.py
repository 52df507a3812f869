"""One logical HTTP request as attempts: the retrying sender shared by the ElevenLabs and the GitHub clients.

`RetryingSender` sends over an `httpx.AsyncClient` (so over whatever transport its owner was given) and retries
what its `RetryRules` call worth another attempt, waiting between attempts per a `RetryPolicy`; the two clients
differ only in those rules and in how they turn the final answer into their own errors (docs/decisions/0130).

The ElevenLabs rules: 429 (rate limited), 408 (request timeout) and every 5xx, plus transport errors (connection
refused or dropped, timeouts, protocol errors); see docs/decisions/0030-client-retries.md for why 409 is not
retried and why non-idempotent POSTs are. The wait honours the server's `retry-after-ms`, then `Retry-After`
(seconds or an HTTP date); otherwise it is exponential backoff with full jitter (a uniform draw between 0 and the
capped exponential), so that many clients that failed together do not come back together.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

import httpx

from agentform.redact import Redactor

Sleep = Callable[[float], Awaitable[None]]

RETRYABLE_STATUSES = frozenset({408, 429})
# No answer of either API comes near this (a KB document's content is capped far lower); a bigger one is refused
# while it arrives rather than held in memory.
MAX_BODY_BYTES = 64 * 1024 * 1024


class BodyTooLarge(httpx.RequestError):
    """An answer whose body passed `MAX_BODY_BYTES` while it arrived (not retried: it would only come again)."""


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
    # Extra wait on top of a server-given Retry-After, as a fraction of it, drawn at random: requests that were
    # all told "retry after 1 s" should not all come back in the same millisecond.
    retry_after_jitter: float = 0.1
    # Wall time one request may take, attempts and waits together: a slow or trickled answer is cut off at what
    # is left of it, so no server keeps a request alive past this (decision 0092).
    deadline: float = 120.0


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


def describe_exception(error: BaseException | None, redactor: Redactor) -> str:
    """A transport error as one line for a message (`ConnectError: refused`), with every secret masked."""
    text = str(error) or type(error).__name__
    return redactor.text(f"{type(error).__name__}: {text}" if str(error) else text)


@dataclass(frozen=True)
class RetryRules:
    """What one API counts as worth another attempt: an answer (with the server's wait, if it gave one) or an
    exception, each judged with the request's method."""

    retry_status: Callable[[str, httpx.Response, float | None], bool]
    retry_exception: Callable[[str, httpx.HTTPError], bool]


def _elevenlabs_status(method: str, response: httpx.Response, retry_after: float | None) -> bool:
    return is_retryable_status(response.status_code)


def _elevenlabs_exception(method: str, error: httpx.HTTPError) -> bool:
    return is_retryable_exception(error)


ELEVENLABS_RULES = RetryRules(retry_status=_elevenlabs_status, retry_exception=_elevenlabs_exception)


class Sent(NamedTuple):
    """How a logical request ended: a response (a success, or the error answer no retry could fix), or the
    transport error of the last attempt; `attempts` counts them all."""

    response: httpx.Response | None
    error: httpx.HTTPError | None
    attempts: int


class RetryingSender:
    """Sends one logical request as up to `policy.max_retries + 1` attempts over `http`.

    `limit`, when given, is held only while an attempt is in flight, not during its backoff, so one throttled
    request does not idle a worker slot. `request_count` counts attempts (load on the API), `request_counts` splits
    them by method. Sleeping and randomness are injected so that tests check waits without waiting.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: RetryPolicy,
        rules: RetryRules,
        *,
        redactor: Redactor,
        logger: logging.Logger,
        limit: asyncio.Semaphore | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        attempt_timeout: float | None = None,
    ) -> None:
        self.http = http
        # Each attempt, its whole body included, ends within this (httpx's own timeout is per read).
        self.attempt_timeout = attempt_timeout
        self.policy = policy
        self.rules = rules
        self.request_counts: Counter[str] = Counter()
        # Attempts after the first, by method.
        self.retry_counts: Counter[str] = Counter()
        self._redactor = redactor
        self._logger = logger
        self._limit = limit
        self._sleep: Sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()

    @property
    def request_count(self) -> int:
        return sum(self.request_counts.values())

    async def send(self, method: str, url: str, **request: Any) -> Sent:
        """Attempts until a success, an answer or error the rules do not retry, or the policy's budget is spent;
        `request` holds `httpx.AsyncClient.build_request`'s keywords (params, json, files, data)."""
        waited = 0.0
        # Time spent on this request: attempts (from the moment one has a worker slot) and waits, never queueing.
        spent = 0.0
        attempt = 0
        while True:
            attempt += 1
            limit = self.policy.deadline - spent
            if self.attempt_timeout is not None:
                limit = min(limit, self.attempt_timeout)
            response, error, elapsed = await self._attempt(method, url, request, limit)
            spent += elapsed
            if response is not None:
                if response.is_success:
                    return Sent(response, None, attempt)
                retry_after = parse_retry_after(response.headers)
                if not self.rules.retry_status(method, response, retry_after):
                    return Sent(response, None, attempt)
                reason = f"HTTP {response.status_code}"
            else:
                assert error is not None
                if not self.rules.retry_exception(method, error):
                    return Sent(None, error, attempt)
                retry_after = None
                reason = describe_exception(error, self._redactor)
            delay = retry_delay(attempt, retry_after, self.policy, self._rng)
            out_of_time = waited + delay > self.policy.max_total_wait or spent + delay >= self.policy.deadline
            if attempt > self.policy.max_retries or out_of_time:
                return Sent(response, error, attempt)
            self._logger.info(
                "%s %s: %s, retry %d/%d in %.2f s", method, url, reason, attempt, self.policy.max_retries, delay
            )
            waited += delay
            spent += delay
            self.retry_counts[method] += 1
            await self._sleep(delay)

    async def _attempt(
        self, method: str, url: str, request: dict[str, Any], limit: float
    ) -> tuple[httpx.Response | None, httpx.HTTPError | None, float]:
        """One attempt, its whole body read within `limit` seconds however slowly it arrives; and its duration.

        httpx's timeout is per read: a server that trickles one byte before each read timeout would hold the
        request for ever. Past the limit the attempt is a (retryable) timeout.
        """
        # Built afresh for every attempt: a multipart body is a stream that one attempt consumes.
        built = self.http.build_request(method, url, **request)
        if self._limit is not None:
            await self._limit.acquire()
        started = time.monotonic()
        try:
            self.request_counts[method] += 1
            async with asyncio.timeout(max(limit, 0.0)):
                response = await self._read(built)
        except TimeoutError:
            timeout = httpx.ReadTimeout(f"no complete answer within {limit:.1f} s", request=built)
            return None, timeout, time.monotonic() - started
        except httpx.HTTPError as error:
            return None, error, time.monotonic() - started
        finally:
            if self._limit is not None:
                self._limit.release()
        elapsed = time.monotonic() - started
        self._logger.debug("%s %s -> %s (%.0f ms)", method, url, response.status_code, elapsed * 1000)
        return response, None, elapsed

    async def _read(self, request: httpx.Request) -> httpx.Response:
        response = await self.http.send(request, stream=True)
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise BodyTooLarge(f"an answer of more than {MAX_BODY_BYTES} bytes", request=request)
        finally:
            await response.aclose()
        # What `aread()` stores: the decoded body, so `.content` and `.text` work after the stream closed.
        response._content = bytes(body)
        return response


class SendingClient:
    """What the ElevenLabs and the GitHub clients share around their endpoints: the `httpx.AsyncClient` they own and
    the `RetryingSender` over it, closed with the client, which is an async context manager."""

    _http: httpx.AsyncClient
    _sender: RetryingSender

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def request_count(self) -> int:
        """Every HTTP attempt sent, retries included: the load on the API."""
        return self._sender.request_count
