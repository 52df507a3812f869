#!/usr/bin/env python
"""Regenerate src/agentform/data/fieldtree.json from the official SDK's pydantic models.

Run with the dev dependencies installed (`pip install -e '.[dev]'`):

    python scripts/gen_fieldtree.py            # writes the data file
    python scripts/gen_fieldtree.py --check    # exits 1 if the committed file is out of date

The tree records field names only (see agentform/project/fieldtree.py for the node shapes). The SDK is imported
here, at development time, and never by agentform at run time.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path

import pydantic

OUT = Path(__file__).resolve().parent.parent / "src" / "agentform" / "data" / "fieldtree.json"


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
            return self.node(args[0]) if args else None
        if origin is dict:
            args = typing.get_args(annotation)
            return {"m": self.node(args[1])} if len(args) == 2 else {"m": None}
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            return self.model(annotation)
        return None

    def model(self, model: type[pydantic.BaseModel]) -> typing.Any:
        name = model.__name__
        if name not in self.defs:
            self.defs[name] = None  # placeholder: recursion lands on the reference
            fields = {key: self.node(field.annotation) for key, field in _fields(model).items()}
            # A model with no declared fields (e.g. VadConfig) is free-form: nothing to check inside.
            self.defs[name] = {"f": fields} if fields else None
        return {"$": name}

    def union(self, members: tuple[typing.Any, ...], discriminant: str | None) -> typing.Any:
        members = tuple(m for m in members if m is not type(None))
        models = [m for m in members if isinstance(m, type) and issubclass(m, pydantic.BaseModel)]
        if len(members) == 1 or not models:
            nodes = [n for n in (self.node(m) for m in members) if n is not None]
            return nodes[0] if len(nodes) == 1 else None
        references = [self.model(model) for model in models]
        # Fern tags its unions (UnionMetadata); untagged unions of variants with one literal each are tagged too.
        discriminant = discriminant or _common_literal(models)
        if not discriminant:
            return {"u": references}
        variants = {
            value: reference
            for model, reference in zip(models, references, strict=True)
            for value in _literal_values(_fields(model).get(discriminant))
        }
        return {"d": discriminant, "v": variants, "u": references}


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


def build() -> dict[str, typing.Any]:
    import elevenlabs

    builder = Builder()
    tree_roots = {name: builder.node(annotation) for name, annotation in roots().items()}
    defs = {name: node for name, node in sorted(builder.defs.items()) if node is not None}
    # References to free-form models (dropped above) become leaves.
    text = json.dumps({"roots": tree_roots, "defs": defs})
    for name, node in builder.defs.items():
        if node is None:
            text = text.replace(json.dumps({"$": name}), "null")
    data = json.loads(text)
    return {"sdk_version": elevenlabs.__version__ if hasattr(elevenlabs, "__version__") else _sdk_version(), **data}


def _sdk_version() -> str:
    from importlib.metadata import version

    return version("elevenlabs")


def render(tree: dict[str, typing.Any]) -> str:
    return json.dumps(tree, indent=None, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed tree is out of date")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python scripts/gen_fieldtree.py", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    tree = json.loads(text)
    print(f"wrote {args.out} ({len(text)} bytes, {len(tree['defs'])} models, SDK {tree['sdk_version']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
