"""Live resources -> project files: the pure half of `agentform import` (docs/decisions/0015-import.md, 0120).

The command reads an agent (or a tool) and everything it references through the client, then calls
`import_agent` / `import_tool` here with the API's JSON. What comes back is the text of every file to write, keyed
by its path in the project, plus the secret variables the files now reference instead of live secret values.

The files say exactly what is live, minus what agentform manages itself or the server owns: read-only fields, nulls
and empty containers, the references that become `knowledge:` / `tools:` / test specs, and our marker tags. Adopted
agents and tools carry `id:`, so the next plan updates them in place; documents and tests become managed,
content-addressed copies (they have no `id:` adoption: their identity is their managed folder and name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentform.adopt.values import escaped, pruned, spec_of_test
from agentform.plan import identity
from agentform.plan.normalize import AGENT_READ_ONLY_PATHS, TOOL_READ_ONLY_PATHS, without_paths
from agentform.plan.references import references
from agentform.project.context import KEY
from agentform.testing.from_conversation import slugify, spec_yaml

# Also managed by agentform or owned by the server, beyond the read-only fields the planner ignores.
_AGENT_DROPPED_PATHS: tuple[tuple[str, ...], ...] = (
    *AGENT_READ_ONLY_PATHS,
    # Become prompt.md, `knowledge:`, `tools:` and test specs.
    ("conversation_config", "agent", "prompt", "prompt"),
    ("conversation_config", "agent", "prompt", "knowledge_base"),
    ("conversation_config", "agent", "prompt", "tool_ids"),
    ("platform_settings", "testing", "attached_tests"),
    # Deprecated inline copies of tools; sending them next to tool_ids is refused by the API.
    ("conversation_config", "agent", "prompt", "tools"),
    # Issued by the server (elevenlabs-api.md §1.5) and a credential: never written to git.
    ("platform_settings", "auth", "shareable_token"),
)
# Header names whose plain values are credentials: written as `${VARIABLE}` references, never as values.
_SENSITIVE_HEADER = re.compile(r"auth|token|secret|key|password|cookie|signature|credential", re.IGNORECASE)


class ImportRefused(ValueError):
    """The live resource cannot be imported as asked (already managed, an empty document, ...): nothing is written."""


@dataclass(frozen=True)
class LiveDocument:
    """A KB document as read live: the GET payload and, for text and file documents, its content."""

    payload: dict[str, Any]
    content: str | None = None


@dataclass(frozen=True)
class SecretVariable:
    """A credential found live and replaced in a file by `${name}`; `value` must never be printed."""

    name: str
    path: str
    field: str
    value: str = field(repr=False)  # type: ignore[operator]  # dataclasses.field, not the attribute above


@dataclass(frozen=True)
class Existing:
    """What the project already declares, so that an import reuses it instead of writing a second copy."""

    agent_ids: Mapping[str, str] = field(default_factory=dict)  # live agent id -> agent key (its `id:`)
    tool_ids: Mapping[str, str] = field(default_factory=dict)  # live tool id -> tool key (its `id:`)
    # Every tool key of the project: a different tool gets another key (`<slug>-2`) rather than a clash.
    tool_keys: frozenset[str] = frozenset()
    # Documents written by this run already (`import --all`: an agent sharing one reuses its key) and every
    # document key taken, so that a different document with the same name gets another key.
    document_ids: Mapping[str, str] = field(default_factory=dict)
    document_keys: frozenset[str] = frozenset()


@dataclass
class ImportResult:
    """The files to write (project-relative path -> text) and what the user must know about them."""

    key: str
    files: dict[str, str] = field(default_factory=dict)
    secrets: list[SecretVariable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Keys of resources referenced but already in the project (nothing written for them).
    reused: list[str] = field(default_factory=list)
    # Live id -> key of every tool and document the files reference (written or reused): `import --all` passes
    # them on to the next agent, so a shared one is written once.
    tool_keys: dict[str, str] = field(default_factory=dict)
    document_keys: dict[str, str] = field(default_factory=dict)


def check_importable(
    agent: Mapping[str, Any], existing: Existing, *, key: str | None = None, force: bool = False
) -> str | None:
    """Refuse an agent that agentform manages already (marker tags) or that a file of this project adopts.

    With `force`, an agent adopted by this project may be imported again over its own files: returns their key.
    """
    agent_id = str(agent.get("agent_id"))
    _check_key(key)
    markers = [tag for tag in agent.get("tags") or [] if identity.is_marker_tag(tag)]
    if markers:
        raise ImportRefused(
            f"agent {agent_id} ({agent.get('name')!r}) is already managed by agentform (tags {', '.join(markers)}): "
            "its files live in the repository that manages it; there is nothing to import"
        )
    adopted_by = existing.agent_ids.get(agent_id)
    if adopted_by is not None and force and key in (None, adopted_by):
        return adopted_by
    if adopted_by is not None:
        raise ImportRefused(
            f"agent {agent_id} is already adopted by agents/{existing.agent_ids[agent_id]}/agent.yaml "
            "(use --force to write its files again from the live agent)"
        )
    return key


def referenced_ids(agent: Mapping[str, Any]) -> tuple[list[str], list[Any], list[str]]:
    """(tool ids, knowledge-base locators, attached test ids) of an agent's main branch, in the agent's order."""
    prompt = _get(agent, "conversation_config", "agent", "prompt")
    locators = list(prompt.get("knowledge_base") or []) if isinstance(prompt, dict) else []
    found = references(agent)
    return _unique(list(found.tools)), locators, _unique(list(found.tests))


def tools_of_tests(tests: Iterable[Mapping[str, Any]]) -> list[str]:
    """Ids of the workspace tools that tests reference (expected calls, mocks): they are imported too."""
    ids: list[str] = []
    for test in tests:
        referenced = _get(test, "tool_call_parameters", "referenced_tool")
        if isinstance(referenced, dict) and referenced.get("id") and referenced.get("type") != "system":
            ids.append(str(referenced["id"]))
        ids.extend(str(tool_id) for tool_id in _get(test, "tool_mock_config", "mocked_tool_ids") or [])
        ids.extend(str(tool_id) for tool_id in test.get("tool_mock_overrides") or {})
    return _unique(ids)


def import_agent(
    agent: Mapping[str, Any],
    *,
    tools: Mapping[str, Mapping[str, Any]],
    documents: Mapping[str, LiveDocument],
    tests: Mapping[str, Mapping[str, Any]],
    existing: Existing = Existing(),
    key: str | None = None,
    force: bool = False,
) -> ImportResult:
    """The files of one live agent: `tools`, `documents` and `tests` map live ids to what was read for them."""
    key = check_importable(agent, existing, key=key, force=force)
    agent_id = agent.get("agent_id")
    prompt_text = _get(agent, "conversation_config", "agent", "prompt", "prompt")
    tool_ids, locators, test_ids = referenced_ids(agent)
    missing = [test_id for test_id in test_ids if test_id not in tests]
    if missing:
        raise ImportRefused(f"agent {agent_id} has attached test {missing[0]}, which does not exist live")
    agent_key = key or slugify(str(agent.get("name") or ""), fallback="agent")
    result = ImportResult(key=agent_key)

    attached = [tests[test_id] for test_id in test_ids]
    tool_keys = _add_tools(result, _unique([*tool_ids, *tools_of_tests(attached)]), tools, existing)
    result.tool_keys.update(tool_keys)
    knowledge, raw_locators = _add_documents(result, locators, documents, existing)
    _add_tests(result, agent_key, attached, tool_keys)
    attachments = _get(agent, "platform_settings", "testing", "attached_tests") or []
    if any(isinstance(item, dict) and item.get("workflow_node_id") for item in attachments):
        result.notes.append("tests attached to a workflow node are attached to the agent as a whole")

    agent_file = agent_document(agent, tool_keys=[tool_keys[t] for t in tool_ids], knowledge=knowledge)
    if raw_locators:
        section: dict[str, Any] = agent_file.setdefault("conversation_config", {})
        for name in ("agent", "prompt"):
            section = section.setdefault(name, {})
        section["knowledge_base"] = raw_locators
        result.notes.append("knowledge-base folders stay referenced by id (only documents become files)")
    agent_file = _with_secret_references(agent_file, agent_key, f"agents/{agent_key}/agent.yaml", result)
    header = (
        f"Imported from live agent {agent_id} (agentform import): `id:` adopts it, so apply updates it in place.\n"
        "tool_ids, knowledge_base and attached tests are written as tools:, knowledge: and tests_specs/."
    )
    result.files[f"agents/{agent_key}/agent.yaml"] = spec_yaml(agent_file, header=header)
    if not isinstance(prompt_text, str) or not prompt_text.strip():
        # The API allows an agent without a prompt; an adopted agent (`id:`) may keep an empty prompt.md (0120).
        prompt_text = prompt_text if isinstance(prompt_text, str) else ""
        result.notes.append(f"agent {agent_id} has no system prompt: agents/{agent_key}/prompt.md is empty")
    result.files[f"agents/{agent_key}/prompt.md"] = prompt_text
    return result


def import_tool(
    tool: Mapping[str, Any], *, existing: Existing = Existing(), key: str | None = None, force: bool = False
) -> ImportResult:
    """The file of one live workspace tool, adopted through `id:` (with `force`, again over its own file)."""
    tool_id = str(tool.get("id"))
    _check_key(key)
    adopted_by = existing.tool_ids.get(tool_id)
    if adopted_by is not None and not (force and key in (None, adopted_by)):
        raise ImportRefused(
            f"tool {tool_id} is already adopted by tools/{adopted_by}.yaml "
            "(use --force to write it again from the live tool)"
        )
    tool_key = key or adopted_by or unique_key(_tool_slug(tool), set(existing.tool_keys))
    result = ImportResult(key=tool_key)
    _add_tool(result, tool_key, tool)
    return result


def agent_document(agent: Mapping[str, Any], *, tool_keys: list[str], knowledge: list[Any]) -> dict[str, Any]:
    """agent.yaml's data: our keys first, then the API sections without what the server or agentform owns."""
    sections = pruned(without_paths(dict(agent), _AGENT_DROPPED_PATHS))
    data: dict[str, Any] = {"id": agent.get("agent_id"), "name": agent.get("name")}
    user_tags = [tag for tag in agent.get("tags") or [] if not identity.is_marker_tag(tag)]
    if user_tags:
        data["tags"] = user_tags
    data["prompt_file"] = "prompt.md"
    if knowledge:
        data["knowledge"] = knowledge
    if tool_keys:
        data["tools"] = tool_keys
    for section in ("conversation_config", "platform_settings"):
        if sections.get(section):
            data[section] = sections[section]
    workflow = sections.get("workflow")
    if workflow and not _is_default_workflow(workflow):
        data["workflow"] = workflow
    return data


