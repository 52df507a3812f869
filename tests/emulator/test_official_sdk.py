"""The official `elevenlabs` SDK (a dev dependency) drives the emulator over real loopback HTTP.

This is the fidelity check that matters most: a client written against the real service works unchanged here.
"""

from __future__ import annotations

import pytest
from tests.support.clock import FakeClock
from tests.support.emulator_server import serving

from agentform.emulator import DEV_API_KEY, create_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def sdk(server_clock):
    from elevenlabs import ElevenLabs

    with serving(create_app(eval_delay_secs=0.3, clock=server_clock)) as base_url:
        yield ElevenLabs(api_key=DEV_API_KEY, base_url=base_url)


def test_the_sdk_creates_an_agent_patches_a_branch_merges_and_reads_main(sdk):
    agents = sdk.conversational_ai.agents
    agent_id = agents.create(
        name="Clinic",
        tags=["agentform:clinic"],
        conversation_config={"agent": {"first_message": "Hello", "prompt": {"prompt": "We open at 9."}}},
    ).agent_id
    main = agents.get(agent_id)

    branch = agents.branches.create(agent_id, parent_version_id=main.version_id, name="pr-7", description="PR 7")
    patched = agents.update(
        agent_id,
        branch_id=branch.created_branch_id,
        conversation_config={"agent": {"first_message": "Hi there"}},
        version_description="PR 7: friendlier greeting",
    )
    agents.branches.merge(
        agent_id, branch.created_branch_id, target_branch_id=main.main_branch_id, archive_source_branch=True
    )

    assert patched.branch_id == branch.created_branch_id
    assert agents.get(agent_id).conversation_config.agent.first_message == "Hi there"
    assert [a.agent_id for a in agents.list(tags=["agentform:clinic"]).agents] == [agent_id]
    version = agents.versions.get(agent_id, patched.version_id)
    assert version.version_description == "PR 7: friendlier greeting"


def test_the_sdk_creates_a_kb_document_and_a_test_runs_it_and_polls_the_invocation(sdk, server_clock):
    from elevenlabs.conversational_ai.tests.types import TestsCreateRequestBody_Llm

    agents = sdk.conversational_ai.agents
    doc = sdk.conversational_ai.knowledge_base.documents.create_from_text(
        text="Parking is free behind the building.", name="parking"
    )
    agent_id = agents.create(
        conversation_config={
            "agent": {"prompt": {"knowledge_base": [{"type": "text", "name": "parking", "id": doc.id}]}}
        }
    ).agent_id
    test = sdk.conversational_ai.tests.create(
        request=TestsCreateRequestBody_Llm(
            name="parking",
            chat_history=[{"role": "user", "message": "Where do I park?", "time_in_call_secs": 0}],
            success_condition='Mentions "free" parking',
            success_examples=[{"response": "Parking is free", "type": "success"}],
            failure_examples=[{"response": "There is no parking", "type": "failure"}],
        )
    )

    invocation = agents.run_tests(agent_id, tests=[{"test_id": test.id}])
    assert invocation.test_runs[0].status == "pending"
    assert sdk.conversational_ai.tests.invocations.get(invocation.id).test_runs[0].status == "pending"
    server_clock.advance(0.3)
    invocation = sdk.conversational_ai.tests.invocations.get(invocation.id)

    run = invocation.test_runs[0]
    assert run.status == "passed"
    assert run.agent_responses[0].message == "Parking is free behind the building."
    assert sdk.conversational_ai.knowledge_base.documents.get_content(doc.id) == "Parking is free behind the building."


def test_the_sdk_lists_conversations_seeded_through_the_admin_api(sdk):
    import httpx

    base_url = sdk._client_wrapper.get_base_url()
    seeded = httpx.post(
        f"{base_url}/_emulator/conversations",
        headers={"xi-api-key": DEV_API_KEY},
        json={"agent_id": "agent_x", "transcript": [{"role": "user", "message": "hi", "time_in_call_secs": 0}]},
    ).json()

    page = sdk.conversational_ai.conversations.list(agent_id="agent_x")

    assert [c.conversation_id for c in page.conversations] == [seeded["conversation_id"]]
    assert sdk.conversational_ai.conversations.get(seeded["conversation_id"]).transcript[0].message == "hi"


def test_the_sdk_sees_a_404_as_an_api_error_with_the_status(sdk):
    from elevenlabs.core.api_error import ApiError

    with pytest.raises(ApiError) as raised:
        sdk.conversational_ai.agents.get("agent_missing")

    assert raised.value.status_code == 404
