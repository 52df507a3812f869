"""Choosing tests and resolving what a run needs live: agent ids, branch ids, test ids, the config override."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from agentform.apply.gc import tool_versions
from agentform.elevenlabs import ElevenLabsClient
from agentform.emulator import DEV_API_KEY, create_app
from agentform.model import (
    Desired,
    DesiredAgent,
    DesiredDocument,
    DesiredTest,
    DesiredTool,
    EnvironmentSettings,
    KnowledgeRef,
    ProjectSettings,
    SourceLocation,
)
from agentform.plan.live import LiveAgent, LiveBranch, LiveDocument, LiveState, LiveTest, LiveTool
from agentform.plan.payload import test_content_hash
from agentform.testing.targets import build_targets, choose_tests, create_missing_tests, missing_tests, resolve_ids

HERE = SourceLocation(path="x")


def _test(agent: str, key: str, **fields) -> DesiredTest:
    """A test as the loader makes it (a tool test references its tool by key, with the tool's type)."""
    history = [{"role": "user", "message": "hi", "time_in_call_secs": 0}]
    body: dict = {"type": fields.pop("kind", "llm"), "name": key, "chat_history": history}
    if fields.get("tool_key"):
        body["tool_call_parameters"] = {"referenced_tool": {"id": fields["tool_key"], "type": "webhook"}}
    return DesiredTest(agent_key=agent, key=key, kind=body["type"], body=body, source=HERE, **fields)


@pytest.fixture
def desired() -> Desired:
    env = EnvironmentSettings(name="local", backend="emulator")
    tool = DesiredTool(key="book", tool_config={"type": "webhook", "name": "book"}, source=HERE)
    faq = DesiredDocument(key="faq", kind="text", name="FAQ", text="Open at 8.", source=HERE)
    tests = [
        _test("clinic", "address"),
        _test("clinic", "booking", kind="tool", tool_key="book"),
        _test("sales", "greeting"),
    ]
    return Desired(
        settings=ProjectSettings(project="demo", default_environment="local", environments={"local": env}),
        environment=env,
        agents={
            "clinic": DesiredAgent(
                key="clinic",
                name="Clinic",
                conversation_config={"agent": {"prompt": {"prompt": "The clinic is on Main Street."}}},
                knowledge=[KnowledgeRef(key="faq", usage_mode="auto")],
                tools=["book"],
                source=HERE,
            ),
            "sales": DesiredAgent(key="sales", name="Sales", source=HERE),
        },
        documents={"faq": faq},
        tools={"book": tool},
        tests={test.address: test for test in tests},
    )


def _live(desired: Desired, *, tests: bool = True, branch: bool = False, faq_hash: str | None = None) -> LiveState:
    versions = tool_versions(desired)
    return LiveState(
        project="demo",
        environment="local",
        tests_folder_id="folder-1",
        agents=[
            LiveAgent(
                id="ag-clinic",
                key="clinic",
                name="Clinic",
                branch=LiveBranch(id="br-1", name="pr-1") if branch else None,
            ),
            LiveAgent(id="ag-sales", key="sales", name="Sales"),
        ],
        documents=[
            LiveDocument(
                id="doc-1", key="faq", hash=faq_hash or desired.documents["faq"].content_hash(), name="x", kind="text"
            )
        ],
        tools=[LiveTool(id="tool-1", key="book", hash=desired.tools["book"].content_hash(), name="book")],
        tests=[
            LiveTest(id=f"id-{address}", address=address, hash=test_content_hash(test, versions), name="x")
            for address, test in desired.tests.items()
        ]
        if tests
        else [],
    )


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
    ids = resolve_ids(desired, _live(desired, faq_hash="000000000000"))
    assert ids.tools == {"book": "tool-1"}
    assert ids.missing_documents == ("faq",)
    assert set(ids.tests) == set(desired.tests)
    assert missing_tests(choose_tests(desired), ids) == []
    assert [t.key for t in missing_tests(choose_tests(desired), resolve_ids(desired, _live(desired, tests=False)))] == [
        "address",
        "booking",
        "greeting",
    ]


def test_without_a_branch_the_working_tree_config_is_the_override_with_live_ids(desired):
    live = _live(desired)
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
    live = _live(desired, faq_hash="000000000000")
    planned = build_targets(desired, live, choose_tests(desired), resolve_ids(desired, live))
    assert [t.agent_key for t in planned.targets] == ["sales"]
    assert planned.problems == [
        "clinic: KB documents faq do not exist live at the files' version, so the working tree cannot be tested as "
        "an override: run `agentform apply --branch <name>`, then `agentform test --branch <name>`"
    ]


def test_with_a_branch_each_agent_needs_that_branch(desired):
    live = _live(desired, branch=True)
    planned = build_targets(desired, live, choose_tests(desired), resolve_ids(desired, live), branch="pr-1")
    assert [(t.agent_key, t.branch_id, t.agent_config_override) for t in planned.targets] == [("clinic", "br-1", None)]
    assert planned.problems == ["sales: the agent has no branch 'pr-1': run `agentform apply --branch pr-1` first"]


def test_an_agent_that_does_not_exist_live_says_to_apply_first(desired):
    live = _live(desired).model_copy(update={"agents": []})
    planned = build_targets(desired, live, choose_tests(desired, agent_globs=["sales"]), resolve_ids(desired, live))
    assert planned.problems == ["sales: the agent does not exist live yet: run `agentform apply` first"]


def test_missing_test_versions_are_created_in_the_managed_folder_with_tool_ids(desired):
    app = create_app()

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with ElevenLabsClient("http://emulator.local", DEV_API_KEY, transport=transport) as client:
            folder = await client.create_test_folder(name="agentform.demo.local")
            live = _live(desired, tests=False).model_copy(update={"tests_folder_id": folder["id"]})
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
