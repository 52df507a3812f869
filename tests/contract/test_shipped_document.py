"""The OpenAPI document shipped in the package: whole (every reference resolves), sourced, repaired in the open,
and read only when something validates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources

from agentform.openapi import load_document
from agentform.openapi.document import DATA_FILE


def _data() -> dict:
    return json.loads(resources.files("agentform").joinpath(DATA_FILE).read_text("utf-8"))


def test_every_reference_in_the_shipped_document_resolves():
    data = _data()
    references = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(data)))

    assert references and references <= set(data["schemas"])


def test_the_source_and_every_repaired_reference_are_recorded():
    data = _data()

    assert data["source"].startswith("@elevenlabs/cli-linux-x64 1.3.2")
    assert re.fullmatch(r"[0-9a-f]{64}", data["sha256"])
    assert data["repaired_references"] == {
        "DynamicVariablesConfig-Input": "DynamicVariablesConfig",
        "DynamicVariablesConfig-Output": "DynamicVariablesConfig",
    }
    assert all(target in data["schemas"] for target in data["repaired_references"].values())


def test_only_the_convai_paths_are_shipped_and_operations_are_found_by_path():
    document = load_document()

    assert {op.template.split("/")[2] for op in document.operations} == {"convai"}
    assert document.find("POST", "/v1/convai/agents/create").template == "/v1/convai/agents/create"
    assert document.find("GET", "/v1/convai/agents/agent_1").template == "/v1/convai/agents/{agent_id}"
    assert document.find("POST", "/v1/convai/agents/agent_1/teleport") is None


def test_starting_the_cli_does_not_read_the_document():
    code = "import sys, agentform.cli; print('agentform.openapi' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
