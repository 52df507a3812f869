"""The statistics of a rollout: Wilson intervals, Newcombe differences, per-branch summaries of conversations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentform.rollout.stats import Rate, branch_stats, compare, difference, wilson


def test_the_wilson_interval_matches_the_published_example():
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", example 81/263.
    rate = wilson(81, 263)
    assert (round(rate.low, 4), round(rate.high, 4)) == (0.2553, 0.3662)
    assert rate.value == pytest.approx(81 / 263)


def test_the_difference_interval_matches_newcombes_method_10():
    # Newcombe (1998), "Interval estimation for the difference between independent proportions", 56/70 vs 48/80.
    d = difference(wilson(56, 70), wilson(48, 80))
    assert (round(d.value, 4), round(d.low, 4), round(d.high, 4)) == (0.2, 0.0524, 0.3339)


def test_nothing_judged_has_no_rate_and_no_difference():
    assert wilson(0, 0) == Rate(0, 0)
    assert difference(wilson(0, 0), wilson(5, 10)).value is None


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_interval_stays_in_0_1_and_holds_the_rate(counts):
    passed, judged = counts
    rate = wilson(passed, judged)
    if judged == 0:
        assert rate.value is None
        return
    assert 0.0 <= rate.low <= rate.value <= rate.high <= 1.0


def test_more_conversations_narrow_the_interval():
    assert wilson(900, 1000).high - wilson(900, 1000).low < wilson(9, 10).high - wilson(9, 10).low


def _conversation(result: str, duration: int, **criteria: str) -> dict:
    return {
        "call_successful": result,
        "call_duration_secs": duration,
        "evaluation_criteria_results": {key: {"result": value} for key, value in criteria.items()},
    }


def test_a_branch_summary_counts_success_criteria_and_duration_and_ignores_unknowns():
    stats = branch_stats(
        "b1",
        "canary",
        [
            _conversation("success", 60, resolved="success"),
            _conversation("failure", 120, resolved="failure", polite="success"),
            _conversation("unknown", 30, resolved="unknown"),
        ],
    )
    assert stats.conversations == 3
    assert (stats.success.passed, stats.success.judged) == (1, 2)
    assert {key: (r.passed, r.judged) for key, r in stats.criteria.items()} == {"polite": (1, 1), "resolved": (1, 2)}
    assert stats.mean_duration_secs == 70


def test_the_comparison_is_branch_minus_main_for_every_criterion_either_side_has():
    branch = branch_stats("b", "canary", [_conversation("failure", 100, resolved="failure")] * 10)
    main = branch_stats("m", "main", [_conversation("success", 60, resolved="success", polite="success")] * 10)
    comparison = compare(branch, main)
    assert comparison.success.value == -1.0
    assert set(comparison.criteria) == {"polite", "resolved"}
    assert comparison.criteria["polite"].value is None  # the canary was never judged on it
    assert comparison.duration_secs == 40
