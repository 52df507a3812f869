"""`agentform validate`: report every problem in the project's files, located by file, line and column."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agentform import exitcodes, formats

if TYPE_CHECKING:
    from agentform.model import Desired
    from agentform.project import Diagnostic


def run(
    project_dir: Path,
    env: str | None = None,
    strict: bool = False,
    ref: str | None = None,
    as_json: bool = False,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Print diagnostics and a summary line (or one JSON document); 0 when there is no error (warnings allowed
    unless `strict`)."""
    from agentform.project import inspect_project

    environ = os.environ if environ is None else environ
    out = sys.stdout if out is None else out
    desired, diagnostics = inspect_project(project_dir, env=env, ref=ref, environ=environ, strict=strict)
    valid = desired is not None and not any(d.severity == "error" for d in diagnostics)
    if as_json:
        out.write(formats.dumps(validation_document(desired if valid else None, diagnostics, ref)))
    else:
        _print_text(project_dir, desired if valid else None, diagnostics, ref, environ, out)
    return exitcodes.OK if valid else exitcodes.ERROR


def validation_document(desired: Desired | None, diagnostics: Sequence[Diagnostic], ref: str | None) -> dict[str, Any]:
    """`validate --json`: the verdict, what the project holds (when valid) and every diagnostic."""
    errors = sum(d.severity == "error" for d in diagnostics)
    return formats.document(
        formats.VALIDATION,
        valid=desired is not None,
        ref=ref,
        environment=desired.environment.name if desired is not None else None,
        resources={f"{noun}s": number for noun, number in _resource_counts(desired)} if desired else None,
        errors=errors,
        warnings=len(diagnostics) - errors,
        diagnostics=[
            {
                "file": d.path,
                "line": d.line,
                "column": d.column,
                "severity": d.severity,
                "field": d.field,
                "message": d.message,
            }
            for d in diagnostics
        ],
    )


def _print_text(
    project_dir: Path,
    desired: Desired | None,
    diagnostics: Sequence[Diagnostic],
    ref: str | None,
    environ: Mapping[str, str],
    out: TextIO,
) -> None:
    from agentform.project.diagnostics import repository_prefix

    annotate = environ.get("GITHUB_ACTIONS") == "true"
    prefix = repository_prefix(project_dir, environ.get("GITHUB_WORKSPACE")) if annotate else ""
    for diagnostic in diagnostics:
        print(diagnostic, file=out)
        if annotate:
            print(diagnostic.github_annotation(prefix), file=out)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    where = f" at {ref}" if ref else ""
    if desired is None:
        print(f"Invalid{where}: {_count(errors, 'error')}, {_count(warnings, 'warning')}.", file=out)
        return
    contents = ", ".join(_count(number, noun) for noun, number in _resource_counts(desired))
    print(
        f"Valid{where}: {contents} (environment {desired.environment.name}); {_count(warnings, 'warning')}.",
        file=out,
    )


def _resource_counts(desired: Desired) -> list[tuple[str, int]]:
    return [
        ("agent", len(desired.agents)),
        ("document", len(desired.documents)),
        ("tool", len(desired.tools)),
        ("test", len(desired.tests)),
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
