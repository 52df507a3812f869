"""A workspace built in the dashboard: agents made through the client straight against the emulator, with no
agentform markers, as a team has them before adopting agentform. Shared by the import and pull tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from tests.support.seconds import in_a_later_second

from agentform import exitcodes
from agentform.commands import plan as plan_command
from agentform.connect import open_client
from agentform.model import EnvironmentSettings

PROJECT_YAML = """\
# Adopted from the dashboard.
project: clinic
default_environment: local
environments:
  local:
    backend: emulator
"""
TOKEN = "Bearer live-booking-token-8c1f"
BOOK_TOOL = {
    "type": "webhook",
    "name": "book_appointment",
    "description": "Books a dental appointment for the patient.",
    "api_schema": {
        "url": "https://booking.clinic.example/appointments",
        "method": "POST",
        "request_headers": {"Authorization": TOKEN, "X-Clinic": "zambet"},
    },
}
FAQ = "# Întrebări frecvente\n\nParcarea este gratuită, în spatele clădirii, timp de două ore.\n"


def llm_test(name: str, question: str, condition: str, success: str, failure: str) -> dict[str, Any]:
    """An llm test body as the dashboard creates it."""
    return {
        "type": "llm",
        "name": name,
        "chat_history": [{"role": "user", "message": question, "time_in_call_secs": 0}],
        "success_condition": condition,
        "success_examples": [{"response": success, "type": "success"}],
        "failure_examples": [{"response": failure, "type": "failure"}],
    }


PARKING_TEST = llm_test(
    "Parking question", "Unde pot parca?", 'The agent says "gratuită".', "Parcarea este gratuită.", "Nu știu."
)


def yaml_of(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def project_files(project_dir: Path) -> dict[str, bytes]:
    """Every file of the project but the emulator's state, by path."""
    return {
        path.relative_to(project_dir).as_posix(): path.read_bytes()
        for path in sorted(project_dir.rglob("*"))
        if path.is_file() and ".agentform" not in path.parts
    }


def new_project(root: Path) -> Path:
    (root / "agentform.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return root


def dashboard(project_dir: Path, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work(client)` against the project's environment, as a dashboard user would (no agentform markers)."""

    async def go() -> Any:
        async with open_client(EnvironmentSettings(name="local", backend="emulator"), project_dir) as client:
            return await work(client)

    return asyncio.run(go())


def dashboard_edit(project_dir: Path, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """`dashboard(...)` for an edit: a person makes it in a later second than agentform's last write."""
    in_a_later_second()
    return dashboard(project_dir, work)


def plan_document(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    code = plan_command.run(project_dir=project_dir, as_json=True, detailed_exitcode=True)
    assert code in (exitcodes.OK, exitcodes.CHANGES), capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def changes_by_address(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["address"]: change for change in plan["changes"] if change["action"] != "no-op"}


def agent_body(name: str, prompt: str, **prompt_settings: Any) -> dict[str, Any]:
    return {"name": name, "conversation_config": {"agent": {"prompt": {"prompt": prompt, **prompt_settings}}}}


async def build_clinic_kit(client: Any) -> tuple[str, dict[str, Any], dict[str, Any], str, str]:
    """What a team builds in the dashboard before the agents that use it: the booking tool (with an auth header), the
    FAQ text document, the price-list URL document, the parking llm test and the booking tool test."""
    tool_id = (await client.create_tool(BOOK_TOOL))["id"]
    faq = await client.create_text_document(text=FAQ, name="Clinic FAQ")
    prices = await client.create_url_document(url="https://clinic.example/preturi", name="Lista de prețuri")
    parking = await client.create_test(PARKING_TEST)
    booking = await client.create_test(
        {
            "type": "tool",
            "name": "Books an appointment",
            "chat_history": [{"role": "user", "message": "Vreau o programare vineri.", "time_in_call_secs": 0}],
            "tool_call_parameters": {"referenced_tool": {"id": tool_id, "type": "webhook"}, "parameters": []},
        }
    )
    return tool_id, faq, prices, parking, booking


async def build_workspace(client: Any) -> dict[str, str]:
    """Three agents as a team builds them: a receptionist and an after-hours line that share a booking tool (with
    an auth header) and an FAQ, a URL document, three tests; and a second agent named "Receptionist". Ids by role."""
    tool_id, faq, prices, parking, booking = await build_clinic_kit(client)
    closed = await client.create_test(
        llm_test(
            "Closed at night",
            "Sunteți deschiși acum?",
            "The agent says the clinic is closed.",
            "Clinica este închisă acum.",
            "Da.",
        )
    )
    faq_locator = {"type": "text", "name": "Clinic FAQ", "id": faq["id"], "usage_mode": "auto"}
    receptionist = await client.create_agent(
        {
            **agent_body(
                "Receptionist",
                "Ești recepționera Clinicii Zâmbet.\nRăspunde scurt, în română.\n",
                llm="gpt-4o-mini",
                temperature=0.3,
                tool_ids=[tool_id],
                knowledge_base=[
                    faq_locator,
                    {"type": "url", "name": "Lista de prețuri", "id": prices["id"], "usage_mode": "prompt"},
                ],
            ),
            "tags": ["clinic"],
            "platform_settings": {"testing": {"attached_tests": [{"test_id": parking}, {"test_id": booking}]}},
        }
    )
    after_hours = await client.create_agent(
        {
            **agent_body(
                "After Hours",
                "Spui pacienților că clinica este închisă.\n",
                tool_ids=[tool_id],
                knowledge_base=[faq_locator],
            ),
            "tags": ["clinic"],
            "platform_settings": {"testing": {"attached_tests": [{"test_id": closed}]}},
        }
    )
    other = await client.create_agent(agent_body("Receptionist", "You greet visitors of the second office.\n"))
    return {"receptionist": receptionist, "after_hours": after_hours, "other": other, "tool": tool_id}
