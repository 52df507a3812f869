#!/usr/bin/env python
"""Regenerate src/agentform/data/fieldtree.json from the official SDK's pydantic models.

Run with the dev dependencies installed (`pip install -e '.[dev]'`):

    python scripts/gen_fieldtree.py            # writes the data file
    python scripts/gen_fieldtree.py --check    # exits 1 if the committed file is out of date

The tree records field names, each leaf's value kinds and the SDK's known enum values (see
agentform/project/fieldtree.py for the node shapes, decision 0016). The SDK is imported here, at development time,
and never by agentform at run time. Field names that only the live API knows are merged in from
scripts/data/openapi-fieldtree.json (derived from ElevenLabs' CLI OpenAPI document by scripts/openapi_fieldtree.py)
when that file exists, without types; the SDK's structure wins where the two disagree, and a field the SDK calls a
scalar but the OpenAPI document a structure is left unchecked.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path

import pydantic

from agentform.project.fieldtree import structured

OUT = Path(__file__).resolve().parent.parent / "src" / "agentform" / "data" / "fieldtree.json"
OPENAPI_TREE = Path(__file__).resolve().parent / "data" / "openapi-fieldtree.json"


def roots() -> dict[str, typing.Any]:
    """The API sections agentform files contain, by the names the loader asks for."""
    from elevenlabs.conversational_ai.tests.types.tests_create_request_body import TestsCreateRequestBody
    from elevenlabs.types import (
        AgentPlatformSettingsRequestModel,
        AgentWorkflowRequestModel,
        ConversationalConfig,
        ConversationHistoryTranscriptCommonModelInput,
        ToolRequestModel,
        ToolResponseMockConfigInput,
    )

    return {
        "conversation_config": ConversationalConfig,
        "platform_settings": AgentPlatformSettingsRequestModel,
        "workflow": AgentWorkflowRequestModel,
        "tool_config": ToolRequestModel.model_fields["tool_config"].annotation,
        "response_mock": ToolResponseMockConfigInput,
        "test_body": TestsCreateRequestBody,
        "transcript_item": ConversationHistoryTranscriptCommonModelInput,
    }


class Builder:
    def __init__(self) -> None:
        self.defs: dict[str, typing.Any] = {}

    def node(self, annotation: typing.Any) -> typing.Any:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            inner, *meta = typing.get_args(annotation)
            discriminant = next((m.discriminant for m in meta if hasattr(m, "discriminant")), None)
            return self.union(typing.get_args(inner), discriminant) if _is_union(inner) else self.node(inner)
        if _is_union(annotation):
            return self.union(typing.get_args(annotation), None)
        if origin in (list, set, tuple, typing.Sequence):
            args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
            item = self.node(args[0]) if args else None
            # Lists of objects stay transparent (as the OpenAPI tree has them); lists of scalars are typed.
            return item if structured(item) else {"l": item}
        if origin is dict:
            args = typing.get_args(annotation)
            return {"m": self.node(args[1]) if len(args) == 2 else None, "o": 1}
        if origin is typing.Literal:
            return _literal_leaf(typing.get_args(annotation))
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            return self.model(annotation)
        return _scalar_leaf(annotation)

    def model(self, model: type[pydantic.BaseModel]) -> typing.Any:
        name = model.__name__
        if name not in self.defs:
            self.defs[name] = None  # placeholder: recursion lands on the reference
            fields = {key: self.node(field.annotation) for key, field in _fields(model).items()}
            # A model with no declared fields (e.g. VadConfig) is free-form: nothing to check inside.
            self.defs[name] = {"f": fields, "o": 1} if fields else None
        return {"$": name}

    def union(self, members: tuple[typing.Any, ...], discriminant: str | None) -> typing.Any:
        nullable = type(None) in members
        members = tuple(m for m in members if m is not type(None))
        if typing.Any in members:
            # The SDK's open enums are `Union[Literal[...], Any]`: the literals are the known values of a string.
            literals = [m for m in members if typing.get_origin(m) is typing.Literal]
            if len(literals) + 1 != len(members):
                return None
            members = tuple(literals)
            if not members:
                return None
        models = [m for m in members if isinstance(m, type) and issubclass(m, pydantic.BaseModel)]
        # `Literal['low'] | Literal['high']` is one set of known values.
        literals = tuple(v for m in members if typing.get_origin(m) is typing.Literal for v in typing.get_args(m))
        others = [self.node(m) for m in members if m not in models and typing.get_origin(m) is not typing.Literal]
        others += [_literal_leaf(literals)] if literals else []
        alternatives = [*([_merge_leaves(others, nullable)] if others else []), *self.models(models, discriminant)]
        return alternatives[0] if len(alternatives) == 1 else {"a": alternatives}

    def models(self, models: list[type[pydantic.BaseModel]], discriminant: str | None) -> list[typing.Any]:
        """The node for a union of models (none or one node)."""
        if len(models) <= 1:
            return [self.model(model) for model in models]
        references = [self.model(model) for model in models]
        # Fern tags its unions (UnionMetadata); untagged unions of variants with one literal each are tagged too.
        discriminant = discriminant or _common_literal(models)
        if not discriminant:
            return [{"u": references, "o": 1}]
        variants = {
            value: reference
            for model, reference in zip(models, references, strict=True)
            for value in _literal_values(_fields(model).get(discriminant))
        }
        return [{"d": discriminant, "v": variants, "u": references, "o": 1}]


# JSON kinds of a leaf value, in the order messages list them.
KINDS = ("string", "integer", "number", "boolean", "list", "object", "null")
# A model without declared fields: any mapping.
FREE_FORM = {"t": ["object", "null"]}
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _scalar_leaf(annotation: typing.Any) -> typing.Any:
    """`str`, `int`, `float`, `bool` -> a typed leaf; anything else (`Any`, dates, ...) is unchecked."""
    kind = _SCALARS.get(annotation) if isinstance(annotation, type) else None
    return {"t": [kind]} if kind else None


def _literal_leaf(values: tuple[typing.Any, ...]) -> dict[str, typing.Any]:
    kinds = sorted({_SCALARS.get(type(v), "string") for v in values}, key=KINDS.index)
    # A single literal is a union's tag (the variant is chosen by it) or a constant: its kind is what matters.
    return {"t": kinds, "e": [v for v in values]} if len(values) > 1 else {"t": kinds}


def _merge_leaves(nodes: list[typing.Any], nullable: bool) -> typing.Any:
    """One node for the non-model members of a union: the scalar kinds together, with the known values of its
    strings (dropped when any string is allowed), beside any list or map member. Unchecked if any member is."""
    if any(n is None for n in nodes):
        return None
    scalars = [n for n in nodes if "t" in n]
    others = [n for n in nodes if "t" not in n]
    if not scalars and not nullable:
        return others[0] if len(others) == 1 else {"a": others}
    kinds = {kind for n in scalars for kind in n["t"]} | ({"null"} if nullable else set())
    leaf: dict[str, typing.Any] = {"t": sorted(kinds, key=KINDS.index)}
    values = [v for n in scalars for v in n.get("e", [])]
    if values and not any("string" in n["t"] and "e" not in n for n in scalars):
        leaf["e"] = list(dict.fromkeys(values))
    if not others:
        return leaf
    # Lists and maps accept null themselves; a nullable scalar part alone is kept as a null leaf.
    return {"a": [leaf, *others]} if scalars else (others[0] if len(others) == 1 else {"a": others})


def _fields(model: type[pydantic.BaseModel]) -> dict[str, typing.Any]:
    return {field.alias or key: field for key, field in model.model_fields.items()}


def _is_union(annotation: typing.Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _literal_values(field: typing.Any) -> list[str]:
    if field is None:
        return []
    annotation = field.annotation
    if _is_union(annotation):
        annotation = next((a for a in typing.get_args(annotation) if a is not type(None)), annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    return []


def _common_literal(models: list[type[pydantic.BaseModel]]) -> str | None:
    """A key that every variant declares as a single literal value: the union's tag."""
    for key in _fields(models[0]):
        if all(len(_literal_values(_fields(m).get(key))) == 1 for m in models):
            return key
    return None


