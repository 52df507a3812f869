"""Normalisation and field diffs: only real changes show, and they show readably."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.hypothesis_profiles import examples

from agentform.plan.diff import changed_paths, field_changes, render_path
from agentform.plan.normalize import (
    REMOVED,
    canonical,
    comparable,
    normalize_agent,
    patch_body,
)
from agentform.redact import MASK, Redactor

json_scalars = (
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def test_read_only_and_server_generated_agent_fields_are_dropped():
    live = {
        "agent_id": "a1",
        "name": "R",
        "metadata": {"created_at_unix_secs": 1},
        "version_id": "v",
        "branch_id": "b",
        "main_branch_id": "b",
        "access_info": {"role": "admin"},
        "platform_settings": {
            "safety": {"is_blocked_ivc": False},
            "queueing_config": {"hold_audio": "x", "enabled": True},
        },
    }
    assert normalize_agent(live) == {"name": "R", "platform_settings": {"queueing_config": {"enabled": True}}}


def test_whole_floats_equal_ints_and_key_order_does_not_matter():
    assert canonical({"b": 1.0, "a": [2.0, 0.5]}) == canonical({"a": [2, 0.5], "b": 1})
    assert field_changes({"t": 1, "x": {"b": 2, "a": 1}}, {"x": {"a": 1.0, "b": 2}, "t": 1.0}) == []


def test_booleans_are_not_numbers():
    assert canonical(True) is True
    assert field_changes({"x": 1}, {"x": True}) != []


def test_server_defaults_the_file_does_not_set_are_not_changes():
    desired = {"conversation_config": {"agent": {"prompt": {"temperature": 0.3}}}}
    live = {
        "conversation_config": {"agent": {"prompt": {"temperature": 0.3, "llm": "gemini", "max_tokens": -1}}, "tts": {}}
    }
    desired_view, live_view = comparable(desired, live)
    assert field_changes(live_view, desired_view) == []


def test_a_key_the_file_stopped_setting_is_a_change_back_to_the_server_default():
    last_applied = {"conversation_config": {"agent": {"first_message": "Hi", "language": "ro"}}}
    desired = {"conversation_config": {"agent": {"language": "ro"}}}
    live = {"conversation_config": {"agent": {"first_message": "Hi", "language": "ro"}}}
    desired_view, live_view = comparable(desired, live, last_applied)
    [change] = field_changes(live_view, desired_view)
    assert (change.path, change.before, change.after_set) == ("conversation_config.agent.first_message", "Hi", False)
    assert patch_body(desired_view) == {"conversation_config": {"agent": {"first_message": None, "language": "ro"}}}


def test_removing_a_whole_section_resets_only_the_keys_git_had_set():
    last_applied = {"turn": {"turn_timeout": 7}}
    live = {"turn": {"turn_timeout": 7, "turn_eagerness": "normal", "silence_end_call_timeout": -1}}
    desired_view, live_view = comparable({}, live, last_applied)
    [change] = field_changes(live_view, desired_view)
    assert (change.path, change.before, change.after_set) == ("turn.turn_timeout", 7, False)
    assert patch_body(desired_view) == {"turn": {"turn_timeout": None}}


def test_removing_a_section_that_is_not_set_live_either_is_no_change():
    desired_view, live_view = comparable({}, {}, {"turn": {"turn_timeout": 7}})
    assert field_changes(live_view, desired_view) == [] and desired_view == {}


def test_a_removed_key_that_is_not_set_live_either_is_no_change():
    desired_view, live_view = comparable({"a": 1}, {"a": 1}, {"a": 1, "b": 2})
    assert field_changes(live_view, desired_view) == [] and "b" not in desired_view


def test_list_items_are_projected_so_server_filled_fields_inside_them_do_not_show():
    desired = {"kb": [{"id": "d1", "type": "text"}]}
    live = {"kb": [{"id": "d1", "type": "text", "usage_mode": "auto"}]}
    desired_view, live_view = comparable(desired, live)
    assert field_changes(live_view, desired_view) == []


def test_paths_are_rendered_as_people_write_them():
    assert (
        render_path(("conversation_config", "agent", "prompt", "prompt")) == "conversation_config.agent.prompt.prompt"
    )
    assert render_path(("tags", 2)) == "tags[2]"
    assert render_path(("data_collection", "a.b")) == 'data_collection["a.b"]'


def test_a_change_inside_a_list_is_reported_on_the_whole_list():
    [change] = field_changes({"tool_ids": ["a"]}, {"tool_ids": ["a", "b"]})
    assert (change.path, change.before, change.after) == ("tool_ids", ["a"], ["a", "b"])


def test_long_and_multiline_strings_get_a_unified_line_diff_not_a_blob():
    before = "You are a receptionist.\nSpeak Romanian.\nBe brief.\n"
    after = "You are a receptionist.\nSpeak Romanian politely.\nBe brief.\n"
    [change] = field_changes({"prompt": before}, {"prompt": after})
    assert change.before is None and change.after is None
    assert "-Speak Romanian.\n+Speak Romanian politely." in change.line_diff
    assert " You are a receptionist." in change.line_diff


def test_an_added_object_is_listed_leaf_by_leaf():
    changes = field_changes({}, {"auth": {"enable_auth": True, "allowlist": [{"hostname": "x"}]}})
    assert [(c.path, c.before_set) for c in changes] == [("auth.allowlist", False), ("auth.enable_auth", False)]


def test_known_secret_values_are_masked_everywhere_they_appear():
    redactor = Redactor(["s3cr3t-token"])
    [change] = field_changes({"h": "Bearer old"}, {"h": "Bearer s3cr3t-token"}, redactor=redactor)
    assert change.after == f"Bearer {MASK}" and change.sensitive
    long_before, long_after = "line\n" * 3, "line\nkey s3cr3t-token\n"
    [diff] = field_changes({"p": long_before}, {"p": long_after}, redactor=redactor)
    assert "s3cr3t-token" not in diff.line_diff and MASK in diff.line_diff


def test_webhook_auth_headers_are_masked_even_when_not_declared_secret():
    before = {"api_schema": {"request_headers": {"Authorization": "Bearer a", "Accept": "json"}}}
    after = {"api_schema": {"request_headers": {"Authorization": "Bearer b", "Accept": "json"}}}
    [change] = field_changes(before, after)
    assert change.path == "api_schema.request_headers.Authorization"
    assert (change.before, change.after, change.sensitive) == (MASK, MASK, True)
    [added] = field_changes({}, {"api_schema": {"request_headers": {"X-Api-Key": "k"}}})
    assert added.after == MASK


@settings(max_examples=examples(150), deadline=None)
@given(json_values)
def test_normalising_twice_changes_nothing(value):
    assert canonical(canonical(value)) == canonical(value)


@settings(max_examples=examples(150), deadline=None)
@given(json_values)
def test_nothing_differs_from_itself(value):
    assert field_changes(value, value) == [] and changed_paths(value, value) == []


@settings(max_examples=examples(100), deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6), st.integers(-50, 50), max_size=8))
def test_key_order_and_whole_floats_never_show_as_changes(mapping):
    reordered = {key: float(mapping[key]) for key in reversed(list(mapping))}
    assert field_changes(mapping, reordered) == []


@settings(max_examples=examples(100), deadline=None)
@given(json_values, json_values)
def test_every_reported_path_really_differs(before, after):
    for change in field_changes({"root": before}, {"root": after}):
        assert change.before_set or change.after_set


def test_removed_marker_never_leaks_into_a_payload():
    assert patch_body({"a": REMOVED, "b": [{"c": REMOVED}]}) == {"a": None, "b": [{"c": None}]}


def test_a_long_list_is_shown_one_item_per_line_with_new_ids_described():
    before = [{"test_id": f"test_{n:030d}"} for n in range(4)]
    after = [*before[:3], {"test_id": "$ref:test.receptionist/greets"}]
    [change] = field_changes({"attached_tests": before}, {"attached_tests": after})
    assert f'-{{"test_id": "test_{3:030d}"}}' in change.line_diff
    assert '+{"test_id": "(known after apply: test.receptionist/greets)"}' in change.line_diff
    assert f' {{"test_id": "test_{0:030d}"}}' in change.line_diff
