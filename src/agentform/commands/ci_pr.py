"""`agentform ci pr`: the pull-request check (validate, plan, agent branch, tests, one sticky comment).

In GitHub Actions the refs, the PR number and the fork flag come from the event (`GITHUB_EVENT_PATH`); locally,
`--base` and `--head` name the refs and the agent branch is named after the git branch (or `--branch-name`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from agentform import exitcodes
from agentform.gitops.event import agent_branch_name
from agentform.gitops.outcome import CiOutcome
from agentform.gitops.pr import PrRequest, run_pr
from agentform.gitops.publish import Published, publish_pr
from agentform.gitops.runner import CiRun, resolve_sha


def _git_branch(project_dir: Path, head: str | None) -> str | None:
    """The branch a local run is on (or `head` when it names a branch), for the agent branch's name."""
    import git

    try:
        with git.Repo(project_dir, search_parent_directories=True) as repo:
            if head and head in repo.heads:
                return head
            return None if repo.head.is_detached else repo.active_branch.name
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, TypeError):
        return None


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    base: str | None = None,
    head: str | None = None,
    pr_number: int | None = None,
    branch_name: str | None = None,
    report_dir: Path | None = None,
    comment: bool = True,
    strict: bool = False,
    parallelism: int | None = None,
    poll_timeout: float | None = None,
    lock_wait: float = 600.0,
    environ: Mapping[str, str] | None = None,
) -> int:
    ci = CiRun.start(environ)
    if ci is None:
        return exitcodes.ERROR
    pr = ci.context.pull_request
    number = pr_number if pr_number is not None else (pr.number if pr else None)
    head_ref = head or (pr.head_sha if pr else "HEAD")
    base_ref = base or (pr.base_sha if pr else "main")
    try:
        branch = branch_name or agent_branch_name(
            pr_number=number, git_branch=(pr.head_ref if pr else _git_branch(project_dir, head))
        )
    except ValueError as error:
        click.echo(f"Error: {error}; pass --branch-name", err=True)
        return exitcodes.ERROR

    outcome = CiOutcome(
        kind="pr",
        environment=env or "default",
        head_sha=pr.head_sha if pr else resolve_sha(project_dir, head_ref),
        branch=branch,
        run_url=ci.context.run_url,
    )
    request = PrRequest(
        project_root=project_dir,
        env=env,
        base=base_ref,
        head=head_ref,
        branch=branch,
        environ=ci.environ,
        strict=strict,
        fork=bool(pr and pr.is_fork),
        parallelism=parallelism,
        poll_timeout_secs=poll_timeout,
        holder=ci.lock_holder,
        lock_wait_secs=lock_wait,
    )
    ci.execute(outcome, lambda: run_pr(request, outcome, ci.redactor))

    async def publish(github: Any) -> Published:
        sha = pr.head_sha if pr else None
        return await publish_pr(github, outcome, pr_number=number, sha=sha, redactor=ci.redactor)

    # A fork's token is read-only: the report goes to the log and the step summary only.
    can_post = comment and number is not None and not (pr and pr.is_fork)
    return ci.finish(outcome, report_dir=report_dir, publish=publish if can_post else None)
