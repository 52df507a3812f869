"""`make_plan(desired, live, ...) -> Plan`: matching by identity, then creates, updates, replaces and deletes.

Pure: the live side comes in as a `LiveState` (read by `plan/read.py`), nothing is read or written here.

Order of the changes is apply order: documents, tools, tests, agents (an agent references the ids of all three,
tests reference tools), then deletes in reverse (agents, tests, tools, documents). Within a group, by address.

Selection (`--select GLOB`, repeatable) picks agents by key; the documents, tools and tests they use come along.
With a selection, deletes are planned only for agents (and their tests) matching it: documents and tools are
shared, so their garbage collection needs the whole picture.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agentform.model import Desired, DesiredAgent, DesiredDocument, DesiredTest, DesiredTool
from agentform.plan import identity, payload
from agentform.plan.agents import plan_agent
from agentform.plan.diff import field_changes, text_change
from agentform.plan.live import LiveAgent, LiveDocument, LiveState, LiveTest, LiveTool
from agentform.plan.model import DriftResolution, FieldChange, Plan, ResourceChange, ref, refs_in
from agentform.plan.normalize import comparable, normalize_test, normalize_tool, same
from agentform.plan.versions import Version, Wanted, plan_garbage, plan_versioned
from agentform.redact import Redactor

DOCUMENTS_FOLDER = "folder.documents"
TESTS_FOLDER = "folder.tests"


@dataclass(frozen=True)
class Selection:
    """The desired resources a plan covers."""

    agents: tuple[str, ...]
    documents: tuple[str, ...]
    tools: tuple[str, ...]
    tests: tuple[str, ...]
    globs: tuple[str, ...] = ()

    def covers_agent(self, key: str) -> bool:
        return not self.globs or any(fnmatch.fnmatchcase(key, glob) for glob in self.globs)


@dataclass(frozen=True)
class NeededReads:
    """Detail reads the planner needs beyond the list calls (see `needed_reads`)."""

    document_texts: frozenset[str] = frozenset()
    test_bodies: frozenset[str] = frozenset()


def select(desired: Desired, globs: Sequence[str] = ()) -> Selection:
    """Agents whose key matches any glob (all without globs), plus what they use."""
    agents = sorted(key for key in desired.agents if not globs or any(fnmatch.fnmatchcase(key, g) for g in globs))
    if not globs:
        return Selection(
            tuple(agents), tuple(sorted(desired.documents)), tuple(sorted(desired.tools)), tuple(sorted(desired.tests))
        )
    tests = sorted(address for address, test in desired.tests.items() if test.agent_key in agents)
    documents = {ref.key for key in agents for ref in desired.agents[key].knowledge}
    tools = {tool for key in agents for tool in desired.agents[key].tools}
    for address in tests:
        test = desired.tests[address]
        tools |= {key for key in [test.tool_key, *test.mocked_tool_keys] if key in desired.tools}
    return Selection(tuple(agents), tuple(sorted(documents)), tuple(sorted(tools)), tuple(tests), tuple(globs))


def make_plan(
    desired: Desired,
    live: LiveState,
    *,
    prune: bool,
    select_globs: Sequence[str] = (),
    branch: str | None = None,
    on_drift: DriftResolution = "refuse",
    redactor: Redactor | None = None,
    source_revision: str | None = None,
) -> Plan:
    """The plan that turns `live` into `desired` (see the module docstring for order and selection)."""
    redactor = redactor or Redactor(desired.secret_values)
    chosen = select(desired, select_globs)
    record = live.record
    ours = {agent.id for agent in live.agents}

    documents = [_document_change(desired.documents[key], live, on_drift, redactor) for key in chosen.documents]
    tool_changes = [_tool_change(desired.tools[key], live, on_drift, redactor) for key in chosen.tools]
    tool_ids = _tool_ids(desired, live)
    tool_versions = _tool_versions(desired)
    tests = [
        _test_change(desired.tests[address], live, tool_ids, tool_versions, on_drift, redactor)
        for address in chosen.tests
    ]
    refs = payload.Refs(
        project=live.project,
        environment=live.environment,
        documents=_document_refs(desired, live),
        tools=tool_ids,
        tests=_test_ids(desired, live),
    )
    agents = [
        _agent_change(desired, desired.agents[key], live, refs, on_drift, branch, redactor) for key in chosen.agents
    ]

    deletes = _agent_deletes(desired, live, chosen, prune)
    deletes += _test_garbage(desired, live, chosen, prune, ours, branch)
    if not chosen.globs:
        deletes += _tool_garbage(desired, live, prune, ours, branch)
        deletes += _document_garbage(desired, live, prune, ours, branch)

    warnings = _warnings(desired, live, record is None)
    return Plan(
        project=live.project,
        environment=live.environment,
        branch=branch,
        source_revision=source_revision or desired.settings.source_revision,
        fingerprint=live.fingerprint(),
        prune=prune,
        select=list(select_globs),
        on_drift=on_drift,
        changes=[*documents, *tool_changes, *tests, *agents, *deletes],
        warnings=warnings,
    )


def needed_reads(desired: Desired, live: LiveState) -> NeededReads:
    """The detail reads whose content a plan shows: the newest live version of each changed text document and test.

    Test content addresses depend on the tools' content addresses, which only the planner computes; this is the
    exact set so that `plan/read.py` need not read every test body.
    """
    texts = set()
    for key, document in desired.documents.items():
        versions = live.documents_of(key)
        if document.kind == "text" and versions and all(v.hash != document.content_hash() for v in versions):
            newest = _newest(versions)
            if newest.kind == "text" and newest.text is None:
                texts.add(newest.id)
    bodies = set()
    tool_versions = _tool_versions(desired)
    for address, test in desired.tests.items():
        versions = live.tests_of(address)
        wanted = payload.test_content_hash(test, tool_versions)
        if versions and all(v.hash != wanted for v in versions) and _newest(versions).body is None:
            bodies.add(_newest(versions).id)
    return NeededReads(frozenset(texts), frozenset(bodies))


# --- documents ---------------------------------------------------------------------------------------------------


def _document_change(
    document: DesiredDocument, live: LiveState, on_drift: DriftResolution, redactor: Redactor
) -> ResourceChange:
    body = payload.document_payload(document, live.documents_folder_id or ref(DOCUMENTS_FOLDER))

    def diff(old_text: str | None) -> list[FieldChange]:
        if old_text is None or document.kind != "text":
            return []
        return [text_change("text", old_text, document.text or "", redactor=redactor)]

    wanted = Wanted(
        kind="document",
        key=document.key,
        hash=document.content_hash(),
        payload=body,
        source=document.source.path,
        prevent_destroy=document.prevent_destroy,
        diff=diff,
        repair_payload={"content": document.text} if document.kind == "text" else None,
        create_fields=_document_create_fields(document, redactor),
        depends_on=tuple(sorted(refs_in(body) - {DOCUMENTS_FOLDER})),
    )
    return plan_versioned(
        wanted, [_document_version(v, live) for v in live.documents_of(document.key)], on_drift=on_drift
    )


def _document_create_fields(document: DesiredDocument, redactor: Redactor) -> tuple[FieldChange, ...]:
    shown = {"name": document.name, "type": document.kind}
    if document.kind == "url":
        shown["url"] = document.url
    elif document.kind == "file":
        shown["filename"] = document.filename
    fields = field_changes({}, shown, redactor=redactor)
    if document.kind == "text":
        fields.append(text_change("text", None, document.text or "", redactor=redactor))
    return tuple(fields)


def _document_version(document: LiveDocument, live: LiveState) -> Version:
    recorded = live.record.documents.get(document.id) if live.record else None
    return Version(
        id=document.id,
        hash=document.hash,
        updated_at=document.updated_at,
        recorded_updated_at=recorded,
        dependents=tuple(document.dependents),
        content=document.text,
    )


def _document_refs(desired: Desired, live: LiveState) -> dict[str, payload.DocumentRef]:
    refs = {}
    for key, document in desired.documents.items():
        current = next((v for v in live.documents_of(key) if v.hash == document.content_hash()), None)
        refs[key] = payload.DocumentRef(
            id=current.id if current else ref(f"document.{key}"),
            name=identity.desired_document_name(document),
            type=document.kind,
        )
    return refs


def _document_garbage(
    desired: Desired, live: LiveState, prune: bool, ours: set[str], branch: str | None
) -> list[ResourceChange]:
    changes = []
    for key in sorted({document.key for document in live.documents}):
        wanted = desired.documents.get(key)
        changes += plan_garbage(
            "document",
            key,
            [_document_version(v, live) for v in live.documents_of(key)],
            keep_hash=wanted.content_hash() if wanted else None,
            prune=prune,
            prevent_destroy=bool(wanted and wanted.prevent_destroy),
            our_agent_ids=ours,
            branch=branch,
        )
    return changes


# --- tools -------------------------------------------------------------------------------------------------------


def _tool_change(tool: DesiredTool, live: LiveState, on_drift: DriftResolution, redactor: Redactor) -> ResourceChange:
    body = payload.tool_payload(tool)
    desired_view = normalize_tool(body)

    def diff(old: dict | None) -> list[FieldChange]:
        if old is None:
            return []
        desired_side, live_side = comparable(desired_view, old)
        return field_changes(live_side, desired_side, redactor=redactor)

    if tool.id is not None:
        return _adopted_tool_change(tool, live, body, diff)
    versions = [
        _tool_version(v, desired_view if v.hash == tool.content_hash() else None) for v in live.tools_of(tool.key)
    ]
    wanted = Wanted(
        kind="tool",
        key=tool.key,
        hash=tool.content_hash(),
        payload=body,
        source=tool.source.path,
        prevent_destroy=tool.prevent_destroy,
        diff=diff,
        repair_payload=body,
        create_fields=tuple(field_changes({}, desired_view, redactor=redactor)),
    )
    return plan_versioned(wanted, versions, on_drift=on_drift)


def _adopted_tool_change(
    tool: DesiredTool, live: LiveState, body: dict, diff: Callable[[Any], list[FieldChange]]
) -> ResourceChange:
    """A tool adopted through `id:` is not content-addressed: it is updated in place, like an agent."""
    found = next((t for t in live.tools if t.id == tool.id), None)
    common = {"address": f"tool.{tool.key}", "kind": "tool", "key": tool.key, "source": tool.source.path}
    if found is None:
        return ResourceChange(
            **common, action="no-op", live_id=tool.id, reason=f"adopted tool {tool.id} was not found live"
        )
    fields = diff(_tool_content(found))
    action = "update" if fields else "no-op"
    return ResourceChange(
        **common, action=action, live_id=found.id, fields=fields, payload=body if fields else None, hash=None
    )


def _tool_content(tool: LiveTool) -> dict | None:
    if tool.tool_config is None:
        return None
    return normalize_tool({"tool_config": tool.tool_config, "response_mocks": tool.response_mocks})


def _tool_version(tool: LiveTool, desired_view: dict | None) -> Version:
    content = _tool_content(tool)
    drifted = False
    if desired_view is not None and content is not None:
        desired_side, live_side = comparable(desired_view, content)
        drifted = not same(desired_side, live_side)
    return Version(
        id=tool.id, hash=tool.hash, dependents=tuple(tool.dependents), content=content, content_drifted=drifted
    )


def _tool_ids(desired: Desired, live: LiveState) -> dict[str, str]:
    ids = {}
    for key, tool in desired.tools.items():
        current = next((v for v in live.tools_of(key) if v.hash == tool.content_hash()), None)
        ids[key] = tool.id or (current.id if current else ref(f"tool.{key}"))
    return ids


def _tool_versions(desired: Desired) -> dict[str, str]:
    return {key: tool.id or f"{key}@{tool.content_hash()}" for key, tool in desired.tools.items()}


def _tool_garbage(
    desired: Desired, live: LiveState, prune: bool, ours: set[str], branch: str | None
) -> list[ResourceChange]:
    changes = []
    for key in sorted({tool.key for tool in live.tools if not tool.adopted}):
        wanted = desired.tools.get(key)
        versions = [_tool_version(v, None) for v in live.tools_of(key) if not v.adopted]
        changes += plan_garbage(
            "tool",
            key,
            versions,
            keep_hash=wanted.content_hash() if wanted else None,
            prune=prune,
            prevent_destroy=bool(wanted and wanted.prevent_destroy),
            our_agent_ids=ours,
            branch=branch,
        )
    return changes


# --- tests -------------------------------------------------------------------------------------------------------


def _test_change(
    test: DesiredTest,
    live: LiveState,
    tool_ids: dict[str, str],
    tool_versions: dict[str, str],
    on_drift: DriftResolution,
    redactor: Redactor,
) -> ResourceChange:
    test_hash = payload.test_content_hash(test, tool_versions)
    body = payload.test_payload(
        test, tool_ids, test_hash=test_hash, parent_folder_id=live.tests_folder_id or ref(TESTS_FOLDER)
    )
    desired_view = normalize_test(body)

    def diff(old: dict | None) -> list[FieldChange]:
        if old is None:
            return []
        desired_side, live_side = comparable(desired_view, normalize_test(old))
        return field_changes(live_side, desired_side, redactor=redactor)

    versions = [_test_version(v, live) for v in live.tests_of(test.address)]
    wanted = Wanted(
        kind="test",
        key=test.address,
        hash=test_hash,
        payload=body,
        source=test.source.path,
        prevent_destroy=test.prevent_destroy,
        depends_on=tuple(sorted(refs_in(body) - {TESTS_FOLDER})),
        diff=diff,
        repair_payload=body,
        create_fields=tuple(field_changes({}, desired_view, redactor=redactor)),
    )
    return plan_versioned(wanted, versions, on_drift=on_drift)


def _test_version(test: LiveTest, live: LiveState) -> Version:
    recorded = live.record.tests.get(test.id) if live.record else None
    return Version(
        id=test.id, hash=test.hash, updated_at=test.updated_at, recorded_updated_at=recorded, content=test.body
    )


def _test_ids(desired: Desired, live: LiveState) -> dict[str, str]:
    """Test address -> the live id of the desired version, or the placeholder of the version this plan creates."""
    tool_versions = _tool_versions(desired)
    ids = {}
    for address, test in desired.tests.items():
        wanted = payload.test_content_hash(test, tool_versions)
        current = next((v for v in live.tests_of(address) if v.hash == wanted), None)
        ids[address] = current.id if current else ref(f"test.{address}")
    return ids


def _test_garbage(
    desired: Desired, live: LiveState, chosen: Selection, prune: bool, ours: set[str], branch: str | None
) -> list[ResourceChange]:
    tool_versions = _tool_versions(desired)
    changes = []
    for address in sorted({test.address for test in live.tests}):
        if not chosen.covers_agent(address.split("/", 1)[0]):
            continue
        wanted = desired.tests.get(address)
        changes += plan_garbage(
            "test",
            address,
            [_test_version(v, live) for v in live.tests_of(address)],
            keep_hash=payload.test_content_hash(wanted, tool_versions) if wanted else None,
            prune=prune,
            prevent_destroy=bool(wanted and wanted.prevent_destroy),
            our_agent_ids=ours,
            branch=branch,
        )
    return changes


# --- agents ------------------------------------------------------------------------------------------------------


def _agent_change(
    desired: Desired,
    agent: DesiredAgent,
    live: LiveState,
    refs: payload.Refs,
    on_drift: DriftResolution,
    branch: str | None,
    redactor: Redactor,
) -> ResourceChange:
    current = _live_agent(agent, live)
    if agent.id is not None and current is None:
        # Adoption names an existing agent; creating a new one instead would be a surprise (see the warning).
        return ResourceChange(
            address=f"agent.{agent.key}",
            kind="agent",
            key=agent.key,
            action="no-op",
            live_id=agent.id,
            reason=f"adopted agent {agent.id} was not found live",
            source=agent.source.path,
        )
    return plan_agent(
        agent.key,
        payload.agent_payload(agent, refs, desired.tests_of(agent.key)),
        current,
        _last_applied(agent, live),
        on_drift=on_drift,
        branch=branch,
        redactor=redactor,
        source=agent.source.path,
    )


def _live_agent(agent: DesiredAgent, live: LiveState) -> LiveAgent | None:
    if agent.id is not None:
        return next((candidate for candidate in live.agents if candidate.id == agent.id), None)
    return live.agent_by_key(agent.key)


def _last_applied(agent: DesiredAgent, live: LiveState) -> dict | None:
    current = _live_agent(agent, live)
    entry = live.record.agents.get(agent.key) if live.record else None
    if entry is None or current is None or entry.id != current.id:
        return None
    return entry.payload


def _agent_deletes(desired: Desired, live: LiveState, chosen: Selection, prune: bool) -> list[ResourceChange]:
    adopted_ids = {agent.id for agent in desired.agents.values() if agent.id}
    changes = []
    for agent in sorted(live.agents, key=lambda a: a.key):
        if (
            agent.key in desired.agents
            or agent.id in adopted_ids
            or agent.adopted
            or not chosen.covers_agent(agent.key)
        ):
            continue
        changes.append(
            ResourceChange(
                address=f"agent.{agent.key}",
                kind="agent",
                key=agent.key,
                action="delete",
                live_id=agent.id,
                delete_ids=[agent.id],
                blocked=None if prune else "not carried out: prune disabled",
                reason="gone from git",
            )
        )
    return changes


def _warnings(desired: Desired, live: LiveState, no_record: bool) -> list[str]:
    warnings = []
    if no_record and live.agents:
        warnings.append("no state record found: drift cannot be told from changes until the next apply")
    for agent in desired.agents.values():
        if agent.id and not any(candidate.id == agent.id for candidate in live.agents):
            warnings.append(f"agent.{agent.key}: id {agent.id} (from {agent.source.path}) was not found live")
    return warnings


def _newest(versions: Sequence[LiveDocument] | Sequence[LiveTest]):
    return max(versions, key=lambda version: (version.updated_at or 0, version.id))
