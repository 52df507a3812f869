"""Test-run benchmark: 50 tests across 10 agents with 2 s of simulated evaluation, against a served emulator.

    .venv/bin/python bench/bench_tests.py
    .venv/bin/python bench/bench_tests.py --agents 10 --tests-per-agent 5 --eval-delay 2 --sequential

`run_suite` starts one invocation per agent, all at once, and polls each with backoff. Figures, each beside a
baseline measured in the same run:

- wall time with `eval-delay` seconds of evaluation, next to the floor (`eval-delay`: no runner can report before
  the emulator reveals the verdicts) and to the same suite with no evaluation delay (pure API and polling cost);
- with `--sequential`, the same suite one agent at a time (what parallelism across agents buys);
- requests sent (run-tests, invocation polls, cancels).

The target of issue 5: 50 tests, 10 agents, 2 s evaluation -> under 6 s wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _support import free_port, wait_up

from agentform.elevenlabs import ElevenLabsClient
from agentform.emulator import DEV_API_KEY
from agentform.model import DesiredTest, SourceLocation
from agentform.testing.runner import SuiteTarget, run_suite

PROMPT = "Be brief. The clinic is on Flower Street {n}. It opens at eight."


def spec(agent: int, test: int) -> DesiredTest:
    body = {
        "type": "llm",
        "name": f"t{test}",
        "chat_history": [{"role": "user", "message": "Where is the clinic?", "time_in_call_secs": 0}],
        "success_condition": 'The agent names "Flower Street".',
        "success_examples": [{"response": f"The clinic is on Flower Street {agent}.", "type": "success"}],
        "failure_examples": [{"response": "It opens at eight.", "type": "failure"}],
    }
    return DesiredTest(
        agent_key=f"agent-{agent}",
        key=f"t{test}",
        kind="llm",
        body=body,
        source=SourceLocation(path=f"tests_specs/agent-{agent}/t{test}.yaml"),
    )


async def create_targets(client: ElevenLabsClient, agents: int, per_agent: int) -> list[SuiteTarget]:
    targets = []
    for n in range(agents):
        config = {"agent": {"first_message": "Hello.", "prompt": {"prompt": PROMPT.format(n=n)}}}
        agent_id = await client.create_agent({"name": f"Clinic {n}", "conversation_config": config})
        tests = []
        for t in range(per_agent):
            test = spec(n, t)
            tests.append((test, await client.create_test(test.body)))
        targets.append(SuiteTarget(f"agent-{n}", agent_id, tests))
    return targets


async def timed(client: ElevenLabsClient, targets: list[SuiteTarget], *, sequential: bool) -> tuple[float, int, str]:
    before, started = client.request_count, time.perf_counter()
    if sequential:
        reports = [await run_suite(client, [target]) for target in targets]
        status = "passed" if all(r.status == "passed" for r in reports) else "not passed"
    else:
        report = await run_suite(client, targets)
        status = f"{report.totals.passed}/{report.totals.tests} passed"
        errors = {agent.error for agent in report.agents if agent.error}
        if errors:
            raise SystemExit(f"the suite did not run: {errors}")
    return time.perf_counter() - started, client.request_count - before, status


async def bench(base_url: str, args: argparse.Namespace) -> None:
    async with ElevenLabsClient(base_url, DEV_API_KEY) as client:
        targets = await create_targets(client, args.agents, args.tests_per_agent)
        total = args.agents * args.tests_per_agent
        print(f"{total} tests across {args.agents} agents, emulator over loopback\n")

        async with httpx.AsyncClient(base_url=base_url, headers={"xi-api-key": DEV_API_KEY}) as admin:
            (await admin.put("/_emulator/settings", json={"eval_delay_secs": 0})).raise_for_status()
            zero, zero_requests, zero_status = await timed(client, targets, sequential=False)
            (await admin.put("/_emulator/settings", json={"eval_delay_secs": args.eval_delay})).raise_for_status()
            wall, requests, status = await timed(client, targets, sequential=False)
            rows = [
                ("no evaluation delay (API + polling cost)", zero, zero_requests, zero_status),
                (f"{args.eval_delay:g} s evaluation, agents in parallel", wall, requests, status),
            ]
            if args.sequential:
                seq, seq_requests, seq_status = await timed(client, targets, sequential=True)
                rows.append((f"{args.eval_delay:g} s evaluation, one agent at a time", seq, seq_requests, seq_status))

    for label, secs, count, outcome in rows:
        print(f"  {label:<46} {secs:6.2f} s  {count:4d} requests  {outcome}")
    print()
    print(f"  floor (evaluation delay)                       {args.eval_delay:6.2f} s")
    print(f"  parallel / floor                               {wall / args.eval_delay:6.2f}x  (ideal 1.00x)")
    print(f"  overhead beyond the evaluation                 {wall - args.eval_delay:6.2f} s")
    if args.sequential:
        print(f"  sequential / parallel                          {seq / wall:6.2f}x")
    verdict = "met" if wall < args.target else "MISSED"
    print(f"\n  target: under {args.target:g} s wall time -> {verdict} ({wall:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--tests-per-agent", type=int, default=5)
    parser.add_argument("--eval-delay", type=float, default=2.0)
    parser.add_argument("--target", type=float, default=6.0)
    parser.add_argument("--sequential", action="store_true", help="Also run agents one at a time (slow).")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "bench.sqlite")
        command = [sys.executable, "-m", "agentform", "emulator", "serve", "--port", str(port), "--db", db]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_up(f"{base_url}/_emulator/settings")
            asyncio.run(bench(base_url, args))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
