"""The conventions a Terraform user expects of the command line: colours on a terminal (and none with NO_COLOR), a
saved plan applied without a second question, the test summary's real wall time, one `format_version` scheme across
every `--json` output, and shell completion. The commands run in-process on a copy of the example project, against
the in-process emulator of its `local` environment."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.support.example import copy_example

from agentform import exitcodes
from agentform.cli import main
from agentform.commands import apply as apply_command
from agentform.commands import conversations as conversations_command
from agentform.commands import plan as plan_command
from agentform.commands import test as test_command
from agentform.commands import validate as validate_command

COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m")
FORMAT_VERSION = re.compile(r"^\d+\.\d+$")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return copy_example(tmp_path / "project")


@pytest.fixture
def applied(project: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    capsys.readouterr()
    return project


def test_a_plan_on_a_terminal_is_coloured_by_its_symbols(project, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # what rich sees as a terminal
    assert plan_command.run(project_dir=project) == exitcodes.OK
    out = capsys.readouterr().out
    assert "\x1b[32m+ agent.clinic-receptionist" in out  # creates are green


def test_no_color_turns_the_colours_off_even_on_a_terminal(project, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert plan_command.run(project_dir=project) == exitcodes.OK
    out = capsys.readouterr().out
    assert "+ agent.clinic-receptionist" in out and not COLOUR.search(out)


def test_a_plan_that_is_not_on_a_terminal_has_no_escape_codes(project, capsys):
    assert plan_command.run(project_dir=project) == exitcodes.OK
    assert "\x1b[" not in capsys.readouterr().out


def test_applying_a_saved_plan_does_not_ask_again_even_without_a_terminal(project, capsys, tmp_path):
    saved = tmp_path / "plan.json"
    assert plan_command.run(project_dir=project, out=saved) == exitcodes.OK
    capsys.readouterr()
    assert apply_command.run(plan_file=saved, project_dir=project, is_terminal=False) == exitcodes.OK
    out = capsys.readouterr().out
    assert "Apply complete!" in out and "Apply these changes" not in out


def test_the_test_summary_shows_the_wall_time_of_the_whole_command(applied, capsys, monkeypatch):
    # The command's clock: started before the project is loaded, read once the report is complete.
    clock = iter([100.0, 107.5])
    monkeypatch.setattr(test_command, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    assert test_command.run(project_dir=applied, select=["support-agent"]) == exitcodes.OK
    assert capsys.readouterr().out.rstrip().endswith("(5 total) in 7.5s.")


def _json_outputs(project: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    outputs = {}
    for name, run in {
        "validate": lambda: validate_command.run(project, as_json=True),
        "plan": lambda: plan_command.run(project_dir=project, as_json=True),
        "test": lambda: test_command.run(project_dir=project, select=["support-agent"], as_json=True),
        "conversations list": lambda: conversations_command.list_recent(project_dir=project, as_json=True),
    }.items():
        run()
        outputs[name] = json.loads(capsys.readouterr().out)
    return outputs


def test_every_json_output_starts_with_a_major_minor_format_version(applied, capsys):
    for name, document in _json_outputs(applied, capsys).items():
        assert next(iter(document)) == "format_version", name
        assert FORMAT_VERSION.match(document["format_version"]), name


def test_validate_json_lists_every_diagnostic_with_its_place(project, capsys):
    prompt = project / "agents/clinic-receptionist/agent.yaml"
    prompt.write_text(prompt.read_text().replace("temperature:", "temprature:"))
    assert validate_command.run(project, as_json=True) == exitcodes.ERROR
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is False and document["errors"] >= 1 and document["resources"] is None
    [typo] = [d for d in document["diagnostics"] if "temprature" in d["field"]]
    assert typo["file"] == "agents/clinic-receptionist/agent.yaml" and typo["line"] > 1 and typo["column"] > 1
    assert typo["severity"] == "error" and "temperature" in typo["message"]


def test_validate_json_of_a_valid_project_counts_its_resources(project, capsys):
    assert validate_command.run(project, as_json=True) == exitcodes.OK
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is True and document["environment"] == "local"
    assert document["resources"] == {"agents": 2, "documents": 4, "tools": 2, "tests": 10}


def test_shell_completion_completes_command_names(capsys, monkeypatch):
    monkeypatch.setenv("_AGENTFORM_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "agentform pl")
    monkeypatch.setenv("COMP_CWORD", "1")
    main([])
    assert "plain,plan" in capsys.readouterr().out.splitlines()
