"""Builders and drivers for apply tests: desired state as explicit data, the emulator in-process or on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from tests.support.desired import desired_state

from agentform.apply import ApplyResult, Journal, apply_plan
from agentform.elevenlabs import ElevenLabsClient, RetryPolicy
from agentform.emulator import create_app
from agentform.emulator.app import DEV_API_KEY
from agentform.model import (
    Desired,
    DesiredAgent,
    DesiredDocument,
    DesiredTest,
    DesiredTool,
    KnowledgeRef,
    SourceLocation,
)
from agentform.plan.model import Plan
from agentform.plan.planner import make_plan
from agentform.plan.read import read_workspace

PROJECT, ENV = "clinic", "local"
# Retries without real waiting: fault tests inject hundreds of failures.
FAST_RETRIES = RetryPolicy(max_retries=8, base_delay=0.001, max_delay=0.01, max_total_wait=5.0, retry_after_jitter=0)


def source(path: str) -> SourceLocation:
    return SourceLocation(path=path)


def document(key: str, text: str) -> DesiredDocument:
    return DesiredDocument(key=key, kind="text", name=key.title(), text=text, source=source(f"knowledge/{key}.md"))


def tool(key: str, description: str = "Book an appointment") -> DesiredTool:
    config = {
        "type": "webhook",
        "name": key.replace("-", "_"),
        "description": description,
        "api_schema": {"url": f"https://hooks.example.test/{key}", "method": "POST"},
    }
    return DesiredTool(key=key, tool_config=config, source=source(f"tools/{key}.yaml"))


def agent(
    key: str,
    prompt: str = "You are a receptionist.",
    *,
    knowledge: list[str] = (),
    tools: list[str] = (),
    temperature: float = 0.3,
) -> DesiredAgent:
    return DesiredAgent(
        key=key,
        name=key.replace("-", " ").title(),
        conversation_config={
            "agent": {"first_message": "Hello!", "prompt": {"prompt": prompt, "temperature": temperature}}
        },
        knowledge=[KnowledgeRef(key=k) for k in knowledge],
        tools=list(tools),
        source=source(f"agents/{key}/agent.yaml"),
    )


def llm_test(agent_key: str, key: str, condition: str = "The agent greets the caller.") -> DesiredTest:
    body = {
        "chat_history": [{"role": "user", "message": "Hello", "time_in_call_secs": 0}],
        "success_condition": condition,
        "success_examples": [{"response": "Hello! How can I help?", "type": "success"}],
        "failure_examples": [{"response": "Go away.", "type": "failure"}],
    }
    return DesiredTest(
        agent_key=agent_key, key=key, kind="llm", body=body, source=source(f"tests_specs/{agent_key}/{key}.yaml")
    )


def desired(
    agents: list[DesiredAgent] = (),
    documents: list[DesiredDocument] = (),
    tools: list[DesiredTool] = (),
    tests: list[DesiredTest] = (),
    revision: str | None = "abc1234",
) -> Desired:
    return desired_state(
        agents, documents, tools, tests, project=PROJECT, environment=ENV, backend="emulator", revision=revision
    )


def in_process_client(app: Any, *, parallelism: int = 8, retry_policy: RetryPolicy | None = None) -> ElevenLabsClient:
    return ElevenLabsClient(
        "http://emulator.invalid",
        DEV_API_KEY,
        transport=httpx.ASGITransport(app=app),
        parallelism=parallelism,
        retry_policy=retry_policy,
        max_retries=retry_policy.max_retries if retry_policy else 5,
    )


def network_client(base_url: str, **kwargs: Any) -> ElevenLabsClient:
    return ElevenLabsClient(base_url, DEV_API_KEY, **kwargs)


def new_app() -> Any:
    return create_app(":memory:")


def in_emulator(scenario: Callable[[Any, ElevenLabsClient], Awaitable[None]]) -> None:
    """Run `scenario(app, client)` against a fresh in-process emulator and a client of it."""

    async def run() -> None:
        app = new_app()
        async with in_process_client(app) as client:
            await scenario(app, client)

    asyncio.run(run())


async def plan_for(
    client: ElevenLabsClient, want: Desired, *, prune: bool = False, branch: str | None = None, **kwargs: Any
) -> Plan:
    workspace = await read_workspace(client, want, branch=branch, prune=prune)
    return make_plan(want, workspace.live, prune=prune, branch=branch, **kwargs)


async def converge(client: ElevenLabsClient, want: Desired, *, prune: bool = False) -> tuple[Plan, ApplyResult]:
    """Plan and apply once, as `agentform apply --auto-approve` does (minus the lock)."""
    workspace = await read_workspace(client, want, prune=prune)
    plan = make_plan(want, workspace.live, prune=prune)
    result = await apply_plan(client, plan, want, prune=prune, workspace=workspace, journal=Journal())
    return plan, result


async def apply_without_collecting(client: ElevenLabsClient, want: Desired) -> ApplyResult:
    """Plan and apply `want` with `collect=False`: the superseded versions stay for a later apply to collect."""
    workspace = await read_workspace(client, want)
    plan = make_plan(want, workspace.live, prune=False)
    return await apply_plan(client, plan, want, prune=False, workspace=workspace, collect=False)


@asynccontextmanager
async def converged(want: Desired) -> AsyncIterator[tuple[Any, ElevenLabsClient, int]]:
    """A fresh emulator with `want` applied: (app, client, sequence number of its last logged request)."""
    app = new_app()
    async with in_process_client(app) as client:
        await converge(client, want)
        yield app, client, await last_seq(app)


def admin(app_or_url: Any) -> httpx.AsyncClient:
    """A client to the emulator's admin API under `/_emulator/` (in-process app or a loopback URL)."""
    headers = {"xi-api-key": DEV_API_KEY}
    if isinstance(app_or_url, str):
        return httpx.AsyncClient(base_url=app_or_url, headers=headers)
    return httpx.AsyncClient(
        base_url="http://emulator.invalid", headers=headers, transport=httpx.ASGITransport(app=app_or_url)
    )


async def request_log(app_or_url: Any, since: int = 0) -> list[dict[str, Any]]:
    async with admin(app_or_url) as http:
        answer = await http.get("/_emulator/requests", params={"since": since})
        answer.raise_for_status()
        return answer.json()["requests"]


async def last_seq(app_or_url: Any) -> int:
    async with admin(app_or_url) as http:
        return (await http.get("/_emulator/requests", params={"since": 10**12})).json()["last_seq"]


def write_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["method"] in ("POST", "PUT", "PATCH", "DELETE")]
