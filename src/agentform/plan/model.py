"""The `Plan`: what apply will do, as data. Computed once, rendered as text / markdown / JSON, saved and applied.

A plan is a list of `ResourceChange`s in apply order (folders, documents and tools, tests, agents; deletes last and
in reverse). Each change carries the API `payload` apply sends, so apply never re-plans.

References to live ids
----------------------
A payload may need the id of a resource that this same plan creates (a new document version referenced from an
agent, a test attached to an agent, the managed folder a document goes into). Such a value is a placeholder string

    "$ref:<address>"            e.g. "$ref:document.clinic-faq", "$ref:tool.book-appointment", "$ref:folder.documents"

standing exactly where the id goes (`tool_ids` items, `knowledge_base[].id`, `attached_tests[].test_id`,
`parent_folder_id`, a test's `referenced_tool.id`, `mocked_tool_ids` items, and `tool_mock_overrides` keys).
`<address>` is the `ResourceChange.address` of the change that creates the resource; apply resolves it with
`resolve_refs(payload, ids)` after that change ran, and `refs_in(payload)` lists what a payload waits for. An id of a
resource that already exists is written as the id itself, never as a placeholder.

Addresses: `agent.<key>`, `document.<key>`, `tool.<key>`, `test.<agent_key>/<test_key>`, `folder.documents`,
`folder.tests`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentform import formats

FORMAT_VERSION = formats.PLAN

ResourceKind = Literal["agent", "document", "tool", "test", "folder", "secret"]
Action = Literal["create", "update", "delete", "replace", "no-op"]
DriftResolution = Literal["refuse", "git-wins", "live-wins"]

REF_PREFIX = "$ref:"
_REF = re.compile(r"^\$ref:(?P<address>(agent|document|tool|test|folder|secret)\.[^\s]+)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldChange(_Model):
    """One changed field: `path` in dotted form (`conversation_config.agent.prompt.prompt`, list items `tags[2]`)."""

    path: str
    # JSON values; None with `before_set`/`after_set` False means "not set" (server default).
    before: Any = None
    after: Any = None
    before_set: bool = True
    after_set: bool = True
    # A unified line diff (`---`/`+++`/`@@` hunks) for long or multi-line strings; renderers show it instead of
    # before/after.
    line_diff: str | None = None
    # True when a value is or contains a secret: before/after/line_diff are already masked.
    sensitive: bool = False


class ResourceChange(_Model):
    """One resource's planned action."""

    address: str
    kind: ResourceKind
    key: str
    action: Action
    # The live id this change acts on (update / delete / the old version of a replace); None for a create.
    live_id: str | None = None
    # Content address of the desired version (documents, tools, tests).
    hash: str | None = None
    reason: str = ""
    # Fields that change (desired vs live, after normalisation). For a replace: old version vs new version.
    fields: list[FieldChange] = Field(default_factory=list)
    # The body apply sends: the create body, the PATCH body for an update (keys the file stopped setting are
    # present with value None: "back to the server default"), None for a delete or no-op.
    payload: dict[str, Any] | None = None
    # Live ids this change removes: a delete, or the superseded versions of a replace (garbage-collected after the
    # agents stop referencing them).
    delete_ids: list[str] = Field(default_factory=list)
    # A delete of a superseded version of a key git still declares (a document, tool or test edit leaves the old
    # version behind): garbage collection, counted as cleanup rather than as a destroy.
    cleanup: bool = False
    # Why a planned delete will not be carried out ("prune disabled", "prevent_destroy", "still referenced by ...").
    # A change with `blocked` set is shown but apply skips it.
    blocked: str | None = None
    # Someone changed the live resource outside git since our last apply.
    drift: bool = False
    drift_fields: list[FieldChange] = Field(default_factory=list)
    # File and live both changed the same field(s) and `on_drift` was "refuse": apply refuses the whole plan.
    conflict: bool = False
    # Addresses this change waits for (the `$ref:` placeholders in its payload, plus ordering constraints).
    depends_on: list[str] = Field(default_factory=list)
    # Where the resource is declared (`agents/x/agent.yaml`), for annotations.
    source: str | None = None

    @property
    def is_change(self) -> bool:
        """True when apply will write something for this resource."""
        return self.action != "no-op" and self.blocked is None


