"""The live state as the planner sees it: what `plan/read.py` found in the workspace, as plain JSON-able data.

`read_workspace(client, desired).live` (reconcile engineer) fills a `LiveState` in two passes:

1. list calls only (agents by the ownership tag, the managed KB folder, the managed test folder, all tools, the
   state record document), giving ids, names, hashes parsed from names (`plan/identity.py`) and timestamps;
2. detail reads: agent GETs whose list timestamp moved since the last apply (`read.agents_needing_detail`), and
   what `plan.planner.needed_reads(desired, live)` asks for (document / test versions whose content a diff must
   show, the dependents of versions the plan would delete), filling `payload`, `text`, `body` and `branches` on a
   copy of the state (`LiveState.model_copy(update=...)`).

A field left `None` means "not read", never "empty": the planner then falls back on the state record (for agents:
the last-applied payload, valid because the list timestamp did not move) or shows a hash-only change.

Everything here is frozen and JSON-serialisable so that a saved plan, a test fixture or a debugging dump can hold
it verbatim.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import Field

from agentform.model import DocumentKind, FrozenModel
from agentform.state.model import StateRecord


class LiveBranch(FrozenModel):
    """The tip of one agent branch (for `plan --branch NAME`)."""

    id: str
    name: str
    version_id: str | None = None
    # The full GET payload at the branch tip (`GET /agents/{id}?branch_id=`), when read.
    payload: dict[str, Any] | None = None


class DependentBranch(FrozenModel):
    """One agent branch whose tip references a document or tool version (the `dependent-agents` endpoints)."""

    agent_id: str
    agent_name: str = ""
    branch_id: str
    branch_name: str = ""
    is_main: bool = False


class LiveAgent(FrozenModel):
    """A managed (tagged) or explicitly adopted agent."""

    id: str
    # File key from the `af-key:<key>` tag; for an adopted agent not tagged yet, the key of the file naming its id.
    key: str
    name: str
    tags: list[str] = Field(default_factory=list)
    # `updated_at_unix_secs` from the list item: the cheap change signal compared with the state record.
    updated_at: int | None = None
    # `created_at_unix_secs`: an agent we created whose timestamp still equals it was never edited.
    created_at: int | None = None
    # The full `GET /agents/{id}` payload (main branch), or None when the detail read was skipped.
    payload: dict[str, Any] | None = None
    version_id: str | None = None
    branch_id: str | None = None
    main_branch_id: str | None = None
    # The branch named by `--branch`, when one was asked for and exists.
    branch: LiveBranch | None = None
    # True when found through `id:` in a file rather than through our ownership tag.
    adopted: bool = False


class _FolderItem(FrozenModel):
    """One version of a content-addressed resource found in a managed folder by its name's marker."""

    id: str
    # The 12-hex content address parsed from the live name.
    hash: str
    name: str
    updated_at: int | None = None
    # The list item's creation second: with no recorded `updated_at` (older records), a version whose timestamp
    # still equals it was never edited, so its content need not be read.
    created_at: int | None = None
    folder_id: str | None = None


class LiveDocument(_FolderItem):
    """One version of a managed KB document (a document in the managed folder whose name parses)."""

    key: str
    kind: DocumentKind
    # Text content (`GET .../content`), when read; only for text documents whose diff must be shown.
    text: str | None = None
    # Agents that reference this version, by id (list items carry `dependent_agents`); a referenced document is
    # never garbage-collected.
    dependents: list[str] = Field(default_factory=list)
    # The branches that reference it, read only for a version the plan would delete (None: not read).
    branches: list[DependentBranch] | None = None


class LiveTool(FrozenModel):
    """One live tool version owned by us according to the state record (or adopted through `id:`)."""

    id: str
    key: str
    # Content address recorded when we created it (`DesiredTool.content_hash()`), None for an adopted tool.
    hash: str | None = None
    name: str
    # `tool_config` and `response_mocks` as the list call returns them (the tools list carries full configs).
    tool_config: dict[str, Any] | None = None
    response_mocks: list[dict[str, Any]] | None = None
    # As for documents, but the tools list names no dependents: both are read only for a version the plan would
    # delete.
    dependents: list[str] = Field(default_factory=list)
    branches: list[DependentBranch] | None = None
    adopted: bool = False


class LiveTest(_FolderItem):
    """One version of a managed agent-testing test (in the managed test folder, name parses)."""

    # "<agent_key>/<test_key>"
    address: str
    kind: str | None = None
    # The full `GET /agent-testing/{id}` body, when read.
    body: dict[str, Any] | None = None
    # The branches whose tip attaches this version, read only for a version the plan would delete (None: not read).
    branches: list[DependentBranch] | None = None