def tool_document(tool: Mapping[str, Any]) -> dict[str, Any]:
    """tools/<key>.yaml's data: `id:` (adoption) and the tool's own config."""
    content = pruned(without_paths(dict(tool), TOOL_READ_ONLY_PATHS))
    data: dict[str, Any] = {"id": tool.get("id"), "tool_config": content.get("tool_config", {})}
    if content.get("response_mocks"):
        data["response_mocks"] = content["response_mocks"]
    return data


def variable_name(*parts: str) -> str:
    """A variable name from a key and a header: (book-appointment, Authorization) -> BOOK_APPOINTMENT_AUTHORIZATION."""
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", part).strip("_").upper() for part in parts if part)


# --- pieces -------------------------------------------------------------------------------------------------------


def _add_tool(result: ImportResult, tool_key: str, tool: Mapping[str, Any]) -> None:
    path = f"tools/{tool_key}.yaml"
    data = _with_secret_references(tool_document(tool), tool_key, path, result)
    header = f"Adopted live tool {tool.get('id')} (agentform import): apply updates it in place, never recreates it."
    result.files[path] = spec_yaml(data, header=header)


def _add_tools(
    result: ImportResult, tool_ids: list[str], tools: Mapping[str, Mapping[str, Any]], existing: Existing
) -> dict[str, str]:
    """Write a file per tool the project does not adopt yet; returns tool id -> key for every id."""
    taken = set(existing.tool_keys)
    keys: dict[str, str] = {}
    for tool_id in tool_ids:
        if tool_id in existing.tool_ids:
            keys[tool_id] = existing.tool_ids[tool_id]
            result.reused.append(f"tools/{keys[tool_id]}")
            continue
        if tool_id not in tools:
            raise ImportRefused(f"the agent or its tests reference tool {tool_id}, which does not exist live")
        keys[tool_id] = unique_key(_tool_slug(tools[tool_id]), taken)
        taken.add(keys[tool_id])
        _add_tool(result, keys[tool_id], tools[tool_id])
    return keys


