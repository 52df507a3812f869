"""The request contract over a whole test session: every request agentform sends to any emulator is recorded
(`AGENTFORM_EMULATOR_RECORD`, set for the session, reaches in-process apps and served subprocesses alike) and judged
against ElevenLabs' OpenAPI document; the session fails if one was not an operation the document defines or did not
conform to it (method, path, query, JSON or multipart body).

The hooks are installed by tests/conftest.py, so the check covers whatever part of the suite runs. Each recorded
request is attributed to the test that was running when it was written, so a violation names its test. A test that
makes agentform send an invalid request on purpose (to test how the client reports the API's 422) says so with
`@pytest.mark.sends_invalid_requests`; its requests are not judged.
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

import pytest

from agentform.emulator.app import RECORD_ENV

# Sent by agentform's client (`agentform/<version>`); the tests' own clients send other agents.
AGENTFORM_AGENT = "agentform/"
# Operations agentform uses that the document lacks, with why they are allowed: (method, path template).
UNDOCUMENTED = {
    # The SDK 2.78.0 calls it too (`tests.invocations.cancel`); CLI 1.3.2's document has neither it nor a
    # `cancelled` run status (docs/decisions/0100).
    ("POST", "/v1/convai/test-invocations/{invocation_id}/cancel"),
    # The traffic-split history (`agentform rollout status`): in the SDK 2.78.0 (`agents.deployments.list`,
    # shared/elevenlabs-api.md 2.3), not in CLI 1.3.2's document, which has only the POST.
    ("GET", "/v1/convai/agents/{agent_id}/deployments"),
}
_STATE: dict[str, Any] = {}


EXEMPT_MARK = "sends_invalid_requests"


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", f"{EXEMPT_MARK}: agentform sends requests the API rejects, on purpose")


def pytest_sessionstart(session: Any) -> None:
    folder = tempfile.mkdtemp(prefix="agentform-contract-")
    _STATE.update(folder=folder, previous=os.environ.get(RECORD_ENV), read=0, entries=[])
    os.environ[RECORD_ENV] = str(Path(folder) / "requests.jsonl")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    yield
    exempt = item.get_closest_marker(EXEMPT_MARK) is not None
    for entry in _new_entries():
        _STATE["entries"].append({**entry, "test": item.nodeid, "exempt": exempt})


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    entries = _STATE["entries"] + [{**entry, "test": "(no test)", "exempt": False} for entry in _new_entries()]
    violations = judge([entry for entry in entries if not entry["exempt"]])
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


def _new_entries() -> list[dict[str, Any]]:
    """The record's lines written since the last call."""
    path = Path(os.environ[RECORD_ENV])
    if not path.exists():
        return []
    with path.open("rb") as record:
        record.seek(_STATE["read"])
        data = record.read()
    complete = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
    _STATE["read"] += len(complete)
    return [json.loads(line) for line in complete.decode("utf-8").splitlines() if line.strip()]


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
        by = f" (in {entry['test']})" if "test" in entry else ""
        if entry["operation"] is None:
            if not _allowed_undocumented(entry["method"], entry["path"]):
                violations.append(f"{entry['method']} {entry['path']}: not an operation of the OpenAPI document{by}")
            continue
        for problem in entry["problems"]:
            where = ".".join(str(part) for part in problem["loc"])
            violations.append(f"{entry['method']} {entry['operation']}: {where}: {problem['msg']}{by}")
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
