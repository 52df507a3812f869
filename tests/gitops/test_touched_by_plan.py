"""Which agents a deploy smoke-tests from its plan: their own change, or a change to a KB document, tool or test
they reference (a pure function of the plan and the desired state)."""

from __future__ import annotations

from agentform.gitops.changes import touched_by_plan
from agentform.model import (
    Desired,
    DesiredAgent,
    DesiredTest,
    EnvironmentSettings,
    KnowledgeRef,
    ProjectSettings,
    SourceLocation,
)
from agentform.plan.model import ResourceChange

HERE = SourceLocation(path="x")


def _desired() -> Desired:
    env = EnvironmentSettings(name="local", backend="emulator")

    def agent(key: str, knowledge: tuple[str, ...] = (), tools: tuple[str, ...] = ()) -> DesiredAgent:
        refs = [KnowledgeRef(key=k) for k in knowledge]
        return DesiredAgent(key=key, name=key, knowledge=refs, tools=list(tools), source=HERE)

    refund = DesiredTest(agent_key="support", key="refund", kind="tool", body={}, tool_key="lookup-order", source=HERE)
    return Desired(
        settings=ProjectSettings(project="demo", default_environment="local", environments={"local": env}),
        environment=env,
        agents={
            "clinic": agent("clinic", knowledge=("clinic-faq", "prices"), tools=("book-appointment",)),
            "sales": agent("sales", knowledge=("prices",)),
            "support": agent("support"),
        },
        tests={refund.address: refund},
    )


def _change(kind: str, key: str, action: str = "update", blocked: str | None = None) -> ResourceChange:
    return ResourceChange(address=f"{kind}.{key}", kind=kind, key=key, action=action, blocked=blocked)


def test_a_document_change_reaches_every_agent_that_references_it():
    touched = touched_by_plan([_change("document", "prices", "create")], _desired())
    assert sorted(touched) == ["clinic", "sales"]
    assert touched["sales"] == ("the plan has create document.prices, which it references",)


def test_a_tool_change_reaches_its_agents_and_the_agents_whose_tests_reference_it():
    assert list(touched_by_plan([_change("tool", "book-appointment", "replace")], _desired())) == ["clinic"]
    assert list(touched_by_plan([_change("tool", "lookup-order", "replace")], _desired())) == ["support"]


def test_an_agent_or_test_change_reaches_its_own_agent():
    changes = [_change("agent", "sales"), _change("test", "support/refund", "create")]
    assert list(touched_by_plan(changes, _desired())) == ["sales", "support"]


def test_no_ops_deletes_and_blocked_changes_reach_nobody():
    changes = [
        _change("agent", "sales", "no-op"),
        _change("document", "prices", "delete"),
        _change("document", "clinic-faq", "update", blocked="prevent_destroy is set"),
    ]
    assert touched_by_plan(changes, _desired()) == {}
