"""The sticky PR comment: one comment per PR and environment, found again by a hidden marker, edited in place.

Composition is pure: sections of markdown in, one string out, never longer than GitHub's limit on a comment body
(65,536 characters). When the plan or the test details are too long, the longest sections are cut at a line
boundary, with their code fences and `<details>` blocks closed so the rest of the comment still renders, and a
note points at the full report uploaded as a workflow artifact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# GitHub rejects comment bodies above this many characters.
COMMENT_LIMIT = 65_536
# Headroom for what we cannot measure exactly (GitHub counts some characters differently from Python).
_HEADROOM = 1_024
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    """A collapsible block of the comment."""

    title: str
    body: str
    # Expanded by default: only for short, important content (failures).
    open: bool = False


def marker(kind: str, env: str) -> str:
    """The hidden line that identifies our comment: `<!-- agentform:pr env=production -->`."""
    return f"<!-- agentform:{kind} env={env} -->"


def truncate_markdown(text: str, max_chars: int, note: str) -> str:
    """`text` cut at a line boundary to at most `max_chars`, open fences and `<details>` closed, `note` appended."""
    if len(text) <= max_chars:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    fence: str | None = None
    open_details = 0
    # Whatever we cut, we may have to close one fence and every open <details>, then add the note.
    reserve = len(note) + 16
    for line in lines:
        closing = _closing(fence, open_details + len(_DETAILS_OPEN.findall(line)))
        if size + len(line) + 1 + len(closing) + reserve > max_chars:
            break
        kept.append(line)
        size += len(line) + 1
        fence = _next_fence_state(fence, line)
        open_details += len(_DETAILS_OPEN.findall(line)) - len(_DETAILS_CLOSE.findall(line))
    cut = "\n".join(kept)
    tail = _closing(fence, max(open_details, 0))
    result = f"{cut}\n{tail}{note}" if cut else f"{tail}{note}"
    # A single line longer than the budget leaves nothing to keep; the note alone may still not fit.
    return result[:max_chars]


def _next_fence_state(fence: str | None, line: str) -> str | None:
    match = _FENCE.match(line)
    if not match:
        return fence
    marker_ = match.group(1)
    if fence is None:
        return marker_[0] * 3
    return None if marker_.startswith(fence) else fence


def _closing(fence: str | None, open_details: int) -> str:
    return (f"{fence}\n" if fence else "") + "</details>\n" * max(open_details, 0)


def _render_section(section: Section, body: str) -> str:
    opened = " open" if section.open else ""
    # Blank lines around the body: GitHub renders markdown inside <details> only when it is set apart.
    return f"<details{opened}><summary>{section.title}</summary>\n\n{body}\n\n</details>"


def _fair_shares(sizes: Sequence[int], budget: int) -> list[int]:
    """Split `budget` over sections: small ones keep everything, the rest share what is left equally."""
    shares = [0] * len(sizes)
    remaining = max(budget, 0)
    order = sorted(range(len(sizes)), key=lambda index: sizes[index])
    for position, index in enumerate(order):
        fair = remaining // (len(order) - position)
        shares[index] = min(sizes[index], fair)
        remaining -= shares[index]
    return shares


def compose_comment(
    *,
    marker_line: str,
    headline: str,
    summary: Sequence[str],
    sections: Sequence[Section],
    footer: str = "",
    artifact_note: str = "Cut to fit a GitHub comment: the full report is in the workflow run's artifacts.",
    limit: int = COMMENT_LIMIT,
) -> str:
    """The comment body: marker, headline, summary lines, collapsible sections, footer; at most `limit` chars."""
    head = "\n".join([marker_line, headline, "", *summary]).rstrip()
    fixed = len(head) + len(footer) + sum(len(_render_section(section, "")) + 2 for section in sections) + 4
    budget = limit - _HEADROOM - fixed
    note = f"\n_{artifact_note}_"
    shares = _fair_shares([len(section.body) for section in sections], budget)
    parts = [head]
    for section, share in zip(sections, shares, strict=True):
        body = section.body if len(section.body) <= share else truncate_markdown(section.body, share, note)
        parts.append(_render_section(section, body))
    if footer:
        parts.append(footer)
    text = "\n\n".join(parts) + "\n"
    # The fixed parts alone can exceed the limit only with absurd inputs (thousands of sections); never post
    # something GitHub will refuse.
    return text if len(text) <= limit - _HEADROOM else truncate_markdown(text, limit - _HEADROOM, note)
