"""The composite action's script, run by bash with the real installed `agentform` on PATH, against the example
project on the emulator: what a job using `uses: <owner>/agentform/.github/actions/agentform` runs, minus the
setup-python, pip install and upload steps (GitHub's own actions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.gitops.world import AGENT, GREETING, REPOSITORY, TOKEN, World, action_script, pr_event

from agentform import exitcodes

pytestmark = pytest.mark.e2e

# The action's script runs one agentform command; far more than it needs on this machine, far less than forever.
TIMEOUT_SECS = 120


def _run_action(
    world: World, command: str, args: str = "", github: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, Path]:
    """The action's `agentform ci <command>` step with the inputs a workflow would give (and GitHub's variables,
    when given); the result and its report folder."""
    report_dir = world.root.parent / f"report-{command}"
    env = {
        **(github or {}),
        # The installed console script, as `pip install` would have put it on the runner's PATH.
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "ELEVENLABS_BASE_URL": world.emulator_url,
        "AGENTFORM_COMMAND": command,
        "AGENTFORM_ENV": "local",
        "AGENTFORM_PROJECT_DIR": str(world.root),
        "AGENTFORM_REPORT_DIR": str(report_dir),
        "AGENTFORM_ARGS": args,
    }
    result = subprocess.run(
        ["bash", "-c", action_script()],
        env=env,
        cwd=world.root.parent,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECS,
    )
    return result, report_dir


def test_the_action_runs_the_real_agentform_drift_check_and_writes_its_report(world: World):
    result, report_dir = _run_action(world, "drift")

    assert result.returncode == exitcodes.OK, result.stderr
    report = (report_dir / "agentform-report.md").read_text(encoding="utf-8")
    assert report.startswith("## ✅ agentform drift check: passed")
    assert "Environment `local`" in report


def test_the_action_fails_the_step_with_agentforms_exit_code_when_the_workspace_drifted(world: World):
    agent_id = world.agent_id()
    body = {"conversation_config": {"agent": {"first_message": "Salut! Edited in the dashboard."}}}
    world.live(lambda c: c.update_agent(agent_id, body))

    result, report_dir = _run_action(world, "drift")

    assert result.returncode == exitcodes.CHANGES, result.stderr
    report = (report_dir / "agentform-report.md").read_text(encoding="utf-8")
    assert "the live workspace differs from main" in report and "first_message" in report


def test_the_action_runs_the_real_pr_check_which_reports_pending_then_success_to_github(world: World):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(21, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    event = world.root.parent / "event.json"
    event.write_text(json.dumps(pr_event(21, "greeting", head, base)), encoding="utf-8")
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": world.github.api_url,
        "GITHUB_RUN_ID": "77",
        "GITHUB_TOKEN": TOKEN,
    }

    result, report_dir = _run_action(world, "pr", github=github)

    assert result.returncode == exitcodes.OK, result.stderr
    assert [s["state"] for s in world.github.statuses(head)] == ["pending", "success"]
    (comment,) = world.github.comments(21)
    report = (report_dir / "agentform-report.md").read_text(encoding="utf-8")
    assert report.startswith("## ✅ agentform plan and tests: passed") and "agent branch `pr-21`" in report
    assert comment["body"].startswith("<!-- agentform:pr env=local -->")
    assert (report_dir / "agentform-tests.xml").is_file()
