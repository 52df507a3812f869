"""make_plan for the agents a workspace holds besides the ones git names: a second live agent with the markers of
one key, an adopted agent that is gone, a live agent git no longer names, and the versions a deploy's rollback
point still references."""

from __future__ import annotations

import pytest
from tests.plan.builders import agent, applied, desired, document, live_state, llm_test, tool

from agentform.model import KnowledgeRef
from agentform.plan.live import LiveState
from agentform.plan.planner import DuplicateAgentsError, make_plan
from agentform.state.model import DeployRecord, RollbackPoint


def two_agents(faq: str = "Opening hours: 9-17.\n"):
    return desired(
        agents=[
            agent("receptionist", knowledge=[KnowledgeRef(key="faq")], tools=["book"]),
            agent("triage", tools=["book"]),
        ],
        documents=[document("faq", faq)],
        tools=[tool("book")],
        tests=[llm_test("receptionist", "greets")],
    )


def with_copies(live: LiveState, *keys: str) -> LiveState:
    """`live` after someone duplicated the agents of `keys` in the dashboard (the copies keep the markers)."""
    copies = [live.agent_by_key(key).model_copy(update={"id": f"{key}-copy"}) for key in keys]
    return live.model_copy(update={"duplicate_agents": copies})


def applied_once():
    files = two_agents()
    return files, applied(make_plan(files, live_state(), prune=False))


def test_without_prune_two_live_agents_with_one_key_stop_the_plan_naming_each_pair_in_key_order():
    files, live = applied_once()
    copied = with_copies(live, "triage", "receptionist")
    receptionist, triage = live.agent_by_key("receptionist").id, live.agent_by_key("triage").id
    with pytest.raises(DuplicateAgentsError) as refused:
        make_plan(files, copied, prune=False)
    assert str(refused.value) == (
        f"two live agents claim one agent key ('receptionist': {receptionist} and receptionist-copy; "
        f"'triage': {triage} and triage-copy): delete the copy in the dashboard, or plan/apply with --prune to "
        "delete it (the first id of each pair is kept)"
    )


def test_with_prune_each_copy_is_deleted_under_its_own_address_and_the_managed_agent_stays():
    files, live = applied_once()
    receptionist = live.agent_by_key("receptionist").id
    plan = make_plan(files, with_copies(live, "triage", "receptionist"), prune=True)
    deletes = [change for change in plan.changes if change.action == "delete"]
    assert [(c.address, c.kind, c.key, c.live_id, c.blocked) for c in deletes] == [
        ("agent.receptionist#receptionist-copy", "agent", "receptionist#receptionist-copy", "receptionist-copy", None),
        ("agent.triage#triage-copy", "agent", "triage#triage-copy", "triage-copy", None),
    ]
    assert deletes[0].reason == (
        f"a second live agent with the markers of 'receptionist'; {receptionist} is the managed one"
    )
    assert plan.change_for("agent.receptionist").live_id == receptionist


def test_a_copy_of_an_agent_the_selection_leaves_out_neither_stops_the_plan_nor_is_deleted():
    files, live = applied_once()
    copied = with_copies(live, "receptionist")
    for prune in (False, True):
        plan = make_plan(files, copied, prune=prune, select_globs=["tri*"])
        assert not [change for change in plan.changes if change.action == "delete"]


def test_an_adopted_agent_that_is_gone_is_left_alone_and_the_plan_warns():
    files = desired(agents=[agent("front-desk", id="agent-gone")])
    plan = make_plan(files, applied(make_plan(desired(), live_state(), prune=False)), prune=True)
    change = plan.change_for("agent.front-desk")
    assert (change.action, change.live_id, change.payload, change.source) == (
        "no-op",
        "agent-gone",
        None,
        "agents/front-desk/agent.yaml",
    )
    assert change.reason == "adopted agent agent-gone was not found live"
    assert plan.warnings == ["agent.front-desk: id agent-gone (from agents/front-desk/agent.yaml) was not found live"]


