"""The world a GitOps test plays in: a real git repository holding the example project, the emulator on loopback,
a fake GitHub on loopback, and the variables a GitHub Actions job would have. Commands run as the shipped workflow
files run them (their `run:` lines), through `agentform.cli.main`.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import git
import httpx
import pytest
from ruamel.yaml import YAML
from tests.gitops import payloads
from tests.support.emulator_server import running_emulator
from tests.support.example import REPO_ROOT, copy_example
from tests.support.fake_github import FakeGitHub

from agentform import exitcodes
from agentform.cli import main
from agentform.elevenlabs import ElevenLabsClient, NotFoundError
from agentform.emulator import DEV_API_KEY
from agentform.gitops.event import pr_number_from_message

TEMPLATES = REPO_ROOT / "src" / "agentform" / "templates" / "github" / "workflows"
ACTION = REPO_ROOT / ".github" / "actions" / "agentform" / "action.yml"
REPOSITORY = "octo/clinic"
TOKEN = "ghs_e2e_token_0123456789"
AGENT = "clinic-receptionist"
SMOKE_TEST = """\
kind: llm
name: Clinic address
smoke: true
chat_history:
  - user: Pe ce stradă se află clinica?
success_condition: 'The agent tells the caller that the clinic is on "Strada Florilor".'
success_examples:
  - Clinica se află pe Strada Florilor numărul 12, în Cluj-Napoca.
failure_examples:
  - Nu știu, vă rog să sunați mai târziu.
"""
# A harmless agent change: (old, new) in the receptionist's agent.yaml.
GREETING = ("Cu ce vă pot ajuta astăzi?", "Cu ce vă putem ajuta astăzi?")
ADDRESS_SENTENCE = "Clinica se află pe Strada Florilor numărul 12, în Cluj-Napoca, lângă Piața Mihai Viteazu.\n"


# ---- the world: a git repository, the emulator, GitHub --------------------------------------------------------


def _workflow_command(workflow: str) -> str:
    """The agentform command line a shipped workflow runs (the `run:` of its step that calls agentform ci)."""
    jobs = YAML(typ="safe").load((TEMPLATES / workflow).read_text())["jobs"]
    runs = [step["run"] for job in jobs.values() for step in job["steps"] if "agentform ci" in step.get("run", "")]
    assert len(runs) == 1, runs
    return runs[0]


def action_script() -> str:
    """The `run:` script of the composite action's step that calls agentform."""
    steps = YAML(typ="safe").load(ACTION.read_text())["runs"]["steps"]
    return next(step["run"] for step in steps if "agentform ci" in step.get("run", ""))


def _argv(command_line: str, variables: dict[str, str]) -> list[str]:
    """The command's arguments after the shell's variable expansion, without the leading `agentform`."""
    words = shlex.split(command_line)
    assert words[0] == "agentform"
    expanded = []
    for word in words[1:]:
        for name, value in variables.items():
            word = word.replace(f"${name}", value)
        expanded.append(word)
    return expanded


