"""The document's validator answers as the API does: for models of the shapes ElevenLabs' document uses, its 422
items (loc, msg, type) equal pydantic's own for the same JSON (pydantic is what the API validates with), and strict
mode judges values as a project file writes them."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from agentform.openapi import Validator


class Webhook(BaseModel):
    type: Literal["webhook"] = "webhook"
    url: str
    timeout: int = Field(20, ge=1, le=120)


class Client(BaseModel):
    type: Literal["client"] = "client"
    expects_response: bool = False


class Body(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    temperature: float | None = None
    tags: list[str] = Field(default_factory=list, max_length=2)
    tool: Annotated[Webhook | Client, Field(discriminator="type")] | None = None
    mode: Literal["turn", "silence"] = "turn"
    headers: dict[str, str] = Field(default_factory=dict)


CASES = [
    {},
    {"name": ""},
    {"name": "a", "temperature": "hot"},
    {"name": "a", "temperature": "0.5", "tags": "x"},
    {"name": "a", "tags": ["a", "b", "c"]},
    {"name": "a", "tags": [1]},
    {"name": "a", "tool": {"url": "u"}},
    {"name": "a", "tool": {"type": "mcp"}},
    {"name": "a", "tool": {"type": "webhook"}},
    {"name": "a", "tool": {"type": "webhook", "url": "u", "timeout": 0}},
    {"name": "a", "tool": {"type": "client", "expects_response": "maybe"}},
    {"name": "a", "tool": "webhook"},
    {"name": "a", "mode": "loud"},
    {"name": "a", "headers": {"x": 1}},
    {"name": "a", "headers": []},
    {"name": 5, "temperature": [], "unknown": True},
]


def _pydantic(body: dict) -> list[dict]:
    try:
        Body.model_validate_json(json.dumps(body))
    except ValidationError as error:
        return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    return []


@pytest.mark.parametrize("body", CASES, ids=json.dumps)
def test_the_validator_reports_what_pydantic_reports(body):
    schema = Body.model_json_schema()
    validator = Validator(schema.get("$defs", {}), lax=True)

    ours = [failure.detail() for failure in validator.validate(schema, body)]

    assert sorted(ours, key=json.dumps) == sorted(_pydantic(body), key=json.dumps)


def test_strict_mode_takes_kinds_as_written_and_leaves_variables_to_substitution():
    schema = Body.model_json_schema()
    strict = Validator(schema.get("$defs", {}), lax=False, opaque=lambda value: "${" in value)

    found = strict.validate(
        schema, {"name": "a", "temperature": "0.5", "tool": {"type": "webhook", "url": "u", "timeout": "${T}"}}
    )

    assert [(f.loc, f.type) for f in found] == [(("temperature",), "float_type")]
