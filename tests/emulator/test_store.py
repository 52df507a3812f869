"""The SQLite document store's batched reads (what the listing endpoints build their per-request indexes from)."""

from __future__ import annotations

from agentform.emulator.store import Store


def test_extract_reads_only_the_given_paths_of_every_document_oldest_first():
    store = Store()
    store.put("version", "v2", {"config": {"name": "second", "prompt": {"tool_ids": ["t1"]}}})
    store.put("version", "v1", {"config": {"name": "first"}})
    store.put("agent", "a1", {"config": {"name": "another kind"}})

    found = store.extract("version", ["$.config.name", "$.config.prompt.tool_ids"])

    assert list(found.items()) == [("v2", ["second", ["t1"]]), ("v1", ["first", None])]


def test_extract_of_ids_skips_missing_ones_and_reads_past_the_query_parameter_limit():
    store = Store()
    with store.tx():
        for n in range(1200):
            store.put("doc", f"d{n}", {"n": n, "body": {"nested": [n]}})

    found = store.extract("doc", ["$.body"], [f"d{n}" for n in range(0, 1300, 2)])

    assert len(found) == 600
    assert found["d1198"] == [{"nested": [1198]}]
    assert "d1200" not in found


def test_extract_keeps_json_types_with_one_path_or_several():
    store = Store()
    store.put("agent", "a1", {"archived": True, "settings": {"on": False}, "score": 1.0})

    assert store.extract("agent", ["$.archived"]) == {"a1": [True]}
    assert store.extract("agent", ["$.archived", "$.settings", "$.score"]) == {"a1": [True, {"on": False}, 1.0]}
