"""make_plan: what a plan says for each situation a repository and a workspace can be in."""

from __future__ import annotations

import json

import pytest
from tests.plan.builders import (
    agent,
    applied,
    desired,
    document,
    live_agent,
    live_state,
    llm_test,
    record,
    recorded_agent,
    tool,
)

from agentform.model import KnowledgeRef
from agentform.plan import identity
from agentform.plan.live import DependentBranch, LiveBranch
from agentform.plan.model import parse_ref, refs_in
from agentform.plan.planner import NeededReads, make_plan, needed_reads, select
from agentform.plan.render_json import render_json
from agentform.plan.render_markdown import render_markdown
from agentform.plan.render_text import render_text
from agentform.redact import MASK, Redactor


def clinic(**agent_fields):
    agent_fields.setdefault("knowledge", [KnowledgeRef(key="faq")])
    agent_fields.setdefault("tools", ["book"])
    return desired(
        agents=[agent(**agent_fields)],
        documents=[document("faq")],
        tools=[tool("book")],
        tests=[llm_test()],
    )


def actions(plan):
    return {change.address: (change.action, change.blocked) for change in plan.changes}


def test_an_empty_workspace_gets_everything_created_in_dependency_order():
    plan = make_plan(clinic(), live_state(), prune=False)
    assert [c.address for c in plan.changes] == [
        "document.faq",
        "tool.book",
        "test.receptionist/greets",
        "agent.receptionist",
    ]
    assert all(c.action == "create" for c in plan.changes)
    assert plan.summary().line() == "Plan: 4 to add, 0 to change, 0 to destroy."
    agent_change = plan.change_for("agent.receptionist")
    assert agent_change.depends_on == ["document.faq", "test.receptionist/greets", "tool.book"]
    assert refs_in(agent_change.payload) == set(agent_change.depends_on)


def test_a_missing_managed_folder_is_a_placeholder_apply_resolves():
    plan = make_plan(clinic(), live_state(documents_folder_id=None, tests_folder_id=None), prune=False)
    assert parse_ref(plan.change_for("document.faq").payload["parent_folder_id"]) == "folder.documents"
    assert parse_ref(plan.change_for("test.receptionist/greets").payload["parent_folder_id"]) == "folder.tests"


@pytest.mark.parametrize("read_agents", [False, True], ids=["agents-not-read", "agents-read-with-server-defaults"])
def test_replanning_right_after_apply_is_a_no_op(read_agents):
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False), read_agents=read_agents)
    plan = make_plan(files, live, prune=True)
    assert not plan.has_changes, render_text(plan)
    assert {c.action for c in plan.changes} == {"no-op"}


def test_a_prompt_edit_is_an_in_place_update_with_a_line_diff():
    live = applied(make_plan(clinic(prompt="Hello.\nBe brief.\nSpeak Romanian."), live_state(), prune=False))
    plan = make_plan(clinic(prompt="Hello.\nBe kind.\nSpeak Romanian."), live, prune=False)
    change = plan.change_for("agent.receptionist")
    assert change.action == "update"
    [field] = change.fields
    assert field.path == "conversation_config.agent.prompt.prompt"
    assert "-Be brief.\n+Be kind." in field.line_diff
    assert change.payload["conversation_config"]["agent"]["prompt"]["prompt"] == "Hello.\nBe kind.\nSpeak Romanian."
    assert plan.summary().line() == "Plan: 0 to add, 1 to change, 0 to destroy."


def test_a_changed_document_is_a_new_version_and_the_old_one_is_garbage_collected():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    changed = files.model_copy(
        update={"documents": {"faq": document("faq", text="Opening hours: 8-16.\nClosed on Sundays.\n")}}
    )
    plan = make_plan(changed, live, prune=False)
    replace = plan.change_for("document.faq")
    assert replace.action == "replace" and replace.live_id == live.documents[0].id
    assert "-Opening hours: 9-17.\n+Opening hours: 8-16." in replace.fields[0].line_diff
    agent_change = plan.change_for("agent.receptionist")
    assert [f.path for f in agent_change.fields] == ["conversation_config.agent.prompt.knowledge_base"]
    old_address = f"document.faq@{live.documents[0].hash}"
    # Superseded versions are garbage whatever prune says (decision 0054): cleanup, not a destroy.
    assert actions(plan)[old_address] == ("delete", None) and plan.change_for(old_address).cleanup
    assert plan.summary().line() == "Plan: 1 to add, 1 to change, 0 to destroy; 1 superseded version to clean up."
    # Garbage is deleted after the agents stopped referencing it.
    order = [c.address for c in plan.changes]
    assert order.index("agent.receptionist") < order.index(old_address)


