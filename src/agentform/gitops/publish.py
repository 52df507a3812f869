"""Where a CI outcome goes: the report folder (uploaded as an artifact), the Actions step summary, and GitHub.

GitHub gets one sticky comment per PR and environment (found by its hidden marker and edited in place, so a PR
never collects a comment per push), a commit status that blocks the merge when the check fails, and for deploys
that rolled back, or scheduled runs that found drift, one issue that is updated rather than duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentform.gitops.comment import marker
from agentform.gitops.outcome import CiOutcome, render_comment, render_full_report
from agentform.redact import Redactor

REPORT_FILE = "agentform-report.md"
JUNIT_FILE = "agentform-tests.xml"
TESTS_JSON_FILE = "agentform-tests.json"
ROLLBACK_LABEL = "agentform-rollback"
PENDING_DESCRIPTION = "agentform is planning and testing…"


@dataclass(frozen=True)
class Published:
    """What was posted, for the command's output and for tests."""

    comment_id: int | None = None
    comment_created: bool = False
    status_state: str | None = None
    issue_number: int | None = None


def status_context(outcome: CiOutcome) -> str:
    """The commit status name, one per kind and environment (a required check in branch protection)."""
    return f"agentform/{outcome.kind} ({outcome.environment})"


def write_reports(outcome: CiOutcome, folder: Path, redactor: Redactor) -> list[Path]:
    """The full report (never truncated) and the test results as JUnit XML and JSON."""
    from agentform.testing.junit import render_junit
    from agentform.testing.render import render_json

    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / REPORT_FILE]
    written[0].write_text(redactor.text(render_full_report(outcome)), encoding="utf-8")
    if outcome.tests is not None:
        (folder / JUNIT_FILE).write_text(render_junit(outcome.tests, redactor=redactor), encoding="utf-8")
        (folder / TESTS_JSON_FILE).write_text(render_json(outcome.tests, redactor=redactor), encoding="utf-8")
        written += [folder / JUNIT_FILE, folder / TESTS_JSON_FILE]
    return written


def append_step_summary(outcome: CiOutcome, path: Path, redactor: Redactor) -> None:
    """Append the full report to `$GITHUB_STEP_SUMMARY` (GitHub caps it at 1 MiB per step; we stay far below)."""
    with path.open("a", encoding="utf-8") as summary:
        summary.write(redactor.text(render_full_report(outcome)) + "\n")


async def publish_pr(
    github: Any, outcome: CiOutcome, *, pr_number: int | None, sha: str | None, redactor: Redactor
) -> Published:
    """Create or edit the sticky comment and set the commit status."""
    comment_id, created = None, False
    if pr_number is not None:
        body = redactor.text(render_comment(outcome))
        upserted = await github.upsert_sticky_comment(pr_number, marker("pr", outcome.environment), body)
        comment_id, created = upserted.id, upserted.action == "created"
    state = await _status(github, outcome, sha, redactor)
    return Published(comment_id=comment_id, comment_created=created, status_state=state)


async def publish_pending(github: Any, outcome: CiOutcome, *, sha: str | None, redactor: Redactor) -> Published:
    """Set the commit status to `pending` while the check runs, so the PR shows it as running."""
    state = await _status(github, outcome, sha, redactor, state="pending", description=PENDING_DESCRIPTION)
    return Published(status_state=state)


async def publish_deploy(
    github: Any, outcome: CiOutcome, *, sha: str | None, redactor: Redactor, pr_number: int | None = None
) -> Published:
    """Set the commit status; comment the result on the merged PR (one sticky comment per environment: merged, smoke
    passed, or rolled back with the failing tests); file (or update) an issue when the deploy was rolled back."""
    state = await _status(github, outcome, sha, redactor)
    body = redactor.text(render_comment(outcome))
    comment_id, created = None, False
    if pr_number is not None:
        upserted = await github.upsert_sticky_comment(pr_number, marker("deploy", outcome.environment), body)
        comment_id, created = upserted.id, upserted.action == "created"
    issue = None
    if outcome.rollbacks:
        title = f"agentform: deploy to {outcome.environment} rolled back"
        marker_line = issue_marker("rollback", outcome.environment)
        issue = (await github.open_or_update_issue(title, body, label=ROLLBACK_LABEL, marker=marker_line)).id
    return Published(comment_id=comment_id, comment_created=created, status_state=state, issue_number=issue)


def issue_marker(kind: str, environment: str) -> str:
    """The hidden first line of an issue agentform keeps (`<!-- agentform:rollback-issue env=production -->`)."""
    return marker(f"{kind}-issue", environment)


async def _status(
    github: Any,
    outcome: CiOutcome,
    sha: str | None,
    redactor: Redactor,
    *,
    state: str | None = None,
    description: str | None = None,
) -> str | None:
    """Post the status of `outcome` (its final state and description unless given) on `sha`; the state posted."""
    if not sha:
        return None
    state = state or outcome.status_state()
    await github.create_commit_status(
        sha,
        state=state,
        context=status_context(outcome),
        description=redactor.text(description if description is not None else outcome.status_description()),
        target_url=outcome.run_url,
    )
    return state
