"""Removing the twins a retried create can leave behind.

The client retries a POST whose answer was lost (docs/decisions/0030), and the API has no idempotency key, so a
create that succeeded before its connection dropped is made twice. Only the id of the last attempt comes back.
After the create stages, one list call per kind finds resources of a created key that did not exist before this
apply and are not the one we were given: they are ours (same marker, made in the last seconds under our lock) and
are deleted (docs/decisions/0053). Tools carry no marker: an unrecorded tool that appeared during this apply and
holds the created tool's config is the twin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentform.apply.journal import JournalEntry
from agentform.model import Desired
from agentform.plan import identity
from agentform.plan.read import Workspace, contains

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


async def remove_retry_duplicates(
    client: ElevenLabsClient,
    desired: Desired,
    workspace: Workspace,
    created: dict[str, str],
    log: Callable[[JournalEntry], Any],
    names: dict[str, str] | None = None,
) -> list[str]:
    """Delete the twins of the resources in `created` (address -> the id we got back); their ids.

    `names` (address -> live name sent) identifies documents and tests by their content-addressed names.
    """
    names = names or {}
    live = workspace.live
    known = (
        {a.id for a in live.agents}
        | {d.id for d in live.documents}
        | {t.id for t in live.tests}
        | {t.id for t in live.tools}
        | set(workspace.record.tools)
        | workspace.tool_ids_seen
        | {workspace.documents_folder_id, workspace.tests_folder_id}
    )
    ours = set(created.values())
    removed: list[str] = []

    async def drop(kind: str, address: str, live_id: str) -> None:
        operation = {"agent": "delete_agent", "document": "delete_document", "tool": "delete_tool"}.get(
            kind, "delete_test"
        )
        try:
            await getattr(client, operation)(live_id)
        except Exception as error:
            if getattr(error, "status", None) != 404:
                raise
        removed.append(live_id)
        log(JournalEntry(step=0, address=address, action="dedupe", operation=operation, outcome="ok", live_id=live_id))

    project, env = live.project, live.environment
    by_kind: dict[str, dict[str, str]] = {}
    for address, live_id in created.items():
        kind, _, key = address.partition(".")
        by_kind.setdefault(kind, {})[key] = live_id

    if "agent" in by_kind:
        for item in await client.list_agents(tags=[identity.owner_tag(project, env)]):
            tagged = identity.key_from_tags(item.get("tags") or [])
            if tagged in by_kind["agent"] and item["agent_id"] not in known | ours:
                await drop("agent", f"agent.{tagged}", item["agent_id"])
    if "document" in by_kind and (folder := await _folder_id(client, workspace, created, "documents")):
        wanted = {names[f"document.{key}"]: key for key in by_kind["document"] if f"document.{key}" in names}
        for item in await client.list_documents(parent_folder_id=folder):
            if item.get("name") in wanted and item["id"] not in known | ours:
                await drop("document", f"document.{wanted[item['name']]}", item["id"])
    if "test" in by_kind and (folder := await _folder_id(client, workspace, created, "tests")):
        wanted = {names[f"test.{key}"]: key for key in by_kind["test"] if f"test.{key}" in names}
        for item in await client.list_tests(parent_folder_id=folder):
            if item.get("name") in wanted and item["id"] not in known | ours:
                await drop("test", f"test.{wanted[item['name']]}", item["id"])
    if "tool" in by_kind:
        for item in await client.list_tools():
            if item["id"] in known | ours:
                continue
            for key in by_kind["tool"]:
                if key in desired.tools and contains(item.get("tool_config") or {}, desired.tools[key].tool_config):
                    await drop("tool", f"tool.{key}", item["id"])
                    break
    return removed


async def _folder_id(client: ElevenLabsClient, workspace: Workspace, created: dict[str, str], which: str) -> str | None:
    if which == "documents":
        return created.get("folder.documents") or workspace.documents_folder_id
    return created.get("folder.tests") or workspace.tests_folder_id
