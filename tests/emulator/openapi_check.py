"""Optional second contract: the OpenAPI 3.1 document that ElevenLabs' CLI prints (`elevenlabs --spec-raw`).

The document is not committed (only what is derived from it may be). Point AGENTFORM_OPENAPI_SPEC at a copy to
validate every emulator response against it as well as against the SDK models; without it this check is off.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from typing import Any

SPEC_ENV = "AGENTFORM_OPENAPI_SPEC"

# Where the two sources disagree, the SDK (newer in these respects) wins: (JSON path regex, error text).
KNOWN_DIVERGENCES = [
    # The SDK's TestRunStatus has `cancelled` (and the cancel endpoint); CLI 1.3.2's document has neither.
    (re.compile(r"^test_runs/\d+/status$"), "'cancelled' is not one of"),
]


def _shape(template: str) -> str:
    return re.sub(r"\{[^/]+\}", "{}", template)


@cache
def _spec() -> tuple[dict[str, Any], Any] | None:
    path = os.environ.get(SPEC_ENV)
    if not path:
        return None
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec = json.loads(open(path, encoding="utf-8").read())  # noqa: SIM115 - read once per session
    components = spec["components"]["schemas"]
    # The published document has dangling references; an unknown schema accepts anything.
    text = json.dumps(spec)
    for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)) - set(components):
        components[name] = {}
    registry = Registry().with_resource("urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012))
    operations = {
        (method.upper(), _shape(path)): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
    }
    return operations, registry


def check_openapi(method: str, template: str, body: Any) -> None:
    """Validate one 2xx JSON body against the spec's 200 response schema for the operation, when configured."""
    loaded = _spec()
    if loaded is None:
        return
    operations, registry = loaded
    operation = operations.get((method, _shape(template)))
    if operation is None:
        return  # the SDK has endpoints the document lacks (GET deployments, cancel); the SDK model still applies
    schema = (operation["responses"].get("200", {}).get("content", {}).get("application/json") or {}).get("schema")
    if not schema:
        return
    from jsonschema import Draft202012Validator

    schema = json.loads(json.dumps(schema).replace('"#/components', '"urn:spec#/components'))
    errors = [
        error
        for error in sorted(
            Draft202012Validator(schema, registry=registry).iter_errors(body), key=lambda e: list(e.path)
        )
        if not any(
            where.match("/".join(map(str, error.path))) and text in error.message for where, text in KNOWN_DIVERGENCES
        )
    ]
    assert not errors, f"{method} {template} vs OpenAPI: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:5]
    )
