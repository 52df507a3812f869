"""`agentform rollout` end to end: the example project on a real emulator server, traffic generated over the split.

Each test gets its own server: a rollout changes main, so no test may inherit another's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.testing.conftest import HEADERS, LiveProject, applied_project

from agentform import exitcodes
from agentform.state.record import is_record_document

pytestmark = pytest.mark.e2e

AGENT = "support-agent"
PROMPT = "agents/support-agent/prompt.md"


@pytest.fixture
def project(tmp_path) -> Iterator[LiveProject]:
    with applied_project(tmp_path / "project") as applied:
        yield applied


def _branch(project: LiveProject) -> None:
    """The support agent's prompt changes, and the change is applied to the agent branch `canary`."""
    prompt = project.root / PROMPT
    prompt.write_text(prompt.read_text() + "\nAlways thank the customer for their patience.\n")
    code, out = project.cli("apply", "--auto-approve", "--branch", "canary")
    assert code == exitcodes.OK, out


def _start(project: LiveProject, branch: str = "canary", percent: int = 50) -> tuple[int, str]:
    return project.cli("rollout", "start", "--agent", AGENT, "--branch", branch, "--percent", str(percent))


def _canary(project: LiveProject, percent: int = 50) -> None:
    """The changed prompt on branch `canary`, which takes `percent`% of the traffic."""
    _branch(project)
    code, out = _start(project, percent=percent)
    assert code == exitcodes.OK, out


def _traffic(project: LiveProject, count: int, seed: int, **rates: float) -> dict:
    agent_id = project.agent_id(AGENT)
    return project.admin(
        "POST", "/traffic", json={"agent_id": agent_id, "conversations": count, "seed": seed, "success_rate": rates}
    )


def _split(project: LiveProject) -> dict[str, float]:
    """The live split by branch name."""
    agent_id = project.agent_id(AGENT)
    names = {
        b["id"]: b["name"] for b in project.api(f"/agents/{agent_id}/branches", include_archived="true")["results"]
    }
    history = project.api(f"/agents/{agent_id}/deployments")["results"]
    live = next(item for item in history if item["is_active"])
    return {names[branch]: share for branch, share in live["traffic_percentage_branch_id_map"].items() if share}


def _main_prompt(project: LiveProject) -> str:
    return project.api(f"/agents/{project.agent_id(AGENT)}")["conversation_config"]["agent"]["prompt"]["prompt"]


def _analyze(project: LiveProject, *flags: str) -> tuple[int, dict]:
    code, out = project.cli(
        "rollout",
        "analyze",
        "--agent",
        AGENT,
        "--min-conversations",
        "100",
        "--max-regression",
        "0.1",
        "--json",
        *flags,
    )
    return code, json.loads(out)["rollouts"][0]


def test_a_canary_as_good_as_main_is_promoted_and_main_holds_the_change(project):
    _canary(project)
    assert _split(project) == {"Main": 50.0, "canary": 50.0}
    code, out = project.cli("plan")
    assert f"agent.{AGENT}: rollout of branch canary in progress (50% of live traffic" in out

    code, report = _analyze(project)
    assert (code, report["decision"]["outcome"]) == (exitcodes.OK, "wait")  # no calls yet: not enough data

    made = _traffic(project, 1000, seed=11, main=0.9, canary=0.9)
    code, report = _analyze(project, "--auto")

    assert code == exitcodes.OK, report
    assert report["decision"]["outcome"] == "healthy"
    assert report["action"].startswith("promoted")
    counted = {b["branch_id"]: b["conversations"] for b in report["branches"]}
    assert counted == made["by_branch"]  # every generated call, on the branch it ran on
    assert "resolved" in report["branches"][0]["criteria"]  # the support agent's evaluation criterion
    assert _split(project) == {"Main": 100.0}
    assert "thank the customer for their patience" in _main_prompt(project)
    record = _state_record(project)
    main = project.api(f"/agents/{project.agent_id(AGENT)}")
    assert record["agents"][AGENT]["version_id"] == main["version_id"]  # the promote was our write: recorded
    assert record["rollouts"][AGENT]["status"] == "promoted"
    code, out = project.cli("plan", "--detailed-exitcode")
    assert code == exitcodes.OK, out  # main is what the files say: no change and no drift


def _state_record(project: LiveProject) -> dict:
    found = project.api("/knowledge-base", search="agentform-state", page_size=100)["documents"]
    (document,) = [d for d in found if is_record_document(d)]
    response = httpx.get(
        f"{project.base_url}/v1/convai/knowledge-base/{document['id']}/content", headers=HEADERS, timeout=10
    )
    return json.loads(response.text)


