"""A small project whose secret variable reaches every kind of field: a credential header, a URL, agent text.

`write_project(root)` lays out the files; the secret comes from the process environment (`ROTATING_TOKEN`), so a
test rotates it with `monkeypatch.setenv`. `everything_written(root)` is every byte the commands left on disk,
the emulator's workspace (SQLite) included.
"""

from __future__ import annotations

from pathlib import Path

OLD_SECRET = "canary-old-7f3a9c21e5"
NEW_SECRET = "canary-new-0b8d4e6f19"

AGENTFORM_YAML = """\
project: canary
default_environment: local
environments:
  local: {backend: emulator, emulator_db: .agentform/emulator.sqlite, prune: true}
variables:
  ROTATING_TOKEN: {secret: true}
"""

AGENT_YAML = """\
name: Canary Agent
tools: [callback]
conversation_config:
  agent:
    first_message: "Hello! Your session key is ${ROTATING_TOKEN}."
    prompt: {llm: gemini-2.5-flash, temperature: 0.3}
platform_settings:
  workspace_overrides:
    conversation_initiation_client_data_webhook:
      url: "https://hooks.example.test/init?key=${ROTATING_TOKEN}"
      request_headers: {X-Trace: "canary"}
"""

TOOL_YAML = """\
tool_config:
  type: webhook
  name: callback
  description: Call the caller back at the number they give.
  api_schema:
    url: "https://hooks.example.test/callback?sig=${ROTATING_TOKEN}"
    method: POST
    request_headers:
      Authorization: "Bearer ${ROTATING_TOKEN}"
"""

TEST_YAML = """\
kind: llm
name: Greets the caller
chat_history:
  - user: Hello
success_condition: The agent greets the caller.
success_examples: [Hello! Your session key is ready.]
failure_examples: [Go away.]
"""


def write_project(root: Path) -> Path:
    files = {
        "agentform.yaml": AGENTFORM_YAML,
        "agents/canary/agent.yaml": AGENT_YAML,
        "agents/canary/prompt.md": "You greet the caller.\n",
        "tools/callback.yaml": TOOL_YAML,
        "tests_specs/canary/greets.yaml": TEST_YAML,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def everything_written(root: Path) -> bytes:
    """Every file under `root` (plans, reports, journals, the emulator's database), concatenated."""
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())
