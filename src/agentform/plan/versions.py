"""Planning content-addressed resources: KB documents, tools and tests.

Each desired resource has one content address (hash). Live, a key may have several versions:

- a version with the desired hash exists -> `no-op` (or a drift repair when it was edited outside git);
- a version edited outside git holds what the file now wants (a pulled edit) -> `no-op`: it is the desired version,
  though its name keeps the address it was created with (decision 0124);
- only other versions exist -> `replace` (-/+): a new version is created, the agents switch to it, and the old
  versions become garbage, planned as separate deletes addressed `<kind>.<key>@<hash>`;
- no version -> `create`.

Garbage versions are deletes collected after the apply (decision 0054); every version of a key gone from git is a
delete carried out only with prune. Neither happens while something other than our agents' main branches still
references the version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentform.plan.live import DependentBranch
from agentform.plan.model import DriftResolution, FieldChange, ResourceChange, ResourceKind


@dataclass(frozen=True)
class Version:
    """One live version of a content-addressed resource, as far as planning cares."""

    id: str
    hash: str | None
    updated_at: int | None = None
    # `updated_at` the state record saw after our own write; None when unknown (an older record, or a write another
    # edit may have shared a second with), when `created_at` stands in for it.
    recorded_updated_at: int | None = None
    created_at: int | None = None
    # Agent ids that reference this version, and the branches that do (None: not read, see `plan_garbage`).
    dependents: tuple[str, ...] = ()
    branches: tuple[DependentBranch, ...] | None = None
    # Content as the diff needs it (document text, tool payload, test body), None when not read.
    content: Any = None
    # Whether the content read differs from what git wants (set by the caller, which knows how to compare); None
    # when not compared. Tools carry no timestamp, so this is all they have.
    content_drifted: bool | None = None
    # The display part of the version's name (documents and tests), which a pulled version must match too.
    display: str | None = None

    @property
    def timestamp_moved(self) -> bool:
        """Whether the list timestamp says this version changed since our last write (or, unrecorded, since its
        creation): then its content is worth reading."""
        baseline = self.recorded_updated_at if self.recorded_updated_at is not None else self.created_at
        return baseline is not None and self.updated_at is not None and self.updated_at != baseline

    @property
    def edited_outside_git(self) -> bool:
        """The content decides when it was compared (a timestamp also moves on a write that changed nothing);
        otherwise a recorded timestamp that moved does."""
        if self.content_drifted is not None:
            return self.content_drifted
        return self.recorded_updated_at is not None and self.timestamp_moved

    @property
    def worth_reading(self) -> bool:
        return self.content is None and self.timestamp_moved


@dataclass(frozen=True)
class Wanted:
    """The desired side of one content-addressed resource."""

    kind: ResourceKind
    key: str
    hash: str
    payload: dict[str, Any]
    source: str | None = None
    prevent_destroy: bool = False
    depends_on: tuple[str, ...] = ()
    # Builds the field changes from an old version's content (None: content not read) to the desired one.
    diff: Callable[[Any], list[FieldChange]] = field(default=lambda _content: [])
    # What a create shows (a reviewer reads a new resource's content too); computed only for a create.
    create_fields: Callable[[], list[FieldChange]] = field(default=lambda: [])
    # The body that repairs a drifted version in place (document content, tool config, test body).
    repair_payload: dict[str, Any] | None = None
    # Whether a version (its content as read, its display name) is what git wants: an edit made live and then copied
    # into the file (`current_version`).
    matches: Callable[[Version], bool] = field(default=lambda _version: False)

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.key}"


def shown_version(wanted_hash: str, versions: Sequence[Version]) -> Version | None:
    """The live version whose content the change of a desired resource diffs against, if any.

    The desired version itself when it was edited outside git (the repair shows what is put back); when only other
    versions exist, the newest (the replace shows what changed since); none for a no-op or a create. The planner
    reads exactly these contents (`planner.needed_reads`), so a change never falls back on a bare hash by surprise.
    """
    current = next((version for version in versions if version.hash == wanted_hash), None)
    if current is not None:
        return current if current.edited_outside_git or current.worth_reading else None
    return max(versions, key=lambda version: (version.updated_at or 0, version.id)) if versions else None


def current_version(wanted_hash: str, versions: Sequence[Version], holds: Callable[[Version], bool]) -> Version | None:
    """The live version that is the desired one: the version named with its content address, else a pulled one.

    A pulled version was edited outside git and is the newest (`shown_version`), and `holds` says its content (read)
    and display name are what the file now wants: `agentform pull` copied the edit into the file, or someone did by
    hand. It stays the desired version under the name it was created with (decision 0124). Planner, references, test
    runs and garbage collection all find the desired version here, so they agree on it.
    """
    named = next((version for version in versions if version.hash == wanted_hash), None)
    if named is not None:
        return named
    shown = shown_version(wanted_hash, versions)
    if shown is not None and shown.edited_outside_git and shown.content is not None and holds(shown):
        return shown
    return None


def plan_versioned(wanted: Wanted, versions: Sequence[Version], *, on_drift: DriftResolution) -> ResourceChange:
    """The change for one desired content-addressed resource (garbage versions are planned by `plan_garbage`)."""
    current = next((version for version in versions if version.hash == wanted.hash), None)
    common = {
        "address": wanted.address,
        "kind": wanted.kind,
        "key": wanted.key,
        "hash": wanted.hash,
        "source": wanted.source,
    }
    if current is not None:
        if not current.edited_outside_git:
            return ResourceChange(**common, action="no-op", live_id=current.id)
        drift_fields = wanted.diff(current.content)
        if on_drift == "live-wins":
            return ResourceChange(
                **common,
                action="no-op",
                live_id=current.id,
                drift=True,
                drift_fields=drift_fields,
                reason="edited outside git; keeping the live content (live wins)",
            )
        # The file did not change (same hash), so git wins without a conflict: put the content back.
        return ResourceChange(
            **common,
            action="update",
            live_id=current.id,
            drift=True,
            drift_fields=drift_fields,
            fields=drift_fields,
            payload=wanted.repair_payload,
            reason="edited outside git since the last apply; restoring the content from git",
        )
    pulled = current_version(wanted.hash, versions, wanted.matches)
    if pulled is not None:
        # The file now says what was edited live: nothing to resolve, as for agents, and nothing to write (0124).
        return ResourceChange(
            **common,
            action="no-op",
            live_id=pulled.id,
            reason="edited outside git and the file now holds that edit (its name keeps its first content address)",
        )
    shown = shown_version(wanted.hash, versions)
    if shown is not None:
        fields = wanted.diff(shown.content) or [FieldChange(path="content_hash", before=shown.hash, after=wanted.hash)]
        replace = {
            **common,
            "live_id": shown.id,
            "fields": fields,
            "reason": "content changed: a new version is created and referenced; the old one is garbage-collected",
        }
        if shown.edited_outside_git:
            # The file changed and so did the live version it replaces: one side's edit would be lost.
            return _replace_drifted(wanted, replace, on_drift)
        return ResourceChange(**replace, action="replace", payload=wanted.payload, depends_on=sorted(wanted.depends_on))
    return ResourceChange(
        **common,
        action="create",
        fields=wanted.create_fields(),
        payload=wanted.payload,
        depends_on=sorted(wanted.depends_on),
    )


def _replace_drifted(wanted: Wanted, replace: dict[str, Any], on_drift: DriftResolution) -> ResourceChange:
    """A replace whose old version was edited outside git too: a conflict unless git wins.

    Live cannot win here: the file describes a new version and the old one is garbage once replaced, so keeping the
    live edit means copying it into the file (docs/decisions/0058).
    """
    if on_drift == "git-wins":
        reason = "edited outside git since the last apply; git wins: " + replace["reason"]
    elif on_drift == "live-wins":
        reason = "changed in git and edited outside git; live cannot win over a changed file: copy the live edit "
        reason += "into the file, or rerun with --on-drift git-wins"
    else:
        reason = "changed both in git and outside git: rerun with --on-drift git-wins or live-wins"
    return ResourceChange(
        **{**replace, "reason": reason},
        action="replace",
        payload=wanted.payload,
        depends_on=sorted(wanted.depends_on),
        drift=True,
        conflict=on_drift != "git-wins",
    )


def plan_garbage(
    kind: ResourceKind,
    key: str,
    versions: Sequence[Version],
    *,
    keep_hash: str | None,
    prune: bool,
    prevent_destroy: bool,
    our_agents: Mapping[str, str],
    branch: str | None = None,
) -> list[ResourceChange]:
    """Deletes of every version of `key` except the one with `keep_hash` (None: the key is gone from git).

    Superseded versions of a key git still declares are garbage, collected whatever prune says (decision 0054);
    versions of a key gone from git are deleted only with prune. Neither while referenced by something other than
    our agents' main branches (`our_agents`: id -> key), nor during a `--branch` apply (main still uses the old
    version until the merge).
    """
    changes = []
    for version in sorted(versions, key=lambda v: (v.hash or "", v.id)):
        if keep_hash is not None and version.hash == keep_hash:
            continue
        referencing = still_referencing(version, our_agents)
        superseded = keep_hash is not None
        blocked = None
        if prevent_destroy:
            blocked = "prevent_destroy is set"
        elif referencing:
            blocked = f"still referenced by {', '.join(referencing)}"
        elif superseded and branch is not None:
            blocked = "kept while main uses it: collected after the branch is merged"
        elif not superseded and not prune:
            blocked = "not carried out: prune disabled"
        suffix = f"@{version.hash}" if version.hash else f"@{version.id}"
        changes.append(
            ResourceChange(
                address=f"{kind}.{key}{suffix}",
                kind=kind,
                key=key,
                action="delete",
                live_id=version.id,
                hash=version.hash,
                delete_ids=[version.id],
                blocked=blocked,
                cleanup=superseded,
                reason="superseded version (garbage-collected once unreferenced)" if superseded else "gone from git",
            )
        )
    return changes


def still_referencing(version: Version, our_agents: Mapping[str, str]) -> list[str]:
    """What still references `version` once this apply is done, as the reason of a blocked delete shows it.

    Our own agents' main branches switch to the new version in this apply; anything else (a PR branch, an agent we
    do not manage) still needs the old one. Without the branches read, the list's agent ids are all there is, and
    our agents are taken to be on main (the plan reads the branches of every version it would delete).
    """
    if version.branches is None:
        return sorted(dependent for dependent in version.dependents if dependent not in our_agents)
    found = {
        _agent_label(row.agent_id, row.agent_name, our_agents)
        if row.is_main
        else f"branch {row.branch_name or row.branch_id} of {_agent_label(row.agent_id, row.agent_name, our_agents)}"
        for row in version.branches
        if not (row.is_main and row.agent_id in our_agents)
    }
    # An agent listed without its branches (the endpoint pages agents and their branches together).
    listed = {row.agent_id for row in version.branches}
    found |= {_agent_label(a, "", our_agents) for a in version.dependents if a not in our_agents and a not in listed}
    return sorted(found)


def _agent_label(agent_id: str, name: str, our_agents: Mapping[str, str]) -> str:
    if agent_id in our_agents:
        return f"agent.{our_agents[agent_id]}"
    return f'agent "{name}" ({agent_id})' if name else f"agent {agent_id}"
