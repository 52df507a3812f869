"""A real conversation turned into a test spec: the history up to one user turn, the agent's actual reply as an
example (or the tool call it made as the expected call), and metadata linking the test back to the conversation.

Everything but `write_spec` is pure: a conversation (the API's JSON) in, a spec dict and its YAML text out.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SpecKind = Literal["llm", "tool"]

# Transcript fields worth keeping in a spec's chat history; the rest (usage, metrics, RAG info) is noise in review.
_HISTORY_FIELDS = ("role", "message", "time_in_call_secs", "tool_calls", "tool_results")
_TOOL_CALL_FIELDS = ("type", "request_id", "tool_name", "tool_id", "params_as_json", "tool_has_been_called")
_TOOL_RESULT_FIELDS = ("type", "request_id", "tool_name", "tool_id", "result_value", "is_error", "tool_has_been_called")
_MAX_SLUG_LENGTH = 48
_NOT_IN_BLOCKS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_NO_QUOTES = str.maketrans({quote: "'" for quote in '"“”„«»'})

# A condition that works as written (an evaluator can judge it against the example) and that the header of the
# generated file asks the author to sharpen. No double quotes: the offline stand-in model reads quoted phrases as
# required wording, and the user's words are not what the reply must contain.
SUCCESS_CONDITION = (
    "The agent answers the user's last message ({message}) with the same facts and intent as the success example."
)
FAILURE_CONDITION = "The agent answers the user's last message ({message}) without the mistake of the failure example."


class FromConversationError(ValueError):
    """The conversation cannot become the requested test (no such turn, no tool call, ...)."""


@dataclass(frozen=True)
class TurnSelection:
    """The chosen user turn: the history up to and including it, and what the agent did next."""

    number: int
    history: list[dict[str, Any]]
    user_message: str
    reply: list[dict[str, Any]]

    @property
    def reply_text(self) -> str:
        return "\n".join(str(item["message"]) for item in self.reply if item.get("message")).strip()

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [call for item in self.reply for call in item.get("tool_calls") or []]


def select_turn(transcript: list[dict[str, Any]], turn: int | None = None) -> TurnSelection:
    """The `turn`-th user message (1-based; negative counts from the end), default the last one the agent answered."""
    user_indexes = [i for i, item in enumerate(transcript) if item.get("role") == "user" and item.get("message")]
    answered = [i for i in user_indexes if _reply_after(transcript, i)]
    if not user_indexes:
        raise FromConversationError("the conversation has no user message to build a test from")
    if turn is None:
        if not answered:
            raise FromConversationError("the agent never answered a user message in this conversation")
        index = answered[-1]
    else:
        if turn == 0 or abs(turn) > len(user_indexes):
            raise FromConversationError(f"--turn {turn}: the conversation has {len(user_indexes)} user turns (1..)")
        index = user_indexes[turn - 1 if turn > 0 else turn]
    reply = _reply_after(transcript, index)
    if not reply:
        raise FromConversationError(f"the agent did not answer user turn {user_indexes.index(index) + 1}")
    return TurnSelection(
        number=user_indexes.index(index) + 1,
        history=[history_item(item) for item in transcript[: index + 1]],
        user_message=str(transcript[index]["message"]),
        reply=[history_item(item) for item in reply],
    )


def _reply_after(transcript: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """The agent's items after the user item at `index`, up to the next user message."""
    reply: list[dict[str, Any]] = []
    for item in transcript[index + 1 :]:
        if item.get("role") == "user" and item.get("message"):
            break
        if item.get("role") == "agent" and (item.get("message") or item.get("tool_calls")):
            reply.append(item)
    return reply


def _shorthand(item: dict[str, Any]) -> dict[str, Any]:
    """`{user: "..."}` for a plain message (the spec format's shorthand); tool calls and results stay full."""
    if set(item) <= {"role", "message", "time_in_call_secs"} and item.get("message"):
        return {item["role"]: item["message"]}
    return item


def history_item(item: dict[str, Any]) -> dict[str, Any]:
    """A transcript item reduced to what a test's `chat_history` needs (`time_in_call_secs` is required)."""
    kept: dict[str, Any] = {key: item[key] for key in _HISTORY_FIELDS if item.get(key) not in (None, [], "")}
    kept.setdefault("time_in_call_secs", 0)
    if "tool_calls" in kept:
        kept["tool_calls"] = [_pick(call, _TOOL_CALL_FIELDS) for call in kept["tool_calls"]]
    if "tool_results" in kept:
        kept["tool_results"] = [_pick(result, _TOOL_RESULT_FIELDS) for result in kept["tool_results"]]
    return kept