def test_a_branch_plan_keeps_the_superseded_version_that_main_still_uses():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    changed = files.model_copy(update={"documents": {"faq": document("faq", text="new text")}})
    plan = make_plan(changed, live, prune=True, branch="pr-7")
    blocked = actions(plan)[f"document.faq@{live.documents[0].hash}"][1]
    assert blocked and "after the branch is merged" in blocked


def test_a_document_version_still_referenced_by_a_branch_is_not_deleted():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    old = live.documents[0]
    live = live.model_copy(update={"documents": [old.model_copy(update={"dependents": ["agent-x/branch-pr-7"]})]})
    changed = files.model_copy(update={"documents": {"faq": document("faq", text="new text")}})
    plan = make_plan(changed, live, prune=True)
    assert actions(plan)[f"document.faq@{old.hash}"] == ("delete", "still referenced by agent-x/branch-pr-7")


def superseded_faq():
    """The clinic applied, then its FAQ edited in git: the applied version is a delete candidate."""
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    changed = files.model_copy(update={"documents": {"faq": document("faq", text="new text")}})
    return changed, live


def with_branches(live, *rows):
    [old] = live.documents
    return live.model_copy(update={"documents": [old.model_copy(update={"branches": list(rows)})]})


def test_a_superseded_document_version_a_pr_branch_uses_is_kept_naming_the_branch_and_agent():
    changed, live = superseded_faq()
    agent_id = live.agents[0].id
    live = with_branches(
        live,
        DependentBranch(agent_id=agent_id, branch_id="b-main", branch_name="main", is_main=True),
        DependentBranch(agent_id=agent_id, branch_id="b-7", branch_name="pr-7"),
    )
    old = live.documents[0]
    plan = make_plan(changed, live, prune=True)
    assert actions(plan)[f"document.faq@{old.hash}"] == (
        "delete",
        "still referenced by branch pr-7 of agent.receptionist",
    )
    assert plan.summary().line() == "Plan: 1 to add, 1 to change, 0 to destroy."


def test_a_superseded_version_only_our_main_branches_use_is_deleted_and_one_of_another_agent_is_kept():
    changed, live = superseded_faq()
    ours = DependentBranch(agent_id=live.agents[0].id, branch_id="b-main", branch_name="main", is_main=True)
    plan = make_plan(changed, with_branches(live, ours), prune=True)
    old_address = f"document.faq@{live.documents[0].hash}"
    assert actions(plan)[old_address] == ("delete", None)
    theirs = DependentBranch(agent_id="agent-z", agent_name="Sales", branch_id="b-z", branch_name="main", is_main=True)
    plan = make_plan(changed, with_branches(live, ours, theirs), prune=True)
    assert actions(plan)[old_address] == ("delete", 'still referenced by agent "Sales" (agent-z)')


def test_needed_reads_ask_for_the_dependents_of_the_versions_a_plan_would_delete_and_of_nothing_else():
    changed, live = superseded_faq()
    [old] = live.documents
    assert needed_reads(changed, live, prune=False).document_dependents == {old.id}
    # No plan being made (a freshness check, a test run): no dependents read.
    assert needed_reads(changed, live).document_dependents == frozenset()
    # A branch plan keeps superseded versions anyway, and a no-op plan deletes nothing.
    assert needed_reads(changed, live, prune=True, branch="pr-7").document_dependents == frozenset()
    files = clinic()
    assert needed_reads(files, applied(make_plan(files, live_state(), prune=False)), prune=True) == NeededReads()


def test_a_superseded_test_version_a_pr_branch_attaches_is_kept_and_its_agents_branches_are_what_a_plan_reads():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    changed = files.model_copy(update={"tests": {"receptionist/greets": llm_test(body={"success_condition": "new"})}})
    [agent_now], [old] = live.agents, live.tests
    assert needed_reads(changed, live, prune=False).test_agents == {agent_now.id}
    assert needed_reads(files, live, prune=False).test_agents == frozenset()
    pr = DependentBranch(agent_id=agent_now.id, branch_id="b-3", branch_name="pr-3")
    live = live.model_copy(update={"tests": [old.model_copy(update={"branches": [pr]})]})
    assert actions(make_plan(changed, live, prune=True))[f"test.receptionist/greets@{old.hash}"] == (
        "delete",
        "still referenced by branch pr-3 of agent.receptionist",
    )


