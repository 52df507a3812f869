"""Small builders of desired and live state for planner tests: explicit data, no files, no I/O."""

from __future__ import annotations

from typing import Any

from agentform.model import (
    Desired,
    DesiredAgent,
    DesiredDocument,
    DesiredTest,
    DesiredTool,
    EnvironmentSettings,
    ProjectSettings,
    SourceLocation,
)
from agentform.plan import identity
from agentform.plan.live import LiveAgent, LiveDocument, LiveState, LiveTest, LiveTool, RecordedAgent, StateRecord

PROJECT, ENV = "clinic", "prod"


def source(path: str) -> SourceLocation:
    return SourceLocation(path=path)


def document(
    key: str = "faq", text: str = "Opening hours: 9-17.\nClosed on Sundays.\n", **extra: Any
) -> DesiredDocument:
    return DesiredDocument(
        key=key,
        kind="text",
        name=extra.pop("name", key.upper()),
        text=text,
        source=source(f"knowledge/{key}.md"),
        **extra,
    )


def tool(key: str = "book", description: str = "Book an appointment", **extra: Any) -> DesiredTool:
    config = {"type": "webhook", "name": key, "description": description, "api_schema": {"url": "https://x.test/b"}}
    return DesiredTool(key=key, tool_config=config, source=source(f"tools/{key}.yaml"), **extra)


def agent(key: str = "receptionist", prompt: str = "You are a receptionist.", **extra: Any) -> DesiredAgent:
    config = {"agent": {"first_message": "Hello", "prompt": {"prompt": prompt, "temperature": 0.3}}}
    extra.setdefault("conversation_config", config)
    return DesiredAgent(
        key=key, name=extra.pop("name", key.title()), source=source(f"agents/{key}/agent.yaml"), **extra
    )


def llm_test(agent_key: str = "receptionist", key: str = "greets", **extra: Any) -> DesiredTest:
    body = extra.pop(
        "body",
        {"chat_history": [{"role": "user", "message": "hi", "time_in_call_secs": 0}], "success_condition": "greets"},
    )
    return DesiredTest(
        agent_key=agent_key,
        key=key,
        kind="llm",
        body=body,
        source=source(f"tests_specs/{agent_key}/{key}.yaml"),
        **extra,
    )


def desired(
    agents: list[DesiredAgent] = (),
    documents: list[DesiredDocument] = (),
    tools: list[DesiredTool] = (),
    tests: list[DesiredTest] = (),
    secrets: frozenset[str] = frozenset(),
) -> Desired:
    environment = EnvironmentSettings(name=ENV)
    settings = ProjectSettings(project=PROJECT, default_environment=ENV, environments={ENV: environment})
    return Desired(
        settings=settings,
        environment=environment,
        agents={a.key: a for a in agents},
        documents={d.key: d for d in documents},
        tools={t.key: t for t in tools},
        tests={t.address: t for t in tests},
        secret_values=secrets,
    )


def live_state(**fields: Any) -> LiveState:
    fields.setdefault("documents_folder_id", "kb-folder")
    fields.setdefault("tests_folder_id", "test-folder")
    return LiveState(project=PROJECT, environment=ENV, **fields)


def live_document(
    doc: DesiredDocument, doc_id: str = "doc-1", *, text: str | None = None, **extra: Any
) -> LiveDocument:
    return LiveDocument(
        id=doc_id,
        key=doc.key,
        hash=extra.pop("hash", doc.content_hash()),
        name=identity.desired_document_name(doc),
        kind=doc.kind,
        text=text,
        folder_id="kb-folder",
        **extra,
    )


def live_tool(desired_tool: DesiredTool, tool_id: str = "tool-1", **extra: Any) -> LiveTool:
    return LiveTool(
        id=tool_id,
        key=desired_tool.key,
        hash=extra.pop("hash", desired_tool.content_hash()),
        name=desired_tool.tool_config["name"],
        tool_config=extra.pop("tool_config", desired_tool.tool_config),
        **extra,
    )


def live_test(address: str, test_hash: str, test_id: str = "test-1", **extra: Any) -> LiveTest:
    agent_key, key = address.split("/")
    return LiveTest(
        id=test_id, address=address, hash=test_hash, name=identity.test_name(key, agent_key, key, test_hash), **extra
    )


def live_agent(key: str, payload: dict[str, Any] | None, agent_id: str = "agent-1", **extra: Any) -> LiveAgent:
    return LiveAgent(
        id=agent_id, key=key, name=key.title(), payload=payload, updated_at=extra.pop("updated_at", 100), **extra
    )


def record(agents: dict[str, RecordedAgent] | None = None, **fields: Any) -> StateRecord:
    return StateRecord(agents=agents or {}, **fields)


def server_view(payload: dict[str, Any], agent_id: str = "agent-1", **defaults: Any) -> dict[str, Any]:
    """What GET /agents/{id} returns after `payload` was written: our keys plus server defaults and read-only ones."""
    import copy

    result = copy.deepcopy(payload)
    result.update(
        {
            "agent_id": agent_id,
            "metadata": {"created_at_unix_secs": 1, "updated_at_unix_secs": 100},
            "version_id": "v1",
            "branch_id": "b-main",
            "main_branch_id": "b-main",
        }
    )
    prompt = result.setdefault("conversation_config", {}).setdefault("agent", {}).setdefault("prompt", {})
    prompt.setdefault("llm", "gemini-2.5-flash")
    prompt.setdefault("max_tokens", -1)
    for locator in prompt.get("knowledge_base", []):
        locator.setdefault("usage_mode", "auto")
    result.setdefault("platform_settings", {})["safety"] = {"is_blocked_ivc": False}
    result.update(defaults)
    return result
