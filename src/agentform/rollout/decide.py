"""The decision rule of `rollout analyze`: pure, over a `Comparison` (docs/decisions/0141).

A non-inferiority test with margin `max_regression` (X), on the call success rate and on every evaluation criterion
that both sides were judged on:

- **wait**: either side has fewer than `min_conversations` conversations, or some rate's interval for
  `branch - main` still contains `-X` (the data cannot tell yet whether the branch is worse by more than X);
- **regressed**: some rate is worse than main by more than X with 95% confidence (the interval's upper end is
  below `-X`);
- **healthy**: every rate is no worse than main by more than X with 95% confidence (the lower end is at or above
  `-X`).

A regression anywhere wins over waiting elsewhere: a branch that is clearly worse on one criterion is aborted even
while another is still undecided. Durations are reported, never decided on: a longer call can be a better one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agentform.rollout.stats import Comparison, Difference

Outcome = Literal["wait", "healthy", "regressed"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str


def decide(comparison: Comparison, *, min_conversations: int, max_regression: float) -> Decision:
    """What the comparison says, with a one-line reason naming the numbers."""
    branch, main = comparison.branch, comparison.main
    short = [f"{s.name} has {s.conversations}" for s in (branch, main) if s.conversations < min_conversations]
    if short:
        return Decision(
            "wait", f"not enough data: {' and '.join(short)} of the {min_conversations} conversations needed"
        )
    rates = {"call success": comparison.success, **{f"criterion {key}": d for key, d in comparison.criteria.items()}}
    judged = {name: d for name, d in rates.items() if d.value is not None}
    worse = [name for name, d in judged.items() if d.high is not None and d.high < -max_regression]
    if worse:
        shown = ", ".join(f"{name} {_show(judged[name])}" for name in worse)
        return Decision("regressed", f"worse than main by more than {_pct(max_regression)}: {shown}")
    undecided = [name for name, d in judged.items() if d.low is not None and d.low < -max_regression]
    if undecided or "call success" not in judged:
        shown = ", ".join(f"{name} {_show(judged[name])}" for name in undecided) or "no call was judged"
        return Decision("wait", f"not enough data to rule out a regression of {_pct(max_regression)}: {shown}")
    return Decision(
        "healthy",
        f"no worse than main within {_pct(max_regression)}: call success {_show(comparison.success)}",
    )


def _show(d: Difference) -> str:
    assert d.value is not None and d.low is not None and d.high is not None
    return f"{d.value * 100:+.1f} pt (95% CI {d.low * 100:+.1f} to {d.high * 100:+.1f})"


def _pct(value: float) -> str:
    return f"{value * 100:g} pt"
