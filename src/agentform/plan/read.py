"""Reading the live workspace: list calls first, then only the detail reads a plan needs.

Pass 1 sends list calls only, all at once: agents carrying the ownership tag, the managed KB folder's documents
(which also hold the state record and the lock documents), every tool, the managed test folder. Pass 2 reads
details where the list cannot answer (docs/decisions/0050):

- an agent's full config only when its list `updated_at_unix_secs` differs from the one the state record saw after
  our last write (or the record cannot vouch for it: no entry, or not verified). Otherwise the record's last-applied
  payload *is* the live config, so a no-op plan over N agents costs about N/100 list pages;
- the text of the live version of a text document whose desired content differs (for the line diff), the body
  of the live version of a test whose desired version does not exist yet, the content of a desired version whose
  list timestamp moved since our last write (drift, docs/decisions/0058), and the dependents (agents and
  branches) of each document or tool version a plan would delete, as `planner.needed_reads` asks: the planner's
  own rules, so that what is read is exactly what the plan shows;
- branch tips for `--branch`.

The agents' rule stays here (`agents_needing_detail`): it decides what the live config *is* (a GET, or the record's
last-applied payload that an unchanged timestamp vouches for); no diff depends on it.

Everything goes through the client, whose semaphore bounds the concurrency of `asyncio.gather`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from agentform.model import Desired
from agentform.plan import identity
from agentform.plan.live import (
    DependentBranch,
    LiveAgent,
    LiveBranch,
    LiveDocument,
    LiveSecret,
    LiveState,
    LiveTest,
    LiveTool,
)
from agentform.plan.secrets import recorded_secrets
from agentform.state.folder import oldest
from agentform.state.model import StateRecord, parse_record
from agentform.state.record import find_record_document, is_record_document

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

T = TypeVar("T")
Item = TypeVar("Item", LiveAgent, LiveDocument, LiveTest, LiveTool)


@dataclass(frozen=True)
class Workspace:
    """What apply needs beyond the planner's `LiveState`: the full state record and where it lives."""

    live: LiveState
    record: StateRecord
    record_document_id: str | None
    documents_folder_id: str | None
    tests_folder_id: str | None
    # Tools found through a pending create intent (a crash between create and record): id -> key. Apply records
    # them as ours; without this they would be orphans and the next apply would create duplicates.
    recovered_tools: dict[str, str]
    # Every tool id in the workspace when it was read, ours or not: a tool that appears later was made since.
    tool_ids_seen: frozenset[str] = frozenset()
    # (id, name) of every state record document in the workspace, of any environment, when it was read: a first
    # apply, which has no record of its own to compare, compares these (docs/decisions/0114).
    records_seen: frozenset[tuple[str, str]] | None = None


