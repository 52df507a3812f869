"""Diagnostics: what is wrong with the files, and exactly where.

Every check reports through a `Diagnostics` collector instead of raising, so one run shows every problem at once.
A message never quotes a value that could be secret: it names the field, not its content.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file. `line` and `column` are 1-based; `field` is a dotted path ("" for the file)."""

    path: str
    line: int
    column: int
    severity: Severity
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {where}{self.message}"

    def github_annotation(self, prefix: str = "") -> str:
        """The GitHub Actions workflow command that shows this diagnostic on the file in a pull request.

        `prefix` is the project's folder relative to the repository root, when the project is not at the root.
        """
        kind = "error" if self.severity == "error" else "warning"
        text = f"{self.field}: {self.message}" if self.field else self.message
        # Workflow commands end at a newline and treat % specially: escape as GitHub documents.
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = f"{prefix.rstrip('/')}/{self.path}" if prefix and prefix != "." else self.path
        return f"::{kind} file={path},line={self.line},col={self.column}::{text}"


def repository_prefix(project_dir: Path | str, workspace: str | None) -> str:
    """The project folder relative to the checkout (`GITHUB_WORKSPACE`), for `Diagnostic.github_annotation`.

    Annotations name files from the repository root, so they land on the right file in the pull request; a project
    outside the checkout gets no prefix.
    """
    try:
        return Path(project_dir).resolve().relative_to(Path(workspace or ".").resolve()).as_posix()
    except ValueError:
        return ""


class ProjectError(Exception):
    """The project's files are invalid. `diagnostics` lists every problem found (errors and warnings)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        shown = "\n".join(str(d) for d in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s) in the project files:\n{shown}{more}")


@dataclass
class Diagnostics:
    """Collects diagnostics during a load; `strict` turns warnings into errors as they are reported."""

    strict: bool = False
    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set)

    def add(self, diagnostic: Diagnostic) -> None:
        if self.strict and diagnostic.severity == "warning":
            diagnostic = replace(diagnostic, severity="error")
        # The same problem can be found once per environment; report it once.
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.items.append(diagnostic)

    def error(self, path: str, position: tuple[int, int], field_path: str, message: str) -> None:
        self.add(Diagnostic(path, position[0], position[1], "error", field_path, message))

    def warning(self, path: str, position: tuple[int, int], field_path: str, message: str) -> None:
        self.add(Diagnostic(path, position[0], position[1], "warning", field_path, message))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.path, d.line, d.column, d.severity, d.field, d.message))