def test_an_agent_adopted_under_another_key_is_updated_and_not_deleted_as_gone_from_git():
    _, live = applied_once()
    triage = live.agent_by_key("triage").id
    adopted = desired(
        agents=[agent("receptionist", knowledge=[KnowledgeRef(key="faq")], tools=["book"]), agent("intake", id=triage)],
        documents=[document("faq")],
        tools=[tool("book")],
    )
    plan = make_plan(adopted, live, prune=True)
    assert plan.change_for("agent.intake").live_id == triage
    assert not [change for change in plan.changes if change.kind == "agent" and change.action == "delete"]
    assert plan.warnings == [], "the adopted agent is found live, and the record exists"


def test_a_live_agent_gone_from_git_is_a_delete_that_waits_for_prune():
    _, live = applied_once()
    triage = live.agent_by_key("triage").id
    only_receptionist = desired(
        agents=[agent("receptionist", knowledge=[KnowledgeRef(key="faq")], tools=["book"])],
        documents=[document("faq")],
        tools=[tool("book")],
        tests=[llm_test("receptionist", "greets")],
    )
    for prune, blocked in ((False, "not carried out: prune disabled"), (True, None)):
        change = make_plan(only_receptionist, live, prune=prune).change_for("agent.triage")
        assert (change.action, change.live_id, change.delete_ids, change.blocked) == (
            "delete",
            triage,
            [triage],
            blocked,
        )
        assert change.reason == "gone from git"


def test_a_workspace_with_agents_and_no_state_record_warns_that_drift_cannot_be_told():
    files, live = applied_once()
    plan = make_plan(files, live.model_copy(update={"record": None}), prune=False)
    assert plan.warnings == ["no state record found: drift cannot be told from changes until the next apply"]
    assert make_plan(files, live, prune=False).warnings == []


def protected(live: LiveState, *ids: str) -> LiveState:
    """`live` with a deploy's rollback point that references `ids` (the versions a rollback would need)."""
    point = RollbackPoint(agent_id="agent-x", version_id="version-x", documents=list(ids))
    record = live.record.model_copy(update={"deploy": DeployRecord(rollback_points={"receptionist": point})})
    return live.model_copy(update={"record": record})


def test_a_superseded_version_a_rollback_point_references_is_kept_and_the_plan_says_why():
    _, live = applied_once()
    [old] = live.documents
    plan = make_plan(two_agents("Opening hours: 8-18.\n"), protected(live, old.id), prune=True)
    [kept] = [change for change in plan.changes if change.action == "delete"]
    assert (kept.kind, kept.live_id, kept.blocked) == (
        "document",
        old.id,
        "kept: a deploy's rollback point references it",
    )
    unprotected = make_plan(two_agents("Opening hours: 8-18.\n"), live, prune=True)
    assert [c.blocked for c in unprotected.changes if c.action == "delete"] == [None]


def test_a_delete_already_held_back_keeps_its_own_reason_when_a_rollback_point_references_it_too():
    _, live = applied_once()
    [old] = live.documents
    without_faq = desired(
        agents=[agent("receptionist", tools=["book"]), agent("triage", tools=["book"])], tools=[tool("book")]
    )
    [gone] = [
        change
        for change in make_plan(without_faq, protected(live, old.id), prune=False).changes
        if change.kind == "document"
    ]
    assert (gone.action, gone.live_id, gone.blocked) == ("delete", old.id, "not carried out: prune disabled")


def test_an_agent_adopted_by_id_and_alone_in_the_workspace_is_found_without_a_warning():
    files = desired(agents=[agent("front-desk")])
    live = applied(make_plan(files, live_state(), prune=False))
    [found] = live.agents
    adopted = desired(agents=[agent("front-desk", id=found.id)])
    plan = make_plan(adopted, live, prune=True)
    change = plan.change_for("agent.front-desk")
    assert (change.live_id, change.source) == (found.id, "agents/front-desk/agent.yaml")
    assert plan.warnings == []


def test_with_prune_a_document_gone_from_git_is_deleted():
    _, live = applied_once()
    [old] = live.documents
    without_faq = desired(
        agents=[agent("receptionist", tools=["book"]), agent("triage", tools=["book"])], tools=[tool("book")]
    )
    [gone] = [c for c in make_plan(without_faq, live, prune=True).changes if c.kind == "document"]
    assert (gone.action, gone.live_id, gone.blocked) == ("delete", old.id, None)
