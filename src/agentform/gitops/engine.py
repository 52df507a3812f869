"""The other layers as the CI workflows use them: load, plan, apply to a branch or main, run tests, lock.

Each function is a short composition of the public surfaces of `project/`, `plan/`, `apply/` and `testing/`
(docs/decisions/0001), so `pr.py` and `deploy.py` read as the workflow they implement and a change in one of those
layers shows up here only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from agentform.connect import open_client
from agentform.elevenlabs import BASE_URL_VARIABLE
from agentform.gitops.outcome import AgentBranch, CiOutcome
from agentform.model import Desired, DesiredTest, EnvironmentSettings
from agentform.plan import identity
from agentform.plan.model import Plan
from agentform.redact import Redactor
from agentform.state.lock import environment_lock
from agentform.testing.report import AgentResult, TestReport

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

# How long a PR run's lock lasts (a branch apply, or archiving a closed PR's branches): far less than a deploy's.
PR_LOCK_TTL_SECS = 15 * 60
# How a PR run's hold on the lock starts its purpose: a deploy that finds one waits for it (it ends within the TTL).
PR_LOCK_PURPOSE = "ci pr:"
# The value of a secret variable in a fork's run, which has no secrets.
FORK_SECRET_PLACEHOLDER = "unset-in-a-fork"


@dataclass
class Loaded:
    """The desired state, or why there is none: errors and warnings as `file:line:column: ...` lines."""

    desired: Desired | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # GitHub workflow commands that put each diagnostic on its file in the PR's "Files changed" view.
    annotations: list[str] = field(default_factory=list)


def load(root: Path, env: str | None, ref: str | None, environ: Mapping[str, str], *, strict: bool) -> Loaded:
    """Load and validate the project at `ref` (the working tree when None); never raises for bad files."""
    from agentform.project import ProjectError, load_desired
    from agentform.project.diagnostics import repository_prefix

    try:
        desired = load_desired(root, env=env, ref=ref, environ=dict(environ), strict=strict)
    except ProjectError as error:
        prefix = repository_prefix(root, environ.get("GITHUB_WORKSPACE"))
        errors = [d for d in error.diagnostics if d.severity == "error"]
        warnings = [d for d in error.diagnostics if d.severity != "error"]
        return Loaded(
            None,
            errors=[str(d) for d in errors] or [str(error)],
            warnings=[str(d) for d in warnings],
            # Paths from the repository root, so the annotations land on the files of the PR's diff.
            annotations=[d.github_annotation(prefix) for d in error.diagnostics],
        )
    return Loaded(desired)


def load_into(
    outcome: CiOutcome,
    redactor: Redactor,
    root: Path,
    env: str | None,
    ref: str | None,
    environ: Mapping[str, str],
    *,
    strict: bool,
) -> Desired | None:
    """Load the files at `ref` the way every workflow starts: warnings and annotations go to `outcome` always; the
    errors too when the files are invalid (None: the workflow stops, nothing live touched); else the environment's
    name goes to `outcome` and the project's secret values join `redactor`."""
    loaded = load(root, env, ref, environ, strict=strict)
    outcome.warnings, outcome.annotations = loaded.warnings, loaded.annotations
    if loaded.desired is None:
        outcome.diagnostics = loaded.errors
        return None
    outcome.environment = loaded.desired.environment.name
    redactor.add(*loaded.desired.secret_values)
    return loaded.desired


def dashboard_links(environment: EnvironmentSettings, environ: Mapping[str, str]) -> bool:
    """Whether reports link agent branches to the ElevenLabs dashboard: only for the real API, not an emulator."""
    return environment.backend == "api" and not environ.get(BASE_URL_VARIABLE)


def missing_api_key(environment: EnvironmentSettings, environ: Mapping[str, str]) -> str | None:
    """The name of the unset key variable when the environment needs a key and has none; else None."""
    if environment.backend == "emulator":
        return None
    return None if environ.get(environment.api_key_env) else environment.api_key_env


def client_for(
    desired: Desired, root: Path, environ: Mapping[str, str], parallelism: int | None, redactor: Redactor
) -> ElevenLabsClient:
    """The environment's API client (an async context manager); its key joins `redactor`."""
    return open_client(desired.environment, root, parallelism=parallelism, redactor=redactor, environ=environ)


def offline_plan(root: Path, base: str, head: str | None, redactor: Redactor) -> str:
    """Without API access: the project's file changes between the refs, as a markdown diff."""
    from agentform.gitops.changes import changed_paths

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


async def read_and_plan(
    client: ElevenLabsClient, desired: Desired, *, branch: str | None = None, select: Iterable[str] = ()
) -> tuple[Plan, Any]:
    """Read the live workspace (and `branch`'s tips) and plan `desired` against it: the plan and the workspace."""
    from agentform.plan.fresh import make_fresh_plan

    planned = await make_fresh_plan(
        client,
        desired,
        prune=desired.environment.prune,
        select=tuple(select),
        branch=branch,
        redactor=Redactor(desired.secret_values),
    )
    return planned.plan, planned.workspace


def render_plan_markdown(plan: Plan, redactor: Redactor) -> str:
    from agentform.plan.render_markdown import render_markdown

    # The comment composer cuts whole sections to fit; the renderer's own limit only has to be below GitHub's.
    return render_markdown(plan, max_chars=60_000, redactor=redactor)


