"""Shared state of one load: the file source, the diagnostics, the environment, and the helpers every file kind uses
(decoding text, parsing YAML, environment overlays, variable substitution, API-section checks)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from agentform.project.diagnostics import Diagnostic, Diagnostics
from agentform.project.fieldtree import Deferred, FieldTree, Report
from agentform.project.schema import did_you_mean, validate_model
from agentform.project.sources import Escape, GitRefSource, WorkingTree, inside
from agentform.project.values import Problem, settle
from agentform.project.variables import Variables, has_reference, substitute_data
from agentform.project.yamlio import FieldPath, YamlDocument, YamlSyntaxError, parse_yaml

M = TypeVar("M", bound=BaseModel)
START = (1, 1)
# File keys: how files refer to each other and how live resources are recognised.
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def dotted(path: FieldPath) -> str:
    """`("a", 0, "b")` -> `"a[0].b"`: the field path as users write it."""
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else str(segment))
    return text


@dataclass
class Files:
    """Reading one revision's files, reporting what cannot be read."""

    source: WorkingTree | GitRefSource
    diagnostics: Diagnostics

    def __post_init__(self) -> None:
        self.files = set(self.source.files())
        self.escapes: dict[str, Escape] = {escape.path: escape for escape in self.source.escapes}

    # -- text ------------------------------------------------------------------------------------------------
    def read_text(self, path: str, field: str = "") -> str | None:
        """The file as UTF-8 text (a BOM is dropped), or None after reporting where the first bad byte is."""
        data = self.source.read(path)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            before = data[: error.start]
            line = before.count(b"\n") + 1
            column = error.start - (before.rfind(b"\n") + 1) + 1
            self.diagnostics.error(path, (line, column), field, "file is not valid UTF-8 text")
            return None

    def read_yaml(self, path: str) -> YamlDocument | None:
        """A YAML file whose top level is a mapping, or None after reporting why not."""
        text = self.read_text(path)
        if text is None:
            return None
        try:
            document = parse_yaml(text, path)
        except YamlSyntaxError as error:
            self.diagnostics.error(path, error.position, "", error.message)
            return None
        for at, position in document.duplicates:
            self.diagnostics.error(path, position, dotted(at), f"duplicate key {at[-1]!r}")
        if document.data is None:
            document.data = {}
        if not isinstance(document.data, dict):
            self.diagnostics.error(path, START, "", "expected a mapping of keys to values at the top level")
            return None
        return document

    def valid_key(self, path: str, kind: str, key: str) -> bool:
        """True if `key` can name a resource; reports the file otherwise."""
        if KEY.match(key):
            return True
        self.diagnostics.error(path, START, "", f"{kind} key {key!r}: use letters, digits, '-', '_' or '.'")
        return False

    # -- paths -----------------------------------------------------------------------------------------------
    def resolve_path(self, document: YamlDocument, at: FieldPath, relative: str) -> str | None:
        """A path written in a file, relative to that file's folder; None after reporting why it is unusable."""
        where = document.where(at)
        if posixpath.isabs(relative) or not inside(posixpath.join(posixpath.dirname(document.path), relative)):
            self.diagnostics.error(document.path, where, dotted(at), f"path {relative!r} escapes the repository")
            return None
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(document.path), relative))
        if resolved in self.escapes:
            self.diagnostics.error(
                document.path, where, dotted(at), f"{relative!r} is a symlink that points outside the repository"
            )
            return None
        if resolved not in self.files:
            self.diagnostics.error(document.path, where, dotted(at), f"file {resolved!r} does not exist")
            return None
        return resolved