def _add_tests(
    result: ImportResult, agent_key: str, tests: list[Mapping[str, Any]], tool_keys: Mapping[str, str]
) -> None:
    used: set[str] = set()
    for test in tests:
        test_key = unique_key(slugify(str(test.get("name") or ""), fallback="test"), used)
        used.add(test_key)
        spec = escaped(spec_of_test(test, tool_keys))
        header = f"Imported from live test {test.get('id')}."
        result.files[f"tests_specs/{agent_key}/{test_key}.yaml"] = spec_yaml(spec, header=header)


def _add_documents(
    result: ImportResult, locators: list[Any], documents: Mapping[str, LiveDocument], existing: Existing
) -> tuple[list[Any], list[Any]]:
    """Write one file per referenced document; returns the agent's `knowledge:` items and folder locators kept raw."""
    knowledge: list[Any] = []
    raw: list[Any] = []
    # Documents have no `id:` to tell them apart from the project's own: the command checks their paths on disk
    # (same content: nothing to write; other content: a conflict unless --force).
    taken: set[str] = set(existing.document_keys)
    for locator in locators:
        if not isinstance(locator, dict) or locator.get("type") == "folder":
            raw.append(locator)
            continue
        doc_id = str(locator.get("id"))
        if doc_id not in documents:
            raise ImportRefused(f"the agent references knowledge-base document {doc_id}, which does not exist live")
        document = documents[doc_id]
        key = existing.document_ids.get(doc_id)
        if key is None:
            name = str(document.payload.get("name") or locator.get("name") or doc_id)
            key = unique_key(slugify(name, fallback="document"), taken)
            taken.add(key)
            result.files.update(document_files(key, document))
        result.document_keys[doc_id] = key
        mode = locator.get("usage_mode")
        knowledge.append({"key": key, "usage_mode": mode} if mode else key)
    return knowledge, raw


