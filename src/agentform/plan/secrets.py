"""Planning workspace secrets: create, rotate (update in place) or delete the secrets tool headers reference.

A secret's value cannot be read back, so its name carries a tag of the value (`identity.secret_name`): a tag that
differs from the desired value's is a rotation, planned as an update of the same secret, which keeps its id and so
every tool that references it. Secrets of keys no file uses any more, and extra secrets of one key, are deleted
with prune, after the tools that used them (docs/decisions/0091).

The list of secrets is skipped when the state record vouches for every one of them (`recorded_secrets`,
docs/decisions/0112): the record keeps each secret's name as last written or listed, and a secret a live tool uses
cannot be deleted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from agentform.model import Desired, WorkspaceSecret
from agentform.plan import identity
from agentform.plan.diff import field_changes
from agentform.plan.live import LiveSecret, LiveState
from agentform.plan.model import ResourceChange, ref
from agentform.redact import Redactor
from agentform.state.model import StateRecord


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
    name = _secret_name(desired.settings.project, desired.environment.name, secret.key, secret.value)
    # The name is the secret's content address: apply records it (`recorded_secrets`).
    common = {
        "address": secret_address(secret.key),
        "kind": "secret",
        "key": secret.key,
        "source": secret.source.path,
        "hash": name,
    }
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


@lru_cache(maxsize=256)
def _secret_name(project: str, environment: str, key: str, value: str) -> str:
    # PBKDF2 on purpose (decision 0091): computed once per run, for the record's check and for the plan.
    return identity.secret_name(project, environment, key, value)


def recorded_secrets(
    desired: Desired, record: StateRecord, tool_items: Iterable[Mapping[str, Any]]
) -> list[LiveSecret] | None:
    """The live secrets as the state record knows them, when it vouches for all of them; None: list them.

    It vouches when no create is pending (an interrupted apply may have made a secret it did not record), it holds
    exactly one trusted entry per secret the files want and no other, each with the name the files' value gives, and
    a live tool uses each one (the API refuses to delete a secret a tool uses, so it still exists).
    """
    project, environment = desired.settings.project, desired.environment.name
    wanted = {
        key: _secret_name(project, environment, key, secret.value) for key, secret in desired.workspace_secrets.items()
    }
    entries = list(record.secrets.values())
    if record.pending or sorted(entry.key for entry in entries) != sorted(wanted):
        return None
    users = secret_users(tool_items)
    if any(not entry.verified or entry.hash != wanted[entry.key] or entry.id not in users for entry in entries):
        return None
    return [
        LiveSecret(id=entry.id, key=entry.key, name=entry.hash, tool_ids=sorted(users[entry.id])) for entry in entries
    ]


def secret_users(tool_items: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Secret id -> the ids of the tools (from a tools listing) whose config references it."""
    users: dict[str, set[str]] = {}
    for item in tool_items:
        for secret_id in _secret_ids_in(item.get("tool_config")):
            users.setdefault(secret_id, set()).add(str(item.get("id")))
    return users


def _secret_ids_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {str(value["secret_id"])} if isinstance(value.get("secret_id"), str) else set()
        return found.union(*(_secret_ids_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_secret_ids_in(item) for item in value))
    return set()


def verify_secrets(record: StateRecord, live: list[LiveSecret]) -> None:
    """Bring the record's secret entries up to the live secrets of ours a plan saw (`live`), for `recorded_secrets`
    to trust next time.

    Each recorded secret seen takes its live name; it is trusted only when it is the one secret of its key and every
    secret of ours that was seen is recorded (a twin or an unrecorded one needs the list until prune removes it).
    """
    whole = all(secret.id in record.secrets for secret in live)
    per_key = Counter(secret.key for secret in live)
    for secret in live:
        entry = record.secrets.get(secret.id)
        if entry is not None:
            entry.hash, entry.verified = secret.name, whole and per_key[secret.key] == 1
