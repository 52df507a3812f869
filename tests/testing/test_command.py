"""`agentform test` argument and input handling that needs no live workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentform import exitcodes
from agentform.cli import main


@pytest.fixture
def project(example_project: Path) -> Path:
    return example_project


def test_branch_and_ref_exclude_each_other(project, capsys):
    assert main(["test", "-C", str(project), "--branch", "pr-1", "--ref", "HEAD"]) == exitcodes.ERROR
    assert "choose one" in capsys.readouterr().err


def test_a_broken_spec_is_reported_with_file_and_line_and_nothing_runs(project, capsys):
    spec = project / "tests_specs/clinic-receptionist/address.yaml"
    spec.write_text(spec.read_text().replace("success_condition:", "success_conditon:"))
    assert main(["test", "-C", str(project)]) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert "tests_specs/clinic-receptionist/address.yaml:" in err and "success_conditon" in err
    assert "nothing was sent" in err
    assert not (project / ".agentform" / "emulator.sqlite").exists()


def test_a_test_glob_matching_nothing_is_an_error_a_project_without_tests_is_not(project, tmp_path, capsys):
    junit = tmp_path / "junit.xml"
    assert main(["test", "-C", str(project), "--test", "no-such-test", "--junit", str(junit)]) == exitcodes.ERROR
    assert "--test 'no-such-test' matches no test" in capsys.readouterr().err
    shutil.rmtree(project / "tests_specs")
    assert main(["test", "-C", str(project), "--junit", str(junit)]) == exitcodes.OK
    assert "No test matched" in capsys.readouterr().err
    assert 'tests="0"' in junit.read_text()


def test_the_markdown_summary_is_appended_to_the_actions_step_summary(project, tmp_path, monkeypatch):
    summary = tmp_path / "step-summary.md"
    summary.write_text("## plan\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    shutil.rmtree(project / "tests_specs")
    assert main(["test", "-C", str(project), "--markdown", str(summary)]) == exitcodes.OK
    text = summary.read_text()
    assert text.startswith("## plan\n### ") and "agentform test" in text
    other = tmp_path / "comment.md"
    other.write_text("old\n")
    assert main(["test", "-C", str(project), "--markdown", str(other)]) == exitcodes.OK
    assert not other.read_text().startswith("old")
