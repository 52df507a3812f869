"""A CI run's outcome decides the exit code, the commit status and the comment, consistently."""

from __future__ import annotations

from agentform import exitcodes
from agentform.gitops.outcome import AgentBranch, CiOutcome, render_comment, render_full_report
from agentform.gitops.rollback import RollbackResult
from agentform.testing.report import AgentResult, TestReport, TestResult


def _report(status: str) -> TestReport:
    test = TestResult(
        agent_key="receptionist",
        key="greets",
        name="Greets in Romanian",
        kind="llm",
        status=status,
        passed_runs=1 if status == "passed" else 0,
        total_runs=1,
        pass_threshold=1.0,
        rationale="The reply did not mention the clinic." if status != "passed" else "",
    )
    return TestReport(environment="prod", agents=[AgentResult(agent_key="receptionist", tests=[test])])


def test_validation_errors_fail_the_check_with_exit_1_and_are_listed_open():
    outcome = CiOutcome(kind="pr", environment="prod", diagnostics=["agents/x/agent.yaml:3:5: error: name: missing"])
    assert outcome.exit_code() == exitcodes.ERROR
    assert outcome.status_state() == "failure"
    body = render_comment(outcome)
    assert body.startswith("<!-- agentform:pr env=prod -->")
    assert "<details open><summary>Validation errors (1)</summary>" in body
    assert "agents/x/agent.yaml:3:5" in body


def test_failed_tests_give_exit_3_and_an_expanded_test_section():
    outcome = CiOutcome(kind="pr", environment="prod", branch="pr-7", tests=_report("failed"))
    assert outcome.exit_code() == exitcodes.TESTS_FAILED
    assert outcome.status_state() == "failure"
    body = render_comment(outcome)
    assert "tests failed" in body and "agent branch `pr-7`" in body
    assert "<details open><summary>Tests</summary>" in body


def test_a_passing_run_shows_plan_branches_and_tests_collapsed_with_a_link_to_the_run():
    outcome = CiOutcome(
        kind="pr",
        environment="prod",
        head_sha="0123456789abcdef",
        branch="pr-7",
        plan_summary="Plan: 0 to add, 1 to change, 0 to destroy.",
        plan_markdown="```diff\n- Alo\n+ Bună\n```",
        branches=[AgentBranch("receptionist", "agent_1", "branch_1", "pr-7", "created", "v2")],
        tests=_report("passed"),
        run_url="https://github.com/acme/agents/actions/runs/5",
        dashboard_links=True,
    )
    assert outcome.exit_code() == exitcodes.OK and outcome.status_state() == "success"
    body = render_comment(outcome)
    assert "✅" in body and "commit `0123456789ab`" in body
    assert "<details><summary>Plan</summary>" in body and "+ Bună" in body
    assert "https://elevenlabs.io/app/agents/agents/agent_1?branchId=branch_1" in body
    assert "[workflow run](https://github.com/acme/agents/actions/runs/5)" in body


def test_an_offline_run_says_so_and_passes():
    outcome = CiOutcome(kind="pr", environment="prod", mode="offline", notes=["From a fork."])
    assert outcome.exit_code() == exitcodes.OK
    assert "planned offline" in outcome.headline()
    assert "> From a fork." in render_comment(outcome)


def test_a_rolled_back_deploy_fails_and_reports_each_restore():
    outcome = CiOutcome(
        kind="deploy",
        environment="prod",
        tests=_report("failed"),
        rollbacks=[RollbackResult("receptionist", "agent_1", "v1", "v3")],
    )
    assert outcome.exit_code() == exitcodes.TESTS_FAILED
    assert outcome.status_state() == "failure"
    report = render_full_report(outcome)
    assert "main rolled back" in report
    assert "`receptionist` rolled back to `v1`: restored exactly" in report


def test_the_commit_status_description_fits_githubs_limit():
    outcome = CiOutcome(kind="pr", environment="prod", error="x" * 500)
    assert outcome.status_state() == "error"
    assert len(outcome.status_description()) <= 140


def test_the_clean_up_of_a_closed_pr_is_reported_as_done_not_as_a_passed_check():
    branch = AgentBranch("receptionist", "agent_1", "br_1", "pr-7", "archived (PR closed without merging)")
    outcome = CiOutcome(kind="pr-closed", environment="prod", branch="pr-7", branches=[branch])
    assert outcome.exit_code() == exitcodes.OK
    report = render_full_report(outcome)
    assert report.startswith("## ✅ agentform clean-up of a closed PR: done")
    assert "| `receptionist` | `pr-7` | `-` | archived (PR closed without merging) |" in report
    assert "updated in place on every push" not in report
