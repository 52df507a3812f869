"""`agentform init [DIR]`: scaffold a project that validates, plans and tests against the emulator at once.

The files come from `agentform/templates/project/` (config, one agent with its prompt, one document, one test) and,
when present, `agentform/templates/github/` (the workflows, copied to `.github/`). Existing files are never
overwritten: `--force` only allows writing into a folder that already has content. Outside a git repository it
offers `git init` (asks on a terminal; `--git` / `--no-git` decide without asking), then prints the next steps and
the secrets the real workspace and the workflows need.
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from agentform import exitcodes
from agentform.gitops import pin

if TYPE_CHECKING:
    from agentform.model import ProjectSettings

PLACEHOLDER = "__PROJECT__"
# Template files that cannot carry their real name inside a Python package.
RENAMES = {"gitignore": ".gitignore"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def run(
    directory: Path,
    name: str | None = None,
    force: bool = False,
    git: bool | None = None,
    *,
    out: TextIO | None = None,
    is_terminal: bool | None = None,
) -> int:
    out = sys.stdout if out is None else out
    directory = Path(directory)
    project = name if name is not None else slugify(directory.resolve().name)
    if not SLUG.match(project):
        print(f"error: project name {project!r} must be a lowercase slug (a-z, 0-9, '-'); pass --name", file=out)
        return exitcodes.ERROR
    if directory.exists() and not directory.is_dir():
        print(f"error: {directory} is not a folder", file=out)
        return exitcodes.ERROR
    if _has_content(directory) and not force:
        print(
            f"error: {directory} is not empty; use --force to add the missing files (existing ones are kept)", file=out
        )
        return exitcodes.ERROR
    written, kept = [], []
    install = pin.running_install_spec()
    for relative, text in scaffold(project, install).items():
        target = directory / relative
        if target.exists():
            kept.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(relative)
    for relative in written:
        print(f"  created {relative}", file=out)
    for relative in kept:
        print(f"  kept    {relative} (already exists)", file=out)
    _offer_git_init(directory, git, sys.stdin.isatty() if is_terminal is None else is_terminal, out)
    if any(relative.startswith(".github/") for relative in written):
        if install:
            print(f"\nThe GitHub workflows install {install} (the agentform running init).", file=out)
        else:
            print(
                "\nThis agentform was installed from a local folder: the GitHub workflows fail until you set the "
                "repository variable AGENTFORM_INSTALL to a pinned spec (docs/github-actions.md, Pinned install).",
                file=out,
            )
    print(f"\nProject {project!r} is ready in {directory}. Next:", file=out)
    for line in next_steps(directory, _settings(directory)):
        print(line, file=out)
    return exitcodes.OK


def next_steps(directory: Path, settings: ProjectSettings | None) -> list[str]:
    """What to run first, then the secrets to set for the real workspace and the GitHub workflows."""
    lines = [
        f"  cd {directory}",
        "  agentform validate               # check every file",
        "  agentform plan                   # what apply would create (environment local: the emulator, no key)",
        "  agentform apply --auto-approve   # create it",
        "  agentform test                   # run the tests with the working tree's config",
    ]
    secrets = secrets_to_set(settings) if settings is not None else []
    remote = [env.name for env in settings.environments.values() if env.backend == "api"] if settings else []
    if not secrets:
        return lines
    lines += ["", "For the real workspace, set these secrets (in the shell, and in GitHub: Settings > Secrets):"]
    width = max(len(secret) for secret, _ in secrets)
    lines += [f"  {secret:<{width}}  {why}" for secret, why in secrets]
    if remote:
        lines += [
            f"and the repository variables AGENTFORM_ENV (e.g. {remote[0]}) and AGENTFORM_INSTALL; then require the",
            f"status check `agentform/pr ({remote[0]})` on main.",
        ]
    return lines


def secrets_to_set(settings: ProjectSettings) -> list[tuple[str, str]]:
    """(variable, why) for each API key of an `api` environment and each variable declared `secret: true`."""
    found: dict[str, str] = {}
    for environment in settings.environments.values():
        if environment.backend == "api":
            found.setdefault(environment.api_key_env, f"the ElevenLabs API key of environment {environment.name}")
    for variable in settings.variables.values():
        if variable.secret:
            found.setdefault(variable.name, variable.description or "a secret variable of agentform.yaml")
    return list(found.items())


def _offer_git_init(directory: Path, wanted: bool | None, is_terminal: bool, out: TextIO) -> None:
    """Outside a git repository: `git init` when asked to (or when the user says yes), else say why it matters."""
    import git

    try:
        git.Repo(directory, search_parent_directories=True)
        return
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        pass
    if wanted is None and is_terminal:
        wanted = click.confirm(f"\n{directory} is not in a git repository. Run `git init` there?", default=True)
    if wanted:
        git.Repo.init(directory)
        print(f"  initialised a git repository in {directory} (git init)", file=out)
    else:
        print("  not in a git repository: run `git init` (plans, tests and the workflows work from git)", file=out)


def _settings(directory: Path) -> ProjectSettings | None:
    """The scaffolded (or kept) agentform.yaml's settings; None when it does not load."""
    from agentform.project import inspect_project

    desired, _ = inspect_project(directory, environ={})
    return desired.settings if desired is not None else None


def scaffold(project: str, install: str | None = None) -> dict[str, str]:
    """Every file init writes, by path relative to the project root (pure: nothing is written here); `install` is the
    pinned spec the workflows install agentform from (None: they fail until AGENTFORM_INSTALL is set)."""
    root = resources.files("agentform") / "templates"
    files = {path: text.replace(PLACEHOLDER, project) for path, text in _walk(root / "project", "")}
    github = root / "github"
    if github.is_dir():
        files.update((path, pin.fill_in(text, install)) for path, text in _walk(github, ".github"))
    return dict(sorted(files.items()))


def slugify(name: str) -> str:
    """A folder name as a project name: lowercase, runs of other characters become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "agents"


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, str]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        name = RENAMES.get(entry.name, entry.name)
        relative = f"{prefix}/{name}" if prefix else name
        if entry.is_dir():
            found.extend(_walk(entry, relative))
        else:
            found.append((relative, entry.read_text("utf-8")))
    return found


def _has_content(directory: Path) -> bool:
    return directory.is_dir() and any(entry.name != ".git" for entry in directory.iterdir())
