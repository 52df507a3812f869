"""What a rollback writes: the configuration read at the recorded version, described as a rollback."""

from __future__ import annotations

from agentform.gitops.rollback import restored_mismatches, rollback_body, rollback_description

AT_VERSION = {
    "agent_id": "agent_1",
    "version_id": "agtvrsn_old",
    "branch_id": "agtbrch_main",
    "metadata": {"created_at_unix_secs": 1, "updated_at_unix_secs": 2},
    "access_info": {"role": "admin"},
    "name": "Clinic Receptionist",
    "tags": ["af:clinic:prod", "af-key:receptionist"],
    "conversation_config": {"agent": {"first_message": "Alo!", "prompt": {"prompt": "Be kind.", "tool_ids": ["t1"]}}},
    "platform_settings": {"call_limits": {"daily_limit": 100}, "safety": {"is_blocked_ivc": False}},
    "workflow": {"nodes": {}, "edges": {}, "prevent_subagent_loops": False},
}


def test_the_body_carries_the_versioned_sections_and_a_rollback_description():
    body = rollback_body(AT_VERSION, version_id="agtvrsn_old", reason="smoke tests failed after abc123")
    assert set(body) == {"conversation_config", "platform_settings", "workflow", "name", "tags", "version_description"}
    assert body["conversation_config"] == AT_VERSION["conversation_config"]
    assert body["tags"] == AT_VERSION["tags"]
    assert body["version_description"] == "Rollback to agtvrsn_old (smoke tests failed after abc123)"


def test_read_only_and_server_owned_fields_are_not_written_back():
    body = rollback_body(AT_VERSION, version_id="v", reason="r")
    assert "agent_id" not in body and "metadata" not in body and "access_info" not in body
    assert body["platform_settings"] == {"call_limits": {"daily_limit": 100}}
    # The input is not modified.
    assert "safety" in AT_VERSION["platform_settings"]


def test_a_long_reason_is_cut_to_a_description_the_api_accepts():
    description = rollback_description("v1", "x" * 2_000)
    assert description.startswith("Rollback to v1 (") and len(description) <= 480


def test_an_exact_restore_has_no_mismatches_even_when_the_server_fills_in_read_only_fields():
    after = {**AT_VERSION, "version_id": "agtvrsn_new", "metadata": {"updated_at_unix_secs": 99}}
    after["platform_settings"] = {**AT_VERSION["platform_settings"], "safety": {"is_blocked_ivc": True}}
    assert restored_mismatches(AT_VERSION, after) == []


def test_a_field_that_did_not_come_back_is_named_by_its_path():
    after = {**AT_VERSION, "conversation_config": {"agent": {"first_message": "Hi", "prompt": {"prompt": "Be kind."}}}}
    assert restored_mismatches(AT_VERSION, after) == [
        "conversation_config.agent.first_message",
        "conversation_config.agent.prompt.tool_ids",
    ]
