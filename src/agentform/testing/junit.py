"""JUnit XML for CI test tabs: the `testsuites > testsuite > testcase` shape GitHub reporters and GitLab read.

One `testsuite` per agent and one `testcase` per test spec (`classname` = the agent, `name` = the test key,
`file` = the spec path so annotations land on it). A test below its threshold is a `<failure>`; one that could not
be judged (timeout, cancellation, API error) is an `<error>`, which every reader counts apart from failures.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agentform.escape import xml_text
from agentform.redact import NO_SECRETS, Redactor
from agentform.testing.report import AgentResult, TestReport, TestResult, required_passes


def render_junit(report: TestReport, *, redactor: Redactor = NO_SECRETS) -> str:
    """The report as a JUnit XML document (UTF-8 text with an XML declaration)."""
    totals = report.totals
    root = ET.Element(
        "testsuites",
        name=f"agentform {report.project}".strip(),
        tests=str(totals.tests),
        failures=str(totals.failed),
        errors=str(totals.errors),
        time=_secs(report.duration_secs),
    )
    for agent in report.agents:
        root.append(_suite(agent, report, redactor))
    ET.indent(root)
    # ElementTree escapes markup but writes characters XML 1.0 forbids (NUL, ESC, ...) as they are.
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_text(ET.tostring(root, encoding="unicode")) + "\n"


def _suite(agent: AgentResult, report: TestReport, redactor: Redactor) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        name=agent.agent_key,
        tests=str(len(agent.tests)),
        failures=str(sum(test.status == "failed" for test in agent.tests)),
        errors=str(sum(test.status == "error" for test in agent.tests)),
        skipped="0",
        time=_secs(agent.duration_secs),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("environment", report.environment),
        ("target", report.target),
        ("agent_id", agent.agent_id),
        ("branch_id", agent.branch_id),
        ("invocation_ids", ",".join(agent.invocation_ids)),
    ):
        if value:
            ET.SubElement(properties, "property", name=name, value=redactor.text(value))
    for test in agent.tests:
        suite.append(_case(test, redactor))
    if agent.error and not agent.tests:
        # Nothing could be listed for this agent: one error case, so the CI test tab cannot show it as green.
        case = ET.SubElement(suite, "testcase", classname=agent.agent_key, name="(suite)", time="0.000")
        ET.SubElement(case, "error", message=redactor.text(agent.error), type="NotRun")
        suite.set("tests", "1")
        suite.set("errors", "1")
    return suite


def _case(test: TestResult, redactor: Redactor) -> ET.Element:
    case = ET.Element("testcase", classname=test.agent_key, name=test.key, time=_secs(test.duration_secs))
    if test.source:
        case.set("file", test.source)
    if test.status == "failed":
        needed = required_passes(test.total_runs, test.pass_threshold)
        message = f"{test.runs_label}, {needed} needed (threshold {test.pass_threshold:g})"
        failure = ET.SubElement(case, "failure", message=redactor.text(message), type="ThresholdNotMet")
        failure.text = redactor.text(_details(test))
    elif test.status == "error":
        error = ET.SubElement(case, "error", message=redactor.text(test.message), type="NotJudged")
        error.text = redactor.text(_details(test))
    if test.reply:
        ET.SubElement(case, "system-out").text = redactor.text(test.reply)
    return case


def _details(test: TestResult) -> str:
    parts = [f"{test.name} ({test.kind}): {test.runs_label}"]
    if test.message:
        parts.append(test.message)
    if test.rationale:
        parts.append(f"Rationale: {test.rationale}")
    if test.reply:
        parts.append(f"Agent replied:\n{test.reply}")
    return "\n\n".join(parts)


def _secs(value: float) -> str:
    return f"{value:.3f}"