def test_a_tool_change_replaces_the_tool_and_the_tests_and_agents_that_reference_it_follow():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    changed = files.model_copy(update={"tools": {"book": tool("book", description="Books a visit")}})
    plan = make_plan(changed, live, prune=False)
    tool_change = plan.change_for("tool.book")
    assert tool_change.action == "replace"
    assert [(f.path, f.before, f.after) for f in tool_change.fields] == [
        ("tool_config.description", "Book an appointment", "Books a visit")
    ]
    agent_change = plan.change_for("agent.receptionist")
    assert agent_change.payload["conversation_config"]["agent"]["prompt"]["tool_ids"] == ["$ref:tool.book"]


def test_a_resource_gone_from_git_is_shown_as_a_delete_but_deleted_only_with_prune():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    without_agent = files.model_copy(update={"agents": {}, "tests": {}})
    plan = make_plan(without_agent, live, prune=False)
    assert actions(plan)["agent.receptionist"] == ("delete", "not carried out: prune disabled")
    assert plan.summary().destroy == 0 and plan.summary().blocked >= 1
    pruned = make_plan(without_agent, live, prune=True)
    assert actions(pruned)["agent.receptionist"] == ("delete", None)
    assert pruned.summary().destroy == 2  # the agent and its test
    # Agents are deleted before the tests they had attached.
    order = [c.address for c in pruned.changes]
    assert order.index("agent.receptionist") < order.index(next(a for a in order if a.startswith("test.")))


def test_prevent_destroy_keeps_superseded_versions():
    files = desired(documents=[document("faq", prevent_destroy=True)])
    live = applied(make_plan(files, live_state(), prune=False))
    changed = desired(documents=[document("faq", text="v2", prevent_destroy=True)])
    plan = make_plan(changed, live, prune=True)
    assert actions(plan)[f"document.faq@{live.documents[0].hash}"] == ("delete", "prevent_destroy is set")


def _drifted(files, edit):
    """Live state after an apply of `files`, then an edit made in the dashboard."""
    live = applied(make_plan(files, live_state(), prune=False), read_agents=True)
    [current] = live.agents
    payload = edit(dict(current.payload))
    return live.model_copy(update={"agents": [current.model_copy(update={"payload": payload, "updated_at": 999})]})


def _set_temperature(value):
    def edit(payload):
        payload["conversation_config"]["agent"]["prompt"]["temperature"] = value
        return payload

    return edit


def test_a_dashboard_edit_shows_as_drift_and_git_wins_by_default():
    files = clinic()
    live = _drifted(files, _set_temperature(0.9))
    plan = make_plan(files, live, prune=False)
    change = plan.change_for("agent.receptionist")
    assert change.drift and not change.conflict
    assert [(f.path, f.before, f.after) for f in change.drift_fields] == [
        ("conversation_config.agent.prompt.temperature", 0.3, 0.9)
    ]
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("conversation_config.agent.prompt.temperature", 0.9, 0.3)
    ]
    assert "drift" in render_text(plan)


def test_live_wins_keeps_the_dashboard_edit():
    live = _drifted(clinic(), _set_temperature(0.9))
    plan = make_plan(clinic(), live, prune=False, on_drift="live-wins")
    change = plan.change_for("agent.receptionist")
    assert change.drift and change.action == "no-op" and not plan.has_changes


def test_a_field_changed_in_git_and_in_the_dashboard_is_a_conflict_unless_a_side_is_chosen():
    live = _drifted(clinic(), _set_temperature(0.9))
    files = clinic(
        conversation_config={"agent": {"first_message": "Hello", "prompt": {"prompt": "x", "temperature": 0.5}}}
    )
    refused = make_plan(files, live, prune=False)
    assert refused.has_conflicts and refused.change_for("agent.receptionist").conflict

    git_wins = make_plan(files, live, prune=False, on_drift="git-wins")
    change = git_wins.change_for("agent.receptionist")
    assert not git_wins.has_conflicts
    assert change.payload["conversation_config"]["agent"]["prompt"]["temperature"] == 0.5

    live_wins = make_plan(files, live, prune=False, on_drift="live-wins")
    change = live_wins.change_for("agent.receptionist")
    assert change.payload["conversation_config"]["agent"]["prompt"]["temperature"] == 0.9
    assert change.payload["conversation_config"]["agent"]["prompt"]["prompt"] == "x"


