"""Changing a YAML file someone wrote without rewriting it: ruamel.yaml's round trip keeps comments, key order,
quoting, anchors and the layout of every line not changed (docs/decisions/0122).

Only the values set through `set_value` change; a replaced string keeps the quoting style of the one it replaces.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    PlainScalarString,
    SingleQuotedScalarString,
)

Path = Sequence[str | int]
_STYLES = (DoubleQuotedScalarString, SingleQuotedScalarString, LiteralScalarString, FoldedScalarString)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the user wrote on one
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load(text: str) -> Any:
    """The round-trip data of a YAML text (an empty text is an empty mapping)."""
    data = _yaml().load(text)
    return CommentedMap() if data is None else data


def dump(data: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def get(data: Any, path: Path) -> Any:
    """The value at `path`, or None when a step is missing."""
    for step in path:
        if isinstance(data, list) and isinstance(step, int):
            if step >= len(data):
                return None
            data = data[step]
        elif isinstance(data, dict) and step in data:
            data = data[step]
        else:
            return None
    return data


def set_value(data: Any, path: Path, value: Any) -> None:
    """Set `path` to `value` in round-trip data, creating mappings on the way; `value` None removes the key."""
    parent = data
    for step in path[:-1]:
        if isinstance(parent, dict) and not isinstance(parent.get(step), dict | list):
            parent[step] = CommentedMap()
        parent = parent[step]
    last = path[-1]
    if value is None:
        if isinstance(parent, dict):
            parent.pop(last, None)
        return
    old = get(parent, [last])
    new = _styled_like(old, value)
    if isinstance(parent, list) and isinstance(last, int) and last >= len(parent):
        parent.append(new)
    else:
        parent[last] = new


def _styled_like(old: Any, value: Any) -> Any:
    """`value` as round-trip data; a string keeps the quoting of the string it replaces (a literal block stays one
    while the new text has several lines), a list or mapping the flow style of the one it replaces."""
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _styled_like(get(old, [key]) if isinstance(old, dict) else None, item)
        return _flow_like(old, mapping)
    if isinstance(value, list):
        items = [_styled_like(get(old, [i]) if isinstance(old, list) else None, v) for i, v in enumerate(value)]
        return _flow_like(old, CommentedSeq(items))
    if isinstance(value, str):
        for style in _STYLES:
            if isinstance(old, style):
                if style in (LiteralScalarString, FoldedScalarString) and "\n" not in value:
                    return value
                return style(value)
        if "\n" in value:
            return LiteralScalarString(value)
        return PlainScalarString(value) if isinstance(old, PlainScalarString) else value
    return value


def _flow_like(old: Any, new: CommentedMap | CommentedSeq) -> CommentedMap | CommentedSeq:
    """`new` in flow style (`[a, b]`, `{k: v}`) when the collection it replaces was written that way."""
    if isinstance(old, CommentedMap | CommentedSeq) and old.fa.flow_style():
        new.fa.set_flow_style()
    return new


def declare_secret_variables(text: str, names: Iterable[str]) -> str:
    """agentform.yaml's text with `variables: {NAME: {secret: true}}` for each of `names` (kept if declared)."""
    names = list(names)
    if not names:
        return text
    data = load(text)
    variables = data.get("variables")
    if not isinstance(variables, dict):
        variables = data["variables"] = CommentedMap()
    for name in names:
        declared = variables.get(name)
        if not isinstance(declared, dict):
            variables[name] = CommentedMap(secret=True)
        elif declared.get("secret") is not True:
            declared["secret"] = True
    return dump(data)
