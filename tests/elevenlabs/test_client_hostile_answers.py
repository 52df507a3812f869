"""Answers the client must not trust: each ends in an error naming the endpoint and the field, never in "empty".

Before these checks a `null` list was read as no items (apply then created a second copy of everything), an item
of the wrong type crashed with `'str' object has no attribute 'get'`, an endless cursor chain was followed for
ever, and a trickled body kept a request alive past every timeout (httpx's timeout is per read).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.elevenlabs.client_fakes import answer

from agentform.elevenlabs import RetryPolicy, TransportFailure
from agentform.elevenlabs import core as client_core
from agentform.elevenlabs.errors import ResponseShapeError


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ({"agents": None, "has_more": False}, "agents: null, not a list"),
        ({"has_more": False}, "agents: missing, not a list"),
        ({"agents": {"a": 1}, "has_more": False}, "agents: a dict, not a list"),
        ({"agents": ["agent_1"], "has_more": False}, r"agents\[0\]: a str, not an object"),
    ],
)
def test_a_list_that_is_not_a_list_of_objects_is_an_error_naming_the_endpoint_and_field(make_client, page, problem):
    client, _ = make_client(lambda request: answer(page))
    with pytest.raises(ResponseShapeError, match=rf"agents: GET /v1/convai/agents answered {problem}"):
        run(client.list_agents())


@pytest.mark.parametrize(
    ("response", "problem"),
    [
        (httpx.Response(200, html="<html>maintenance</html>"), "text/html that is not JSON"),
        (
            httpx.Response(200, content=b'{"agent_id": "a", "na', headers={"content-type": "application/json"}),
            "application/json that is not JSON",
        ),
        (httpx.Response(200), "an empty body"),
    ],
    ids=["html-200", "truncated-json", "empty"],
)
def test_a_detail_answer_that_is_not_json_is_an_error(make_client, response, problem):
    client, _ = make_client(lambda request: response)
    with pytest.raises(ResponseShapeError, match=f"agent agent_1: GET /v1/convai/agents/agent_1 answered {problem}"):
        run(client.get_agent("agent_1"))


def test_an_endless_cursor_chain_stops_with_an_error(make_client, monkeypatch):
    monkeypatch.setattr(client_core, "MAX_PAGES", 20)
    pages = iter(range(10**6))

    def endless(request: httpx.Request) -> httpx.Response:
        n = next(pages)
        return answer({"tools": [{"id": f"tool_{n}"}], "has_more": True, "next_cursor": f"c{n}"})

    client, recorder = make_client(endless)
    with pytest.raises(ResponseShapeError, match=r"more than 20 pages .has_more never became false."):
        run(client.list_tools())
    assert len(recorder.requests) == 20


def test_a_null_secondary_list_is_empty_but_a_wrong_typed_one_is_an_error(make_client):
    client, _ = make_client(lambda request: answer({"agents": [], "branches": None, "has_more": False}))
    assert run(client.tool_dependent_agents("tool_1")) == {"agents": [], "branches": []}
    client, _ = make_client(lambda request: answer({"agents": [], "branches": "x", "has_more": False}))
    with pytest.raises(ResponseShapeError, match="branches: a str, not a list"):
        run(client.tool_dependent_agents("tool_1"))


async def _trickle() -> AsyncIterator[bytes]:
    yield b'{"agent_id": '
    while True:
        await asyncio.sleep(0.05)
        yield b" "


def test_a_trickled_body_ends_within_the_request_deadline(make_client):
    def slow(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=_trickle())

    policy = RetryPolicy(max_retries=10, base_delay=0.01, max_delay=0.01, deadline=1.0)
    client, recorder = make_client(slow, timeout=0.3, retry_policy=policy)
    started = time.monotonic()
    with pytest.raises(TransportFailure, match="no complete answer within"):
        run(client.get_agent("agent_1"))
    took = time.monotonic() - started
    # Without the deadline: 11 attempts of 0.3 s each, 3.3 s at least.
    assert took < 2.5, f"the deadline is 1.0 s, the request took {took:.2f} s"
    assert 2 <= len(recorder.requests) <= 5


def test_a_listed_item_without_its_id_is_an_error(make_client):
    client, _ = make_client(lambda request: answer({"agents": [{"name": "Clinic"}], "has_more": False}))
    with pytest.raises(ResponseShapeError, match=r"agents\[0\].agent_id: missing, not an id"):
        run(client.list_agents())


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ({"agents": [{"agent_id": "a", "tags": "af:p:e"}]}, r"agents\[0\].tags: a str, not a list"),
        ({"agents": [{"agent_id": "a", "tags": [1, 2]}]}, r"agents\[0\].tags: not a list of strings"),
        ({"tools": [{"id": "t", "tool_config": "webhook"}]}, r"tools\[0\].tool_config: a str, not a dict"),
    ],
)
def test_a_listed_item_whose_identity_fields_have_the_wrong_type_is_an_error(make_client, items, problem):
    # Read as given, such an agent would not look like ours, and the plan would create it a second time.
    client, _ = make_client(lambda request: answer({**items, "has_more": False}))
    with pytest.raises(ResponseShapeError, match=problem):
        run(client.list_agents() if "agents" in items else client.list_tools())
