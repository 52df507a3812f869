"""`run_suite` over the real client and a scripted API (httpx.MockTransport): calls, polling, timeouts, errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from agentform import exitcodes
from agentform.elevenlabs import ElevenLabsClient
from agentform.testing.runner import PollPolicy, SuiteOptions, SuiteTarget, run_suite

FAST = PollPolicy(first_delay=0.01, factor=2, max_delay=0.05, timeout_secs=5)


class ScriptedApi:
    """Answers run-tests with pending runs that finish after `reads_until_done` reads, with scripted verdicts."""

    def __init__(self, verdicts: dict[str, list[str]], *, reads_until_done: int = 2, fail_agents: tuple = ()) -> None:
        self.verdicts = verdicts  # test id -> run statuses
        self.reads_until_done = reads_until_done
        self.fail_agents = fail_agents
        self.invocations: dict[str, dict[str, Any]] = {}
        self.reads: dict[str, int] = {}
        self.run_bodies: dict[str, dict[str, Any]] = {}
        self.bodies: list[dict[str, Any]] = []
        self.cancelled: list[str] = []
        self.events: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/run-tests"):
            agent_id = path.split("/")[-2]
            if agent_id in self.fail_agents:
                return httpx.Response(422, json={"detail": [{"loc": ["body"], "msg": "bad override", "type": "x"}]})
            body = json.loads(request.content)
            self.run_bodies[agent_id] = body
            self.bodies.append(body)
            invocation_id = f"inv-{agent_id}-{len(self.bodies)}"
            repeat = body.get("repeat_count") or 1
            runs = [
                {
                    "test_run_id": f"{t['test_id']}-{i}",
                    "test_id": t["test_id"],
                    "status": "pending",
                    "agent_id": agent_id,
                }
                for t in body["tests"]
                for i in range(repeat)
            ]
            self.invocations[invocation_id] = {"id": invocation_id, "agent_id": agent_id, "test_runs": runs}
            self.reads[invocation_id] = 0
            self.events.append("started")
            return httpx.Response(200, json=self.invocations[invocation_id])
        if path.endswith("/cancel"):
            invocation_id = path.split("/")[-2]
            self.cancelled.append(invocation_id)
            return httpx.Response(200, json={})
        invocation_id = path.split("/")[-1]
        self.reads[invocation_id] += 1
        invocation = self.invocations[invocation_id]
        if self.reads[invocation_id] >= self.reads_until_done:
            self.events.append("finished")
            for run in invocation["test_runs"]:
                index = int(run["test_run_id"].rsplit("-", 1)[1])
                run["status"] = self.verdicts[run["test_id"]][index]
                run["agent_responses"] = [{"role": "agent", "message": f"reply of {run['test_run_id']}"}]
                run["condition_result"] = {"result": "success", "rationale": {"summary": f"why {run['test_run_id']}"}}
        return httpx.Response(200, json=invocation)


def _run(api: ScriptedApi, targets: list[SuiteTarget], **options: Any):
    async def go():
        async with ElevenLabsClient("http://api.test", "sk-test-key", transport=httpx.MockTransport(api)) as client:
            return await run_suite(client, targets, SuiteOptions(poll=options.pop("poll", FAST), **options))

    return asyncio.run(go())


def test_each_agent_gets_one_invocation_with_all_its_tests_and_the_branch(make_spec):
    api = ScriptedApi({"ta": ["passed"], "tb": ["failed"], "tc": ["passed"]})
    targets = [
        SuiteTarget("clinic", "ag-1", [(make_spec("a"), "ta"), (make_spec("b"), "tb")], branch_id="br-1"),
        SuiteTarget("sales", "ag-2", [(make_spec("c", agent_key="sales"), "tc")]),
    ]
    report = _run(api, targets)
    assert api.run_bodies["ag-1"] == {"tests": [{"test_id": "ta"}, {"test_id": "tb"}], "branch_id": "br-1"}
    assert api.run_bodies["ag-2"] == {"tests": [{"test_id": "tc"}]}
    assert [(t.address, t.status) for a in report.agents for t in a.tests] == [
        ("clinic/a", "passed"),
        ("clinic/b", "failed"),
        ("sales/c", "passed"),
    ]
    assert report.agents[0].tests[1].rationale == "why tb-0"
    assert report.agents[0].tests[1].reply == "reply of tb-0"
    assert report.exit_code() == exitcodes.TESTS_FAILED


def test_a_config_override_is_sent_instead_of_a_branch(make_spec):
    api = ScriptedApi({"ta": ["passed"]})
    override = {"conversation_config": {"agent": {"prompt": {"prompt": "new"}}}, "platform_settings": {}}
    _run(api, [SuiteTarget("clinic", "ag-1", [(make_spec("a"), "ta")], agent_config_override=override)])
    assert api.run_bodies["ag-1"]["agent_config_override"] == override
    assert "branch_id" not in api.run_bodies["ag-1"]


def test_repeats_are_requested_per_repeat_count_and_judged_against_each_threshold(make_spec):
    api = ScriptedApi({"ta": ["passed", "failed", "passed"], "tb": ["failed"], "tc": ["passed", "failed", "failed"]})
    specs = [
        (make_spec("a", repeat=3, pass_threshold=0.6), "ta"),
        (make_spec("b", repeat=1), "tb"),
        (make_spec("c", repeat=3, pass_threshold=0.6), "tc"),
    ]
    report = _run(api, [SuiteTarget("clinic", "ag-1", specs)])
    assert sorted((body.get("repeat_count", 1), len(body["tests"])) for body in api.bodies) == [(1, 1), (3, 2)]
    a, b, c = report.agents[0].tests
    assert (a.status, a.runs_label) == ("passed", "2/3 passed")
    assert (b.status, b.runs_label) == ("failed", "0/1 passed")
    assert (c.status, c.runs_label) == ("failed", "1/3 passed")
    assert len(report.agents[0].invocation_ids) == 2


def test_the_repeat_option_overrides_the_specs(make_spec):
    api = ScriptedApi({"ta": ["passed"] * 5})
    report = _run(api, [SuiteTarget("clinic", "ag-1", [(make_spec("a"), "ta")])], repeat=5)
    assert api.run_bodies["ag-1"]["repeat_count"] == 5
    assert report.agents[0].tests[0].runs_label == "5/5 passed"


def test_polling_waits_until_no_run_is_pending_and_reports_progress(make_spec):
    api = ScriptedApi({"ta": ["passed"]}, reads_until_done=4)
    seen: list[int] = []

    def progress(agent_key: str, invocation: dict) -> None:
        seen.append(sum(run["status"] == "pending" for run in invocation["test_runs"]))

    report = _run(api, [SuiteTarget("clinic", "ag-1", [(make_spec("a"), "ta")])], on_progress=progress)
    assert api.reads["inv-ag-1-1"] == 4
    assert seen == [1, 1, 1, 1, 0]
    assert report.status == "passed"


def test_a_run_that_outlives_the_timeout_is_cancelled_and_is_an_error(make_spec):
    api = ScriptedApi({"ta": ["passed"]}, reads_until_done=10_000)
    poll = PollPolicy(first_delay=0.01, factor=1, max_delay=0.01, timeout_secs=0.1)
    report = _run(api, [SuiteTarget("clinic", "ag-1", [(make_spec("a"), "ta")])], poll=poll)
    assert api.cancelled == ["inv-ag-1-1"]
    test = report.agents[0].tests[0]
    assert test.status == "error"
    assert "timed out after 0.1s" in test.message
    assert report.exit_code() == exitcodes.ERROR


def test_an_api_error_for_one_agent_does_not_stop_the_others(make_spec):
    api = ScriptedApi({"tc": ["passed"]}, fail_agents=("ag-1",))
    targets = [
        SuiteTarget("clinic", "ag-1", [(make_spec("a"), "ta")]),
        SuiteTarget("sales", "ag-2", [(make_spec("c", agent_key="sales"), "tc")]),
    ]
    report = _run(api, targets)
    clinic, sales = report.agents
    assert clinic.status == "error" and "HTTP 422" in clinic.error and "bad override" in clinic.error
    assert "sk-test-key" not in clinic.error
    assert sales.status == "passed"


def test_agents_run_in_parallel(make_spec):
    api = ScriptedApi({f"t{i}": ["passed"] for i in range(10)}, reads_until_done=3)
    targets = [SuiteTarget(f"a{i}", f"ag-{i}", [(make_spec("x", agent_key=f"a{i}"), f"t{i}")]) for i in range(10)]
    report = _run(api, targets)
    assert report.totals.passed == 10
    # Every invocation was started before any of them finished: the agents did not wait for each other.
    assert api.events.index("finished") > max(i for i, event in enumerate(api.events) if event == "started")


def test_a_timeout_stays_the_reported_cause_when_cancelling_fails(make_spec):
    api = ScriptedApi({"ta": ["passed"]}, reads_until_done=10_000)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/cancel"):
            return httpx.Response(404, json={"detail": "invocation not found"})
        return api(request)

    async def go():
        transport = httpx.MockTransport(handler)
        async with ElevenLabsClient("http://api.test", "sk-test-key", transport=transport, max_retries=0) as client:
            poll = PollPolicy(first_delay=0.01, factor=1, max_delay=0.01, timeout_secs=0.05)
            return await run_suite(
                client, [SuiteTarget("clinic", "ag-1", [(make_spec("a"), "ta")])], SuiteOptions(poll=poll)
            )

    report = asyncio.run(go())
    assert report.agents[0].error.startswith("timed out after 0.05s; cancelling invocation inv-ag-1-1 failed")
    assert report.agents[0].tests[0].status == "error"
