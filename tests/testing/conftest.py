"""Shared builders for the testing package's tests: specs and API-shaped invocations."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import httpx
import pytest
from tests.support.example import EXAMPLE_PARTS, copy_example

from agentform import exitcodes
from agentform.cli import main
from agentform.emulator import DEV_API_KEY
from agentform.model import DesiredTest, SourceLocation

HEADERS = {"xi-api-key": DEV_API_KEY}


def _spec(
    key: str = "address",
    *,
    agent_key: str = "clinic",
    kind: str = "llm",
    repeat: int = 1,
    pass_threshold: float = 1.0,
    name: str | None = None,
) -> DesiredTest:
    body: dict[str, Any] = {"type": kind, "chat_history": [{"role": "user", "message": "hi", "time_in_call_secs": 0}]}
    if name:
        body["name"] = name
    return DesiredTest(
        agent_key=agent_key,
        key=key,
        kind=kind,
        body=body,
        repeat=repeat,
        pass_threshold=pass_threshold,
        source=SourceLocation(path=f"tests_specs/{agent_key}/{key}.yaml"),
    )


def _run(test_id: str, status: str, *, reply: str = "", rationale: str = "", run_id: str = "") -> dict[str, Any]:
    run: dict[str, Any] = {
        "test_run_id": run_id or f"run-{test_id}-{status}",
        "test_invocation_id": "inv-1",
        "agent_id": "agent-1",
        "test_id": test_id,
        "status": status,
        "last_updated_at_unix": 1_700_000_003,
    }
    if reply:
        run["agent_responses"] = [{"role": "agent", "message": reply, "time_in_call_secs": 1}]
    if status in ("passed", "failed"):
        run["condition_result"] = {
            "result": "success" if status == "passed" else "failure",
            "rationale": {"messages": [], "summary": rationale},
        }
    return run


@pytest.fixture
def make_spec() -> Callable[..., DesiredTest]:
    return _spec


@pytest.fixture
def make_run() -> Callable[..., dict[str, Any]]:
    return _run


# --- end-to-end fixtures: the example project applied to a real emulator server on loopback ---------------------


@dataclass
class LiveProject:
    """A git repository holding a copy of the example project, applied to an emulator server."""

    root: Path
    base_url: str
    repo: git.Repo

    def cli(self, *args: str) -> tuple[int, str]:
        """Run `agentform <args> -C <root>` in-process (real HTTP to the server); exit code and stdout."""
        import sys
        from io import StringIO

        out, saved = StringIO(), sys.stdout
        sys.stdout = out
        try:
            code = main([*args, "-C", str(self.root)])
        finally:
            sys.stdout = saved
        return code, out.getvalue()

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new))

    @contextlib.contextmanager
    def committed_only(self, path: str, old: str, new: str) -> Iterator[None]:
        """`path` edited in a new commit while the working tree keeps it as it was; the commit is dropped after
        (the module's tests share this repository)."""
        self.edit(path, old, new)
        self.repo.index.add([path])
        self.repo.index.commit(f"edit {path}")
        self.repo.git.checkout("HEAD~1", "--", path)
        try:
            yield
        finally:
            self.repo.git.reset("--hard", "HEAD~1")

    def ref_fails_and_working_tree_passes(self, test_key: str) -> None:
        """`test --ref HEAD` fails `test_key` (exit 3) and the working tree passes it."""
        code, out = self.cli("test", "--ref", "HEAD", "--test", test_key, "--json")
        assert code == exitcodes.TESTS_FAILED, out
        assert json.loads(out)["target"] == "files at HEAD (agent_config_override)"
        code, out = self.cli("test", "--test", test_key)
        assert code == exitcodes.OK, out

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.base_url}/_emulator{path}", headers=HEADERS, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.base_url}/v1/convai{path}", headers=HEADERS, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def agent_id(self, key: str) -> str:
        agents = self.api("/agents", page_size=100)["agents"]
        return next(agent["agent_id"] for agent in agents if f"af-key:{key}" in agent.get("tags", []))


@contextlib.contextmanager
def applied_project(folder: Path) -> Iterator[LiveProject]:
    """The example project committed in a git repository in `folder`, applied to its own emulator server."""
    from tests.support.emulator_server import running_emulator

    root = copy_example(folder)
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    repo.index.add(EXAMPLE_PARTS)
    repo.index.commit("example project")
    with running_emulator() as base_url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ELEVENLABS_BASE_URL", base_url)
        project = LiveProject(root, base_url, repo)
        code, out = project.cli("apply", "--auto-approve")
        assert code == exitcodes.OK, out
        yield project


@pytest.fixture(scope="module")
def applied_example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProject]:
    """One emulator server per test module with the example project applied (apply takes seconds: share it)."""
    with applied_project(tmp_path_factory.mktemp("project")) as project:
        yield project


@pytest.fixture
def live_project(applied_example: LiveProject, monkeypatch: pytest.MonkeyPatch) -> LiveProject:
    """The module's applied example with its files as committed and no pinned results or evaluation delay."""
    monkeypatch.setenv("ELEVENLABS_BASE_URL", applied_example.base_url)
    applied_example.repo.git.checkout("--", ".")
    applied_example.repo.git.clean("-fdq", "--", *EXAMPLE_PARTS[1:])
    applied_example.admin("DELETE", "/pins")
    applied_example.admin("PUT", "/settings", json={"eval_delay_secs": 0})
    return applied_example
