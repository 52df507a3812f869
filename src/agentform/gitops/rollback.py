"""Rollback to a recorded agent version.

The API has no restore endpoint (shared/elevenlabs-api.md §2.2): a rollback reads the agent's configuration at the
recorded `version_id` and writes it back onto the branch (main by default) as a new version whose description
says what it rolls back. History is never rewritten: the bad version stays in the branch's history, followed by
the restored one.

`rollback_body` and `restored_mismatches` are pure; `read_version` and `write_rollback` are the two API calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentform.plan.normalize import AGENT_READ_ONLY_PATHS, canonical, without_paths

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

# The parts of an agent a version carries and a PATCH accepts. Everything else in a GET response is read-only
# (ids, metadata, access info, phone numbers) or managed elsewhere (procedures).
ROLLBACK_FIELDS = ("conversation_config", "platform_settings", "workflow", "name", "tags")

_MAX_DESCRIPTION = 480


@dataclass(frozen=True)
class RollbackTarget:
    """One agent to restore: which live agent, to which version, and why."""

    agent_key: str
    agent_id: str
    version_id: str
    reason: str


@dataclass(frozen=True)
class RollbackResult:
    agent_key: str
    agent_id: str
    restored_version_id: str
    # The version the rollback wrote (the new tip of the branch).
    new_version_id: str | None
    # Fields that still differ from the restored version after the write (empty when the restore is exact).
    mismatches: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.mismatches


def rollback_description(version_id: str, reason: str) -> str:
    """The `version_description` of a rollback version: `Rollback to <vid> (<reason>)`."""
    text = f"Rollback to {version_id} ({reason})" if reason else f"Rollback to {version_id}"
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


def restorable(config: Mapping[str, Any]) -> dict[str, Any]:
    """The writable, version-carried part of an agent's GET response."""
    # The planner's list of read-only paths: sending them back is at best ignored, and a server that fills them
    # in differently has not failed the restore.
    body = without_paths(
        {field: config[field] for field in ROLLBACK_FIELDS if config.get(field) is not None}, AGENT_READ_ONLY_PATHS
    )
    return body


def rollback_body(config_at_version: Mapping[str, Any], *, version_id: str, reason: str) -> dict[str, Any]:
    """The PATCH body that writes the configuration read at `version_id` back as a new version."""
    return {**restorable(config_at_version), "version_description": rollback_description(version_id, reason)}


def restored_mismatches(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """Dotted paths where `actual` differs from `expected`, over the restorable fields; [] when restored exactly."""
    return sorted(_diff_paths(canonical(restorable(expected)), canonical(restorable(actual)), ""))


def _diff_paths(expected: Any, actual: Any, prefix: str) -> set[str]:
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        paths: set[str] = set()
        for key in expected.keys() | actual.keys():
            paths |= _diff_paths(expected.get(key), actual.get(key), f"{prefix}.{key}" if prefix else str(key))
        return paths
    return set() if expected == actual else {prefix or "<root>"}


async def read_version(client: ElevenLabsClient, agent_id: str, version_id: str) -> dict[str, Any]:
    """The agent's full configuration at `version_id` (`GET /agents/{id}?version_id=`)."""
    return await client.get_agent(agent_id, version_id=version_id)


async def write_rollback(
    client: ElevenLabsClient,
    target: RollbackTarget,
    config_at_version: Mapping[str, Any],
    *,
    branch_id: str | None = None,
) -> RollbackResult:
    """Write the version's configuration back as a new version and check, field by field, that it took."""
    body = rollback_body(config_at_version, version_id=target.version_id, reason=target.reason)
    after = await client.update_agent(target.agent_id, body, branch_id=branch_id)
    return RollbackResult(
        agent_key=target.agent_key,
        agent_id=target.agent_id,
        restored_version_id=target.version_id,
        new_version_id=after.get("version_id"),
        mismatches=tuple(restored_mismatches(config_at_version, after)),
    )


async def rollback_agent(
    client: ElevenLabsClient, target: RollbackTarget, *, branch_id: str | None = None
) -> RollbackResult:
    """Read the agent at the target version and write it back (main unless `branch_id`)."""
    config = await read_version(client, target.agent_id, target.version_id)
    return await write_rollback(client, target, config, branch_id=branch_id)
