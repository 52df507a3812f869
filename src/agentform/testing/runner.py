"""Running test suites: one run-tests call per agent (and repeat count), agents in parallel, each invocation polled
to its end (docs/decisions/0061).

This is the network part; turning an invocation into verdicts is `judging`, a pure function of the API's answer
and the specs, so thresholds, repeats and the timeout rule are tested without a server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agentform.elevenlabs.errors import ElevenLabsError
from agentform.model import DesiredTest
from agentform.testing.judging import judge_invocation, merge_results
from agentform.testing.report import AgentResult, TestReport

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@dataclass(frozen=True)
class SuiteTarget:
    """One agent to test: its live id, where to run (branch or config override) and its tests with live ids."""

    agent_key: str
    agent_id: str
    tests: Sequence[tuple[DesiredTest, str]]
    branch_id: str | None = None
    agent_config_override: dict[str, Any] | None = None


@dataclass(frozen=True)
class PollPolicy:
    """Exponential backoff between invocation reads, bounded by a total timeout."""

    first_delay: float = 0.25
    factor: float = 1.6
    max_delay: float = 5.0
    timeout_secs: float = 600.0

    def delays(self) -> Iterator[float]:
        """A fresh, endless backoff sequence."""
        delay = self.first_delay
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_delay)


# Called with the agent key and the invocation each time it is read, for progress displays.
ProgressCallback = Callable[[str, dict[str, Any]], None]


@dataclass
class Clock:
    """Time as the runner sees it (monotonic for durations and deadlines, wall for the report's start)."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    wall: Callable[[], float] = time.time


@dataclass
class SuiteOptions:
    """How to run: `repeat` overrides every spec's; `invocation_name` is shown in the dashboard."""

    repeat: int | None = None
    poll: PollPolicy = field(default_factory=PollPolicy)
    invocation_name: str | None = None
    on_progress: ProgressCallback | None = None


async def run_suite(
    client: ElevenLabsClient,
    targets: Sequence[SuiteTarget],
    options: SuiteOptions | None = None,
    *,
    clock: Clock | None = None,
) -> TestReport:
    """Run every target's tests (one invocation per agent and repeat count, all at once) and judge them."""
    options = options or SuiteOptions()
    clock = clock or Clock()
    started_wall, started = clock.wall(), clock.now()
    groups = [(target, group, repeat) for target in targets for group, repeat in repeat_groups(target, options.repeat)]
    results = await asyncio.gather(*(_run_group(client, group, repeat, options, clock) for _, group, repeat in groups))
    agents = [
        merge_results(target, [r for (t, _, _), r in zip(groups, results, strict=True) if t is target])
        for target in targets
    ]
    return TestReport(agents=agents, started_at_unix=started_wall, duration_secs=clock.now() - started)


def repeat_groups(target: SuiteTarget, override: int | None) -> list[tuple[SuiteTarget, int]]:
    """The target split by repeat count: `--repeat` gives one group; otherwise one per distinct `repeat` of the
    specs (usually one), so a test asking for 1 run is not billed for the 5 runs of its neighbour."""
    by_repeat: dict[int, list[tuple[DesiredTest, str]]] = {}
    for spec, test_id in target.tests:
        by_repeat.setdefault(override or spec.repeat, []).append((spec, test_id))
    return [(replace(target, tests=tests), repeat) for repeat, tests in sorted(by_repeat.items())]


async def _run_group(
    client: ElevenLabsClient, target: SuiteTarget, repeat: int, options: SuiteOptions, clock: Clock
) -> AgentResult:
    started = clock.now()
    invocation: dict[str, Any] | None = None
    try:
        invocation = await client.run_tests(
            target.agent_id,
            [test_id for _, test_id in target.tests],
            branch_id=target.branch_id,
            repeat_count=repeat if repeat > 1 else None,
            agent_config_override=target.agent_config_override,
            name=options.invocation_name,
        )
        invocation, incomplete = await _poll(client, target.agent_key, invocation, options, clock)
    except ElevenLabsError as error:
        incomplete = f"the test run failed: {error}"
    result = judge_invocation(target, invocation, incomplete_reason=incomplete)
    return result.model_copy(update={"duration_secs": round(clock.now() - started, 3)})


async def _poll(
    client: ElevenLabsClient, agent_key: str, invocation: dict[str, Any], options: SuiteOptions, clock: Clock
) -> tuple[dict[str, Any], str]:
    """Read the invocation until no run is pending; on timeout cancel it. Returns it and why it is incomplete."""
    deadline = clock.now() + options.poll.timeout_secs
    delays = options.poll.delays()
    while True:
        if options.on_progress:
            options.on_progress(agent_key, invocation)
        if invocation.get("cancelled"):
            return invocation, "the test invocation was cancelled"
        if not any(run.get("status") == "pending" for run in invocation.get("test_runs", [])):
            return invocation, ""
        remaining = deadline - clock.now()
        if remaining <= 0:
            timed_out = f"timed out after {options.poll.timeout_secs:g}s"
            try:
                await client.cancel_test_invocation(invocation["id"])
            except ElevenLabsError as error:  # the timeout is the news; a failed cancel must not hide it
                return invocation, f"{timed_out}; cancelling invocation {invocation['id']} failed: {error}"
            return invocation, f"{timed_out}; the invocation was cancelled"
        await clock.sleep(min(next(delays), remaining))
        invocation = await client.get_test_invocation(invocation["id"])
