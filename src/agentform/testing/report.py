"""The data of a test run: per test, per agent, totals. Renderers (JUnit, markdown, JSON, text) read it only.

A test *passes* when the share of its runs that passed reaches the spec's `pass_threshold` (`k/n`); it *fails*
when every run finished and that share is too low; it is an *error* when it could not be judged: the invocation
timed out or was cancelled, a run is missing, or the API refused the call. An error is never a pass.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from agentform import exitcodes, formats

REPORT_FORMAT_VERSION = formats.TEST_REPORT

TestStatus = Literal["passed", "failed", "error"]
RunStatus = Literal["passed", "failed", "cancelled", "pending"]

# Thresholds are read to the nearest half percent (a user who writes 0.67 for "two of three" means 2/3), but never
# by as much as half a run: with 500 runs, 1.0 still means all 500.
_THRESHOLD_EPSILON = 0.005


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunResult(_Model):
    """One run of one test (a test with `repeat: 3` has three)."""

    run_id: str
    status: RunStatus
    rationale: str = ""
    reply: str = ""


class TestResult(_Model):
    """The verdict on one test spec."""

    __test__ = False  # not a pytest class, despite the name

    agent_key: str
    key: str
    name: str
    kind: str
    status: TestStatus
    passed_runs: int
    total_runs: int
    pass_threshold: float
    # Why the evaluator decided (the first failing run's rationale when there is one).
    rationale: str = ""
    # The first lines of the agent's actual reply in that run.
    reply: str = ""
    # Why the test could not be judged (status "error").
    message: str = ""
    duration_secs: float = 0.0
    source: str = ""
    test_id: str | None = None
    runs: list[RunResult] = Field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.agent_key}/{self.key}"

    @property
    def runs_label(self) -> str:
        """`k/n passed`, the figure a reader compares with the threshold."""
        return f"{self.passed_runs}/{self.total_runs} passed"


class AgentResult(_Model):
    """All tests of one agent, from its run-tests invocations (one per distinct repeat count, usually one)."""

    agent_key: str
    agent_id: str | None = None
    branch_id: str | None = None
    invocation_ids: list[str] = Field(default_factory=list)
    # Set when the whole invocation failed (API error, timeout, cancellation).
    error: str = ""
    duration_secs: float = 0.0
    tests: list[TestResult] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> TestStatus:
        return worst_status([test.status for test in self.tests] + (["error"] if self.error else []))


class Totals(_Model):
    tests: int
    passed: int
    failed: int
    errors: int


class TestReport(_Model):
    """The outcome of `agentform test`: what was tested, against what, and every verdict."""

    __test__ = False  # not a pytest class, despite the name

    format_version: str = REPORT_FORMAT_VERSION
    project: str = ""
    environment: str = ""
    # What ran: "branch <name>", "working tree (agent_config_override)", "main".
    target: str = ""
    # Why these agents were chosen (`--changed-since`), one line per agent; empty when not filtered.
    selection: list[str] = Field(default_factory=list)
    started_at_unix: float = 0.0
    duration_secs: float = 0.0
    agents: list[AgentResult] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def totals(self) -> Totals:
        tests = [test for agent in self.agents for test in agent.tests]
        return Totals(
            tests=len(tests),
            passed=sum(test.status == "passed" for test in tests),
            failed=sum(test.status == "failed" for test in tests),
            # An agent that failed before any test could be listed (`AgentResult(error=...)` alone) counts as one.
            errors=sum(test.status == "error" for test in tests)
            + sum(bool(a.error and not a.tests) for a in self.agents),
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> TestStatus:
        return worst_status([agent.status for agent in self.agents])

    def exit_code(self) -> int:
        """1 when anything could not be judged (an incomplete suite is not a verdict), 3 on failures, else 0."""
        return {"passed": exitcodes.OK, "failed": exitcodes.TESTS_FAILED, "error": exitcodes.ERROR}[self.status]

    def summary_line(self) -> str:
        totals = self.totals
        line = f"Tests: {totals.passed} passed, {totals.failed} failed, {totals.errors} errors ({totals.tests} total)"
        return f"{line} in {self.duration_secs:.1f}s."


def worst_status(statuses: list[TestStatus]) -> TestStatus:
    """error > failed > passed; an empty list passes (nothing was asked)."""
    if "error" in statuses:
        return "error"
    if "failed" in statuses:
        return "failed"
    return "passed"


def meets_threshold(passed: int, total: int, threshold: float) -> bool:
    """Whether `passed` of `total` runs reach the threshold; zero runs never do."""
    return total > 0 and passed >= required_passes(total, threshold)


def required_passes(total: int, threshold: float) -> int:
    """How many of `total` runs must pass: what a reader needs to see next to `k/n`."""
    if not total:
        return 0
    return max(1, math.ceil(total * threshold - min(total * _THRESHOLD_EPSILON, 0.49)))
