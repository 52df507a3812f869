"""`ci deploy`: bring main up to the pushed commit, smoke-test it, roll back when the smoke tests fail.

A deploy reconciles; it does not replay the push's diff (docs/decisions/0080). Under the environment's lock:

1. load the files at the commit and plan them against the live main: what any earlier deploy left undone
   (cancelled by the concurrency group, failed on the lock, rolled back) is in this plan too;
2. choose the agents to smoke-test: every agent the plan touches, directly or through a KB document, tool or test
   it references, and every agent whose files changed since the last commit whose deploy passed (the state record
   keeps it; a deploy that applied but died before its tests left nothing in the plan, but git still says so);
3. record each such agent's main version and what it references as its rollback point, before writing anything;
4. merge each agent's tested branch into main where it is up to date (`merge.py`), and apply the rest of the plan
   directly, without collecting garbage;
5. run the smoke tests on main (tests marked `smoke: true`, else all of the agent's tests);
6. failed: write every recorded version back ("Rollback to <vid> (...)"), verify each field and that every document,
   tool and test the restored version references resolves, and restore the record's entries; passed: record the
   commit as passed, archive the merged branches, then collect superseded versions no rollback point references.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentform.apply.gc import collect_garbage
from agentform.apply.progress_lines import for_log
from agentform.context import Context
from agentform.elevenlabs.client import ElevenLabsClient
from agentform.gitops import engine
from agentform.gitops.changes import ChangeDetectionError, changed_agents, touched_by_plan
from agentform.gitops.merge import merge_tested_branches
from agentform.gitops.outcome import AgentBranch, CiOutcome
from agentform.gitops.references import unresolved
from agentform.gitops.rollback import RollbackTarget, write_rollback
from agentform.gitops.rollout_step import start_canaries
from agentform.model import Desired
from agentform.plan.model import Plan
from agentform.plan.read import Workspace, read_workspace
from agentform.plan.references import references
from agentform.redact import Redactor
from agentform.state.lock import LockHeld
from agentform.state.model import AgentEntry, RollbackPoint
from agentform.state.record import save_record


@dataclass(frozen=True)
class DeployRequest:
    project_root: Path
    env: str | None
    # Where change detection starts when no deploy has passed yet (the push's `before`), and the commit deployed
    # (None: the working tree).
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
    context = engine.load_into(outcome, redactor, request, request.head, strict=request.strict)
    if context is None:
        return outcome
    try:
        return await _deploy_locked(request, context, outcome, request.lock_wait_secs)
    except LockHeld as held:
        # A PR check holds the lock for a branch apply only (minutes, bounded by its TTL): wait for it rather than
        # leave main behind until the next push.
        if not held.info.purpose.startswith(engine.PR_LOCK_PURPOSE):
            raise
        outcome.notes.append(f"Waited for a PR check holding the environment lock ({held.info.purpose}).")
        return await _deploy_locked(request, context, outcome, engine.PR_LOCK_TTL_SECS)


async def _deploy_locked(request: DeployRequest, context: Context, outcome: CiOutcome, wait_secs: float) -> CiOutcome:
    desired, redactor = context.desired, context.redactor
    deployed = (outcome.head_sha or request.head or "the working tree")[:12]
    async with context.locked_client(
        holder=request.holder,
        purpose=f"ci deploy of {deployed}",
        ttl_secs=request.lock_ttl_secs,
        wait_secs=wait_secs,
    ) as client:
        plan, workspace = await _plan(context, client)
        outcome.plan_summary = plan.summary().line()
        outcome.plan_markdown = engine.render_plan_markdown(plan, redactor)
        agents = _agents_to_test(request, desired, plan, workspace.record, outcome)
        before = await _record_main(client, workspace, agents)
        workspace = await _record_rollback_points(client, desired, workspace, before)
        try:
            merged, result = await _bring_main_up(client, context, plan, workspace, agents, request)
        except engine.ApplyFailed as error:
            # Half a deploy is worse than none: put back what was recorded, then report the failure.
            await _roll_back(client, desired, before, f"deploy failed: {error}", outcome)
            outcome.error = redactor.text(f"{error}; the changed agents were rolled back")
            return outcome
        ids = engine.live_ids(plan, result.ids)
        outcome.branches = merged + [
            AgentBranch(key, ids[f"agent.{key}"], "", "main", "applied to main")
            for key in agents
            if f"agent.{key}" in ids and key not in {branch.agent_key for branch in merged}
        ]
        if agents:
            outcome.tests = await context.test(
                client, agents, smoke_only=True, poll_timeout_secs=request.poll_timeout_secs
            )
        else:
            outcome.notes.append("No agent is affected by this deploy: nothing to smoke-test.")
        if outcome.tests_failed:
            await _roll_back(client, desired, before, f"smoke tests failed after deploying {deployed}", outcome)
            return outcome
        await _record_passed(client, desired, outcome.head_sha)
        outcome.branches = await _archive(client, outcome.branches, _superseded(workspace, request.branch_hint, merged))
        removed = await _delete_after_tests(client, context)
        if removed:
            outcome.notes.append(f"Deleted {removed} superseded or removed managed resource(s) nothing references.")
    return outcome


def _agents_to_test(request: DeployRequest, desired: Desired, plan: Any, record: Any, outcome: CiOutcome) -> list[str]:
    """The agents the plan touches, and those whose files changed since the last passed deploy; their reasons go to
    `outcome.selection`."""
    reasons = {key: list(found) for key, found in touched_by_plan(plan.changes, desired).items()}
    since = record.deploy.passed_commit or request.base
    try:
        selection = changed_agents(request.project_root, since, request.head, desired)
    except ChangeDetectionError as error:
        outcome.notes.append(f"Testing what the plan touches only: {error}.")
    else:
        label = "since the last passed deploy" if record.deploy.passed_commit else f"since {since[:12]}"
        for key, found in selection.reasons.items():
            reasons.setdefault(key, []).extend(f"{reason} {label}" for reason in found)
    outcome.selection = [f"{key}: {'; '.join(found)}" for key, found in sorted(reasons.items())]
    return sorted(reasons)


async def _record_rollback_points(
    client: ElevenLabsClient, desired: Desired, workspace: Any, before: list[_Before]
) -> Any:
    """Keep each agent's current main version, and what it references, in the state record before any write: the
    rollback target, which garbage collection must leave alone. The workspace with the record saved."""
    if not before:
        return workspace
    deploy = workspace.record.deploy
    for agent in before:
        refs = references(agent.config)
        deploy.rollback_points[agent.key] = RollbackPoint(
            agent_id=agent.agent_id,
            version_id=str(agent.config["version_id"]),
            commit=deploy.passed_commit,
            documents=list(refs.documents),
            tools=list(refs.tools),
            tests=list(refs.tests),
        )
    return await save_record(client, desired, workspace)


async def _record_passed(client: ElevenLabsClient, desired: Desired, commit: str | None) -> None:
    """The commit passed its smoke tests: the next deploy detects changes from here."""
    if commit is None:
        return
    workspace = await read_workspace(client, desired)
    workspace.record.deploy.passed_commit = commit
    await save_record(client, desired, workspace)


async def _bring_main_up(
    client: ElevenLabsClient, context: Context, plan: Any, workspace: Any, agent_keys: list[str], request: DeployRequest
) -> tuple[list[AgentBranch], Any]:
    """Merge the tested branches (or start their canaries: `rollout_step.py`), then apply what is left of the plan;
    raises `engine.ApplyFailed`."""
    desired = context.desired
    canaries, plan, workspace = await start_canaries(
        client, desired, plan, workspace, agent_keys, prefer=request.branch_hint
    )
    merged, rest = await merge_tested_branches(client, plan, workspace.record, agent_keys, prefer=request.branch_hint)
    lines = for_log(context.redactor)
    if lines is not None:
        for branch in merged:
            lines.done(f"agent.{branch.agent_key}", f"Merged agent branch {branch.name} into main", branch.version_id)
    if merged:
        workspace = await save_record(client, desired, workspace)
    # Deletes wait for the smoke tests: a rollback may need what they would remove.
    writes = rest.model_copy(update={"changes": [c for c in rest.changes if c.action != "delete"]})
    return canaries + merged, await engine.apply(context, client, writes, workspace, collect=False)


async def _delete_after_tests(client: ElevenLabsClient, context: Context) -> int:
    """The smoke tests passed: plan again and carry out the deletes (superseded versions, and with prune what left
    git), then collect garbage. What the new rollback points reference is kept by the planner and the collector."""
    plan, workspace = await _plan(context, client)
    deletes = plan.model_copy(update={"changes": [c for c in plan.changes if c.action == "delete"]})
    if not any(change.is_change for change in deletes.changes):
        return len(await _collect_garbage(client, context.desired, workspace))
    result = await engine.apply(context, client, deletes, workspace)
    deleted = [entry for entry in result.journal if entry.outcome == "ok" and entry.action == "delete"]
    return len(deleted) + len(result.garbage_collected)


async def _plan(context: Context, client: ElevenLabsClient) -> tuple[Plan, Workspace]:
    planned = await context.plan(client)
    return planned.plan, planned.workspace


async def _collect_garbage(client: ElevenLabsClient, desired: Desired, workspace: Any) -> list[str]:
    return await collect_garbage(client, desired, workspace.live)


async def _record_main(client: ElevenLabsClient, workspace: Any, agent_keys: list[str]) -> list[_Before]:
    """Main's current configuration (and state record entry) of each changed agent that exists live."""
    live = {agent.key: agent.id for agent in workspace.live.agents}
    return [
        _Before(key, live[key], await client.get_agent(live[key]), workspace.record.agents.get(key))
        for key in agent_keys
        if key in live
    ]


