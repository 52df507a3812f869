"""`agentform rollback`: put an agent's main branch back to a recorded version, or to the files at a git ref.

`--to-version VID` reads the agent at that version and writes it back as a new version described as a rollback
(the API has no restore endpoint); the field-by-field plan is shown first and the write happens under the
environment's lock. Every KB document, tool and test the version references must still resolve: a document that
was collected meanwhile is recreated from the newest commit holding its content, and anything else missing refuses
the rollback, naming it (docs/decisions/0081). Afterwards every reference is read back.

`--to-ref GITREF` re-applies the files at that ref to the chosen agents: it is `apply --ref`, with the same plan,
confirmation, lock and staleness check.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agentform import exitcodes
from agentform.commands._shared import (
    Session,
    confirmation_possible,
    console,
    print_error,
    print_plan_text,
)
from agentform.context import agent_ids
from agentform.gitops.references import (
    Recreation,
    plan_recreation,
    recreate_documents,
    substitute_ids,
    unresolved,
)
from agentform.gitops.rollback import RollbackTarget, read_version, restorable, rollback_body, write_rollback
from agentform.model import Desired
from agentform.plan.diff import field_changes
from agentform.plan.model import Plan, ResourceChange
from agentform.plan.references import references
from agentform.redact import Redactor

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def rollback_plan(
    desired: Desired, key: str, agent_id: str, current: dict, target: dict, version_id: str, redactor: Redactor
) -> Plan:
    """The rollback as a one-change plan, so it renders like every other plan."""
    fields = field_changes(restorable(current), restorable(target), redactor=redactor)
    change = ResourceChange(
        address=f"agent.{key}",
        kind="agent",
        key=key,
        action="update" if fields else "no-op",
        live_id=agent_id,
        reason=f"roll back main to version {version_id}",
        fields=fields,
        payload=rollback_body(target, version_id=version_id, reason="manual rollback") if fields else None,
    )
    return Plan(
        project=desired.settings.project,
        environment=desired.environment.name,
        fingerprint=str(current.get("version_id")),
        changes=[change],
    )


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    agents: Sequence[str] = (),
    to_version: str | None = None,
    to_ref: str | None = None,
    auto_approve: bool = False,
    reason: str | None = None,
    parallelism: int | None = None,
    is_terminal: bool | None = None,
) -> int:
    if (to_version is None) == (to_ref is None):
        return print_error("give exactly one of --to-version VID or --to-ref GITREF.")
    if to_ref is not None:
        from agentform.commands import apply

        return apply.run(
            project_dir=project_dir,
            env=env,
            select=tuple(agents),
            ref=to_ref,
            auto_approve=auto_approve,
            parallelism=parallelism,
            is_terminal=is_terminal,
        )
    if not confirmation_possible(auto_approve, is_terminal, "roll back"):
        return exitcodes.ERROR
    session = Session.open(project_dir, env, parallelism=parallelism)
    if session is None:
        return exitcodes.ERROR
    if len(agents) != 1 and len(session.desired.agents) != 1:
        return print_error("a version id belongs to one agent: name it with --agent KEY.")
    key = agents[0] if agents else next(iter(session.desired.agents))
    return _to_version(session, key, to_version or "", reason, auto_approve)


def _to_version(session: Session, key: str, version_id: str, reason: str | None, auto_approve: bool) -> int:
    from agentform.elevenlabs import ElevenLabsError
    from agentform.state.lock import LockHeld

    try:
        return session.run(lambda client: _roll_back(client, session, key, version_id, reason, auto_approve))
    except LockHeld as error:
        print_error(error)
        return exitcodes.STALE_OR_CONFLICT
    except ElevenLabsError as error:
        return session.fail(error)


async def _roll_back(
    client: ElevenLabsClient, session: Session, key: str, version_id: str, reason: str | None, auto_approve: bool
) -> int:
    """Show the rollback as a plan, ask, then write the version back under the lock."""
    from agentform.elevenlabs import ApiError

    desired, out = session.desired, console()
    agent_id = (await agent_ids(client, desired)).get(key)
    if agent_id is None:
        return print_error(f"agent {key!r} is not managed live in environment {desired.environment.name!r}.")
    current = await client.get_agent(agent_id)
    try:
        target = await read_version(client, agent_id, version_id)
    except ApiError as error:
        return print_error(f"cannot read version {version_id} of agent {key!r}: {error}")
    refs = references(target)
    recreation = plan_recreation(
        session.project_dir, desired.environment.name, os.environ, refs, await unresolved(client, refs)
    )
    if recreation.unrecoverable:
        return print_error(
            f"version {version_id} of {key!r} references what no longer exists and cannot be recreated, so restoring "
            "it would leave the agent broken: " + "; ".join(recreation.unrecoverable)
        )
    plan = rollback_plan(desired, key, agent_id, current, target, version_id, session.redactor)
    print_plan_text(plan, out)
    for old_id, (_desired, commit, document) in recreation.documents.items():
        out.print(f"Document {document.key} ({old_id}) is gone: it will be recreated from commit {commit[:12]}.")
    if not plan.has_changes:
        out.print(f"\nNothing to roll back: main already has the configuration of {version_id}.")
        return exitcodes.OK
    if not auto_approve and not click.confirm(f"\nRoll agent {key} back to {version_id}?", default=False):
        out.print("Rollback cancelled.")
        return exitcodes.ERROR
    return await _write(client, session, key, agent_id, version_id, (target, recreation), reason, out)


async def _write(
    client: ElevenLabsClient,
    session: Session,
    key: str,
    agent_id: str,
    version_id: str,
    restoring: tuple[dict, Recreation],
    reason: str | None,
    out: Any,
) -> int:
    """Recreate the missing documents, write the version back (pointing at them), and read every reference back."""
    target, recreation = restoring
    async with session.lock(client, purpose=f"rollback {key} to {version_id}", ttl_secs=10 * 60):
        config = substitute_ids(target, await recreate_documents(client, recreation))
        result = await write_rollback(client, RollbackTarget(key, agent_id, version_id, reason or "manual"), config)
    broken = await unresolved(client, references(await client.get_agent(agent_id)))
    if broken:
        return print_error(f"rolled back {key}, but its references do not resolve: {'; '.join(broken)}")
    if not result.ok:
        out.print(f"Rolled back, but these fields differ from {version_id}: {', '.join(result.mismatches)}")
        return exitcodes.ERROR
    out.print(f"Rolled back {key} to {version_id}: new version {result.new_version_id}.")
    return exitcodes.OK
