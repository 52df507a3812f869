"""The decision rule: wait for data, then no worse than main within the margin, or worse by more than it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agentform.rollout.decide import decide
from agentform.rollout.stats import BranchStats, compare, wilson


def _stats(name: str, passed: int, judged: int, **criteria: tuple[int, int]) -> BranchStats:
    return BranchStats(
        branch_id=name,
        name=name,
        conversations=judged,
        success=wilson(passed, judged),
        criteria={key: wilson(*counts) for key, counts in criteria.items()},
    )


def _decide(branch: BranchStats, main: BranchStats, *, minimum: int = 100, margin: float = 0.05):
    return decide(compare(branch, main), min_conversations=minimum, max_regression=margin)


def test_too_few_conversations_on_either_side_is_not_enough_data():
    decision = _decide(_stats("canary", 40, 50), _stats("main", 900, 1000))
    assert decision.outcome == "wait"
    assert decision.reason == "not enough data: canary has 50 of the 100 conversations needed"


def test_a_branch_as_good_as_main_with_enough_data_is_healthy():
    decision = _decide(_stats("canary", 900, 1000), _stats("main", 905, 1000))
    assert decision.outcome == "healthy"
    assert decision.reason.startswith("no worse than main within 5 pt: call success -0.5 pt (95% CI")


def test_a_clearly_worse_branch_regressed():
    decision = _decide(_stats("canary", 600, 1000), _stats("main", 900, 1000))
    assert decision.outcome == "regressed"
    assert "call success -30.0 pt" in decision.reason


def test_an_interval_that_still_straddles_the_margin_waits_for_more_data():
    decision = _decide(_stats("canary", 170, 200), _stats("main", 180, 200))
    assert decision.outcome == "wait"
    assert "not enough data to rule out a regression of 5 pt" in decision.reason


def test_one_regressed_criterion_is_a_regression_even_when_calls_succeed():
    decision = _decide(
        _stats("canary", 900, 1000, resolved=(500, 1000)), _stats("main", 900, 1000, resolved=(900, 1000))
    )
    assert decision.outcome == "regressed"
    assert "criterion resolved" in decision.reason


@given(st.integers(0, 400), st.integers(0, 400), st.integers(0, 400))
def test_more_successes_on_the_branch_never_turn_healthy_into_regressed(passed, more, main_passed):
    main = _stats("main", main_passed, 400)
    before = _decide(_stats("canary", passed, 400), main).outcome
    after = _decide(_stats("canary", min(400, passed + more), 400), main).outcome
    rank = {"regressed": 0, "wait": 1, "healthy": 2}
    assert rank[after] >= rank[before]
