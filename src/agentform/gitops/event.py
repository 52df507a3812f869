"""What a CI run is about: the GitHub Actions environment and event payload, read once into plain data.

GitHub describes a run through environment variables (`GITHUB_REPOSITORY`, `GITHUB_RUN_ID`, ...) and a JSON file
at `GITHUB_EVENT_PATH`. The commands read them here, at the edge, and pass `CiContext` on; everything else stays
testable with hand-made values. Outside Actions (a developer running `agentform ci pr --base main --head HEAD`)
every field is optional and the context says so.

The kind of event is `GITHUB_EVENT_NAME` and the payload's `action`, never which keys a payload happens to have
(docs/decisions/0083): a `pull_request` `synchronize` payload carries `before` and `after`, like a push.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Agent branch names: the API wants them unique per agent; we keep them short and free of characters a URL or a
# dashboard would mangle.
_BRANCH_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_BRANCH_NAME = 60
# "Merge pull request #12 from owner/branch" (merge commit) or "Title (#12)" (squash merge).
_PR_IN_MESSAGE = re.compile(r"(?:Merge pull request #(\d+)\b)|(?:\(#(\d+)\)\s*$)", re.MULTILINE)
_QUEUE_REF = re.compile(r"gh-readonly-queue/.+/pr-(\d+)-[0-9a-f]+$")
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
# A commit that does not exist: GitHub's `before` of a push that created the branch, `after` of one deleting it.
NO_COMMIT = "0" * 40


class EventError(ValueError):
    """The event file is missing, unreadable or not the kind of event the command handles."""


@dataclass(frozen=True)
class PullRequest:
    """The parts of a `pull_request` event agentform uses."""

    number: int
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    # A PR from a fork runs without the repository's secrets: agentform validates and plans offline only.
    is_fork: bool
    html_url: str | None = None
    title: str = ""
    # The event's `action` (`opened`, `synchronize`, `closed`, ...) and, once closed, whether it was merged.
    action: str = ""
    merged: bool = False

    @property
    def closed(self) -> bool:
        return self.action == "closed"


@dataclass(frozen=True)
class Push:
    """The parts of a `push` event agentform uses."""

    ref: str
    before: str
    after: str
    head_message: str = ""
    # A push that deleted the branch or tag: `after` is forty zeros and there is nothing to deploy.
    deleted: bool = False

    @property
    def merged_pr_number(self) -> int | None:
        """The PR this push merged, when the head commit's message says so (merge or squash commits)."""
        return pr_number_from_message(self.head_message)


@dataclass(frozen=True)
class MergeGroup:
    """A `merge_group` event: a merge queue asks for the checks of its temporary branch (PRs on top of the base)."""

    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str

    @property
    def pr_number(self) -> int | None:
        """The newest PR of the group: `refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>` names it."""
        match = _QUEUE_REF.search(self.head_ref)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Event:
    """What started the run: `GITHUB_EVENT_NAME`, the payload's `action`, and the parts agentform reads."""

    name: str | None = None
    action: str = ""
    pull_request: PullRequest | None = None
    push: Push | None = None
    merge_group: MergeGroup | None = None


@dataclass(frozen=True)
class CiContext:
    """The CI run: where it runs and what event started it. All optional outside GitHub Actions."""

    repository: str | None = None
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    run_id: str | None = None
    sha: str | None = None
    event_name: str | None = None
    # The payload's `action` (`opened`, `synchronize`, `checks_requested`, ...); "" for events without one.
    action: str = ""
    pull_request: PullRequest | None = None
    push: Push | None = None
    merge_group: MergeGroup | None = None
    step_summary: Path | None = None

    @property
    def run_url(self) -> str | None:
        if self.repository and self.run_id:
            return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        return None

    @property
    def in_actions(self) -> bool:
        return self.event_name is not None


