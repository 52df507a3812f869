"""`agentform import`: an agent built in the dashboard becomes files that validate, and adopting it changes only
what adoption itself must change (marker tags, managed copies of its documents and tests), never its prompt, voice
or LLM settings; after one apply the plan is empty and the agent keeps its id.

The "dashboard" is the client talking straight to the emulator: in-process (the project's `local` environment, state
in its SQLite file) and over real loopback HTTP (`ELEVENLABS_BASE_URL`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from tests.support.emulator_server import running_emulator

from agentform import exitcodes
from agentform.commands import apply as apply_command
from agentform.commands import import_ as import_command
from agentform.commands import plan as plan_command
from agentform.commands import validate as validate_command
from agentform.elevenlabs import open_client
from agentform.model import EnvironmentSettings
from agentform.plan import identity
from agentform.project import load_desired
from agentform.project.importer import (
    Existing,
    ImportRefused,
    LiveDocument,
    escaped,
    import_agent,
    import_tool,
    pruned,
    spec_of_test,
)

PROJECT_YAML = """\
project: clinic
default_environment: local
environments:
  local:
    backend: emulator
"""
PROMPT = (
    "Ești recepționera Clinicii Dentare Zâmbet.\n"
    "Răspunde scurt, în română. Pacientul se numește {{patient_name}}.\n"
    "Nu inventa prețuri: folosește lista de prețuri.\n"
)
FAQ = "# Întrebări frecvente\n\nParcarea este gratuită, în spatele clădirii, timp de două ore.\n"
TOKEN = "Bearer live-booking-token-8c1f"  # noqa: S105 - a test credential; the point is that it is never written
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


def yaml_of(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty agentform project whose `local` environment is the in-process emulator."""
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    (tmp_path / "agentform.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return tmp_path


def dashboard(project_dir: Path, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work(client)` against the project's environment, as a dashboard user would (no agentform markers)."""

    async def go() -> Any:
        async with open_client(EnvironmentSettings(name="local", backend="emulator"), project_dir) as client:
            return await work(client)

    return asyncio.run(go())


async def build_clinic_agent(client: Any) -> dict[str, str]:
    """An unmanaged agent with a tool, a text and a URL document, an llm and a tool test: ids by role."""
    tool_id = (await client.create_tool(BOOK_TOOL))["id"]
    faq = await client.create_text_document(text=FAQ, name="Clinic FAQ")
    prices = await client.create_url_document(url="https://clinic.example/preturi", name="Lista de prețuri")
    llm_test = await client.create_test(
        {
            "type": "llm",
            "name": "Parking question",
            "chat_history": [{"role": "user", "message": "Unde pot parca?", "time_in_call_secs": 0}],
            "success_condition": 'The agent says "gratuită".',
            "success_examples": [{"response": "Parcarea este gratuită.", "type": "success"}],
            "failure_examples": [{"response": "Nu știu.", "type": "failure"}],
        }
    )
    tool_test = await client.create_test(
        {
            "type": "tool",
            "name": "Books an appointment",
            "chat_history": [{"role": "user", "message": "Vreau o programare vineri.", "time_in_call_secs": 2}],
            "tool_call_parameters": {"referenced_tool": {"id": tool_id, "type": "webhook"}, "parameters": []},
        }
    )
    agent_id = await client.create_agent(
        {
            "name": "Clinic Receptionist",
            "tags": ["clinic", "ro"],
            "conversation_config": {
                "agent": {
                    "first_message": "Bună ziua! Consultația costă ${tarif} lei.",
                    "language": "ro",
                    "prompt": {
                        "prompt": PROMPT,
                        "llm": "gpt-4o-mini",
                        "temperature": 0.3,
                        "tool_ids": [tool_id],
                        "knowledge_base": [
                            {"type": "text", "name": "Clinic FAQ", "id": faq["id"], "usage_mode": "auto"},
                            {"type": "url", "name": "Lista de prețuri", "id": prices["id"], "usage_mode": "prompt"},
                        ],
                    },
                },
                "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM", "stability": 0.65},
                "turn": {"turn_timeout": 9.5},
            },
            "platform_settings": {
                "testing": {"attached_tests": [{"test_id": llm_test}, {"test_id": tool_test}]},
                "call_limits": {"daily_limit": 500},
            },
        }
    )
    return {"agent": agent_id, "tool": tool_id, "faq": faq["id"], "prices": prices["id"]}


def plan_document(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    code = plan_command.run(project_dir=project_dir, as_json=True, detailed_exitcode=True)
    assert code in (exitcodes.OK, exitcodes.CHANGES), capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def changes_by_address(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["address"]: change for change in plan["changes"] if change["action"] != "no-op"}


def import_validate_plan_apply_plan(
    project_dir: Path, ids: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole adoption story, asserted step by step (shared by the in-process and the loopback test)."""
    before = dashboard(project_dir, lambda client: client.get_agent(ids["agent"]))
    assert import_command.run("agent", ids["agent"], project_dir=project_dir) == exitcodes.OK
    out = capsys.readouterr().out
    assert "Imported agent" in out and "agents/clinic-receptionist/" in out
    assert TOKEN not in out and "live-booking-token" not in out

    agent_file = yaml_of(project_dir / "agents/clinic-receptionist/agent.yaml")
    assert agent_file["id"] == ids["agent"]
    assert agent_file["tags"] == ["clinic", "ro"]
    assert agent_file["tools"] == ["book-appointment"]
    assert agent_file["knowledge"] == [
        {"key": "clinic-faq", "usage_mode": "auto"},
        {"key": "lista-de-preturi", "usage_mode": "prompt"},
    ]
    assert (project_dir / "agents/clinic-receptionist/prompt.md").read_text(encoding="utf-8") == PROMPT
    assert (project_dir / "knowledge/clinic-faq.md").read_text(encoding="utf-8") == FAQ
    assert (project_dir / "knowledge/lista-de-preturi.url").read_text() == "https://clinic.example/preturi\n"
    tool_text = (project_dir / "tools/book-appointment.yaml").read_text(encoding="utf-8")
    assert TOKEN not in tool_text and "${BOOK_APPOINTMENT_AUTHORIZATION}" in tool_text
    assert yaml_of(project_dir / "tools/book-appointment.yaml")["id"] == ids["tool"]
    assert yaml_of(project_dir / "tests_specs/clinic-receptionist/books-an-appointment.yaml")["tool"] == (
        "book-appointment"
    )

    # The credential is the user's to provide (CI secret, shell); with it set, the files validate.
    monkeypatch.setenv("BOOK_APPOINTMENT_AUTHORIZATION", TOKEN)
    assert validate_command.run(project_dir) == exitcodes.OK
    desired = load_desired(project_dir)
    assert desired.agents["clinic-receptionist"].conversation_config["agent"]["first_message"] == (
        "Bună ziua! Consultația costă ${tarif} lei."
    )

    plan = plan_document(project_dir, capsys)
    changes = changes_by_address(plan)
    assert set(changes) == {
        "agent.clinic-receptionist",
        "document.clinic-faq",
        "document.lista-de-preturi",
        "test.clinic-receptionist/parking-question",
        "test.clinic-receptionist/books-an-appointment",
    }
    assert {changes[a]["action"] for a in changes if not a.startswith("agent.")} == {"create"}
    agent_change = changes["agent.clinic-receptionist"]
    assert agent_change["action"] == "update" and agent_change["live_id"] == ids["agent"]
    changed = {field["path"].split("[")[0] for field in agent_change["fields"]}
    assert changed == {
        "tags",
        "conversation_config.agent.prompt.knowledge_base",
        "platform_settings.testing.attached_tests",
    }

    capsys.readouterr()
    assert apply_command.run(project_dir=project_dir, auto_approve=True) == exitcodes.OK
    assert changes_by_address(plan_document(project_dir, capsys)) == {}

    after = dashboard(project_dir, lambda client: client.get_agent(ids["agent"]))
    assert after["agent_id"] == ids["agent"]
    for section in ("tts", "turn"):
        assert after["conversation_config"][section] == before["conversation_config"][section]
    prompt_before, prompt_after = (a["conversation_config"]["agent"]["prompt"] for a in (before, after))
    assert {k: v for k, v in prompt_after.items() if k != "knowledge_base"} == {
        k: v for k, v in prompt_before.items() if k != "knowledge_base"
    }
    assert identity.owner_tag("clinic", "local") in after["tags"]
    tool = dashboard(project_dir, lambda client: client.get_tool(ids["tool"]))
    assert tool["tool_config"]["api_schema"]["request_headers"]["Authorization"] == TOKEN


def test_a_dashboard_agent_is_adopted_with_its_tool_documents_and_tests_and_keeps_its_id(project, capsys, monkeypatch):
    ids = dashboard(project, build_clinic_agent)
    import_validate_plan_apply_plan(project, ids, capsys, monkeypatch)


@pytest.mark.e2e
def test_import_over_real_loopback_http_adopts_the_agent_the_same_way(project, capsys, monkeypatch):
    with running_emulator() as base_url:
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        ids = dashboard(project, build_clinic_agent)
        import_validate_plan_apply_plan(project, ids, capsys, monkeypatch)
