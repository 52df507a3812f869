"""The GitOps commands on the command line: names, options, and refusals that need no workspace."""

from __future__ import annotations

import io

from agentform import exitcodes
from agentform.cli import main


def test_the_ci_group_offers_pr_deploy_and_drift(capsys):
    assert main(["ci", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("pr", "deploy", "drift"))


def test_ci_pr_can_be_told_that_the_pr_closed_for_branches_left_behind(capsys):
    assert main(["ci", "pr", "--help"]) == 0
    assert "--closed" in capsys.readouterr().out


def test_rollback_and_force_unlock_are_top_level_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "rollback" in out and "force-unlock" in out
    assert main(["rollback", "--help"]) == 0
    assert "--to-version" in capsys.readouterr().out


def test_rollback_needs_exactly_one_target(capsys, tmp_path):
    assert main(["rollback", "-C", str(tmp_path), "--auto-approve"]) == exitcodes.ERROR
    args = ["rollback", "-C", str(tmp_path), "--to-version", "v", "--to-ref", "HEAD", "--auto-approve"]
    assert main(args) == exitcodes.ERROR
    assert "exactly one of --to-version" in capsys.readouterr().err


def test_a_broken_event_file_is_an_error_naming_it(capsys, tmp_path, monkeypatch):
    event = tmp_path / "event.json"
    event.write_text("{")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert main(["ci", "pr", "-C", str(tmp_path)]) == exitcodes.ERROR
    assert "event.json" in capsys.readouterr().err


def test_rollback_outside_a_terminal_without_auto_approve_refuses_before_reading_anything(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal, even under `pytest -s`
    # No agentform.yaml here: the refusal comes first, so the message is about confirming, not about the files.
    assert main(["rollback", "-C", str(tmp_path), "--to-version", "agtvrsn_1"]) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert "pass --auto-approve to roll back" in err
    assert "agentform.yaml" not in err


def test_rollback_of_a_project_that_does_not_load_reports_its_diagnostics_and_sends_nothing(capsys, tmp_path):
    assert main(["rollback", "-C", str(tmp_path), "--to-version", "agtvrsn_1", "--auto-approve"]) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert "agentform.yaml:1:1: error: no agentform.yaml" in err
    assert "1 error(s): nothing was sent to the API." in err
