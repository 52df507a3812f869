"""The deterministic stand-in for the LLM when the emulator runs agent tests. It is NOT a language model.

The agent "replies" with the sentence of its own material (system prompt, first message, text of its attached
KB documents) that shares the most words with the user's last turn. Tests are then judged by word overlap and
quoted phrases, so that changing a prompt or a document changes test outcomes in a predictable way:

- reply: the candidate sentence with the most distinct words in common with the user turn (case- and
  diacritic-insensitive, crude suffix stemming, common English and Romanian function words ignored); ties go to
  the sentence whose shared words are rarer in the pool, then to the earliest (prompt, then first message, then
  documents in order).
- `llm` test: passes when the reply is more similar (Jaccard on words) to the closest success example than to the
  closest failure example, and, if the success condition quotes phrases in double quotes, contains one of them.
- `tool` test: the agent "calls" the tool among its `tool_ids` whose name and description share the most words
  with the user turn (none when nothing overlaps). Passes when that is the referenced tool (with
  `check_any_tool_matches`: when the referenced tool is among all overlapping tools); `verify_absence` inverts.
- `simulation` test: `simulation_max_turns` turns in which the user says the scenario's sentences in order; passes
  when every success condition that quotes phrases has one of them in the agent's replies.

Everything here is a pure function of its inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agentform.emulator.common import fold

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"[\"“”„]([^\"“”„]+)[\"“”„]")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    summary: str
    messages: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    user_turns: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


# Function words would make "how are you" match any sentence with "are"; they carry no topic.
_STOPWORD_TEXT = """
a an and are as at be by can could do does for from has have how i in is it me my of on or our please the their
there this to was we what when where which who why will with would you your
si sa se ce la de din pe cu un o este sunt am ati va ne nu da eu tu el ea noi voi ei ele mi
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A crude English stem, so that "parking" meets "park" and "prices" meets "price"."""
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> set[str]:
    """The content words of a text, folded (case and diacritics removed) and stemmed."""
    return {stem(word) for word in _WORD.findall(fold(text)) if word not in STOPWORDS}


def sentences(text: str) -> list[str]:
    """Sentences and lines of a text, markdown bullets and headings stripped."""
    parts = (part.strip().lstrip("#*->•").strip() for part in _SENTENCE_END.split(text or ""))
    return [part for part in parts if _WORD.search(part)]


def candidates(prompt: str, first_message: str, documents: list[str]) -> list[str]:
    found: list[str] = []
    for text in (prompt, first_message, *documents):
        found += [s for s in sentences(text) if s not in found]
    return found


def best_reply(user_turn: str, pool: list[str], *, avoid: frozenset[str] = frozenset()) -> str:
    """The candidate sharing the most words with the user turn (see the module docstring); "" for an empty pool.

    `avoid` (replies already given in a simulation) loses to any other sentence with the same overlap.
    """
    asked = words(user_turn)
    pool_words = [words(sentence) for sentence in pool]
    frequency: dict[str, int] = {}
    for found in pool_words:
        for word in found:
            frequency[word] = frequency.get(word, 0) + 1
    best, best_score = "", (-1.0, -1.0)
    for sentence, found in zip(pool, pool_words, strict=True):
        shared = asked & found
        rarity = sum(1 / frequency[word] for word in shared)
        score = (len(shared) - (0.5 if sentence in avoid else 0.0), rarity)
        if score > best_score:
            best, best_score = sentence, score
    return best


def similarity(a: str, b: str) -> float:
    left, right = words(a), words(b)
    return len(left & right) / len(left | right) if left | right else 0.0


def quoted_phrases(condition: str | None) -> list[str]:
    return [match.strip() for match in _QUOTED.findall(condition or "") if match.strip()]


def contains_phrase(text: str, phrases: list[str]) -> str | None:
    folded = fold(text)
    return next((p for p in phrases if fold(p) in folded), None)


def last_user_turn(chat_history: list[dict[str, Any]]) -> str:
    for item in reversed(chat_history or []):
        if item.get("role") == "user" and item.get("message"):
            return str(item["message"])
    return ""


def judge_llm(test: dict[str, Any], pool: list[str]) -> Verdict:
    user = last_user_turn(test.get("chat_history") or [])
    reply = best_reply(user, pool)
    success = [e.get("response", "") for e in test.get("success_examples") or []]
    failure = [e.get("response", "") for e in test.get("failure_examples") or []]
    to_success = max((similarity(reply, e) for e in success), default=0.0)
    to_failure = max((similarity(reply, e) for e in failure), default=0.0)
    messages = [f"Reply chosen by word overlap with {user!r}: {reply!r}."]
    closer = to_success > to_failure or (not success and not failure)
    messages.append(f"Similarity to success examples {to_success:.2f}, to failure examples {to_failure:.2f}.")
    phrases = quoted_phrases(test.get("success_condition"))
    phrase_ok = True
    if phrases:
        hit = contains_phrase(reply, phrases)
        phrase_ok = hit is not None
        messages.append(f"Quoted phrase {hit!r} found." if hit else f"None of the quoted phrases {phrases} found.")
    passed = closer and phrase_ok
    summary = (
        "The reply matches the success condition."
        if passed
        else "The reply is not closer to the success examples."
        if not closer
        else "The reply lacks every phrase quoted in the success condition."
    )
    return Verdict(passed, summary, messages, replies=[reply], user_turns=[user])


def choose_tools(user_turn: str, tools: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The agent's tools that overlap the user turn, best first (ties keep the agent's order)."""
    asked = words(user_turn)
    scored = []
    for tool in tools:
        config = tool.get("tool_config", {})
        name = str(config.get("name", "")).replace("_", " ").replace("-", " ")
        score = len(asked & (words(name) | words(str(config.get("description", "")))))
        if score:
            scored.append((score, tool))
    return sorted(scored, key=lambda pair: -pair[0])


