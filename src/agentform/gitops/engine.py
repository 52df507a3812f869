"""What the CI workflows add to the engine (`agentform.context`): the load's diagnostics put in the outcome, the
offline plan of a run without a key, applying to an agent branch, archiving branches, a fork's secrets.

Loading, the client, the lock, planning, applying and the live tests are the engine's, the same the CLI drives
(docs/decisions/0135), so `pr.py` and `deploy.py` read as the workflow they implement.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, cast

from ruamel.yaml import YAML, YAMLError

from agentform.apply.executor import ApplyResult
from agentform.apply.progress_lines import for_log
from agentform.context import Context, agent_ids, load
from agentform.elevenlabs import BASE_URL_VARIABLE, NotFoundError
from agentform.elevenlabs.client import ElevenLabsClient
from agentform.gitops.changes import changed_paths
from agentform.gitops.outcome import AgentBranch, CiOutcome
from agentform.model import Desired, EnvironmentSettings
from agentform.plan.model import Plan
from agentform.plan.read import Workspace
from agentform.plan.read import find_branch as pick
from agentform.plan.render_markdown import render_markdown
from agentform.project.diagnostics import repository_prefix
from agentform.project.sources import open_source
from agentform.redact import Redactor

# How long a PR run's lock lasts (a branch apply, or archiving a closed PR's branches): far less than a deploy's.
PR_LOCK_TTL_SECS = 15 * 60
# How a PR run's hold on the lock starts its purpose: a deploy that finds one waits for it (it ends within the TTL).
PR_LOCK_PURPOSE = "ci pr:"
# The value of a secret variable in a fork's run, which has no secrets.
FORK_SECRET_PLACEHOLDER = "unset-in-a-fork"


class WorkflowRequest(Protocol):
    """What every CI workflow's request names: the project, the environment and the variables it runs with."""

    @property
    def project_root(self) -> Path: ...
    @property
    def env(self) -> str | None: ...
    @property
    def environ(self) -> Mapping[str, str]: ...
    @property
    def parallelism(self) -> int | None: ...


def load_into(
    outcome: CiOutcome,
    redactor: Redactor,
    request: WorkflowRequest,
    ref: str | None,
    *,
    strict: bool,
    environ: Mapping[str, str] | None = None,
) -> Context | None:
    """Load the files at `ref` the way every workflow starts: warnings and annotations go to `outcome` always; the
        errors too when the files are invalid (None: the workflow stops, nothing live touched); else the environment's
        name goes to `outcome` and the project's secret values join `redactor`, the context's redactor. `environ`
    replaces the request's (a fork's run: placeholders for the secrets it lacks)."""
    root, environ = request.project_root, request.environ if environ is None else environ
    loaded = load(root, request.env, ref, environ, strict=strict)
    # Paths from the repository root, so the annotations land on the files of the PR's diff.
    prefix = repository_prefix(root, environ.get("GITHUB_WORKSPACE"))
    outcome.warnings = [str(d) for d in loaded.warnings] if loaded.desired is None else []
    outcome.annotations = [d.github_annotation(prefix) for d in loaded.diagnostics] if loaded.desired is None else []
    context = Context.of(root, loaded, redactor=redactor, parallelism=request.parallelism, environ=environ)
    if context is None:
        outcome.diagnostics = [str(d) for d in loaded.errors] or [str(loaded.failure)]
        return None
    outcome.environment = context.desired.environment.name
    return context


def dashboard_links(environment: EnvironmentSettings, environ: Mapping[str, str]) -> bool:
    """Whether reports link agent branches to the ElevenLabs dashboard: only for the real API, not an emulator."""
    return environment.backend == "api" and not environ.get(BASE_URL_VARIABLE)


def missing_api_key(environment: EnvironmentSettings, environ: Mapping[str, str]) -> str | None:
    """The name of the unset key variable when the environment needs a key and has none; else None."""
    if environment.backend == "emulator":
        return None
    return None if environ.get(environment.api_key_env) else environment.api_key_env


def offline_plan(root: Path, base: str, head: str | None, redactor: Redactor) -> str:
    """Without API access: the project's file changes between the refs, as a markdown diff."""
    paths = changed_paths(root, base, head)
    if not paths:
        return "No project file changed."
    import git

    with git.Repo(root, search_parent_directories=True) as repo:
        prefix = os.path.relpath(root.resolve(), Path(cast(str, repo.working_tree_dir)).resolve())
        scoped = [path if prefix == "." else f"{prefix}/{path}" for path in paths]
        diff = repo.git.diff(f"{base}...{head or 'HEAD'}", "--", *scoped) if head else repo.git.diff(base, *scoped)
    listing = "\n".join(f"- `{path}`" for path in paths)
    return f"Changed files:\n\n{listing}\n\n```diff\n{redactor.text(diff)}\n```"


