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
import hashlib
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentform.model import Desired
from agentform.plan import identity
from agentform.state import view
from agentform.state.folder import ensure_folder, oldest
from agentform.state.lock import delete_quietly

STATE_DOCUMENT_NAME = identity.STATE_DOCUMENT_NAME
_RECORD_NAME = re.compile(rf"^{re.escape(STATE_DOCUMENT_NAME)} [0-9a-f]{{12}}$")
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
            documents={doc_id: entry.updated_at for doc_id, entry in self.documents.items() if entry.verified},
            tests={test_id: entry.updated_at for test_id, entry in self.tests.items() if entry.verified},
            pending=[
                view.PendingCreate(address=f"{p.kind}.{p.key}", hash=p.hash, created_at=int(p.started_at))
                for p in self.pending
            ],
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


def record_document_name(text: str) -> str:
    """`agentform-state <hash of the text>`: the name says which record the document holds (docs/decisions/0110)."""
    return f"{STATE_DOCUMENT_NAME} {hashlib.sha256(text.encode()).hexdigest()[:12]}"


def is_record_document(document: dict[str, Any]) -> bool:
    """The state record's document, named by `record_document_name` (or plainly, as before it was)."""
    name = str(document.get("name") or "")
    return name == STATE_DOCUMENT_NAME or _RECORD_NAME.match(name) is not None


def find_record_document(documents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Among the managed folder's documents, the state record (the oldest, should a race have made two)."""
    return oldest([doc for doc in documents if is_record_document(doc)])


def record_unchanged(
    listing: list[dict[str, Any]], folder_id: str | None, record_id: str | None, name: str | None
) -> bool:
    """Whether `listing` (documents of any folders) shows the managed folder's record as a plan saw it: the same
    document under the same name, so with the same text. False when the plan saw no record (nothing to compare)."""
    if folder_id is None or record_id is None or name is None:
        return False
    found = find_record_document([doc for doc in listing if identity.parent_folder(doc) == folder_id])
    return found is not None and str(found["id"]) == record_id and found.get("name") == name


async def read_record(
    client: Any, folder_documents: list[dict[str, Any]], *, project: str, environment: str
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

    def __init__(self, client: Any, folder_id: str, record: StateRecord, document_id: str | None) -> None:
        self.client = client
        self.folder_id = folder_id
        self.record = record
        self.document_id = document_id
        self.writes = 0
        self._lock = asyncio.Lock()

    async def save(self) -> None:
        async with self._lock:
            self.record.serial += 1
            text = dump_record(self.record)
            name = record_document_name(text)
            if self.document_id is None:
                created = await self.client.create_text_document(text=text, name=name, parent_folder_id=self.folder_id)
                self.document_id = await self._settle_on_one(str(created["id"]), text)
            else:
                await self.client.update_document(self.document_id, name=name, content=text)
            self.writes += 1

    async def _settle_on_one(self, ours: str, text: str) -> str:
        """After creating the record: the canonical (oldest) record document, with any twin removed.

        A create retried after a lost answer leaves two records; readers take the oldest, so it must hold our text.
        """
        twins = [d for d in await self.client.list_documents(parent_folder_id=self.folder_id) if is_record_document(d)]
        canonical = oldest(twins)
        keep = str(canonical["id"]) if canonical else ours
        if keep != ours:
            await self.client.update_document(keep, name=record_document_name(text), content=text)
            self.writes += 1
        for twin in twins:
            if str(twin["id"]) != keep:
                await delete_quietly(self.client, str(twin["id"]))
        return keep


async def save_record(client: Any, desired: Desired, workspace: Any) -> Any:
    """Write `workspace.record` back to the state record (creating the folder and document when missing); the
    workspace with where the record now lives."""
    folder_id = workspace.documents_folder_id or await ensure_folder(
        client, identity.folder_name(desired.settings.project, desired.environment.name)
    )
    store = RecordStore(client, folder_id, workspace.record, workspace.record_document_id)
    await store.save()
    return dataclasses.replace(workspace, record_document_id=store.document_id, documents_folder_id=folder_id)
