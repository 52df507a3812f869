"""SIGKILL at a random point of `agentform ci deploy`, then the workflow runs again: the merged change is live on
main, the plan is a no-op, and no identity is held twice.

The GitOps world of `tests/gitops/world.py` (a git repository, the emulator and a fake GitHub on loopback, the
shipped workflow's command line): the killed run is a separate process with the job's environment, killed with
SIGKILL after a seeded random number of its writes; the re-run is the workflow run again, as a re-run of the job
would be.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.gitops import world as gitops_world
from tests.gitops.world import AGENT, GREETING, World, deployed_workspace, first_message_of, pr_event, push_event, world
from tests.reliability.census import duplicates
from tests.reliability.conftest import seeds
from tests.reliability.test_kill_apply import wait_for_writes

from agentform import exitcodes
from agentform.cli import main
from agentform.state.lock import list_locks

__all__ = ["deployed_workspace", "world"]  # fixtures used below

pytestmark = pytest.mark.e2e


def killed_after(writes: int, world: World, signum: int = signal.SIGKILL):
    """A stand-in for `main` that runs the command as its own process and sends it `signum` after its `writes`-th
    write."""

    def run(argv: list[str]) -> int:
        mark = world.request_mark()
        process = subprocess.Popen([sys.executable, "-m", "agentform", *argv], env=dict(os.environ))
        wait_for_writes(world.emulator_url, writes, process, since=mark)
        process.send_signal(signum)
        code = process.wait(timeout=30)
        summary = Path(os.environ["GITHUB_STEP_SUMMARY"])
        if not summary.exists() or not summary.read_text().strip():
            summary.write_text("(the job was killed)\n")  # what the world checks of any run
        return code

    return run


def merged_greeting(world: World) -> dict:
    """The greeting PR checked, then merged into main: the push event of the merge."""
    main_sha = world.repo.head.commit.hexsha
    world.repo.git.checkout("-b", "greeting")
    world.edit(f"agents/{AGENT}/agent.yaml", *GREETING)
    head = world.commit("Friendlier greeting")
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(1, "greeting", head, main_sha)) == 0
    world.repo.git.checkout("main")
    world.repo.git.merge("--no-ff", "greeting", "-m", "Merge pull request #1 from octo/greeting")
    return push_event(main_sha, world.repo.head.commit.hexsha, "Merge pull request #1 from octo/greeting")


# A request cut off by the kill reaches the server with half a body: invalid on purpose, not judged.
@pytest.mark.sends_invalid_requests
@pytest.mark.parametrize("seed", seeds(default=1))
def test_a_deploy_killed_at_a_random_point_completes_on_the_next_run(world: World, monkeypatch, seed):
    push = merged_greeting(world)

    with monkeypatch.context() as patch:
        patch.setattr(gitops_world, "main", killed_after(random.Random(seed).randint(1, 6), world))
        assert world.run_workflow("agentform-deploy.yml", "push", push) == -signal.SIGKILL

    code = world.run_workflow("agentform-deploy.yml", "push", push)
    if code == exitcodes.STALE_OR_CONFLICT:  # the killed run's lock: reported, then removed by hand
        assert main(["force-unlock", "--project-dir", str(world.root), "--env", "local", "--yes"]) == exitcodes.OK
        code = world.run_workflow("agentform-deploy.yml", "push", push)
    assert code == exitcodes.OK

    assert first_message_of(world.main_config()).endswith(GREETING[1]), "the merged change is live on main"
    assert main(["plan", "--project-dir", str(world.root), "--env", "local", "--detailed-exitcode"]) == exitcodes.OK
    assert world.live(lambda client: duplicates(client, "example-voice-agents", "local")) == {}


# A request cut off by the signal may reach the server with half a body: invalid on purpose, not judged.
@pytest.mark.sends_invalid_requests
def test_a_deploy_terminated_mid_run_releases_the_lock_and_the_next_run_completes(world: World, monkeypatch):
    push = merged_greeting(world)

    with monkeypatch.context() as patch:
        # The lock's create is the first write: the second comes while the deploy holds it.
        patch.setattr(gitops_world, "main", killed_after(2, world, signal.SIGTERM))
        assert world.run_workflow("agentform-deploy.yml", "push", push) == 128 + signal.SIGTERM

    assert world.live(lambda client: list_locks(client, "example-voice-agents", "local")) == []
    assert world.run_workflow("agentform-deploy.yml", "push", push) == exitcodes.OK
    assert first_message_of(world.main_config()).endswith(GREETING[1]), "the merged change is live on main"