async def _roll_back(
    client: ElevenLabsClient, desired: Desired, before: list[_Before], reason: str, outcome: CiOutcome
) -> None:
    """Restore each recorded version, check that what it references resolves, then restore the record's entries
    (with the rollback's new version)."""
    lines = for_log(Redactor(desired.secret_values))
    for agent in before:
        target = RollbackTarget(agent.key, agent.agent_id, str(agent.config["version_id"]), reason)
        outcome.rollbacks.append(await write_rollback(client, target, agent.config))
        if lines is not None:
            restored = outcome.rollbacks[-1]
            lines.done(f"agent.{agent.key}", f"Rolled back to {target.version_id}", restored.new_version_id)
    workspace = await read_workspace(client, desired)
    broken = []
    for agent in before:
        after = await client.get_agent(agent.agent_id)
        broken += [f"{agent.key}: {line}" for line in await unresolved(client, references(after))]
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
    if broken:
        outcome.error = "after the rollback, references do not resolve: " + "; ".join(broken)


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


async def _archive(
    client: ElevenLabsClient, branches: list[AgentBranch], superseded: list[AgentBranch]
) -> list[AgentBranch]:
    archived = []
    for branch in [*branches, *superseded]:
        if branch.branch_id and (branch.action.startswith("merged") or branch in superseded):
            if not await engine.archive_branch(client, branch.agent_id, branch.branch_id):
                continue
            branch = dataclasses.replace(branch, action=f"{branch.action}; branch archived")
        archived.append(branch)
    return archived
