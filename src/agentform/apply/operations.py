"""One API operation per plan change: which client method a (kind, action) calls, with which arguments.

Pure dispatch over the client interface of docs/decisions/0001; the executor decides order, records and journals.
Every function returns the live id it produced or touched and the response (for the state record).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentform.model import Desired, content_hash
from agentform.plan.model import ResourceChange

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


class ApplyError(Exception):
    """A plan change cannot be carried out as planned (not an API failure: those are `ApiError`s)."""


@dataclass(frozen=True)
class Outcome:
    live_id: str
    # The API's answer when it carries facts the record keeps (an agent's `version_id`, `metadata`).
    response: dict[str, Any] | None = None
    operation: str = ""


def version_description(desired: Desired, change: ResourceChange) -> str:
    """The label of the agent version a write creates: which commit it came from, when known."""
    revision = desired.settings.source_revision
    source = f"commit {revision}" if revision else "the working tree"
    return f"agentform apply: {change.address} from {source}"


async def create(
    client: ElevenLabsClient, change: ResourceChange, payload: dict[str, Any], desired: Desired
) -> Outcome:
    # No plan creates a folder: the managed folders are `$ref:folder.*` placeholders that apply resolves itself
    # (`state/folder.py`), under the lock.
    kind = change.kind
    if kind == "document":
        return await _create_document(client, change, payload, desired)
    if kind == "tool":
        created = await client.create_tool(payload["tool_config"], payload.get("response_mocks"))
        return Outcome(str(created["id"]), created, "create_tool")
    if kind == "test":
        return Outcome(str(await client.create_test(payload)), None, "create_test")
    if kind == "agent":
        return Outcome(str(await client.create_agent(without_nulls(payload))), None, "create_agent")
    if kind == "secret":
        created = await client.create_secret(payload["name"], payload["value"])
        return Outcome(str(created["secret_id"]), None, "create_secret")
    raise ApplyError(f"{change.address}: cannot create a {kind}")


async def _create_document(
    client: ElevenLabsClient, change: ResourceChange, payload: dict[str, Any], desired: Desired
) -> Outcome:
    kind = payload.get("type")
    name, folder = payload["name"], payload.get("parent_folder_id")
    if kind == "text":
        created = await client.create_text_document(text=payload.get("text", ""), name=name, parent_folder_id=folder)
        return Outcome(str(created["id"]), created, "create_text_document")
    if kind == "url":
        settings = {k: v for k, v in payload.items() if k not in ("type", "name", "parent_folder_id", "url")}
        created = await client.create_url_document(url=payload["url"], name=name, parent_folder_id=folder, **settings)
        return Outcome(str(created["id"]), created, "create_url_document")
    # File bytes are not in the (JSON) plan: take them from the files and check they are what was planned.
    document = desired.documents.get(change.key)
    if document is None or document.data is None or content_hash(document.data) != payload.get("content_hash"):
        raise ApplyError(f"{change.address}: the file changed since the plan was made; plan again")
    created = await client.create_file_document(
        filename=payload.get("filename") or document.filename or change.key,
        data=document.data,
        name=name,
        parent_folder_id=folder,
    )
    return Outcome(str(created["id"]), created, "create_file_document")


async def update(
    client: ElevenLabsClient,
    change: ResourceChange,
    payload: dict[str, Any],
    desired: Desired,
    *,
    branch_id: str | None = None,
) -> Outcome:
    live_id = _live_id(change)
    kind = change.kind
    if kind == "agent":
        body = {**payload, "version_description": version_description(desired, change)}
        answer = await client.update_agent(live_id, body, branch_id=branch_id)
        return Outcome(live_id, answer, "update_agent")
    if kind == "document":
        answer = await client.update_document(live_id, name=payload.get("name"), content=payload.get("text"))
        return Outcome(live_id, answer, "update_document")
    if kind == "tool":
        answer = await client.update_tool(live_id, payload["tool_config"], payload.get("response_mocks"))
        return Outcome(live_id, answer, "update_tool")
    if kind == "test":
        return Outcome(live_id, await client.update_test(live_id, payload), "update_test")
    if kind == "secret":
        await client.update_secret(live_id, payload["name"], payload["value"])
        return Outcome(live_id, None, "update_secret")
    raise ApplyError(f"{change.address}: cannot update a {kind}")


DELETE_OPERATIONS = {
    "agent": "delete_agent",
    "document": "delete_document",
    "tool": "delete_tool",
    "test": "delete_test",
    "secret": "delete_secret",
}


async def delete(client: ElevenLabsClient, kind: str, live_id: str) -> str:
    """Delete one live resource; already gone counts as done (a re-run after a lost response)."""
    operation = DELETE_OPERATIONS.get(kind)
    if operation is None:
        raise ApplyError(f"cannot delete a {kind}")
    try:
        await getattr(client, operation)(live_id)
    except Exception as error:
        if getattr(error, "status", None) != 404:
            raise
    return operation


def _live_id(change: ResourceChange) -> str:
    if not change.live_id:
        raise ApplyError(f"{change.address}: an {change.action} needs the live id, and the plan has none")
    return change.live_id


def without_nulls(value: Any) -> Any:
    # A create has no server default to reset to: a null there is only noise the API may reject.
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value
