"""Value checks at the leaves of the field tree: JSON kinds and known (enum) values.

A leaf is `{"t": [kind, ...], "e": [value, ...]}`: the kinds a value may have (string, integer, number, boolean,
list, object, null) and, optionally, the strings the SDK knows for it. The SDK's enums are open (the server may
add values), so an unknown string is a typo (error, with did-you-mean) only when it is close to a known one, and
otherwise a warning.

Messages never quote the value (it may be a secret): they name what was expected and what kind was found. Known
values come from the SDK and are safe to quote.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from agentform.project.diagnostics import Severity

# How close an unknown API key or value must be to a known one to be called a typo (difflib ratio). Below this it
# is treated as newer than the SDK and only warned about.
TYPO_CUTOFF = 0.8
# A misspelt value is at most this many single-character edits from the value meant.
MAX_TYPO_EDITS = 2
# Up to this many known values are listed in a warning; more are counted.
LISTED_VALUES = 8

_ARTICLES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "list": "a list",
    "object": "a mapping",
    "null": "null",
}
_ORDER = tuple(_ARTICLES)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Problem:
    """Something wrong at `at` (relative to the checked value)."""

    at: tuple[str | int, ...]
    severity: Severity
    message: str
    about: Literal["key", "value"] = "value"


def kind_of(value: Any) -> str:
    """The JSON kind of a YAML value (booleans are not numbers; other scalars, such as dates, count as strings)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"


def accepts(kinds: list[str] | frozenset[str], value: Any) -> bool:
    """True if a value of this kind fits: integers are numbers, and a whole float (`3.0`) is an integer."""
    kind = kind_of(value)
    return (
        kind in kinds
        or (kind == "integer" and "number" in kinds)
        or (kind == "number" and "integer" in kinds and math.isfinite(value) and value.is_integer())
    )


def expected(kinds: list[str] | frozenset[str], found: Any, suffix: str = "") -> str:
    """`expected a number, got a string`: null is only named when it is all that fits."""
    wanted = [_ARTICLES[k] for k in sorted(kinds, key=_ORDER.index) if k != "null" or len(kinds) == 1]
    return f"expected {' or '.join(wanted)}, got {_ARTICLES[kind_of(found)]}{suffix}"


def check_leaf(leaf: dict[str, Any], value: Any, source: str, suffix: str = "") -> tuple[Severity, str] | None:
    """(severity, message) if `value` does not fit the leaf, else None. `source` names the tree in warnings."""
    if not accepts(leaf["t"], value):
        return "error", expected(leaf["t"], value, suffix)
    known = leaf.get("e")
    if known is None or not isinstance(value, str) or value in known:
        return None
    guess = typo_of(value, [k for k in known if isinstance(k, str)])
    if guess is not None:
        return "error", f"unknown value (did you mean {guess!r}?)"
    listed = (
        "one of " + ", ".join(repr(k) for k in known)
        if len(known) <= LISTED_VALUES
        else f"one of the {len(known)} values"
    )
    return "warning", f"unknown value: not {listed} known to the field tree ({source}); newer value or typo?"


def typo_of(value: str, known: list[str]) -> str | None:
    """The known value `value` is a typo of: close (difflib), at most two edits away, and not merely another
    version number. Enum values such as model names differ by little by nature (`gpt-5.2` / `gpt-5.3`,
    `claude-opus-5` / `claude-9-opus`): a newer model must be a warning, not a typo."""
    for candidate in difflib.get_close_matches(value, known, n=3, cutoff=TYPO_CUTOFF):
        if _edits(value, candidate) <= MAX_TYPO_EDITS and _letters(value) != _letters(candidate):
            return candidate
    return None


def _letters(text: str) -> str:
    return re.sub(r"[0-9]", "", text)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (the strings are short enum values)."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def needs_substitution(leaf: dict[str, Any]) -> bool:
    """True if a string with a variable reference can only be judged once substituted (a non-string or an enum)."""
    return "string" not in leaf["t"] or "e" in leaf


def parse_scalar(kinds: list[str], text: str) -> Any:
    """A substituted variable's text as the scalar the field expects (`"0.5"` -> 0.5, `"true"` -> True), or the
    text unchanged when it is none of them. Variables are always strings; this is how they reach numeric fields."""
    stripped = text.strip()
    if "boolean" in kinds and stripped in ("true", "false", "True", "False", "TRUE", "FALSE"):
        return stripped.lower() == "true"
    if ("integer" in kinds or "number" in kinds) and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if "number" in kinds and _NUMBER.fullmatch(stripped):
        return float(stripped)
    return text


def settle(leaf: dict[str, Any], value: Any, source: str) -> tuple[Any, tuple[Severity, str] | None]:
    """A substituted variable's value converted to the leaf's scalar (only where a string does not fit), and what
    is still wrong with it."""
    if isinstance(value, str) and "string" not in leaf["t"]:
        value = parse_scalar(leaf["t"], value)
    return value, check_leaf(leaf, value, source, " (from a variable)")
