"""`ElevenLabsClient`: every API method of agentform, one async client over one `httpx.AsyncClient`."""

from __future__ import annotations

from agentform.elevenlabs.agents import AgentsApi
from agentform.elevenlabs.conversations import ConversationsApi
from agentform.elevenlabs.knowledge import KnowledgeApi
from agentform.elevenlabs.secrets import SecretsApi
from agentform.elevenlabs.testing import TestsApi
from agentform.elevenlabs.tools import ToolsApi


class ElevenLabsClient(AgentsApi, KnowledgeApi, ToolsApi, SecretsApi, TestsApi, ConversationsApi):
    """The ElevenLabs ConvAI API as plain-dict methods; an async context manager.

    `ElevenLabsClient(base_url, api_key, *, transport=None, parallelism=8, max_retries=5, timeout=30.0,
    redactor=None, retry_policy=None, sleep=None, rng=None)`. Each area of the API lives in its own module
    (agents.py, knowledge.py, tools.py, secrets.py, testing.py, conversations.py); the request machinery is in core.py.
    `request_count` counts every HTTP attempt sent (retries included); `request_counts` splits it by method
    and `write_count` sums the writing methods, which is what a no-op apply must keep at zero.
    """

    async def __aenter__(self) -> ElevenLabsClient:
        return self
