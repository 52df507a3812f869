"""Every request the client can send is one the official SDK (elevenlabs 2.78.0) sends: same method, same path.

The SDK's Fern-generated raw clients are read as text (importing the SDK costs seconds and is not needed): each
`httpx_client.request(f"v1/...", method="...")` gives one endpoint. Every public method of `ElevenLabsClient` is
called here once; a new method without an entry in CALLS fails the completeness test, so nothing escapes the check.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from tests.elevenlabs.client_fakes import answer

from agentform.elevenlabs import ElevenLabsClient

ID = "ID"
# One call per public method, with ids spelled ID so that the recorded path can be turned back into a template.
CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "list_agents": ((), {"tags": ["t"]}),
    "get_agent": ((ID,), {"branch_id": ID}),
    "create_agent": (({"name": "n", "conversation_config": {}},), {}),
    "update_agent": ((ID, {"name": "n"}), {}),
    "delete_agent": ((ID,), {}),
    "list_branches": ((ID,), {}),
    "create_branch": ((ID,), {"parent_version_id": ID, "name": "n", "description": "d"}),
    "get_branch": ((ID, ID), {}),
    "update_branch": ((ID, ID), {"is_archived": True}),
    "merge_preview": ((ID, ID, ID), {}),
    "merge_branch": ((ID, ID), {"target_branch_id": ID}),
    "get_version": ((ID, ID), {}),
    "list_deployments": ((ID,), {}),
    "deploy": ((ID, {ID: 100.0}), {}),
    "list_documents": ((), {"types": ["text"]}),
    "get_document": ((ID,), {}),
    "get_document_content": ((ID,), {}),
    "create_text_document": ((), {"text": "t", "name": "n"}),
    "create_file_document": ((), {"filename": "a.txt", "data": b"a", "name": "n"}),
    "create_url_document": ((), {"url": "https://x.test", "name": "n"}),
    "create_folder": ((), {"name": "n"}),
    "update_document": ((ID,), {"name": "n"}),
    "delete_document": ((ID,), {"force": True}),
    "document_dependent_agents": ((ID,), {}),
    "list_tools": ((), {}),
    "get_tool": ((ID,), {}),
    "create_tool": (({"type": "client", "name": "n"},), {}),
    "update_tool": ((ID, {"type": "client", "name": "n"}), {}),
    "delete_tool": ((ID,), {}),
    "tool_dependent_agents": ((ID,), {}),
    "list_secrets": ((), {}),
    "get_secret": ((ID,), {}),
    "create_secret": (("n", "value-1234"), {}),
    "update_secret": ((ID, "n", "value-5678"), {}),
    "delete_secret": ((ID,), {}),
    "list_tests": ((), {}),
    "get_test": ((ID,), {}),
    "create_test": (({"type": "llm", "name": "n"},), {}),
    "update_test": ((ID, {"type": "llm", "name": "n"}), {}),
    "delete_test": ((ID,), {}),
    "create_test_folder": ((), {"name": "n"}),
    "run_tests": ((ID, [ID]), {}),
    "get_test_invocation": ((ID,), {}),
    "cancel_test_invocation": ((ID,), {}),
    "list_test_invocations": ((), {"agent_id": ID}),
    "list_conversations": ((), {"agent_id": ID}),
    "get_conversation": ((ID,), {}),
    "send_conversation_feedback": ((ID, "like"), {}),
    "search_messages": (("refund",), {"agent_id": ID}),
    "delete_conversation": ((ID,), {}),
}

_REQUEST = re.compile(r'httpx_client\.request\(\s*f?"(v1/[^"]*)",\s*method="([A-Z]+)"', re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def sdk_endpoints() -> set[tuple[str, str]]:
    spec = importlib.util.find_spec("elevenlabs")
    if spec is None or spec.origin is None:
        pytest.skip("the official SDK (dev dependency) is not installed")
    root = Path(spec.origin).parent / "conversational_ai"
    endpoints = set()
    for source in root.rglob("raw_client.py"):
        for path, method in _REQUEST.findall(source.read_text(encoding="utf-8")):
            endpoints.add((method, "/" + _PLACEHOLDER.sub("{}", path)))
    return endpoints


def template(path: str) -> str:
    return "/".join("{}" if segment == ID else segment for segment in path.split("/"))


def sent_endpoints(make_client) -> dict[str, set[tuple[str, str]]]:
    # One answer that satisfies every method: ids for creates, empty lists and no further pages for lists.
    lists = ("results", "agents", "documents", "tools", "tests", "secrets", "conversations", "branches")
    generic = {"agent_id": ID, "id": ID, "secret_id": ID, "has_more": False, "next_cursor": None}
    generic |= {key: [] for key in lists}
    client, recorder = make_client(lambda request: answer(generic))
    sent: dict[str, set[tuple[str, str]]] = {}

    async def call_all() -> None:
        async with client:
            for name, (args, kwargs) in CALLS.items():
                before = len(recorder.requests)
                await getattr(client, name)(*args, **kwargs)
                sent[name] = {(r.method, template(r.url.path)) for r in recorder.requests[before:]}

    asyncio.run(call_all())
    return sent


def test_every_public_client_method_is_covered_by_this_contract() -> None:
    public = {
        name
        for name, member in inspect.getmembers(ElevenLabsClient, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "aclose"
    }
    assert public == set(CALLS)


def test_every_request_matches_an_endpoint_of_the_official_sdk(make_client) -> None:
    known = sdk_endpoints()
    assert len(known) > 100, "the SDK's raw clients were not parsed"
    unknown = {
        name: endpoint
        for name, endpoints in sent_endpoints(make_client).items()
        for endpoint in endpoints
        if endpoint not in known
    }
    assert unknown == {}
