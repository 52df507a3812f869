"""Rollback details a deploy relies on: the branch it writes to, the result it reports, how it compares fields."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import in_process_client, new_app

from agentform.gitops.rollback import RollbackTarget, restored_mismatches, rollback_agent, rollback_description

GOOD = {"agent": {"first_message": "Alo!", "prompt": {"prompt": "Be kind."}}}
BAD = {"agent": {"first_message": "Go away.", "prompt": {"prompt": "Be rude."}}}


def test_a_rollback_on_a_branch_writes_that_branch_only_and_reports_what_it_restored():
    async def scenario():
        async with in_process_client(new_app()) as client:
            agent_id = await client.create_agent({"name": "Receptionist", "conversation_config": GOOD})
            good = await client.get_agent(agent_id)
            branch = await client.create_branch(
                agent_id, parent_version_id=good["version_id"], name="pr-1", description="PR 1", conversation_config=BAD
            )
            branch_id = branch["created_branch_id"]
            target = RollbackTarget("receptionist", agent_id, good["version_id"], "smoke tests failed")
            result = await rollback_agent(client, target, branch_id=branch_id)
            on_branch = await client.get_agent(agent_id, branch_id=branch_id)
            on_main = await client.get_agent(agent_id)
            return good, result, on_branch, on_main

    good, result, on_branch, on_main = asyncio.run(scenario())
    assert (result.agent_key, result.agent_id, result.restored_version_id) == (
        "receptionist",
        good["agent_id"],
        good["version_id"],
    )
    assert result.ok and result.mismatches == ()
    assert result.new_version_id == on_branch["version_id"] != on_main["version_id"]
    assert on_branch["conversation_config"]["agent"]["first_message"] == "Alo!"
    assert on_main["version_id"] == good["version_id"], "main was not written"


def test_the_description_names_the_version_and_the_reason_when_there_is_one_and_fits_the_apis_limit():
    assert rollback_description("v_1", "smoke") == "Rollback to v_1 (smoke)"
    assert rollback_description("v_1", "") == "Rollback to v_1"
    exact = "x" * (480 - len("Rollback to v_1 ()"))
    assert rollback_description("v_1", exact) == f"Rollback to v_1 ({exact})"
    long = rollback_description("v_1", exact + "y")
    assert len(long) == 480 and long.endswith("x…")


def test_a_value_that_became_a_mapping_or_stopped_being_one_is_a_mismatch_at_its_path():
    expected = {"name": "A", "conversation_config": {"agent": {"prompt": {"prompt": "Be kind."}}}}
    assert restored_mismatches(expected, {**expected, "conversation_config": {"agent": "flat"}}) == [
        "conversation_config.agent"
    ]
    assert restored_mismatches({**expected, "conversation_config": {"agent": "flat"}}, expected) == [
        "conversation_config.agent"
    ]
    assert restored_mismatches(expected, expected) == []
