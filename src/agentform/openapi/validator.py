"""A validator for the JSON Schema that ElevenLabs' OpenAPI document uses, with FastAPI's error shape.

The API is a FastAPI service: it judges a request with pydantic's lax mode (a JSON number fits a float field, a
whole float an int field, `"5"` in a query an int), ignores keys it does not declare, and answers 422 with
`{"detail": [{"loc", "msg", "type"}]}`. `Validator(lax=True)` reproduces that from the document, with pydantic's
own messages and types. `lax=False` judges values as written in a project file, where the files say what they
send: JSON kinds only (integers fit numbers, whole floats integers), and values an `opaque` predicate picks (strings
with variable references, judged after substitution) fit any scalar.

Supported: `$ref` (into `schemas`), `type` (one or a list), `properties`, `required`, `additionalProperties`,
`items`, `anyOf` / `oneOf` (tagged by `discriminator`, else the best-fitting member), `allOf`, `enum`, `const`,
number, string and list bounds, `pattern`. `format: binary` strings accept an uploaded file (bytes).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

Loc = tuple[str | int, ...]

_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_TYPE_ERRORS = {
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid array"),
    "object": ("model_type", "Input should be an object"),
    "null": ("none_required", "Input should be null"),
}
_PARSING = {
    "integer": ("int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
    "number": ("float_parsing", "Input should be a valid number, unable to parse string as a number"),
    "boolean": ("bool_parsing", "Input should be a valid boolean, unable to interpret input"),
}
_MISSING = object()


@dataclass(frozen=True)
class Failure:
    """One reason a value does not fit, located by `loc` (keys and list indexes from the validated value)."""

    loc: Loc
    msg: str
    type: str
    # The values that would fit (an enum, a constant, a union's tags), for messages that suggest one.
    expected: tuple[str, ...] = ()
    # For a tagged union: the key whose value names the variant.
    tag: str = ""

    def detail(self, *prefix: str | int) -> dict[str, Any]:
        """The item of FastAPI's 422 `detail` list."""
        return {"loc": [*prefix, *self.loc], "msg": self.msg, "type": self.type}


