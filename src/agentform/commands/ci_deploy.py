"""`agentform ci deploy`: on a push to main, merge tested agent branches, smoke-test main, roll back on failure.

In GitHub Actions the refs come from the push event (`before` and `after`) and the merged PR from the head
commit's message; locally, `--base` and `--head` name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentform import exitcodes
from agentform.gitops.deploy import DeployRequest, run_deploy
from agentform.gitops.event import agent_branch_name
from agentform.gitops.outcome import CiOutcome
from agentform.gitops.publish import Published, publish_deploy
from agentform.gitops.runner import CiRun, resolve_sha

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
    ci = CiRun.start(environ)
    if ci is None:
        return exitcodes.ERROR
    push = ci.context.push
    head_ref = head or (push.after if push else "HEAD")
    base_ref = base or (push.before if push and push.before != _NO_COMMIT else f"{head_ref}~1")
    if branch_hint is None and push and push.merged_pr_number is not None:
        branch_hint = agent_branch_name(pr_number=push.merged_pr_number)

    sha = resolve_sha(project_dir, head_ref)
    outcome = CiOutcome(kind="deploy", environment=env or "default", head_sha=sha, run_url=ci.context.run_url)
    request = DeployRequest(
        project_root=project_dir,
        env=env,
        base=base_ref,
        head=head_ref,
        environ=ci.environ,
        holder=ci.lock_holder,
        branch_hint=branch_hint,
        lock_ttl_secs=lock_ttl,
        lock_wait_secs=lock_wait,
        strict=strict,
        parallelism=parallelism,
        poll_timeout_secs=poll_timeout,
    )
    ci.execute(outcome, lambda: run_deploy(request, outcome, ci.redactor))

    async def to_github(github: Any) -> Published:
        return await publish_deploy(github, outcome, sha=sha if ci.context.in_actions else None, redactor=ci.redactor)

    return ci.finish(outcome, report_dir=report_dir, publish=to_github if publish and ci.context.in_actions else None)
