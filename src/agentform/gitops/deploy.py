"""`ci deploy`: bring main up to the merged commit, smoke-test it, roll back when the smoke tests fail.

Under the environment's lock (a second deploy does not wait: it fails with the holder's name and expiry):

1. load the files at the merged commit and find the agents the push changed;
2. re-plan against the live main (now, not at PR time: two PRs may have touched the same agent) and record each
   changed agent's main `version_id` and configuration: what a rollback restores;
3. merge each changed agent's tested branch into main where it is up to date (`merge.py`), and apply the rest of
   the plan directly (agents without such a branch, documents, tools, tests);
4. run the changed agents' smoke tests on main (tests marked `smoke: true`, else all of the agent's tests);
5. failed: write every recorded version back as a new version ("Rollback to <vid> (...)"), verify each field,
   and restore the state record's entries, so the next plan shows the merged change as still to apply;
   passed: archive the merged branches and garbage-collect managed documents and tools nothing references.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentform.gitops import engine
from agentform.gitops.changes import changed_agents
from agentform.gitops.merge import merge_tested_branches
from agentform.gitops.outcome import AgentBranch, CiOutcome
from agentform.gitops.rollback import RollbackResult, RollbackTarget, write_rollback
from agentform.model import Desired
from agentform.redact import Redactor
from agentform.state.model import AgentEntry
from agentform.state.record import save_record


@dataclass(frozen=True)
class DeployRequest:
    project_root: Path
    env: str | None
    # The commit main was at before the push, and the one it is at now (None: the working tree).
    base: str
    head: str | None
    environ: Mapping[str, str]
    # Who holds the lock, shown to anyone who finds it taken: the workflow run, or user@host.
    holder: str
    # The agent branch of the PR this push merged, when known (`pr-12`); preferred among equal candidates.
    branch_hint: str | None = None
    lock_ttl_secs: float = 30 * 60
    # 0: a deploy that finds the lock taken fails at once (exit 4) rather than queueing behind an unknown run.
    lock_wait_secs: float = 0.0
    strict: bool = False
    parallelism: int | None = None
    poll_timeout_secs: float | None = None


@dataclass(frozen=True)
class _Before:
    """A changed agent's main branch before the deploy touched it."""

    key: str
    agent_id: str
    config: dict[str, Any]
    entry: AgentEntry | None


async def run_deploy(request: DeployRequest, outcome: CiOutcome, redactor: Redactor) -> CiOutcome:
    desired = engine.load_into(
        outcome, redactor, request.project_root, request.env, request.head, request.environ, strict=request.strict
    )
    if desired is None:
        return outcome
    selection = changed_agents(request.project_root, request.base, request.head, desired)
    outcome.selection = selection.explain()
    deployed = (request.head or "the working tree")[:12]

    async with engine.locked_client(
        desired,
        request.project_root,
        request.environ,
        request.parallelism,
        redactor,
        holder=request.holder,
        purpose=f"ci deploy of {deployed}",
        ttl_secs=request.lock_ttl_secs,
        wait_secs=request.lock_wait_secs,
    ) as client:
        plan, workspace = await engine.read_and_plan(client, desired)
        outcome.plan_summary = plan.summary().line()
        outcome.plan_markdown = engine.render_plan_markdown(plan, redactor)
        before = await _record_main(client, workspace, selection.agents)
        try:
            merged, result = await _bring_main_up(client, desired, plan, workspace, selection.agents, request)
        except engine.ApplyFailed as error:
            # Half a deploy is worse than none: put back what was recorded, then report the failure.
            outcome.rollbacks = await _roll_back(client, desired, before, f"deploy failed: {error}")
            outcome.error = redactor.text(f"{error}; the changed agents were rolled back")
            return outcome
        ids = engine.live_ids(plan, result.ids)
        outcome.branches = merged + [
            AgentBranch(key, ids[f"agent.{key}"], "", "main", "applied to main")
            for key in selection.agents
            if f"agent.{key}" in ids and key not in {branch.agent_key for branch in merged}
        ]
        if not selection.agents:
            outcome.notes.append("No agent is affected by this push: nothing to smoke-test.")
            return outcome
        outcome.tests = await engine.run_tests(
            client, desired, selection.agents, smoke_only=True, poll_timeout_secs=request.poll_timeout_secs
        )
        if outcome.tests_failed:
            reason = f"smoke tests failed after deploying {deployed}"
            outcome.rollbacks = await _roll_back(client, desired, before, reason)
            return outcome
        outcome.branches = await _archive(client, outcome.branches, _superseded(workspace, request.branch_hint, merged))
        removed = result.garbage_collected or (await _collect_garbage(client, desired) if merged else [])
        if removed:
            outcome.notes.append(f"Garbage-collected {len(removed)} unreferenced managed resource(s).")
    return outcome


