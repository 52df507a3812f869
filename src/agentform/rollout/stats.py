"""What live conversations say about a branch: pure functions over the API's conversation summaries.

- success rate: `call_successful == "success"` over the conversations judged `success` or `failure` (`unknown`
  and errors are counted but judge nothing), with a 95% Wilson score interval: unlike the textbook normal
  interval it stays inside [0, 1] and is honest for small counts and rates near 0 or 1;
- each evaluation criterion's pass rate, the same way;
- mean call duration;
- the difference to main of each rate, with Newcombe's hybrid score interval (built from the two Wilson
  intervals), which is what the decision rule (`decide.py`) reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Two-sided 95%.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """`passed` of `judged`, with its Wilson interval; rate and bounds are None when nothing was judged."""

    passed: int
    judged: int
    low: float | None = None
    high: float | None = None

    @property
    def value(self) -> float | None:
        return self.passed / self.judged if self.judged else None


def wilson(passed: int, judged: int, z: float = Z_95) -> Rate:
    """The rate `passed / judged` with its Wilson score interval."""
    if judged <= 0:
        return Rate(passed, 0)
    p = passed / judged
    denominator = 1 + z * z / judged
    centre = (p + z * z / (2 * judged)) / denominator
    half = z * math.sqrt(p * (1 - p) / judged + z * z / (4 * judged * judged)) / denominator
    # The interval always holds the observed rate; rounding must not move a bound past it (at 0 of n, n of n).
    return Rate(passed, judged, max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


@dataclass(frozen=True)
class Difference:
    """`branch - main` of a rate, with Newcombe's interval; all None when either side judged nothing."""

    value: float | None = None
    low: float | None = None
    high: float | None = None


def difference(branch: Rate, main: Rate) -> Difference:
    """Newcombe's hybrid score interval for `branch - main` (method 10 of Newcombe, 1998)."""
    p1, p2 = branch.value, main.value
    if p1 is None or p2 is None:
        return Difference()
    assert branch.low is not None and branch.high is not None and main.low is not None and main.high is not None
    d = p1 - p2
    low = d - math.sqrt((p1 - branch.low) ** 2 + (main.high - p2) ** 2)
    high = d + math.sqrt((branch.high - p1) ** 2 + (p2 - main.low) ** 2)
    return Difference(d, low, high)


@dataclass(frozen=True)
class BranchStats:
    """One branch's conversations in the rollout's window."""

    branch_id: str
    name: str
    conversations: int
    success: Rate
    criteria: dict[str, Rate] = field(default_factory=dict)
    mean_duration_secs: float | None = None


def branch_stats(branch_id: str, name: str, conversations: Iterable[Mapping[str, Any]]) -> BranchStats:
    """The statistics of one branch from its conversation summaries (the list endpoint's items)."""
    items = list(conversations)
    judged = [c.get("call_successful") for c in items if c.get("call_successful") in ("success", "failure")]
    outcomes: dict[str, list[bool]] = {}
    for conversation in items:
        for criteria_id, result in sorted((conversation.get("evaluation_criteria_results") or {}).items()):
            verdict = (result or {}).get("result")
            if verdict in ("success", "failure"):
                outcomes.setdefault(criteria_id, []).append(verdict == "success")
    durations = [c["call_duration_secs"] for c in items if isinstance(c.get("call_duration_secs"), int | float)]
    return BranchStats(
        branch_id=branch_id,
        name=name,
        conversations=len(items),
        success=wilson(judged.count("success"), len(judged)),
        criteria={key: wilson(sum(results), len(results)) for key, results in sorted(outcomes.items())},
        mean_duration_secs=sum(durations) / len(durations) if durations else None,
    )


@dataclass(frozen=True)
class Comparison:
    """A branch against main over the same window."""

    branch: BranchStats
    main: BranchStats
    success: Difference
    criteria: dict[str, Difference]
    duration_secs: float | None


def compare(branch: BranchStats, main: BranchStats) -> Comparison:
    """Each rate's difference to main (criteria either side has), and the difference of mean durations."""
    criteria = {
        key: difference(branch.criteria.get(key, Rate(0, 0)), main.criteria.get(key, Rate(0, 0)))
        for key in sorted(set(branch.criteria) | set(main.criteria))
    }
    duration = None
    if branch.mean_duration_secs is not None and main.mean_duration_secs is not None:
        duration = branch.mean_duration_secs - main.mean_duration_secs
    return Comparison(branch, main, difference(branch.success, main.success), criteria, duration)
