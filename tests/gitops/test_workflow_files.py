"""The GitHub workflow files agentform ships are schema-valid and follow least privilege."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from tests.gitops.world import ACTION, action_script

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src" / "agentform" / "templates" / "github" / "workflows"
OWN_WORKFLOWS = ROOT / ".github" / "workflows"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")

ALL_WORKFLOWS = sorted(TEMPLATES.glob("*.yml")) + sorted(OWN_WORKFLOWS.glob("*.yml"))


def _load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def _check(schema: str, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True
    )


def test_every_workflow_file_is_valid_against_the_github_workflow_schema():
    assert {path.name for path in TEMPLATES.glob("*.yml")} == {
        "agentform-pr.yml",
        "agentform-deploy.yml",
        "agentform-drift.yml",
        "agentform-rollout.yml",
    }
    result = _check("vendor.github-workflows", ALL_WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_composite_action_is_valid_against_the_github_action_schema():
    result = _check("vendor.github-actions", [ACTION])
    assert result.returncode == 0, result.stdout + result.stderr
    assert _load(ACTION)["runs"]["using"] == "composite"


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert _check("vendor.github-workflows", [broken]).returncode != 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("agentform-pr.yml", {"contents": "read", "pull-requests": "write", "statuses": "write"}),
        (
            "agentform-deploy.yml",
            {"contents": "read", "statuses": "write", "pull-requests": "write", "issues": "write"},
        ),
        ("agentform-drift.yml", {"contents": "read", "issues": "write"}),
    ],
)
def test_workflows_ask_for_the_least_permissions_they_need(name, expected):
    for folder in (TEMPLATES, OWN_WORKFLOWS):
        assert _load(folder / name)["permissions"] == expected, folder / name


def test_pr_runs_are_grouped_per_pull_request_and_deploys_never_cancel_each_other():
    for folder in (TEMPLATES, OWN_WORKFLOWS):
        pr = _load(folder / "agentform-pr.yml")["concurrency"]
        assert "github.event.pull_request.number" in pr["group"]
        deploy = _load(folder / "agentform-deploy.yml")["concurrency"]
        assert deploy["cancel-in-progress"] is False


def test_the_project_ci_workflow_runs_the_ci_script():
    steps = _load(OWN_WORKFLOWS / "ci.yml")["jobs"]["test"]["steps"]
    assert any(step.get("run") == "bash .ci/run" for step in steps)


def test_secrets_reach_commands_only_through_env_never_inline_in_scripts():
    for path in [*ALL_WORKFLOWS, ACTION]:
        text = path.read_text()
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("run:") and "${{" in stripped:
                pytest.fail(f"{path.name}: expression expanded inside a script: {stripped}")


def test_the_rollout_workflow_comments_on_pull_requests_and_never_cancels_a_run_in_progress():
    # Not in this repository's own workflows: its example project declares no rollout policy.
    workflow = _load(TEMPLATES / "agentform-rollout.yml")
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_init_writes_the_pr_deploy_drift_and_rollout_workflows_but_not_the_projects_own_ci():
    from agentform.commands.init import scaffold

    files = scaffold("demo")
    written = {path for path in files if path.startswith(".github/")}
    assert written == {
        ".github/workflows/agentform-pr.yml",
        ".github/workflows/agentform-deploy.yml",
        ".github/workflows/agentform-drift.yml",
        ".github/workflows/agentform-rollout.yml",
    }
    assert files[".github/workflows/agentform-pr.yml"] == (TEMPLATES / "agentform-pr.yml").read_text().replace(
        "__AGENTFORM_INSTALL__", ""
    )


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            {"AGENTFORM_COMMAND": "pr", "AGENTFORM_ENV": "production", "AGENTFORM_ARGS": ""},
            ["ci", "pr", "--project-dir", "proj dir", "--env", "production", "--report-dir", "/tmp/r"],
        ),
        (
            {"AGENTFORM_COMMAND": "drift", "AGENTFORM_ENV": "", "AGENTFORM_ARGS": "--issue"},
            ["ci", "drift", "--project-dir", "proj dir", "--report-dir", "/tmp/r", "--issue"],
        ),
        (
            # A hostile input stays one argument: nothing from inputs is evaluated by the shell.
            {"AGENTFORM_COMMAND": "pr", "AGENTFORM_ENV": "$(touch pwned)", "AGENTFORM_ARGS": ""},
            ["ci", "pr", "--project-dir", "proj dir", "--env", "$(touch pwned)", "--report-dir", "/tmp/r"],
        ),
    ],
)
def test_the_composite_action_passes_its_inputs_to_agentform_as_arguments(tmp_path, inputs, expected):
    fake = tmp_path / "bin" / "agentform"
    fake.parent.mkdir()
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    fake.chmod(0o755)
    env = {
        "PATH": f"{fake.parent}:/usr/bin:/bin",
        "ARGS_FILE": str(tmp_path / "args"),
        "AGENTFORM_PROJECT_DIR": "proj dir",
        "AGENTFORM_REPORT_DIR": "/tmp/r",
        **inputs,
    }
    result = subprocess.run(["bash", "-c", action_script()], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "args").read_text().splitlines() == expected
    assert not (tmp_path / "pwned").exists()


def test_the_pr_workflow_also_runs_when_a_pr_closes_but_skips_merged_ones():
    for folder in (TEMPLATES, OWN_WORKFLOWS):
        workflow = _load(folder / "agentform-pr.yml")
        assert set(workflow["on"]["pull_request"]["types"]) == {
            "opened",
            "synchronize",
            "reopened",
            "ready_for_review",
            "closed",
        }
        (job,) = workflow["jobs"].values()
        # A merged PR's branches are the deploy's: no runner is started for its close.
        assert job["if"] == "github.event.action != 'closed' || !github.event.pull_request.merged"


def test_the_pr_workflow_has_no_paths_filter_and_runs_in_merge_queues():
    for folder in (TEMPLATES, OWN_WORKFLOWS):
        triggers = _load(folder / "agentform-pr.yml")["on"]
        assert "paths" not in triggers["pull_request"], "a required check must report on every PR"
        assert triggers["merge_group"] == {"types": ["checks_requested"]}


def test_checks_and_drift_take_the_key_from_the_checks_environment_and_deploys_from_the_deploy_environment():
    checks = "${{ vars.AGENTFORM_CHECK_ENVIRONMENT || format('{0}-checks', vars.AGENTFORM_ENV || 'production') }}"
    for name in ("agentform-pr.yml", "agentform-drift.yml"):
        (job,) = _load(TEMPLATES / name)["jobs"].values()
        assert job["environment"] == checks, name
    (deploy,) = _load(TEMPLATES / "agentform-deploy.yml")["jobs"].values()
    assert deploy["environment"] == "${{ vars.AGENTFORM_ENV || 'production' }}"


def _install_script(path: Path) -> str:
    steps = [step for job in _load(path)["jobs"].values() for step in job["steps"]]
    return next(step["run"] for step in steps if "pip install" in step.get("run", ""))


def _run_install(tmp_path: Path, script: str, spec: str) -> subprocess.CompletedProcess:
    """The install step's script with a stand-in `python` that records what pip was asked to install."""
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$RUNNER_TEMP/args"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}:/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path), "AGENTFORM_INSTALL": spec}
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("name", ["agentform-pr.yml", "agentform-deploy.yml", "agentform-drift.yml"])
def test_without_a_pinned_spec_the_install_step_fails_saying_how_to_set_one(tmp_path, name):
    result = _run_install(tmp_path, _install_script(TEMPLATES / name), "")
    assert result.returncode == 1
    assert "::error title=agentform is not pinned::" in result.stdout and "AGENTFORM_INSTALL" in result.stdout
    assert not (tmp_path / "args").exists(), "pip never ran"


