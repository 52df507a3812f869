"""`agentform plan` / `agentform apply` end to end on the example project (the "done when" of issue 4).

The commands run as `commands.<name>.run(...)`: against the in-process emulator of the `local` environment (state
in the project's SQLite file) and against a real emulator server on loopback (`ELEVENLABS_BASE_URL`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.apply.helpers import request_log, write_requests
from tests.support.emulator_server import running_emulator

from agentform import exitcodes
from agentform.commands import apply as apply_command
from agentform.commands import plan as plan_command
from agentform.emulator import create_app


@pytest.fixture
def project(example_project: Path) -> Path:
    """A copy of the example project (the root conftest keeps the caller's ELEVENLABS_* variables out)."""
    return example_project


def local_log(project: Path, since: int = 0) -> list[dict]:
    """The request log of the `local` environment's emulator (kept in its SQLite file)."""
    app = create_app(str(project / ".agentform" / "emulator.sqlite"))
    return asyncio.run(request_log(app, since))


def plan_json(project: Path, capsys: pytest.CaptureFixture[str], **options) -> tuple[int, dict]:
    code = plan_command.run(project_dir=project, as_json=True, **options)
    return code, json.loads(capsys.readouterr().out)


def desired_count(project: Path) -> int:
    from agentform.project import load_desired

    want = load_desired(project)
    return len(want.agents) + len(want.documents) + len(want.tools) + len(want.tests) + len(want.workspace_secrets)


def test_plan_shows_the_full_creation_of_the_example_project(project, capsys):
    code, plan = plan_json(project, capsys, detailed_exitcode=True)
    assert code == exitcodes.CHANGES
    creates = [change for change in plan["changes"] if change["action"] == "create"]
    assert len(creates) == desired_count(project) > 0
    assert write_requests(local_log(project)) == []


def test_apply_creates_everything_then_plan_is_empty_and_a_second_apply_writes_nothing(project, capsys):
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    assert "Apply complete!" in capsys.readouterr().out
    code, plan = plan_json(project, capsys, detailed_exitcode=True)
    assert code == exitcodes.OK
    assert [c["address"] for c in plan["changes"] if c["action"] != "no-op" and not c.get("blocked")] == []

    mark = local_log(project)[-1]["seq"]
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    second = local_log(project, since=mark)
    assert second and write_requests(second) == []
    journals = list((project / ".agentform" / "journal").glob("local-*.jsonl"))
    assert len(journals) == 1, "only the apply that changed something keeps a journal"
    steps = [json.loads(line) for line in journals[0].read_text().splitlines()]
    assert {step["outcome"] for step in steps} == {"ok"}
    assert sum(1 for step in steps if step["action"] == "create") == desired_count(project)


def test_apply_over_a_real_loopback_server_converges_too(project, capsys, monkeypatch):
    with running_emulator() as base_url:
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
        assert plan_command.run(project_dir=project, detailed_exitcode=True) == exitcodes.OK
        import httpx

        from agentform.emulator.app import DEV_API_KEY

        log = httpx.get(f"{base_url}/_emulator/requests", headers={"xi-api-key": DEV_API_KEY}).json()["requests"]
        assert write_requests(log), "the first apply wrote over HTTP"
    assert not (project / ".agentform" / "emulator.sqlite").exists(), "nothing went to the in-process emulator"


def test_bad_input_names_the_file_and_line_exits_1_and_sends_nothing(project, capsys):
    agent_file = next((project / "agents").glob("*/agent.yaml"))
    agent_file.write_text(agent_file.read_text() + "\nconversation_config: [this is not a mapping\n")
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert agent_file.relative_to(project).as_posix() in err and "nothing was sent" in err
    assert not (project / ".agentform" / "emulator.sqlite").exists()


def test_apply_without_a_terminal_refuses_unless_auto_approved(project, capsys):
    assert apply_command.run(project_dir=project, is_terminal=False) == exitcodes.ERROR
    assert "--auto-approve" in capsys.readouterr().err
    assert not (project / ".agentform" / "emulator.sqlite").exists()


def test_a_saved_plan_applies_once_and_is_stale_after_the_workspace_moved(project, capsys, tmp_path):
    saved = tmp_path / "plan.json"
    assert plan_command.run(project_dir=project, out=saved) == exitcodes.OK
    assert apply_command.run(plan_file=saved, project_dir=project, auto_approve=True) == exitcodes.OK
    capsys.readouterr()
    assert apply_command.run(plan_file=saved, project_dir=project, auto_approve=True) == exitcodes.STALE_OR_CONFLICT
    assert "stale" in capsys.readouterr().err


def test_secrets_never_appear_in_the_plan_the_json_or_the_journal(project, capsys):
    secret = "local-development-token"
    assert secret in (project / "agentform.yaml").read_text(), "the example declares a secret variable"
    assert plan_command.run(project_dir=project) == exitcodes.OK
    assert plan_command.run(project_dir=project, as_json=True) == exitcodes.OK
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err
    journal = next((project / ".agentform" / "journal").glob("*.jsonl")).read_text()
    assert secret not in journal


def test_in_a_terminal_apply_asks_and_a_no_sends_nothing(project, capsys, monkeypatch):
    asked = []
    monkeypatch.setattr("click.confirm", lambda text, default=False: asked.append(text) or False)
    assert apply_command.run(project_dir=project, is_terminal=True) == exitcodes.ERROR
    assert asked and "example-voice-agents/local" in asked[0]
    assert "cancelled" in capsys.readouterr().out
    assert write_requests(local_log(project)) == []


def test_a_failed_apply_prints_the_journal_and_a_rerun_finishes(project, capsys, monkeypatch):
    import httpx
    from tests.support.emulator_server import serving

    from agentform.emulator.app import DEV_API_KEY

    app = create_app(":memory:")
    with serving(app) as base_url:
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        admin = httpx.Client(base_url=base_url, headers={"xi-api-key": DEV_API_KEY})
        fault = {"kind": "status", "status": 400, "method": "POST", "path": "/v1/convai/agents/create"}
        admin.post("/_emulator/faults", json=fault).raise_for_status()
        assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.ERROR
        err = capsys.readouterr().err
        assert "Apply failed" in err and "failed  create   agent." in err and "ok      create   document." in err
        admin.delete("/_emulator/faults").raise_for_status()
        assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
        assert plan_command.run(project_dir=project, detailed_exitcode=True) == exitcodes.OK