def pr_number_from_message(message: str) -> int | None:
    match = _PR_IN_MESSAGE.search(message or "")
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def agent_branch_name(*, pr_number: int | None = None, git_branch: str | None = None) -> str:
    """The agent branch a change is tested on: `pr-<number>`, else the git branch's name made safe."""
    if pr_number is not None:
        return f"pr-{pr_number}"
    if not git_branch:
        raise ValueError("an agent branch needs a PR number or a git branch name")
    safe = _BRANCH_UNSAFE.sub("-", git_branch.removeprefix("refs/heads/")).strip("-.")
    if not safe:
        raise ValueError(f"cannot make an agent branch name from {git_branch!r}")
    return safe[:_MAX_BRANCH_NAME]


def parse_pull_request(payload: Mapping[str, Any]) -> PullRequest:
    """Read a `pull_request` / `pull_request_target` event payload."""
    try:
        pr = payload["pull_request"]
        head, base = pr["head"], pr["base"]
        head_repo = (head.get("repo") or {}).get("full_name")
        base_repo = (base.get("repo") or {}).get("full_name")
        return PullRequest(
            number=int(pr.get("number", payload.get("number"))),
            head_ref=head["ref"],
            head_sha=head["sha"],
            base_ref=base["ref"],
            base_sha=base["sha"],
            # A deleted fork has no head repo; it is still not ours.
            is_fork=head_repo is None or head_repo != base_repo,
            html_url=pr.get("html_url"),
            title=pr.get("title") or "",
            action=str(payload.get("action") or ""),
            merged=bool(pr.get("merged")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise EventError(f"not a pull_request event payload: missing or bad {error}") from error


def parse_push(payload: Mapping[str, Any]) -> Push:
    """Read a `push` event payload."""
    try:
        head_commit = payload.get("head_commit") or {}
        return Push(
            ref=payload["ref"],
            before=payload["before"],
            after=payload["after"],
            head_message=head_commit.get("message") or "",
            deleted=bool(payload.get("deleted")) or payload["after"] == NO_COMMIT,
        )
    except (KeyError, TypeError) as error:
        raise EventError(f"not a push event payload: missing {error}") from error


def parse_merge_group(payload: Mapping[str, Any]) -> MergeGroup:
    """Read a `merge_group` event payload."""
    try:
        group = payload["merge_group"]
        return MergeGroup(
            head_sha=group["head_sha"],
            head_ref=group["head_ref"],
            base_sha=group["base_sha"],
            base_ref=group["base_ref"],
        )
    except (KeyError, TypeError) as error:
        raise EventError(f"not a merge_group event payload: missing {error}") from error


def parse_event(name: str | None, payload: Mapping[str, Any]) -> Event:
    """The event as GitHub names it: the kind is `GITHUB_EVENT_NAME`, never guessed from the payload's keys (a
    `pull_request` `synchronize` payload has `before` and `after`, like a push)."""
    action = str(payload.get("action") or "")
    if name in PULL_REQUEST_EVENTS:
        return Event(name, action, pull_request=parse_pull_request(payload))
    if name == "push":
        return Event(name, action, push=parse_push(payload))
    if name == "merge_group":
        return Event(name, action, merge_group=parse_merge_group(payload))
    # `workflow_dispatch`, `schedule` and the rest carry nothing agentform reads: their runs use the checkout.
    return Event(name, action)


def read_event_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise EventError(f"{path}: cannot read the event file: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise EventError(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from error
    if not isinstance(data, dict):
        raise EventError(f"{path}: the event payload is not a JSON object")
    return data


def ci_context_from_env(environ: Mapping[str, str]) -> CiContext:
    """Build the context from GitHub Actions' variables; an empty mapping gives an empty context."""
    event_path = environ.get("GITHUB_EVENT_PATH")
    payload = read_event_file(Path(event_path)) if event_path else {}
    event = parse_event(environ.get("GITHUB_EVENT_NAME") or None, payload)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    return CiContext(
        repository=environ.get("GITHUB_REPOSITORY") or None,
        server_url=(environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        run_id=environ.get("GITHUB_RUN_ID") or None,
        sha=environ.get("GITHUB_SHA") or None,
        event_name=event.name,
        action=event.action,
        pull_request=event.pull_request,
        push=event.push,
        merge_group=event.merge_group,
        step_summary=Path(summary) if summary else None,
    )
