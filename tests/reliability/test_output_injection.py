"""Names and texts that reach the Actions log, markdown or JUnit XML are escaped for that format.

A test spec's `name` and an evaluator's rationale are data from files and from the API. Before these fixes a
newline in a test name started a GitHub workflow command on the log (`::error`, `::stop-commands::`), and a NUL was
written raw into the markdown report and into JUnit XML (which no XML parser then reads).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from agentform.escape import no_workflow_commands, one_line
from agentform.plan.model import FieldChange, Plan, ResourceChange
from agentform.plan.render_markdown import render_markdown as plan_markdown
from agentform.plan.render_text import render_text as plan_text
from agentform.testing.junit import render_junit
from agentform.testing.markdown import render_markdown
from agentform.testing.render import render_text
from agentform.testing.report import AgentResult, TestReport, TestResult

HOSTILE_NAME = "Greets\n::error file=x::injected\n::stop-commands::tok\x00en\r\n##[warning]old style"
WORKFLOW_COMMAND = re.compile(r"(?m)^\s*(::|##\[)")


def report() -> TestReport:
    test = TestResult(
        agent_key="clinic",
        key="greets",
        name=HOSTILE_NAME,
        kind="llm",
        status="failed",
        passed_runs=0,
        total_runs=1,
        pass_threshold=1.0,
        rationale="The reply said:\n::add-mask::x\nand a NUL \x00 and an ESC \x1b.",
        reply="::set-output name=x::y",
        message="",
    )
    return TestReport(project="p", environment="e", agents=[AgentResult(agent_key="clinic", tests=[test])])


@pytest.mark.parametrize("render", [render_text, render_markdown], ids=["text", "markdown"])
def test_no_rendered_line_is_a_workflow_command_and_no_nul_is_written(render):
    text = render(report())
    assert WORKFLOW_COMMAND.search(text) is None
    assert "\x00" not in text and "\x1b" not in text
    assert "injected" in text, "the content is still shown, only defused"


def test_the_junit_file_is_well_formed_xml_whatever_the_texts_hold():
    document = render_junit(report())
    root = ET.fromstring(document.encode())
    failure = root.find(".//failure")
    assert failure is not None and "\\x00" in (failure.text or "")


def test_a_plan_with_a_hostile_value_prints_no_workflow_command():
    change = ResourceChange(
        address="agent.clinic",
        kind="agent",
        key="clinic",
        action="update",
        live_id="agent_1",
        reason="edited\n::error::outside git",
        fields=[FieldChange(path="name", before="Clinic", after="New\n::warning::name\x00")],
    )
    plan = Plan(project="p", environment="e", fingerprint="f", prune=False, changes=[change])
    for text in (plan_text(plan), plan_markdown(plan)):
        assert WORKFLOW_COMMAND.search(text) is None
        assert "\x00" not in text


def test_one_line_and_no_workflow_commands_keep_the_text_readable():
    assert one_line("a\nb\r\nc\x00") == "a\\nb\\nc\\x00"
    assert no_workflow_commands("x\n  ::error::y") == "x\n  :\u200b:error::y"
