"""Desired vs live for the content-addressed resources: KB documents, tools and tests.

Each function turns one desired resource and its live versions into the inputs of `plan/versions.py` (`Wanted`,
`Version`) and returns its `ResourceChange`; `*_ids` / `document_refs` give the ids (or `$ref:` placeholders) that
agents and tests reference, and `current_document` / `current_test` the live version that is the desired one (its
content address, or a pulled edit: decision 0124) for everyone who needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agentform.model import Desired, DesiredDocument, DesiredTest, DesiredTool
from agentform.plan import identity, payload
from agentform.plan.diff import field_changes, text_change
from agentform.plan.live import DependentBranch, LiveDocument, LiveState, LiveTest, LiveTool
from agentform.plan.model import (
    DriftResolution,
    FieldChange,
    ResourceChange,
    ResourceKind,
    ref,
    refs_in,
)
from agentform.plan.normalize import comparable, normalize_test, normalize_tool, same
from agentform.plan.secrets import with_secret_ids
from agentform.plan.versions import Version, Wanted, current_version, plan_versioned
from agentform.redact import Redactor
from agentform.state.model import ResourceEntry

DOCUMENTS_FOLDER = "folder.documents"
TESTS_FOLDER = "folder.tests"


# --- documents ---------------------------------------------------------------------------------------------------


def document_change(
    document: DesiredDocument, live: LiveState, on_drift: DriftResolution, redactor: Redactor
) -> ResourceChange:
    body = payload.document_payload(document, live.documents_folder_id or ref(DOCUMENTS_FOLDER))

    def diff(old_text: str | None) -> list[FieldChange]:
        if old_text is None or document.kind != "text":
            return []
        return [text_change("text", old_text, document.text or "", redactor=redactor)]

    name = identity.desired_document_name(document)
    wanted = _wanted(
        "document",
        document,
        body,
        diff=diff,
        # The name too: a rename in the dashboard is drift (docs/decisions/0058).
        repair_payload={"name": name, "text": document.text} if document.kind == "text" else {"name": name},
        matches=_holds_document(document),
        create_fields=lambda: _document_create_fields(document, redactor),
        depends_on=tuple(sorted(refs_in(body) - {DOCUMENTS_FOLDER})),
    )
    versions = live.documents_of(document.key)
    change = plan_versioned(wanted, [document_version(v, live, document) for v in versions], on_drift=on_drift)
    renamed = next((v for v in versions if v.id == change.live_id and v.hash == wanted.hash and v.name != name), None)
    return _with_rename(change, renamed.name, name) if renamed and change.drift else change


def _holds_document(document: DesiredDocument) -> Callable[[Version], bool]:
    """Whether a version's text (read) and display name are the file's: a text document's address is its text's."""
    return lambda version: (
        document.kind == "text" and version.content == (document.text or "") and version.display == document.name
    )


def current_document(document: DesiredDocument, live: LiveState) -> LiveDocument | None:
    """The live version that is `document` (`versions.current_version`), None when it does not exist yet."""
    versions = live.documents_of(document.key)
    found = current_version(
        document.content_hash(), [document_version(v, live, document) for v in versions], _holds_document(document)
    )
    return next((version for version in versions if found is not None and version.id == found.id), None)


def _with_rename(change: ResourceChange, live_name: str, name: str) -> ResourceChange:
    """A drift change that shows the name the repair puts back (the content diff cannot: it is the text's)."""
    renamed = FieldChange(path="name", before=live_name, after=name)
    update: dict[str, Any] = {"drift_fields": [renamed, *change.drift_fields]}
    if change.action == "update":
        update["fields"] = [renamed, *change.fields]
    return change.model_copy(update=update)


def _wanted(kind: ResourceKind, resource: DesiredDocument | DesiredTool, body: dict[str, Any], **parts: Any) -> Wanted:
    """The desired side of a document or tool file: its key, content address, source and `prevent_destroy`."""
    return Wanted(
        kind=kind,
        key=resource.key,
        hash=resource.content_hash(),
        payload=body,
        source=resource.source.path,
        prevent_destroy=resource.prevent_destroy,
        **parts,
    )


def _document_create_fields(document: DesiredDocument, redactor: Redactor) -> list[FieldChange]:
    shown: dict[str, str | None] = {"name": document.name, "type": document.kind}
    if document.kind == "url":
        shown["url"] = document.url
    elif document.kind == "file":
        shown["filename"] = document.filename
    fields = field_changes({}, shown, redactor=redactor)
    if document.kind == "text":
        fields.append(text_change("text", None, document.text or "", redactor=redactor))
    return fields


def document_version(document: LiveDocument, live: LiveState, wanted: DesiredDocument | None = None) -> Version:
    """One live document version; `wanted` (the desired document) lets the version with its hash judge drift.

    Only the content of text documents can drift in a way we can repair (PATCH content): URL documents change their
    timestamp on every auto-sync refresh, and file documents are replaced, never edited, by agentform. The name of
    any of them can (a rename in the dashboard), and a rename back repairs it.
    """
    text = document.kind == "text"
    recorded = recorded_stamp(live.record.documents, document) if live.record and text else None
    drifted = None
    if wanted is not None and document.hash == wanted.content_hash():
        renamed = document.name != identity.desired_document_name(wanted)
        edited = document.text is not None and document.text != (wanted.text or "")
        if renamed or document.text is not None:  # else unknown until the text is read
            drifted = renamed or edited
    marker = identity.parse_document_name(document.name)
    return Version(
        id=document.id,
        hash=document.hash,
        updated_at=document.updated_at,
        recorded_updated_at=recorded,
        created_at=document.created_at if text else None,
        dependents=tuple(document.dependents),
        branches=_branches(document.branches),
        content=document.text,
        content_drifted=drifted,
        display=marker.display if marker else None,
    )


def document_refs(desired: Desired, live: LiveState) -> dict[str, payload.DocumentRef]:
    refs = {}
    for key, document in desired.documents.items():
        current = current_document(document, live)
        refs[key] = payload.DocumentRef(
            id=current.id if current else ref(f"document.{key}"),
            name=_referenced_name(document, current),
            type=document.kind,
        )
    return refs


def _referenced_name(document: DesiredDocument, current: LiveDocument | None) -> str:
    """The name an agent's knowledge-base entry gives: the desired one, or a pulled version's own (which keeps the
    address it was created with, decision 0124)."""
    if current is not None and current.hash != document.content_hash():
        return current.name
    return identity.desired_document_name(document)


# --- tools -------------------------------------------------------------------------------------------------------


def tool_change(
    tool: DesiredTool,
    live: LiveState,
    on_drift: DriftResolution,
    redactor: Redactor,
    secret_ids: Mapping[str, str] | None = None,
) -> ResourceChange:
    # Workspace secrets that exist are referenced by id, one this plan creates by its `$ref:` (`secrets.secret_ids`).
    body = with_secret_ids(payload.tool_payload(tool), secret_ids or {})
    desired_view = normalize_tool(body)

    def diff(old: dict | None) -> list[FieldChange]:
        if old is None:
            return []
        desired_side, live_side = comparable(desired_view, old)
        return field_changes(live_side, desired_side, redactor=redactor)

    if tool.id is not None:
        return _adopted_tool_change(tool, live, body, diff)
    versions = [
        tool_version(v, desired_view if v.hash == tool.content_hash() else None) for v in live.tools_of(tool.key)
    ]
    wanted = _wanted(
        "tool",
        tool,
        body,
        diff=diff,
        repair_payload=body,
        create_fields=lambda: field_changes({}, desired_view, redactor=redactor),
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


def tool_version(tool: LiveTool, desired_view: dict | None) -> Version:
    content = _tool_content(tool)
    drifted = False
    if desired_view is not None and content is not None:
        desired_side, live_side = comparable(desired_view, content)
        drifted = not same(desired_side, live_side)
    return Version(
        id=tool.id,
        hash=tool.hash,
        dependents=tuple(tool.dependents),
        branches=_branches(tool.branches),
        content=content,
        content_drifted=drifted,
    )


def _branches(branches: list[DependentBranch] | None) -> tuple[DependentBranch, ...] | None:
    return None if branches is None else tuple(branches)


def tool_ids(desired: Desired, live: LiveState) -> dict[str, str]:
    ids = {}
    for key, tool in desired.tools.items():
        current = next((v for v in live.tools_of(key) if v.hash == tool.content_hash()), None)
        ids[key] = tool.id or (current.id if current else ref(f"tool.{key}"))
    return ids


def tool_versions(desired: Desired) -> dict[str, str]:
    """Tool key -> the token a test's content address uses for it (`plan.payload.test_content_hash`)."""
    return {key: tool.id or f"{key}@{tool.content_hash()}" for key, tool in desired.tools.items()}


# --- tests -------------------------------------------------------------------------------------------------------


def test_change(
    test: DesiredTest,
    live: LiveState,
    tool_ids: dict[str, str],
    tool_versions: dict[str, str],
    on_drift: DriftResolution,
    redactor: Redactor,
) -> ResourceChange:
    test_hash = payload.test_content_hash(test, tool_versions)
    body = _test_body(test, live, tool_ids, test_hash)
    desired_view = normalize_test(body)

    def diff(old: dict | None) -> list[FieldChange]:
        if old is None:
            return []
        desired_side, live_side = comparable(desired_view, normalize_test(old))
        return field_changes(live_side, desired_side, redactor=redactor)

    versions = [
        test_version(v, live, desired_view if v.hash == test_hash else None) for v in live.tests_of(test.address)
    ]
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
        matches=_holds_test(test, lambda: desired_view),
        create_fields=lambda: field_changes({}, desired_view, redactor=redactor),
    )
    return plan_versioned(wanted, versions, on_drift=on_drift)


def _test_body(test: DesiredTest, live: LiveState, tool_ids: Mapping[str, str], test_hash: str) -> dict[str, Any]:
    return payload.test_payload(
        test, tool_ids, test_hash=test_hash, parent_folder_id=live.tests_folder_id or ref(TESTS_FOLDER)
    )


def _holds_test(test: DesiredTest, desired_view: Callable[[], dict[str, Any]]) -> Callable[[Version], bool]:
    """Whether a version's body (read) and display name are the spec's; the desired body is built only if asked."""
    return lambda version: (
        version.display == identity.test_display_name(test)
        and same(*comparable(desired_view(), normalize_test(version.content)))
    )


def current_test(
    test: DesiredTest, live: LiveState, tool_ids: Mapping[str, str], tool_versions: Mapping[str, str]
) -> LiveTest | None:
    """The live version that is `test` (`versions.current_version`), None when it does not exist yet."""
    test_hash = payload.test_content_hash(test, tool_versions)
    versions = live.tests_of(test.address)
    found = current_version(
        test_hash,
        [test_version(v, live) for v in versions],
        _holds_test(test, lambda: normalize_test(_test_body(test, live, tool_ids, test_hash))),
    )
    return next((version for version in versions if found is not None and version.id == found.id), None)


def recorded_stamp(entries: Mapping[str, ResourceEntry], version: LiveDocument | LiveTest) -> int | None:
    """The timestamp the state record vouches for: the one recorded after our write, or, for a version recorded
    without one (we created it), its creation time (docs/decisions/0058, 0110). None: not vouched for (no entry, or
    a repair not yet verified)."""
    entry = entries.get(version.id)
    if entry is None or not entry.verified:
        return None
    return entry.updated_at if entry.updated_at is not None else version.created_at


def test_version(test: LiveTest, live: LiveState, desired_view: dict | None = None) -> Version:
    """One live test version; `desired_view` (the normalised desired body of its hash) lets it judge drift."""
    recorded = recorded_stamp(live.record.tests, test) if live.record else None
    drifted = None
    if desired_view is not None and test.body is not None:
        desired_side, live_side = comparable(desired_view, normalize_test(test.body))
        drifted = not same(desired_side, live_side)
    marker = identity.parse_test_name(test.name)
    return Version(
        id=test.id,
        hash=test.hash,
        updated_at=test.updated_at,
        recorded_updated_at=recorded,
        created_at=test.created_at,
        branches=_branches(test.branches),
        content=test.body,
        content_drifted=drifted,
        display=marker.display if marker else None,
    )


def test_ids(desired: Desired, live: LiveState) -> dict[str, str]:
    """Test address -> the live id of the desired version, or the placeholder of the version this plan creates."""
    versions, tools = tool_versions(desired), tool_ids(desired, live)
    ids = {}
    for address, test in desired.tests.items():
        current = current_test(test, live, tools, versions)
        ids[address] = current.id if current else ref(f"test.{address}")
    return ids
