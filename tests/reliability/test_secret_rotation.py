"""A rotated secret never shows: not the value applied before (read back from the live workspace), not the new one.

The canary project (`project.py`) puts one secret variable into a credential header, a URL and agent text. It is
applied with one value, then the variable changes and every output of plan and apply is collected: text, JSON,
markdown, the saved plan, the journal, and the state record kept in the workspace.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.apply.helpers import in_process_client
from tests.reliability.project import NEW_SECRET, OLD_SECRET, everything_written, write_project

from agentform import exitcodes
from agentform.commands import apply as apply_command
from agentform.commands import plan as plan_command
from agentform.commands import test as test_command
from agentform.emulator import create_app
from agentform.state.model import STATE_DOCUMENT_NAME

CANARIES = (OLD_SECRET, NEW_SECRET)


def leaked(text: str | bytes) -> list[str]:
    haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [canary for canary in CANARIES if canary.lower() in haystack.lower()]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    monkeypatch.setenv("ROTATING_TOKEN", OLD_SECRET)
    return write_project(tmp_path / "project")


def state_record_text(project: Path) -> str:
    async def read() -> str:
        app = create_app(str(project / ".agentform" / "emulator.sqlite"))
        async with in_process_client(app) as client:
            found = await client.list_documents(types=["text"], search=STATE_DOCUMENT_NAME)
            return "".join([await client.get_document_content(item["id"]) for item in found])

    return asyncio.run(read())


def test_a_rotated_secret_appears_in_no_output_and_not_in_the_state_record(project, capsys, monkeypatch, tmp_path):
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    record = state_record_text(project)
    assert record and leaked(record) == []
    monkeypatch.setenv("ROTATING_TOKEN", NEW_SECRET)
    saved = tmp_path / "out" / "plan.json"
    saved.parent.mkdir()
    assert plan_command.run(project_dir=project, detailed_exitcode=True) == exitcodes.CHANGES
    assert plan_command.run(project_dir=project, as_json=True) == exitcodes.OK
    assert plan_command.run(project_dir=project, as_markdown=True) == exitcodes.OK
    assert plan_command.run(project_dir=project, out=saved) == exitcodes.OK
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    captured = capsys.readouterr()
    assert "(sensitive value)" in captured.out, "the changed fields are shown, masked"
    assert leaked(captured.out + captured.err) == []
    assert leaked(saved.read_bytes()) == []
    written = [p for p in project.rglob("*") if p.is_file() and ".sqlite" not in p.name]
    assert written and leaked(b"".join(p.read_bytes() for p in written)) == []
    assert leaked(state_record_text(project)) == []
    assert plan_command.run(project_dir=project, detailed_exitcode=True) == exitcodes.OK, "converged"


def test_test_reports_mask_a_secret_the_agent_says_in_its_reply(project, capsys, tmp_path):
    # The stand-in agent replies with its first message, which holds the secret: JUnit, markdown, JSON and the
    # text report all carry the reply.
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    junit, markdown = tmp_path / "junit.xml", tmp_path / "report.md"
    code = test_command.run(project_dir=project, junit=junit, markdown=markdown, as_json=True)
    assert code in (exitcodes.OK, exitcodes.TESTS_FAILED)
    captured = capsys.readouterr()
    assert "session key is" in captured.out, "the reply is in the report"
    assert leaked(captured.out + captured.err + junit.read_text() + markdown.read_text()) == []


def test_the_everything_written_helper_does_see_a_canary(project):
    # The grep above proves nothing if the canary could never be found: the workspace does hold the live value.
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    assert OLD_SECRET in leaked(everything_written(project))


def test_a_rotation_read_back_from_the_live_agent_is_a_file_change_not_drift(project, capsys, monkeypatch):
    # --refresh-all reads the agent, so the record's token for the old value meets the old value itself: it must
    # match it by digest (otherwise the rotation would look like a dashboard edit colliding with a file change).
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    monkeypatch.setenv("ROTATING_TOKEN", NEW_SECRET)
    capsys.readouterr()
    assert plan_command.run(project_dir=project, as_json=True, refresh_all=True) == exitcodes.OK
    plan = json.loads(capsys.readouterr().out)
    agent = next(change for change in plan["changes"] if change["address"] == "agent.canary")
    assert (agent["action"], agent["drift"], agent["conflict"]) == ("update", False, False)
    assert leaked(json.dumps(plan)) == []
