"""Conversations seeded through the admin API, then listed, read and given feedback through the real paths."""

from __future__ import annotations


def seed(api, agent_id, start, **extra):
    body = {
        "agent_id": agent_id,
        "start_time_unix_secs": start,
        "transcript": [
            {"role": "agent", "message": "Bună ziua!", "time_in_call_secs": 0},
            {"role": "user", "message": "Vreau o programare", "time_in_call_secs": 3},
            {
                "role": "agent",
                "message": "Sigur.",
                "time_in_call_secs": 5,
                "tool_calls": [
                    {"request_id": "r1", "tool_name": "book", "params_as_json": "{}", "tool_has_been_called": True}
                ],
            },
        ],
        **extra,
    }
    response = api.post("/_emulator/conversations", json=body)
    assert response.status_code == 200, response.text
    return response.json()["conversation_id"]


def test_a_seeded_conversation_is_read_with_its_transcript_and_tool_calls(api):
    conversation_id = seed(api, "agent_a", 1000, feedback="like")

    conversation = api.get(f"/v1/convai/conversations/{conversation_id}").json()

    assert [i["role"] for i in conversation["transcript"]] == ["agent", "user", "agent"]
    assert conversation["transcript"][1]["message"] == "Vreau o programare"
    assert conversation["transcript"][2]["tool_calls"][0]["tool_name"] == "book"
    assert conversation["metadata"]["call_duration_secs"] == 5
    assert conversation["metadata"]["feedback"]["overall_score"] == "like"


def test_list_filters_by_agent_and_start_time_newest_first_with_a_cursor(api):
    ids = [seed(api, "agent_a", start) for start in (100, 200, 300)]
    seed(api, "agent_b", 250)

    first = api.get("/v1/convai/conversations", params={"agent_id": "agent_a", "page_size": 2}).json()
    rest = api.get(
        "/v1/convai/conversations", params={"agent_id": "agent_a", "page_size": 2, "cursor": first["next_cursor"]}
    ).json()
    recent = api.get("/v1/convai/conversations", params={"call_start_after_unix": 150}).json()["conversations"]

    assert [c["conversation_id"] for c in first["conversations"] + rest["conversations"]] == ids[::-1]
    assert rest["has_more"] is False
    assert sorted(c["start_time_unix_secs"] for c in recent) == [200, 250, 300]
    assert first["conversations"][0]["message_count"] == 3


def test_feedback_is_recorded_on_the_conversation(api):
    conversation_id = seed(api, "agent_a", 100)

    api.post(f"/v1/convai/conversations/{conversation_id}/feedback", json={"feedback": "dislike"})

    feedback = api.get(f"/v1/convai/conversations/{conversation_id}").json()["metadata"]["feedback"]
    assert (feedback["overall_score"], feedback["dislikes"]) == ("dislike", 1)


def test_an_unknown_conversation_is_a_404(api):
    assert api.get("/v1/convai/conversations/conv_missing").status_code == 404


def test_a_conversation_of_a_known_agent_defaults_to_its_name_main_branch_and_tip_version(api, make_agent):
    agent_id = make_agent(name="Clinic")
    agent = api.get(f"/v1/convai/agents/{agent_id}").json()

    conversation = api.get(f"/v1/convai/conversations/{seed(api, agent_id, 100)}").json()

    assert (conversation["agent_name"], conversation["branch_id"], conversation["version_id"]) == (
        "Clinic",
        agent["main_branch_id"],
        agent["version_id"],
    )


def talk(api, agent_id, start, *messages):
    """A seeded call whose turns alternate user, agent, user, ..."""
    transcript = [
        {"role": ("user", "agent")[index % 2], "message": message, "time_in_call_secs": index}
        for index, message in enumerate(messages)
    ]
    body = {"agent_id": agent_id, "start_time_unix_secs": start, "transcript": transcript}
    return api.post("/_emulator/conversations", json=body).json()["conversation_id"]


def test_a_deleted_conversation_is_gone_from_reads_and_lists(api):
    kept, deleted = seed(api, "agent_a", 100), seed(api, "agent_a", 200)

    response = api.delete(f"/v1/convai/conversations/{deleted}")

    assert response.status_code == 200
    assert api.get(f"/v1/convai/conversations/{deleted}").status_code == 404
    listed = api.get("/v1/convai/conversations").json()["conversations"]
    assert [c["conversation_id"] for c in listed] == [kept]
    again = api.delete(f"/v1/convai/conversations/{deleted}")
    assert again.status_code == 404 and again.json()["detail"]["status"] == "conversation_not_found"


def test_text_search_finds_messages_full_text_and_fuzzy_best_first_with_highlights(api):
    refund = talk(api, "agent_a", 100, "I want a refund please", "Our refund policy allows returns in 30 days.")
    talk(api, "agent_a", 200, "What are your opening hours?", "We open at nine.")
    typo = talk(api, "agent_b", 300, "Do you have a refnud policy?", "Yes.")

    page = api.get("/v1/convai/conversations/messages/text-search", params={"text_query": "refund policy"}).json()

    found = [(r["conversation_id"], r["transcript_index"], r["score"]) for r in page["results"]]
    assert found == [(typo, 0, 1.0), (refund, 1, 1.0), (refund, 0, 0.5)]
    assert page["has_more"] is False
    highlighted = [part["value"] for part in page["results"][1]["chunk_highlights"] if part["is_hit"]]
    assert highlighted == ["refund", "policy"]
    assert "".join(part["value"] for part in page["results"][1]["chunk_highlights"]) == page["results"][1]["chunk_text"]


def test_text_search_takes_the_list_filters_sorts_by_start_and_pages(api):
    first = talk(api, "agent_a", 100, "parking question")
    second = talk(api, "agent_a", 200, "parking again")
    talk(api, "agent_b", 300, "parking elsewhere")
    query = {"text_query": "parking", "agent_id": "agent_a", "sort_by": "created_at", "page_size": 1}

    page = api.get("/v1/convai/conversations/messages/text-search", params=query).json()
    rest = api.get(
        "/v1/convai/conversations/messages/text-search", params={**query, "cursor": page["next_cursor"]}
    ).json()

    assert [r["conversation_id"] for r in page["results"] + rest["results"]] == [second, first]
    assert page["has_more"] is True and rest["has_more"] is False


def test_text_search_requires_its_query_and_caps_the_page_at_50(api):
    missing = api.get("/v1/convai/conversations/messages/text-search")
    too_big = api.get("/v1/convai/conversations/messages/text-search", params={"text_query": "x", "page_size": 51})

    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "text_query"]
    assert too_big.status_code == 422
    assert too_big.json()["detail"][0] == {
        "loc": ["query", "page_size"],
        "msg": "Input should be less than or equal to 50",
        "type": "less_than_equal",
    }


def test_the_list_search_filter_keeps_conversations_with_a_matching_message(api):
    parking = talk(api, "agent_a", 100, "Unde pot parca mașina?", "În spatele clădirii.")
    talk(api, "agent_a", 200, "Cât costă?", "100 de lei.")

    listed = api.get("/v1/convai/conversations", params={"search": "masina"}).json()["conversations"]

    assert [c["conversation_id"] for c in listed] == [parking]
