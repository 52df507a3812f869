"""What a workspace holds, counted by identity: the proof that a run left no duplicate and no orphan."""

from __future__ import annotations

from collections import Counter
from typing import Any

from agentform.plan import identity


async def duplicates(client: Any, project: str, environment: str) -> dict[str, list[str]]:
    """Identities held by more than one live resource: agent keys, document and test content addresses."""
    agents = Counter(
        agent.key
        for item in await client.list_agents()
        if (agent := identity.live_agent_from_item(item, project, environment))
    )
    names = Counter(
        item["name"]
        for item in await client.list_documents()
        if identity.parse_document_name(str(item.get("name", ""))) is not None
    )
    tests = Counter(
        item["name"] for item in await client.list_tests() if identity.parse_test_name(str(item.get("name", "")))
    )
    secrets = Counter(
        secret.key for secret in identity.live_secrets_from_items(await client.list_secrets(), project, environment)
    )
    found = {
        "agents": [key for key, n in agents.items() if n > 1],
        "documents": [name for name, n in names.items() if n > 1],
        "tests": [name for name, n in tests.items() if n > 1],
        "secrets": [key for key, n in secrets.items() if n > 1],
    }
    return {kind: keys for kind, keys in found.items() if keys}
