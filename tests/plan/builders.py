"""Small builders of desired and live state for planner tests: explicit data, no files, no I/O."""

from __future__ import annotations

import itertools
from typing import Any

from tests.support.desired import desired_state

from agentform.model import (
    Desired,
    DesiredAgent,
    DesiredDocument,
    DesiredTest,
    DesiredTool,
    SourceLocation,
)
from agentform.plan import identity
from agentform.plan.live import (
    LiveAgent,
    LiveDocument,
    LiveState,
    LiveTest,
    LiveTool,
)
from agentform.project.context import deep_merge
from agentform.state.model import AgentEntry, ResourceEntry, StateRecord

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
    return desired_state(agents, documents, tools, tests, project=PROJECT, environment=ENV, secrets=secrets)


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


def record(agents: dict[str, AgentEntry] | None = None, **fields: Any) -> StateRecord:
    return StateRecord(project=PROJECT, environment=ENV, agents=agents or {}, **fields)


def _entry(live_id: str, key: str, content_hash: str, updated_at: int | None) -> ResourceEntry:
    return ResourceEntry(id=live_id, key=key, hash=content_hash, updated_at=updated_at)


def recorded_agent(agent_id: str, payload: dict[str, Any], **fields: Any) -> AgentEntry:
    """What the record keeps after our write of `payload` (normalised) to an agent."""
    from agentform.plan.normalize import payload_hash

    return AgentEntry(id=agent_id, payload_hash=payload_hash(payload), payload=payload, **fields)


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


_IDS = itertools.count(1)


def applied(plan: Any, previous: LiveState | None = None, *, read_agents: bool = False) -> LiveState:
    """The live state after a faithful apply of `plan` (creates get fresh ids, agents record what was sent).

    A stand-in for the applier so planner tests can check convergence without a server; the real apply is tested
    against the emulator in tests/apply.
    """
    from agentform.plan.agents import recordable
    from agentform.plan.model import resolve_refs

    state = previous or live_state()
    ids: dict[str, str] = {}
    documents, tools, tests, agents = (
        list(state.documents),
        list(state.tools),
        list(state.tests),
        list(state.agents),
    )
    agent_records = dict(state.record.agents) if state.record else {}
    tool_records = dict(state.record.tools) if state.record else {}
    for number, change in enumerate(plan.changes):
        new_id = f"{change.kind}-{next(_IDS)}"
        if change.blocked or change.action == "no-op":
            continue
        if change.action == "delete":
            gone = set(change.delete_ids)
            documents = [d for d in documents if d.id not in gone]
            tools = [t for t in tools if t.id not in gone]
            tests = [t for t in tests if t.id not in gone]
            agents = [a for a in agents if a.id not in gone]
            continue
        body = resolve_refs(change.payload, {**ids, "folder.documents": "kb-folder", "folder.tests": "test-folder"})
        if change.kind == "document" and change.action in ("create", "replace"):
            ids[change.address] = new_id
            documents.append(
                LiveDocument(
                    id=new_id,
                    key=change.key,
                    hash=change.hash,
                    name=body["name"],
                    kind=body["type"],
                    text=body.get("text"),
                    folder_id="kb-folder",
                    updated_at=1,
                )
            )
        elif change.kind == "tool" and change.action in ("create", "replace"):
            ids[change.address] = new_id
            tools.append(
                LiveTool(
                    id=new_id,
                    key=change.key,
                    hash=change.hash,
                    name=body["tool_config"]["name"],
                    tool_config=body["tool_config"],
                    response_mocks=body.get("response_mocks"),
                )
            )
            tool_records[new_id] = ResourceEntry(id=new_id, key=change.key, hash=change.hash or "")
        elif change.kind == "test" and change.action in ("create", "replace"):
            ids[change.address] = new_id
            tests.append(
                LiveTest(
                    id=new_id,
                    address=change.key,
                    hash=change.hash,
                    name=body["name"],
                    body=body,
                    folder_id="test-folder",
                    updated_at=1,
                )
            )
        elif change.kind == "agent":
            agent_id = change.live_id or new_id
            sent = recordable(body)
            previous_agent = next((a for a in agents if a.id == agent_id), None)
            base = (previous_agent.payload if previous_agent and previous_agent.payload else None) or (
                agent_records[change.key].payload if change.key in agent_records else {}
            )
            merged = _merge(base or {}, body)
            agents = [a for a in agents if a.id != agent_id]
            agents.append(
                LiveAgent(
                    id=agent_id,
                    key=change.key,
                    name=merged.get("name", ""),
                    tags=merged.get("tags", []),
                    updated_at=200 + number,
                    payload=server_view(merged, agent_id) if read_agents else None,
                )
            )
            agent_records[change.key] = recorded_agent(agent_id, sent, updated_at=200 + number)
    return state.model_copy(
        update={
            "documents": documents,
            "tools": tools,
            "tests": tests,
            "agents": agents,
            "record": record(
                agents=agent_records,
                tools=tool_records,
                documents={
                    d.id: ResourceEntry(id=d.id, key=d.key, hash=d.hash, updated_at=d.updated_at) for d in documents
                },
                tests={
                    t.id: ResourceEntry(id=t.id, key=t.address, hash=t.hash, updated_at=t.updated_at) for t in tests
                },
            ),
        }
    )


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    # PATCH semantics as the planner assumes them: objects merge, null resets (drops) a key; the same rule as the
    # project loader's environment overlays.
    return deep_merge(base, patch)
