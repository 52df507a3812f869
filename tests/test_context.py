"""The engine the CLI and CI both drive (`agentform/context.py`, docs/decisions/0135): one load, one client, one
lock, one plan. Against the example project and the in-process emulator its `local` environment names."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.support.example import copy_example

from agentform.commands._shared import Session
from agentform.context import Context, load
from agentform.gitops import engine
from agentform.gitops.drift import DriftRequest
from agentform.gitops.outcome import CiOutcome
from agentform.redact import Redactor
from agentform.state.lock import LockHeld


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example project; no base URL leaks in, so `local` is the in-process emulator."""
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    return copy_example(tmp_path / "project")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_invalid_files_load_to_no_context_naming_file_line_and_field(project: Path) -> None:
    edit(project / "agentform.yaml", "default_environment: local", "default_environment: 42")

    loaded = load(project, None, strict=False)

    assert loaded.desired is None
    assert [str(d) for d in loaded.errors] == [
        "agentform.yaml:3:1: error: default_environment: Input should be a valid string"
    ]
    assert "agentform.yaml:3:1" in str(loaded.failure)
    assert Context.of(project, loaded) is None


def test_the_cli_and_ci_get_the_same_context_from_the_same_files(project: Path) -> None:
    cli = Session.open(project, "local")
    outcome = CiOutcome(kind="drift", environment="local")
    ci = engine.load_into(outcome, Redactor(), DriftRequest(project, "local", {}), None, strict=False)

    assert cli is not None and ci is not None
    assert cli.desired == ci.desired
    assert outcome.environment == "local"
    # The project's secret values join the redactor every error line and plan goes through.
    for context in (cli, ci):
        masked = context.redactor.text("Bearer local-development-token")
        assert masked.startswith("Bearer ") and "local-development-token" not in masked


@pytest.mark.parametrize("prune", [True, False])
def test_a_plan_prunes_as_the_environment_says_unless_told_otherwise(project: Path, prune: bool) -> None:
    edit(project / "agentform.yaml", "prune: true", f"prune: {str(prune).lower()}")
    context = Context.of(project, load(project, "local", strict=False))
    assert context is not None

    async def plans() -> tuple[bool, bool]:
        async with context.client() as client:
            by_default = (await context.plan(client)).plan
            told = (await context.plan(client, prune=not prune)).plan
        return by_default.prune, told.prune

    assert asyncio.run(plans()) == (prune, not prune)


def test_a_second_holder_of_the_lock_is_refused_naming_the_first(project: Path) -> None:
    context = Context.of(project, load(project, "local", strict=False))
    assert context is not None

    async def contend() -> str:
        async with context.client() as client, context.lock(client, purpose="apply", holder="alice@laptop"):
            with pytest.raises(LockHeld) as held:
                async with context.lock(client, purpose="ci deploy", holder="github run 7"):
                    pass
            return str(held.value)

    assert "alice@laptop" in asyncio.run(contend())


def test_the_lock_is_free_again_once_its_block_ends(project: Path) -> None:
    context = Context.of(project, load(project, "local", strict=False))
    assert context is not None

    async def twice() -> list[str]:
        holders = []
        async with context.client() as client:
            for holder in ("alice@laptop", "github run 7"):
                async with context.lock(client, purpose="apply", holder=holder) as lock:
                    holders.append(lock.info.holder)
        return holders

    assert asyncio.run(twice()) == ["alice@laptop", "github run 7"]