@dataclass
class Context(Files):
    """Files plus the selected environment: what every file kind's loader needs."""

    environments: list[str]
    # None when agentform.yaml is invalid: files are then checked without substituting variables.
    environment: str | None
    variables: Variables
    fieldtree: FieldTree

    # -- one YAML resource with environment overlays ------------------------------------------------------------
    def resolve_resource(
        self,
        document: YamlDocument,
        model: type[M],
        check_api: Callable[[dict[str, Any], Report], None],
    ) -> tuple[M, dict[str, Any]] | None:
        """Validate a file in every environment (base + overlay) and return it for the selected one.

        Returns the validated model and the merged, substituted data; None if the file has errors.
        """
        base = dict(document.data)
        overlays = base.pop("environments", None) or {}
        if not isinstance(overlays, dict):
            self.diagnostics.error(
                document.path, document.where(("environments",)), "environments", "expected a mapping"
            )
            return None
        valid_overlays, ok = self._valid_overlays(document, overlays)
        deferred: list[Deferred] = []
        check_api(base, self._api_reporter(document, (), deferred))
        for name, overlay in valid_overlays.items():
            check_api(overlay, self._api_reporter(document, ("environments", name), deferred, name))
        selected = self._validate_environments(document, model, base, valid_overlays, deferred)
        return selected if ok else None

    def _valid_overlays(
        self, document: YamlDocument, overlays: dict[str, Any]
    ) -> tuple[dict[str, dict[str, Any]], bool]:
        """The usable overlays, and False if any was reported (an undeclared environment, not a mapping)."""
        ok = True
        valid: dict[str, dict[str, Any]] = {}
        for name, overlay in overlays.items():
            at = ("environments", name)
            if self.environments and name not in self.environments:  # empty: agentform.yaml lists none (invalid)
                guess = did_you_mean(name, self.environments)
                hint = f" (did you mean {guess!r}?)" if guess else ""
                message = f"environment {name!r} is not declared in agentform.yaml{hint}"
                self.diagnostics.error(document.path, document.where(at), dotted(at), message)
                ok = False
            elif overlay is not None and not isinstance(overlay, dict):
                self.diagnostics.error(document.path, document.where(at), dotted(at), "expected a mapping")
                ok = False
            else:
                valid[name] = overlay or {}
        return valid, ok

    def _validate_environments(
        self,
        document: YamlDocument,
        model: type[M],
        base: dict[str, Any],
        overlays: dict[str, dict[str, Any]],
        deferred: list[Deferred],
    ) -> tuple[M, dict[str, Any]] | None:
        """Validate base + overlay for every environment; the selected one's model and substituted data, or None."""
        if self.environment is None:
            # agentform.yaml is invalid, so no environment is selected: check the file as written, build nothing.
            validate_model(model, base, self._reporter(document, {}, ""))
        ok = self.environment is not None
        selected: tuple[M, dict[str, Any]] | None = None
        for name in self.environments:
            overlay = overlays.get(name, {})
            if name != self.environment and not overlay:
                continue  # identical to the base, which the selected environment validates
            merged = deep_merge(base, overlay)
            report = self._reporter(document, overlay, name)
            if name == self.environment:
                substituted = substitute_data(merged, self.variables, report)
                self._settle(document, overlay, name, merged, substituted, deferred)
                merged = substituted
            parsed = validate_model(model, merged, report)
            if parsed is None:
                ok = False
            elif name == self.environment:
                selected = (parsed, merged)
        return selected if ok else None

    def _reporter(self, document: YamlDocument, overlay: dict[str, Any], env: str) -> Callable[[FieldPath, str], None]:
        """Report an error in the merged data at the place it was written: the overlay if it set it, else the base."""

        def report(at: FieldPath, message: str) -> None:
            full = ("environments", env, *at) if at and _has_path(overlay, at) else at
            self.diagnostics.error(document.path, document.where(full), dotted(full), message)

        return report

    def _api_reporter(
        self, document: YamlDocument, prefix: FieldPath, deferred: list[Deferred], env: str | None = None
    ) -> Report:
        """Diagnostics for what the field tree finds; values waiting for variables go to `deferred` (tagged with
        the overlay's environment, `None` for the base)."""

        def report(finding: Problem | Deferred) -> None:
            if isinstance(finding, Deferred):
                deferred.append(Deferred(finding.at, finding.leaf, env))
                return
            full = (*prefix, *finding.at)
            where = document.where(full)
            self.diagnostics.add(Diagnostic(document.path, *where, finding.severity, dotted(full), finding.message))

        return report

    def _settle(
        self,
        document: YamlDocument,
        overlay: dict[str, Any],
        env: str,
        written: dict[str, Any],
        substituted: dict[str, Any],
        deferred: list[Deferred],
    ) -> None:
        """Judge the values that came from variables, converting them (in `substituted`) to the scalar the field
        expects: `temperature: ${T}` with T=0.5 sends the number 0.5. Reported where the value was written."""
        for item in deferred:
            before, after = _get_path(written, item.at), _get_path(substituted, item.at)
            if item.env not in (None, env) or not _still_variable(before, after):
                continue  # another environment's overlay; replaced by the overlay; or the variable is unset
            settled, problem = settle(item.leaf, after, self.fieldtree.source)
            _set_path(substituted, item.at, settled)
            if problem is not None:
                full = ("environments", env, *item.at) if _has_path(overlay, item.at) else item.at
                where = document.where(full)
                self.diagnostics.add(Diagnostic(document.path, *where, problem[0], dotted(full), problem[1]))


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Overlay onto base: mappings merge key by key, anything else replaces; a null in the overlay removes the key."""
    merged = dict(base)
    for key, value in overlay.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has_path(data: Any, at: FieldPath) -> bool:
    for segment in at:
        if (isinstance(data, dict) and segment in data) or (
            isinstance(data, list) and isinstance(segment, int) and segment < len(data)
        ):
            data = data[segment]  # type: ignore[index]  # the condition pairs a list with an int segment
        else:
            return False
    return True


def _get_path(data: Any, at: FieldPath) -> Any:
    for segment in at:
        data = data[segment] if _has_path(data, (segment,)) else None
    return data


def _set_path(data: Any, at: FieldPath, value: Any) -> None:
    for segment in at[:-1]:
        data = data[segment]
    data[at[-1]] = value


def _still_variable(written: Any, substituted: Any) -> bool:
    """The written value references a variable and substitution resolved it (an unset one is already reported)."""
    return (
        isinstance(written, str)
        and has_reference(written)
        and isinstance(substituted, str)
        and (not has_reference(substituted))
    )