def test_drift_that_the_files_adopted_is_neither_a_conflict_nor_drift_any_more():
    live = _drifted(clinic(), _set_temperature(0.9))
    files = clinic(
        conversation_config={"agent": {"first_message": "Hello", "prompt": {"prompt": "x", "temperature": 0.9}}}
    )
    change = make_plan(files, live, prune=False).change_for("agent.receptionist")
    assert not change.conflict and not change.drift
    assert [f.path for f in change.fields] == ["conversation_config.agent.prompt.prompt"]


def test_drift_on_a_field_git_does_not_touch_is_no_conflict_even_when_the_file_changed_elsewhere():
    live = _drifted(clinic(), _set_temperature(0.9))
    files = clinic(prompt="A new prompt.")
    plan = make_plan(files, live, prune=False)
    change = plan.change_for("agent.receptionist")
    assert change.drift and not change.conflict
    assert {f.path for f in change.fields} == {
        "conversation_config.agent.prompt.prompt",
        "conversation_config.agent.prompt.temperature",
    }


def test_a_key_removed_from_the_file_is_reset_to_the_server_default():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False), read_agents=True)
    without_first_message = clinic(
        conversation_config={"agent": {"prompt": {"prompt": "You are a receptionist.", "temperature": 0.3}}}
    )
    change = make_plan(without_first_message, live, prune=False).change_for("agent.receptionist")
    [field] = change.fields
    assert (field.path, field.before, field.after_set) == ("conversation_config.agent.first_message", "Hello", False)
    assert change.payload["conversation_config"]["agent"]["first_message"] is None


def test_without_a_state_record_differences_are_plain_updates_and_a_warning_says_why():
    files = clinic()
    live = _drifted(files, _set_temperature(0.9)).model_copy(update={"record": None})
    plan = make_plan(files, live, prune=False)
    change = plan.change_for("agent.receptionist")
    assert change.action == "update" and not change.drift
    assert any("no state record" in warning for warning in plan.warnings)


def test_an_adopted_agent_gets_our_marker_tags_on_first_apply():
    files = desired(agents=[agent("legacy", id="agent-legacy")])
    live_payload = {
        "agent_id": "agent-legacy",
        "name": "Legacy",
        "tags": [],
        "conversation_config": {
            "agent": {
                "first_message": "Hello",
                "prompt": {
                    "prompt": "You are a receptionist.",
                    "temperature": 0.3,
                    "knowledge_base": [],
                    "tool_ids": [],
                },
            }
        },
        "platform_settings": {"testing": {"attached_tests": []}},
    }
    live = live_state(agents=[live_agent("legacy", live_payload, agent_id="agent-legacy", adopted=True)])
    change = make_plan(files, live, prune=True).change_for("agent.legacy")
    assert change.action == "update" and change.live_id == "agent-legacy"
    assert [(f.path, f.after) for f in change.fields] == [("tags", ["af-key:legacy", "af:clinic:prod"])]


def test_an_adopted_id_that_does_not_exist_is_never_created_and_is_warned_about():
    plan = make_plan(desired(agents=[agent("legacy", id="agent-gone")]), live_state(), prune=False)
    assert plan.change_for("agent.legacy").action == "no-op"
    assert any("agent-gone" in warning for warning in plan.warnings)


def test_select_plans_only_matching_agents_and_what_they_use():
    files = desired(
        agents=[agent("sales", tools=["dial"]), agent("receptionist", knowledge=[KnowledgeRef(key="faq")])],
        documents=[document("faq")],
        tools=[tool("dial")],
        tests=[llm_test("receptionist"), llm_test("sales")],
    )
    chosen = select(files, ["sales*"])
    assert (chosen.agents, chosen.tools, chosen.documents, chosen.tests) == (
        ("sales",),
        ("dial",),
        (),
        ("sales/greets",),
    )
    plan = make_plan(
        files, live_state(agents=[live_agent("old-receptionist", {})]), prune=True, select_globs=["sales*"]
    )
    assert set(actions(plan)) == {"tool.dial", "test.sales/greets", "agent.sales"}


def test_planning_against_an_agent_branch_compares_with_the_branch_tip():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False), read_agents=True)
    [current] = live.agents
    tip = dict(current.payload, name="Receptionist (PR 7)")
    branch = LiveBranch(id="b-7", name="pr-7", version_id="v7", payload=tip)
    live = live.model_copy(update={"agents": [current.model_copy(update={"branch": branch})]})
    change = make_plan(files, live, prune=False, branch="pr-7").change_for("agent.receptionist")
    assert change.action == "update" and "pr-7" in change.reason
    assert [(f.path, f.before, f.after) for f in change.fields] == [("name", "Receptionist (PR 7)", "Receptionist")]


