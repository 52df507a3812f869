"""The flow files -> desired state -> plan -> apply -> tests -> gitops, as a table of allowed imports between the
packages of src/agentform, checked against the real imports (read with `ast`, so imports inside functions and
under `TYPE_CHECKING` count too). `elevenlabs/` is the only package that knows the API's URL paths and
`emulator/` is a separate app. A new edge is a design decision: change the table in the same commit, or do not add
the edge."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "agentform"

# Importable from everywhere: the package root (`__version__`), secret masking, output escaping, the exit codes
# and the JSON format versions.
FOUNDATIONS = frozenset({"agentform", "redact", "escape", "exitcodes", "formats"})

# What each top-level module or package of agentform may import, besides FOUNDATIONS and itself.
ALLOWED: Mapping[str, frozenset[str]] = {
    "model": frozenset(),  # the desired state: pure data
    "retrying": frozenset(),  # the one retrying sender under both HTTP clients
    # ElevenLabs' OpenAPI document and its validator: the one schema that validate and the emulator both judge by.
    "openapi": frozenset(),
    "project": frozenset({"model", "openapi"}),  # files -> desired state; no later layer
    "elevenlabs": frozenset({"model", "retrying"}),  # the only package that knows URL paths
    # The state record and the lock: read to plan (plan/read.py) and named by plan/identity.py, so plan and state are
    # one layer in two packages that import each other.
    "plan": frozenset({"model", "elevenlabs", "state"}),
    "state": frozenset({"model", "elevenlabs", "plan"}),
    "apply": frozenset({"model", "elevenlabs", "plan", "state"}),
    # A test run of the files creates the document and tool versions they need through apply, under the lock.
    "testing": frozenset({"model", "elevenlabs", "plan", "state", "apply"}),
    # Staged rollouts: the split, the statistics and the rollout entries of the state record.
    "rollout": frozenset({"model", "elevenlabs", "plan", "state"}),
    # live -> files: import and pull read what the plan reads and write what the project loads.
    "adopt": frozenset({"model", "project", "elevenlabs", "plan", "state", "testing"}),
    # The one engine the CLI and CI both drive (docs/decisions/0135): load, client, lock, plan, apply, live tests.
    "context": frozenset({"model", "project", "elevenlabs", "plan", "state", "apply", "testing", "connect"}),
    "gitops": frozenset(
        {"model", "project", "elevenlabs", "retrying", "plan", "state", "apply", "testing", "rollout", "context"}
    ),
    # A separate app: it shares no code with the client it stands in for, only the schema it validates requests by.
    "emulator": frozenset({"openapi"}),
    # The command layer's side of the transport seam: it alone may put the emulator behind a client.
    "connect": frozenset({"model", "elevenlabs", "emulator"}),
    "commands": frozenset(
        {
            "model",
            "project",
            "elevenlabs",
            "plan",
            "state",
            "apply",
            "testing",
            "adopt",
            "gitops",
            "rollout",
            "context",
            "emulator",
        }
    ),
    "cli": frozenset({"commands", "plan", "cli_rollout"}),
    "cli_rollout": frozenset({"commands"}),  # the rollout group, built from the shared options (commands/options.py)
    "__main__": frozenset({"cli"}),
}

# Edges that break the table today, each with the only files allowed to make it (none: keep it that way).
KNOWN_EXCEPTIONS: Mapping[tuple[str, str], frozenset[str]] = {}


@dataclass(frozen=True)
class Edge:
    importer: str  # top-level unit of the importing file
    imported: str  # top-level unit it imports
    file: str  # relative to src/agentform
    line: int


def unit_of(relative: Path) -> str:
    """`plan/read.py` -> "plan", `cli.py` -> "cli", `__init__.py` -> "agentform"."""
    if len(relative.parts) > 1:
        return relative.parts[0]
    return "agentform" if relative.stem == "__init__" else relative.stem


def imported_units(tree: ast.AST, source: Path) -> Iterator[tuple[str, int]]:
    """The agentform units a module imports, with the line of each import."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "agentform":
            # `from agentform import plan` imports a unit; `from agentform import __version__` the package root.
            names = [f"agentform.{alias.name}" if is_unit(source, alias.name) else "agentform" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "agentform":
                yield (parts[1] if len(parts) > 1 else "agentform"), node.lineno


def is_unit(source: Path, name: str) -> bool:
    return (source / f"{name}.py").exists() or (source / name).is_dir()


@functools.cache
def edges(source: Path) -> list[Edge]:
    found = []
    for path in sorted(source.rglob("*.py")):
        relative = path.relative_to(source)
        importer = unit_of(relative)
        for imported, line in imported_units(ast.parse(path.read_text(), str(path)), source):
            if imported != importer:
                found.append(Edge(importer, imported, relative.as_posix(), line))
    return found


def is_allowed(edge: Edge) -> bool:
    if edge.imported in FOUNDATIONS or edge.imported in ALLOWED.get(edge.importer, frozenset()):
        return True
    return edge.file in KNOWN_EXCEPTIONS.get((edge.importer, edge.imported), frozenset())


def violations(source: Path) -> list[str]:
    return [
        f"{edge.file}:{edge.line}: {edge.importer} -> {edge.imported}" for edge in edges(source) if not is_allowed(edge)
    ]


def units(source: Path) -> set[str]:
    return {unit_of(path.relative_to(source)) for path in source.rglob("*.py")} - {"agentform"}


def test_every_import_follows_the_table() -> None:
    assert violations(SOURCE) == []


def test_every_package_has_a_row_in_the_table() -> None:
    assert units(SOURCE) - set(ALLOWED) - FOUNDATIONS == set()


def test_every_known_exception_is_still_needed() -> None:
    made = {(edge.importer, edge.imported, edge.file) for edge in edges(SOURCE)}
    stale = [
        (importer, imported, file)
        for (importer, imported), files in KNOWN_EXCEPTIONS.items()
        for file in files
        if (importer, imported, file) not in made
    ]
    assert stale == [], "drop these entries of KNOWN_EXCEPTIONS"


def test_an_added_edge_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    for relative, text in {
        "elevenlabs/environment.py": "import httpx\n\nfrom agentform.emulator import create_app\n",
        "emulator/app.py": "def create_app():\n    from agentform.plan import model\n",
        "plan/read.py": "from agentform import redact\nfrom agentform.elevenlabs import core\n",
    }.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    assert violations(tmp_path) == [
        "elevenlabs/environment.py:3: elevenlabs -> emulator",
        "emulator/app.py:2: emulator -> plan",
    ]


def test_only_the_client_and_the_emulator_spell_api_paths() -> None:
    spelled = [
        f"{path.relative_to(SOURCE).as_posix()}:{node.lineno}"
        for path in sorted(SOURCE.rglob("*.py"))
        if unit_of(path.relative_to(SOURCE)) not in ("elevenlabs", "emulator")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "/v1/convai" in node.value
    ]
    assert spelled == []
