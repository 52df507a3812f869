"""What the commands share on top of the engine (`agentform.context`): consoles, the load's diagnostics printed (bad
input: every diagnostic, nothing sent), one-line errors with secrets masked, the confirmation rule and progress bars.

A command module is then argument handling, a library call and an exit code.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TypeVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.control import strip_control_codes
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.segment import Segment
from rich.text import Text

from agentform import context, exitcodes
from agentform.context import Context, Loaded
from agentform.elevenlabs.client import ElevenLabsClient
from agentform.escape import printable
from agentform.plan.model import Plan
from agentform.plan.render_text import render_text
from agentform.plan.shard import Shard
from agentform.project import Diagnostic
from agentform.redact import Redactor

T = TypeVar("T")


def console(*, stderr: bool = False) -> Console:
    # No soft wrapping and no highlighting: plans are diffs, and a colourised id or a folded line misleads.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_diagnostics(diagnostics: Iterable[Diagnostic], err: Console) -> None:
    """Each diagnostic (`file:line:column: severity: field: message`), then how many errors stopped the command."""
    diagnostics = list(diagnostics)
    for diagnostic in diagnostics:
        err.print(Text(str(diagnostic), style="red" if diagnostic.severity == "error" else "yellow"))
    errors = sum(1 for d in diagnostics if d.severity == "error")
    err.print(f"{errors} error(s): nothing was sent to the API.")


def load(project_dir: Path, env: str | None, ref: str | None = None, strict: bool = False) -> Loaded:
    """The project loaded (`context.load`), its diagnostics printed: every one when the files are invalid (nothing is
    sent), else the warnings, one line each on stderr, before anything the command prints."""
    loaded = context.load(project_dir, env, ref, strict=strict)
    if loaded.desired is None:
        print_diagnostics(loaded.diagnostics, console(stderr=True))
        return loaded
    for warning in loaded.diagnostics:
        console(stderr=True).print(Text(str(warning), style="yellow"))
    return loaded


def print_error(error: BaseException | str, redactor: Redactor | None = None) -> int:
    """`Error: <message>` on stderr, secrets masked: one readable line instead of a traceback. Returns ERROR."""
    message = printable(str(error) if redactor is None else redactor.text(str(error)))
    console(stderr=True).print(Text(f"Error: {message}", style="red"))
    return exitcodes.ERROR


class Session(Context):
    """The engine (`Context`) as a command drives it: diagnostics, errors and the shard's agents printed, and the
    work run in its own event loop that SIGTERM cancels."""

    @classmethod
    def open(
        cls,
        project_dir: Path,
        env: str | None,
        *,
        ref: str | None = None,
        strict: bool = False,
        parallelism: int | None = None,
    ) -> Session | None:
        """Load the project; None after printing every diagnostic (the command exits 1, nothing was sent)."""
        return cls.of(project_dir, load(project_dir, env, ref, strict), parallelism=parallelism)

    def run(self, work: Callable[[ElevenLabsClient], Awaitable[T]]) -> T:
        """Open the client, run `work` with it and close it; exceptions propagate (see `fail`).

        SIGTERM cancels `work` as SIGINT does, so that it cleans up (an apply releases its lock); the process then
        exits 143 or 130, as a process killed by the signal would.
        """

        async def with_client() -> T:
            async with self.client() as client:
                return await work(client)

        return context.run_until_signalled(with_client)

    def unmatched(self, select: Iterable[str] = (), tests: Iterable[str] = ()) -> int | None:
        """ERROR after saying so when a `--select` (or `--test`) glob matches nothing; None when all match.

        A typo in a glob would otherwise plan, apply or test nothing and exit 0, and a CI job would pass.
        """
        agents = list(self.desired.agents)
        for glob in select:
            if not any(fnmatch.fnmatchcase(key, glob) for key in agents):
                return self.fail(f"--select {glob!r} matches no agent (agents: {', '.join(sorted(agents)) or 'none'})")
        names = [test.key for test in self.desired.tests.values()] + list(self.desired.tests)
        for glob in tests:
            if not any(fnmatch.fnmatchcase(name, glob) for name in names):
                return self.fail(f"--test {glob!r} matches no test")
        return None

    def announce(self, shard: Shard | None) -> None:
        """Say on stderr which agents `shard` holds (nothing without one): each matrix job logs its own part."""
        if shard is not None:
            console(stderr=True).print(shard.describe(self.desired.agents))

    def fail(self, error: BaseException | str) -> int:
        """Print `error` as one line with the secrets masked; the ERROR exit code."""
        return print_error(error, self.redactor)


def with_session(project_dir: Path, env: str | None, command: Callable[[Session], int]) -> int:
    """The exit code of `command` run on the project's session; ERROR when the files do not load (every diagnostic
    printed) or when `command` raises (one readable line, secrets masked: never a traceback)."""
    session = Session.open(project_dir, env)
    if session is None:
        return exitcodes.ERROR
    try:
        return command(session)
    except Exception as error:  # API, transport, bad input: one readable line, never a traceback with secrets
        return session.fail(error)


def confirmation_possible(auto_approve: bool, is_terminal: bool | None, to_do: str) -> bool:
    """Whether a write may go ahead to the question: approved already, or someone at a terminal to answer it.

    When not, says so (naming `--auto-approve`) so a CI job fails with the reason instead of hanging on a prompt.
    """
    interactive = sys.stdin.isatty() if is_terminal is None else is_terminal
    if auto_approve or interactive:
        return True
    print_error(f"not a terminal, so there is no one to confirm: pass --auto-approve to {to_do}.")
    return False


def progress_bar(err: Console, *, disable: bool = False) -> Progress:
    """The progress display of long runs (apply steps, test runs): on stderr, gone when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=disable,
    )


