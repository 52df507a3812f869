"""`agentform ci deploy`: on a push to main, merge tested agent branches, smoke-test main, roll back on failure.

In GitHub Actions the refs come from the push event (`before` and `after`) and the merged PR from the head
commit's message; locally, `--base` and `--head` name them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from agentform import exitcodes
from agentform.commands._shared import ci_context
from agentform.gitops.deploy import DeployRequest, run_deploy
from agentform.gitops.event import agent_branch_name
from agentform.gitops.outcome import CiOutcome
from agentform.gitops.publish import publish_deploy
from agentform.gitops.runner import finish, lock_holder, resolve_sha, run_workflow
from agentform.redact import Redactor

# The push that creates a branch has no "before" commit; GitHub sends forty zeros.
_NO_COMMIT = "0" * 40


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    base: str | None = None,
    head: str | None = None,
    branch_hint: str | None = None,
    report_dir: Path | None = None,
    lock_ttl: float = 30 * 60,
    lock_wait: float = 0.0,
    strict: bool = False,
    parallelism: int | None = None,
    poll_timeout: float | None = None,
    publish: bool = True,
    environ: Mapping[str, str] | None = None,
) -> int:
    environ = dict(os.environ if environ is None else environ)
    context = ci_context(environ)
    if context is None:
        return exitcodes.ERROR
    push = context.push
    head_ref = head or (push.after if push else "HEAD")
    base_ref = base or (push.before if push and push.before != _NO_COMMIT else f"{head_ref}~1")
    if branch_hint is None and push and push.merged_pr_number is not None:
        branch_hint = agent_branch_name(pr_number=push.merged_pr_number)

    redactor = Redactor()
    sha = resolve_sha(project_dir, head_ref)
    outcome = CiOutcome(kind="deploy", environment=env or "default", head_sha=sha, run_url=context.run_url)
    request = DeployRequest(
        project_root=project_dir,
        env=env,
        base=base_ref,
        head=head_ref,
        environ=environ,
        holder=lock_holder(context, environ),
        branch_hint=branch_hint,
        lock_ttl_secs=lock_ttl,
        lock_wait_secs=lock_wait,
        strict=strict,
        parallelism=parallelism,
        poll_timeout_secs=poll_timeout,
    )
    run_workflow(outcome, redactor, lambda: run_deploy(request, outcome, redactor))

    async def to_github(github):
        return await publish_deploy(github, outcome, sha=sha if context.in_actions else None, redactor=redactor)

    return finish(
        outcome,
        redactor,
        context=context,
        report_dir=report_dir,
        publish=to_github if publish and context.in_actions else None,
        environ=environ,
    )
