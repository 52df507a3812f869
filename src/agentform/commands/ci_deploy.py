"""`agentform ci deploy`: on a push to main (or a dispatched or scheduled run), merge tested agent branches,
smoke-test main, roll back on failure.

The deploy reconciles the checked-out commit with the live main (`gitops/deploy.py`); the push's `before` only
matters for the first deploy, before the state record knows a passed commit. The merged PR is the one GitHub says
the pushed commit merged, else the one its message names; locally, `--base`, `--head` and `--branch-hint`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from agentform import exitcodes
from agentform.commands.options import WorkflowOptions
from agentform.gitops.deploy import DeployRequest, run_deploy
from agentform.gitops.event import NO_COMMIT, agent_branch_name, pr_number_from_message
from agentform.gitops.outcome import CiOutcome
from agentform.gitops.publish import Published, publish_deploy
from agentform.gitops.runner import CiRun, resolve_sha


def merged_pull_request(ci: CiRun, sha: str, project_dir: Path) -> int | None:
    """The PR the deployed commit merged: GitHub's answer when it can be asked, else the commit message's."""
    import git

    found = asyncio.run(ci.announce(lambda github: github.merged_pull_request(sha))) if ci.context.in_actions else None
    if found is not None:
        return found
    try:
        with git.Repo(project_dir, search_parent_directories=True) as repo:
            return pr_number_from_message(str(repo.commit(sha).message))
    except (git.GitError, ValueError):
        return None


def run(
    workflow: WorkflowOptions,
    base: str | None = None,
    head: str | None = None,
    branch_hint: str | None = None,
    lock_ttl: float = 30 * 60,
    lock_wait: float = 0.0,
    publish: bool = True,
    environ: Mapping[str, str] | None = None,
) -> int:
    ci = CiRun.start(environ)
    if ci is None:
        return exitcodes.ERROR
    push = ci.context.push
    if push is not None and push.deleted:
        click.echo(f"Nothing to deploy: the push deleted {push.ref}.")
        return exitcodes.OK
    target = deploy_target(ci, workflow.project_dir, base=base, head=head, branch_hint=branch_hint)
    outcome = CiOutcome(
        kind="deploy", environment=workflow.env or "default", head_sha=target.sha, run_url=ci.context.run_url
    )
    request = DeployRequest(
        **workflow.request_fields(ci.environ, ci.lock_holder),
        base=target.base,
        head=target.head,
        branch_hint=target.branch_hint,
        lock_ttl_secs=lock_ttl,
        lock_wait_secs=lock_wait,
        poll_timeout_secs=workflow.poll_timeout,
    )
    ci.execute(outcome, lambda: run_deploy(request, outcome, ci.redactor))

    async def to_github(github: Any) -> Published:
        sha = target.sha if ci.context.in_actions else None
        return await publish_deploy(github, outcome, sha=sha, pr_number=target.merged_pr, redactor=ci.redactor)

    return ci.finish(
        outcome, report_dir=workflow.report_dir, publish=to_github if publish and ci.context.in_actions else None
    )


@dataclass(frozen=True)
class DeployTarget:
    """What `ci deploy` deploys: the refs, the commit, and the PR it merged with that PR's agent branch."""

    base: str
    head: str
    sha: str | None
    merged_pr: int | None
    branch_hint: str | None


def deploy_target(
    ci: CiRun, project_dir: Path, *, base: str | None, head: str | None, branch_hint: str | None
) -> DeployTarget:
    """The target from the push event and the options, which win. Without a push (a dispatched or scheduled run):
    HEAD, against its parent; the branch hint is the merged PR's agent branch unless `branch_hint` names one."""
    push = ci.context.push
    head_ref = head or (push.after if push else "HEAD")
    base_ref = base or (push.before if push and push.before != NO_COMMIT else f"{head_ref}~1")
    sha = resolve_sha(project_dir, head_ref)
    merged_pr = merged_pull_request(ci, sha, project_dir) if sha else None
    if branch_hint is None and merged_pr is not None:
        branch_hint = agent_branch_name(pr_number=merged_pr)
    return DeployTarget(base_ref, head_ref, sha, merged_pr, branch_hint)
