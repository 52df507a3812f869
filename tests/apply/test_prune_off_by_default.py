"""Prune is opt-in (design: Argo CD and Flux): an agent gone from git is planned as a delete, and deleted only when
the environment's `prune: true` or `--prune` says so. Through the command line, on the example project.

The example project sets `prune: true` for `local`; these tests take it out, so neither the file nor the flag says
anything and the defaults of the schema and of the command layer decide.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from tests.apply.test_commands import local_log
from tests.support.example import copy_example

from agentform import exitcodes
from agentform.cli import main
from agentform.connect import open_client
from agentform.model import EnvironmentSettings

GONE = "support-agent"


def cli(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> tuple[int, str]:
    code = main([*args, "-C", str(project)])
    return code, capsys.readouterr().out


def last_seq(project: Path) -> int:
    return max((entry["seq"] for entry in local_log(project)), default=0)


def deletes_since(project: Path, mark: int) -> list[str]:
    return [entry["path"] for entry in local_log(project, since=mark) if entry["method"] == "DELETE"]


@pytest.fixture(scope="module")
def applied_without_prune(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The example applied with `prune` taken out of agentform.yaml; (project, live id of the agent to remove)."""
    project = copy_example(tmp_path_factory.mktemp("applied") / "project")
    config = project / "agentform.yaml"
    text = config.read_text()
    assert "    prune: true\n" in text
    config.write_text(text.replace("    prune: true\n", ""))
    assert main(["apply", "--auto-approve", "-C", str(project)]) == exitcodes.OK
    agents = [entry for entry in local_log(project) if entry["method"] == "POST" and "agents/create" in entry["path"]]
    assert len(agents) == 2
    return project, _agent_id(project)


def _agent_id(project: Path) -> str:
    async def find() -> str:
        async with open_client(EnvironmentSettings(name="local", backend="emulator"), project) as client:
            agents = await client.list_agents()
            return next(a["agent_id"] for a in agents if f"af-key:{GONE}" in a.get("tags", []))

    return asyncio.run(find())


@pytest.fixture
def removed_from_git(applied_without_prune: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """A fresh copy of the applied project (files and workspace) with the support agent deleted from the files."""
    source, agent_id = applied_without_prune
    project = tmp_path / "project"
    shutil.copytree(source, project)
    shutil.rmtree(project / "agents" / GONE)
    shutil.rmtree(project / "tests_specs" / GONE)
    return project, agent_id


def test_without_prune_in_the_file_or_on_the_command_line_the_plan_shows_the_delete_as_not_carried_out(
    removed_from_git, capsys
):
    project, agent_id = removed_from_git
    code, out = cli(capsys, project, "plan", "--json")
    assert code == exitcodes.OK
    [change] = [c for c in json.loads(out)["changes"] if c["address"] == f"agent.{GONE}"]
    assert (change["action"], change["live_id"]) == ("delete", agent_id)
    assert change["blocked"] == "not carried out: prune disabled"


def test_without_prune_in_the_file_or_on_the_command_line_apply_deletes_nothing(removed_from_git, capsys):
    project, agent_id = removed_from_git
    mark = last_seq(project)
    code, out = cli(capsys, project, "apply", "--auto-approve")
    assert code == exitcodes.OK, out
    assert deletes_since(project, mark) == []
    assert _agent_id(project) == agent_id


def test_prune_on_the_command_line_carries_the_delete_out(removed_from_git, capsys):
    project, agent_id = removed_from_git
    mark = last_seq(project)
    code, out = cli(capsys, project, "apply", "--auto-approve", "--prune")
    assert code == exitcodes.OK, out
    assert f"/v1/convai/agents/{agent_id}" in deletes_since(project, mark)


def test_prune_in_the_environments_settings_carries_the_delete_out(removed_from_git, capsys):
    project, agent_id = removed_from_git
    config = project / "agentform.yaml"
    config.write_text(config.read_text().replace("    backend: emulator\n", "    backend: emulator\n    prune: true\n"))
    mark = last_seq(project)
    code, out = cli(capsys, project, "apply", "--auto-approve")
    assert code == exitcodes.OK, out
    assert f"/v1/convai/agents/{agent_id}" in deletes_since(project, mark)
