"""The example project at the repository root: valid, realistic, and shaped for the emulator's stand-in model."""

from __future__ import annotations

import re

import pytest
from tests.support.example import REPO_ROOT

from agentform.project import load_desired, validate_project
from agentform.redact import Redactor

ENVIRON = {"PATH": "/usr/bin"}  # nothing of the developer's shell leaks into the result


@pytest.fixture(scope="module")
def desired():
    return load_desired(REPO_ROOT, environ=ENVIRON)


def test_the_example_validates_without_errors_or_warnings():
    assert validate_project(REPO_ROOT, environ=ENVIRON, strict=True) == []


def test_the_default_environment_is_the_local_emulator(desired):
    assert desired.environment.name == "local"
    assert desired.environment.backend == "emulator"
    staging, production = desired.settings.environments["staging"], desired.settings.environments["production"]
    assert (staging.backend, production.backend) == ("api", "api")
    assert staging.api_key_env and production.api_key_env


def test_it_declares_two_agents_four_documents_two_tools_and_eight_tests_of_every_kind(desired):
    assert set(desired.agents) == {"clinic-receptionist", "support-agent"}
    assert len(desired.documents) >= 4
    assert set(desired.tools) == {"book-appointment", "create-ticket"}
    assert len(desired.tests) >= 8
    assert {test.kind for test in desired.tests.values()} == {"llm", "tool", "simulation"}
    assert sum(test.smoke for test in desired.tests.values()) >= 2


def test_the_prompt_file_lands_in_the_conversation_config(desired):
    clinic = desired.agents["clinic-receptionist"]
    prompt = (REPO_ROOT / "agents/clinic-receptionist/prompt.md").read_text()
    assert clinic.conversation_config["agent"]["prompt"]["prompt"] == prompt
    assert clinic.conversation_config["agent"]["language"] == "ro"
    assert clinic.prompt_source.path == "agents/clinic-receptionist/prompt.md"


def test_references_stay_keys_and_usage_modes_are_kept(desired):
    clinic = desired.agents["clinic-receptionist"]
    assert [(ref.key, ref.usage_mode) for ref in clinic.knowledge] == [
        ("clinic-faq", None),
        ("clinic-services", "auto"),
    ]
    assert clinic.tools == ["book-appointment"]
    assert "tool_ids" not in clinic.conversation_config["agent"]["prompt"]
    assert "knowledge_base" not in clinic.conversation_config["agent"]["prompt"]


def test_the_clinic_address_is_in_exactly_one_prompt_sentence_and_nowhere_else(desired):
    clinic = desired.agents["clinic-receptionist"]
    prompt = clinic.conversation_config["agent"]["prompt"]["prompt"]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", prompt) if "Strada Florilor" in s]
    assert len(sentences) == 1
    assert "Strada Florilor" not in clinic.conversation_config["agent"]["first_message"]
    for document in desired.documents.values():
        assert "Florilor" not in (document.text or "")


def test_the_address_test_quotes_the_street_and_its_success_example_is_the_prompt_sentence(desired):
    test = desired.tests["clinic-receptionist/address"]
    prompt = desired.agents["clinic-receptionist"].conversation_config["agent"]["prompt"]["prompt"]
    assert test.kind == "llm"
    assert '"Strada Florilor"' in test.body["success_condition"]
    assert test.body["success_examples"][0]["response"] in prompt


def test_the_booking_tool_test_references_the_webhook_tool_by_key(desired):
    test = desired.tests["clinic-receptionist/book-appointment"]
    assert test.kind == "tool"
    assert test.tool_key == "book-appointment"
    assert test.body["tool_call_parameters"]["referenced_tool"] == {"id": "book-appointment", "type": "webhook"}
    assert desired.tools["book-appointment"].tool_config["type"] == "webhook"


def test_the_webhook_token_is_a_secret_kept_in_a_workspace_secret_and_masked(desired):
    tool = desired.tools["book-appointment"]
    header = tool.tool_config["api_schema"]["request_headers"]["Authorization"]
    assert header == {"secret_id": "agentform:workspace-secret:book-appointment.Authorization"}
    assert desired.secret_values
    value = desired.workspace_secrets["book-appointment.Authorization"].value
    assert Redactor(desired.secret_values).text(value) == "Bearer (sensitive value)"


def test_staging_needs_the_webhook_token_from_the_environment(tmp_path):
    diagnostics = validate_project(REPO_ROOT, env="staging", environ=ENVIRON)
    assert [d.message for d in diagnostics] == [
        "variable CLINIC_WEBHOOK_TOKEN is not set (no environment value and no default)"
    ]
    desired = load_desired(REPO_ROOT, env="staging", environ={**ENVIRON, "CLINIC_WEBHOOK_TOKEN": "ci-secret-123"})
    assert desired.agents["clinic-receptionist"].name == "Clinic Receptionist (staging)"
    assert "ci-secret-123" in desired.secret_values
