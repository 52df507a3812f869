"""What `ci pr`, `ci deploy` and `ci drift` share at the edge: reading the CI context, running a workflow under a
uniform error policy, and handing the outcome to the terminal, the report folder, the step summary and GitHub.

`CiRun` strings these together, so that a CI command is its own arguments, its request and its publisher.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from agentform import exitcodes
from agentform.apply.executor import ApplyRefused
from agentform.context import run_until_signalled
from agentform.elevenlabs import ElevenLabsError
from agentform.gitops.changes import ChangeDetectionError
from agentform.gitops.engine import ApplyFailed
from agentform.gitops.event import CiContext, EventError, ci_context_from_env
from agentform.gitops.github import GitHubClient, GitHubError
from agentform.gitops.outcome import CiOutcome, render_full_report
from agentform.gitops.publish import Published, append_step_summary, write_reports
from agentform.redact import Redactor
from agentform.state.lock import LockHeld
from agentform.state.model import StateError

# Posts an outcome with a GitHub client (comment, status, issue); what it posted.
Publisher = Callable[[Any], Awaitable[Published]]


def lock_holder(context: CiContext, environ: Mapping[str, str]) -> str:
    """Who holds the environment lock, as another run will see it: the workflow run, or user@host."""
    if context.run_url:
        return f"GitHub Actions run {context.run_url}"
    return f"{environ.get('USER', 'someone')}@{socket.gethostname()}"


def resolve_sha(project_dir: Path, ref: str | None) -> str | None:
    """The commit a ref names (for reports), or None when it cannot be resolved (the message comes later)."""
    import git

    try:
        with git.Repo(project_dir, search_parent_directories=True) as repo:
            return repo.commit(ref or "HEAD").hexsha
    except (git.GitError, ValueError, git.BadName):
        return None


def run_workflow(outcome: CiOutcome, redactor: Redactor, workflow: Callable[[], Coroutine[Any, Any, Any]]) -> CiOutcome:
    """Run `workflow`, turning the failures a CI run can meet into `outcome.error` with the right exit code; SIGTERM
    (a cancelled job) and SIGINT end it as they end a CLI command: the lock released, exit 143 or 130."""
    try:
        run_until_signalled(workflow)
    except (LockHeld, ApplyRefused) as error:
        outcome.error, outcome.error_exit_code = redactor.text(str(error)), exitcodes.STALE_OR_CONFLICT
    except (ElevenLabsError, ApplyFailed, ChangeDetectionError, StateError) as error:
        outcome.error = redactor.text(str(error))
    return outcome


def finish(
    outcome: CiOutcome,
    redactor: Redactor,
    *,
    context: CiContext,
    report_dir: Path | None,
    publish: Publisher | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Print the report, write the report files and step summary, publish to GitHub; return the exit code."""
    environ = os.environ if environ is None else environ
    click.echo(redactor.text(render_full_report(outcome)))
    if context.in_actions:
        for line in outcome.annotations:
            click.echo(line)
    if report_dir is not None:
        write_reports(outcome, report_dir, redactor)
    if context.step_summary is not None:
        append_step_summary(outcome, context.step_summary, redactor)
    if publish is not None:
        token = _github_token(context, environ)
        if token is None:
            click.echo("Not publishing to GitHub: GITHUB_TOKEN or GITHUB_REPOSITORY is not set.", err=True)
        else:
            try:
                published = asyncio.run(_publish(publish, context, token, redactor))
            except GitHubError as error:
                # The check must not pass silently when its report could not be posted.
                click.echo(f"Error: publishing to GitHub failed: {redactor.text(str(error))}", err=True)
                return outcome.exit_code() or exitcodes.ERROR
            if published.comment_id is not None:
                verb = "posted" if published.comment_created else "updated"
                click.echo(f"PR comment {verb} (id {published.comment_id}).", err=True)
    return outcome.exit_code()


def _github_token(context: CiContext, environ: Mapping[str, str]) -> str | None:
    """The token to post with, or None when GitHub cannot be reached (no token, or no repository to post to)."""
    token = environ.get("GITHUB_TOKEN")
    return token if token and context.repository else None


async def _publish(publish: Publisher, context: CiContext, token: str, redactor: Redactor) -> Published:
    async with GitHubClient(context.repository or "", token, api_url=context.api_url, redactor=redactor) as github:
        return await publish(github)


@dataclass
class CiRun:
    """One CI command from its context to its exit code: the variables it runs with and the redactor of its output."""

    context: CiContext
    environ: dict[str, str]
    redactor: Redactor = field(default_factory=Redactor)

    @classmethod
    def start(cls, environ: Mapping[str, str] | None = None) -> CiRun | None:
        """Read the CI context from `environ` (the process's by default); None after printing why it is unreadable."""
        environ = dict(os.environ if environ is None else environ)
        try:
            return cls(ci_context_from_env(environ), environ)
        except EventError as error:
            click.echo(f"Error: {error}", err=True)
            return None

    @property
    def lock_holder(self) -> str:
        return lock_holder(self.context, self.environ)

    def execute(self, outcome: CiOutcome, workflow: Callable[[], Coroutine[Any, Any, Any]]) -> CiOutcome:
        """Run `workflow` under the CI error policy (`run_workflow`)."""
        return run_workflow(outcome, self.redactor, workflow)

    async def announce(self, publish: Callable[[Any], Awaitable[Any]]) -> Any:
        """Ask or tell GitHub something on the side (the `pending` status, the PR a commit merged): the answer, or
        None.

        Skipped without a token or a repository (the final publish says so); a failure is only a warning, because
        the final publish is what decides the check.
        """
        token = _github_token(self.context, self.environ)
        if token is None:
            return None
        try:
            return await _publish(publish, self.context, token, self.redactor)
        except GitHubError as error:
            click.echo(f"Warning: could not post to GitHub: {self.redactor.text(str(error))}", err=True)
            return None

    def finish(self, outcome: CiOutcome, *, report_dir: Path | None, publish: Publisher | None = None) -> int:
        """Report and publish the outcome (`finish`); the exit code."""
        return finish(
            outcome, self.redactor, context=self.context, report_dir=report_dir, publish=publish, environ=self.environ
        )
