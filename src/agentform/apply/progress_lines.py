"""One log line per resource operation, for output that is not a terminal (CI logs), the way Terraform writes them:

    agent.clinic-receptionist: Modifying... [id=agent_123]
    agent.clinic-receptionist: Modifications complete after 2s [id=agent_123]
    document.clinic-faq: Creation complete after 0s [id=kbdoc_9]
    tool.book-appointment: Creation failed after 1s: HTTP 422 ...

A progress bar redraws one line in place, which a log file shows as nothing (or as noise); these lines say what
started, what finished with its id and duration, and what failed and why. The executor calls `started` before each
operation and `finished` with its journal entry; the text goes through the run's redactor.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from agentform.apply.journal import JournalEntry
from agentform.plan.model import ResourceChange
from agentform.redact import Redactor

# (in progress, done, noun of a failure) per plan action; `gc` is garbage collection after an apply.
_VERBS = {
    "create": ("Creating...", "Creation complete", "Creation"),
    "replace": ("Creating replacement...", "Creation complete", "Creation"),
    "update": ("Modifying...", "Modifications complete", "Modification"),
    "delete": ("Destroying...", "Destruction complete", "Destruction"),
    "gc": ("Destroying...", "Destruction complete (superseded version)", "Destruction"),
}


def starting_line(change: ResourceChange) -> str:
    verb = _VERBS.get(change.action, _VERBS["update"])[0]
    return f"{change.address}: {verb}" + (f" [id={change.live_id}]" if change.live_id else "")


def finished_line(entry: JournalEntry, seconds: float | None) -> str:
    _, done, noun = _VERBS.get(entry.action, _VERBS["update"])
    after = f" after {round(seconds)}s" if seconds is not None else ""
    ident = f" [id={entry.live_id}]" if entry.live_id else ""
    if entry.outcome == "ok":
        return f"{entry.address}: {done}{after}{ident}"
    if entry.outcome == "skipped":
        return f"{entry.address}: Skipped: {entry.error or 'not attempted'}"
    return f"{entry.address}: {noun} failed{after}: {entry.error or 'unknown error'}"


class LineReporter:
    """Writes `starting_line` and `finished_line` as operations start and end, timing each by its address."""

    def __init__(
        self,
        write: Callable[[str], None],
        redactor: Redactor | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._redactor = redactor or Redactor()
        self._clock = clock
        self._started: dict[str, float] = {}

    def started(self, change: ResourceChange) -> None:
        self._started[change.address] = self._clock()
        self._write(self._redactor.text(starting_line(change)))

    def finished(self, entry: JournalEntry) -> None:
        began = self._started.pop(entry.address, None)
        seconds = self._clock() - began if began is not None else None
        self._write(self._redactor.text(finished_line(entry, seconds)))

    def done(self, address: str, what: str, live_id: str | None = None) -> None:
        """An operation outside the executor that is over when it is reported (a branch merge, a rollback)."""
        self._write(self._redactor.text(f"{address}: {what}" + (f" [id={live_id}]" if live_id else "")))


def for_log(redactor: Redactor | None = None, stream: TextIO | None = None) -> LineReporter | None:
    """A reporter writing to `stream` (stdout) when it is not a terminal; None on a terminal (the bar is there)."""
    stream = stream or sys.stdout
    if stream.isatty():
        return None

    def write(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return LineReporter(write, redactor)
