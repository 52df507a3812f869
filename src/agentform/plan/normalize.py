"""Canonical payloads: the form in which desired and live are compared.

Three rules, so that a plan shows only real changes:

1. Read-only and server-generated fields are dropped (elevenlabs-api.md §1.5).
2. Numbers are canonical (`1 == 1.0`), key order is irrelevant, tags are a set.
3. Server defaults are not changes: only keys the desired side sets (to something but null) are compared, plus
   keys the last-applied payload set that the file no longer sets (kubectl's `last-applied-configuration`). Those
   are compared against `REMOVED`, rendered as "(server default)", and sent as JSON null, which resets the field.

All functions are pure and return new data.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

# Top-level and nested keys of `GetAgentResponseModel` that a diff must ignore.
AGENT_READ_ONLY_PATHS: tuple[tuple[str, ...], ...] = (
    ("agent_id",),
    ("metadata",),
    ("access_info",),
    ("version_id",),
    ("branch_id",),
    ("main_branch_id",),
    ("phone_numbers",),
    ("whatsapp_accounts",),
    ("default_hold_audio_url",),
    ("procedures",),
    ("platform_settings", "safety"),
    ("platform_settings", "queueing_config", "hold_audio"),
    # Rewritten by the server after inline evaluation criteria / data collection are written.
    ("platform_settings", "analysis_items"),
)
TOOL_READ_ONLY_PATHS: tuple[tuple[str, ...], ...] = (("id",), ("access_info",), ("usage_stats",))
TEST_READ_ONLY_PATHS: tuple[tuple[str, ...], ...] = (("id",), ("access_info",), ("parent_folder_id",))


class _Removed:
    """Marker for "the file stopped setting this key": the desired value is the server default."""

    _instance: _Removed | None = None

    def __new__(cls) -> _Removed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "REMOVED"

    def __deepcopy__(self, memo: dict[int, Any]) -> _Removed:
        return self

    def __reduce__(self) -> str:
        return "REMOVED"


REMOVED = _Removed()


def canonical(value: Any) -> Any:
    """JSON-like data in canonical form: integral floats as ints, tuples as lists, keys as strings."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        # Dict equality ignores order and `same` serialises with sorted keys: no sorting needed here.
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


def same(one: Any, other: Any) -> bool:
    """Equality of canonical data (`canonical` applied already): unlike `==`, `True` is not `1`."""
    return one == other and _json(one) == _json(other)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def without_paths(payload: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """A copy of `payload` without the given nested key paths."""
    return _drop_paths(copy.deepcopy(payload), paths)


def _drop_paths(data: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """`data` itself, with the given nested key paths removed in place."""
    for path in paths:
        parent: Any = data
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return data


def _canonical_without(payload: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    # `canonical` builds new containers all the way down, so its result can lose the paths in place: no deep copy
    # of every payload the planner compares.
    return _drop_paths(canonical(payload), paths)


def normalize_agent(payload: dict[str, Any]) -> dict[str, Any]:
    """An agent payload (desired body or live GET) without read-only fields, canonical, tags as a sorted set."""
    result = _canonical_without(payload, AGENT_READ_ONLY_PATHS)
    if isinstance(result.get("tags"), list):
        result["tags"] = sorted(set(result["tags"]))
    return result


def normalize_tool(payload: dict[str, Any]) -> dict[str, Any]:
    """A tool (`{tool_config, response_mocks}` or a `ToolResponseModel`) without read-only fields, canonical."""
    return _canonical_without(payload, TOOL_READ_ONLY_PATHS)


def normalize_test(payload: dict[str, Any]) -> dict[str, Any]:
    """A test body (create body or GET) without read-only fields and without the name, canonical.

    The name carries the content address, which is compared separately.
    """
    return _canonical_without(payload, (*TEST_READ_ONLY_PATHS, ("name",)))


def payload_hash(normalised: Any) -> str:
    """Hash of a normalised payload, as recorded in the state record (`RecordedAgent.payload_hash`)."""
    raw = json.dumps(canonical(normalised), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def with_removed(desired: Any, last_applied: Any) -> Any:
    """`desired` plus `REMOVED` at every dict key that `last_applied` set and `desired` does not.

    Lists are values: a list the file still sets is compared whole, so there is nothing to descend into.
    """
    if not isinstance(desired, dict) or not isinstance(last_applied, dict):
        return desired
    result = dict(desired)
    for key, old in last_applied.items():
        if key in desired:
            result[key] = with_removed(desired[key], old)
        elif isinstance(old, dict) and old:
            # Reset only the leaves we set: the server's own keys in that object stay out of the comparison.
            result[key] = with_removed({}, old)
        else:
            result[key] = REMOVED
    return result


def project(live: Any, shape: Any) -> Any:
    """`live` restricted to the keys present in `shape` (recursively), so server-filled defaults drop out.

    A `REMOVED` in the shape keeps the live value (to show what a reset changes); a key missing live stays missing.
    Lists of dicts of equal length are projected item by item (live knowledge-base locators gain `usage_mode`).
    """
    if isinstance(shape, dict) and isinstance(live, dict):
        return {key: project(live[key], sub) for key, sub in shape.items() if key in live}
    if isinstance(shape, list) and isinstance(live, list) and len(shape) == len(live):
        return [project(item, sub) for item, sub in zip(live, shape, strict=True)]
    return live


def drop_unmatched_removals(desired: Any, live: Any) -> Any:
    """`desired` without `REMOVED` entries whose key is absent live: nothing to reset there."""
    if not isinstance(desired, dict):
        return desired
    live = live if isinstance(live, dict) else {}
    result = {}
    for key, value in desired.items():
        if value is REMOVED and key not in live:
            continue
        kept = drop_unmatched_removals(value, live.get(key))
        # An object that held only removals of keys missing live is itself nothing to compare.
        if isinstance(value, dict) and value and not kept and key not in live:
            continue
        result[key] = kept
    return result


def comparable(
    desired: dict[str, Any], live: dict[str, Any] | None, last_applied: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides of a comparison, already normalised, restricted to what git manages.

    Returns `(desired_view, live_view)`: `desired_view` is `desired` plus `REMOVED` for keys git stopped setting;
    `live_view` is `live` projected onto that shape. Equal views mean "no change".
    """
    desired_view = with_removed(without_nulls(canonical(desired)), canonical(last_applied) if last_applied else None)
    live_view = project(canonical(live or {}), desired_view)
    return drop_unmatched_removals(desired_view, live_view), live_view


def without_nulls(value: Any) -> Any:
    """`value` without dict entries that set nothing: nulls and empty objects (also those emptied so).

    A null in a file means "not set: the server default", exactly like leaving the key out: the server answers a
    null with its default, so comparing the null itself would report a change on every plan. An empty object sets
    no field either; comparing it would report a change wherever the server omits the object.
    """
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        kept = without_nulls(item)
        if kept is None or kept == {}:
            continue
        result[key] = kept
    return result


def patch_body(desired_view: Any) -> Any:
    """The PATCH body for a desired view: `REMOVED` becomes JSON null (reset to the server default)."""
    if desired_view is REMOVED:
        return None
    if isinstance(desired_view, dict):
        return {key: patch_body(value) for key, value in desired_view.items()}
    if isinstance(desired_view, list):
        return [patch_body(item) for item in desired_view]
    return desired_view