class LiveSecret(FrozenModel):
    """One of our workspace secrets (`identity.secret_name`): its value is never readable, its name's tag is."""

    id: str
    key: str
    name: str
    tool_ids: list[str] = Field(default_factory=list)


class LiveState(FrozenModel):
    """Everything the planner knows about one (project, environment) scope of the live workspace."""

    project: str
    environment: str
    # The managed KB folder and agent-testing folder (`identity.folder_name`), None when not created yet.
    documents_folder_id: str | None = None
    tests_folder_id: str | None = None
    agents: list[LiveAgent] = Field(default_factory=list)
    documents: list[LiveDocument] = Field(default_factory=list)
    tools: list[LiveTool] = Field(default_factory=list)
    tests: list[LiveTest] = Field(default_factory=list)
    secrets: list[LiveSecret] = Field(default_factory=list)
    # Agents that carry the markers of a key another live agent (the one in `agents`) already holds.
    duplicate_agents: list[LiveAgent] = Field(default_factory=list)
    # None when the record does not exist (first apply) or could not be parsed; the planner then relies on
    # markers alone (and cannot tell drift from file changes for agents).
    record: StateRecord | None = None
    # The id, `updated_at` and name of the record document itself: two plans made from different records differ.
    # The name carries a hash of the record's text (`state.record.record_document_name`), exact where the
    # timestamp's second is not.
    record_id: str | None = None
    record_updated_at: int | None = None
    record_name: str | None = None

    def agent_by_key(self, key: str) -> LiveAgent | None:
        found = self._grouped("agents", key)
        return found[0] if found else None

    def documents_of(self, key: str) -> list[LiveDocument]:
        return self._grouped("documents", key)

    def tools_of(self, key: str) -> list[LiveTool]:
        return self._grouped("tools", key)

    def tests_of(self, address: str) -> list[LiveTest]:
        return self._grouped("tests", address)

    def _grouped(self, field: str, key: str) -> list[Any]:
        return list(_groups(getattr(self, field), "address" if field == "tests" else "key").get(key, ()))

    def fingerprint(self) -> str:
        """A stable hash of the live facts a plan depends on; `apply plan.json` refuses when it changed.

        Covers ids, content addresses, timestamps and version ids, plus a digest of tool configs (tools carry no
        timestamp). Bodies that were read (`payload`, `text`, `body`) are not hashed: they are implied by the
        timestamps, and whether they were read depends on the plan, not on the workspace.
        """
        facts = {
            "scope": [self.project, self.environment],
            "folders": [self.documents_folder_id, self.tests_folder_id],
            "record": [self.record_id, self.record_updated_at, self.record_name],
            "agents": _sorted(
                [a.id, a.key, a.updated_at, a.branch and a.branch.id, a.branch and a.branch.version_id]
                for a in self.agents
            ),
            "documents": _sorted([d.id, d.key, d.hash, d.updated_at] for d in self.documents),
            "tools": _sorted(
                [t.id, t.key, t.hash, _digest({"tool_config": t.tool_config, "response_mocks": t.response_mocks})]
                for t in self.tools
            ),
            "tests": _sorted([t.id, t.address, t.hash, t.updated_at] for t in self.tests),
        }
        if self.duplicate_agents:
            facts["duplicate_agents"] = _sorted([a.id, a.key] for a in self.duplicate_agents)
        if self.secrets:
            facts["secrets"] = _sorted([s.id, s.name] for s in self.secrets)
        return _digest(facts, length=64)


# Lookups by key are grouped once per list: the planner asks for every desired key, which was quadratic at scale.
# Not a field or private attribute of the frozen model (pydantic compares those in `==`); keyed by the list object
# itself, held here, so a copy with a replaced list (`model_copy(update=...)`) never meets a stale index.
_GROUPS: dict[tuple[int, str], tuple[list[Any], int, dict[str, list[Any]]]] = {}
_GROUPS_KEPT = 32


def _groups(items: list[Any], attribute: str) -> dict[str, list[Any]]:
    cached = _GROUPS.get((id(items), attribute))
    if cached is not None and cached[0] is items and cached[1] == len(items):
        return cached[2]
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(getattr(item, attribute), []).append(item)
    if len(_GROUPS) >= _GROUPS_KEPT:
        _GROUPS.clear()
    _GROUPS[(id(items), attribute)] = (items, len(items), groups)
    return groups


def _sorted(rows: Any) -> list[Any]:
    # Sorted by their JSON text: list order from the API is not a fact, and None must sort beside ints.
    return sorted(rows, key=lambda row: json.dumps(row, default=str))


def _digest(value: Any, length: int = 16) -> str:
    raw = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:length]
