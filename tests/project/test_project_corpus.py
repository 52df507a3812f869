"""No false positives on real configurations: the agent templates ElevenLabs' own CLI writes
(`elevenlabs agents templates show <name>`, @elevenlabs/cli-linux-x64 1.3.2, saved under corpus/) validate without
errors as agent files, and the emulator accepts each as a create body, as the live API does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.project.projectkit import write_project

from agentform.emulator import DEV_API_KEY, create_app
from agentform.project import validate_project

CORPUS = Path(__file__).parent / "corpus" / "elevenlabs-cli-templates"
TEMPLATES = sorted(CORPUS.glob("*.json"))


def test_the_corpus_holds_every_template_the_cli_offers():
    names = {path.stem for path in TEMPLATES}
    assert names == {"default", "minimal", "voice-only", "text-only", "customer-service", "assistant"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.stem)
def test_a_cli_template_as_an_agent_file_has_no_errors(tmp_path, template):
    config = json.loads(template.read_text())
    agent = {key: config[key] for key in ("name", "conversation_config", "platform_settings", "tags")}
    root = write_project(tmp_path, {"agents/templated/agent.yaml": json.dumps(agent, indent=2)})

    errors = [str(d) for d in validate_project(root, environ={}) if d.severity == "error"]

    assert errors == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.stem)
def test_the_emulator_accepts_a_cli_template_as_a_create_body(template):
    with TestClient(create_app(), headers={"xi-api-key": DEV_API_KEY}) as api:
        response = api.post("/v1/convai/agents/create", json=json.loads(template.read_text()))

    assert response.status_code == 200, response.text


def test_keys_the_live_api_accepts_but_the_document_lacks_stay_warnings(tmp_path):
    config = json.loads((CORPUS / "default.json").read_text())
    agent = {key: config[key] for key in ("name", "conversation_config", "platform_settings", "tags")}
    root = write_project(tmp_path, {"agents/templated/agent.yaml": json.dumps(agent, indent=2)})

    found = validate_project(root, environ={})

    assert {(d.severity, d.field) for d in found} == {
        ("warning", "platform_settings.ban"),
        ("warning", "platform_settings.safety"),
    }
