"""Choosing tests and resolving what a run needs live: agent ids, branch ids, test ids, the config override."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tests.testing.smallkit import small_desired, small_live

from agentform.elevenlabs import ElevenLabsClient
from agentform.emulator import DEV_API_KEY, create_app
from agentform.model import Desired
from agentform.testing.targets import build_targets, choose_tests, create_missing_tests, missing_tests, resolve_ids


@pytest.fixture
def desired() -> Desired:
    return small_desired()


def test_tests_are_chosen_by_agent_glob_test_glob_address_and_changed_agents(desired):
    def keys(chosen):
        return {agent: [t.key for t in tests] for agent, tests in chosen.items()}

    assert keys(choose_tests(desired)) == {"clinic": ["address", "booking"], "sales": ["greeting"]}
    assert keys(choose_tests(desired, agent_globs=["cl*"])) == {"clinic": ["address", "booking"]}
    assert keys(choose_tests(desired, test_globs=["b*"])) == {"clinic": ["booking"]}
    assert keys(choose_tests(desired, test_globs=["sales/*"])) == {"sales": ["greeting"]}
    assert keys(choose_tests(desired, agents=["sales"])) == {"sales": ["greeting"]}
    assert choose_tests(desired, agents=[]) == {}


def test_live_ids_are_those_of_the_desired_versions_only(desired):
    ids = resolve_ids(desired, small_live(desired, faq_hash="000000000000"))
    assert ids.tools == {"book": "tool-1"}
    assert ids.missing_documents == ("faq",)
    assert set(ids.tests) == set(desired.tests)
    assert missing_tests(choose_tests(desired), ids) == []
    assert [
        t.key for t in missing_tests(choose_tests(desired), resolve_ids(desired, small_live(desired, tests=False)))
    ] == [
        "address",
        "booking",
        "greeting",
    ]


def test_without_a_branch_the_working_tree_config_is_the_override_with_live_ids(desired):
    live = small_live(desired)
    planned = build_targets(desired, live, choose_tests(desired, agent_globs=["clinic"]), resolve_ids(desired, live))
    assert planned.problems == []
    (target,) = planned.targets
    assert (target.agent_id, target.branch_id) == ("ag-clinic", None)
    prompt = target.agent_config_override["conversation_config"]["agent"]["prompt"]
    assert prompt["prompt"] == "The clinic is on Main Street."
    assert prompt["tool_ids"] == ["tool-1"]
    assert [(kb["id"], kb["usage_mode"]) for kb in prompt["knowledge_base"]] == [("doc-1", "auto")]
    attached = target.agent_config_override["platform_settings"]["testing"]["attached_tests"]
    assert attached == [{"test_id": "id-clinic/address"}, {"test_id": "id-clinic/booking"}]
    assert "tags" not in target.agent_config_override and "name" not in target.agent_config_override


def test_a_document_version_missing_live_blocks_the_override_with_advice(desired):
    live = small_live(desired, faq_hash="000000000000")
    planned = build_targets(desired, live, choose_tests(desired), resolve_ids(desired, live))
    assert [t.agent_key for t in planned.targets] == ["sales"]
    assert planned.problems == [
        "clinic: KB documents faq do not exist live at the files' version, so the working tree cannot be tested as "
        "an override: run `agentform test` without --no-create to create them, or `agentform apply --branch <name>`, "
        "then `agentform test --branch <name>`"
    ]


def test_with_a_branch_each_agent_needs_that_branch(desired):
    live = small_live(desired, branch=True)
    planned = build_targets(desired, live, choose_tests(desired), resolve_ids(desired, live), branch="pr-1")
    assert [(t.agent_key, t.branch_id, t.agent_config_override) for t in planned.targets] == [("clinic", "br-1", None)]
    assert planned.problems == ["sales: the agent has no branch 'pr-1': run `agentform apply --branch pr-1` first"]


def test_an_agent_that_does_not_exist_live_says_to_apply_first(desired):
    live = small_live(desired).model_copy(update={"agents": []})
    planned = build_targets(desired, live, choose_tests(desired, agent_globs=["sales"]), resolve_ids(desired, live))
    assert planned.problems == ["sales: the agent does not exist live yet: run `agentform apply` first"]


def test_missing_test_versions_are_created_in_the_managed_folder_with_tool_ids(desired):
    app = create_app()

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with ElevenLabsClient("http://emulator.local", DEV_API_KEY, transport=transport) as client:
            folder = await client.create_test_folder(name="agentform.demo.local")
            live = small_live(desired, tests=False).model_copy(update={"tests_folder_id": folder["id"]})
            ids = resolve_ids(desired, live)
            created = await create_missing_tests(client, desired, live, ids, missing_tests(choose_tests(desired), ids))
            bodies = {address: await client.get_test(test_id) for address, test_id in created.tests.items()}
            listed = await client.list_tests(parent_folder_id=folder["id"])
            return created, bodies, listed

    created, bodies, listed = asyncio.run(go())
    assert set(created.tests) == set(desired.tests)
    assert len(listed) == 3
    assert bodies["clinic/booking"]["tool_call_parameters"]["referenced_tool"]["id"] == "tool-1"
    assert bodies["clinic/address"]["name"].startswith("address [clinic/address@")
