"""A resource's API body checked against ElevenLabs' OpenAPI document (shipped as data, `agentform.openapi`):
required fields, union variants (tool `type`, workflow node and edge kinds, test kinds, evaluation criteria), enums,
kinds, array items and bounds, each per variant. The emulator judges requests with the same document.

It judges the body a resource will send (prompt placed, shorthands expanded, variables substituted) and complements
the field tree (`fieldtree.py`), which judges keys and kinds as written; the caller drops what the field tree already
reported at the same field or above it. Keys the document lacks are never reported here: the API ignores them and
the field tree warns. An enum value the document does not list is a warning (an error only when it looks like a
typo): the live API gains values, LLM names above all, before the document does. Messages name what is expected,
never the value.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from agentform.openapi import Failure, Validator, load_document
from agentform.project.values import LISTED_VALUES, Problem, expected, typo_of
from agentform.project.variables import has_reference

# The operation (by `operationId`) each kind of resource is created with; its JSON body is what the resource is
# checked against.
CREATE_OPERATIONS = {
    "agent": "create_agent_route",
    "tool": "add_tool_route",
    "test": "create_agent_response_test_route",
}
_KINDS = {
    "string_type": "string",
    "int_type": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "bool_type": "boolean",
    "list_type": "list",
    "dict_type": "object",
    "model_type": "object",
    "none_required": "null",
}
SOURCE = "ElevenLabs' OpenAPI document"


def body_problems(kind: str, body: dict[str, Any]) -> list[Problem]:
    """What the document says is wrong with the create body of a resource of `kind` (agent, tool, test)."""
    validator, schema = _checker(kind)
    found: dict[tuple[str | int, ...], Problem] = {}
    for failure in validator.validate(schema, body):
        problem = _problem(failure, body)
        found.setdefault(problem.at, problem)
    return list(found.values())


@cache
def _checker(kind: str) -> tuple[Validator, dict[str, Any]]:
    document = load_document()
    operation = document.named(CREATE_OPERATIONS[kind])
    assert operation is not None, f"the shipped document lacks {CREATE_OPERATIONS[kind]}"
    schema = operation.body_schema("application/json") or {}
    # Files say what they send: no lax coercion; a value still holding a variable is judged after substitution.
    return Validator(document.schemas, lax=False, opaque=_holds_variable), schema


def _holds_variable(value: Any) -> bool:
    return isinstance(value, str) and has_reference(value)


def _problem(failure: Failure, body: dict[str, Any]) -> Problem:
    at = failure.loc
    if failure.type == "missing":
        return Problem(at, "error", f"required key is missing ({SOURCE})", "key")
    if failure.type == "union_tag_not_found":
        return Problem((*at, failure.tag), "error", f"required key is missing: the kind, {_one_of(failure)}", "key")
    if failure.type in ("union_tag_invalid", "enum", "literal_error"):
        return _unknown_value(failure, _value_at(body, at))
    if failure.type in _KINDS:
        return Problem(at, "error", expected([_KINDS[failure.type]], _value_at(body, at)))
    return Problem(at, "error", f"{failure.msg} ({SOURCE})")


def _unknown_value(failure: Failure, value: Any) -> Problem:
    known = list(failure.expected)
    guess = typo_of(value, known) if isinstance(value, str) else None
    if guess is not None:
        return Problem(failure.loc, "error", f"unknown value (did you mean {guess!r}?)")
    if failure.type == "union_tag_invalid" or not isinstance(value, str):
        # A variant the document does not have cannot be sent: the API rejects an unknown tag.
        return Problem(failure.loc, "error", f"unknown value: expected {_one_of(failure)}")
    return Problem(failure.loc, "warning", f"unknown value: not {_one_of(failure)} ({SOURCE}); newer value or typo?")


def _one_of(failure: Failure) -> str:
    known = failure.expected
    if len(known) <= LISTED_VALUES:
        return "one of " + ", ".join(repr(k) for k in known)
    return f"one of the {len(known)} values"


def _value_at(body: Any, at: tuple[str | int, ...]) -> Any:
    for segment in at:
        try:
            body = body[segment]
        except (KeyError, IndexError, TypeError):
            return None
    return body