async def _bring_main_up(
    client: Any, desired: Desired, plan: Any, workspace: Any, agent_keys: list[str], request: DeployRequest
) -> tuple[list[AgentBranch], Any]:
    """Merge the tested branches, then apply what is left of the plan; raises `engine.ApplyFailed`."""
    merged, rest = await merge_tested_branches(client, plan, workspace.record, agent_keys, prefer=request.branch_hint)
    if merged:
        workspace = await save_record(client, desired, workspace)
    return merged, await engine.apply(client, desired, rest, workspace)


async def _collect_garbage(client: Any, desired: Desired) -> list[str]:
    """Apply collects garbage after its own writes; when merges did all the work, it is done here."""
    from agentform.apply.gc import collect_garbage
    from agentform.plan.read import read_workspace

    fresh = await read_workspace(client, desired)
    return await collect_garbage(client, desired, fresh.live)


async def _record_main(client: Any, workspace: Any, agent_keys: list[str]) -> list[_Before]:
    """Main's current configuration (and state record entry) of each changed agent that exists live."""
    live = {agent.key: agent.id for agent in workspace.live.agents}
    return [
        _Before(key, live[key], await client.get_agent(live[key]), workspace.record.agents.get(key))
        for key in agent_keys
        if key in live
    ]


async def _roll_back(client: Any, desired: Desired, before: list[_Before], reason: str) -> list[RollbackResult]:
    """Restore each recorded version, then the record's entries (with the rollback's new version)."""
    from agentform.plan.read import read_workspace

    results = []
    for agent in before:
        target = RollbackTarget(agent.key, agent.agent_id, str(agent.config["version_id"]), reason)
        results.append(await write_rollback(client, target, agent.config))
    workspace = await read_workspace(client, desired)
    for agent in before:
        after = await client.get_agent(agent.agent_id)
        if agent.entry is None:
            workspace.record.agents.pop(agent.key, None)
        else:
            workspace.record.agents[agent.key] = agent.entry.model_copy(
                update={
                    "version_id": after.get("version_id"),
                    "updated_at": (after.get("metadata") or {}).get("updated_at_unix_secs"),
                    "verified": False,
                }
            )
    await save_record(client, desired, workspace)
    return results


def _superseded(workspace: Any, hint: str | None, merged: list[AgentBranch]) -> list[AgentBranch]:
    """The merged PR's agent branches that were not merged (main moved on, so the change was applied directly):
    the PR is done, so they are archived like merged ones."""
    done = {(branch.agent_key, branch.branch_id) for branch in merged}
    entries = workspace.record.branches.get(hint or "", {})
    return [
        AgentBranch(key, entry.agent_id, entry.branch_id, hint or "", "superseded by the direct apply")
        for key, entry in sorted(entries.items())
        if (key, entry.branch_id) not in done
    ]


async def _archive(client: Any, branches: list[AgentBranch], superseded: list[AgentBranch]) -> list[AgentBranch]:
    archived = []
    for branch in [*branches, *superseded]:
        if branch.branch_id and (branch.action.startswith("merged") or branch in superseded):
            if not await engine.archive_branch(client, branch.agent_id, branch.branch_id):
                continue
            branch = dataclasses.replace(branch, action=f"{branch.action}; branch archived")
        archived.append(branch)
    return archived