def test_secret_values_never_appear_in_a_plan_or_its_renderings():
    secret = "sk-live-0123456789"
    files = desired(agents=[agent(prompt=f"Use the key {secret} when asked.")], secrets=frozenset({secret}))
    plan = make_plan(files, live_state(), prune=False)
    redactor = Redactor(files.secret_values)
    assert secret not in json.dumps([c.model_dump()["fields"] for c in plan.changes])
    assert secret not in render_text(plan)
    for render in (render_markdown, render_json):
        out = render(plan, redactor=redactor)
        assert secret not in out and f"Use the key {MASK} when asked." in out, render.__name__
    # The payload itself keeps the value: apply must send it (saved plans are as sensitive as the repository).
    assert secret in json.dumps(plan.change_for("agent.receptionist").payload)


def test_needed_reads_ask_for_the_old_text_and_the_old_test_body_that_a_diff_shows():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    live = live.model_copy(
        update={
            "documents": [d.model_copy(update={"text": None}) for d in live.documents],
            "tests": [t.model_copy(update={"body": None}) for t in live.tests],
        }
    )
    assert needed_reads(files, live).document_texts == frozenset()
    changed = files.model_copy(
        update={
            "documents": {"faq": document("faq", text="new")},
            "tests": {"receptionist/greets": llm_test(body={"success_condition": "polite", "chat_history": []})},
        }
    )
    reads = needed_reads(changed, live)
    assert reads.document_texts == {live.documents[0].id}
    assert reads.test_bodies == {live.tests[0].id}


def test_a_document_edited_in_the_dashboard_is_drift_restored_from_git():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    [doc] = live.documents
    live = live.model_copy(update={"documents": [doc.model_copy(update={"updated_at": 50, "text": "edited"})]})
    change = make_plan(files, live, prune=False).change_for("document.faq")
    assert change.action == "update" and change.drift
    # The update body apply sends as it is (`update_document(name=..., content=payload["text"])`).
    assert change.payload == {
        "name": identity.desired_document_name(files.documents["faq"]),
        "text": files.documents["faq"].text,
    }
    kept = make_plan(files, live, prune=False, on_drift="live-wins").change_for("document.faq")
    assert kept.action == "no-op" and kept.drift


def test_needed_reads_ask_for_the_text_of_a_document_edited_in_the_dashboard_so_the_repair_shows_its_diff():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    [doc] = live.documents
    assert live.record.documents[doc.id] is not None, "the drift check needs the recorded timestamp"
    edited = live.model_copy(update={"documents": [doc.model_copy(update={"updated_at": 50, "text": None})]})
    assert needed_reads(files, edited).document_texts == {doc.id}
    read = edited.model_copy(update={"documents": [doc.model_copy(update={"updated_at": 50, "text": "edited\n"})]})
    assert needed_reads(files, read) == NeededReads()
    [repair] = make_plan(files, read, prune=False).change_for("document.faq").fields
    assert "-edited" in repair.line_diff


def test_a_url_document_refreshed_by_auto_sync_is_not_drift():
    from agentform.model import DesiredDocument, SourceLocation

    url_doc = DesiredDocument(
        key="site", kind="url", name="Site", url="https://clinic.test", source=SourceLocation(path="knowledge/site.url")
    )
    files = desired(documents=[url_doc])
    live = applied(make_plan(files, live_state(), prune=False))
    [doc] = live.documents
    live = live.model_copy(update={"documents": [doc.model_copy(update={"updated_at": 777})]})
    change = make_plan(files, live, prune=False).change_for("document.site")
    assert change.action == "no-op" and not change.drift


def test_a_tool_edited_in_the_dashboard_is_drift():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False))
    [book] = live.tools
    edited = {**book.tool_config, "description": "edited in the dashboard"}
    live = live.model_copy(update={"tools": [book.model_copy(update={"tool_config": edited})]})
    change = make_plan(files, live, prune=False).change_for("tool.book")
    assert change.action == "update" and change.drift and change.live_id == book.id


def test_the_record_is_only_trusted_for_the_agent_it_was_written_for():
    files = clinic()
    live = applied(make_plan(files, live_state(), prune=False), read_agents=True)
    wrong = record({"receptionist": recorded_agent("another-agent", {"name": "Other"})})
    plan = make_plan(files, live.model_copy(update={"record": wrong}), prune=False)
    assert not plan.change_for("agent.receptionist").drift
