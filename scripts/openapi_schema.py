#!/usr/bin/env python
"""Extract the ConvAI part of ElevenLabs' OpenAPI document into the compact schema agentform ships.

The document comes from ElevenLabs' CLI (the npm package `@elevenlabs/cli-linux-x64` prints it with
`--spec-raw`; see `scripts/openapi_fieldtree.py`, whose `fetch_spec` this reuses). This script keeps every path
under `/v1/convai` and every component schema those paths reach, drops what does not decide validity (titles,
descriptions, examples, defaults, vendor extensions), repairs the document's broken references explicitly and
writes `src/agentform/data/openapi-convai.json` with the source recorded. `agentform validate` and the emulator's
request validation both read that file (see `agentform/openapi/`).

    python scripts/openapi_schema.py                    # npm pack + run the binary (needs npm and the registry)
    python scripts/openapi_schema.py --spec spec.json   # from a document you already have
    python scripts/openapi_schema.py --spec spec.json --check   # exit 1 if the shipped file differs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from openapi_fieldtree import PACKAGE, fetch_spec

OUT = Path(__file__).resolve().parent.parent / "src" / "agentform" / "data" / "openapi-convai.json"
PREFIX = "/v1/convai"
METHODS = ("get", "post", "put", "patch", "delete")
# Keys of a schema object that decide whether a value is valid; everything else is documentation.
SCHEMA_KEYS = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "required",
        "items",
        "prefixItems",
        "additionalProperties",
        "anyOf",
        "oneOf",
        "allOf",
        "discriminator",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
        "format",
        "contentMediaType",
        "readOnly",
    }
)
# Keys whose value is a map of name -> schema (every value is a schema, never documentation).
SCHEMA_MAPS = frozenset({"properties"})
# Keys whose value is a list of schemas.
SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})


def compact(schema: Any) -> Any:
    """A schema with only the keys that decide validity, recursively."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in SCHEMA_KEYS:
            continue
        if key in SCHEMA_MAPS:
            out[key] = {name: compact(child) for name, child in value.items()}
        elif key in SCHEMA_LISTS:
            out[key] = [compact(child) for child in value]
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = compact(value)
        elif key == "discriminator":
            out[key] = {k: v for k, v in value.items() if k in ("propertyName", "mapping")}
        else:
            out[key] = value
    return out


def operation(op: dict[str, Any]) -> dict[str, Any]:
    """The parts of an operation a request is judged by, plus the 200 response schema (for response checks)."""
    out: dict[str, Any] = {"operationId": op.get("operationId")}
    parameters = [
        {"name": p["name"], "in": p["in"], "required": bool(p.get("required")), "schema": compact(p.get("schema", {}))}
        for p in op.get("parameters", [])
        if p.get("in") in ("path", "query")
    ]
    if parameters:
        out["parameters"] = parameters
    body = op.get("requestBody")
    if body:
        out["requestBody"] = {
            "required": bool(body.get("required")),
            "content": {kind: compact(media.get("schema", {})) for kind, media in body.get("content", {}).items()},
        }
    ok = (op.get("responses", {}).get("200", {}).get("content", {}).get("application/json") or {}).get("schema")
    if ok:
        out["response"] = compact(ok)
    return out


def references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[1])
        for child in value.values():
            found |= references(child)
    elif isinstance(value, list):
        for child in value:
            found |= references(child)
    return found


def repair(name: str, schemas: dict[str, Any]) -> str | None:
    """The schema a dangling reference means: `X-Input` / `X-Output` where the document only has `X`."""
    base = name.removesuffix("-Input").removesuffix("-Output")
    return base if base != name and base in schemas else None


def extract(spec: dict[str, Any], source: str) -> dict[str, Any]:
    all_schemas = spec["components"]["schemas"]
    paths = {
        path: {method: operation(item[method]) for method in METHODS if method in item}
        for path, item in sorted(spec["paths"].items())
        if path.startswith(PREFIX)
    }
    schemas: dict[str, Any] = {}
    repairs: dict[str, str] = {}
    pending = references(paths)
    while pending:
        name = pending.pop()
        if name in schemas or name in repairs:
            continue
        if name in all_schemas:
            schemas[name] = compact(all_schemas[name])
            pending |= references(schemas[name])
            continue
        target = repair(name, all_schemas)
        if target is None:
            raise SystemExit(f"unrepairable reference to {name!r}: add a rule to repair()")
        repairs[name] = target
        pending.add(target)
    text = json.dumps({"paths": paths, "schemas": schemas}, sort_keys=True)
    for broken, target in repairs.items():
        text = text.replace(f'"#/components/schemas/{broken}"', f'"#/components/schemas/{target}"')
    body = json.loads(text)
    return {
        "source": source,
        "openapi": spec.get("openapi"),
        "sha256": hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest(),
        "repaired_references": dict(sorted(repairs.items())),
        **body,
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, help="an OpenAPI document already on disk")
    parser.add_argument("--source", help="with --spec: where the document came from, recorded in the file")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the shipped file is out of date")
    args = parser.parse_args(argv)
    if args.spec:
        spec = json.loads(args.spec.read_text())
        source = args.source or f"{args.spec.name} (said to be {PACKAGE} --spec-raw)"
    else:
        with tempfile.TemporaryDirectory() as folder:
            spec = fetch_spec(Path(folder))
            version = json.loads((Path(folder) / "package" / "package.json").read_text())["version"]
        source = f"{PACKAGE} {version} --spec-raw"
    text = render(extract(spec, source))
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python scripts/openapi_schema.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text)
    extracted = json.loads(text)
    print(
        f"wrote {args.out}: {len(extracted['paths'])} paths, {len(extracted['schemas'])} schemas, "
        f"{len(text) // 1024} KB; repaired {extracted['repaired_references']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
