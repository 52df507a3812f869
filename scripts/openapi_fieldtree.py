#!/usr/bin/env python
"""Derive a field tree (field names only) from the OpenAPI document that ElevenLabs' CLI prints.

The live API is ahead of the SDK; the CLI binary (npm package `@elevenlabs/cli-linux-x64`) embeds a newer,
complete OpenAPI 3.1 document. This script gets that document into a temporary folder (`npm pack`, then the
binary with `--spec-raw` and HOME set to a temporary folder), derives the same node shapes as
`gen_fieldtree.py` for the same roots, and writes `scripts/data/openapi-fieldtree.json`. Only those derived field
names are committed, never the document. `gen_fieldtree.py` merges them into the shipped tree.

    python scripts/openapi_fieldtree.py                 # npm pack + run the binary (needs npm and the registry)
    python scripts/openapi_fieldtree.py --spec spec.json   # from a document you already have
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "data" / "openapi-fieldtree.json"
PACKAGE = "@elevenlabs/cli-linux-x64"

# Request bodies whose parts are our roots: (path, method, property or None for the whole body).
ROOTS = {
    "conversation_config": ("/v1/convai/agents/create", "post", "conversation_config"),
    "platform_settings": ("/v1/convai/agents/create", "post", "platform_settings"),
    "workflow": ("/v1/convai/agents/create", "post", "workflow"),
    "tool_config": ("/v1/convai/tools", "post", "tool_config"),
    "response_mock": ("/v1/convai/tools", "post", "response_mocks"),
    "test_body": ("/v1/convai/agent-testing/create", "post", None),
}


def fetch_spec(folder: Path) -> dict[str, Any]:
    """npm pack the CLI's platform package into `folder`, run its binary, and parse what it prints."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=folder, check=True, capture_output=True)
    archive = next(folder.glob("*.tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    binary = folder / "package" / "elevenlabs"
    binary.chmod(0o755)
    home = folder / "home"
    home.mkdir()
    result = subprocess.run(
        [str(binary), "--spec-raw"], env={**os.environ, "HOME": str(home)}, check=True, capture_output=True
    )
    return json.loads(result.stdout)


class Builder:
    """JSON Schema -> field-tree nodes (see agentform/project/fieldtree.py for the shapes)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.schemas = spec["components"]["schemas"]
        self.defs: dict[str, Any] = {}

    def node(self, schema: dict[str, Any]) -> Any:
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.union(schema[key], schema.get("discriminator"))
        if "allOf" in schema:
            fields: dict[str, Any] = {}
            for part in schema["allOf"]:
                fields.update(self._fields(self.node(part)))
            return {"f": fields} if fields else None
        if schema.get("type") == "array" or "items" in schema:
            return self.node(schema.get("items") or {})
        if "properties" in schema:
            return {"f": {name: self.node(child) for name, child in schema["properties"].items()}}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return {"m": self.node(extra)}
        return None

    def ref(self, ref: str) -> Any:
        name = "oa:" + ref.rsplit("/", 1)[1]
        if name not in self.defs:
            self.defs[name] = None
            schema = self._schema(ref)
            self.defs[name] = self.node(schema) if schema is not None else None
        return {"$": name}

    def union(self, members: list[dict[str, Any]], discriminator: dict[str, Any] | None) -> Any:
        members = [m for m in members if m.get("type") != "null"]
        if len(members) == 1:
            return self.node(members[0])
        refs = [m for m in members if "$ref" in m]
        if not refs:
            return None
        references = [self.ref(m["$ref"]) for m in refs]
        tag = discriminator["propertyName"] if discriminator else self._common_tag(refs)
        if not tag:
            return {"u": references}
        variants = {}
        for member, reference in zip(refs, references, strict=True):
            for value in self._tag_values(member["$ref"], tag, discriminator):
                variants[value] = reference
        return {"d": tag, "v": variants, "u": references}

    def _schema(self, ref: str) -> dict[str, Any] | None:
        """The schema a $ref names. The document has a few dangling refs to `X-Input` / `X-Output` where only
        `X` exists; those resolve to `X`, anything else unknown to None (unchecked)."""
        name = ref.rsplit("/", 1)[1]
        for candidate in (name, name.removesuffix("-Input").removesuffix("-Output")):
            if candidate in self.schemas:
                return self.schemas[candidate]
        return None

    def _tag_values(self, ref: str, tag: str, discriminator: dict[str, Any] | None) -> list[str]:
        if discriminator and "mapping" in discriminator:
            return [value for value, target in discriminator["mapping"].items() if target == ref]
        prop = (self._schema(ref) or {}).get("properties", {}).get(tag, {})
        if "const" in prop:
            return [str(prop["const"])]
        return [str(v) for v in prop.get("enum", [])] if len(prop.get("enum", [])) == 1 else []

    def _common_tag(self, refs: list[dict[str, Any]]) -> str | None:
        first = (self._schema(refs[0]["$ref"]) or {}).get("properties", {})
        for key in first:
            if all(self._tag_values(m["$ref"], key, None) for m in refs):
                return key
        return None

    def _fields(self, node: Any) -> dict[str, Any]:
        while isinstance(node, dict) and "$" in node:
            node = self.defs.get(node["$"])
        return dict(node.get("f", {})) if isinstance(node, dict) else {}


def derive(spec: dict[str, Any]) -> dict[str, Any]:
    builder = Builder(spec)
    roots = {}
    for name, (path, method, prop) in ROOTS.items():
        schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        if prop is not None:
            body = builder.schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
            schema = body["properties"][prop]
        roots[name] = builder.node(schema)
    defs = {name: node for name, node in sorted(builder.defs.items()) if node is not None}
    text = json.dumps({"roots": roots, "defs": defs}, sort_keys=True)
    for name, node in builder.defs.items():  # references to free-form schemas become leaves
        if node is None:
            text = text.replace(json.dumps({"$": name}), "null")
    return {"source": f"{PACKAGE} --spec-raw ({spec.get('openapi')})", **json.loads(text)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, help="an OpenAPI document already on disk")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.spec:
        spec = json.loads(args.spec.read_text())
    else:
        with tempfile.TemporaryDirectory() as folder:
            spec = fetch_spec(Path(folder))
    tree = derive(spec)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(tree, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({len(tree['defs'])} schemas); now run python scripts/gen_fieldtree.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
