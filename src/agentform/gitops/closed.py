"""`ci pr` on a pull request closed without merging: archive its agent branches, forget them in the state record.

A merged PR needs nothing here (the deploy merges and archives its branches). A PR closed unmerged would otherwise
leave `pr-<number>` on every agent it touched forever, and with it the document, tool and test versions only that
branch references: garbage collection keeps what an unarchived branch references, and skips archived branches
(docs/decisions/0054, 0076). So, under the environment lock (the record is shared with deploys and other PRs):

1. load the files at the PR's base (for the environment's settings and the project's name: a PR closed because
   its own files were broken must still be cleaned up); locally, the working tree or `--head`;
2. find the unarchived branch with that name on every managed agent of the environment (and every agent the state
   record says has one), and archive it;
3. drop the branch's entries from the state record, so that a deploy can never pick it as a merge candidate.

Nothing else is released or deleted: the versions are collected by the next apply or deploy to main.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentform.elevenlabs import NotFoundError
from agentform.elevenlabs.client import ElevenLabsClient
from agentform.gitops import engine
from agentform.gitops.outcome import AgentBranch, CiOutcome
from agentform.model import Desired
from agentform.plan.read import read_workspace
from agentform.redact import Redactor
from agentform.state.record import save_record

MERGED_NOTE = "The pull request was merged: the deploy merges and archives its agent branches."
FORK_NOTE = "The pull request came from a fork: no agent branch was made for it, so there is nothing to archive."
ARCHIVED = "archived (PR closed without merging)"
NO_KEY_ERROR = (
    "{variable} is not set, so the closed pull request's agent branches could not be archived: pass the secret to "
    "the step's env for `closed` events too."
)


@dataclass(frozen=True)
class ClosedRequest:
    """Which PR closed and how: its agent branch, whether it was merged or came from a fork."""

    project_root: Path
    env: str | None
    branch: str
    environ: Mapping[str, str]
    # The git ref whose files say which environment and project: None for the working tree.
    ref: str | None = None
    merged: bool = False
    fork: bool = False
    strict: bool = False
    parallelism: int | None = None
    holder: str = "agentform ci pr"
    lock_wait_secs: float = 600.0


async def run_closed(request: ClosedRequest, outcome: CiOutcome, redactor: Redactor) -> CiOutcome:
    """Archive the closed PR's agent branches, filling `outcome`; returns it for convenience."""
    if request.merged or request.fork:
        outcome.notes.append(MERGED_NOTE if request.merged else FORK_NOTE)
        return outcome
    context = engine.load_into(outcome, redactor, request, request.ref, strict=request.strict)
    if context is None:
        return outcome
    desired = context.desired
    outcome.dashboard_links = engine.dashboard_links(desired.environment, request.environ)
    missing_key = engine.missing_api_key(desired.environment, request.environ)
    if missing_key:
        outcome.error = NO_KEY_ERROR.format(variable=missing_key)
        return outcome
    async with context.locked_client(
        holder=request.holder,
        purpose=f"{engine.PR_LOCK_PURPOSE} archive {request.branch} (PR closed)",
        ttl_secs=engine.PR_LOCK_TTL_SECS,
        wait_secs=request.lock_wait_secs,
    ) as client:
        outcome.branches = await archive_agent_branches(client, desired, request.branch)
    if not outcome.branches:
        outcome.notes.append(f"No agent has an unarchived branch `{request.branch}`: nothing to archive.")
    return outcome


async def archive_agent_branches(client: ElevenLabsClient, desired: Desired, name: str) -> list[AgentBranch]:
    """Archive the branch called `name` on every managed agent of the environment and drop it from the record."""
    workspace = await read_workspace(client, desired)
    # Agent id -> key. The record also knows agents the files at this ref do not tag as ours (adopted in the PR).
    agents = {entry.agent_id: key for key, entry in workspace.record.branches.get(name, {}).items()}
    agents |= {agent.id: agent.key for agent in workspace.live.agents}
    found = await asyncio.gather(*(_branch_named(client, agent_id, name) for agent_id in agents))
    archived = []
    for (agent_id, key), branch in zip(agents.items(), found, strict=True):
        if branch is not None and await engine.archive_branch(client, agent_id, str(branch["id"])):
            archived.append(AgentBranch(key, agent_id, str(branch["id"]), name, ARCHIVED))
    if workspace.record.branches.pop(name, None) is not None:
        await save_record(client, desired, workspace)
    return sorted(archived, key=lambda branch: branch.agent_key)


async def _branch_named(client: ElevenLabsClient, agent_id: str, name: str) -> dict[str, Any] | None:
    try:
        return await engine.find_branch(client, agent_id, name)
    except NotFoundError:
        return None  # the agent itself is gone, and its branches with it