def judge_tool(test: dict[str, Any], tools: list[dict[str, Any]]) -> Verdict:
    user = last_user_turn(test.get("chat_history") or [])
    params = test.get("tool_call_parameters") or {}
    wanted = (params.get("referenced_tool") or {}).get("id")
    ranked = choose_tools(user, tools)
    called = [tool for _, tool in ranked] if test.get("check_any_tool_matches") else [t for _, t in ranked[:1]]
    hit = any(tool["id"] == wanted for tool in called)
    names = [tool.get("tool_config", {}).get("name") for tool in called]
    messages = [f"Tools matching {user!r} by name or description: {names or 'none'}."]
    if params.get("verify_absence"):
        passed = not hit
        summary = "The tool was not called, as required." if passed else "The tool was called, but must not be."
    else:
        passed = hit
        summary = "The referenced tool was called." if passed else f"The referenced tool {wanted} was not called."
    calls = [
        {
            "request_id": f"call_{i}",
            "tool_name": tool["tool_config"].get("name", ""),
            "tool_id": tool["id"],
            "params_as_json": "{}",
            "tool_has_been_called": True,
            "type": tool["tool_config"].get("type"),
        }
        for i, tool in enumerate(called)
    ]
    return Verdict(passed, summary, messages, replies=[""], user_turns=[user], tool_calls=calls)


def judge_simulation(test: dict[str, Any], pool: list[str]) -> Verdict:
    scenario = sentences(test.get("simulation_scenario") or "") or [test.get("simulation_scenario") or ""]
    turns = max(1, int(test.get("simulation_max_turns") or len(scenario)))
    user_turns = [scenario[i % len(scenario)] for i in range(turns)]
    replies: list[str] = []
    for turn in user_turns:
        replies.append(best_reply(turn, pool, avoid=frozenset(replies)))
    conditions = list(test.get("success_conditions") or []) or [test.get("success_condition") or ""]
    transcript = " ".join(replies)
    messages, passed = [], True
    for condition in conditions:
        phrases = quoted_phrases(condition)
        if not phrases:
            messages.append(f"Condition {condition!r} quotes no phrase; the stand-in model cannot judge it.")
            continue
        hit = contains_phrase(transcript, phrases)
        passed = passed and hit is not None
        messages.append(f"Condition {condition!r}: " + (f"{hit!r} said." if hit else f"none of {phrases} said."))
    summary = "Every quoted phrase was said." if passed else "A success condition's phrases were never said."
    return Verdict(passed, summary, messages, replies=replies, user_turns=user_turns)