async def read_workspace(
    client: ElevenLabsClient,
    desired: Desired,
    *,
    branch: str | None = None,
    refresh_all: bool = False,
    prune: bool | None = None,
) -> Workspace:
    """The live state of `desired`'s (project, environment) scope, as the planner needs it, and the full state
    record (for apply).

    `prune` is the setting of the plan this read is for: the dependents of the versions that plan would delete are
    read too. None (a read that no plan's deletes depend on: a freshness check, tests, garbage collection): not.
    """
    project, env = desired.settings.project, desired.environment.name
    name = identity.folder_name(project, env)
    # Each chain starts as soon as what it needs arrives, so the slowest chain (the managed folder: search, then
    # its pages) sets the time, not the sum of rounds. The record is found by name across the workspace (a prefix
    # search) so that its content is read beside the folder listing rather than after it. A list longer than a page
    # is read from both ends at once, which the client decides from the length we expect (docs/decisions/0055).
    # One prefix search finds the managed folder and the state record documents (named `agentform-state ...`).
    by_name = asyncio.ensure_future(client.list_documents(types=["folder", "text"], search="agentform"))
    kb_search = asyncio.ensure_future(_folder(_folders_of(by_name), name))

    async def documents() -> list[dict[str, Any]]:
        folder_id = await kb_search
        # The folder also holds the state record.
        expected = len(desired.documents) + 1
        return await client.list_documents(parent_folder_id=folder_id, expected=expected) if folder_id else []

    async def tests() -> tuple[str | None, list[dict[str, Any]]]:
        folder_id = await _folder(client.list_tests(types=["folder"]), name)
        return folder_id, (await client.list_tests(parent_folder_id=folder_id) if folder_id else [])

    async def state_record() -> tuple[dict[str, Any] | None, StateRecord]:
        items = await by_name
        folder_id = await kb_search
        found = find_record_document(
            [item for item in items if folder_id and identity.parent_folder(item) == folder_id]
        )
        text = await client.get_document_content(found["id"]) if found else ""
        record = parse_record(text, project=project, environment=env, secrets=desired.secret_values)
        # The client's redactor masks every error and report of this run: it must know the secrets applied before.
        redactor = getattr(client, "redactor", None)
        if redactor is not None and record.secret_fingerprints:
            redactor.remember(record.secret_salt, record.secret_fingerprints)
        return found, record

    # Parsed as soon as it arrives, and the tools judged against it, while the folder's last pages are on the way.
    record_read = asyncio.ensure_future(state_record())

    async def tools_of_scope() -> tuple[list[dict[str, Any]], dict[str, str], StateRecord]:
        items = await client.list_tools()
        _, record = await record_read
        recovered = recover_pending_tools(desired, record, items)
        # The planner's record also owns the tools recovered from an interrupted create.
        owned = record.with_tools(
            {tool_id: (key, desired.tools[key].content_hash()) for tool_id, key in recovered.items()}
        )
        return items, recovered, owned

    tools_read = asyncio.ensure_future(tools_of_scope())

    async def secrets_of_scope() -> list[LiveSecret]:
        # Only projects that have (or had) workspace secrets pay for the list, and only when the record cannot vouch
        # for every secret (docs/decisions/0112).
        _, record = await record_read
        if not desired.workspace_secrets and not record.secrets:
            return []
        tool_items, _, _ = await tools_read
        recorded = recorded_secrets(desired, record, tool_items)
        if recorded is not None:
            return recorded
        items = await client.list_secrets()
        return identity.live_secrets_from_items(items, project, env)

    async def agents_of_scope() -> tuple[list[LiveAgent], list[LiveAgent]]:
        tags = [identity.owner_tag(project, env)]
        items = await client.list_agents(tags=tags, expected=len(desired.agents))
        _, record = await record_read
        return await _agents(client, desired, items, project, env, record)

    try:
        (
            (agents, duplicate_agents),
            (tool_items, recovered, owned),
            folder_items,
            (test_folder_id, test_items),
            (record_document, record),
            live_secrets,
        ) = await asyncio.gather(agents_of_scope(), tools_read, documents(), tests(), record_read, secrets_of_scope())
    finally:
        by_name.cancel()
        kb_search.cancel()
        record_read.cancel()
        tools_read.cancel()
    kb_folder_id = kb_search.result()
    adopted_tools = {tool.id: key for key, tool in desired.tools.items() if tool.id}
    live = LiveState(
        project=project,
        environment=env,
        documents_folder_id=kb_folder_id,
        tests_folder_id=test_folder_id,
        agents=agents,
        documents=_documents(folder_items, kb_folder_id, record),
        tools=identity.live_tools_from_items(tool_items, owned, adopted_tools),
        tests=[test for item in test_items if (test := identity.live_test_from_item(item, test_folder_id))],
        secrets=live_secrets,
        duplicate_agents=duplicate_agents,
        record=owned if record_document is not None or recovered else None,
        record_id=str(record_document["id"]) if record_document else None,
        record_updated_at=((record_document or {}).get("metadata") or {}).get("last_updated_at_unix_secs"),
        record_name=(record_document or {}).get("name"),
    )
    live = await _detail_reads(client, desired, live, record, branch=branch, refresh_all=refresh_all, prune=prune)
    return Workspace(
        live=live,
        record=record,
        record_document_id=live.record_id,
        documents_folder_id=kb_folder_id,
        tests_folder_id=test_folder_id,
        recovered_tools=recovered,
        tool_ids_seen=frozenset(str(item["id"]) for item in tool_items),
        records_seen=record_documents(by_name.result()),
    )


