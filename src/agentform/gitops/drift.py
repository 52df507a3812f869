"""`ci drift`: plan main's files against the live workspace on a schedule; drift is reported, never repaired.

Any difference counts: a dashboard edit (drift proper) or a merged change that never deployed. The plan shows which
(drifted resources are marked); fixing it is a person's call, through a PR or `apply --on-drift`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agentform.gitops import engine
from agentform.gitops.outcome import CiOutcome
from agentform.redact import Redactor

ISSUE_LABEL = "agentform-drift"


@dataclass(frozen=True)
class DriftRequest:
    project_root: Path
    env: str | None
    environ: Mapping[str, str]
    ref: str | None = None
    parallelism: int | None = None


async def run_drift(request: DriftRequest, outcome: CiOutcome, redactor: Redactor) -> CiOutcome:
    context = engine.load_into(outcome, redactor, request, request.ref, strict=False)
    if context is None:
        return outcome
    async with context.client() as client:
        plan = (await context.plan(client)).plan
    summary = plan.summary()
    outcome.plan_summary = summary.line() + (f" {summary.drifted} edited outside git." if summary.drifted else "")
    outcome.plan_markdown = engine.render_plan_markdown(plan, redactor)
    outcome.drift_found = plan.has_changes or summary.drifted > 0
    return outcome
