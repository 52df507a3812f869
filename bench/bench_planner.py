"""Planner benchmark: the pure planning core (normalise, diff, plan, render) over a large workspace.

    .venv/bin/python bench/bench_planner.py [--agents 300] [--repeat 3]

No I/O: the live state is built in memory as it would look right after an apply, agents read in full (the worst
case for the planner: every payload compared, server defaults included). Figures, each with a baseline measured in
the same run and reported as a ratio:

- no-op plan of N agents vs the floor: serialising every desired and live payload once to canonical JSON (the
  least any comparison must do: look at every byte once);
- the same no-op plan when the agents were not read (their list timestamps matched the state record, the usual
  case of `plan/read.py`): the planner's shortcut compares each file with the recorded payload only;
- plan with 10% of prompts edited (line diffs computed) vs the no-op plan;
- markdown rendering of that plan vs text rendering.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.plan.builders import agent, applied, desired, document, live_state, llm_test, tool  # noqa: E402

from agentform.model import KnowledgeRef  # noqa: E402
from agentform.plan.normalize import canonical  # noqa: E402
from agentform.plan.planner import make_plan  # noqa: E402
from agentform.plan.render_markdown import render_markdown  # noqa: E402
from agentform.plan.render_text import render_text  # noqa: E402

PROMPT = "\n".join(f"Rule {n}: answer politely in Romanian and confirm the appointment time." for n in range(40))


def repository(agents: int, edited_every: int = 0):
    documents = [document(f"doc-{n}", text=PROMPT) for n in range(10)]
    tools = [tool(f"tool-{n}") for n in range(5)]
    agent_list = []
    for n in range(agents):
        prompt = PROMPT + (f"\nEdited rule for agent {n}." if edited_every and n % edited_every == 0 else "")
        config = {
            "agent": {"first_message": "Alo", "language": "ro", "prompt": {"prompt": prompt, "temperature": 0.3}},
            "tts": {"voice_id": "voice-1", "stability": 0.5},
            "turn": {"turn_timeout": 7.0},
        }
        agent_list.append(
            agent(
                f"agent-{n:04d}",
                conversation_config=config,
                platform_settings={"call_limits": {"daily_limit": 1000}},
                knowledge=[KnowledgeRef(key=f"doc-{n % 10}")],
                tools=[f"tool-{n % 5}"],
            )
        )
    tests = [llm_test(f"agent-{n:04d}", "greets") for n in range(agents)]
    return desired(agents=agent_list, documents=documents, tools=tools, tests=tests)


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) if repeat < 3 else statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    files = repository(args.agents)
    live = applied(make_plan(files, live_state(), prune=True), read_agents=True)
    edited = repository(args.agents, edited_every=10)

    def floor() -> None:
        for item in files.agents.values():
            json.dumps(canonical(item.model_dump(mode="json")), sort_keys=True)
        for live_agent in live.agents:
            json.dumps(canonical(live_agent.payload), sort_keys=True)

    floor_s = best_of(args.repeat, floor)
    noop_s = best_of(args.repeat, lambda: make_plan(files, live, prune=True))
    noop = make_plan(files, live, prune=True)
    assert not noop.has_changes, "the benchmark's live state must match its files"
    trusted = applied(make_plan(files, live_state(), prune=True), read_agents=False)
    trusted_s = best_of(args.repeat, lambda: make_plan(files, trusted, prune=True))
    assert not make_plan(files, trusted, prune=True).has_changes
    edited_s = best_of(args.repeat, lambda: make_plan(edited, live, prune=True))
    plan = make_plan(edited, live, prune=True)
    text_s = best_of(args.repeat, lambda: render_text(plan))
    markdown_s = best_of(args.repeat, lambda: render_markdown(plan))

    print(f"planner benchmark: {args.agents} agents, 10 documents, 5 tools, {args.agents} tests")
    print(f"  floor (canonical JSON of every payload once)  {floor_s * 1000:8.1f} ms")
    print(f"  no-op plan                                    {noop_s * 1000:8.1f} ms   {noop_s / floor_s:5.1f}x floor")
    print(
        f"  no-op plan, agents not read (record vouches) {trusted_s * 1000:8.1f} ms   {trusted_s / floor_s:5.1f}x floor"
    )
    print(
        f"  plan, 10% prompts edited ({plan.summary().change} updates)      "
        f"{edited_s * 1000:8.1f} ms   {edited_s / noop_s:5.2f}x no-op"
    )
    print(f"  render text                                   {text_s * 1000:8.1f} ms")
    print(
        f"  render markdown ({len(render_markdown(plan))} chars)           {markdown_s * 1000:8.1f} ms   "
        f"{markdown_s / text_s:5.2f}x text"
    )
    print(f"  per agent, no-op                              {noop_s / args.agents * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
