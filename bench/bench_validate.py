#!/usr/bin/env python
"""How fast is `agentform validate` on a large project, and how fast does `agentform --help` start?

Generates a project of N agents (default 500: each with agent.yaml, prompt.md and two test specs, plus shared
documents and tools) in a temporary folder and reports, as best-of-R wall times:

- baseline: reading every file and parsing every YAML file with ruamel.yaml (no checks at all);
- validate: `validate_project` (parse, schema, field tree keys and value types, references, variables, a
  number from a variable in every agent) in this process;
- the ratio validate / baseline (the cost of the checks over bare parsing);
- `agentform validate` and `agentform --help` as fresh processes, against `python -c pass` as the baseline.

With --pure-python the YAML is parsed without libyaml (as when ruamel.yaml.clib is not installed).

Usage: python bench/bench_validate.py [--agents 500] [--repeat 3] [--pure-python]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENT = """\
name: Agent {i}
knowledge: [doc-{d1}, {{key: doc-{d2}, usage_mode: auto}}]
tools: [tool-{t}]
tags: [bench, group-{g}]
conversation_config:
  agent:
    first_message: "Hello, this is agent {i}. How can I help?"
    language: en
    prompt: {{llm: gpt-4o-mini, temperature: 0.3, max_tokens: 300}}
  tts: {{voice_id: "${{VOICE_ID}}", model_id: eleven_flash_v2_5, stability: 0.5}}
  turn: {{turn_timeout: "${{TURN_TIMEOUT}}", turn_eagerness: normal}}
  conversation: {{max_duration_seconds: 600}}
platform_settings:
  call_limits: {{agent_concurrency_limit: 5, daily_limit: 1000}}
  privacy: {{retention_days: 30}}
  data_collection:
    order_number: {{type: string, description: The order number.}}
environments:
  production:
    name: Agent {i} (production)
"""
TEST_LLM = """\
kind: llm
chat_history:
  - user: When are you open?
success_condition: 'Mentions "nine"'
success_examples: [We open at nine in the morning.]
failure_examples: [I do not know.]
"""
TEST_TOOL = """\
kind: tool
chat_history:
  - agent: Hello!
  - user: Please look up my order 4711.
tool: tool-{t}
tool_call_parameters:
  parameters:
    - {{path: order_number, eval: {{type: exact, expected_value: "4711"}}}}
"""
TOOL = """\
tool_config:
  type: webhook
  name: tool_{t}
  description: Looks up an order by its number.
  api_schema:
    url: https://example.com/orders/{t}
    method: POST
    request_headers: {{Authorization: "Bearer ${{TOKEN}}"}}
    request_body_schema:
      type: object
      required: [order_number]
      properties:
        order_number: {{type: string, description: The order number.}}
"""
CONFIG = """\
project: bench
default_environment: local
environments:
  local: {backend: emulator}
  production: {backend: api}
variables:
  VOICE_ID: {default: 21m00Tcm4TlvDq8ikWAM}
  TURN_TIMEOUT: {default: "7"}
  TOKEN: {default: bench-token, secret: true}
"""


def generate(root: Path, agents: int) -> int:
    # Two documents at least: each agent lists two different ones.
    documents, tools = max(2, agents // 10), max(1, agents // 25)
    files = {"agentform.yaml": CONFIG}
    for d in range(documents):
        files[f"knowledge/doc-{d}.md"] = f"# Document {d}\n\nWe open at nine in the morning.\n" * 20
    for t in range(tools):
        files[f"tools/tool-{t}.yaml"] = TOOL.format(t=t)
    for i in range(agents):
        t = i % tools
        files[f"agents/agent-{i}/agent.yaml"] = AGENT.format(
            i=i, d1=i % documents, d2=(i + 1) % documents, t=t, g=i % 7
        )
        files[f"agents/agent-{i}/prompt.md"] = f"You are agent {i}. Answer briefly and politely.\n" * 10
        files[f"tests_specs/agent-{i}/hours.yaml"] = TEST_LLM
        files[f"tests_specs/agent-{i}/lookup.yaml"] = TEST_TOOL.format(t=t)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return len(files)


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline_parse(root: Path) -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".yaml":
                yaml.load(data.decode())


def process(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pure-python", action="store_true", help="parse YAML without libyaml (in process only)")
    args = parser.parse_args()

    from agentform.project import validate_project
    from agentform.project.yamlio import use_pure_python

    use_pure_python(args.pure_python)

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        count = generate(root, args.agents)
        diagnostics = validate_project(root, environ={})
        assert not diagnostics, [str(d) for d in diagnostics[:5]]

        parse = best(lambda: baseline_parse(root), args.repeat)
        validate = best(lambda: validate_project(root, environ={}), args.repeat)
        python = min(process([sys.executable, "-c", "pass"], root) for _ in range(args.repeat))
        cli_validate = min(process([sys.executable, "-m", "agentform", "validate"], root) for _ in range(args.repeat))
        cli_help = min(process([sys.executable, "-m", "agentform", "--help"], root) for _ in range(args.repeat))

    parser_kind = "pure-Python YAML parser" if args.pure_python else "libyaml when installed"
    print(f"project: {args.agents} agents, {count} files (best of {args.repeat}; {parser_kind})")
    print(f"baseline  read + YAML-parse every file   {parse:7.3f} s")
    print(f"validate  validate_project (in process)  {validate:7.3f} s   ratio {validate / parse:5.2f}x baseline")
    print(f"baseline  python -c pass                 {python:7.3f} s")
    print(
        f"process   agentform validate             {cli_validate:7.3f} s   ratio {cli_validate / python:5.1f}x python"
    )
    print(f"process   agentform --help               {cli_help:7.3f} s   ratio {cli_help / python:5.1f}x python")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
