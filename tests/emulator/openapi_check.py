"""Second response contract: the 200 schema of each operation in ElevenLabs' OpenAPI document, as shipped in the
package (`agentform/data/openapi-convai.json`, see scripts/openapi_schema.py). Every emulator response the
emulator's tests receive is validated against it as well as against the SDK's response model.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from agentform.openapi import Validator, load_document

# Where the two sources disagree, the SDK (newer in these respects) wins: (JSON path regex, error type).
KNOWN_DIVERGENCES = [
    # The SDK's TestRunStatus has `cancelled` (and the cancel endpoint); CLI 1.3.2's document has neither.
    (re.compile(r"^test_runs\.\d+\.status$"), "enum"),
]


@cache
def _validator() -> Validator:
    return Validator(load_document().schemas, lax=False)


@cache
def _operations() -> dict[tuple[str, str], Any]:
    return {(op.method, _shape(op.template)): op for op in load_document().operations}


def _shape(template: str) -> str:
    return re.sub(r"\{[^/]+\}", "{}", template)


def check_openapi(method: str, template: str, body: Any) -> None:
    """Validate one 2xx JSON body against the document's 200 response schema for the operation."""
    operation = _operations().get((method, _shape(template)))
    if operation is None or not operation.response_schema:
        return  # the SDK has endpoints the document lacks (GET deployments, cancel); the SDK model still applies
    failures = [
        failure
        for failure in _validator().validate(operation.response_schema, body)
        if not any(
            where.match(".".join(map(str, failure.loc))) and failure.type == kind for where, kind in KNOWN_DIVERGENCES
        )
    ]
    assert not failures, f"{method} {template} vs OpenAPI: " + "; ".join(
        f"{'.'.join(map(str, f.loc))}: {f.msg[:200]}" for f in failures[:5]
    )