def test_a_regressing_canary_is_aborted_with_exit_3_and_main_is_unchanged(project):
    before = _main_prompt(project)
    _canary(project, percent=20)
    _traffic(project, 1000, seed=12, main=0.9, canary=0.5)

    code, report = _analyze(project, "--auto")

    assert code == exitcodes.TESTS_FAILED
    assert report["decision"]["outcome"] == "regressed"
    assert report["action"].startswith("aborted")
    assert _split(project) == {"Main": 100.0}
    assert _main_prompt(project) == before
    branches = project.api(f"/agents/{project.agent_id(AGENT)}/branches")["results"]
    assert "canary" in {b["name"] for b in branches}  # kept, unarchived, for inspection
    code, out = project.cli("rollout", "status", "--agent", AGENT)
    assert "rollout of branch canary (aborted: worse than main by more than 10 pt" in out


def test_a_promote_killed_after_the_merge_is_finished_by_the_next_run(project):
    _canary(project)
    _traffic(project, 400, seed=13, main=0.9, canary=0.9)
    # Deployments hang, so the promote is still waiting on one when it is killed (after its merge).
    project.admin(
        "POST", "/faults", json={"kind": "latency", "method": "POST", "path": "*/deployments", "latency_ms": 60_000}
    )
    mark = project.admin("GET", "/requests")["last_seq"]
    promote = subprocess.Popen(
        [sys.executable, "-m", "agentform", "rollout", "promote", "--agent", AGENT, "-C", str(project.root)],
        env={**os.environ, "ELEVENLABS_BASE_URL": project.base_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_request(project, mark, "/merge")
        time.sleep(0.5)  # the deployment request is on its way
    finally:
        promote.send_signal(signal.SIGKILL)
        promote.wait(timeout=10)
    project.admin("DELETE", "/faults")
    assert _split(project) == {"Main": 50.0, "canary": 50.0}  # killed before the split moved

    code, out = project.cli("rollout", "status", "--agent", AGENT)
    assert "an earlier run left a promote unfinished" in out
    code, out = project.cli("force-unlock", "--yes")  # the killed run's lock
    assert code == exitcodes.OK, out
    code, out = project.cli("rollout", "promote", "--agent", AGENT)

    assert code == exitcodes.OK, out
    assert "is already promoted" in out  # the earlier run's promote was finished first
    assert _split(project) == {"Main": 100.0}
    assert "thank the customer for their patience" in _main_prompt(project)
    code, out = project.cli("plan", "--detailed-exitcode")
    assert code == exitcodes.OK, out


def test_only_a_branch_that_carries_the_files_change_can_be_rolled_out(project, capsys):
    _branch(project)
    mark = project.admin("GET", "/requests")["last_seq"]
    capsys.readouterr()
    assert _start(project, branch="elsewhere")[0] == exitcodes.ERROR
    assert "has no branch elsewhere written by `agentform apply --branch elsewhere`" in capsys.readouterr().err
    (project.root / PROMPT).write_text((project.root / PROMPT).read_text() + "One more line nobody tested.\n")
    assert _start(project)[0] == exitcodes.ERROR
    assert "does not carry the files' change" in capsys.readouterr().err
    log = project.admin("GET", "/requests", params={"since": mark})
    assert log["write_count"] == 0  # refused before anything was written
    assert project.api(f"/agents/{project.agent_id(AGENT)}/deployments")["results"] == []  # no split was ever set


def test_a_promote_that_keeps_failing_can_still_be_aborted(project):
    before = _main_prompt(project)
    _canary(project)
    project.admin("POST", "/faults", json={"kind": "status", "status": 409, "method": "POST", "path": "*/merge"})

    code, out = project.cli("rollout", "promote", "--agent", AGENT)
    assert code == exitcodes.ERROR
    code, out = project.cli("rollout", "status", "--agent", AGENT)
    assert "an earlier run left a promote unfinished" in out

    code, out = project.cli("rollout", "abort", "--agent", AGENT)
    assert code == exitcodes.OK, out
    assert _split(project) == {"Main": 100.0}
    assert _main_prompt(project) == before
    assert _state_record(project)["rollouts"][AGENT]["status"] == "aborted"


def _wait_for_request(project: LiveProject, since: int, path_end: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log = project.admin("GET", "/requests", params={"since": since})["requests"]
        if any(entry["path"].endswith(path_end) for entry in log):
            return
        time.sleep(0.1)
    raise AssertionError(f"no request to *{path_end} within 30 s")