class World:
    """The repository, the services and the variables a GitHub Actions job would have."""

    def __init__(self, root: Path, emulator_url: str, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.emulator_url = emulator_url
        self.github = github
        self.monkeypatch = monkeypatch
        self.repo = git.Repo.init(root, initial_branch="main")
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "Dev").set_value("user", "email", "dev@example.test")
        self.runner_temp = root.parent / "runner-temp"
        self.run_id = 100

    # git

    def commit(self, message: str) -> str:
        self.repo.git.add(A=True)
        self.repo.index.commit(message)
        return self.repo.head.commit.hexsha

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def open_pr(self, number: int, branch: str, edits: list[tuple[str, str, str]], base: str = "main") -> str:
        """A new git branch from `base` with `edits` (path, old, new) committed; the head commit."""
        self.repo.git.checkout(base)
        self.repo.git.checkout("-b", branch)
        for path, old, new in edits:
            self.edit(path, old, new)
        return self.commit(f"PR {number}")

    def merge_pr(self, number: int, branch: str) -> tuple[str, str]:
        """Merge `branch` into main as GitHub's merge button does, with a merge commit naming the PR: the main
        commits (before, after)."""
        self.repo.git.checkout("main")
        before = self.repo.head.commit.hexsha
        self.repo.git.merge("--no-ff", branch, "-m", f"Merge pull request #{number} from octo/{branch}")
        return before, self.repo.head.commit.hexsha

    # GitHub Actions

    def deploy(self, before: str, after: str) -> int:
        """The deploy workflow, run for a push to main from `before` to `after`."""
        return self.run_workflow("agentform-deploy.yml", "push", push_event(before, after))

    def run_workflow(
        self,
        workflow: str,
        event_name: str,
        event: dict[str, Any],
        *,
        env: str = "local",
        options: tuple[str, ...] = (),
    ) -> int:
        """Run the workflow's agentform step for `event`, its command line extended by `options`."""
        self.run_id += 1
        self._tell_github(event_name, event)
        event_path = self.root.parent / f"event-{self.run_id}.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        summary = self.root.parent / f"summary-{self.run_id}.md"
        variables = {
            "AGENTFORM_ENV": env,
            "RUNNER_TEMP": str(self.runner_temp / str(self.run_id)),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": str(self.run_id),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.root),
            "ELEVENLABS_BASE_URL": self.emulator_url,
        }
        for name, value in variables.items():
            self.monkeypatch.setenv(name, value)
        argv = [*_argv(_workflow_command(workflow), variables), *options]
        self.monkeypatch.chdir(self.root)
        code = main(argv)
        assert summary.read_text(encoding="utf-8").strip(), "the step summary was written"
        return code

    def _tell_github(self, event_name: str, event: dict[str, Any]) -> None:
        """What GitHub knows before it runs the workflow: the PR of a `pull_request` event, and for a push that merged
        one (its merge commit's message says so), that PR merged by the pushed commit."""
        if event_name == "pull_request":
            self.github.put_pull(event["pull_request"])
        if event_name == "push":
            number = pr_number_from_message(self.repo.commit(event["after"]).message)
            if number is not None:
                self.github.merge_pull(number, event["after"])

    def report_folder(self) -> Path:
        """Where the last run wrote its reports (the workflow's `--report-dir`)."""
        return self.runner_temp / str(self.run_id) / "agentform-report"

    def report(self) -> str:
        return (self.report_folder() / "agentform-report.md").read_text()

    # the emulator, through the API client

    def live(self, call):
        async def go():
            async with ElevenLabsClient(self.emulator_url, DEV_API_KEY) as client:
                return await call(client)

        return asyncio.run(go())

    def agent_id(self) -> str:
        agents = self.live(lambda c: c.list_agents(tags=[f"af-key:{AGENT}"]))
        assert len(agents) == 1
        return agents[0]["agent_id"]

    def main_config(self) -> dict[str, Any]:
        agent_id = self.agent_id()
        return self.live(lambda c: c.get_agent(agent_id))

    def branches(self, *, include_archived: bool = True) -> dict[str, dict[str, Any]]:
        agent_id = self.agent_id()
        items = self.live(lambda c: c.list_branches(agent_id, include_archived=include_archived))
        return {item["name"]: item for item in items}

    def request_mark(self) -> int:
        """The emulator's request counter now: pass it to `writes_since`."""
        response = httpx.get(f"{self.emulator_url}/_emulator/requests", headers={"xi-api-key": DEV_API_KEY})
        return response.json()["last_seq"]

    def writes_since(self, mark: int) -> int:
        """How many writes the emulator received after `request_mark` returned `mark`."""
        response = httpx.get(
            f"{self.emulator_url}/_emulator/requests", params={"since": mark}, headers={"xi-api-key": DEV_API_KEY}
        )
        return response.json()["write_count"]

    def invocations(self, agent_id: str) -> list[dict[str, Any]]:
        """Test invocations of the agent, newest first (the client has no list call: agentform never needs one)."""
        response = httpx.get(
            f"{self.emulator_url}/v1/convai/test-invocations",
            params={"agent_id": agent_id, "page_size": 100},
            headers={"xi-api-key": DEV_API_KEY},
        )
        response.raise_for_status()
        return response.json()["results"]

    def state_record(self) -> dict[str, Any]:
        """The state record agentform keeps in the workspace (docs/decisions/0040), as JSON."""

        async def read(client):
            [document] = await client.list_documents(types=["text"], search="agentform-state")
            return json.loads(await client.get_document_content(document["id"]))

        return self.live(read)

    def document_exists(self, document_id: str) -> bool:
        async def read(client):
            try:
                await client.get_document(document_id)
            except NotFoundError:
                return False
            return True

        return self.live(read)

    def branch_config(self, name: str) -> dict[str, Any]:
        branch_id, agent_id = self.branches()[name]["id"], self.agent_id()
        return self.live(lambda c: c.get_agent(agent_id, branch_id=branch_id))


