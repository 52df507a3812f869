"""The planner's view of the state record: what `plan/` reads from it (`state/record.py` owns the real format)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordedAgent(_Frozen):
    """What the state record remembers about an agent after our last write to it."""

    id: str
    # `payload_hash(normalised last-applied payload)`, to tell "file changed since last apply" cheaply.
    payload_hash: str | None = None
    # The normalised payload we last sent (with ids resolved): the base of the 3-way drift check and the
    # `last-applied-configuration` that tells which keys the file stopped setting.
    payload: dict[str, Any] | None = None
    updated_at: int | None = None
    version_id: str | None = None


class RecordedTool(_Frozen):
    """One tool version we created (or adopted), as recorded."""

    id: str
    hash: str | None = None


class PendingCreate(_Frozen):
    """An intent written before a create whose result is not yet recorded (tools: no marker slot)."""

    address: str
    hash: str
    created_at: int | None = None


class StateRecord(_Frozen):
    """The planner's view of the `agentform-state` document (`state/record.py` owns the real format)."""

    # tool key -> versions we own; a tool whose id is here is ours even though it carries no marker.
    tools: dict[str, list[RecordedTool]] = Field(default_factory=dict)
    # agent key -> last-applied facts
    agents: dict[str, RecordedAgent] = Field(default_factory=dict)
    # document / test id -> `updated_at` after our last write (documents and tests are found by markers anyway);
    # None for a version we created, vouched for by its creation time. A repaired version not yet verified is absent.
    documents: dict[str, int | None] = Field(default_factory=dict)
    tests: dict[str, int | None] = Field(default_factory=dict)
    pending: list[PendingCreate] = Field(default_factory=list)
