"""YAML reading with positions: plain Python data plus the line and column of every key and item.

ruamel.yaml composes the node graph (with libyaml through ruamel.yaml.clib when it is installed, ~5x faster);
we build plain dicts and lists from it ourselves, which lets us report duplicate keys at their own position and keep
a position table keyed by field path for every later message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

FieldPath = tuple[str | int, ...]
Position = tuple[int, int]
# Values one file may expand to. Aliases share nodes, so a few lines can stand for billions of values ("billion
# laughs"); no project file needs more than a small fraction of this, and reaching it takes well under a second.
MAX_VALUES = 100_000


class YamlSyntaxError(Exception):
    """The text is not valid YAML; `position` is 1-based."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass
class YamlDocument:
    """One parsed YAML file: its data and where each field path starts in the text."""

    path: str
    data: Any
    positions: dict[FieldPath, Position] = field(default_factory=dict)
    duplicates: list[tuple[FieldPath, Position]] = field(default_factory=list)

    def where(self, field_path: FieldPath) -> Position:
        """Position of the field, or of its closest ancestor present in the file (a missing key's parent)."""
        for end in range(len(field_path), -1, -1):
            position = self.positions.get(field_path[:end])
            if position is not None:
                return position
        return (1, 1)


_yaml: Any = None
# Tags our resolver hands the composer: plain scalars are resolved by `_plain` below (YAML 1.2 core schema), which
# is several times faster than ruamel's versioned resolver and was most of the cost of validating large projects.
_PLAIN, _STR, _SEQ, _MAP = "plain", "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _composer() -> Any:
    global _yaml
    if _yaml is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.nodes import ScalarNode, SequenceNode
        from ruamel.yaml.resolver import BaseResolver
        from ruamel.yaml.tag import Tag

        tags = {name: Tag(suffix=name) for name in (_PLAIN, _STR, _SEQ, _MAP)}

        class CoreResolver(BaseResolver):
            def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
                super().__init__(loader or loadumper)

            @property
            def processing_version(self) -> tuple[int, int]:
                return (1, 2)  # asked by ruamel's pure-Python parser and scanner (without ruamel.yaml.clib)

            def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
                if kind is ScalarNode:
                    return tags[_PLAIN] if implicit[0] else tags[_STR]
                return tags[_SEQ] if kind is SequenceNode else tags[_MAP]

        _yaml = YAML(typ="safe")
        _yaml.Resolver = CoreResolver
    return _yaml


def use_pure_python(pure: bool = True) -> None:
    """Parse with ruamel's pure-Python parser even when libyaml is available (for tests and benchmarks)."""
    global _yaml
    _yaml = None
    _composer()
    if pure:
        from ruamel.yaml import YAML

        resolver, _yaml = _yaml.Resolver, YAML(typ="safe", pure=True)
        _yaml.Resolver = resolver


def parse_yaml(text: str, path: str) -> YamlDocument:
    """Parse one YAML document. Raises `YamlSyntaxError` for malformed text."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        node = _composer().compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        if problem.startswith("but ") and error.context:  # "expected X" + "but found Y" read as one sentence
            problem = f"{error.context}, {problem}"
        return _raise(f"invalid YAML: {problem}", position)
    except YAMLError as error:  # composer errors without a mark (e.g. several documents in one file)
        return _raise(f"invalid YAML: {error}", (1, 1))
    document = YamlDocument(path=path, data=None)
    if node is not None:
        document.positions[()] = _position(node)
        document.data = _build(node, (), document, _Expansion())
    return document


class _Expansion:
    """How many values a document has built, and which nodes enclose the one being built (a cycle is an error)."""

    def __init__(self) -> None:
        self.values = 0
        self.open: set[int] = set()

    def enter(self, node: Any) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            _raise(
                f"this file expands to more than {MAX_VALUES} values through its aliases (*name): "
                "write the values out, or use fewer nested aliases",
                _position(node),
            )
        if id(node) in self.open:
            _raise("an alias refers to a value that contains it (a recursive alias)", _position(node))


def _raise(message: str, position: Position) -> YamlDocument:
    raise YamlSyntaxError(message, position)


def _position(node: Any) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: Any, at: FieldPath, document: YamlDocument, expansion: _Expansion) -> Any:
    expansion.enter(node)
    kind = node.id
    if kind == "scalar":
        return _scalar(node)
    expansion.open.add(id(node))
    try:
        return (
            _build_sequence(node, at, document, expansion)
            if kind == "sequence"
            else _build_mapping(node, at, document, expansion)
        )
    finally:
        expansion.open.discard(id(node))


def _build_sequence(node: Any, at: FieldPath, document: YamlDocument, expansion: _Expansion) -> list[Any]:
    items = []
    for index, child in enumerate(node.value):
        document.positions[(*at, index)] = _position(child)
        items.append(_build(child, (*at, index), document, expansion))
    return items


def _build_mapping(node: Any, at: FieldPath, document: YamlDocument, expansion: _Expansion) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    merges: list[tuple[Any, Position]] = []
    for key_node, value_node in node.value:
        key = _scalar(key_node) if key_node.id == "scalar" else str(_build(key_node, at, document, expansion))
        key = key if isinstance(key, str) else str(key)
        if key == "<<" and key_node.ctag.suffix == _PLAIN:
            merges.append((value_node, _position(key_node)))
            continue
        here = (*at, key)
        if key in mapping:
            document.duplicates.append((here, _position(key_node)))
            continue
        document.positions[here] = _position(key_node)
        mapping[key] = _build(value_node, here, document, expansion)
    for value_node, position in merges:
        _merge_into(mapping, value_node, at, position, document, expansion)
    return mapping


def _merge_into(
    mapping: dict[str, Any], node: Any, at: FieldPath, position: Position, document: YamlDocument, expansion: _Expansion
) -> None:
    """A YAML merge key (`<<: *defaults`): keys written in the mapping itself win over merged ones."""
    sources = node.value if node.id == "sequence" else [node]
    scratch = YamlDocument(path=document.path, data=None)  # merged content's own positions are not wanted
    for source in sources:
        merged = _build(source, (), scratch, expansion)
        if not isinstance(merged, dict):
            continue
        for key, value in merged.items():
            if key not in mapping:
                mapping[key] = value
                document.positions[(*at, key)] = position


_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_FLOAT_WORDS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}


def _scalar(node: Any) -> Any:
    tag, value = node.ctag.suffix, node.value
    if tag == _PLAIN:
        return _plain(value)
    if not isinstance(tag, str) or not tag.startswith("tag:yaml.org,2002:"):
        return value  # !custom tags and !!str: kept as written
    # An explicit standard tag (`!!int "3"`): convert as the tag says, through the same rules.
    kind = tag.rsplit(":", 1)[1]
    converted = _plain(value)
    wanted = {"int": int, "float": float, "bool": bool, "null": type(None)}.get(kind)
    return converted if wanted is not None and isinstance(converted, wanted) else value


def _plain(value: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema: null, bool, int, float, else the string itself."""
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if value[0].isalpha():
        return value  # most values: no number starts with a letter
    if _INT.fullmatch(value):
        return int(value[2:], 8) if value.startswith("0o") else int(value, 0 if value.startswith("0x") else 10)
    if _FLOAT.fullmatch(value):
        return float(value)
    lowered = value.lower()
    return _FLOAT_WORDS.get(lowered, value)
