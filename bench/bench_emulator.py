"""Requests per second of the emulator for GET agent and PATCH agent, in-process (httpx ASGITransport) and over
loopback (a served `agentform emulator serve` process), each beside a baseline measured in the same run: a bare
FastAPI endpoint on the same transport. Ratios (emulator / baseline) are what to compare across machines.

First, the list pages a plan reads (100 KB documents with their dependent agents, 100 agents) with 200 agents of
two branches each, beside the tool list page measured in the same run (no cross-resource lookup).

    .venv/bin/python bench/bench_emulator.py [--seconds 3] [--agents 200 --documents 200] [--listing-only]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from _support import free_port, wait_up

from agentform.emulator import DEV_API_KEY, create_app

HEADERS = {"xi-api-key": DEV_API_KEY}
# The same server setup as `agentform emulator serve` (uvicorn on a TCP_NODELAY socket), around a bare endpoint.
BASELINE_APP = """
import socket, sys
import uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/ping")
async def ping(): return {"ok": True}
@app.patch("/ping")
async def patch(body: dict): return body
sock = socket.socket()
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)).run(sockets=[sock])
"""


def baseline_app():
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict:
        return {"ok": True}

    @app.patch("/ping")
    async def patch(body: dict) -> dict:
        return body

    return app


PATCH_BODY = {"conversation_config": {"agent": {"first_message": "Hello"}}, "version_description": "bench"}


async def count_for(call: Callable[[], Awaitable[httpx.Response]], seconds: float) -> tuple[int, float]:
    """Sequential requests completed in about `seconds`: (count, elapsed)."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        (await call()).raise_for_status()
        count += 1
    return count, time.perf_counter() - started


async def measure(client: httpx.AsyncClient, base: httpx.AsyncClient, seconds: float, rounds: int = 6) -> dict:
    """Requests per second of each call; the calls take turns in short rounds so that load from other processes
    on the machine weighs on the emulator and its baseline alike."""
    agent_id = (await client.post("/v1/convai/agents/create", json={"conversation_config": {}})).json()["agent_id"]
    calls = {
        "GET agent": lambda: client.get(f"/v1/convai/agents/{agent_id}"),
        "GET baseline": lambda: base.get("/ping"),
        "PATCH agent": lambda: client.patch(f"/v1/convai/agents/{agent_id}", json=PATCH_BODY),
        "PATCH baseline": lambda: base.patch("/ping", json=PATCH_BODY),
    }
    totals = {name: [0, 0.0] for name in calls}
    for call in calls.values():
        await count_for(call, 0.2)  # warm-up
    for _ in range(rounds):
        for name, call in calls.items():
            count, elapsed = await count_for(call, seconds / rounds)
            totals[name][0] += count
            totals[name][1] += elapsed
    return {name: count / elapsed for name, (count, elapsed) in totals.items()}


async def in_process(seconds: float, db_path: str) -> dict[str, float]:
    emulator = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(db_path)), base_url="http://e", headers=HEADERS
    )
    base = httpx.AsyncClient(transport=httpx.ASGITransport(app=baseline_app()), base_url="http://b")
    async with emulator, base:
        return await measure(emulator, base, seconds)


def nodelay() -> httpx.AsyncHTTPTransport:
    # httpx writes a request's headers and body separately; without TCP_NODELAY Nagle's algorithm stalls a PATCH.
    return httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


