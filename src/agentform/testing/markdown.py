"""The test report as GitHub-flavoured markdown: a PR comment section and the Actions step summary.

A reviewer reads the verdict in the first line, the failing tests in a table, and opens a `<details>` block for
the evaluator's rationale and the agent's actual reply. Passing tests are listed collapsed to keep comments short.
"""

from __future__ import annotations

from agentform.escape import printable
from agentform.redact import NO_SECRETS, Redactor
from agentform.testing.report import TestReport, TestResult, required_passes

_ICONS = {"passed": "✅", "failed": "❌", "error": "⚠️"}
_HEADLINES = {"passed": "all tests passed", "failed": "tests failed", "error": "tests could not be judged"}


def render_markdown(report: TestReport, *, redactor: Redactor = NO_SECRETS) -> str:
    """Markdown for a PR comment or `$GITHUB_STEP_SUMMARY`."""
    totals = report.totals
    lines = [f"### {_ICONS[report.status]} agentform test: {_HEADLINES[report.status]}", ""]
    context = " · ".join(part for part in (report.environment and f"env `{report.environment}`", report.target) if part)
    counts = f"**{totals.passed}** passed, **{totals.failed}** failed, **{totals.errors}** errors"
    lines += [f"{counts} of {totals.tests} tests in {report.duration_secs:.1f}s" + (f" ({context})" if context else "")]
    if report.selection:
        lines += ["", "<details><summary>Why these agents</summary>", ""]
        lines += [f"- {_inline(reason)}" for reason in report.selection]
        lines += ["", "</details>"]
    problems = [test for agent in report.agents for test in agent.tests if test.status != "passed"]
    agent_errors = [agent for agent in report.agents if agent.error and not agent.tests]
    if problems:
        lines += ["", "| | Test | Runs | Why |", "|---|---|---|---|"]
        lines += [_row(test) for test in problems]
        lines += [block for test in problems for block in _details(test)]
    lines += [f"- ⚠️ `{agent.agent_key}`: {_inline(agent.error)}" for agent in agent_errors]
    passed = [test for agent in report.agents for test in agent.tests if test.status == "passed"]
    if passed:
        lines += ["", f"<details><summary>{len(passed)} passed</summary>", ""]
        lines += [f"- ✅ `{test.address}` {_inline(test.name)}: {test.runs_label}" for test in passed]
        lines += ["", "</details>"]
    return printable(redactor.text("\n".join(lines) + "\n"))


def _row(test: TestResult) -> str:
    needed = required_passes(test.total_runs, test.pass_threshold)
    runs = f"{test.passed_runs}/{test.total_runs} (need {needed})" if test.total_runs else "none"
    why = test.message or _first_line(test.rationale) or "the evaluator gave no rationale"
    return f"| {_ICONS[test.status]} | `{test.address}` {_inline(test.name)} | {runs} | {_inline(why)} |"


def _details(test: TestResult) -> list[str]:
    if not (test.rationale or test.reply):
        return []
    lines = ["", f"<details><summary><code>{test.address}</code>: rationale and reply</summary>", ""]
    if test.rationale:
        lines += ["**Rationale**", "", *[f"> {line}" for line in test.rationale.splitlines()], ""]
    if test.reply:
        lines += ["**Agent replied**", "", "```text", test.reply.replace("```", "ˋˋˋ"), "```", ""]
    return [*lines, "</details>"]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _inline(text: str) -> str:
    """Text safe inside a table cell: one line, pipes escaped, bounded length."""
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= 200 else flat[:199] + "…"