class Validator:
    def __init__(
        self, schemas: dict[str, Any], *, lax: bool = True, opaque: Callable[[Any], bool] | None = None
    ) -> None:
        self.schemas = schemas
        self.lax = lax
        self.opaque = opaque or (lambda value: False)
        # The API (pydantic) puts a tagged variant's tag into `loc` (`tool_config.webhook.api_schema`) and reports
        # an unknown tag at the union; a file's diagnostics want data paths and the tag's own line instead.
        self.tags_in_loc = lax

    def validate(self, schema: dict[str, Any], value: Any, loc: Loc = ()) -> list[Failure]:
        failures: list[Failure] = []
        self._check(schema, value, loc, failures)
        return failures

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas.get(schema["$ref"].rsplit("/", 1)[1], {})
        return schema

    def _check(self, schema: dict[str, Any], value: Any, loc: Loc, out: list[Failure]) -> None:
        named = "$ref" in schema  # a named enum is a Python Enum to pydantic; an inline one a Literal
        schema = self.resolve(schema)
        for part in schema.get("allOf", ()):
            self._check(part, value, loc, out)
        members = schema.get("oneOf") or schema.get("anyOf")
        if members is not None:
            self._union(members, schema.get("discriminator"), value, loc, out)
            return
        if isinstance(value, str) and self.opaque(value) and schema.get("type") not in ("object", "array"):
            return
        if "const" in schema and value != schema["const"]:
            constant = schema["const"]
            out.append(Failure(loc, f"Input should be {_quoted(constant)}", "literal_error", (str(constant),)))
            return
        if "enum" in schema and value not in schema["enum"]:
            expected = _alternatives([_quoted(v) for v in schema["enum"]])
            error_type = "enum" if named else "literal_error"
            out.append(Failure(loc, f"Input should be {expected}", error_type, tuple(map(str, schema["enum"]))))
            return
        kinds = schema.get("type")
        if kinds is None:
            return
        kinds = [kinds] if isinstance(kinds, str) else kinds
        for kind in kinds:
            fits, converted = self._fits(kind, value, schema)
            if fits:
                self._constraints(kind, schema, converted, loc, out)
                return
        out.append(self._type_failure(kinds[0], value, loc, schema))

    def _fits(self, kind: str, value: Any, schema: dict[str, Any]) -> tuple[bool, Any]:
        """Whether `value` is of `kind` (after lax coercion), and the value to check the constraints on."""
        if kind == "null":
            return value is None, value
        if kind == "object":
            return isinstance(value, dict), value
        if kind == "array":
            return isinstance(value, list), value
        if kind == "string":
            binary = isinstance(value, bytes) and (schema.get("format") == "binary" or "contentMediaType" in schema)
            return isinstance(value, str) or binary, value
        if kind == "boolean":
            return _boolean(value, self.lax)
        if kind == "integer":
            return _integer(value, self.lax)
        if kind == "number":
            return _number(value, self.lax)
        return True, value

    def _type_failure(self, kind: str, value: Any, loc: Loc, schema: dict[str, Any]) -> Failure:
        error_type, message = _TYPE_ERRORS.get(kind, ("type_error", f"Input should be of type {kind}"))
        if kind == "object" and "properties" not in schema:
            error_type = "dict_type"  # a free-form map, not a model
        if self.lax and isinstance(value, str) and kind in _PARSING:
            return Failure(loc, _PARSING[kind][1], _PARSING[kind][0])
        if kind == "integer" and isinstance(value, float):
            return Failure(loc, f"{message}, got a number with a fractional part", "int_from_float")
        return Failure(loc, message, error_type)

    def _constraints(self, kind: str, schema: dict[str, Any], value: Any, loc: Loc, out: list[Failure]) -> None:
        if kind == "object":
            self._object(schema, value, loc, out)
        elif kind == "array":
            _bounds(out, loc, len(value), schema.get("minItems"), schema.get("maxItems"), "List", "items")
            items = schema.get("items")
            if isinstance(items, dict):
                for index, item in enumerate(value):
                    self._check(items, item, (*loc, index), out)
        elif kind == "string" and isinstance(value, str):
            _bounds(out, loc, len(value), schema.get("minLength"), schema.get("maxLength"), "String", "characters")
            pattern = schema.get("pattern")
            if pattern and not _compiled(pattern).search(value):
                out.append(Failure(loc, f"String should match pattern '{pattern}'", "string_pattern_mismatch"))
        elif kind in ("integer", "number"):
            _range(out, loc, value, schema)

    def _object(self, schema: dict[str, Any], value: dict[str, Any], loc: Loc, out: list[Failure]) -> None:
        properties = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                out.append(Failure((*loc, name), "Field required", "missing"))
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                self._check(properties[key], item, (*loc, key), out)
            elif isinstance(extra, dict):
                self._check(extra, item, (*loc, key), out)
            elif extra is False:
                out.append(Failure((*loc, key), "Extra inputs are not permitted", "extra_forbidden"))

    def _union(
        self,
        members: list[dict[str, Any]],
        discriminator: dict[str, Any] | None,
        value: Any,
        loc: Loc,
        out: list[Failure],
    ) -> None:
        if discriminator is not None:
            self._tagged(members, discriminator, value, loc, out)
            return
        if value is None and any(member.get("type") == "null" for member in members):
            return  # the common `anyOf: [X, null]` given null
        attempts = []
        for member in members:
            if value is not None and member.get("type") == "null":
                continue
            failures = self.validate(member, value, loc)
            if not failures:
                return
            attempts.append((self.fit_rank(member, value), len(failures), failures))
        if attempts:
            out.extend(min(attempts, key=lambda attempt: attempt[:2])[2])

    def _tagged(
        self, members: list[dict[str, Any]], discriminator: dict[str, Any], value: Any, loc: Loc, out: list[Failure]
    ) -> None:
        if not isinstance(value, dict):
            non_objects = [m for m in members if self.resolve(m).get("type") != "object" and "$ref" not in m]
            if non_objects:
                self._union(non_objects, None, value, loc, out)
            else:
                out.append(Failure(loc, _TYPE_ERRORS["object"][1], "dict_type"))
            return
        tag_name = discriminator["propertyName"]
        tags = self.variants(members, discriminator)
        tag = value.get(tag_name, _MISSING)
        if tag is _MISSING:
            message = f"Unable to extract tag using discriminator '{tag_name}'"
            out.append(Failure(loc, message, "union_tag_not_found", tuple(tags), tag_name))
        elif not isinstance(tag, str) or tag not in tags:
            if self.opaque(tag):
                return
            expected = ", ".join(f"'{name}'" for name in tags)
            message = f"Input tag '{tag}' found using '{tag_name}' does not match any of the expected tags: {expected}"
            at = loc if self.tags_in_loc else (*loc, tag_name)
            out.append(Failure(at, message, "union_tag_invalid", tuple(tags), tag_name))
        else:
            self._check(tags[tag], value, (*loc, tag) if self.tags_in_loc else loc, out)

    def variants(self, members: list[dict[str, Any]], discriminator: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Tag value -> member schema of a tagged union (the mapping, else each member's constant tag)."""
        mapping = discriminator.get("mapping")
        if mapping:
            # In the members' order, as pydantic lists the expected tags (the shipped mapping is sorted by tag).
            rank = {member.get("$ref"): index for index, member in enumerate(members)}
            ordered = sorted(mapping.items(), key=lambda item: rank.get(item[1], len(rank)))
            return {tag: {"$ref": ref} for tag, ref in ordered}
        found: dict[str, dict[str, Any]] = {}
        for member in members:
            for tag in self.tag_values(member, discriminator["propertyName"]):
                found[tag] = member
        return found

    def tag_values(self, member: dict[str, Any], tag_name: str) -> list[str]:
        prop = self.resolve(self.resolve(member).get("properties", {}).get(tag_name, {}))
        if "const" in prop:
            return [str(prop["const"])]
        return [str(v) for v in prop.get("enum", [])]

    def fit_rank(self, member: dict[str, Any], value: Any) -> int:
        """0 when the member is the variant a constant tag in `value` names, 1 when its type fits, else 2."""
        schema = self.resolve(member)
        if isinstance(value, dict):
            for name, prop in schema.get("properties", {}).items():
                constant = self.resolve(prop).get("const", _MISSING)
                if constant is not _MISSING and value.get(name, _MISSING) == constant:
                    return 0
        kinds = schema.get("type")
        if kinds is None:
            return 1
        kinds = [kinds] if isinstance(kinds, str) else kinds
        return 1 if any(self._fits(kind, value, schema)[0] for kind in kinds) else 2


def _boolean(value: Any, lax: bool) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return True, value
    if not lax:
        return False, value
    if isinstance(value, int | float) and value in (0, 1):
        return True, bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return True, value.strip().lower() in _TRUE
    return False, value


def _integer(value: Any, lax: bool) -> tuple[bool, Any]:
    if isinstance(value, float) and not isinstance(value, bool):
        return math.isfinite(value) and value.is_integer(), value
    return _numeric(value, lax, int)


def _number(value: Any, lax: bool) -> tuple[bool, Any]:
    return _numeric(value, lax, float)


def _numeric(value: Any, lax: bool, parse: Callable[[Any], Any]) -> tuple[bool, Any]:
    """JSON numbers fit; lax mode (pydantic's) also takes booleans and numeric strings."""
    if isinstance(value, bool):
        return lax, parse(value)
    if isinstance(value, int | float):
        return True, value
    if lax and isinstance(value, str):
        try:
            return True, parse(value.strip())
        except ValueError:
            return False, value
    return False, value


def _bounds(out: list[Failure], loc: Loc, size: int, low: Any, high: Any, what: str, unit: str) -> None:
    suffix = f" after validation, not {size}" if what == "List" else ""
    if low is not None and size < low:
        kind = "too_short" if what == "List" else "string_too_short"
        out.append(Failure(loc, f"{what} should have at least {low} {_plural(unit, low)}{suffix}", kind))
    elif high is not None and size > high:
        kind = "too_long" if what == "List" else "string_too_long"
        out.append(Failure(loc, f"{what} should have at most {high} {_plural(unit, high)}{suffix}", kind))


def _range(out: list[Failure], loc: Loc, value: float, schema: dict[str, Any]) -> None:
    checks = (
        ("minimum", lambda limit: value >= limit, "greater than or equal to", "greater_than_equal"),
        ("exclusiveMinimum", lambda limit: value > limit, "greater than", "greater_than"),
        ("maximum", lambda limit: value <= limit, "less than or equal to", "less_than_equal"),
        ("exclusiveMaximum", lambda limit: value < limit, "less than", "less_than"),
    )
    for key, holds, words, error_type in checks:
        limit = schema.get(key)
        if isinstance(limit, int | float) and not isinstance(limit, bool) and not holds(limit):
            out.append(Failure(loc, f"Input should be {words} {limit}", error_type))
            return


def _plural(unit: str, count: int) -> str:
    return unit if count != 1 else unit.removesuffix("s")


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def _alternatives(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