def record_documents(listing: Iterable[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    """(id, name) of the state record documents in a listing, whichever folder and environment they belong to."""
    return frozenset((str(item["id"]), str(item.get("name"))) for item in listing if is_record_document(item))


def _documents(items: list[dict[str, Any]], folder_id: str | None, record: StateRecord) -> list[LiveDocument]:
    """The managed folder's document versions: by their name's marker, or by the record (renamed in the dashboard)."""
    recorded = {doc_id: (entry.key, entry.hash) for doc_id, entry in record.documents.items()}
    return [
        document
        for item in items
        if (document := identity.live_document_from_item(item, folder_id, recorded.get(str(item.get("id")))))
    ]


async def _value(value: T) -> T:
    return value


async def _folders_of(listing: Awaitable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [item for item in await listing if item.get("type", "folder") == "folder"]


async def _folder(listing: Awaitable[list[dict[str, Any]]], name: str) -> str | None:
    """The id of the canonical folder called `name` in a listing, or None."""
    folder = oldest([item for item in await listing if item.get("name") == name])
    return str(folder["id"]) if folder else None


async def _agents(
    client: ElevenLabsClient,
    desired: Desired,
    items: list[dict[str, Any]],
    project: str,
    env: str,
    record: StateRecord,
) -> tuple[list[LiveAgent], list[LiveAgent]]:
    """Tagged agents, plus agents adopted by `id:` in a file that do not carry our tags yet; and the duplicates.

    Two agents with one key (a copy made in the dashboard keeps the tags; a tool that retried a create) are never
    ignored: the one the record names is ours (else the oldest), and the others are returned for the planner to
    report or, under prune, delete.
    """
    created = {str(item.get("agent_id")): identity.created_at(item) for item in items}
    agents = [agent for item in items if (agent := identity.live_agent_from_item(item, project, env))]
    by_key: dict[str, LiveAgent] = {}
    duplicates: list[LiveAgent] = []

    def rank(agent: LiveAgent) -> tuple[bool, int, str]:
        entry = record.agents.get(agent.key)
        return (entry is None or entry.id != agent.id, created.get(agent.id, 0), agent.id)

    for agent in sorted(agents, key=rank):
        if agent.key in by_key:
            duplicates.append(agent)
        else:
            by_key[agent.key] = agent
    known = {agent.id for agent in by_key.values()}
    wanted = [(key, agent.id) for key, agent in desired.agents.items() if agent.id and agent.id not in known]
    fetched = await asyncio.gather(*(client.get_agent(agent_id) for _, agent_id in wanted))
    for (key, _), payload in zip(wanted, fetched, strict=True):
        adopted = identity.live_agent_from_item(payload, project, env, adopted_key=key)
        if adopted is not None:
            by_key[key] = adopted.model_copy(update=_agent_facts(payload))
    return list(by_key.values()), duplicates


def _agent_facts(payload: dict[str, Any]) -> dict[str, Any]:
    metadata = payload.get("metadata") or {}
    return {
        "payload": payload,
        "version_id": payload.get("version_id"),
        "branch_id": payload.get("branch_id"),
        "main_branch_id": payload.get("main_branch_id"),
        "updated_at": metadata.get("updated_at_unix_secs"),
    }


def agents_needing_detail(agents: Iterable[LiveAgent], record: StateRecord, *, refresh_all: bool) -> list[LiveAgent]:
    """Agents whose list entry cannot vouch for the record's last-applied payload (docs/decisions/0050)."""
    needed = []
    for agent in agents:
        if agent.payload is not None:
            continue
        entry = record.agents.get(agent.key)
        # A created agent is vouched for by its creation time, a written one by the timestamp recorded after it.
        baseline = None if entry is None else entry.updated_at if entry.updated_at is not None else agent.created_at
        trusted = (
            entry is not None
            and entry.id == agent.id
            and entry.verified
            and agent.updated_at is not None
            and baseline == agent.updated_at
        )
        if refresh_all or not trusted:
            needed.append(agent)
    return needed


async def _detail_reads(
    client: ElevenLabsClient,
    desired: Desired,
    live: LiveState,
    record: StateRecord,
    *,
    branch: str | None,
    refresh_all: bool,
    prune: bool | None,
) -> LiveState:
    from agentform.plan.planner import needed_reads  # the planner knows which versions a plan shows or deletes

    agents = agents_needing_detail(live.agents, record, refresh_all=refresh_all)
    wanted = needed_reads(desired, live, prune=prune, branch=branch)
    documents = [document for document in live.documents if document.id in wanted.document_texts]
    tests = [test for test in live.tests if test.id in wanted.test_bodies]
    doomed_documents = sorted(wanted.document_dependents)
    doomed_tools = sorted(wanted.tool_dependents)
    test_owners = [agent for agent in live.agents if agent.id in wanted.test_agents]
    # Seven awaitables are more than asyncio.gather's typed overloads spell out.
    answers: list[Any] = await asyncio.gather(
        _gather(client.get_agent(agent.id) for agent in agents),
        _gather(client.get_document_content(document.id) for document in documents),
        _gather(client.get_test(test.id) for test in tests),
        _gather(_branch_tip(client, agent, branch) for agent in live.agents) if branch else _value([]),
        _gather(client.document_dependent_agents(document_id) for document_id in doomed_documents),
        _gather(client.tool_dependent_agents(tool_id) for tool_id in doomed_tools),
        test_attachments(client, test_owners) if test_owners else _value({}),
    )
    agent_payloads, texts, bodies, branches, document_users, tool_users, attached = answers
    agent_updates = {agent.id: _agent_facts(payload) for agent, payload in zip(agents, agent_payloads, strict=True)}
    if branch:
        for agent, tip in zip(live.agents, branches, strict=True):
            agent_updates.setdefault(agent.id, {})["branch"] = tip
    document_updates = {document.id: {"text": text} for document, text in zip(documents, texts, strict=True)}
    for document_id, answer in zip(doomed_documents, document_users, strict=True):
        document_updates.setdefault(document_id, {}).update(identity.dependents_from_answer(answer))
    users_of = {
        tool_id: identity.dependents_from_answer(answer)
        for tool_id, answer in zip(doomed_tools, tool_users, strict=True)
    }
    test_updates = {test.id: {"body": body} for test, body in zip(tests, bodies, strict=True)}
    owners = {agent.key for agent in test_owners}
    for test in live.tests:
        if test.address.split("/", 1)[0] in owners:
            test_updates.setdefault(test.id, {})["branches"] = attached.get(test.id, [])
    return live.model_copy(
        update={
            "agents": _updated(live.agents, agent_updates),
            "documents": _updated(live.documents, document_updates),
            "tests": _updated(live.tests, test_updates),
            "tools": _updated(live.tools, users_of),
        }
    )


def _updated(items: list[Item], updates: dict[str, dict[str, Any]]) -> list[Item]:
    """`items` with the fields of `updates` (by id) set: copies only where something was read."""
    return [item.model_copy(update=updates[item.id]) if item.id in updates else item for item in items]


async def _gather(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*awaitables))


async def _branch_tip(client: ElevenLabsClient, agent: LiveAgent, name: str) -> LiveBranch | None:
    found = find_branch(await client.list_branches(agent.id), name)
    if found is None:
        return None
    payload = await client.get_agent(agent.id, branch_id=found["id"])
    return LiveBranch(id=found["id"], name=name, version_id=payload.get("version_id"), payload=payload)


async def test_attachments(client: ElevenLabsClient, agents: Iterable[LiveAgent]) -> dict[str, list[DependentBranch]]:
    """Test id -> the unarchived branches of `agents` (main included) whose tip attaches it.

    A test has no dependents endpoint: every unarchived branch tip of its agent is read (a branch list, then a GET
    per branch), which is why only agents with a test version to delete are asked.
    """
    agents = list(agents)
    branch_lists = await asyncio.gather(*(client.list_branches(agent.id) for agent in agents))
    reads = [
        (agent, branch)
        for agent, branches in zip(agents, branch_lists, strict=True)
        for branch in branches
        if not branch.get("is_archived")
    ]
    tips = await asyncio.gather(*(client.get_agent(agent.id, branch_id=branch["id"]) for agent, branch in reads))
    found: dict[str, list[DependentBranch]] = {}
    for (agent, branch), tip in zip(reads, tips, strict=True):
        row = DependentBranch(
            agent_id=agent.id,
            agent_name=agent.name,
            branch_id=str(branch["id"]),
            branch_name=branch.get("name") or "",
            is_main=str(branch["id"]) == tip.get("main_branch_id"),
        )
        testing = (tip.get("platform_settings") or {}).get("testing") or {}
        for item in testing.get("attached_tests") or []:
            found.setdefault(str(item.get("test_id")), []).append(row)
    return found


def find_branch(branches: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The unarchived branch called `name` (branch names are unique per agent)."""
    return next((b for b in branches if b.get("name") == name and not b.get("is_archived")), None)


# --- crash recovery of tool creates -----------------------------------------------------------------------------


def recover_pending_tools(desired: Desired, record: StateRecord, tool_items: list[dict[str, Any]]) -> dict[str, str]:
    """Tools created by an apply that died before recording them: id -> key.

    A pending intent names the key and content hash of a tool we were about to create. A live tool that no record
    owns and whose config carries every field the desired tool sets (the server adds defaults) is that create's
    result. At most one tool per intent is taken, the oldest id first, so a hand-made twin is never claimed twice.
    """
    owned = set(record.tools)
    recovered: dict[str, str] = {}
    for intent in record.pending:
        tool = desired.tools.get(intent.key)
        if tool is None or tool.content_hash() != intent.hash:
            continue
        for item in sorted(tool_items, key=lambda item: str(item.get("id"))):
            tool_id = str(item.get("id"))
            if tool_id in owned or tool_id in recovered:
                continue
            if contains(item.get("tool_config") or {}, tool.tool_config):
                recovered[tool_id] = intent.key
                break
    return recovered


def contains(live: Any, wanted: Any) -> bool:
    """True when every value `wanted` sets is in `live` (numbers compared by value: 1 == 1.0)."""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(k in live and contains(live[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (
            isinstance(live, list)
            and len(live) == len(wanted)
            and all(contains(a, b) for a, b in zip(live, wanted, strict=True))
        )
    return live == wanted
