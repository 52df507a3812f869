"""A plan from a fresh read: read the live workspace, then plan the desired state against it.

The one composition that `plan`, `apply` and the CI workflows share, so that they all show the same plan for the
same files and workspace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentform.model import Desired
from agentform.plan.identity import secret_name
from agentform.plan.model import Plan
from agentform.plan.read import Workspace, read_workspace
from agentform.plan.shard import Shard
from agentform.redact import Redactor

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@dataclass(frozen=True)
class Planned:
    """The plan and the workspace it was made against (apply reuses the read; `recovered_tools` lives there)."""

    plan: Plan
    workspace: Workspace


async def make_fresh_plan(
    client: ElevenLabsClient,
    desired: Desired,
    *,
    prune: bool,
    select: Iterable[str] = (),
    shard: Shard | None = None,
    branch: str | None = None,
    on_drift: str = "refuse",
    refresh_all: bool = False,
    redactor: Redactor | None = None,
) -> Planned:
    """Read the workspace (and `branch`'s tips) and plan `desired` against it."""
    from agentform.plan.planner import make_plan

    # The secrets' names are slow to compute on purpose (`identity.secret_name`), a quarter of a second for 20:
    # a thread computes them while the reads wait on the network (the hash releases the GIL).
    _, workspace = await asyncio.gather(
        asyncio.to_thread(_name_secrets, desired),
        read_workspace(client, desired, branch=branch, refresh_all=refresh_all, prune=prune),
    )
    plan = make_plan(
        desired,
        workspace.live,
        prune=prune,
        select_globs=list(select),
        shard=shard,
        branch=branch,
        on_drift=on_drift,  # type: ignore[arg-type]
        redactor=redactor,
    )
    return Planned(_with_rollouts(plan, workspace), workspace)


def _name_secrets(desired: Desired) -> list[str]:
    project, environment = desired.settings.project, desired.environment.name
    return [secret_name(project, environment, key, secret.value) for key, secret in desired.workspace_secrets.items()]


def _with_rollouts(plan: Plan, workspace: Workspace) -> Plan:
    """The plan with a note per agent whose rollout is in progress: main is not all that callers reach, and an
    apply to main would change the agent under a running comparison (docs/rollouts.md)."""
    from agentform.state.rollouts import plan_notes

    notes = plan_notes(workspace.record)
    return plan.model_copy(update={"warnings": [*plan.warnings, *notes]}) if notes else plan