def render_plan_markdown(plan: Plan, redactor: Redactor) -> str:
    # The comment composer cuts whole sections to fit; the renderer's own limit only has to be below GitHub's.
    return render_markdown(plan, max_chars=60_000, redactor=redactor)


async def apply(
    context: Context, client: ElevenLabsClient, plan: Plan, workspace: Workspace, *, collect: bool = True
) -> ApplyResult:
    """Carry out `plan` (on its agent branch, or main; `collect=False`: no garbage collection), one log line per
    operation off a terminal; raises when any step failed, naming the steps."""
    lines = for_log(context.redactor)
    result = await context.apply(
        client,
        plan,
        workspace,
        collect=collect,
        progress=lines.finished if lines else None,
        started=lines.started if lines else None,
    )
    if not result.ok:
        problems = [f"{entry.address}: {entry.error}" for entry in [*result.failed, *result.skipped]]
        raise ApplyFailed("apply failed: " + "; ".join(problems))
    return result


class ApplyFailed(Exception):
    """Some steps of an apply failed; the message names them (already redacted by the client)."""


async def apply_to_branch(
    context: Context, client: ElevenLabsClient, branch: str, agent_keys: list[str]
) -> list[AgentBranch]:
    """Apply the agents (and the documents, tools and tests they use) to agent branch `branch`.

    Returns the branches as they stand afterwards.
    """
    planned = await context.plan(client, branch=branch, select=agent_keys)
    plan = planned.plan
    result = await apply(context, client, plan, planned.workspace)
    ids = live_ids(plan, result.ids)
    branches = []
    for key in agent_keys:
        agent_id = ids.get(f"agent.{key}")
        if agent_id is None:
            continue
        change = plan.change_for(f"agent.{key}")
        found = await find_branch(client, agent_id, branch)
        if found is None:
            continue
        tip = await client.get_agent(agent_id, branch_id=found["id"])
        action = {"no-op": "unchanged", "create": "created"}.get(change.action if change else "", "updated")
        branches.append(AgentBranch(key, agent_id, str(found["id"]), branch, action, tip.get("version_id")))
    return branches


def live_ids(plan: Plan, applied: Mapping[str, str]) -> dict[str, str]:
    """Live id per address after an apply: what it created, else what the plan found live."""
    ids = {change.address: change.live_id for change in plan.changes if change.live_id}
    return {**ids, **applied}


async def find_branch(client: ElevenLabsClient, agent_id: str, name: str) -> dict[str, Any] | None:
    return pick(await client.list_branches(agent_id), name)


async def archive_branch(client: ElevenLabsClient, agent_id: str, branch_id: str) -> bool:
    """Archive an agent branch; False when it is gone already (deleted by hand: nothing left to archive)."""
    try:
        await client.update_branch(agent_id, branch_id, is_archived=True)
    except NotFoundError:
        return False
    return True


async def free_archived_name(client: ElevenLabsClient, desired: Desired, name: str, agent_keys: list[str]) -> list[str]:
    """Rename the archived agent branch `name` of each agent (a reopened PR's: its close archived it, and the name
    stays taken) so that the check recreates `name` from main, tested and recorded afresh; the keys renamed.

    The archived branch keeps its history under `<name>-closed-<id suffix>`."""
    ids = await agent_ids(client, desired)
    renamed = []
    for key in agent_keys:
        if key not in ids:
            continue
        branches = [b for b in await client.list_branches(ids[key], include_archived=True) if b.get("name") == name]
        for branch in branches:
            if branch.get("is_archived"):
                closed_name = f"{name}-closed-{str(branch['id'])[-6:]}"
                await client.update_branch(ids[key], str(branch["id"]), name=closed_name)
                renamed.append(key)
    return renamed


def without_secrets(root: Path, ref: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` plus a placeholder for each secret variable the project declares and `environ` lacks.

    A fork's run has no secrets; its files must still validate and plan offline. The placeholder is a secret value
    itself, so it is masked like one."""

    try:
        settings = YAML(typ="safe").load(open_source(root, ref).read("agentform.yaml"))
    except (OSError, LookupError, YAMLError, ValueError):
        return dict(environ)  # loading reports what is wrong with the file
    declared = (settings or {}).get("variables") if isinstance(settings, dict) else None
    secrets = [
        name
        for name, spec in (declared or {}).items()
        if isinstance(spec, dict) and spec.get("secret") and name not in environ
    ]
    return {**environ, **dict.fromkeys(secrets, FORK_SECRET_PLACEHOLDER)}
