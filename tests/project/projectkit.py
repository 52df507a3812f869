"""Builds small projects on disk for the project-loading tests (copies of the example: tests.support.example)."""

from __future__ import annotations

import hashlib
from pathlib import Path

# A small valid project: one agent with a prompt, a document, a webhook tool with a secret header, one test.
MINIMAL: dict[str, str | bytes] = {
    "agentform.yaml": """\
project: demo
default_environment: local
environments:
  local:
    backend: emulator
  production:
    backend: api
    api_key_env: DEMO_API_KEY
variables:
  TOKEN:
    secret: true
    default: s3cr3t-token-value
""",
    "agents/helper/agent.yaml": """\
name: Helper
knowledge: [faq]
tools: [lookup]
conversation_config:
  agent:
    first_message: Hello there
    prompt:
      llm: gpt-4o-mini
""",
    "agents/helper/prompt.md": "You help people with opening hours.\n",
    "knowledge/faq.md": "# FAQ\nWe open at nine.\n",
    "tools/lookup.yaml": """\
tool_config:
  type: webhook
  name: lookup
  description: Looks up opening hours.
  api_schema:
    url: https://example.com/lookup
    request_headers:
      Authorization: Bearer ${TOKEN}
""",
    "tests_specs/helper/hours.yaml": """\
kind: llm
chat_history:
  - user: When do you open?
success_condition: 'Says "nine"'
success_examples: [We open at nine.]
""",
}


def write_project(root: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """Write MINIMAL with `changes` applied (None deletes a file) under `root`; returns `root`."""
    files = {**MINIMAL, **(changes or {})}
    for relative, content in files.items():
        if content is None:
            continue
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root (symlinks by target) with a content hash: to prove a command changed nothing."""
    state = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[relative] = "-> " + str(path.readlink())
        elif path.is_file():
            state[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[relative] = "dir"
    return state
