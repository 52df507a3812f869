"""make_plan for workspace secrets when a plan covers only some agents: a secret follows its tool into a selection,
and a secret no header uses any more is deleted only by a plan of the whole repository (as shared documents and
tools are collected), against the emulator's secrets endpoints."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import agent, converge, desired, in_process_client, new_app, plan_for

from agentform.model import Desired, DesiredTool, SourceLocation
from agentform.project.tool_secrets import with_workspace_secrets


def tool_with_header(key: str, authorization: str) -> DesiredTool:
    config = {
        "type": "webhook",
        "name": key,
        "description": f"The {key} webhook",
        "api_schema": {"url": f"https://hooks.example.test/{key}", "request_headers": {"Authorization": authorization}},
    }
    return DesiredTool(key=key, tool_config=config, source=SourceLocation(path=f"tools/{key}.yaml"))


def clinic(book: str, lookup: str) -> Desired:
    """Two agents, each with a tool whose header holds a token; a token in `secrets` is a workspace secret."""
    secrets = [token for token in (book, lookup) if token.startswith("canary")]
    want = desired(
        agents=[agent("receptionist", tools=["book"]), agent("triage", tools=["lookup"])],
        tools=[tool_with_header("book", f"Bearer {book}"), tool_with_header("lookup", f"Bearer {lookup}")],
    )
    tools, workspace_secrets = with_workspace_secrets(want.tools, secrets)
    return want.model_copy(
        update={"tools": tools, "workspace_secrets": workspace_secrets, "secret_values": frozenset(secrets)}
    )


def secret_changes(plan) -> list[tuple[str, str]]:
    return [(change.address, change.action) for change in plan.changes if change.kind == "secret" and change.is_change]


def test_a_selection_rotates_only_the_secrets_of_the_tools_it_takes():
    async def scenario() -> None:
        async with in_process_client(new_app()) as client:
            await converge(client, clinic("canary-book-1", "canary-lookup-1"), prune=True)
            rotated = clinic("canary-book-2", "canary-lookup-2")
            chosen = await plan_for(client, rotated, prune=True, select_globs=["receptionist"])
            assert secret_changes(chosen) == [("secret.book.Authorization", "update")]
            everything = await plan_for(client, rotated, prune=True)
            assert sorted(secret_changes(everything)) == [
                ("secret.book.Authorization", "update"),
                ("secret.lookup.Authorization", "update"),
            ]

    asyncio.run(scenario())


def test_a_secret_no_header_uses_is_deleted_by_a_plan_of_the_whole_repository_only():
    async def scenario() -> None:
        async with in_process_client(new_app()) as client:
            await converge(client, clinic("canary-book-1", "canary-lookup-1"), prune=True)
            plain_lookup = clinic("canary-book-1", "public")
            for globs in (["receptionist"], ["triage"]):
                narrowed = await plan_for(client, plain_lookup, prune=True, select_globs=globs)
                assert secret_changes(narrowed) == [], f"--select {globs[0]} leaves the secrets alone"
            everything = await plan_for(client, plain_lookup, prune=True)
            assert secret_changes(everything) == [("secret.lookup.Authorization", "delete")]
            assert everything.changes[-1].address == "secret.lookup.Authorization", "deleted after every write"

    asyncio.run(scenario())
