"""Desired API payloads: the bodies agentform sends, built from the desired state and resolved references.

Public and reused: the planner diffs these against live payloads, apply sends them, the testing engineer builds
`agent_config_override` for test runs from `agent_payload`, and the GitOps engineer builds branch bodies from it.

A reference is either a live id or a `$ref:<address>` placeholder (`plan/model.py`) for a resource the same plan
creates; these functions do not care which.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentform.model import DesiredAgent, DesiredDocument, DesiredTest, DesiredTool, content_hash
from agentform.plan import identity


@dataclass(frozen=True)
class DocumentRef:
    """How an agent points at one KB document version: `knowledge_base[]` wants id, name and type."""

    id: str
    name: str
    type: str


@dataclass(frozen=True)
class Refs:
    """Resolved references for agent payloads: file key (or test address) -> live id or `$ref:` placeholder."""

    project: str
    environment: str
    documents: Mapping[str, DocumentRef] = field(default_factory=dict)
    tools: Mapping[str, str] = field(default_factory=dict)
    # test address ("<agent_key>/<test_key>") -> test id
    tests: Mapping[str, str] = field(default_factory=dict)


def agent_payload(agent: DesiredAgent, refs: Refs, tests: list[DesiredTest] | None = None) -> dict[str, Any]:
    """The create / PATCH body of an agent: name, tags with markers, conversation_config, platform_settings, workflow.

    `knowledge` and `tools` keys become `agent.prompt.knowledge_base` and `agent.prompt.tool_ids` (after any raw
    entries the file wrote itself); `tests` (the agent's specs) become `platform_settings.testing.attached_tests`.
    These three lists are always sent, so removing the last reference in git removes it live. A missing reference
    raises KeyError: validation in `project/` guarantees they exist, so this is a programming error.
    """
    conversation_config = copy.deepcopy(agent.conversation_config)
    prompt = conversation_config.setdefault("agent", {}).setdefault("prompt", {})
    prompt["knowledge_base"] = _dedupe(
        list(prompt.get("knowledge_base") or []) + [_knowledge_locator(ref, refs) for ref in agent.knowledge]
    )
    prompt["tool_ids"] = _dedupe(list(prompt.get("tool_ids") or []) + [refs.tools[key] for key in agent.tools])

    platform_settings = copy.deepcopy(agent.platform_settings)
    testing = platform_settings.setdefault("testing", {})
    attached = [{"test_id": refs.tests[test.address]} for test in sorted(tests or [], key=lambda t: t.address)]
    testing["attached_tests"] = _dedupe(list(testing.get("attached_tests") or []) + attached)

    user_tags = [tag for tag in agent.tags if not identity.is_marker_tag(tag)]
    payload: dict[str, Any] = {
        "name": agent.name,
        "tags": sorted(set(user_tags) | set(identity.marker_tags(refs.project, refs.environment, agent.key))),
        "conversation_config": conversation_config,
        "platform_settings": platform_settings,
    }
    if agent.workflow is not None:
        payload["workflow"] = copy.deepcopy(agent.workflow)
    return payload


def document_payload(document: DesiredDocument, parent_folder_id: str) -> dict[str, Any]:
    """The create body of one document version, with `type` saying which create endpoint applies.

    File documents carry `filename` and `content_hash` but not the bytes (plans are JSON): apply takes the data
    from the desired state and checks it still hashes to `content_hash`.
    """
    payload: dict[str, Any] = {
        "type": document.kind,
        "name": identity.desired_document_name(document),
        "parent_folder_id": parent_folder_id,
    }
    if document.kind == "text":
        payload["text"] = document.text or ""
    elif document.kind == "url":
        payload["url"] = document.url
        payload.update(copy.deepcopy(document.url_settings))
    else:
        payload["filename"] = document.filename
        payload["content_hash"] = document.content_hash()
    return payload


def tool_payload(tool: DesiredTool) -> dict[str, Any]:
    """The create body of a tool (`ToolRequestModel`)."""
    payload: dict[str, Any] = {"tool_config": copy.deepcopy(tool.tool_config)}
    if tool.response_mocks is not None:
        payload["response_mocks"] = copy.deepcopy(tool.response_mocks)
    return payload


def test_content_hash(test: DesiredTest, tool_versions: Mapping[str, str]) -> str:
    """The content address of a test: its body with tool keys replaced by the tools' own content addresses.

    Not by tool ids: a tool that the same plan creates has no id yet, and hashing a placeholder would give a
    different address once it exists, so the test would be replaced on every plan. A tool's content address
    determines its id (tools are content-addressed too), so the result is as specific. `tool_versions` maps a tool
    key to `"<key>@<hash12>"` (or to the live id of an adopted tool).
    """
    return content_hash(_resolved_body(test, tool_versions))


def test_payload(
    test: DesiredTest, tool_ids: Mapping[str, str], *, test_hash: str, parent_folder_id: str | None = None
) -> dict[str, Any]:
    """The create / PUT body of a test: the spec's body with tool ids resolved and the content-addressed name."""
    body = with_tool_ids(test, tool_ids)
    body["type"] = test.kind
    body["name"] = identity.test_name(identity.test_display_name(test), test.agent_key, test.key, test_hash)
    if parent_folder_id is not None:
        body["parent_folder_id"] = parent_folder_id
    return body


def with_tool_ids(test: DesiredTest, tool_ids: Mapping[str, str]) -> dict[str, Any]:
    """A copy of `test.body` with tool keys replaced where the API wants tool ids; unknown values are kept."""
    return copy.deepcopy(_resolved_body(test, tool_ids))


def _resolved_body(test: DesiredTest, tool_ids: Mapping[str, str]) -> dict[str, Any]:
    """`with_tool_ids` sharing what it does not change with `test.body` (to read, hash or copy, never to change):
    a content address is computed several times per test and plan."""
    body = dict(test.body)
    parameters = body.get("tool_call_parameters") or {}
    referenced = parameters.get("referenced_tool")
    if isinstance(referenced, dict):
        key = test.tool_key or referenced.get("id")
        if key is not None and key in tool_ids:
            body["tool_call_parameters"] = {**parameters, "referenced_tool": {**referenced, "id": tool_ids[key]}}
    elif test.tool_key is not None and test.tool_key in tool_ids:
        body["tool_call_parameters"] = {**parameters, "referenced_tool": {"id": tool_ids[test.tool_key]}}
    mock_config = body.get("tool_mock_config")
    if isinstance(mock_config, dict):
        listed = list(mock_config.get("mocked_tool_ids") or [])
        wanted = _dedupe(listed + [key for key in test.mocked_tool_keys if key not in listed])
        body["tool_mock_config"] = {**mock_config, "mocked_tool_ids": [tool_ids.get(key, key) for key in wanted]}
    elif test.mocked_tool_keys:
        body["tool_mock_config"] = {"mocked_tool_ids": [tool_ids.get(key, key) for key in test.mocked_tool_keys]}
    overrides = body.get("tool_mock_overrides")
    if isinstance(overrides, dict):
        body["tool_mock_overrides"] = {tool_ids.get(key, key): value for key, value in overrides.items()}
    return body


def _knowledge_locator(ref: Any, refs: Refs) -> dict[str, Any]:
    document = refs.documents[ref.key]
    locator = {"type": document.type, "name": document.name, "id": document.id}
    if ref.usage_mode is not None:
        locator["usage_mode"] = ref.usage_mode
    return locator


def _dedupe(items: list[Any]) -> list[Any]:
    # Order-preserving; items may be dicts, so compare by value rather than hash.
    unique: list[Any] = []
    for item in items:
        if item not in unique:
            unique.append(item)
    return unique


# The names are the public API the brief fixed; tell pytest they are not tests when a test module imports them.
test_payload.__test__ = False  # type: ignore[attr-defined]
test_content_hash.__test__ = False  # type: ignore[attr-defined]
