"""What an agent configuration (a GET answer of any version, any branch) references: its KB documents, tools and
attached tests. Read by a deploy's rollback points and checks (`gitops/references.py`) and by import
(`adopt/importer.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class References:
    """The ids an agent configuration points at, and the documents' names (their key and content hash)."""

    documents: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    document_names: Mapping[str, str] = field(default_factory=dict)


def references(config: Mapping[str, Any]) -> References:
    """The references of an agent's GET response (any version, any branch)."""
    prompt = ((config.get("conversation_config") or {}).get("agent") or {}).get("prompt") or {}
    testing = (config.get("platform_settings") or {}).get("testing") or {}
    knowledge = [item for item in prompt.get("knowledge_base") or [] if item.get("id")]
    return References(
        documents=tuple(str(item["id"]) for item in knowledge),
        tools=tuple(str(tool_id) for tool_id in prompt.get("tool_ids") or []),
        tests=tuple(str(item["test_id"]) for item in testing.get("attached_tests") or [] if item.get("test_id")),
        document_names={str(item["id"]): str(item.get("name") or "") for item in knowledge},
    )
