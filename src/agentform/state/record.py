"""The state record, kept in the workspace itself (the environment lock beside it is in `state/lock.py`).

CI runners are stateless, so nothing needed for correctness may live only on disk. Both objects are KB text
documents inside the managed folder `agentform.<project>.<env>` (see docs/decisions/0040):

- `agentform-state`: JSON (`StateRecord`). It is the ownership ledger of tools (they have no marker slot), the
  last-applied payloads for 3-way drift detection, the live `updated_at` seen after our own writes (so a no-op plan
  skips detail reads), pending create intents (a crash between a tool create and the record write is recovered by
  finding the tool by config hash) and what was applied to each agent branch.
- `agentform-lock.<env>`: one document per contender; the oldest unexpired one holds the lock
  (docs/decisions/0051). Names that the planner's identity parser does not recognise are unmanaged documents, so
  neither is ever planned, diffed or garbage-collected.

All I/O goes through the client interface of docs/decisions/0001; the parsing is pure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentform.model import Desired, RolloutPolicy
from agentform.plan import identity
from agentform.state import view
from agentform.state.folder import ensure_folder, oldest
from agentform.state.lock import delete_quietly

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

STATE_DOCUMENT_NAME = identity.STATE_DOCUMENT_NAME
SCHEMA_VERSION = 1


class StateError(Exception):
    """The state record exists but cannot be used (unknown schema, unreadable JSON)."""


# --- The record -------------------------------------------------------------------------------------------------


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
    # True once a read after the server's clock left `updated_at`'s second still saw our `version_id`: only then
    # does an unchanged list timestamp prove that nobody edited the agent (edits within one second share it).
    verified: bool = False


class ResourceEntry(_Record):
    """A document, tool or test version we created (content-addressed: one entry per live id)."""

    id: str
    key: str
    hash: str
    updated_at: int | None = None


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
    pending: list[PendingIntent] = Field(default_factory=list)
    # Branch name -> agent key -> entry.
    branches: dict[str, dict[str, BranchEntry]] = Field(default_factory=dict)
    deploy: DeployRecord = Field(default_factory=DeployRecord)
    # Agent key -> its latest rollout (in progress or finished).
    rollouts: dict[str, RolloutEntry] = Field(default_factory=dict)

    @classmethod
    def empty(cls, project: str, environment: str) -> StateRecord:
        return cls(project=project, environment=environment)

    def view(self, extra_tools: dict[str, tuple[str, str]] | None = None) -> view.StateRecord:
        """What the planner needs from the record (`state/view.py`); `extra_tools`: id -> (key, hash) to own too."""
        owned = {tool_id: (entry.key, entry.hash) for tool_id, entry in self.tools.items()} | (extra_tools or {})
        tools: dict[str, list[view.RecordedTool]] = {}
        for tool_id, (key, content_hash) in sorted(owned.items()):
            tools.setdefault(key, []).append(view.RecordedTool(id=tool_id, hash=content_hash))
        return view.StateRecord(
            tools=tools,
            agents={
                key: view.RecordedAgent(
                    id=entry.id,
                    payload_hash=entry.payload_hash,
                    payload=entry.payload,
                    updated_at=entry.updated_at,
                    version_id=entry.version_id,
                )
                for key, entry in self.agents.items()
            },
            documents={doc_id: entry.updated_at for doc_id, entry in self.documents.items()},
            tests={test_id: entry.updated_at for test_id, entry in self.tests.items()},
            pending=[
                view.PendingCreate(address=f"{p.kind}.{p.key}", hash=p.hash, created_at=int(p.started_at))
                for p in self.pending
            ],
            rollback_references=frozenset(self.deploy.protected_ids()),
        )


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


# --- The record document ---------------------------------------------------------------------------------------


def find_record_document(documents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Among the managed folder's documents, the state record (the oldest, should a race have made two)."""
    return oldest([doc for doc in documents if doc.get("name") == STATE_DOCUMENT_NAME])


async def read_record(
    client: ElevenLabsClient, folder_documents: list[dict[str, Any]], *, project: str, environment: str
) -> tuple[StateRecord, str | None]:
    """The record and its document id (None when there is none yet) from a listing of the managed folder."""
    document = find_record_document(folder_documents)
    if document is None:
        return StateRecord.empty(project, environment), None
    text = await client.get_document_content(document["id"])
    return parse_record(text, project=project, environment=environment), str(document["id"])


class RecordStore:
    """Writes the record back to its document, creating the document on the first write.

    Writes are serialised (apply stages run in parallel and each step updates the record) and each one sends the
    whole record: the API has no partial update of a document's content.
    """

    def __init__(self, client: ElevenLabsClient, folder_id: str, record: StateRecord, document_id: str | None) -> None:
        self.client = client
        self.folder_id = folder_id
        self.record = record
        self.document_id = document_id
        self.writes = 0
        self._lock = asyncio.Lock()

    async def save(self) -> None:
        async with self._lock:
            text = dump_record(self.record)
            if self.document_id is None:
                created = await self.client.create_text_document(
                    text=text, name=STATE_DOCUMENT_NAME, parent_folder_id=self.folder_id
                )
                self.document_id = await self._settle_on_one(str(created["id"]), text)
            else:
                await self.client.update_document(self.document_id, content=text)
            self.writes += 1

    async def _settle_on_one(self, ours: str, text: str) -> str:
        """After creating the record: the canonical (oldest) record document, with any twin removed.

        A create retried after a lost answer leaves two records; readers take the oldest, so it must hold our text.
        """
        twins = [d for d in await self.client.list_documents(parent_folder_id=self.folder_id) if _is_record(d)]
        canonical = oldest(twins)
        keep = str(canonical["id"]) if canonical else ours
        if keep != ours:
            await self.client.update_document(keep, content=text)
            self.writes += 1
        for twin in twins:
            if str(twin["id"]) != keep:
                await delete_quietly(self.client, str(twin["id"]))
        return keep


def _is_record(document: dict[str, Any]) -> bool:
    return document.get("name") == STATE_DOCUMENT_NAME


async def save_record(client: ElevenLabsClient, desired: Desired, workspace: Any) -> Any:
    """Write `workspace.record` back to the state record (creating the folder and document when missing); the
    workspace with where the record now lives."""
    folder_id = workspace.documents_folder_id or await ensure_folder(
        client, identity.folder_name(desired.settings.project, desired.environment.name)
    )
    store = RecordStore(client, folder_id, workspace.record, workspace.record_document_id)
    await store.save()
    return dataclasses.replace(workspace, record_document_id=store.document_id, documents_folder_id=folder_id)
