"""Exit codes scripts can trust: a usage error is 1 (never 2, "changes present"), an empty selection is 1.

Each runs `agentform.cli.main` as the console script does, on a copy of the example project.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.example import copy_example

from agentform import exitcodes
from agentform.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    return copy_example(tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--detailed-exitcode", "--no-such-flag"],
        ["plan", "--shard", "3/2"],
        ["apply", "missing-plan.json", "--auto-approve"],
        ["test", "--repeat", "zero"],
        ["no-such-command"],
    ],
    ids=["unknown-flag", "bad-shard", "missing-plan-file", "bad-value", "unknown-command"],
)
def test_a_usage_error_exits_1_with_a_message(project, capsys, args):
    assert main([*args, "-C", str(project)] if args[0] != "no-such-command" else args) == exitcodes.ERROR
    assert "Error" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["test", "--select", "no-such-agent*"],
        ["test", "--test", "no-such-test"],
        ["test", "--select", "support-agent", "--test", "address"],
        ["plan", "--select", "clinc-*"],
        ["apply", "--select", "clinc-*", "--auto-approve"],
    ],
)
def test_a_selection_that_matches_nothing_exits_1_and_says_so(project, capsys, args):
    assert main([*args, "-C", str(project)]) == exitcodes.ERROR
    assert "match" in capsys.readouterr().err
    assert not (project / ".agentform" / "emulator.sqlite").exists(), "nothing was sent"


def test_help_and_version_still_exit_0(capsys):
    assert main(["--help"]) == exitcodes.OK
    assert main(["plan", "--help"]) == exitcodes.OK
    assert main(["--version"]) == exitcodes.OK
