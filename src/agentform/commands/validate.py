"""`agentform validate`: report every problem in the project's files, located by file, line and column."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from agentform import exitcodes


def run(
    project_dir: Path,
    env: str | None = None,
    strict: bool = False,
    ref: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Print diagnostics and a summary line; 0 when there is no error (warnings allowed unless `strict`)."""
    from agentform.project import inspect_project
    from agentform.project.diagnostics import repository_prefix

    environ = os.environ if environ is None else environ
    out = sys.stdout if out is None else out
    desired, diagnostics = inspect_project(project_dir, env=env, ref=ref, environ=environ, strict=strict)
    annotate = environ.get("GITHUB_ACTIONS") == "true"
    prefix = repository_prefix(project_dir, environ.get("GITHUB_WORKSPACE")) if annotate else ""
    for diagnostic in diagnostics:
        print(diagnostic, file=out)
        if annotate:
            print(diagnostic.github_annotation(prefix), file=out)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    where = f" at {ref}" if ref else ""
    if errors or desired is None:
        print(f"Invalid{where}: {_count(errors, 'error')}, {_count(warnings, 'warning')}.", file=out)
        return exitcodes.ERROR
    contents = ", ".join(
        _count(len(items), noun)
        for items, noun in (
            (desired.agents, "agent"),
            (desired.documents, "document"),
            (desired.tools, "tool"),
            (desired.tests, "test"),
        )
    )
    print(
        f"Valid{where}: {contents} (environment {desired.environment.name}); {_count(warnings, 'warning')}.",
        file=out,
    )
    return exitcodes.OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
