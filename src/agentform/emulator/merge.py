"""Three-way merge of agent configurations, as the branch merge and merge-preview endpoints do it.

Configurations are flattened to dot paths (lists are leaves: the API replaces lists whole). A path changed on
the source since the merge base is taken from the source; a path changed on both sides to different values is a
conflict, which `force` resolves in the source's favour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_MISSING = object()
SECTIONS = ("conversation_config", "platform_settings", "workflow")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"a.b": 1}`; empty dicts and non-dicts are leaves."""
    if not isinstance(value, dict) or not value:
        return {prefix: value} if prefix else {}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in sorted(flat):
        node = root
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = flat[path]
    return root


@dataclass
class MergeResult:
    config: dict[str, Any]
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    overridden_fields: list[str] = field(default_factory=list)


def merge_configs(base: dict[str, Any], source: dict[str, Any], target: dict[str, Any], *, force: bool) -> MergeResult:
    """Merge `source` into `target` given their common ancestor `base` (full agent configs)."""
    flat_base, flat_source, flat_target = (flatten({s: c.get(s, {}) for s in SECTIONS}) for c in (base, source, target))
    merged = dict(flat_target)
    conflicts, overridden = [], []
    for path in sorted(set(flat_base) | set(flat_source)):
        base_value = flat_base.get(path, _MISSING)
        source_value = flat_source.get(path, _MISSING)
        if source_value == base_value:
            continue
        target_value = flat_target.get(path, _MISSING)
        if target_value not in (base_value, source_value):
            conflicts.append(
                {
                    "path": path,
                    "section": path.split(".", 1)[0],
                    "base_value": _jsonable(base_value),
                    "source_value": _jsonable(source_value),
                    "target_value": _jsonable(target_value),
                }
            )
            if not force:
                continue
        if target_value != source_value:
            overridden.append(path)
        merged.pop(path, None)
        if source_value is not _MISSING:
            # A leaf replacing a subtree (or the reverse) must not leave the other shape behind.
            for other in [k for k in merged if k.startswith(path + ".") or path.startswith(k + ".")]:
                del merged[other]
            merged[path] = source_value
    # A section whose every path the source deleted has no key left in `merged`: it must still replace target's.
    config = {**target, **{s: {} for s in SECTIONS}, **unflatten(merged)}
    for name in ("name", "tags"):
        if source.get(name) != base.get(name) and target.get(name) == base.get(name):
            config[name] = source.get(name)
    return MergeResult(config=config, conflicts=conflicts, overridden_fields=overridden)


def _jsonable(value: Any) -> Any:
    return None if value is _MISSING else value
