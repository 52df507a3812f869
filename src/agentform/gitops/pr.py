"""`ci pr`: validate, plan, apply the PR's agents to their agent branch, test them there.

The workflow, in order; each step that fails records why in the `CiOutcome` and stops the run:

1. load and validate the files at the head ref (errors: file, line, field; nothing live is touched);
2. find the agents the PR affects (git change detection from the merge base);
3. without secrets (a PR from a fork): stop here with an offline plan of the file changes; without an API key
   otherwise: the same, but the check fails (a misconfigured check must not pass);
4. plan the head against the environment's main (what the merge will do);
5. apply the affected agents to the agent branch named after the PR (new KB document and tool versions are
   created content-addressed and referenced from the branch only, so main is unaffected);
6. run those agents' tests on that branch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from agentform.gitops import engine
from agentform.gitops.changes import changed_agents
from agentform.gitops.outcome import CiOutcome
from agentform.redact import Redactor

FORK_NOTE = (
    "This pull request comes from a fork, so the workflow has no access to the repository's secrets: agentform "
    "validated the files and shows the file changes, but did not plan against the live workspace or run tests. "
    "A maintainer can push the branch to this repository to get the full check."
)
NO_CHANGE_NOTE = "No agent changes: this pull request touches no file of the agentform project."
FORK_SECRETS_WARNING = "Secret variables left unset in a fork's run: {names}."
NO_KEY_ERROR = (
    "{variable} is not set, so nothing could be planned against the workspace or tested: add it as a secret of the "
    "repository (or of the GitHub environment) and pass it to the step's env. The file changes are shown below."
)


@dataclass(frozen=True)
class PrRequest:
    """What to check: the project, the environment, the two git refs, and the agent branch to test on."""

    project_root: Path
    env: str | None
    base: str
    head: str | None
    branch: str
    environ: Mapping[str, str]
    strict: bool = False
    # A PR from a fork: never try the API, even if a key happens to be set.
    fork: bool = False
    parallelism: int | None = None
    poll_timeout_secs: float | None = None
    # Who takes the environment lock for the branch apply, and how long to wait for a deploy holding it.
    holder: str = "agentform ci pr"
    lock_wait_secs: float = 600.0


async def run_pr(
    request: PrRequest,
    outcome: CiOutcome,
    redactor: Redactor,
    *,
    started: Callable[[CiOutcome], Awaitable[object]] | None = None,
) -> CiOutcome:
    """Run the PR workflow, filling `outcome`; returns it for convenience. Secrets found join `redactor`.

    `started` is awaited once the files are loaded (the environment's name, which names the check, is known then,
    valid files or not): the pending commit status goes out there.
    """
    # A fork's run has none of the repository's secrets: its secret variables stay unset, not an error.
    environ = engine.without_secrets(request.project_root, request.head, request.environ) if request.fork else None
    context = engine.load_into(outcome, redactor, request, request.head, strict=request.strict, environ=environ)
    if started is not None:
        await started(outcome)
    if context is None:
        return outcome
    desired = context.desired
    outcome.dashboard_links = engine.dashboard_links(desired.environment, request.environ)
    selection = changed_agents(request.project_root, request.base, request.head, desired)
    if not selection.project_files:
        # Whatever the workflow's `paths:` say, a required check must complete: no API call, no lock, success.
        outcome.notes.append(NO_CHANGE_NOTE)
        return outcome
    outcome.selection = selection.explain()
    if environ:
        outcome.warnings.append(
            FORK_SECRETS_WARNING.format(names=", ".join(sorted(set(environ) - set(request.environ))))
        )

    missing_key = engine.missing_api_key(desired.environment, request.environ)
    if request.fork or missing_key:
        outcome.mode = "offline"
        if request.fork:
            outcome.notes.append(FORK_NOTE)
        else:
            # Not a fork: a missing key is a broken setup, and a check that tested nothing must not pass.
            outcome.error = NO_KEY_ERROR.format(variable=missing_key)
        outcome.plan_markdown = engine.offline_plan(request.project_root, request.base, request.head, redactor)
        return outcome

    async with context.client() as client:
        plan = (await context.plan(client)).plan
        outcome.plan_summary = plan.summary().line()
        outcome.plan_markdown = engine.render_plan_markdown(plan, redactor)
        if not selection.agents:
            outcome.notes.append("No agent is affected by this change: nothing to apply to a branch or test.")
            return outcome
        # The branch apply writes the workspace's state record: it takes the lock like `apply --branch` does.
        async with context.lock(
            client,
            holder=request.holder,
            purpose=f"{engine.PR_LOCK_PURPOSE} apply --branch {request.branch}",
            ttl_secs=engine.PR_LOCK_TTL_SECS,
            wait_secs=request.lock_wait_secs,
        ):
            # A reopened PR finds the branch its close archived: the name is taken (409) until that one is renamed.
            renamed = await engine.free_archived_name(client, desired, request.branch, selection.agents)
            outcome.branches = await engine.apply_to_branch(context, client, request.branch, selection.agents)
            outcome.notes += [
                f"Agent branch {request.branch} of {key} was archived when the PR closed: recreated from main."
                for key in renamed
            ]
        outcome.tests = await context.test(
            client, selection.agents, branch=request.branch, poll_timeout_secs=request.poll_timeout_secs
        )
    return outcome
