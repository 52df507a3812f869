"""Apply, `ci pr` and `ci deploy` write one line per resource operation when stdout is not a terminal (CI logs):
what starts, what finished with its id and duration, what failed and why."""

from __future__ import annotations

import io
import re

import pytest
from tests.gitops.world import AGENT, GREETING, World, pr_event

from agentform import exitcodes
from agentform.apply.journal import JournalEntry
from agentform.apply.progress_lines import LineReporter, for_log
from agentform.cli import main
from agentform.plan.model import ResourceChange
from agentform.redact import Redactor


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _change(action: str, address: str = "agent.clinic", live_id: str | None = None) -> ResourceChange:
    kind, key = address.split(".", 1)
    return ResourceChange(address=address, kind=kind, key=key, action=action, live_id=live_id)


def _entry(action: str, outcome: str, address: str = "agent.clinic", **fields) -> JournalEntry:
    return JournalEntry(step=1, address=address, action=action, operation="op", outcome=outcome, **fields)


def test_each_operation_gets_a_starting_line_and_a_finished_line_with_duration_and_id():
    lines, clock = [], Clock()
    reporter = LineReporter(lines.append, clock=clock)
    reporter.started(_change("create", "document.faq"))
    reporter.started(_change("update", live_id="agent_1"))
    clock.now += 2.4
    reporter.finished(_entry("update", "ok", live_id="agent_1"))
    clock.now += 1
    reporter.finished(_entry("create", "ok", "document.faq", live_id="kbdoc_9"))
    assert lines == [
        "document.faq: Creating...",
        "agent.clinic: Modifying... [id=agent_1]",
        "agent.clinic: Modifications complete after 2s [id=agent_1]",
        "document.faq: Creation complete after 3s [id=kbdoc_9]",
    ]


def test_failures_say_why_and_skips_say_what_they_waited_for_with_secrets_masked():
    lines, clock = [], Clock()
    reporter = LineReporter(lines.append, Redactor(["s3cret"]), clock=clock)
    reporter.started(_change("delete", "tool.booking", live_id="tool_1"))
    clock.now += 1
    reporter.finished(_entry("delete", "failed", "tool.booking", error="HTTP 409 in use (token s3cret)"))
    reporter.finished(_entry("update", "skipped", error="not attempted: tool.booking failed"))
    assert lines[0] == "tool.booking: Destroying... [id=tool_1]"
    assert lines[1].startswith("tool.booking: Destruction failed after 1s: HTTP 409 in use")
    assert "s3cret" not in lines[1]
    assert lines[2] == "agent.clinic: Skipped: not attempted: tool.booking failed"


def test_a_terminal_gets_no_lines_a_log_does():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert for_log(stream=Terminal()) is None
    log = io.StringIO()
    reporter = for_log(stream=log)
    reporter.started(_change("create", "document.faq"))
    assert log.getvalue() == "document.faq: Creating...\n"


@pytest.mark.e2e
def test_ci_pr_and_apply_logs_show_each_operation_with_its_id_and_duration(world: World, capsys):
    base = world.repo.head.commit.hexsha
    head = world.open_pr(31, "greeting", [(f"agents/{AGENT}/agent.yaml", *GREETING)])
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(31, "greeting", head, base)) == 0
    out = capsys.readouterr().out
    assert f"agent.{AGENT}: Modifying... [id=agent_" in out
    assert re.search(rf"agent\.{AGENT}: Modifications complete after \d+s \[id=agent_\w+\]", out)

    world.repo.git.checkout("main")
    world.edit(f"agents/{AGENT}/agent.yaml", "temperature: 0.3", "temperature: 0.2")
    world.monkeypatch.chdir(world.root)
    assert main(["apply", "--env", "local", "--auto-approve"]) == exitcodes.OK
    assert re.search(rf"agent\.{AGENT}: Modifications complete after \d+s \[id=agent_\w+\]", capsys.readouterr().out)
