"""Planning workspace secrets: create, rotate (update in place) or delete the secrets tool headers reference.

A secret's value cannot be read back, so its name carries a tag of the value (`identity.secret_name`): a tag that
differs from the desired value's is a rotation, planned as an update of the same secret, which keeps its id and so
every tool that references it. Secrets of keys no file uses any more, and extra secrets of one key, are deleted
with prune, after the tools that used them (docs/decisions/0091).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentform.model import Desired, WorkspaceSecret
from agentform.plan import identity
from agentform.plan.diff import field_changes
from agentform.plan.live import LiveSecret, LiveState
from agentform.plan.model import ResourceChange, ref
from agentform.redact import Redactor


def secret_address(key: str) -> str:
    """The plan address of the workspace secret of `key` ("<tool key>.<header>")."""
    return f"secret.{key}"


def secret_ids(desired: Desired, live: LiveState) -> dict[str, str]:
    """Each desired secret's placeholder -> the live id, or the `$ref:` of the create this plan holds."""
    live_ids = {key: secret.id for key, secret in _canonical(live.secrets).items()}
    return {
        WorkspaceSecret.placeholder(key): live_ids.get(key) or ref(secret_address(key))
        for key in desired.workspace_secrets
    }


def with_secret_ids(value: Any, ids: Mapping[str, str]) -> Any:
    """`value` (a tool payload) with each workspace-secret placeholder replaced from `ids` (`secret_ids`)."""
    if isinstance(value, dict):
        return {key: with_secret_ids(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [with_secret_ids(item, ids) for item in value]
    return ids.get(value, value) if isinstance(value, str) else value


def secret_changes(desired: Desired, live: LiveState, redactor: Redactor) -> list[ResourceChange]:
    """One change per desired secret, then a delete per secret that no file wants (or that duplicates another)."""
    canonical = _canonical(live.secrets)
    changes = [
        _secret_change(secret, desired, canonical.get(key), redactor)
        for key, secret in desired.workspace_secrets.items()
    ]
    kept = {secret.id for key, secret in canonical.items() if key in desired.workspace_secrets}
    for secret in sorted(live.secrets, key=lambda s: (s.key, s.id)):
        if secret.id in kept:
            continue
        extra = secret.key in desired.workspace_secrets
        changes.append(
            ResourceChange(
                address=f"{secret_address(secret.key)}#{secret.id}" if extra else secret_address(secret.key),
                kind="secret",
                key=secret.key,
                action="delete",
                live_id=secret.id,
                reason="a second workspace secret for the same header" if extra else "no tool header uses it",
            )
        )
    return changes


def _secret_change(
    secret: WorkspaceSecret, desired: Desired, live: LiveSecret | None, redactor: Redactor
) -> ResourceChange:
    name = identity.secret_name(desired.settings.project, desired.environment.name, secret.key, secret.value)
    common = {"address": secret_address(secret.key), "kind": "secret", "key": secret.key, "source": secret.source.path}
    body = {"name": name, "value": secret.value}
    if live is None:
        fields = field_changes({}, body, redactor=redactor)
        return ResourceChange(**common, action="create", payload=body, fields=fields)
    if live.name == name:
        return ResourceChange(**common, action="no-op", live_id=live.id)
    # The value is write-only: show that it changes, never what it was or becomes.
    fields = field_changes({"name": live.name, "value": "<old>"}, {"name": name, "value": "<new>"}, redactor=redactor)
    return ResourceChange(
        **common,
        action="update",
        live_id=live.id,
        payload=body,
        fields=fields,
        reason="the secret's value changed (rotation): the tools keep referencing it",
    )


def _canonical(secrets: list[LiveSecret]) -> dict[str, LiveSecret]:
    """One secret per key: the one most tools use, then the smallest id (every reader agrees)."""
    chosen: dict[str, LiveSecret] = {}
    for secret in sorted(secrets, key=lambda s: (-len(s.tool_ids), s.id)):
        chosen.setdefault(secret.key, secret)
    return chosen
