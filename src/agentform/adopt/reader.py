"""Reading what an import needs: an agent and everything it references, each live resource read once.

`import --all` reads hundreds of agents that share tools and documents; every read goes through one cache of
tasks, so a shared resource costs one request however many agents reference it, and each agent's references are
read as soon as the agent is (no phase waits for the slowest agent). The client bounds the concurrency.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentform.adopt.importer import LiveDocument, referenced_ids, tools_of_tests

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@dataclass(frozen=True)
class AgentBundle:
    """One live agent and what `import_agent` needs of its references (live id -> what was read)."""

    agent: dict[str, Any]
    tools: dict[str, Any]
    documents: dict[str, LiveDocument]
    tests: dict[str, Any]


class LiveReader:
    """Reads through `client`, each (kind, id) once."""

    def __init__(self, client: ElevenLabsClient) -> None:
        self.client = client
        self._reads: dict[tuple[str, str], asyncio.Task[Any]] = {}

    def _once(self, kind: str, item_id: str, read: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        task = self._reads.get((kind, item_id))
        if task is None:
            task = self._reads[(kind, item_id)] = asyncio.ensure_future(read())
        return task

    async def agent(self, agent_id: str) -> dict[str, Any]:
        return await self._once("agent", agent_id, lambda: self.client.get_agent(agent_id))

    async def bundle(self, agent_id: str, skip_tools: Mapping[str, str]) -> AgentBundle:
        """The agent and its tests, tools (but those in `skip_tools`: the project has them) and documents."""
        agent = await self.agent(agent_id)
        tool_ids, locators, test_ids = referenced_ids(agent)
        doc_ids = list(dict.fromkeys(str(loc["id"]) for loc in locators if _is_document(loc)))
        tests, tools, documents = await asyncio.gather(
            self._each("test", test_ids, self.client.get_test),
            self._each("tool", [i for i in tool_ids if i not in skip_tools], self.client.get_tool),
            self._each("document", doc_ids, self._document),
        )
        more = [i for i in tools_of_tests(tests.values()) if i not in tools and i not in skip_tools]
        tools.update(await self._each("tool", more, self.client.get_tool))
        return AgentBundle(agent, tools, documents, tests)

    async def _document(self, doc_id: str) -> LiveDocument:
        payload = await self.client.get_document(doc_id)
        # URL documents are re-created from their URL; the others from their text (file documents: extracted text).
        content = None if payload.get("type") == "url" else await self.client.get_document_content(doc_id)
        return LiveDocument(payload=payload, content=content)

    async def _each(self, kind: str, ids: Sequence[str], read: Callable[[str], Awaitable[Any]]) -> dict[str, Any]:
        tasks = [self._once(kind, item_id, functools.partial(read, item_id)) for item_id in ids]
        return dict(zip(ids, await asyncio.gather(*tasks), strict=True))


def _is_document(locator: Any) -> bool:
    return isinstance(locator, dict) and locator.get("type") != "folder" and bool(locator.get("id"))