async def loopback(seconds: float, db_path: str) -> dict[str, float]:
    emulator_port, base_port = free_port(), free_port()
    emulator_args = ["-m", "agentform", "emulator", "serve", "--port", str(emulator_port), "--db", db_path]
    processes = [
        subprocess.Popen([sys.executable, *emulator_args], stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-c", BASELINE_APP, str(base_port)], stderr=subprocess.DEVNULL),
    ]
    try:
        wait_up(f"http://127.0.0.1:{emulator_port}/v1/convai/agents")
        wait_up(f"http://127.0.0.1:{base_port}/ping")
        emulator = httpx.AsyncClient(base_url=f"http://127.0.0.1:{emulator_port}", headers=HEADERS, transport=nodelay())
        base = httpx.AsyncClient(base_url=f"http://127.0.0.1:{base_port}", transport=nodelay())
        async with emulator, base:
            return await measure(emulator, base, seconds)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


COLD = """
import sys, time
started = time.perf_counter()
if sys.argv[1] == "fastapi":
    import fastapi
    print((time.perf_counter() - started) * 1000)
else:
    from agentform.emulator import create_app
    create_app(sys.argv[2])
    first = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    create_app(sys.argv[2])
    print(first, (time.perf_counter() - started) * 1000)
"""


def cold_start(db_path: str, runs: int = 3) -> dict[str, float]:
    """Best of `runs` fresh interpreters: the emulator's import + app build, and `import fastapi` as baseline."""

    def best(*args: str) -> list[float]:
        outputs = [
            subprocess.run([sys.executable, "-c", COLD, *args], capture_output=True, text=True, check=True)
            for _ in range(runs)
        ]
        return min(([float(x) for x in out.stdout.split()] for out in outputs), key=lambda figures: figures[0])

    emulator, again = best("emulator", db_path)
    return {"emulator": emulator, "again": again, "fastapi": best("fastapi")[0]}


async def build_workspace(client: httpx.AsyncClient, agents: int, documents: int, tools: int) -> None:
    """`documents` KB documents, `tools` tools and `agents` agents; each agent references one document and one tool
    on its main branch and another document on a second branch (so the reverse index has two tips per agent)."""
    doc_ids = [
        (await client.post("/v1/convai/knowledge-base/text", json={"text": f"Fact {i}.", "name": f"Doc {i}"})).json()[
            "id"
        ]
        for i in range(documents)
    ]
    tool_body = {"type": "client", "description": "A tool"}
    tool_ids = [
        (await client.post("/v1/convai/tools", json={"tool_config": {**tool_body, "name": f"tool_{i}"}})).json()["id"]
        for i in range(tools)
    ]
    for i in range(agents):
        prompt = {"prompt": f"Agent {i}.", "knowledge_base": [knowledge(doc_ids[i % documents])]}
        prompt["tool_ids"] = [tool_ids[i % tools]]
        body = {"name": f"Agent {i}", "conversation_config": {"agent": {"prompt": prompt}}}
        agent_id = (await client.post("/v1/convai/agents/create", json=body)).json()["agent_id"]
        tip = (await client.get(f"/v1/convai/agents/{agent_id}")).json()["version_id"]
        branch = {"parent_version_id": tip, "name": "feature", "description": "bench"}
        branch["conversation_config"] = {
            "agent": {"prompt": {"knowledge_base": [knowledge(doc_ids[-1 - i % documents])]}}
        }
        (await client.post(f"/v1/convai/agents/{agent_id}/branches", json=branch)).raise_for_status()


def knowledge(doc_id: str) -> dict[str, str]:
    return {"type": "text", "id": doc_id, "name": "doc", "usage_mode": "auto"}


async def listing(seconds: float, agents: int, documents: int) -> dict[str, float]:
    """Milliseconds per page of 100 for the KB list (every item carries its dependent agents, found across every
    agent's branch tips), the agent list and the tool list (no cross-resource lookup: the baseline), in-process."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(":memory:")), base_url="http://e", headers=HEADERS
    )
    async with client:
        await build_workspace(client, agents, documents, tools=100)
        pages = {
            "KB documents": "/v1/convai/knowledge-base",
            "agents": "/v1/convai/agents",
            "tools (baseline)": "/v1/convai/tools",
        }
        calls = {name: (lambda path=path: client.get(path, params={"page_size": 100})) for name, path in pages.items()}
        totals = {name: [0, 0.0] for name in calls}
        for _ in range(6):
            for name, call in calls.items():
                count, elapsed = await count_for(call, seconds / 6)
                totals[name][0] += count
                totals[name][1] += elapsed
        return {name: elapsed / count * 1000 for name, (count, elapsed) in totals.items()}


def report(title: str, figures: dict[str, float]) -> None:
    print(f"{title}")
    for verb in ("GET", "PATCH"):
        agent, base = figures[f"{verb} agent"], figures[f"{verb} baseline"]
        print(f"  {verb:<5} agent {agent:8.0f} req/s   bare FastAPI {base:8.0f} req/s   ratio {agent / base:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="Measuring time per figure.")
    parser.add_argument("--agents", type=int, default=200, help="Agents in the listing case.")
    parser.add_argument("--documents", type=int, default=200, help="KB documents in the listing case.")
    parser.add_argument("--listing-only", action="store_true", help="Only the listing case.")
    args = parser.parse_args()
    pages = asyncio.run(listing(args.seconds, args.agents, args.documents))
    baseline = pages["tools (baseline)"]
    print(
        f"list pages of 100, {args.agents} agents (2 branches each), {args.documents} documents, 100 tools, in-process"
    )
    for name, ms in pages.items():
        print(f"  {name:<17} {ms:7.1f} ms/page   ratio to the tools page {ms / baseline:5.2f}")
    if args.listing_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        cold = cold_start(str(Path(tmp) / "cold.sqlite"))
        print(
            f"cold start (new interpreter): import + create_app {cold['emulator']:.0f} ms, "
            f"import fastapi alone {cold['fastapi']:.0f} ms, ratio {cold['emulator'] / cold['fastapi']:.2f}; "
            f"create_app again on the same file {cold['again']:.1f} ms"
        )
        report("in-process, :memory: (httpx.ASGITransport)", asyncio.run(in_process(args.seconds, ":memory:")))
        report("in-process, SQLite file", asyncio.run(in_process(args.seconds, str(Path(tmp) / "in.sqlite"))))
        report(
            "loopback (agentform emulator serve --db FILE)",
            asyncio.run(loopback(args.seconds, str(Path(tmp) / "lo.sqlite"))),
        )


if __name__ == "__main__":
    main()
