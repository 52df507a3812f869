"""GitHub event payloads for tests: the real ones in `shared/github-webhooks/`, with only SHAs, refs, numbers and
repository names rewritten (the brief's rule: a hand-written payload forgets exactly the field real traffic has).

Every builder loads a recorded delivery and changes values in place, never the shape: a field GitHub sends stays,
whatever agentform reads today. The one state a recording lacks, a `closed` event of a merged PR, is the recorded
`closed` delivery with `merged`, `merged_at` and `merge_commit_sha` set the way GitHub sets them on a merge.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


def _webhooks_folder() -> Path:
    """The recordings themselves (octokit/webhooks, MIT: see LICENSE there), read where the project's shared material
    lies: `shared/` beside the repository, for developers and CI alike. No copy is kept, so no copy can drift from
    them. The nearest folder above this file that has one wins, so a copy of the tests nested deeper (mutation
    testing's scratch copies under `.mutation/`) reads the same recordings."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "shared" / "github-webhooks").is_dir():
            return folder / "shared" / "github-webhooks"
    return here.parents[3] / "shared" / "github-webhooks"


WEBHOOKS = _webhooks_folder()
# The repositories the recordings were made in; every string naming them is rewritten.
RECORDED_REPOSITORIES = ("Codertocat/Hello-World", "octo-org/octo-repo")
NO_COMMIT = "0" * 40


def recorded_files() -> list[Path]:
    found = sorted(WEBHOOKS.glob("*.json"))
    assert found, f"no GitHub webhook recordings in {WEBHOOKS}: shared/ must lie beside the repository"
    return found


@cache
def _recorded(name: str) -> str:
    return (WEBHOOKS / name).read_text(encoding="utf-8")


def recorded(name: str, repository: str | None = None) -> dict[str, Any]:
    """A fresh copy of the recording `name` (`pull_request.synchronize.json`), its repository renamed."""
    text = _recorded(name)
    for old in RECORDED_REPOSITORIES if repository is not None else ():
        text = _renamed(text, old, repository)
    return json.loads(text)


def _renamed(text: str, old: str, new: str) -> str:
    """JSON text with repository `old` (`owner/name`) renamed `new`: full names, URLs, its owner's login, its name."""
    (owner, repo), (new_owner, new_repo) = old.split("/"), new.split("/")
    text = text.replace(old, new).replace(f'"login": "{owner}"', f'"login": "{new_owner}"')
    return text.replace(f'"name": "{repo}"', f'"name": "{new_repo}"')


def pull_request(
    action: str,
    *,
    repository: str,
    number: int,
    head_ref: str,
    head_sha: str,
    base_sha: str,
    base_ref: str = "main",
    before: str | None = None,
    head_repository: str | None = None,
    merged: bool = False,
    merge_commit_sha: str | None = None,
) -> dict[str, Any]:
    """The recorded `pull_request` delivery of `action`, for PR `number` of `repository` (from `head_repository`,
    a fork, when given). `synchronize` carries `before` (the previous head) and `after` like GitHub's."""
    name = {"opened": "pull_request.opened.json"}.get(action, f"pull_request.{action}.json")
    payload = recorded(name, repository)
    payload["number"] = number
    pr = payload["pull_request"]
    pr["number"] = number
    for key in ("url", "html_url", "diff_url", "patch_url", "issue_url", "commits_url", "comments_url"):
        if isinstance(pr.get(key), str):
            pr[key] = _renumber(pr[key], number)
    pr["head"]["ref"], pr["head"]["sha"] = head_ref, head_sha
    pr["head"]["label"] = f"{(head_repository or repository).split('/')[0]}:{head_ref}"
    pr["base"]["ref"], pr["base"]["sha"] = base_ref, base_sha
    pr["statuses_url"] = pr["statuses_url"].rsplit("/", 1)[0] + f"/{head_sha}"
    if head_repository is not None:
        head_repo = pr["head"]["repo"]
        pr["head"]["repo"] = json.loads(_renamed(json.dumps(head_repo), head_repo["full_name"], head_repository))
    if action == "synchronize":
        payload["before"], payload["after"] = before or base_sha, head_sha
    if merged:
        pr["merged"], pr["merged_at"] = True, pr.get("closed_at") or pr["updated_at"]
        pr["merge_commit_sha"] = merge_commit_sha
    return payload


def push(*, repository: str, ref: str, before: str, after: str) -> dict[str, Any]:
    """The recorded branch push, moved to `ref` from `before` to `after`."""
    payload = recorded("push.with-new-branch.json", repository)
    payload["ref"], payload["before"], payload["after"] = ref, before, after
    payload["created"] = before == NO_COMMIT
    payload["compare"] = payload["compare"].rsplit("/", 1)[0] + f"/{before[:12]}...{after[:12]}"
    for commit in [payload["head_commit"], *payload["commits"]]:
        if commit is not None:
            commit["id"] = after
            commit["url"] = commit["url"].rsplit("/", 1)[0] + f"/{after}"
    return payload


def workflow_dispatch(*, repository: str, ref: str) -> dict[str, Any]:
    payload = recorded("workflow_dispatch.payload.json", repository)
    payload["ref"] = ref
    return payload


def merge_group(*, repository: str, number: int, head_sha: str, base_sha: str, base_ref: str = "main") -> dict:
    """The recorded merge-queue delivery: the queue's temporary branch for PR `number` on `base_ref`."""
    payload = recorded("merge_group.checks_requested.json", repository)
    group = payload["merge_group"]
    group["head_sha"], group["base_sha"] = head_sha, base_sha
    group["base_ref"] = f"refs/heads/{base_ref}"
    group["head_ref"] = f"refs/heads/gh-readonly-queue/{base_ref}/pr-{number}-{base_sha}"
    group["head_commit"]["id"] = head_sha
    return payload


def _renumber(url: str, number: int) -> str:
    head, _, tail = url.rpartition("/")
    if tail.isdigit():
        return f"{head}/{number}"
    # `.../pulls/2/commits`: the number is one segment up.
    base, _, _old = head.rpartition("/")
    return f"{base}/{number}/{tail}"