def pr_event(
    number: int,
    branch: str,
    head_sha: str,
    base_sha: str,
    *,
    action: str = "synchronize",
    merged: bool = False,
    fork: str | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """GitHub's recorded `pull_request` delivery of `action` for this PR (`fork`: the head repository's name)."""
    return payloads.pull_request(
        action,
        repository=REPOSITORY,
        number=number,
        head_ref=branch,
        head_sha=head_sha,
        base_sha=base_sha,
        before=before,
        head_repository=fork,
        merged=merged,
        merge_commit_sha=head_sha if merged else None,
    )


def push_event(before: str, after: str, _message: str = "") -> dict[str, Any]:
    """GitHub's recorded branch push, moved to main from `before` to `after` (the message is the commit's own)."""
    return payloads.push(repository=REPOSITORY, ref="refs/heads/main", before=before, after=after)


def dispatch_event() -> dict[str, Any]:
    """GitHub's recorded `workflow_dispatch` delivery, started on main (the drift workflow's manual trigger; no
    recording of a `schedule` delivery exists, and agentform reads nothing from either)."""
    return payloads.workflow_dispatch(repository=REPOSITORY, ref="refs/heads/main")


def knowledge_ids(config: dict[str, Any]) -> set[str]:
    return {item["id"] for item in config["conversation_config"]["agent"]["prompt"]["knowledge_base"]}


def prompt_of(config: dict[str, Any]) -> str:
    return config["conversation_config"]["agent"]["prompt"]["prompt"]


def first_message_of(config: dict[str, Any]) -> str:
    return config["conversation_config"]["agent"]["first_message"]


def _project(root: Path) -> Path:
    """A copy of the example project, with the loop's smoke test and the shipped workflows."""
    copy_example(root)
    shutil.copytree(TEMPLATES, root / ".github" / "workflows")
    # The smoke test the loop turns on: it passes while the prompt has the clinic's address, fails without it.
    (root / "tests_specs" / AGENT / "address.yaml").write_text(SMOKE_TEST, encoding="utf-8")
    (root / ".gitignore").write_text(".agentform/\n")
    return root


@pytest.fixture(scope="session")
def deployed_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An emulator database holding the example project after its first deploy (everything created on main).

    Made once per session and copied into each test: the first apply is the same every time and costs seconds.
    """
    folder = tmp_path_factory.mktemp("deployed")
    root = _project(folder / "clinic")
    database = folder / "emulator.sqlite"
    with pytest.MonkeyPatch.context() as patch, running_emulator(str(database)) as emulator_url:
        patch.delenv("ELEVENLABS_API_KEY", raising=False)
        patch.setenv("ELEVENLABS_BASE_URL", emulator_url)
        assert main(["apply", "--project-dir", str(root), "--env", "local", "--auto-approve"]) == exitcodes.OK
    return database


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deployed_workspace: Path):
    root = _project(tmp_path / "clinic")
    database = tmp_path / "emulator.sqlite"
    for file in deployed_workspace.parent.glob(f"{deployed_workspace.name}*"):
        shutil.copy(file, tmp_path / file.name)
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    github = FakeGitHub(REPOSITORY, token=TOKEN)
    with running_emulator(str(database), eval_delay_secs=0.05) as emulator_url, github.serve():
        world = World(root, emulator_url, github, monkeypatch)
        world.commit("The clinic's agents")
        monkeypatch.setenv("ELEVENLABS_BASE_URL", emulator_url)
        yield world
