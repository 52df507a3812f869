"""agents/<key>/agent.yaml + prompt.md -> `DesiredAgent`.

The prompt file's text goes to `conversation_config.agent.prompt.prompt`; knowledge and tool references stay as
file keys (the planner resolves ids). References to unknown documents or tools are reported here.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from agentform.model import DesiredAgent, KnowledgeRef, SourceLocation
from agentform.project.context import START, Context, dotted
from agentform.project.fieldtree import Report, values_checked_elsewhere
from agentform.project.schema import AgentFile, KnowledgeItem, did_you_mean, validate_model
from agentform.project.yamlio import YamlDocument

AGENT_FILE = "agent.yaml"
DEFAULT_PROMPT = "prompt.md"
API_SECTIONS = ("conversation_config", "platform_settings", "workflow")


def load_agents(context: Context, documents: set[str], tools: set[str]) -> dict[str, DesiredAgent]:
    folders: dict[str, list[str]] = {}
    for path in sorted(context.files):
        if path.startswith("agents/"):
            parts = path.split("/")
            if len(parts) < 3:
                context.diagnostics.error(
                    path, START, "", "agents/ holds one folder per agent (agents/<key>/agent.yaml)"
                )
                continue
            folders.setdefault(parts[1], []).append(path)
    agents = {}
    for key, paths in folders.items():
        agent_file = f"agents/{key}/{AGENT_FILE}"
        if agent_file not in paths:
            context.diagnostics.error(paths[0], START, "", f"agent folder agents/{key}/ has no {AGENT_FILE}")
            continue
        if not context.valid_key(agent_file, "agent", key):
            continue
        document = context.read_yaml(agent_file)
        if document is None:
            continue
        resolved = context.resolve_resource(document, AgentFile, partial(_check_api, context))
        if resolved is None:
            continue
        agent = _build_agent(context, key, document, resolved[0], documents, tools)
        if agent is not None:
            agents[key] = agent
    return agents


# Where the prompt file's text goes: a scalar in the way is reported by the prompt placement, more clearly.
_PROMPT_PARENTS = frozenset({("conversation_config", "agent"), ("conversation_config", "agent", "prompt")})


def _check_api(context: Context, data: dict[str, Any], report: Report) -> None:
    report = values_checked_elsewhere(report, _PROMPT_PARENTS)
    for section in API_SECTIONS:
        if isinstance(data.get(section), dict):
            context.fieldtree.check(section, data[section], report, (section,))


def _build_agent(
    context: Context, key: str, document: YamlDocument, parsed: Any, documents: set[str], tools: set[str]
) -> DesiredAgent | None:
    errors_before = len(context.diagnostics.items)
    conversation_config = copy.deepcopy(parsed.conversation_config)
    adopted = parsed.id is not None
    prompt_source = _place_prompt(context, key, document, parsed.prompt_file, conversation_config, adopted)
    knowledge = _knowledge_refs(context, document, parsed.knowledge, documents)
    _check_refs(context, document, "tools", parsed.tools, tools, "tool")
    if any(d.severity == "error" for d in context.diagnostics.items[errors_before:]):
        return None
    return DesiredAgent(
        key=key,
        name=parsed.name,
        conversation_config=conversation_config,
        platform_settings=parsed.platform_settings,
        workflow=parsed.workflow,
        tags=parsed.tags,
        knowledge=knowledge,
        tools=parsed.tools,
        id=parsed.id,
        prevent_destroy=parsed.prevent_destroy,
        source=SourceLocation(path=document.path),
        prompt_source=prompt_source,
    )


def _place_prompt(
    context: Context,
    key: str,
    document: YamlDocument,
    prompt_file: str | None,
    conversation_config: dict[str, Any],
    adopted: bool,
) -> SourceLocation | None:
    """Put the prompt file's text into `conversation_config` (in place); returns where it came from.

    The prompt is the file named by prompt_file, else agents/<key>/prompt.md, else an inline prompt; each problem
    (set twice, empty, missing, a section in the way) is reported. An empty prompt file is an error, except for an
    agent that adopts a live one (`id:`): the API allows an agent without a prompt, and `import` writes what is
    live, so there it is a warning (docs/decisions/0120)."""
    inline_prompt = (
        conversation_config.get("agent", {}).get("prompt", {}).get("prompt")
        if _nested_dicts(conversation_config)
        else None
    )
    if prompt_file is None and f"agents/{key}/{DEFAULT_PROMPT}" in context.files and inline_prompt is None:
        prompt_file = DEFAULT_PROMPT
    if prompt_file is None:
        if not (isinstance(inline_prompt, str) and inline_prompt.strip()):
            context.diagnostics.error(
                document.path, START, "prompt_file", f"the agent has no prompt: add agents/{key}/{DEFAULT_PROMPT}"
            )
        return None
    if inline_prompt is not None:
        at: tuple[str, ...] = ("conversation_config", "agent", "prompt", "prompt")
        context.diagnostics.error(
            document.path, document.where(at), dotted(at), "the prompt is set twice: here and by prompt_file"
        )
    path = context.resolve_path(document, ("prompt_file",), prompt_file)
    text = context.read_text(path) if path else None
    if path is None or text is None:
        return None
    if not text.strip():
        if not adopted:
            context.diagnostics.error(path, START, "", "prompt is empty")
            return None
        message = "prompt is empty (allowed for an agent adopted with `id:`, as the live agent has none)"
        context.diagnostics.warning(path, START, "", message)
    at = _set_prompt(conversation_config, text)
    if at:
        message = "expected a mapping (the prompt file's text goes inside it)"
        context.diagnostics.error(document.path, document.where(at), dotted(at), message)
    return SourceLocation(path=path)


def _nested_dicts(config: dict[str, Any]) -> bool:
    agent = config.get("agent")
    return isinstance(agent, dict) and isinstance(agent.get("prompt", {}), dict)


def _set_prompt(config: dict[str, Any], text: str) -> tuple[str, ...]:
    """Put the prompt text at agent.prompt.prompt; returns the path of a section in the way, if any."""
    agent = config.setdefault("agent", {})
    if not isinstance(agent, dict):
        return ("conversation_config", "agent")
    prompt = agent.setdefault("prompt", {})
    if not isinstance(prompt, dict):
        return ("conversation_config", "agent", "prompt")
    prompt["prompt"] = text
    return ()


def _knowledge_refs(context: Context, document: YamlDocument, items: list[Any], known: set[str]) -> list[KnowledgeRef]:
    refs = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        at = ("knowledge", index)

        def report(sub: tuple[str | int, ...], message: str, at: tuple[str | int, ...] = at) -> None:
            context.diagnostics.error(document.path, document.where((*at, *sub)), dotted((*at, *sub)), message)

        if isinstance(item, str):
            ref = KnowledgeRef(key=item)
        elif isinstance(item, dict):
            parsed = validate_model(KnowledgeItem, item, report)
            if parsed is None:
                continue
            ref = KnowledgeRef(key=parsed.key, usage_mode=parsed.usage_mode)
        else:
            report((), "expected a document key or {key: ..., usage_mode: prompt|auto}")
            continue
        if ref.key in seen:
            report((), f"document {ref.key!r} is listed twice")
            continue
        seen.add(ref.key)
        if ref.key not in known:
            report((), _unknown("document", ref.key, known, f"knowledge/{ref.key}.md"))
            continue
        refs.append(ref)
    return refs


def _check_refs(
    context: Context, document: YamlDocument, field: str, keys: list[str], known: set[str], kind: str
) -> None:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        at = (field, index)
        if key in seen:
            context.diagnostics.error(document.path, document.where(at), dotted(at), f"{kind} {key!r} is listed twice")
        elif key not in known:
            message = _unknown(kind, key, known, f"{field}/{key}.yaml")
            context.diagnostics.error(document.path, document.where(at), dotted(at), message)
        seen.add(key)


def _unknown(kind: str, key: str, known: set[str], expected: str) -> str:
    guess = did_you_mean(key, known)
    hint = f"did you mean {guess!r}?" if guess else f"expected {expected}"
    return f"unknown {kind} {key!r} ({hint})"
