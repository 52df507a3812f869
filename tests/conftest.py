"""What every test gets: an environment sealed from the caller's, a fixed Hypothesis profile, the example project;
and the session's request contract (tests/contract/recording.py), which judges every request agentform sends.

Sealed: a developer machine exports a real `ELEVENLABS_API_KEY`, a CI job `GITHUB_TOKEN` and `GITHUB_EVENT_PATH`;
agentform reads them, so a test that saw them would talk to another server or judge another event. Every variable
with a prefix below is removed for the whole session (module- and session-scoped fixtures see none either) and
again around each test; a test that needs one sets it with `monkeypatch.setenv`. The one exception is the suite's
own instrument: the variable that tells every emulator where to record the requests it receives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from tests.contract.recording import (
    pytest_configure,
    pytest_runtest_protocol,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_terminal_summary,
)
from tests.support.example import copy_example
from tests.support.hypothesis_profiles import load_profile

from agentform.emulator.app import RECORD_ENV

__all__ = [
    "pytest_configure",
    "pytest_runtest_protocol",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
]

SEALED_PREFIXES = ("ELEVENLABS_", "AGENTFORM_", "GITHUB_")

HYPOTHESIS_PROFILE = load_profile(os.environ)


def pytest_report_header() -> str:
    return f"hypothesis profile: {HYPOTHESIS_PROFILE} (tests/support/hypothesis_profiles.py)"


def sealed_variables(environ: Mapping[str, str]) -> list[str]:
    return [name for name in environ if name.startswith(SEALED_PREFIXES) and name != RECORD_ENV]


@pytest.fixture(scope="session", autouse=True)
def _sealed_session() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in sealed_variables(os.environ):
            patch.delenv(name)
        yield


@pytest.fixture(autouse=True)
def _sealed_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Also what an earlier test or fixture set without monkeypatch (restored afterwards, as monkeypatch does)."""
    for name in sealed_variables(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture
def example_project(tmp_path: Path) -> Path:
    """A copy of the repository's example project in the test's own folder."""
    return copy_example(tmp_path / "example")
