"""`agentform ci drift`: the scheduled check that main's files still describe the live workspace.

Exit 0 without differences, 2 with (as `plan --detailed-exitcode`), 1 on error. With `--issue`, one GitHub issue
labelled `agentform-drift` carries the current plan: opened or edited while there is drift, closed when it is gone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from agentform import exitcodes
from agentform.commands._shared import ci_context
from agentform.gitops.drift import ISSUE_LABEL, DriftRequest, run_drift
from agentform.gitops.outcome import CiOutcome, render_comment
from agentform.gitops.publish import Published
from agentform.gitops.runner import finish, run_workflow
from agentform.redact import Redactor


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    ref: str | None = None,
    report_dir: Path | None = None,
    issue: bool = False,
    parallelism: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    environ = dict(os.environ if environ is None else environ)
    context = ci_context(environ)
    if context is None:
        return exitcodes.ERROR
    redactor = Redactor()
    outcome = CiOutcome(kind="drift", environment=env or "default", run_url=context.run_url)
    request = DriftRequest(project_root=project_dir, env=env, environ=environ, ref=ref, parallelism=parallelism)
    run_workflow(outcome, redactor, lambda: run_drift(request, outcome, redactor))

    async def to_github(github) -> Published:
        title = f"agentform: drift in {outcome.environment}"
        if outcome.drift_found:
            body = redactor.text(render_comment(outcome))
            return Published(issue_number=(await github.open_or_update_issue(title, body, label=ISSUE_LABEL)).id)
        await github.close_issue(title, label=ISSUE_LABEL, comment="No drift any more: main matches the workspace.")
        return Published()

    usable = issue and not outcome.error and not outcome.diagnostics
    return finish(
        outcome,
        redactor,
        context=context,
        report_dir=report_dir,
        publish=to_github if usable else None,
        environ=environ,
    )
