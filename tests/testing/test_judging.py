"""How a test invocation's runs become verdicts: thresholds, repeats, timeouts and cancellations."""

from __future__ import annotations

from agentform.testing.judging import judge_invocation, judge_test, merge_results, reply_excerpt
from agentform.testing.report import meets_threshold, required_passes
from agentform.testing.runner import PollPolicy, SuiteTarget, repeat_groups


def test_a_single_passing_run_passes_a_default_spec(make_spec, make_run):
    result = judge_test(make_spec(), "t1", [make_run("t1", "passed", reply="Strada Lalelelor 5.")])
    assert result.status == "passed"
    assert result.runs_label == "1/1 passed"
    assert result.reply == "Strada Lalelelor 5."


def test_two_of_three_runs_pass_a_two_thirds_threshold_but_not_a_full_one(make_spec, make_run):
    runs = [make_run("t1", "passed", run_id="a"), make_run("t1", "failed", run_id="b"), make_run("t1", "passed")]
    assert judge_test(make_spec(repeat=3, pass_threshold=0.67), "t1", runs).status == "passed"
    assert judge_test(make_spec(repeat=3, pass_threshold=2 / 3), "t1", runs).status == "passed"
    failed = judge_test(make_spec(repeat=3, pass_threshold=1.0), "t1", runs)
    assert failed.status == "failed"
    assert (failed.passed_runs, failed.total_runs) == (2, 3)


def test_the_rationale_shown_is_the_first_failing_runs(make_spec, make_run):
    runs = [
        make_run("t1", "passed", rationale="fine", run_id="a"),
        make_run("t1", "failed", rationale="no address given", reply="Nu știu.", run_id="b"),
    ]
    result = judge_test(make_spec(repeat=2, pass_threshold=0.5), "t1", runs)
    assert result.status == "passed"
    assert result.rationale == "no address given"
    assert result.reply == "Nu știu."


def test_a_cancelled_run_is_an_error_never_a_pass(make_spec, make_run):
    runs = [make_run("t1", "passed", run_id="a"), make_run("t1", "cancelled", run_id="b")]
    result = judge_test(make_spec(repeat=2, pass_threshold=0.5), "t1", runs)
    assert result.status == "error"
    assert "did not finish" in result.message


def test_a_timed_out_invocation_makes_unfinished_tests_errors_and_keeps_finished_verdicts(make_spec, make_run):
    spec_a, spec_b = make_spec("a"), make_spec("b")
    target = SuiteTarget("clinic", "agent-1", [(spec_a, "ta"), (spec_b, "tb")])
    invocation = {"id": "inv-1", "test_runs": [make_run("ta", "pending"), make_run("tb", "passed")]}
    result = judge_invocation(target, invocation, incomplete_reason="timed out after 5s")
    assert [test.status for test in result.tests] == ["error", "passed"]
    assert result.tests[0].message == "timed out after 5s"
    # The agent as a whole is still an error: part of its suite was never judged.
    assert result.status == "error"


def test_a_test_without_runs_in_the_invocation_is_an_error(make_spec):
    target = SuiteTarget("clinic", "agent-1", [(make_spec(), "t1")])
    result = judge_invocation(target, {"id": "inv-1", "test_runs": []})
    assert result.tests[0].status == "error"
    assert "no run" in result.tests[0].message


def test_runs_are_mapped_to_specs_by_test_id(make_spec, make_run):
    target = SuiteTarget("clinic", "agent-1", [(make_spec("a"), "ta"), (make_spec("b"), "tb")])
    invocation = {"id": "inv-9", "test_runs": [make_run("tb", "failed"), make_run("ta", "passed")]}
    result = judge_invocation(target, invocation)
    assert {test.key: test.status for test in result.tests} == {"a": "passed", "b": "failed"}
    assert result.invocation_ids == ["inv-9"]
    assert result.status == "failed"


def test_tests_are_grouped_by_repeat_count_unless_the_repeat_option_overrides_them(make_spec):
    tests = [(make_spec("a", repeat=1), "ta"), (make_spec("b", repeat=5), "tb"), (make_spec("c", repeat=1), "tc")]
    target = SuiteTarget("clinic", "ag-1", tests, branch_id="br")
    groups = repeat_groups(target, None)
    assert [(repeat, [test_id for _, test_id in group.tests]) for group, repeat in groups] == [
        (1, ["ta", "tc"]),
        (5, ["tb"]),
    ]
    assert all(group.branch_id == "br" for group, _ in groups)
    assert [(repeat, len(group.tests)) for group, repeat in repeat_groups(target, 2)] == [(2, 3)]


def test_merged_groups_keep_the_spec_order_and_every_invocation(make_spec, make_run):
    a, b = make_spec("a"), make_spec("b", repeat=3)
    target = SuiteTarget("clinic", "ag-1", [(a, "ta"), (b, "tb")])
    first = judge_invocation(SuiteTarget("clinic", "ag-1", [(b, "tb")]), {"id": "inv-2", "test_runs": []})
    second = judge_invocation(
        SuiteTarget("clinic", "ag-1", [(a, "ta")]), {"id": "inv-1", "test_runs": [make_run("ta", "passed")]}
    )
    merged = merge_results(target, [first, second])
    assert [test.key for test in merged.tests] == ["a", "b"]
    assert merged.invocation_ids == ["inv-2", "inv-1"]
    assert merged.status == "error"


def test_the_reply_excerpt_keeps_the_first_lines_and_shows_tool_calls():
    responses = [
        {"role": "user", "message": "ignored"},
        {"role": "agent", "message": "one\ntwo\n\nthree"},
        {"role": "agent", "tool_calls": [{"tool_name": "book", "params_as_json": '{"day": "Mon"}'}]},
        {"role": "agent", "message": "five"},
    ]
    assert reply_excerpt(responses) == 'one\ntwo\nthree\n-> book({"day": "Mon"})…'
    assert reply_excerpt([{"role": "agent", "message": "x" * 1000}], max_chars=50).endswith("…")
    assert len(reply_excerpt([{"role": "agent", "message": "x" * 1000}], max_chars=50)) == 50


def test_thresholds_are_read_to_the_nearest_half_percent():
    assert meets_threshold(2, 3, 0.67)
    assert not meets_threshold(2, 3, 0.68)
    assert meets_threshold(2, 3, 0.66)
    assert meets_threshold(1, 3, 1 / 3)
    assert not meets_threshold(0, 0, 0.1)
    assert required_passes(3, 2 / 3) == 2
    assert required_passes(3, 1.0) == 3
    assert required_passes(10, 0.8) == 8
    assert required_passes(3, 0.67) == 2


def test_polling_backs_off_exponentially_up_to_a_cap():
    delays = PollPolicy(first_delay=0.25, factor=2, max_delay=1.5).delays()
    assert [next(delays) for _ in range(5)] == [0.25, 0.5, 1.0, 1.5, 1.5]
