"""Text from files and from the API made safe for the format it is written into.

Names, rationales and replies are data: a newline in a test's name must not start a GitHub workflow command
(`::error::`, `::stop-commands::`, the older `##[...]`) on the Actions log, a NUL must not reach a markdown report,
and characters XML 1.0 forbids must not make a JUnit file unreadable (docs/decisions/0094).
"""

from __future__ import annotations

import re

# A workflow command is a log line that starts (after blanks) with `::` or `##[`.
_COMMAND_START = re.compile(r"(?m)^([ \t]*)(::|##\[)")
# Control characters other than tab and newline; NUL included.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What XML 1.0 allows: tab, newline, carriage return, and these ranges.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ZERO_WIDTH_SPACE = "\u200b"


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match[0]):02x}"


def one_line(text: str) -> str:
    """A name or message on one line: line breaks as `\\n`, other control characters as `\\xNN`."""
    return _CONTROL.sub(_visible, text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r"))


def no_workflow_commands(text: str) -> str:
    """`text` with no line that the Actions runner would read as a workflow command (a zero-width space breaks it)."""
    return _COMMAND_START.sub(lambda m: f"{m[1]}{m[2][0]}{_ZERO_WIDTH_SPACE}{m[2][1:]}", text)


def printable(text: str) -> str:
    """Multi-line text for a log or a report: control characters visible, no workflow command."""
    return no_workflow_commands(_CONTROL.sub(_visible, text.replace("\r\n", "\n")))


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: every character it forbids (NUL, most C0 controls) shown as `\\xNN`."""
    return _NOT_XML.sub(_visible, text)
