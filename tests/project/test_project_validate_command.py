"""`agentform validate` as users and CI see it."""

from __future__ import annotations

import io
import subprocess
import sys

from tests.project.projectkit import MINIMAL, write_project
from tests.support.example import REPO_ROOT

from agentform.cli import main
from agentform.commands import validate


def test_a_valid_project_prints_a_summary_and_exits_0(tmp_path, capsys):
    root = write_project(tmp_path)
    assert main(["validate", "-C", str(root)]) == 0
    assert capsys.readouterr().out == "Valid: 1 agent, 1 document, 1 tool, 1 test (environment local); 0 warnings.\n"


def test_errors_are_also_github_annotations_inside_github_actions(tmp_path):
    root = write_project(tmp_path, {"agents/helper/agent.yaml": MINIMAL["agents/helper/agent.yaml"] + "tag: [x]\n"})
    out = io.StringIO()

    code = validate.run(root, environ={"GITHUB_ACTIONS": "true"}, out=out)

    assert code == 1
    assert out.getvalue().splitlines() == [
        "agents/helper/agent.yaml:9:1: error: tag: unknown key 'tag' (did you mean 'tags'?)",
        "::error file=agents/helper/agent.yaml,line=9,col=1::tag: unknown key 'tag' (did you mean 'tags'?)",
        "Invalid: 1 error, 0 warnings.",
    ]


def test_no_annotations_outside_github_actions(tmp_path):
    root = write_project(tmp_path, {"agents/helper/agent.yaml": MINIMAL["agents/helper/agent.yaml"] + "tag: [x]\n"})
    out = io.StringIO()
    validate.run(root, environ={}, out=out)
    assert "::error" not in out.getvalue()


def test_validate_at_a_ref_names_the_ref_in_the_summary(tmp_path):
    import git

    root = write_project(tmp_path)
    repo = git.Repo.init(root)
    repo.git.add(A=True)
    repo.git.commit(m="init", author="T <t@example.com>")
    out = io.StringIO()
    assert validate.run(root, ref="HEAD", environ={}, out=out) == 0
    assert out.getvalue() == "Valid at HEAD: 1 agent, 1 document, 1 tool, 1 test (environment local); 0 warnings.\n"


def test_the_installed_command_validates_the_example_in_a_fresh_process():
    result = subprocess.run(
        [sys.executable, "-m", "agentform", "validate"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        result.stdout.strip().splitlines()[-1]
        == "Valid: 2 agents, 4 documents, 2 tools, 10 tests (environment local); 0 warnings."
    )


def test_annotations_name_the_file_from_the_repository_root_when_the_project_is_in_a_subfolder(tmp_path):
    agent = MINIMAL["agents/helper/agent.yaml"] + "tag: [x]\n"
    root = write_project(tmp_path / "voice-agents", {"agents/helper/agent.yaml": agent})
    out = io.StringIO()

    validate.run(root, environ={"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}, out=out)

    assert out.getvalue().splitlines()[1] == (
        "::error file=voice-agents/agents/helper/agent.yaml,line=9,col=1::tag: unknown key 'tag' (did you mean 'tags'?)"
    )
