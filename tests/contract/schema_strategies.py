"""Hypothesis strategies for values that fit a schema of the shipped OpenAPI document, and mutations that break one.

Valid values: every required property, and optional ones near the top (deep optional structures add nothing but
time); tagged unions pick a tag; strings honour lengths and patterns; numbers their bounds. Mutations make one
change the document forbids: drop a required key, or put a value of the wrong kind where a typed one is.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from agentform.openapi import Validator

# Optional properties are generated down to this depth; deeper objects carry their required ones only.
OPTIONAL_DEPTH = 2
# Wrong-kind replacements per JSON kind, none of which pydantic's lax mode would coerce into that kind.
WRONG_KIND = {
    "string": 12345,
    "integer": "not a number",
    "number": "not a number",
    "boolean": "not a boolean",
    "array": "not a list",
    "object": "not an object",
}


def values(validator: Validator, schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that fit `schema`."""
    schema = validator.resolve(schema)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    members = schema.get("oneOf") or schema.get("anyOf")
    if members:
        discriminator = schema.get("discriminator")
        if discriminator:
            # The tag must be present even where the variant gives it a default (pydantic reads it first).
            variants, key = validator.variants(members, discriminator), discriminator["propertyName"]
            return st.sampled_from(sorted(variants)).flatmap(
                lambda tag: values(validator, variants[tag], depth).map(lambda value: {**value, key: tag})
            )
        concrete = [m for m in members if validator.resolve(m).get("type") != "null"] or members
        return st.sampled_from(concrete).flatmap(lambda member: values(validator, member, depth))
    if "allOf" in schema:
        return values(validator, schema["allOf"][0], depth)
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), "null") if isinstance(kind, list) else kind
    return _of_kind(validator, kind, schema, depth)


def _of_kind(validator: Validator, kind: str | None, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if kind == "object":
        return _object(validator, schema, depth)
    if kind == "array":
        items = schema.get("items") or {}
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 2), low + 2)
        return st.lists(values(validator, items, depth + 1), min_size=low, max_size=high)
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        low, high = _bounds(schema, integer=True)
        return st.integers(min_value=low, max_value=high)
    if kind == "number":
        low, high = _bounds(schema, integer=False)
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.one_of(st.none(), st.text(max_size=5), st.integers(0, 9))


def _object(validator: Validator, schema: dict[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    # A constant (a union member's tag) is always sent, as the SDK sends its discriminators.
    constants = [name for name, prop in properties.items() if "const" in validator.resolve(prop)]
    required = [name for name in properties if name in schema.get("required", []) or name in constants]
    optional = [name for name in properties if name not in required] if depth < OPTIONAL_DEPTH else []
    fixed = st.fixed_dictionaries(
        {name: values(validator, properties[name], depth + 1) for name in required},
        optional={name: values(validator, properties[name], depth + 1) for name in optional},
    )
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and depth < OPTIONAL_DEPTH:
        keys = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
        more = st.dictionaries(keys, values(validator, extra, depth + 1), max_size=2)
        return st.tuples(more, fixed).map(lambda pair: {**pair[0], **pair[1]})
    return fixed


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 20), 20)
    pattern = schema.get("pattern")
    if pattern:
        return st.from_regex(pattern, fullmatch=True).filter(
            lambda text: low <= len(text) <= schema.get("maxLength", 10**6)
        )
    return st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs"]), min_size=low, max_size=max(low, high))


def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[float | None, float | None]:
    low, high = schema.get("minimum"), schema.get("maximum")
    step = 1 if integer else 1e-6
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    if integer:
        low = None if low is None else int(low)
        high = None if high is None else int(high)
    return low, high


def mutations(validator: Validator, schema: dict[str, Any], value: Any) -> list[tuple[str, Any]]:
    """(what was changed, the changed value) for each single change to `value` that `schema` forbids."""
    found: list[tuple[str, Any]] = []
    _mutate(validator, schema, value, (), found)
    return found


def _mutate(validator: Validator, schema: dict[str, Any], value: Any, at: tuple, found: list) -> None:
    schema = validator.resolve(schema)
    members = schema.get("oneOf") or schema.get("anyOf")
    if members:
        if schema.get("discriminator") and isinstance(value, dict):
            variants = validator.variants(members, schema["discriminator"])
            chosen = variants.get(value.get(schema["discriminator"]["propertyName"]))
            if chosen is not None:
                _mutate(validator, chosen, value, at, found)
        # Untagged: only a member that a constant in the value singles out (a test's `type`) is certain to be the
        # one judged; elsewhere another member might take the changed value.
        tagged = [member for member in members if validator.fit_rank(member, value) == 0]
        if len(tagged) == 1:
            _mutate(validator, tagged[0], value, at, found)
        return
    kind = schema.get("type")
    if isinstance(kind, str) and kind in WRONG_KIND and "const" not in schema and "enum" not in schema:
        found.append((f"{_dotted(at)} of the wrong kind", (at, WRONG_KIND[kind])))
    if kind == "object" and isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name in value:
                found.append((f"{_dotted((*at, name))} removed", ((*at, name), _REMOVED)))
        for name, child in value.items():
            if name in properties:
                _mutate(validator, properties[name], child, (*at, name), found)


_REMOVED = object()


def apply(value: Any, change: tuple[tuple, Any]) -> Any:
    """A deep copy of `value` with one change from `mutations` made."""
    at, replacement = change
    if not at:
        return replacement
    changed = copy.deepcopy(value)
    parent = changed
    for segment in at[:-1]:
        parent = parent[segment]
    if replacement is _REMOVED:
        del parent[at[-1]]
    else:
        parent[at[-1]] = replacement
    return changed


def _dotted(at: tuple) -> str:
    return ".".join(map(str, at)) or "the body"
