"""The state record's format: the JSON content of the `agentform-state` document (docs/decisions/0040).

It is the ownership ledger of tools (they have no marker slot), the last-applied payloads for 3-way drift detection,
the live `updated_at` seen after our own writes (so a no-op plan skips detail reads), pending create intents (a
crash between a tool create and the record write is recovered by finding the tool by config hash) and what was
applied to each agent branch. One type serves the planner (`LiveState.record`) and apply; the I/O is in
`state/record.py`. Pure: no imports from the rest of agentform.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

STATE_DOCUMENT_NAME = "agentform-state"
SCHEMA_VERSION = 1


class StateError(Exception):
    """The state record exists but cannot be used (unknown schema, unreadable JSON)."""


class _Record(BaseModel):
    # Unknown keys are kept and written back: a newer agentform may add fields an older one must not drop.
    model_config = ConfigDict(extra="allow")


class AgentEntry(_Record):
    """What we last wrote to an agent's main branch, and what the API said afterwards."""

    id: str
    payload_hash: str
    # The normalised payload we sent: the 3rd side of drift detection and the keys to reset when a file drops them.
    payload: dict[str, Any] = Field(default_factory=dict)
    updated_at: int | None = None
    version_id: str | None = None
    # Whether an unchanged list timestamp proves that nobody edited the agent since (docs/decisions/0050, 0110):
    # with `updated_at` None, for an agent we created (nobody can edit it in the second it was created in, its id
    # not known yet), when the list timestamp still equals its creation time; with `updated_at` set, once a read
    # made after the server's clock left that second still saw our `version_id` (edits within a second share it).
    verified: bool = False


class ResourceEntry(_Record):
    """A document, tool or test version we created (content-addressed: one entry per live id)."""

    id: str
    key: str
    hash: str
    # The list timestamp that vouches for the version; None for one we created (its creation time vouches for it).
    updated_at: int | None = None
    # False after a repair until a plan's content read proves it (docs/decisions/0110): plans compare its content.
    verified: bool = True


class PendingIntent(_Record):
    """Written before a create whose result has no marker on the live side (tools)."""

    kind: Literal["tool"]
    key: str
    hash: str
    started_at: float


class BranchEntry(_Record):
    """What `apply --branch NAME` wrote to one agent's branch: deploy compares it with what was tested."""

    agent_id: str
    branch_id: str
    payload_hash: str
    version_id: str | None = None
    source_revision: str | None = None
    applied_at: float | None = None


class StateRecord(_Record):
    """The JSON content of the `agentform-state` document."""

    schema_version: int = SCHEMA_VERSION
    project: str
    environment: str
    # Per agent key.
    agents: dict[str, AgentEntry] = Field(default_factory=dict)
    # Per live id: several versions of one key coexist until garbage collection.
    documents: dict[str, ResourceEntry] = Field(default_factory=dict)
    tools: dict[str, ResourceEntry] = Field(default_factory=dict)
    tests: dict[str, ResourceEntry] = Field(default_factory=dict)
    pending: list[PendingIntent] = Field(default_factory=list)
    # Branch name -> agent key -> entry.
    branches: dict[str, dict[str, BranchEntry]] = Field(default_factory=dict)
    # Counts the record's writes (Terraform's state serial): every write changes the text and so the document's
    # name (`record_document_name`), which tells a run under the lock whether anyone applied since its plan.
    serial: int = 0

    @classmethod
    def empty(cls, project: str, environment: str) -> StateRecord:
        return cls(project=project, environment=environment)

    def tools_owned(self) -> dict[str, tuple[str, str]]:
        """Tool id -> (file key, content hash): the tools this record makes ours (they carry no marker)."""
        return {tool_id: (entry.key, entry.hash) for tool_id, entry in self.tools.items()}

    def with_tools(self, owned: dict[str, tuple[str, str]]) -> StateRecord:
        """A copy that also owns `owned` (tool id -> (key, hash)): tools recovered from an interrupted create."""
        tools = {
            tool_id: ResourceEntry(id=tool_id, key=key, hash=content_hash)
            for tool_id, (key, content_hash) in owned.items()
        }
        return self.model_copy(update={"tools": {**self.tools, **tools}})


def parse_record(text: str, *, project: str, environment: str) -> StateRecord:
    """The record from the document's text; an empty document is an empty record."""
    if not text.strip():
        return StateRecord.empty(project, environment)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise StateError(f"state record {STATE_DOCUMENT_NAME!r} is not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise StateError(f"state record {STATE_DOCUMENT_NAME!r} is not a JSON object")
    version = raw.get("schema_version", SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise StateError(
            f"state record schema {version} is newer than this agentform understands ({SCHEMA_VERSION}); upgrade"
        )
    try:
        return StateRecord.model_validate({"project": project, "environment": environment, **raw})
    except ValidationError as error:
        raise StateError(f"state record {STATE_DOCUMENT_NAME!r} is malformed: {error}") from error


def dump_record(record: StateRecord) -> str:
    # Sorted and compact: the record is rewritten often and read on every plan.
    return json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
