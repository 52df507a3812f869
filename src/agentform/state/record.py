"""The state record, kept in the workspace itself (the environment lock beside it is in `state/lock.py`).

CI runners are stateless, so nothing needed for correctness may live only on disk. The record is a KB text document
`agentform-state <hash>` inside the managed folder `agentform.<project>.<env>` (see docs/decisions/0040, 0111); its
JSON format is `state/model.py`. Names that the planner's identity parser does not recognise are unmanaged
documents, so it is never planned, diffed or garbage-collected.

All I/O goes through the client interface of docs/decisions/0001.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
from typing import TYPE_CHECKING, Any

from agentform.model import Desired
from agentform.plan import identity
from agentform.state.folder import ensure_folder, oldest
from agentform.state.lock import delete_quietly
from agentform.state.model import STATE_DOCUMENT_NAME, StateRecord, dump_record, parse_record

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

_RECORD_NAME = re.compile(rf"^{re.escape(STATE_DOCUMENT_NAME)} [0-9a-f]{{12}}$")
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


async def save_record(client: ElevenLabsClient, desired: Desired, workspace: Any) -> Any:
    """Write `workspace.record` back to the state record (creating the folder and document when missing); the
    workspace with where the record now lives."""
    folder_id = workspace.documents_folder_id or await ensure_folder(
        client, identity.folder_name(desired.settings.project, desired.environment.name)
    )
    store = RecordStore(client, folder_id, workspace.record, workspace.record_document_id)
    await store.save()
    return dataclasses.replace(workspace, record_document_id=store.document_id, documents_folder_id=folder_id)
