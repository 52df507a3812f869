"""`agentform ci pr`: the pull-request check (validate, plan, agent branch, tests, one sticky comment).

In GitHub Actions the refs, the PR number and the fork flag come from the event (`GITHUB_EVENT_PATH`); locally,
`--base` and `--head` name the refs and the agent branch is named after the git branch (or `--branch-name`).
While it runs, the commit status is `pending`. On a `closed` event (or with `--closed`) it archives the agent
branches of a PR closed without merging instead (`gitops/closed.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from agentform import exitcodes
from agentform.commands.options import WorkflowOptions
from agentform.gitops.closed import ClosedRequest, run_closed
from agentform.gitops.event import CiContext, agent_branch_name
from agentform.gitops.outcome import CiOutcome
from agentform.gitops.pr import PrRequest, run_pr
from agentform.gitops.publish import Published, publish_pending, publish_pr
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


def _clean_up(ci: CiRun, request: ClosedRequest, report_dir: Path | None) -> int:
    """A closed PR: archive its agent branches unless it was merged. Nothing is posted: nobody looks at a closed PR's
    check, so the report goes to the log, the report folder and the step summary."""
    outcome = CiOutcome(
        kind="pr-closed", environment=request.env or "default", branch=request.branch, run_url=ci.context.run_url
    )
    ci.execute(outcome, lambda: run_closed(request, outcome, ci.redactor))
    return ci.finish(outcome, report_dir=report_dir)


def run(
    workflow: WorkflowOptions,
    base: str | None = None,
    head: str | None = None,
    pr_number: int | None = None,
    branch_name: str | None = None,
    comment: bool = True,
    lock_wait: float = 600.0,
    closed: bool = False,
    environ: Mapping[str, str] | None = None,
) -> int:
    ci = CiRun.start(environ)
    if ci is None:
        return exitcodes.ERROR
    try:
        target = check_target(
            ci.context, workflow.project_dir, base=base, head=head, pr_number=pr_number, branch_name=branch_name
        )
    except ValueError as error:
        click.echo(f"Error: {error}", err=True)
        return exitcodes.ERROR
    pr, number, branch = ci.context.pull_request, target.number, target.branch
    head_ref, base_ref, sha = target.head, target.base, target.status_sha
    if closed or (pr and pr.closed):
        cleanup = ClosedRequest(
            **workflow.request_fields(ci.environ, ci.lock_holder),
            branch=branch,
            # The base's files: valid as deployed, whereas the PR may have been closed because its own were not.
            ref=head or (pr.base_sha if pr else None),
            merged=bool(pr and pr.merged),
            fork=bool(pr and pr.is_fork),
            lock_wait_secs=lock_wait,
        )
        return _clean_up(ci, cleanup, workflow.report_dir)

    outcome = CiOutcome(
        kind="pr",
        environment=workflow.env or "default",
        head_sha=sha or resolve_sha(workflow.project_dir, head_ref),
        branch=branch,
        run_url=ci.context.run_url,
    )
    request = PrRequest(
        **workflow.request_fields(ci.environ, ci.lock_holder),
        base=base_ref,
        head=head_ref,
        branch=branch,
        fork=bool(pr and pr.is_fork),
        poll_timeout_secs=workflow.poll_timeout,
        lock_wait_secs=lock_wait,
    )
    # A fork's token is read-only: the report goes to the log and the step summary only. A merge queue's check is
    # a status on the group's commit; its comment stays on the PR's own check.
    can_post = comment and (number is not None or sha is not None) and not (pr and pr.is_fork)
    comment_on = number if ci.context.merge_group is None else None

    async def pending(loaded: CiOutcome) -> None:
        await ci.announce(lambda github: publish_pending(github, loaded, sha=sha, redactor=ci.redactor))

    started = pending if can_post and sha else None
    ci.execute(outcome, lambda: run_pr(request, outcome, ci.redactor, started=started))

    async def publish(github: Any) -> Published:
        return await publish_pr(github, outcome, pr_number=comment_on, sha=sha, redactor=ci.redactor)

    return ci.finish(outcome, report_dir=workflow.report_dir, publish=publish if can_post else None)


@dataclass(frozen=True)
class CheckTarget:
    """What `ci pr` checks: the refs, the PR's number, the agent branch, and the commit its status goes on."""

    base: str
    head: str
    number: int | None
    branch: str
    status_sha: str | None


def check_target(
    context: CiContext,
    project_dir: Path,
    *,
    base: str | None,
    head: str | None,
    pr_number: int | None,
    branch_name: str | None,
) -> CheckTarget:
    """The target from the event (`pull_request`, or `merge_group`: the queue's head against its base) and the
    options, which win. Raises ValueError for an event `ci pr` does not handle, or a run on the base branch itself
    without `--branch-name` (its agent branch would be named after main)."""
    pr, group = context.pull_request, context.merge_group
    number: int | None
    git_branch: str | None
    if context.event_name and pr is None and group is None and not (base and head):
        raise ValueError(
            f"`ci pr` checks pull_request and merge_group events, not {context.event_name}; pass --base and --head"
        )
    if pr is not None:
        number = pr_number if pr_number is not None else pr.number
        refs, git_branch, sha = (pr.base_sha, pr.head_sha), pr.head_ref, pr.head_sha
    elif group is not None:
        # The queue's temporary branch: tested on its own agent branch, so the PR's own branch keeps what it tested.
        number = pr_number if pr_number is not None else group.pr_number
        refs, git_branch, sha = (group.base_sha, group.head_sha), group.head_ref, group.head_sha
        branch_name = branch_name or (f"queue-pr-{number}" if number is not None else None)
        number = None if pr_number is None else number
    else:
        number, refs, sha = pr_number, ("main", "HEAD"), None
        git_branch = _git_branch(project_dir, head)
    base, head = base or refs[0], head or refs[1]
    # `main`, `refs/heads/main` and `origin/main` all name the base branch `main`.
    if branch_name is None and number is None and git_branch == base.rsplit("/", 1)[-1]:
        raise ValueError(
            f"the head is on the base branch {git_branch!r}: a PR check compares a change with its base; check out "
            "the change's branch, or name its agent branch with --branch-name"
        )
    try:
        branch = branch_name or agent_branch_name(pr_number=number, git_branch=git_branch)
    except ValueError as error:
        raise ValueError(f"{error}; pass --branch-name") from None
    return CheckTarget(base, head, number, branch, sha)
