"""`agentform ci drift`: the scheduled check that main's files still describe the live workspace.

Exit 0 without differences, 2 with (as `plan --detailed-exitcode`), 1 on error. With `--issue`, one GitHub issue
labelled `agentform-drift` carries the current plan: opened or edited while there is drift, closed when it is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentform import exitcodes
from agentform.gitops.drift import ISSUE_LABEL, DriftRequest, run_drift
from agentform.gitops.outcome import CiOutcome, render_comment
from agentform.gitops.publish import Published, issue_marker
from agentform.gitops.runner import CiRun


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    ref: str | None = None,
    report_dir: Path | None = None,
    issue: bool = False,
    parallelism: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    ci = CiRun.start(environ)
    if ci is None:
        return exitcodes.ERROR
    outcome = CiOutcome(kind="drift", environment=env or "default", run_url=ci.context.run_url)
    request = DriftRequest(project_root=project_dir, env=env, environ=ci.environ, ref=ref, parallelism=parallelism)
    ci.execute(outcome, lambda: run_drift(request, outcome, ci.redactor))

    async def to_github(github: Any) -> Published:
        title = f"agentform: drift in {outcome.environment}"
        hidden = issue_marker("drift", outcome.environment)
        if outcome.drift_found:
            body = ci.redactor.text(render_comment(outcome))
            upserted = await github.open_or_update_issue(title, body, label=ISSUE_LABEL, marker=hidden)
            return Published(issue_number=upserted.id)
        await github.close_issue(hidden, comment="No drift any more: main matches the workspace.")
        return Published()

    usable = issue and not outcome.error and not outcome.diagnostics
    return ci.finish(outcome, report_dir=report_dir, publish=to_github if usable else None)