def build(openapi: dict[str, typing.Any] | None = None) -> dict[str, typing.Any]:
    builder = Builder()
    tree_roots = {name: builder.node(annotation) for name, annotation in roots().items()}
    text = json.dumps({"roots": tree_roots, "defs": builder.defs})
    for name, node in builder.defs.items():  # references to free-form models become leaves
        if node is None:
            text = text.replace(json.dumps({"$": name}), json.dumps(FREE_FORM))
    data = json.loads(text)
    data["defs"] = {name: node for name, node in data["defs"].items() if node is not None}
    if openapi is not None:
        data = Merger(data["defs"], openapi["defs"]).tree(data["roots"], openapi["roots"])
    data["defs"] = _reachable(data["roots"], data["defs"])
    return {"sdk_version": _sdk_version(), "openapi": openapi is not None, **data}


class Merger:
    """Adds the OpenAPI tree's field names to the SDK tree. Where the shapes disagree the SDK wins, and a field
    the SDK leaves unchecked stays unchecked: the merge only ever turns warnings into silence."""

    def __init__(self, sdk_defs: dict[str, typing.Any], openapi_defs: dict[str, typing.Any]) -> None:
        self.sdk, self.openapi = sdk_defs, openapi_defs
        self.defs: dict[str, typing.Any] = {**sdk_defs, **openapi_defs}

    def tree(self, sdk_roots: dict[str, typing.Any], openapi_roots: dict[str, typing.Any]) -> dict[str, typing.Any]:
        merged = {name: self.merge(node, openapi_roots.get(name)) for name, node in sdk_roots.items()}
        return {"roots": merged, "defs": self.defs}

    def merge(self, sdk: typing.Any, openapi: typing.Any) -> typing.Any:
        if sdk is None or openapi is None:
            return sdk
        if "t" in sdk or "a" in sdk:
            # A scalar for the SDK, a structure for the live API: the API changed; leave it unchecked.
            return None if "t" in sdk and not _free_form_match(sdk, openapi) else sdk
        if "l" in sdk:
            return {"l": self.merge(sdk["l"], openapi.get("l", openapi))}
        if "$" in sdk or "$" in openapi:
            name = f"{sdk.get('$', '~')}|{openapi.get('$', '~')}"
            if name not in self.defs:
                self.defs[name] = None  # placeholder: recursive models land on the reference
                self.defs[name] = self.merge(self._resolve(sdk), self._resolve(openapi))
            return {"$": name} if self.defs[name] is not None else None
        if "m" in sdk or "m" in openapi:
            return {**sdk, "m": self.merge(sdk["m"], openapi["m"])} if "m" in sdk and "m" in openapi else sdk
        if "d" in sdk:
            theirs = openapi.get("v", {}) if openapi.get("d") == sdk["d"] else {}
            variants = {tag: self.merge(node, theirs.get(tag)) for tag, node in sdk["v"].items()}
            variants.update({tag: node for tag, node in theirs.items() if tag not in variants})
            members = list({json.dumps(v, sort_keys=True): v for v in variants.values() if v is not None}.values())
            return {"d": sdk["d"], "v": variants, "u": members, "o": 1}
        if "u" in sdk:
            return sdk
        ours, theirs = sdk.get("f", {}), self._fields(openapi)
        fields = {key: self.merge(node, theirs.get(key)) for key, node in ours.items()}
        fields.update({key: node for key, node in theirs.items() if key not in fields})
        return {"f": fields, "o": 1}

    def _resolve(self, node: typing.Any) -> typing.Any:
        seen = set()
        while isinstance(node, dict) and "$" in node and node["$"] not in seen:
            seen.add(node["$"])
            node = self.defs.get(node["$"])
        return node

    def _fields(self, node: typing.Any) -> dict[str, typing.Any]:
        node = self._resolve(node)
        if not isinstance(node, dict):
            return {}
        if "f" in node:
            return node["f"]
        fields: dict[str, typing.Any] = {}
        for member in node.get("u", []):
            for key, child in self._fields(member).items():
                fields.setdefault(key, child)
        return fields


