"""The test report as terminal text and as JSON (versioned by `format_version`)."""

from __future__ import annotations

import textwrap

from agentform import formats
from agentform.redact import NO_SECRETS, Redactor
from agentform.testing.report import TestReport, TestResult, required_passes

_MARKS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


def render_json(report: TestReport, *, redactor: Redactor = NO_SECRETS) -> str:
    """The whole report, every run included, as indented JSON."""
    return formats.dumps(redactor.data(report.model_dump(mode="json")))


def render_text(report: TestReport, *, redactor: Redactor = NO_SECRETS) -> str:
    """A per-agent listing with the rationale and reply of every test that did not pass, then the summary line."""
    lines: list[str] = []
    if report.selection:
        lines += ["Selected agents:", *[f"  {reason}" for reason in report.selection], ""]
    for agent in report.agents:
        where = f" (branch {agent.branch_id})" if agent.branch_id else ""
        lines.append(f"{agent.agent_key}{where}")
        if agent.error and not agent.tests:
            lines.append(f"  ERROR  {agent.error}")
        for test in agent.tests:
            lines += _test_lines(test)
        lines.append("")
    lines.append(report.summary_line())
    return redactor.text("\n".join(lines) + "\n")


def _test_lines(test: TestResult) -> list[str]:
    runs = test.runs_label
    if test.status == "failed" or (test.total_runs > 1 and test.pass_threshold < 1):
        runs += f", {required_passes(test.total_runs, test.pass_threshold)} needed"
    lines = [f"  {_MARKS[test.status]:<5}  {test.key}: {test.name}  [{runs}]"]
    if test.status == "passed":
        return lines
    if test.message:
        lines.append(f"         {test.message}")
    if test.rationale:
        lines += _indented("rationale: ", test.rationale)
    if test.reply:
        lines += _indented("reply:     ", test.reply)
    return lines


def _indented(label: str, text: str) -> list[str]:
    body = textwrap.indent(text, " " * (9 + len(label))).lstrip()
    return [f"         {label}{body}"]
