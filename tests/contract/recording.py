"""The request contract over a whole test session: every request agentform sends to any emulator is recorded
(`AGENTFORM_EMULATOR_RECORD`, set for the session, reaches in-process apps and served subprocesses alike) and judged
against ElevenLabs' OpenAPI document; the session fails if one was not an operation the document defines or did not
conform to it (method, path, query, JSON or multipart body).

The hooks are installed by tests/conftest.py, so the check covers whatever part of the suite runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from agentform.emulator.app import RECORD_ENV

# Sent by agentform's client (`agentform/<version>`); the tests' own clients send other agents.
AGENTFORM_AGENT = "agentform/"
# Operations agentform uses that the document lacks, with why they are allowed: (method, path template).
UNDOCUMENTED = {
    # The SDK 2.78.0 calls it too (`tests.invocations.cancel`); CLI 1.3.2's document has neither it nor a
    # `cancelled` run status (docs/decisions/0100).
    ("POST", "/v1/convai/test-invocations/{invocation_id}/cancel"),
}
_STATE: dict[str, Any] = {}


def pytest_sessionstart(session: Any) -> None:
    folder = tempfile.mkdtemp(prefix="agentform-contract-")
    _STATE["folder"] = folder
    _STATE["previous"] = os.environ.get(RECORD_ENV)
    os.environ[RECORD_ENV] = str(Path(folder) / "requests.jsonl")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    record = Path(os.environ[RECORD_ENV])
    entries = read_record(record)
    violations = judge(entries)
    _STATE["summary"] = summary(entries, violations)
    if violations:
        _STATE["violations"] = violations
        session.exitstatus = 1
    if _STATE["previous"] is None:
        os.environ.pop(RECORD_ENV, None)
    else:
        os.environ[RECORD_ENV] = _STATE["previous"]
    shutil.rmtree(_STATE["folder"], ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "summary" in _STATE:
        terminalreporter.write_line(_STATE["summary"])
    for line in _STATE.get("violations", [])[:50]:
        terminalreporter.write_line(f"  request contract violated: {line}", red=True)


def read_record(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def judge(entries: list[dict[str, Any]]) -> list[str]:
    """One line per request agentform sent that the document does not define or that does not conform to it."""
    violations = []
    for entry in entries:
        if not entry["user_agent"].startswith(AGENTFORM_AGENT):
            continue
        if entry["operation"] is None:
            if not _allowed_undocumented(entry["method"], entry["path"]):
                violations.append(f"{entry['method']} {entry['path']}: not an operation of the OpenAPI document")
            continue
        for problem in entry["problems"]:
            where = ".".join(str(part) for part in problem["loc"])
            violations.append(f"{entry['method']} {entry['operation']}: {where}: {problem['msg']}")
    return violations


def summary(entries: list[dict[str, Any]], violations: list[str]) -> str:
    sent = [e for e in entries if e["user_agent"].startswith(AGENTFORM_AGENT)]
    operations = Counter((e["method"], e["operation"]) for e in sent if e["operation"])
    verdict = f"{len(violations)} violations" if violations else "all conform"
    return (
        f"request contract: {len(sent)} requests agentform sent, over {len(operations)} operations of the "
        f"OpenAPI document: {verdict}"
    )


def _allowed_undocumented(method: str, path: str) -> bool:
    return any(
        method == allowed and re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path)
        for allowed, template in UNDOCUMENTED
    )
