"""load_desired / validate_project: files (a working tree or a git ref) -> `Desired`, with every problem located."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict, Unpack

from agentform.model import Desired, ProjectSettings
from agentform.project.context import START, Context, Files
from agentform.project.diagnostics import Diagnostic, Diagnostics, ProjectError
from agentform.project.fieldtree import load_fieldtree
from agentform.project.schema import DefaultsFile
from agentform.project.settings import CONFIG, parse_settings
from agentform.project.sources import GitRefSource, WorkingTree, open_source
from agentform.project.tool_secrets import with_workspace_secrets
from agentform.project.variables import Variables
from agentform.project.yamlio import YamlDocument
from agentform.redact import Redactor


class LoadOptions(TypedDict, total=False):
    """How to load a project, all optional: the environment (default: the project's default one), the git ref to
    read the files at (default: the working tree), the variables (default: the process's environment) and whether
    warnings count as errors."""

    env: str | None
    ref: str | None
    environ: Mapping[str, str] | None
    strict: bool


def load_desired(root: Path, **options: Unpack[LoadOptions]) -> Desired:
    """Load the project at `root` (or at git `ref`) for one environment. Raises `ProjectError` on any error."""
    desired, diagnostics = _load(Path(root), options)
    if desired is None or any(d.severity == "error" for d in diagnostics):
        raise ProjectError(diagnostics)
    return desired


def validate_project(root: Path, **options: Unpack[LoadOptions]) -> list[Diagnostic]:
    """Every problem in the project's files, errors and warnings, sorted by file and position."""
    return _load(Path(root), options)[1]


def inspect_project(root: Path, **options: Unpack[LoadOptions]) -> tuple[Desired | None, list[Diagnostic]]:
    """Both at once: the desired state (None when there are errors) and every diagnostic."""
    return _load(Path(root), options)


def _load(root: Path, options: LoadOptions) -> tuple[Desired | None, list[Diagnostic]]:
    ref = options.get("ref")
    diagnostics = Diagnostics(strict=options.get("strict", False))
    source = _open_project(root, ref, diagnostics)
    if source is None:
        return None, diagnostics.sorted()
    document = Files(source, diagnostics).read_yaml(CONFIG)
    parsed = parse_settings(document, diagnostics) if document is not None else None
    environ = options.get("environ")
    environ = os.environ if environ is None else environ
    if document is None or parsed is None:
        # Still check every other file, so one run shows every problem; without valid settings there is no
        # environment to substitute variables for, and no desired state.
        declared = document.data.get("environments") if document is not None else None
        names = [str(name) for name in declared] if isinstance(declared, dict) else []
        _load_resources(_context(source, diagnostics, names, None, Variables({}, {}, environ)), DefaultsFile())
        return None, diagnostics.sorted()
    desired = _load_environment(source, document, parsed, options.get("env"), environ, diagnostics)
    return desired, diagnostics.sorted()


def _open_project(root: Path, ref: str | None, diagnostics: Diagnostics) -> WorkingTree | GitRefSource | None:
    """The project's files on disk (or at git `ref`); None after reporting why there is no project to read."""
    try:
        source = open_source(root, ref)
    except LookupError as error:
        diagnostics.error(CONFIG, START, "", str(error))
        return None
    except Exception as error:  # gitpython: not a repository, or a broken one
        if ref is None:
            raise
        diagnostics.error(CONFIG, START, "", f"cannot read git ref {ref!r}: {type(error).__name__}")
        return None
    if CONFIG in source.files():
        return source
    if any(escape.path == CONFIG for escape in source.escapes):
        diagnostics.error(CONFIG, START, "", "agentform.yaml is a symlink that points outside the repository")
    else:
        where = f" at {ref}" if ref else ""
        diagnostics.error(CONFIG, START, "", f"no {CONFIG} in {root}{where}: run `agentform init` to create a project")
    return None


def _load_environment(
    source: WorkingTree | GitRefSource,
    document: YamlDocument,
    parsed: tuple[ProjectSettings, DefaultsFile],
    env: str | None,
    environ: Mapping[str, str],
    diagnostics: Diagnostics,
) -> Desired | None:
    """Every file for the selected environment (`env`, else the default); None after reporting any error."""
    settings, defaults = parsed
    name = env or settings.default_environment
    if name not in settings.environments:
        known = ", ".join(sorted(settings.environments))
        diagnostics.error(
            CONFIG, document.where(("environments",)), "environments", f"no environment {name!r} (declared: {known})"
        )
        return None
    environment = settings.environments[name]
    variables = Variables(settings.variables, environment.variables, environ)
    context = _context(source, diagnostics, list(settings.environments), name, variables)
    documents, tools, agents, tests = _load_resources(context, defaults)
    secret_values = variables.all_secret_values()
    _warn_unmaskable_secrets(settings, variables, document, diagnostics)
    if diagnostics.has_errors:
        return None
    tools, workspace_secrets = with_workspace_secrets(tools, secret_values)
    return Desired(
        settings=settings.model_copy(update={"source_revision": source.revision}),
        environment=environment,
        agents=agents,
        documents=documents,
        tools=tools,
        tests=tests,
        secret_values=secret_values,
        workspace_secrets=workspace_secrets,
    )


def _warn_unmaskable_secrets(
    settings: ProjectSettings, variables: Variables, document: YamlDocument, diagnostics: Diagnostics
) -> None:
    """Very short values cannot be masked without destroying output (see redact.py); say so, never the value."""
    for name, declared in settings.variables.items():
        value = variables.lookup(name, None) if declared.secret else None
        if value and not Redactor([value]):  # the redactor ignores values too short to mask
            message = "the value of this secret is too short to be masked in output; use a longer one"
            diagnostics.warning(CONFIG, document.where(("variables", name)), f"variables.{name}", message)


def _context(
    source: WorkingTree | GitRefSource,
    diagnostics: Diagnostics,
    environments: list[str],
    environment: str | None,
    variables: Variables,
) -> Context:
    return Context(
        source=source,
        diagnostics=diagnostics,
        environments=environments,
        environment=environment,
        variables=variables,
        fieldtree=load_fieldtree(),
    )


def _load_resources(context: Context, defaults: DefaultsFile) -> tuple[dict, dict, dict, dict]:
    """Every file kind, in reference order: documents and tools, then agents, then tests."""
    from agentform.project.agents import load_agents
    from agentform.project.knowledge import load_documents
    from agentform.project.specs import load_tests
    from agentform.project.tools import load_tools

    for escape in context.source.escapes:
        context.diagnostics.error(escape.path, START, "", f"symlink to {escape.target!r} points outside the repository")
    documents = load_documents(context)
    tools = load_tools(context)
    agents = load_agents(context, _declared(context, "knowledge", documents), _declared(context, "tools", tools))
    tests = load_tests(context, _declared(context, "agents", agents), tools, defaults)
    return documents, tools, agents, tests


def _declared(context: Context, folder: str, loaded: Mapping[str, object]) -> set[str]:
    """Keys declared in a folder, valid or not: a reference to a broken file is not also reported as dangling."""
    keys = set(loaded)
    for path in context.files:
        if path.startswith(f"{folder}/"):
            rest = path[len(folder) + 1 :]
            keys.add(rest.split("/", 1)[0] if folder == "agents" else rest.rsplit(".", 1)[0])
    return keys
