"""ElevenLabs client benchmark: per-request overhead, what parallelism buys, and the cost of 20% failures.

    .venv/bin/python bench/bench_client.py
    .venv/bin/python bench/bench_client.py --requests 4000 --latency-ms 20 --fault-rate 0.2

Every figure comes with a baseline measured in the same run, reported as a ratio:

- overhead: N GETs through `ElevenLabsClient` against an instant in-process handler (`httpx.MockTransport`),
  next to the same N GETs through a bare `httpx.AsyncClient` (the floor: no semaphore, retries, error handling);
- parallelism: M GETs against a handler that takes `latency` per request, with parallelism 8 next to
  parallelism 1 (ideal speed-up 8);
- faults: the same M GETs with `fault-rate` of attempts failing (503, 429 with Retry-After 0, dropped
  connections) next to the fault-free run: every request must still succeed; extra attempts and time are shown.

- loopback PATCH: sequential PATCHes to the emulator served on 127.0.0.1, through the client's own network
  transport (TCP_NODELAY) next to httpx's default transport (Nagle on): without TCP_NODELAY a request with a body
  waits for the server's delayed ACK, about 40 ms each.

The first three are in-process on purpose: they measure the client, not a server or the loopback stack.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.support.emulator_server import running_emulator  # noqa: E402

from agentform.elevenlabs import ElevenLabsClient, RetryPolicy  # noqa: E402
from agentform.emulator import DEV_API_KEY  # noqa: E402

BASE_URL = "https://api.bench.test"
KEY = "sk_bench_key_0000"
BODY = {"agent_id": "agent_1", "name": "Clinic", "conversation_config": {"agent": {"first_message": "Alo"}}}


def instant(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=BODY)


def slow(latency: float) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    async def handle(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(latency)
        return httpx.Response(200, json=BODY)

    return handle


def flaky(latency: float, rate: float, seed: int) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    rng = random.Random(seed)

    async def handle(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(latency)
        draw = rng.random()
        if draw < rate / 3:
            return httpx.Response(503, json={"detail": "overloaded"})
        if draw < 2 * rate / 3:
            return httpx.Response(429, json={"detail": "slow down"}, headers={"retry-after": "0"})
        if draw < rate:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json=BODY)

    return handle


async def bare_gets(count: int) -> float:
    async with httpx.AsyncClient(base_url=BASE_URL, transport=httpx.MockTransport(instant)) as http:
        started = time.perf_counter()
        for index in range(count):
            response = await http.get(f"/v1/convai/agents/agent_{index}", headers={"xi-api-key": KEY})
            response.json()
        return time.perf_counter() - started


async def sequential_client_gets(count: int) -> float:
    """One request at a time, like `bare_gets`: the difference is the client's own work per request."""
    async with ElevenLabsClient(BASE_URL, KEY, transport=httpx.MockTransport(instant)) as client:
        started = time.perf_counter()
        for index in range(count):
            await client.get_agent(f"agent_{index}")
        return time.perf_counter() - started


async def client_gets(count: int, handler, *, parallelism: int = 8, policy: RetryPolicy | None = None) -> tuple:
    async with ElevenLabsClient(
        BASE_URL,
        KEY,
        transport=httpx.MockTransport(handler),
        parallelism=parallelism,
        retry_policy=policy,
        max_retries=(policy or RetryPolicy()).max_retries,
    ) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(client.get_agent(f"agent_{index}") for index in range(count)))
        elapsed = time.perf_counter() - started
        return elapsed, client.request_count, sum(1 for result in results if result == BODY)


async def loopback_patches(base_url: str, count: int, transport: httpx.AsyncBaseTransport | None) -> float:
    """Seconds per PATCH of one agent, one after another, over a real loopback socket."""
    async with ElevenLabsClient(base_url, DEV_API_KEY, transport=transport) as client:
        agent_id = await client.create_agent({"name": "Bench", "conversation_config": {}})
        await client.update_agent(agent_id, {"name": "warm-up"})  # opens the connection
        started = time.perf_counter()
        for index in range(count):
            await client.update_agent(agent_id, {"name": f"Bench {index}"})
        return (time.perf_counter() - started) / count


async def main(args: argparse.Namespace) -> None:
    latency = args.latency_ms / 1000
    print(f"ElevenLabs client: {args.requests} instant GETs; {args.parallel_requests} GETs at {args.latency_ms} ms")

    # Interleaved, best of three: the first run of anything pays for imports and warm caches.
    floors, ours_runs = [], []
    for _ in range(3):
        floors.append(await bare_gets(args.requests))
        ours_runs.append(await sequential_client_gets(args.requests))
    floor, ours = min(floors), min(ours_runs)
    print(
        f"overhead     bare httpx {floor * 1e6 / args.requests:7.1f} us/req   client {ours * 1e6 / args.requests:7.1f} "
        f"us/req   ratio {ours / floor:.2f}x"
    )

    serial, _, _ = await client_gets(args.parallel_requests, slow(latency), parallelism=1)
    parallel, _, _ = await client_gets(args.parallel_requests, slow(latency), parallelism=8)
    print(f"parallelism  p=1 {serial:6.2f} s   p=8 {parallel:6.2f} s   speed-up {serial / parallel:.2f}x (ideal 8.00x)")

    policy = RetryPolicy(max_retries=10, base_delay=latency, max_delay=latency * 8, max_total_wait=60.0)
    clean, clean_sent, _ = await client_gets(args.parallel_requests, slow(latency), policy=policy)
    faulty, sent, succeeded = await client_gets(
        args.parallel_requests, flaky(latency, args.fault_rate, args.seed), policy=policy
    )
    print(
        f"faults       {args.fault_rate:.0%} failing: {succeeded}/{args.parallel_requests} succeeded, "
        f"{sent} attempts vs {clean_sent} ({sent / clean_sent:.2f}x), time {faulty:.2f} s vs {clean:.2f} s "
        f"({faulty / clean:.2f}x)"
    )

    with running_emulator() as base_url:
        nodelay = await loopback_patches(base_url, args.patches, None)
        nagle = await loopback_patches(base_url, args.patches, httpx.AsyncHTTPTransport())
    print(
        f"loopback     {args.patches} PATCHes: TCP_NODELAY {nodelay * 1000:6.1f} ms/req   httpx default transport "
        f"{nagle * 1000:6.1f} ms/req   ratio {nagle / nodelay:.1f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--parallel-requests", type=int, default=400)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--patches", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
