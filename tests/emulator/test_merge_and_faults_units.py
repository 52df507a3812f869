"""Properties of the pure parts: the three-way merge and the fault rules."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from agentform.emulator.faults import FaultBook, FaultSpec
from agentform.emulator.merge import flatten, merge_configs, unflatten

keys = st.sampled_from(["a", "b", "c"])
leaves = st.one_of(st.integers(0, 3), st.lists(st.integers(0, 2), max_size=2), st.sampled_from(["x", "y"]))
trees = st.recursive(leaves, lambda children: st.dictionaries(keys, children, min_size=1, max_size=3), max_leaves=6)
sections = st.dictionaries(keys, trees, min_size=1, max_size=3)


def config(section: dict) -> dict:
    return {"name": "n", "tags": [], "conversation_config": section, "platform_settings": {}, "workflow": {}}


@given(sections)
def test_flatten_then_unflatten_is_the_identity_for_non_empty_dicts(section):
    assert unflatten(flatten(section)) == {k: v for k, v in section.items()}


@given(sections, sections)
def test_merging_into_an_unmoved_target_yields_the_source(base, source):
    result = merge_configs(config(base), config(source), config(base), force=False)

    assert result.conflicts == []
    assert flatten(result.config["conversation_config"]) == flatten(source)


@given(sections, sections)
def test_merging_an_unchanged_source_keeps_the_target(base, target):
    result = merge_configs(config(base), config(base), config(target), force=False)

    assert result.conflicts == []
    assert flatten(result.config["conversation_config"]) == flatten(target)


@given(sections, sections, sections)
# The source deleted the only path of a section that the target changed: the deletion must win.
@example(base={"b": 1, "a": 0}, source={"a": 0}, target={"b": 0})
def test_a_forced_merge_never_reports_a_value_other_than_the_sources_for_a_conflicting_path(base, source, target):
    result = merge_configs(config(base), config(source), config(target), force=True)

    merged = flatten({"conversation_config": result.config["conversation_config"]})
    for conflict in result.conflicts:
        assert merged.get(conflict["path"]) == conflict["source_value"]


def test_a_count_limited_fault_stops_firing_and_other_paths_never_match():
    book = FaultBook()
    book.add(FaultSpec(kind="status", method="GET", path="/v1/convai/agents", count=2))

    fired = [bool(book.fire("GET", "/v1/convai/agents")) for _ in range(3)]

    assert fired == [True, True, False]
    assert book.fire("GET", "/v1/convai/tools") == []
    assert book.fire("POST", "/v1/convai/agents") == []
