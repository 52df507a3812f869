"""`${VAR}` and `${VAR:-default}` substitution in YAML string values.

A value is looked up in this order: the process environment, the environment's `variables:` in agentform.yaml, the
project-level `variables.<NAME>.default`, then the inline `:-default`. `$${` writes a literal `${`. Values of
variables declared `secret: true` are collected so that every renderer can mask them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentform.model import VariableSettings

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?")


@dataclass
class Variables:
    """Resolves variable references for one environment and remembers the secret values it handed out."""

    declared: Mapping[str, VariableSettings]
    environment_values: Mapping[str, str]
    environ: Mapping[str, str]
    secret_values: set[str] = field(default_factory=set)

    def lookup(self, name: str, inline_default: str | None) -> str | None:
        value = self.environ.get(name)
        if value is None:
            value = self.environment_values.get(name)
        declared = self.declared.get(name)
        if value is None and declared is not None:
            value = declared.default
        if value is None:
            value = inline_default
        if value is not None and declared is not None and declared.secret:
            self.secret_values.add(value)
        return value

    def all_secret_values(self) -> frozenset[str]:
        """Values of every declared secret that is set, used in the files or not: anything may echo them."""
        for name, declared in self.declared.items():
            if declared.secret:
                self.lookup(name, None)
        return frozenset(self.secret_values)

    def substitute(self, text: str, report: Callable[[str], None]) -> str:
        """Replace every reference in `text`; `report(message)` is called once per problem."""
        if "$" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            whole = match.group(0)
            if whole == "$${":
                return "${"
            name = match.group(1)
            if name is None:
                report(f"malformed variable reference {whole!r}: expected ${{NAME}} or ${{NAME:-default}}")
                return whole
            value = self.lookup(name, match.group(2))
            if value is None:
                report(f"variable {name} is not set (no environment value and no default)")
                return whole
            return value

        return _REFERENCE.sub(replace, text)


def has_reference(text: str) -> bool:
    """True if substitution would change `text` by a variable (`$${` alone only escapes)."""
    return "${" in text and any(match.group(0) != "$${" for match in _REFERENCE.finditer(text))


def substitute_data(value: Any, variables: Variables, report: Callable[[tuple[str | int, ...], str], None]) -> Any:
    """Substitute in every string of nested data; `report(field_path, message)` locates each problem."""

    def walk(item: Any, at: tuple[str | int, ...]) -> Any:
        if isinstance(item, str):
            return variables.substitute(item, lambda message: report(at, message))
        if isinstance(item, dict):
            return {key: walk(child, (*at, key)) for key, child in item.items()}
        if isinstance(item, list):
            return [walk(child, (*at, index)) for index, child in enumerate(item)]
        return item

    return walk(value, ())
