"""Secret tool headers live in ElevenLabs workspace secrets, referenced by `secret_id`; rotation updates the secret.

Against the emulator's secrets endpoints (elevenlabs-api.md §4.4): the tool stored in the workspace holds only
`{secret_id}`, the plan shows a rotation as an update of the secret (the tool and its id stay), and a header that
stops using a secret has its secret deleted under prune.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.apply.helpers import converge, in_process_client, new_app, plan_for

from agentform.model import DesiredTool, SourceLocation
from agentform.plan.render_json import render_json
from agentform.plan.render_text import render_text
from agentform.project import load_desired
from agentform.project.tool_secrets import with_workspace_secrets
from agentform.redact import Redactor

TOKEN = "Bearer canary-header-5c1e9a"
ROTATED = "Bearer canary-header-rotated-77d2"


def tool_with_header(value: str) -> DesiredTool:
    config = {
        "type": "webhook",
        "name": "book",
        "description": "Book an appointment",
        "api_schema": {
            "url": "https://hooks.example.test/book",
            "method": "POST",
            "request_headers": {"Authorization": value, "X-Plain": "not-a-secret"},
        },
    }
    return DesiredTool(key="book", tool_config=config, source=SourceLocation(path="tools/book.yaml"))


def desired_with(value: str, secret: str):
    from tests.apply.helpers import desired

    want = desired(tools=[tool_with_header(value)])
    tools, secrets = with_workspace_secrets(want.tools, [secret])
    return want.model_copy(update={"tools": tools, "workspace_secrets": secrets, "secret_values": frozenset([secret])})


def test_only_headers_holding_a_secret_become_workspace_secrets():
    tools, secrets = with_workspace_secrets({"book": tool_with_header(TOKEN)}, ["canary-header-5c1e9a"])
    headers = tools["book"].tool_config["api_schema"]["request_headers"]
    assert headers["X-Plain"] == "not-a-secret"
    assert headers["Authorization"] == {"secret_id": "agentform:workspace-secret:book.Authorization"}
    assert secrets["book.Authorization"].value == TOKEN


def test_the_workspace_tool_references_the_secret_and_a_rotation_updates_it_in_place():
    async def scenario() -> None:
        app = new_app()
        async with in_process_client(app) as client:
            await converge(client, desired_with(TOKEN, "canary-header-5c1e9a"), prune=True)
            [tool] = await client.list_tools()
            [secret] = await client.list_secrets()
            assert tool["tool_config"]["api_schema"]["request_headers"]["Authorization"] == {
                "secret_id": secret["secret_id"]
            }
            assert "canary" not in str(tool)
            assert [t["id"] for t in secret["used_by"]["tools"]] == [tool["id"]]

            rotated = desired_with(ROTATED, "canary-header-rotated-77d2")
            plan = await plan_for(client, rotated, prune=True)
            changed = {c.address: c.action for c in plan.changes if c.is_change}
            assert changed == {"secret.book.Authorization": "update"}
            # The payload holds the value apply sends (saved plans tokenise it); what is shown never does.
            shown = render_json(plan, redactor=Redactor(rotated.secret_values)) + render_text(plan)
            assert "canary" not in shown
            await converge(client, rotated, prune=True)
            assert [t["id"] for t in await client.list_tools()] == [tool["id"]]
            [after] = await client.list_secrets()
            assert after["secret_id"] == secret["secret_id"] and after["name"] != secret["name"]
            assert not [c for c in (await plan_for(client, rotated, prune=True)).changes if c.is_change]

    asyncio.run(scenario())


def test_a_secret_no_header_uses_any_more_is_deleted_under_prune():
    async def scenario() -> None:
        app = new_app()
        async with in_process_client(app) as client:
            await converge(client, desired_with(TOKEN, "canary-header-5c1e9a"), prune=True)
            plain = desired_with("Bearer public", "canary-header-5c1e9a")
            plan = await plan_for(client, plain, prune=True)
            assert {c.address for c in plan.changes if c.action == "delete"} >= {"secret.book.Authorization"}
            await converge(client, plain, prune=True)
            # The old tool version is collected after the apply, so the secret goes on the next one.
            await converge(client, plain, prune=True)
            assert await client.list_secrets() == []

    asyncio.run(scenario())


def test_the_example_project_keeps_its_booking_token_in_a_workspace_secret(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("CLINIC_WEBHOOK_TOKEN", raising=False)
    want = load_desired(Path(__file__).resolve().parents[2], env="local")
    assert list(want.workspace_secrets) == ["book-appointment.Authorization"]
    assert "local-development-token" not in str(want.tools)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
