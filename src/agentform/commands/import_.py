"""`agentform import agent|tool ID`: write the files of an existing live resource, adopting it (Terraform import).

I/O only: read the live resources through the client, let `adopt/importer.py` turn them into file texts, check
that no file is overwritten without `--force`, write them, then validate the project with them in place.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rich.text import Text

from agentform import context, exitcodes
from agentform.adopt.importer import (
    Existing,
    ImportResult,
    SecretVariable,
    check_importable,
    import_agent,
    import_tool,
)
from agentform.adopt.reader import LiveReader
from agentform.adopt.yamledit import declare_secret_variables
from agentform.commands._shared import Session, console, print_diagnostics
from agentform.model import Desired

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

Kind = Literal["agent", "tool"]


def run(
    kind: Kind,
    resource_id: str,
    project_dir: Path = Path("."),
    env: str | None = None,
    key: str | None = None,
    force: bool = False,
) -> int:
    session = Session.open(project_dir, env)
    if session is None:
        return exitcodes.ERROR
    existing = existing_of(session.desired)
    try:
        result = session.run(lambda client: _read_and_import(client, kind, resource_id, existing, key, force))
    except Exception as error:  # refusals, API, transport: one readable line, never a traceback with secrets
        return session.fail(error)
    conflicts = conflicting(project_dir, result.files, force=force)
    if conflicts:
        err = console(stderr=True)
        for path, why in conflicts:
            err.print(Text(f"{path}: {why}", style="red"))
        err.print("Nothing was written.")
        return exitcodes.ERROR
    written = write_files(project_dir, result.files)
    declare_secrets(project_dir, result.secrets)
    _report(kind, resource_id, result, written)
    return exitcodes.OK if validates(project_dir, env, result.secrets) else exitcodes.ERROR


def validates(project_dir: Path, env: str | None, secrets: Sequence[SecretVariable]) -> bool:
    """Whether the project loads with the imported files, the credentials they reference set to their live values."""
    environ = {**os.environ, **{secret.name: secret.value for secret in secrets}}
    loaded = context.load(project_dir, env, environ=environ, strict=False)
    if loaded.desired is None:
        err = console(stderr=True)
        print_diagnostics(loaded.diagnostics, err)
        err.print(Text("The imported files do not validate (see above): fix them, or report this.", style="red"))
        return False
    return True


def existing_of(desired: Desired) -> Existing:
    """What the project declares already: adopted agents and tools by live id, and every tool key."""
    return Existing(
        agent_ids={agent.id: key for key, agent in desired.agents.items() if agent.id},
        tool_ids={tool.id: key for key, tool in desired.tools.items() if tool.id},
        tool_keys=frozenset(desired.tools),
    )


async def _read_and_import(
    client: ElevenLabsClient, kind: Kind, resource_id: str, existing: Existing, key: str | None, force: bool
) -> ImportResult:
    if kind == "tool":
        return import_tool(await client.get_tool(resource_id), existing=existing, key=key, force=force)
    reader = LiveReader(client)
    check_importable(await reader.agent(resource_id), existing, key=key, force=force)  # before reading anything else
    bundle = await reader.bundle(resource_id, skip_tools=existing.tool_ids)
    return import_agent(
        bundle.agent,
        tools=bundle.tools,
        documents=bundle.documents,
        tests=bundle.tests,
        existing=existing,
        key=key,
        force=force,
    )


def conflicting(project_dir: Path, files: dict[str, str], *, force: bool = False) -> list[tuple[str, str]]:
    """(path, why) for each file that may not be written: another file's content (unless `force`), or not a file."""
    conflicts = []
    for relative, text in sorted(files.items()):
        path = project_dir / relative
        if path.is_symlink() or (path.exists() and not path.is_file()):
            # Never written through, even with --force: a symlink may point outside the repository.
            conflicts.append((relative, "exists and is not a regular file"))
        elif not force and path.exists() and path.read_bytes() != text.encode():
            conflicts.append((relative, "exists with other content (use --force to replace it)"))
    for relative in sorted(files):
        if relative.startswith("knowledge/") and not relative.endswith(".yaml"):
            # One document per key: knowledge/faq.txt and knowledge/faq.md together would not load.
            stem = (project_dir / relative).stem
            for other in sorted((project_dir / "knowledge").glob(f"{stem}.*")):
                if f"knowledge/{other.name}" not in files:
                    conflicts.append((relative, f"knowledge/{other.name} is another document with the key {stem!r}"))
    return conflicts


def declare_secrets(project_dir: Path, secrets: Sequence[SecretVariable]) -> None:
    """Declare the variables that now stand for live credentials in agentform.yaml, `secret: true` (values: never)."""
    if secrets:
        path = project_dir / "agentform.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(declare_secret_variables(text, sorted({s.name for s in secrets})), encoding="utf-8")


def print_secrets(secrets: Sequence[SecretVariable]) -> None:
    """Which credentials became variables (names and places only: the values are never printed)."""
    if not secrets:
        return
    out = console()
    out.print("\nThese credentials were found live and NOT written to the files; the files reference variables")
    out.print("declared `secret: true` in agentform.yaml. Set their values (your shell, CI secrets) before plan:")
    for secret in secrets:
        out.print(f"  {secret.path}: {secret.field} -> ${{{secret.name}}}")


def write_files(project_dir: Path, files: dict[str, str]) -> list[str]:
    """Write every file whose content differs; returns the paths written."""
    written = []
    for relative, text in sorted(files.items()):
        path = project_dir / relative
        if path.is_file() and path.read_bytes() == text.encode():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        # Bytes, not text mode: a prompt or document keeps its own line endings exactly.
        path.write_bytes(text.encode())
        written.append(relative)
    return written


def _report(kind: Kind, resource_id: str, result: ImportResult, written: list[str]) -> None:
    out = console()
    folder = f"agents/{result.key}/" if kind == "agent" else f"tools/{result.key}.yaml"
    out.print(f"Imported {kind} {resource_id} as {folder} ({len(written)} file(s) written).")
    for path in written:
        out.print(f"  + {path}")
    for path in sorted(set(result.files) - set(written)):
        out.print(f"  = {path} (unchanged)")
    for reused in result.reused:
        out.print(f"  = {reused}.yaml (already adopts this tool)")
    for note in result.notes:
        out.print(f"Note: {note}.")
    print_secrets(result.secrets)
    out.print(
        "\nNext: `agentform plan` shows the adoption itself (marker tags, managed copies of documents and tests)."
    )
