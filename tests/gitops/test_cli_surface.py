"""The GitOps commands on the command line: names, options, and refusals that need no workspace."""

from __future__ import annotations

from agentform import exitcodes
from agentform.cli import main


def test_the_ci_group_offers_pr_deploy_and_drift(capsys):
    assert main(["ci", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("pr", "deploy", "drift"))


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
