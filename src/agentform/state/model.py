"""The state record's format: the JSON content of the `agentform-state` document (docs/decisions/0040).

It is the ownership ledger of tools (they have no marker slot), the last-applied payloads for 3-way drift detection,
the live `updated_at` seen after our own writes (so a no-op plan skips detail reads), pending create intents (a
crash between a tool create and the record write is recovered by finding the tool by config hash), what was
applied to each agent branch, the deploys' rollback points and the staged rollouts. One type serves the planner
(`LiveState.record`) and apply; the I/O is in `state/record.py`. Pure data: it imports only the desired state's models.
"""

from __future__ import annotations

import json
import secrets as random_secrets
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from agentform.model import RolloutPolicy
from agentform.redact import MIN_SECRET_LENGTH, detokenise, fingerprint, token_digests, tokenise

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


class AdoptedToolEntry(_Record):
    """A tool adopted through `id:` (updated in place, never ours to delete): the config the files and the live tool
    last agreed on, normalised, headers from secrets as workspace-secret ids. `pull`'s base for telling which side
    changed (docs/decisions/0125)."""

    key: str
    payload: dict[str, Any] = Field(default_factory=dict)


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


class RollbackPoint(_Record):
    """An agent's main version a deploy may restore, and what that version references (kept from collection)."""

    agent_id: str
    version_id: str
    # The last commit whose deploy passed when this version was main's (None: before any deploy was recorded).
    commit: str | None = None
    documents: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list)


class DeployRecord(_Record):
    """The environment's deploys (`ci deploy`, docs/decisions/0080): the last commit that passed its smoke tests and,
    per agent, the version the last deploy recorded before it wrote."""

    passed_commit: str | None = None
    rollback_points: dict[str, RollbackPoint] = Field(default_factory=dict)

    def protected_ids(self) -> set[str]:
        """Every document, tool and test id a rollback point references: never garbage-collected."""
        return {i for point in self.rollback_points.values() for i in [*point.documents, *point.tools, *point.tests]}


class RolloutStep(_Record):
    """One traffic split a rollout set: the branch's share, and when (server time, unix seconds)."""

    percent: float
    at: int


class RolloutEntry(_Record):
    """A staged rollout of an agent branch (`agentform rollout`, docs/decisions/0140): enough to resume it.

    `pending` is written before an action and cleared after it, so a run killed in between is finished by the next.
    """

    agent_id: str
    branch: str
    branch_id: str
    main_branch_id: str
    # The main payload the branch carries (recordable, as `AgentEntry.payload`): main's record after the promote.
    payload: dict[str, Any] = Field(default_factory=dict)
    started_at: int
    steps: list[RolloutStep] = Field(default_factory=list)
    status: Literal["in_progress", "promoted", "aborted"] = "in_progress"
    pending: Literal["step", "promote", "abort"] | None = None
    pending_percent: float | None = None
    # The environment's `rollout:` policy when it started (thresholds, interval), the steps still to take
    # (percent), and the pull request to comment on.
    policy: RolloutPolicy | None = None
    next_steps: list[float] = Field(default_factory=list)
    pull_request: int | None = None
    decision: str | None = None
    finished_at: int | None = None


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
    # Per live id: tools adopted through `id:`, which the record does not own (`tools` does not list them).
    adopted_tools: dict[str, AdoptedToolEntry] = Field(default_factory=dict)
    pending: list[PendingIntent] = Field(default_factory=list)
    # Branch name -> agent key -> entry.
    branches: dict[str, dict[str, BranchEntry]] = Field(default_factory=dict)
    deploy: DeployRecord = Field(default_factory=DeployRecord)
    # Agent key -> its latest rollout (in progress or finished).
    rollouts: dict[str, RolloutEntry] = Field(default_factory=dict)
    # Counts the record's writes (Terraform's state serial): every write changes the text and so the document's
    # name (`record_document_name`), which tells a run under the lock whether anyone applied since its plan.
    serial: int = 0
    # Workspace secrets we created, per live id (their names carry the marker; this lists them for prune).
    secrets: dict[str, ResourceEntry] = Field(default_factory=dict)
    # Secret values are never stored: payloads carry `$secret:<digest>` tokens, and every secret ever applied is
    # remembered by fingerprint (-> its length), so its old value is still masked after a rotation (decision 0090).
    secret_salt: str = ""
    secret_fingerprints: dict[str, int] = Field(default_factory=dict)
    # The secret values of this run: what the tokens are made from on writing, never written themselves.
    _secrets: frozenset[str] = PrivateAttr(default=frozenset())

    def use_secrets(self, values: Iterable[str]) -> None:
        """The secret values of this run: tokenised on writing and remembered by fingerprint."""
        self._secrets = frozenset(value for value in values if value and len(value) >= MIN_SECRET_LENGTH)

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


def parse_record(text: str, *, project: str, environment: str, secrets: Iterable[str] = ()) -> StateRecord:
    """The record from the document's text; an empty document is an empty record.

    Tokens of the current `secrets` are put back; tokens of secrets no longer known (rotated) stay tokens.
    """
    record = _parse_record(text, project=project, environment=environment)
    values = {digest: value for value, digest in token_digests(record.secret_salt, secrets).items()}
    entries: list[AgentEntry | AdoptedToolEntry] = [*record.agents.values(), *record.adopted_tools.values()]
    for entry in entries:
        entry.payload = detokenise(entry.payload, values, strict=False)
    record.use_secrets(secrets)
    return record


def _parse_record(text: str, *, project: str, environment: str) -> StateRecord:
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
    """The record's JSON, with the run's secret values as tokens and remembered by fingerprint."""
    if record._secrets and not record.secret_salt:
        record.secret_salt = random_secrets.token_hex(16)
    salt = record.secret_salt
    record.secret_fingerprints.update({fingerprint(salt, value): len(value) for value in record._secrets})
    document = record.model_dump(mode="json")
    digests = token_digests(salt, record._secrets)
    for entry in [*document["agents"].values(), *document["adopted_tools"].values()]:
        entry["payload"] = tokenise(entry["payload"], digests)
    # Sorted and compact: the record is rewritten often and read on every plan.
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