def build_spec(
    conversation: dict[str, Any],
    *,
    turn: int | None = None,
    kind: SpecKind | None = None,
    as_failure: bool = False,
    tool_keys: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A test spec (our file format) from a conversation.

    `kind` None means: a tool test when the agent answered with a tool call, else an llm test. `tool_keys` maps a
    tool's name or live id to its file key, so the spec references the tool by key (`tool:`) when it is ours.
    """
    selected = select_turn(conversation.get("transcript") or [], turn)
    kind = kind or ("tool" if selected.tool_calls else "llm")
    spec: dict[str, Any] = {"kind": kind, "name": _name(selected.user_message)}
    spec["chat_history"] = [_shorthand(item) for item in selected.history]
    if kind == "llm":
        spec.update(_llm_fields(selected, as_failure=as_failure))
    else:
        spec.update(_tool_fields(selected, tool_keys or {}))
    variables = _dynamic_variables(conversation)
    if variables:
        spec["dynamic_variables"] = variables
    spec["from_conversation_metadata"] = _metadata(conversation, selected)
    return spec


def _llm_fields(selected: TurnSelection, *, as_failure: bool) -> dict[str, Any]:
    reply = selected.reply_text
    if not reply:
        raise FromConversationError(
            f"the agent answered user turn {selected.number} only with a tool call: use --kind tool"
        )
    condition = FAILURE_CONDITION if as_failure else SUCCESS_CONDITION
    # Examples as plain strings: the spec format's shorthand for {response, type} (project/specs.py expands them).
    return {
        "success_condition": condition.format(message=_excerpt(selected.user_message).translate(_NO_QUOTES)),
        "success_examples": [] if as_failure else [reply],
        "failure_examples": [reply] if as_failure else [],
    }


def _tool_fields(selected: TurnSelection, tool_keys: dict[str, str]) -> dict[str, Any]:
    if not selected.tool_calls:
        raise FromConversationError(f"the agent made no tool call after user turn {selected.number}: use --kind llm")
    call = selected.tool_calls[0]
    parameters = [
        {"path": path, "eval": {"type": "exact", "expected_value": value}}
        for path, value in flatten_parameters(_parse_params(call.get("params_as_json")))
    ]
    fields: dict[str, Any] = {}
    key = tool_keys.get(str(call.get("tool_id"))) or tool_keys.get(str(call.get("tool_name")))
    evaluation: dict[str, Any] = {"parameters": parameters, "verify_absence": False}
    if key:
        fields["tool"] = key
    elif call.get("type") == "system":
        # Built-in tools (end_call, transfer_to_number, ...) have no file: they are referenced by their own id.
        evaluation["referenced_tool"] = {"id": call.get("tool_id") or call.get("tool_name"), "type": "system"}
    else:
        raise FromConversationError(
            f"the agent called tool {call.get('tool_name')!r}, which no tools/<key>.yaml of this project declares "
            "(matched by tool_config.name or id:): add or adopt the tool first, or use --kind llm"
        )
    fields["tool_call_parameters"] = evaluation
    return fields


def _parse_params(params_as_json: Any) -> Any:
    if not params_as_json:
        return {}
    try:
        return json.loads(params_as_json)
    except (TypeError, ValueError):
        return {}


def flatten_parameters(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Leaf values of the call's parameters as (dotted path, value): one exact check each, easy to loosen."""
    if isinstance(value, dict) and value:
        return [pair for key, item in value.items() for pair in flatten_parameters(item, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), value)] if prefix else []


def _dynamic_variables(conversation: dict[str, Any]) -> dict[str, Any]:
    client_data = conversation.get("conversation_initiation_client_data") or {}
    variables = client_data.get("dynamic_variables") or {}
    # system__* variables (time, caller id, conversation id) are set by the platform on every call.
    return {key: value for key, value in variables.items() if not str(key).startswith("system__")}


def _metadata(conversation: dict[str, Any], selected: TurnSelection) -> dict[str, Any]:
    metadata = {
        "conversation_id": conversation.get("conversation_id"),
        "agent_id": conversation.get("agent_id"),
        "branch_id": conversation.get("branch_id"),
        "original_agent_reply": selected.reply,
    }
    return {key: value for key, value in metadata.items() if value is not None}


def _name(user_message: str) -> str:
    return f"Reply to: {_excerpt(user_message)}"


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def slugify(text: str, *, fallback: str = "conversation") -> str:
    """A file key from free text: ASCII, lowercase, dash-separated, a few words ("Bună ziua!" -> "buna-ziua")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > _MAX_SLUG_LENGTH:
            break
        slug = candidate
    return slug or fallback


def spec_key(selected_user_message: str, conversation_id: str) -> str:
    """The default test key: the user's words, else the conversation id."""
    return slugify(selected_user_message, fallback=slugify(conversation_id, fallback="conversation"))


def spec_yaml(spec: dict[str, Any], *, header: str = "") -> str:
    """The spec as YAML for humans: multi-line strings as blocks, non-ASCII kept, `header` as leading comments."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    def blocks(value: Any) -> Any:
        # Control characters and Unicode line breaks do not survive a block (or ruamel's own style choice): quote.
        if isinstance(value, str) and _NOT_IN_BLOCKS.search(value):
            return DoubleQuotedScalarString(value)
        if isinstance(value, str) and "\n" in value:
            return LiteralScalarString(value)
        if isinstance(value, dict):
            return {key: blocks(item) for key, item in value.items()}
        if isinstance(value, list):
            return [blocks(item) for item in value]
        return value

    yaml = YAML()
    yaml.width = 110
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(blocks(spec), out)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + out.getvalue()


def write_spec(path: Path, text: str, *, force: bool = False) -> None:
    """Write the spec file; an existing file is replaced only with `force`."""
    if path.exists() and not force:
        raise FromConversationError(f"{path} already exists: choose another --key, or --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _pick(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {key: data[key] for key in fields if data.get(key) is not None}
