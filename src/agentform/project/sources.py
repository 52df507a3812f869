"""Where project files come from: a working tree on disk, or a git ref read blob by blob without a checkout.

Both sources list files relative to the project root (POSIX paths) and refuse anything that resolves outside it:
a symlink pointing out of the repository is reported, never followed.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# The folders a project is made of; nothing else in the tree is read.
PROJECT_DIRS = ("agents", "knowledge", "tools", "tests_specs")
CONFIG_FILE = "agentform.yaml"


@dataclass(frozen=True)
class Escape:
    """A file that is a symlink to somewhere outside the project."""

    path: str
    target: str


class Source(Protocol):
    """Read-only access to the files of one project revision."""

    revision: str | None
    escapes: list[Escape]

    def files(self) -> list[str]:
        """Every regular file under the project folders, plus agentform.yaml if present (sorted)."""
        ...

    def read(self, path: str) -> bytes:
        """The bytes of a listed file (symlinks inside the project are followed)."""
        ...


def inside(path: str) -> bool:
    """True if a project-relative path stays inside the project once normalised."""
    normal = posixpath.normpath(path)
    return not (normal.startswith("../") or normal == ".." or posixpath.isabs(path) or normal == ".")


class WorkingTree:
    """The files on disk under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.escapes: list[Escape] = []
        self.revision = _head_revision(self.root)
        self._files = self._scan()

    def _scan(self) -> list[str]:
        found: list[str] = []
        config = self.root / CONFIG_FILE
        if config.is_file() and (not config.is_symlink() or self._link_stays_inside(str(config), CONFIG_FILE)):
            found.append(CONFIG_FILE)
        for top in PROJECT_DIRS:
            base = self.root / top
            if base.is_symlink() and not self._link_stays_inside(str(base), top):
                continue  # e.g. knowledge -> /etc: never walked
            if not base.is_dir():
                continue
            for folder, dirs, names in os.walk(base, followlinks=False):
                dirs.sort()
                for name in [*names, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]:
                    full = os.path.join(folder, name)
                    relative = Path(full).relative_to(self.root).as_posix()
                    if os.path.islink(full):
                        if not self._link_stays_inside(full, relative):
                            continue
                        if os.path.isdir(full):
                            continue  # a linked folder inside the project: its files are listed where they live
                    if os.path.isfile(full):
                        found.append(relative)
        return sorted(found)

    def _link_stays_inside(self, full: str, relative: str) -> bool:
        target = os.path.realpath(full)
        if target == str(self.root) or target.startswith(str(self.root) + os.sep):
            return True
        self.escapes.append(Escape(relative, os.readlink(full)))
        return False

    def files(self) -> list[str]:
        return self._files

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()


def _head_revision(root: Path) -> str | None:
    """The commit SHA checked out in the repository holding `root`, if any.

    Asked of the git binary (which gitpython drives anyway) rather than through gitpython, whose import alone
    costs about a quarter of a second on every `agentform validate`.
    """
    if _find_git(root) is None:
        return None
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and sha else None


def _find_git(root: Path) -> Path | None:
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder / ".git"
    return None


class GitRefSource:
    """The files of `ref` in the repository that holds `root`, read from git objects (no checkout)."""

    def __init__(self, root: Path, ref: str) -> None:
        import git

        self.escapes: list[Escape] = []
        repo = git.Repo(root, search_parent_directories=True)
        try:
            commit = repo.commit(ref)
        except (git.BadName, ValueError) as error:
            raise LookupError(f"unknown git ref {ref!r}") from error
        self.revision = commit.hexsha
        assert repo.working_tree_dir is not None  # found from a folder inside it: not a bare repository
        prefix = Path(root).resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
        tree = commit.tree if prefix == "." else commit.tree / prefix
        self._blobs: dict[str, object] = {}
        links: dict[str, str] = {}
        items: Iterable[Any] = tree.traverse()  # gitpython's union of every object kind; blobs are picked below
        for item in items:
            if item.type != "blob":
                continue
            relative = posixpath.relpath(item.path, prefix) if prefix != "." else item.path
            if relative != CONFIG_FILE and relative.split("/", 1)[0] not in PROJECT_DIRS:
                continue
            if item.mode == 0o120000:  # a symlink: the blob holds the target path
                links[relative] = item.data_stream.read().decode("utf-8", "replace")
            else:
                self._blobs[relative] = item
        for relative, target in links.items():
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(relative), target))
            if posixpath.isabs(target) or not inside(resolved):
                self.escapes.append(Escape(relative, target))
            elif resolved in self._blobs:
                self._blobs[relative] = self._blobs[resolved]

    def files(self) -> list[str]:
        return sorted(self._blobs)

    def read(self, path: str) -> bytes:
        return self._blobs[path].data_stream.read()  # type: ignore[attr-defined]


def open_source(root: Path, ref: str | None) -> WorkingTree | GitRefSource:
    return GitRefSource(root, ref) if ref else WorkingTree(root)
