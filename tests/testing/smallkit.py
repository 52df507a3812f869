"""A small desired state (two agents, one document, one tool, three tests) and a live side to match it."""

from __future__ import annotations

from agentform.apply.gc import tool_versions
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

HERE = SourceLocation(path="x")


def small_test(agent: str, key: str, **fields) -> DesiredTest:
    """A test as the loader makes it (a tool test references its tool by key, with the tool's type)."""
    history = [{"role": "user", "message": "hi", "time_in_call_secs": 0}]
    body: dict = {"type": fields.pop("kind", "llm"), "name": key, "chat_history": history}
    if fields.get("tool_key"):
        body["tool_call_parameters"] = {"referenced_tool": {"id": fields["tool_key"], "type": "webhook"}}
    return DesiredTest(agent_key=agent, key=key, kind=body["type"], body=body, source=HERE, **fields)


def small_desired() -> Desired:
    env = EnvironmentSettings(name="local", backend="emulator")
    tool = DesiredTool(key="book", tool_config={"type": "webhook", "name": "book"}, source=HERE)
    faq = DesiredDocument(key="faq", kind="text", name="FAQ", text="Open at 8.", source=HERE)
    tests = [
        small_test("clinic", "address"),
        small_test("clinic", "booking", kind="tool", tool_key="book"),
        small_test("sales", "greeting"),
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


def small_live(desired: Desired, *, tests: bool = True, branch: bool = False, faq_hash: str | None = None) -> LiveState:
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