async def apply(
    client: ElevenLabsClient,
    desired: Desired,
    plan: Plan,
    workspace: Any,
    *,
    branch: str | None = None,
    collect: bool = True,
) -> Any:
    """Carry out `plan` (on `branch`, or main; `collect=False`: no garbage collection); raises when any step failed,
    naming the steps."""
    from agentform.apply.executor import apply_plan
    from agentform.apply.progress_lines import for_log

    lines = for_log(Redactor(desired.secret_values))
    result = await apply_plan(
        client,
        plan,
        desired,
        prune=desired.environment.prune,
        branch=branch,
        workspace=workspace,
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
    client: ElevenLabsClient, desired: Desired, branch: str, agent_keys: list[str]
) -> list[AgentBranch]:
    """Apply the agents (and the documents, tools and tests they use) to agent branch `branch`.

    Returns the branches as they stand afterwards.
    """
    plan, workspace = await read_and_plan(client, desired, branch=branch, select=agent_keys)
    result = await apply(client, desired, plan, workspace, branch=branch)
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
    from agentform.plan.read import find_branch as pick

    return pick(await client.list_branches(agent_id), name)


async def archive_branch(client: ElevenLabsClient, agent_id: str, branch_id: str) -> bool:
    """Archive an agent branch; False when it is gone already (deleted by hand: nothing left to archive)."""
    from agentform.elevenlabs import NotFoundError

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
    from ruamel.yaml import YAML, YAMLError

    from agentform.project.sources import open_source

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


def smoke_tests(tests: list[DesiredTest]) -> list[DesiredTest]:
    """The tests a deploy runs on main: those marked `smoke: true`, or all of them when none is."""
    return [test for test in tests if test.smoke] or tests


async def run_tests(
    client: ElevenLabsClient,
    desired: Desired,
    agent_keys: list[str],
    *,
    branch: str | None = None,
    smoke_only: bool = False,
    poll_timeout_secs: float | None = None,
) -> TestReport:
    """Run the agents' tests on agent branch `branch` (else on main itself) and judge them.

    An agent that cannot be tested (its tests or its branch do not exist live) is in the report as an error: a
    check that could not run its tests must not pass.
    """
    from agentform.plan.read import read_workspace
    from agentform.testing.runner import PollPolicy, SuiteOptions, SuiteTarget, run_suite
    from agentform.testing.targets import build_targets, choose_tests, resolve_ids

    live = (await read_workspace(client, desired, branch=branch)).live
    ids = resolve_ids(desired, live)
    chosen = choose_tests(desired, agents=agent_keys)
    if smoke_only:
        chosen = {key: smoke_tests(tests) for key, tests in chosen.items()}
    if branch is not None:
        built = build_targets(desired, live, chosen, ids, branch=branch)
        targets, problems = built.targets, built.problems
    else:
        # Smoke tests run on main as it now is, not on the files' config as an override: that is the point.
        targets, problems = [], []
        for key, tests in sorted(chosen.items()):
            agent = live.agent_by_key(key)
            pairs = [(test, ids.tests.get(test.address)) for test in tests]
            if agent is None or any(test_id is None for _, test_id in pairs):
                problems.append(f"{key}: the agent or some of its tests do not exist live")
                continue
            targets.append(SuiteTarget(key, agent.id, pairs))  # type: ignore[arg-type]  # no None: checked above
    where = f"agent branch {branch}" if branch else "main"
    timeout = poll_timeout_secs or desired.settings.test_timeout_secs
    options = SuiteOptions(poll=PollPolicy(timeout_secs=timeout), invocation_name=f"agentform on {where}")
    report = await run_suite(client, targets, options)
    untested = [AgentResult(agent_key=line.split(":", 1)[0], error=line) for line in problems]
    update = {
        "project": desired.settings.project,
        "environment": desired.environment.name,
        "target": where,
        "agents": [*report.agents, *untested],
    }
    return report.model_copy(update=update)


@contextlib.asynccontextmanager
async def locked_client(
    desired: Desired,
    root: Path,
    environ: Mapping[str, str],
    parallelism: int | None,
    redactor: Redactor,
    *,
    holder: str,
    purpose: str,
    ttl_secs: float,
    wait_secs: float = 0.0,
) -> AsyncIterator[Any]:
    """The environment's client (`client_for`) with its lock held (`environment_lock`) for the whole block."""
    async with (
        client_for(desired, root, environ, parallelism, redactor) as client,
        environment_lock(client, desired, holder=holder, purpose=purpose, ttl_secs=ttl_secs, wait_secs=wait_secs),
    ):
        yield client


async def agent_ids(client: ElevenLabsClient, desired: Desired) -> dict[str, str]:
    """Live id of each managed agent of the environment, by file key."""
    project, env = desired.settings.project, desired.environment.name
    found: dict[str, str] = {}
    for item in await client.list_agents(tags=[identity.owner_tag(project, env)]):
        key = identity.key_from_tags(item.get("tags") or [])
        if key and identity.is_owned_agent(item.get("tags") or [], project, env):
            found.setdefault(key, str(item["agent_id"]))
    return found