def test_the_install_step_installs_exactly_the_spec_as_requirement_lines(tmp_path):
    spec = "agentform==0.1.0 \\\n    --hash=sha256:" + "ab" * 32
    result = _run_install(tmp_path, _install_script(TEMPLATES / "agentform-pr.yml"), spec)
    assert result.returncode == 0, result.stderr
    requirements = tmp_path / "agentform-requirements.txt"
    assert (tmp_path / "args").read_text().split() == [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--requirement",
        str(requirements),
    ]
    assert requirements.read_text() == spec + "\n"


def test_the_composite_action_refuses_an_empty_install_input(tmp_path):
    steps = _load(ACTION)["runs"]["steps"]
    script = next(step["run"] for step in steps if "pip install" in step.get("run", ""))
    assert _run_install(tmp_path, script, "").returncode == 1
    assert _load(ACTION)["inputs"]["install"]["default"] == ""


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (None, "agentform==1.2.3"),
        (
            '{"url": "https://github.com/acme/agentform", "vcs_info": {"vcs": "git", "commit_id": "' + "c" * 40 + '"}}',
            "agentform @ git+https://github.com/acme/agentform@" + "c" * 40,
        ),
        (
            '{"url": "https://files.example/agentform-1.2.3.whl", "archive_info": {"hashes": {"sha256": "ff"}}}',
            "agentform @ https://files.example/agentform-1.2.3.whl#sha256=ff",
        ),
        ('{"url": "file:///home/dev/agentform", "dir_info": {"editable": true}}', None),
    ],
)
def test_init_pins_the_running_agentform_where_its_installation_says_how(direct_url, expected):
    from agentform.gitops.pin import install_spec

    assert install_spec(direct_url, "1.2.3") == expected


def test_init_writes_the_spec_into_every_workflow_as_the_default_of_agentform_install():
    from agentform.commands.init import scaffold

    spec = "agentform @ git+https://github.com/acme/agentform@" + "c" * 40
    files = scaffold("demo", spec)
    for name in ("agentform-pr.yml", "agentform-deploy.yml", "agentform-drift.yml"):
        workflow = _load_text(files[f".github/workflows/{name}"])
        assert workflow["env"]["AGENTFORM_INSTALL"] == f"${{{{ vars.AGENTFORM_INSTALL || '{spec}' }}}}"
    assert "__AGENTFORM_INSTALL__" not in "".join(scaffold("demo", None).values())


def _load_text(text: str) -> dict:
    return YAML(typ="safe").load(text)
