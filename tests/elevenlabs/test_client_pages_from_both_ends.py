"""A long list read oldest-first and newest-first at once returns every item exactly once, in fewer round trips.

The fake list below pages a fixed set of items the way a cursor API does, sorted by creation time with ties kept
in creation order in *both* directions (a stable sort, as the emulator does): so the newest-first order is not the
mirror of the oldest-first one, which is what makes "stop when the ids meet" unsafe and the strict time test needed.
"""

from __future__ import annotations

import asyncio

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.elevenlabs.client_fakes import answer
from tests.support.hypothesis_profiles import examples

from agentform.elevenlabs import ElevenLabsClient
from agentform.elevenlabs.core import PAGE_SIZE
from agentform.emulator import DEV_API_KEY

# What a caller says it expects when the list is longer than a page: the client then reads from both ends.
LONG = PAGE_SIZE + 1


def paged_documents(times: list[int], page_size: int, *, sorts_by_time: bool = True):
    """A handler listing documents `d0..dn` created at `times`, `page_size` per page, sorted as asked.

    `sorts_by_time=False` stands for a server that ignores `sort_by` and keeps list order (reversed for desc).
    """

    def handle(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        items = [{"id": f"d{i}", "metadata": {"created_at_unix_secs": t}} for i, t in enumerate(times)]
        descending = params["sort_direction"] == "desc"
        if sorts_by_time:
            items.sort(key=lambda item: item["metadata"]["created_at_unix_secs"], reverse=descending)
        elif descending:
            items.reverse()
        start = int(params.get("cursor") or 0)
        end = start + page_size
        more = end < len(items)
        return answer({"documents": items[start:end], "has_more": more, "next_cursor": str(end) if more else None})

    return handle


def read(make_client, times: list[int], page_size: int, **server: bool) -> tuple[list[str], list[httpx.Request]]:
    client, recorder = make_client(paged_documents(times, page_size, **server))

    async def run() -> list[dict]:
        async with client:
            return await client.list_documents(parent_folder_id="f", expected=LONG)

    return [item["id"] for item in asyncio.run(run())], recorder.requests


def test_five_pages_with_distinct_times_cost_three_round_trips(make_client) -> None:
    ids, requests = read(make_client, times=list(range(10)), page_size=2)
    assert ids == [f"d{i}" for i in range(10)]
    # Three rounds of two pages (one per end); sequential paging would need five rounds.
    assert len(requests) == 6
    assert sorted(r.url.params["sort_direction"] for r in requests) == ["asc"] * 3 + ["desc"] * 3
    assert {r.url.params["sort_by"] for r in requests} == {"created_at"}
    assert {r.url.params["parent_folder_id"] for r in requests} == {"f"}


def test_a_one_page_list_is_returned_after_one_round_trip(make_client) -> None:
    ids, requests = read(make_client, times=[5, 3, 9], page_size=100)
    assert sorted(ids) == ["d0", "d1", "d2"]
    assert len(requests) == 2


def test_items_created_in_the_same_second_are_never_lost_where_the_two_ends_meet(make_client) -> None:
    # Every item in one second: the ends overlap at once, yet only a finished chain proves the list complete.
    ids, requests = read(make_client, times=[7] * 9, page_size=2)
    assert sorted(ids) == sorted(f"d{i}" for i in range(9))
    assert len(requests) == 2 * 5


# `make_client` builds a fresh client and recorder on every call, so sharing the factory across examples is safe.
@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    times=st.lists(st.integers(min_value=0, max_value=6), max_size=40),
    page_size=st.integers(min_value=1, max_value=7),
)
def test_every_item_is_returned_exactly_once_whatever_the_times_and_page_size(
    make_client, times: list[int], page_size: int
) -> None:
    ids, _ = read(make_client, times, page_size)
    assert sorted(ids) == sorted(f"d{i}" for i in range(len(times)))


def test_a_server_that_does_not_sort_by_creation_time_is_read_to_the_end(make_client) -> None:
    # The first pages' last items look crossed (8 > 1), but neither page is in time order: d2..d7 must still come.
    ids, requests = read(make_client, times=[9, 8, 5, 5, 5, 5, 5, 5, 1, 0], page_size=2, sorts_by_time=False)
    assert sorted(ids) == sorted(f"d{i}" for i in range(10))
    assert len(requests) == 2 * 5


def test_agents_and_documents_read_from_both_ends_over_loopback_match_the_sequential_read(emulator: str) -> None:
    httpx.post(emulator + "/_emulator/reset", headers={"xi-api-key": DEV_API_KEY}).raise_for_status()

    async def scenario() -> tuple[list, list, list, list]:
        async with ElevenLabsClient(emulator, DEV_API_KEY) as api:
            folder = await api.create_folder(name="big")
            await asyncio.gather(
                *(
                    api.create_text_document(text=f"t{i}", name=f"doc {i}", parent_folder_id=folder["id"])
                    for i in range(230)
                ),
                *(api.create_agent({"name": f"a{i}", "tags": ["bulk"], "conversation_config": {}}) for i in range(210)),
            )
            documents = await api.list_documents(parent_folder_id=folder["id"])
            documents_both = await api.list_documents(parent_folder_id=folder["id"], expected=LONG)
            agents = await api.list_agents(tags=["bulk"])
            agents_both = await api.list_agents(tags=["bulk"], expected=LONG)
            return documents, documents_both, agents, agents_both

    documents, documents_both, agents, agents_both = asyncio.run(scenario())
    assert len(documents) == 230
    assert sorted(d["id"] for d in documents_both) == sorted(d["id"] for d in documents)
    assert len(agents) == 210
    assert sorted(a["agent_id"] for a in agents_both) == sorted(a["agent_id"] for a in agents)
