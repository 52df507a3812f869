"""The shipped ConvAI OpenAPI schema (`agentform/data/openapi-convai.json`, made by `scripts/openapi_schema.py`):
its operations by method and path, and the checks of a request's path, query and body against one of them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from agentform.openapi.validator import Failure, Validator

DATA_FILE = "data/openapi-convai.json"
_PARAMETER = re.compile(r"\{([^/}]+)\}")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any] = field(repr=False)
    pattern: re.Pattern[str] = field(repr=False)

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    def body_schema(self, content_type: str) -> dict[str, Any] | None:
        """The request body's schema for a media type (`application/json`, `multipart/form-data`)."""
        content = (self.spec.get("requestBody") or {}).get("content", {})
        return content.get(content_type)

    @property
    def body_required(self) -> bool:
        return bool((self.spec.get("requestBody") or {}).get("required"))

    @property
    def response_schema(self) -> dict[str, Any] | None:
        return self.spec.get("response")


class Document:
    def __init__(self, data: dict[str, Any]) -> None:
        self.source: str = data.get("source", "?")
        self.schemas: dict[str, Any] = data.get("schemas", {})
        self.repaired: dict[str, str] = data.get("repaired_references", {})
        self.operations: list[Operation] = sorted(
            (
                Operation(method.upper(), template, spec, _template_pattern(template))
                for template, item in data.get("paths", {}).items()
                for method, spec in item.items()
            ),
            # A literal segment wins over a parameter (`/agents/create` before `/agents/{agent_id}`).
            key=lambda op: (op.template.count("{"), -len(op.template)),
        )
        self.api = Validator(self.schemas, lax=True)

    def schema(self, name: str) -> dict[str, Any]:
        return self.schemas[name]

    def find(self, method: str, path: str) -> Operation | None:
        """The operation a request for `path` (no query) is, or None if the document has no such operation."""
        method = method.upper()
        for operation in self.operations:
            if operation.method == method and operation.pattern.fullmatch(path):
                return operation
        return None

    def named(self, operation_id: str) -> Operation | None:
        """The operation with this `operationId`: how code outside the client names an API operation without its
        URL path (only `elevenlabs/` and `emulator/` spell paths)."""
        for operation in self.operations:
            if operation.spec.get("operationId") == operation_id:
                return operation
        return None

    def check_request(
        self,
        operation: Operation,
        path: str,
        query: Mapping[str, list[str]],
        body: Any,
        content_type: str | None,
    ) -> list[dict[str, Any]]:
        """FastAPI's 422 `detail` items for a request, as the API would judge it (empty when valid).

        `query` maps each key to its values in order; `body` is the parsed JSON, the multipart fields (files as
        bytes), or `None` when the request has none.
        """
        details: list[dict[str, Any]] = []
        match = operation.pattern.fullmatch(path)
        values = match.groupdict() if match else {}
        for parameter in operation.parameters("path"):
            value = values.get(_group(parameter["name"]))
            details += [f.detail("path", parameter["name"]) for f in self.api.validate(parameter["schema"], value)]
        for parameter in operation.parameters("query"):
            details += self._query(parameter, query)
        return details + self._body(operation, body, content_type)

    def _query(self, parameter: dict[str, Any], query: Mapping[str, list[str]]) -> list[dict[str, Any]]:
        name = parameter["name"]
        given = query.get(name)
        if not given:
            if parameter["required"]:
                return [Failure((), "Field required", "missing").detail("query", name)]
            return []
        value: Any = given if _is_array(self.api, parameter["schema"]) else given[-1]
        return [f.detail("query", name) for f in self.api.validate(parameter["schema"], value)]

    def _body(self, operation: Operation, body: Any, content_type: str | None) -> list[dict[str, Any]]:
        if not operation.spec.get("requestBody"):
            return []
        if body is None:
            if operation.body_required:
                return [Failure((), "Field required", "missing").detail("body")]
            return []
        kind = (content_type or "application/json").split(";")[0].strip().lower()
        schema = operation.body_schema(kind)
        if schema is None:
            known = (operation.spec.get("requestBody") or {}).get("content", {})
            schema = next(iter(known.values()), None) if len(known) == 1 else None
        if schema is None:
            return []
        return [f.detail("body") for f in self.api.validate(schema, body)]


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = _PARAMETER.split(template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{_group(part)}>[^/]+)" for index, part in enumerate(parts)
    )
    return re.compile(regex)


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _is_array(validator: Validator, schema: dict[str, Any]) -> bool:
    schema = validator.resolve(schema)
    if schema.get("type") == "array":
        return True
    return any(_is_array(validator, member) for member in schema.get("anyOf", []) + schema.get("oneOf", []))


@cache
def load_document() -> Document:
    """The shipped document, read and indexed on first use."""
    text = resources.files("agentform").joinpath(DATA_FILE).read_text("utf-8")
    return Document(json.loads(text))
