"""The report renderers: JUnit XML for CI test tabs, markdown for PR comments, JSON and terminal text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from agentform import exitcodes
from agentform.redact import MASK, Redactor
from agentform.testing.junit import render_junit
from agentform.testing.markdown import render_markdown
from agentform.testing.render import render_json, render_text
from agentform.testing.report import AgentResult, TestReport, TestResult


def _test(key: str, status: str, **fields) -> TestResult:
    defaults = dict(
        agent_key="clinic",
        key=key,
        name=f"Test {key}",
        kind="llm",
        status=status,
        passed_runs=1 if status == "passed" else 0,
        total_runs=1,
        pass_threshold=1.0,
        source=f"tests_specs/clinic/{key}.yaml",
    )
    return TestResult(**{**defaults, **fields})


@pytest.fixture
def mixed_report() -> TestReport:
    clinic = AgentResult(
        agent_key="clinic",
        agent_id="agent-1",
        branch_id="br-1",
        invocation_ids=["inv-1"],
        duration_secs=2.5,
        tests=[
            _test("address", "passed", duration_secs=2.0),
            _test(
                "prices",
                "failed",
                passed_runs=1,
                total_runs=3,
                pass_threshold=0.67,
                rationale="The reply | gave no price.\nSecond line.",
                reply="Vă rog să sunați mai târziu.",
            ),
        ],
    )
    sales = AgentResult(
        agent_key="sales",
        agent_id="agent-2",
        error="timed out after 5s; the invocation was cancelled",
        tests=[_test("greeting", "error", agent_key="sales", message="timed out after 5s", total_runs=0)],
    )
    return TestReport(
        project="demo", environment="local", target="branch pr-7", agents=[clinic, sales], duration_secs=3
    )


def test_totals_count_each_verdict_and_errors_win_the_exit_code(mixed_report):
    assert mixed_report.totals.model_dump() == {"tests": 3, "passed": 1, "failed": 1, "errors": 1}
    assert mixed_report.exit_code() == exitcodes.ERROR
    only_failures = mixed_report.model_copy(update={"agents": mixed_report.agents[:1]})
    assert only_failures.exit_code() == exitcodes.TESTS_FAILED
    assert TestReport(agents=[]).exit_code() == exitcodes.OK


def test_junit_has_one_suite_per_agent_and_separates_failures_from_errors(mixed_report):
    root = ET.fromstring(render_junit(mixed_report).split("\n", 1)[1])
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"clinic", "sales"}
    cases = {case.get("name"): case for case in suites["clinic"].findall("testcase")}
    assert cases["address"].find("failure") is None
    assert cases["address"].get("file") == "tests_specs/clinic/address.yaml"
    failure = cases["prices"].find("failure")
    assert failure.get("message") == "1/3 passed, 2 needed (threshold 0.67)"
    assert "gave no price" in failure.text and "mai târziu" in failure.text
    assert cases["prices"].find("system-out").text == "Vă rog să sunați mai târziu."
    error = suites["sales"].find("testcase").find("error")
    assert error.get("message") == "timed out after 5s"
    properties = {p.get("name"): p.get("value") for p in suites["clinic"].iter("property")}
    assert properties["invocation_ids"] == "inv-1"


def test_markdown_leads_with_the_verdict_and_tabulates_what_did_not_pass(mixed_report):
    text = render_markdown(mixed_report)
    first = text.splitlines()[0]
    assert first.startswith("### ") and "could not be judged" in first
    assert "**1** passed, **1** failed, **1** errors of 3 tests" in text
    assert "| ❌ | `clinic/prices` Test prices | 1/3 (need 2) | The reply \\| gave no price. |" in text
    assert "| ⚠️ | `sales/greeting` Test greeting | none | timed out after 5s |" in text
    assert "<details><summary>1 passed</summary>" in text
    assert "```text\nVă rog să sunați mai târziu.\n```" in text


def test_markdown_of_a_green_run_says_so_first(mixed_report):
    green = TestReport(agents=[AgentResult(agent_key="clinic", tests=[_test("address", "passed")])])
    assert "all tests passed" in render_markdown(green).splitlines()[0]
    assert "| |" not in render_markdown(green)


def test_json_is_versioned_and_round_trips(mixed_report):
    data = json.loads(render_json(mixed_report))
    assert data["format_version"] == "1.0"
    assert data["status"] == "error"
    assert data["totals"] == {"tests": 3, "passed": 1, "failed": 1, "errors": 1}
    assert data["agents"][0]["tests"][1]["pass_threshold"] == 0.67
    data.pop("status"), data.pop("totals")
    for agent in data["agents"]:
        agent.pop("status")
    assert TestReport.model_validate(data) == mixed_report


def test_text_shows_rationale_and_reply_only_for_tests_that_did_not_pass(mixed_report):
    text = render_text(mixed_report)
    assert "PASS   address: Test address  [1/1 passed]" in text
    assert "FAIL   prices: Test prices  [1/3 passed, 2 needed]" in text
    assert "rationale: The reply | gave no price." in text
    assert "ERROR  greeting" in text
    assert text.rstrip().endswith("Tests: 1 passed, 1 failed, 1 errors (3 total) in 3.0s.")


def test_every_renderer_masks_secret_values(mixed_report):
    secret = "sk-live-123456"
    agent = mixed_report.agents[0]
    leaky_test = agent.tests[1].model_copy(update={"reply": f"the key is {secret}", "rationale": f"saw {secret}"})
    leaky = mixed_report.model_copy(
        update={"agents": [agent.model_copy(update={"tests": [agent.tests[0], leaky_test]})]}
    )
    redactor = Redactor([secret])
    for render in (render_junit, render_markdown, render_json, render_text):
        out = render(leaky, redactor=redactor)
        assert secret not in out, render.__name__
        assert MASK in out, render.__name__


def test_an_agent_that_failed_before_listing_tests_counts_as_an_error_everywhere():
    report = TestReport(agents=[AgentResult(agent_key="sales", error="sales: the agent does not exist live")])
    assert report.totals.errors == 1
    assert report.exit_code() == exitcodes.ERROR
    root = ET.fromstring(render_junit(report).split("\n", 1)[1])
    assert root.get("errors") == "1"
    assert root.find("testsuite/testcase/error").get("message") == "sales: the agent does not exist live"
    assert "⚠️ `sales`: sales: the agent does not exist live" in render_markdown(report)
    assert "ERROR  sales: the agent does not exist live" in render_text(report)
