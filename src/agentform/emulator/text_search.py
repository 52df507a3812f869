"""Full-text and fuzzy matching of transcript messages, for conversation search (text-search and the list's
`search` filter).

The real API's matcher is not documented beyond "full-text and fuzzy". The emulator's is simple and
deterministic: text is folded (case and diacritics), split into words, and a query word matches a message word that
equals it, starts with it (`refund` ~ `refunds`) or is one typo away (difflib ratio >= 0.8). A message's score is
the share of query words it matches; a message with no match is not a result.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from agentform.emulator.common import fold

# A query word this close to a message word (difflib ratio) still matches: "fuzzy" in the API's words.
FUZZY_CUTOFF = 0.8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Match:
    score: float
    highlights: list[dict[str, object]]  # SearchHighlightSegment: {value, is_hit}, covering the whole text


def query_words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def match(words: list[str], text: str) -> Match | None:
    """How well `text` matches the query `words`, or None when no word matches."""
    if not words:
        return None
    spans = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    hits = {i for i, (_, _, word) in enumerate(spans) if any(_word_matches(q, word) for q in words)}
    matched = [q for q in words if any(_word_matches(q, spans[i][2]) for i in hits)]
    if not matched:
        return None
    return Match(score=round(len(matched) / len(words), 4), highlights=_segments(text, spans, hits))


def _word_matches(query: str, word: str) -> bool:
    if word == query or word.startswith(query):
        return True
    return len(query) > 3 and difflib.SequenceMatcher(None, query, word).ratio() >= FUZZY_CUTOFF


def _segments(text: str, spans: list[tuple[int, int, str]], hits: set[int]) -> list[dict[str, object]]:
    """The text cut into alternating plain and matched segments (adjacent segments of one kind merged)."""
    segments: list[dict[str, object]] = []
    position = 0
    for index, (start, end, _) in enumerate(spans):
        if index not in hits:
            continue
        if start > position:
            segments.append({"value": text[position:start], "is_hit": False})
        segments.append({"value": text[start:end], "is_hit": True})
        position = end
    if position < len(text):
        segments.append({"value": text[position:], "is_hit": False})
    return segments
