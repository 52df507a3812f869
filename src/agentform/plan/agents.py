"""Planning one agent: a 3-way comparison of git (desired), the last-applied payload (record) and live.

- file changed  = desired differs from last-applied;
- live changed  = live differs from last-applied (drift: someone edited the agent outside git);
- both changed the same field = a conflict: with `on_drift="refuse"` the change is marked `conflict` and apply
  refuses; `git-wins` sends the file's values; `live-wins` keeps the live values of the drifted fields.

Drift alone (the file did not touch the drifted fields) is shown and repaired from git unless `live-wins`.
Without a last-applied payload (first apply, adoption, lost record) drift cannot be told from a change: every
difference is a plain update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentform.plan.diff import NOT_SET, changed_paths, field_changes, get_path, render_path
from agentform.plan.live import LiveAgent
from agentform.plan.model import DriftResolution, ResourceChange, refs_in
from agentform.plan.normalize import comparable, normalize_agent, patch_body, same, without_nulls
from agentform.redact import NO_SECRETS, Redactor

Path = tuple[Any, ...]


def plan_agent(
    key: str,
    desired_payload: dict[str, Any],
    live: LiveAgent | None,
    last_applied: dict[str, Any] | None,
    *,
    on_drift: DriftResolution,
    branch: str | None = None,
    redactor: Redactor = NO_SECRETS,
    source: str | None = None,
) -> ResourceChange:
    """The change for one desired agent; `desired_payload` as `payload.agent_payload` builds it."""
    desired = normalize_agent(desired_payload)
    common: dict[str, Any] = {"address": f"agent.{key}", "kind": "agent", "key": key, "source": source}
    if live is None:
        fields = field_changes({}, desired, redactor=redactor)
        depends_on = sorted(refs_in(desired))
        return ResourceChange(**common, action="create", fields=fields, payload=desired, depends_on=depends_on)
    if _unchanged_since_last_apply(desired, live, last_applied, branch):
        return ResourceChange(**common, action="no-op", live_id=live.id)

    live_payload, on_branch_reason = _live_side(live, branch, last_applied)
    if live_payload is None:
        # Neither read nor recorded: compare against nothing, i.e. send the whole managed config.
        live_payload = {}
    live_payload = normalize_agent(live_payload)
    # On a branch the record (main's last-applied) is not the base: no drift check, no removals from it.
    base = normalize_agent(last_applied) if last_applied is not None and branch is None else None

    desired_view, live_view = comparable(desired, live_payload, base)
    drift_paths: list[Path] = []
    conflict_paths: list[Path] = []
    drift_fields = []
    if base is not None:
        drift = agent_drift(desired, live_payload, base)
        drift_paths, conflict_paths = drift.paths, drift.conflicts
        shown = {render_path(path) for path in drift_paths}
        drift_fields = [
            f for f in field_changes(drift.base_view, drift.live_view, redactor=redactor) if f.path in shown
        ]

    reason = on_branch_reason
    conflict = False
    if drift_paths and on_drift == "live-wins":
        desired_view = _keep_live(desired_view, live_view, drift_paths)
        reason = _join(reason, "edited outside git; keeping the live values of the drifted fields (live wins)")
    elif conflict_paths and on_drift == "refuse":
        conflict = True
        reason = _join(reason, "changed both in git and outside git: rerun with --on-drift git-wins or live-wins")
    elif drift_paths:
        reason = _join(reason, "edited outside git since the last apply; git wins")

    fields = field_changes(live_view, desired_view, redactor=redactor)
    # An adopted agent always differs at first: our marker tags are part of `desired`.
    action = "update" if fields else "no-op"
    return ResourceChange(
        **common,
        action=action,
        live_id=live.id,
        reason=reason,
        fields=fields,
        payload=patch_body(desired_view) if action == "update" else None,
        drift=bool(drift_paths),
        drift_fields=drift_fields,
        conflict=conflict,
        depends_on=sorted(refs_in(desired)) if action == "update" else [],
    )


@dataclass(frozen=True)
class AgentDrift:
    """The 3-way comparison of one agent: what changed live since the last apply, and what of it the file changed.

    `base_view` / `live_view`: the last-applied payload and live, both restricted to what the last apply set.
    """

    paths: list[Path]
    conflicts: list[Path]
    base_view: dict[str, Any]
    live_view: dict[str, Any]


def agent_drift(desired: dict[str, Any], live_payload: dict[str, Any], base: dict[str, Any]) -> AgentDrift:
    """Drift of normalised payloads: paths live changed since `base` (the last-applied payload) that the file does
    not already agree with, and among them those the file changed too (conflicts). `plan_agent` and `pull` share it.
    """
    desired_view, live_view = comparable(desired, live_payload, base)
    base_view, live_on_base = comparable(base, live_payload)
    # Drift the files already agree with (someone copied the dashboard edit into git) needs no resolution.
    pending = changed_paths(live_view, desired_view)
    paths = [p for p in changed_paths(base_view, live_on_base) if any(_overlap(p, q) for q in pending)]
    desired_on_base, base_on_desired = comparable(desired, base, base)
    file_paths = changed_paths(base_on_desired, desired_on_base)
    conflicts = [path for path in paths if any(_overlap(path, other) for other in file_paths)]
    return AgentDrift(paths, conflicts, base_view, live_on_base)


def _unchanged_since_last_apply(
    desired: dict[str, Any], live: LiveAgent, last_applied: dict[str, Any] | None, branch: str | None
) -> bool:
    """The common no-op, told without the 3-way comparison: the list timestamp vouched that live is the
    last-applied payload (so it was not read), and the file still says exactly that: no change, no drift."""
    return (
        live.payload is None
        and branch is None
        and last_applied is not None
        and same(desired, normalize_agent(last_applied))
    )


def recordable(payload: dict[str, Any]) -> dict[str, Any]:
    """What the state record keeps as last-applied after apply sent `payload` (placeholders already resolved).

    Nulls are resets to the server default: the file no longer sets those keys, so they are not part of the
    last-applied configuration; nor are the objects that held only such resets.
    """
    return normalize_agent(without_nulls(patch_body(payload)))


def _live_side(
    live: LiveAgent, branch: str | None, last_applied: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, str]:
    if branch is not None:
        if live.branch is not None and live.branch.payload is not None:
            return live.branch.payload, f"on agent branch {branch}"
        main = live.payload if live.payload is not None else last_applied
        return main, f"on agent branch {branch} (created from main)"
    # Not read: the list timestamp matched the record, so the last-applied payload is what is live.
    return (live.payload if live.payload is not None else last_applied), ""


def _keep_live(desired_view: Any, live_view: Any, paths: list[Path]) -> Any:
    """`desired_view` with the live values at `paths` (removing the key where it is not set live)."""
    result = desired_view
    for path in paths:
        result = _set(result, path, get_path(live_view, path))
    return result


def _set(data: Any, path: Path, value: Any) -> Any:
    if not path:
        return data if value is NOT_SET else value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        inner = _set(copy.get(head, {}), rest, value) if rest else value
        if inner is NOT_SET:
            copy.pop(head, None)
        else:
            copy[head] = inner
        return copy
    if isinstance(data, list) and isinstance(head, int) and head < len(data):
        copy_list = list(data)
        copy_list[head] = _set(copy_list[head], rest, value) if rest else value
        return copy_list
    return data


def _overlap(one: Path, other: Path) -> bool:
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second