def write_text(path: Path, text: str, *, append: bool = False) -> None:
    """Write a report file the user asked for, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        handle.write(text)


def print_styled(lines: Iterable[str], out: Console, style_of: Callable[[str], str]) -> None:
    """Print `lines`, each in the style `style_of` picks for it (plans by their symbol, reports by their verdict).

    A `print` per block of lines, not per line: rich's cost is per call, and a plan of 500 agents has tens of
    thousands of lines (one block for all of them would hold its whole rendering in memory).
    """
    block: list[tuple[str, str]] = []
    for line in lines:
        block.append((line, style_of(line)))
        if len(block) == _LINES_PER_PRINT:
            out.print(StyledLines(block), end="")
            block = []
    if block:
        out.print(StyledLines(block), end="")


class StyledLines:
    """Lines, each in one style, as rich prints them: what a `Text` of the same lines renders to, made straight into
    segments when nothing is wrapped (the consoles' soft wrap), without `Text`'s splitting and span bookkeeping, a
    second of CPU for a 500-agent plan's 30 000 lines."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        unwrapped = options.no_wrap and options.overflow == "ignore"
        if not unwrapped or any("\t" in line for line, _ in self.lines):
            # Wrapping, cropping and tab stops are `Text`'s to do.
            yield self.as_text()
            return
        # `Text` drops control codes too (a plan's text has none left: `escape.printable`).
        if console.color_system is None and not console.record:
            # No colour to write (a CI log): the styles change no byte.
            yield Segment(strip_control_codes("".join(line + "\n" for line, _ in self.lines)))
            return
        newline = Segment("\n")
        for line, style in self.lines:
            yield Segment(strip_control_codes(line), console.get_style(style) if style else None)
            yield newline

    def as_text(self) -> Text:
        text = Text(end="")
        for line, style in self.lines:
            text.append(line + "\n", style=style)
        return text


_LINES_PER_PRINT = 500


# Longest symbol first, so that "-/+" is not taken for "-".
_PLAN_STYLES = (("-/+", "magenta"), ("+", "green"), ("-", "red"), ("~", "yellow"), ("!", "red"))


def _plan_style(line: str) -> str:
    stripped = line.lstrip()
    return next((style for symbol, style in _PLAN_STYLES if stripped.startswith(symbol)), "")


def print_plan_text(plan: Plan, out: Console) -> None:
    """The text rendering, coloured by the Terraform symbol that starts each line."""
    print_styled(render_text(plan).splitlines(), out, _plan_style)