class PlanSummary(_Model):
    add: int = 0
    change: int = 0
    destroy: int = 0
    # Superseded versions collected (deletes with `cleanup`), not counted in `destroy`.
    cleanup: int = 0
    # Deletes shown but not carried out (prune off, prevent_destroy, still referenced).
    blocked: int = 0
    drifted: int = 0
    conflicts: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy or self.cleanup)

    def line(self) -> str:
        """Terraform's summary line, then the superseded versions to clean up when there are any."""
        line = f"Plan: {self.add} to add, {self.change} to change, {self.destroy} to destroy"
        if self.cleanup:
            plural = "s" if self.cleanup > 1 else ""
            line += f"; {self.cleanup} superseded version{plural} to clean up"
        return line + "."


class Plan(_Model):
    format_version: str = FORMAT_VERSION
    project: str
    environment: str
    # Agent branch the agent changes go to (`--branch`), None for main.
    branch: str | None = None
    # The git revision (or "working tree") the desired state was loaded from.
    source_revision: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # `LiveState.fingerprint()` of the live state this plan was computed from.
    fingerprint: str
    prune: bool = False
    select: list[str] = Field(default_factory=list)
    on_drift: DriftResolution = "refuse"
    changes: list[ResourceChange] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def summary(self) -> PlanSummary:
        """Counts in Terraform's sense: a replace is one add and one destroy; blocked deletes are not counted, and
        superseded versions are cleanup, not destroys."""
        counts = PlanSummary()
        for change in self.changes:
            if change.drift:
                counts.drifted += 1
            if change.conflict:
                counts.conflicts += 1
            if change.blocked is not None:
                counts.blocked += 1
                continue
            if change.action == "create":
                counts.add += 1
            elif change.action == "update":
                counts.change += 1
            elif change.action == "delete" and change.cleanup:
                counts.cleanup += 1
            elif change.action == "delete":
                counts.destroy += 1
            elif change.action == "replace":
                counts.add += 1
                counts.destroy += 1 if change.delete_ids else 0
        return counts

    @property
    def has_changes(self) -> bool:
        return self.summary().has_changes

    @property
    def has_conflicts(self) -> bool:
        return any(change.conflict for change in self.changes)

    def change_for(self, address: str) -> ResourceChange | None:
        return next((change for change in self.changes if change.address == address), None)


def ref(address: str) -> str:
    """The placeholder for the id of the resource that the change at `address` creates."""
    return f"{REF_PREFIX}{address}"


def parse_ref(value: Any) -> str | None:
    """The address in a `$ref:` placeholder, or None when `value` is not one."""
    if isinstance(value, str) and value.startswith(REF_PREFIX):
        match = _REF.match(value)
        return match["address"] if match else None
    return None


def refs_in(value: Any) -> set[str]:
    """Every address referenced by a placeholder anywhere in `value` (dict keys included)."""
    found: set[str] = set()
    _collect_refs(value, found)
    return found


def _collect_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _collect_refs(key, found)
            _collect_refs(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_refs(item, found)
    elif isinstance(value, str) and value.startswith(REF_PREFIX):
        address = parse_ref(value)
        if address:
            found.add(address)


def describe_refs(value: Any) -> Any:
    """`value` with placeholders shown for people: `"(known after apply: document.faq)"`."""
    if isinstance(value, dict):
        return {describe_refs(key): describe_refs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [describe_refs(item) for item in value]
    address = parse_ref(value)
    return f"(known after apply: {address})" if address else value


def resolve_refs(value: Any, ids: Mapping[str, str]) -> Any:
    """`value` with every placeholder replaced by `ids[address]`; raises KeyError naming an unresolved address."""
    if isinstance(value, dict):
        return {resolve_refs(key, ids): resolve_refs(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_refs(item, ids) for item in value]
    address = parse_ref(value)
    if address is None:
        return value
    if address not in ids:
        raise KeyError(f"unresolved reference {value!r}: {address} was not created")
    return ids[address]
