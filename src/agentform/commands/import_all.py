"""`agentform import --all`: adopt every live agent this project and environment do not manage yet.

I/O only: list the agents, let `adopt/workspace.py` pick and key them, read each one and its references in parallel
(`adopt/reader.py`, each shared resource once), turn them into files one agent after another so that shared tools
and documents are written once, then write, declare the secret variables and validate, as `import agent` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from agentform import exitcodes
from agentform.adopt.importer import Existing, ImportRefused, ImportResult, import_agent
from agentform.adopt.reader import AgentBundle, LiveReader
from agentform.adopt.workspace import Candidate, Choice, Combined, choose, combine, passed_on
from agentform.commands._shared import Session, console, progress_bar
from agentform.commands.import_ import (
    conflicting,
    declare_secrets,
    existing_of,
    print_secrets,
    validates,
    write_files,
)

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@dataclass
class Outcome:
    choice: Choice
    combined: Combined
    refused: list[str] = field(default_factory=list)


def run(
    project_dir: Path = Path("."),
    env: str | None = None,
    select: Sequence[str] = (),
    tag: str | None = None,
    dry_run: bool = False,
    parallelism: int | None = None,
) -> int:
    session = Session.open(project_dir, env, parallelism=parallelism)
    if session is None:
        return exitcodes.ERROR
    existing = _with_project_keys(existing_of(session.desired), session.desired.documents)
    agent_keys = frozenset(session.desired.agents) | _folders(project_dir / "agents")
    scope = Scope(session.desired.settings.project, session.desired.environment.name, existing, agent_keys)
    try:
        outcome = session.run(lambda client: import_all(client, scope, select=select, tag=tag))
    except Exception as error:  # API, transport: one readable line, never a traceback with secrets
        return session.fail(error)
    _report_choice(outcome.choice)
    if not outcome.choice.candidates:
        console().print(
            f"Nothing new to import: {outcome.choice.already_managed} agent(s) already managed by this project "
            f"({session.desired.environment.name})."
        )
        return exitcodes.OK
    files = outcome.combined.files
    conflicts = conflicting(project_dir, files)
    err = console(stderr=True)
    if conflicts:
        for path, why in conflicts:
            err.print(Text(f"{path}: {why}", style="red"))
        err.print("Nothing was written.")
        return exitcodes.ERROR
    secrets = [secret for result in outcome.combined.results for secret in result.secrets]
    if dry_run:
        _report_files(outcome.combined, sorted(files), verb="Would write")
    else:
        written = write_files(project_dir, files)
        declare_secrets(project_dir, secrets)
        _report_files(outcome.combined, written, verb="Wrote")
    print_secrets(secrets)
    for refusal in outcome.refused:
        err.print(Text(f"Not imported: {refusal}", style="red"))
    if dry_run:
        return exitcodes.ERROR if outcome.refused else exitcodes.OK
    console().print("\nNext: `agentform validate`, then `agentform plan` shows the adoption; `apply` carries it out.")
    valid = validates(project_dir, env, secrets)
    return exitcodes.OK if valid and not outcome.refused else exitcodes.ERROR


@dataclass(frozen=True)
class Scope:
    """Who imports: the project and environment, what their files adopt already, and the agent keys taken."""

    project: str
    environment: str
    existing: Existing = field(default_factory=Existing)
    agent_keys: frozenset[str] = frozenset()


async def import_all(
    client: ElevenLabsClient, scope: Scope, *, select: Sequence[str] = (), tag: str | None = None
) -> Outcome:
    """Choose the agents, read them and their references in parallel, and make their files (nothing written)."""
    summaries = await client.list_agents(tags=[tag] if tag else None)
    choice = choose(
        summaries,
        project=scope.project,
        environment=scope.environment,
        adopted_ids=scope.existing.agent_ids,
        taken_keys=scope.agent_keys,
        select=select,
    )
    reader = LiveReader(client)
    skip = scope.existing.tool_ids
    reads = [asyncio.ensure_future(reader.bundle(c.agent_id, skip_tools=skip)) for c in choice.candidates]
    files = _Files(scope.existing)
    try:
        with progress_bar(console(stderr=True)) as bar:
            task = bar.add_task("Importing agents", total=len(reads))
            for candidate, read in zip(choice.candidates, reads, strict=True):
                # In key order (shared tools and documents take the first agent's keys), each agent as soon as it
                # is read: the later reads stay in flight meanwhile.
                files.add(candidate, await read)
                bar.advance(task)
    finally:
        for read in reads:
            read.cancel()
    return Outcome(choice, combine(files.results, files.test_owners), files.refused)


class _Files:
    """The agents' files made one after another, each passing on what it wrote; a refused agent is reported and
    left out, the others kept."""

    def __init__(self, existing: Existing) -> None:
        self.existing = existing
        self.results: list[ImportResult] = []
        self.refused: list[str] = []
        self.test_owners: dict[str, list[str]] = {}

    def add(self, candidate: Candidate, bundle: AgentBundle) -> None:
        try:
            result = import_agent(
                bundle.agent,
                tools=bundle.tools,
                documents=bundle.documents,
                tests=bundle.tests,
                existing=self.existing,
                key=candidate.key,
            )
        except ImportRefused as error:
            self.refused.append(f"{candidate.agent_id} ({candidate.name!r}): {error}")
            return
        self.results.append(result)
        self.existing = passed_on(self.existing, result)
        for test_id in bundle.tests:
            self.test_owners.setdefault(test_id, []).append(candidate.key)


def _with_project_keys(existing: Existing, documents: Any) -> Existing:
    """Every document key of the project is taken: a live document of the same name gets another key."""
    return replace(existing, document_keys=frozenset(documents))


def _folders(path: Path) -> set[str]:
    return {child.name for child in path.iterdir() if child.is_dir()} if path.is_dir() else set()


def _report_choice(choice: Choice) -> None:
    out = console()
    if choice.managed_elsewhere:
        out.print(f"Left alone, managed by another agentform project or environment: {len(choice.managed_elsewhere)}")
        for agent in choice.managed_elsewhere:
            out.print(f"  {agent}")
    for collision in choice.collisions:
        out.print(f"Key collision, resolved: {collision}")


def _report_files(combined: Combined, paths: Sequence[str], *, verb: str) -> None:
    out = console()
    agents = [result.key for result in combined.results]
    out.print(f"Importing {len(agents)} agent(s): {', '.join(agents)}.")
    for path in paths:
        out.print(f"  + {path}")
    kinds = {folder: sum(1 for p in paths if p.startswith(folder)) for folder in ("agents/", "tools/", "knowledge/")}
    tests = sum(1 for p in paths if p.startswith("tests_specs/"))
    out.print(
        f"{verb} {len(paths)} file(s): {kinds['agents/']} agent, {kinds['tools/']} tool, "
        f"{kinds['knowledge/']} knowledge and {tests} test file(s)."
    )
    for shared in combined.shared_tests:
        out.print(f"Note: {shared}.")
    for note in sorted({note for result in combined.results for note in result.notes}):
        out.print(f"Note: {note}.")
