"""Rollouts in the GitOps loop (docs/rollouts.md, decision 0143).

- `start_canaries`: with an environment `rollout:` policy, `ci deploy` starts a canary of each changed agent's tested
  branch at the policy's first step, instead of merging it; the rest of the plan is applied as usual.
- `run_scheduled`: what the scheduled workflow (`agentform-rollout.yml`, `agentform ci rollout`) does: finish what a
  killed run left pending, analyze every rollout in progress, step, promote or abort it, and tell the pull request
  it came from.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from agentform.gitops.merge import promotable
from agentform.gitops.outcome import AgentBranch
from agentform.model import Desired
from agentform.plan.model import Plan
from agentform.plan.read import Workspace
from agentform.rollout.analysis import Result
from agentform.state.record import RecordStore
from agentform.state.rollouts import RolloutError

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

COMMENT_MARKER = "<!-- agentform:rollout -->"
_PR_BRANCH = re.compile(r"^pr-(\d+)$")


def pull_request_of(branch: str | None) -> int | None:
    """The pull request number of a `pr-<number>` agent branch."""
    found = _PR_BRANCH.match(branch or "")
    return int(found.group(1)) if found else None


async def start_canaries(
    client: ElevenLabsClient,
    desired: Desired,
    plan: Plan,
    workspace: Workspace,
    agent_keys: Iterable[str],
    *,
    prefer: str | None,
) -> tuple[list[AgentBranch], Plan, Workspace]:
    """Canaries instead of merges (under the deploy's lock): what started, the plan without those agents' changes,
    and the workspace with where the record now lives. Without a policy: nothing, and the plan as it is."""
    from agentform.rollout.actions import start

    policy = desired.environment.rollout
    if policy is None:
        return [], plan, workspace
    store: RecordStore | None = None
    started: list[AgentBranch] = []
    for agent in promotable(plan, workspace.record, agent_keys, prefer):
        branch = await _tested_tip(client, agent.agent_id, agent.candidates)
        if branch is None:
            continue
        name, branch_id = branch
        if store is None:
            if workspace.documents_folder_id is None:  # the deploy's lock document lives there: it exists
                raise RolloutError("the managed folder is missing: cannot record the rollout")
            store = RecordStore(client, workspace.documents_folder_id, workspace.record, workspace.record_document_id)
        await start(
            client,
            store,
            agent_key=agent.key,
            agent_id=agent.agent_id,
            branch=name,
            branch_id=branch_id,
            payload=agent.payload,
            percent=policy.steps[0],
            policy=policy,
            pull_request=pull_request_of(name),
        )
        action = f"canary started: {policy.steps[0]:g}% of live traffic"
        started.append(AgentBranch(agent.key, agent.agent_id, branch_id, name, action))
    if store is not None:
        workspace = dataclasses.replace(workspace, record_document_id=store.document_id)
    keys = {branch.agent_key for branch in started}
    remaining = [c for c in plan.changes if not (c.kind == "agent" and c.key in keys)]
    return started, plan.model_copy(update={"changes": remaining}), workspace


async def _tested_tip(client: ElevenLabsClient, agent_id: str, found: list[Any]) -> tuple[str, str] | None:
    """The first candidate branch whose tip is still the version its tests ran on: (name, branch id)."""
    for candidate in found:
        tip = await client.get_agent(agent_id, branch_id=candidate.entry.branch_id)
        if candidate.entry.version_id is not None and tip.get("version_id") == candidate.entry.version_id:
            return candidate.name, candidate.entry.branch_id
    return None


def comment_body(result: Result, lines: list[str]) -> str:
    """The pull request comment about what the scheduled analysis did to its rollout."""
    text = "\n".join(lines)
    return f"{COMMENT_MARKER}\n### agentform rollout of `{result.entry.branch}`: {result.action}\n\n```\n{text}\n```\n"


async def tell_pull_requests(
    results: list[Result], rendered: Mapping[str, list[str]], environ: Mapping[str, str]
) -> int:
    """Comment on the pull request of each rollout that stepped, was promoted or aborted; how many comments."""
    from agentform.gitops.github import GitHubContext

    acted = [r for r in results if r.action and r.entry.pull_request and not r.action.startswith("holding")]
    context = GitHubContext.from_environ(environ)
    if not acted or not context.can_write:
        return 0
    async with context.client() as github:
        for result in acted:
            number = result.entry.pull_request
            if number is not None:
                await github.create_issue_comment(number, comment_body(result, rendered[result.agent]))
    return len(acted)