def _free_form_match(sdk: dict[str, typing.Any], openapi: typing.Any) -> bool:
    """An SDK model without fields is a mapping, and so is any OpenAPI structure: the SDK's leaf stands."""
    return sdk == FREE_FORM and isinstance(openapi, dict)


def _reachable(tree_roots: dict[str, typing.Any], defs: dict[str, typing.Any]) -> dict[str, typing.Any]:
    """Only the definitions the roots lead to, sorted; dangling references become leaves."""
    keep: dict[str, typing.Any] = {}
    pending = [tree_roots]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            name = item.get("$")
            if isinstance(name, str) and name not in keep and defs.get(name) is not None:
                keep[name] = defs[name]
                pending.append(defs[name])
            pending.extend(v for k, v in item.items() if k != "$")
        elif isinstance(item, list):
            pending.extend(item)
    return dict(sorted(keep.items()))


def _sdk_version() -> str:
    from importlib.metadata import version

    return version("elevenlabs")


def render(tree: dict[str, typing.Any]) -> str:
    return json.dumps(tree, indent=None, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed tree is out of date")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-openapi", action="store_true", help=f"ignore {OPENAPI_TREE.name}")
    args = parser.parse_args(argv)
    openapi = None if args.no_openapi or not OPENAPI_TREE.exists() else json.loads(OPENAPI_TREE.read_text())
    text = render(build(openapi))
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python scripts/gen_fieldtree.py", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    tree = json.loads(text)
    source = f" + {OPENAPI_TREE.name}" if openapi else ""
    print(f"wrote {args.out} ({len(text)} bytes, {len(tree['defs'])} models, SDK {tree['sdk_version']}{source})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
