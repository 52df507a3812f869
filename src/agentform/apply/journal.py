"""The apply journal: one JSON line per step, so a failed apply says exactly what was done.

Each line is a `JournalEntry`: which step of the run, the plan address, the action, the API operation with a short
request summary (never a body: bodies may hold secrets), the outcome and the live id the step produced or touched.
Because every write is journaled and every resource is found again by its marker, a re-run after a failure plans
only what is left and converges (docs/decisions/0052).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

Outcome = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class JournalEntry:
    step: int
    address: str
    action: str
    # The client method called (`create_agent`, `update_document`, ...): what the emulator's request log shows.
    operation: str
    outcome: Outcome
    live_id: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    at: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)


class Journal:
    """Entries in memory, and appended to a JSON-lines file (flushed per line) when a path is given."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[JournalEntry] = []
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def add(self, entry: JournalEntry) -> JournalEntry:
        self.entries.append(entry)
        if self._file is not None:
            # One line at a time, flushed: a crash leaves every completed step on disk.
            self._file.write(entry.to_json() + "\n")
            self._file.flush()
        return entry

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries)

    def of(self, outcome: Outcome) -> list[JournalEntry]:
        return [entry for entry in self.entries if entry.outcome == outcome]


def read_journal(path: Path) -> list[JournalEntry]:
    """The entries of a journal file (for `apply` summaries and tests)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entries.append(JournalEntry(**json.loads(line)))
    return entries


def summarise(entries: list[JournalEntry]) -> list[str]:
    """Human lines: what was done, what failed, what was not attempted."""
    lines = []
    for entry in entries:
        target = f" ({entry.live_id})" if entry.live_id else ""
        detail = f": {entry.error}" if entry.error else ""
        lines.append(f"{entry.outcome:7} {entry.action:8} {entry.address}{target} [{entry.operation}]{detail}")
    return lines