def document_files(key: str, document: LiveDocument) -> dict[str, str]:
    """`knowledge/<key>.<ext>` (+ the `<key>.yaml` with its display name) for one live document.

    URL documents become `.url`; text documents keep their format (`.md`, `.html`); file documents (PDF, DOCX, ...)
    become their extracted text as `.md`, since the API does not give the original bytes back.
    """
    payload = document.payload
    kind = payload.get("type")
    if kind == "url":
        body, extension = f"{payload.get('url')}\n", "url"
    else:
        if not (document.content or "").strip():
            raise ImportRefused(f"knowledge-base document {payload.get('id')} ({payload.get('name')!r}) is empty")
        body = document.content or ""
        extension = "html" if kind == "text" and payload.get("content_format") == "html" else "md"
    meta = {"name": escaped(str(payload.get("name") or key))}
    note = f"Imported from live document {payload.get('id')} ({kind}); apply creates a managed copy."
    return {f"knowledge/{key}.{extension}": body, f"knowledge/{key}.yaml": spec_yaml(meta, header=note)}


def _with_secret_references(data: dict[str, Any], key: str, path: str, result: ImportResult) -> dict[str, Any]:
    """`data` (escaped) with every plain credential in a `request_headers` map replaced by a `${VARIABLE}`."""

    def walk(value: Any, at: tuple[str, ...]) -> Any:
        if isinstance(value, dict):
            if at and at[-1] == "request_headers":
                return {name: secret(name, item, at) for name, item in value.items()}
            return {name: walk(item, (*at, str(name))) for name, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*at, str(index))) for index, item in enumerate(value)]
        return escaped(value)

    def secret(header: str, value: Any, at: tuple[str, ...]) -> Any:
        if not isinstance(value, str) or not _SENSITIVE_HEADER.search(header):
            return walk(value, (*at, header))
        name = unique_key(variable_name(key, header), {variable.name for variable in result.secrets}, "_")
        result.secrets.append(SecretVariable(name=name, path=path, field=".".join((*at, header)), value=value))
        return f"${{{name}}}"

    return walk(data, ())


def _check_key(key: str | None) -> None:
    if key is not None and not KEY.match(key):
        raise ImportRefused(f"--key {key!r}: use letters, digits, '-', '_' or '.' (starting with a letter or digit)")


def _tool_slug(tool: Mapping[str, Any]) -> str:
    return slugify(str(_get(tool, "tool_config", "name") or ""), fallback="tool")


def unique_key(slug: str, used: set[str], separator: str = "-") -> str:
    """`slug`, or `slug-2`, `slug-3`, ... when `used` holds it already."""
    key, number = slug, 2
    while key in used:
        key, number = f"{slug}{separator}{number}", number + 1
    return key


def _is_default_workflow(workflow: Mapping[str, Any]) -> bool:
    """The server's empty workflow: no edges and only a start node (the API always returns one)."""
    nodes = workflow.get("nodes") or {}
    only_start = all(isinstance(node, dict) and node.get("type") == "start" for node in nodes.values())
    return not workflow.get("edges") and only_start and not workflow.get("prevent_subagent_loops")


def _get(data: Any, *path: str) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
