"""make_plan and needed_reads in the situations a multi-agent repository and an edited workspace get into:
a file changed while its live version was edited too, selections, tests and versions gone from git."""

from __future__ import annotations

from tests.plan.builders import agent, applied, desired, document, live_state, llm_test, tool

from agentform.model import KnowledgeRef
from agentform.plan.live import DependentBranch
from agentform.plan.planner import make_plan, needed_reads, select
from agentform.plan.shard import Shard


def clinic(faq: str = "Opening hours: 9-17.\n"):
    return desired(
        agents=[agent(knowledge=[KnowledgeRef(key="faq")], tools=["book"])],
        documents=[document("faq", faq)],
        tools=[tool("book")],
        tests=[llm_test()],
    )


def edited_in_the_dashboard(live):
    """`live` after someone changed the text of its one document in the dashboard (read by the plan)."""
    [doc] = live.documents
    return live.model_copy(update={"documents": [doc.model_copy(update={"updated_at": 50, "text": "Edited live.\n"})]})


def changed_in_git_and_live(on_drift):
    live = edited_in_the_dashboard(applied(make_plan(clinic(), live_state(), prune=False)))
    files = clinic("Opening hours: 8-18.\n")
    return files, live, make_plan(files, live, prune=False, on_drift=on_drift).change_for("document.faq")


def test_a_document_changed_in_git_and_edited_live_is_a_conflicting_replace_by_default():
    files, live, change = changed_in_git_and_live("refuse")
    assert (change.action, change.drift, change.conflict) == ("replace", True, True)
    assert change.live_id == live.documents[0].id
    assert change.reason == "changed both in git and outside git: rerun with --on-drift git-wins or live-wins"
    assert change.payload["text"] == "Opening hours: 8-18.\n"
    assert change.hash == files.documents["faq"].content_hash()
    assert change.depends_on == []
    [text] = change.fields
    assert "-Edited live." in text.line_diff and "+Opening hours: 8-18." in text.line_diff


def test_git_wins_over_a_live_edit_of_a_document_the_file_changed_without_a_conflict():
    _, _, change = changed_in_git_and_live("git-wins")
    assert (change.action, change.drift, change.conflict) == ("replace", True, False)
    assert change.reason == (
        "edited outside git since the last apply; git wins: content changed: a new version is created and "
        "referenced; the old one is garbage-collected"
    )
    assert change.payload["text"] == "Opening hours: 8-18.\n"


def test_live_cannot_win_over_a_changed_file_and_the_plan_says_how_to_keep_the_edit():
    _, _, change = changed_in_git_and_live("live-wins")
    assert (change.action, change.drift, change.conflict) == ("replace", True, True)
    assert change.reason == (
        "changed in git and edited outside git; live cannot win over a changed file: copy the live edit "
        "into the file, or rerun with --on-drift git-wins"
    )


def test_a_file_that_copied_the_live_edit_keeps_the_edited_version_as_it_is():
    """Decision 0124: the version edited live whose content the file now holds is the desired one; nothing is sent."""
    live = edited_in_the_dashboard(applied(make_plan(clinic(), live_state(), prune=False)))
    files = clinic("Edited live.\n")
    plan = make_plan(files, live, prune=False)
    change = plan.change_for("document.faq")
    assert (change.action, change.live_id, change.drift, change.conflict, change.payload) == (
        "no-op",
        live.documents[0].id,
        False,
        False,
        None,
    )
    assert not plan.has_changes
    assert not [c for c in plan.changes if c.action == "delete"], "the version kept its id: nothing to collect"


def test_a_live_edit_is_kept_with_live_wins_when_the_file_did_not_change():
    live = edited_in_the_dashboard(applied(make_plan(clinic(), live_state(), prune=False)))
    change = make_plan(clinic(), live, prune=False, on_drift="live-wins").change_for("document.faq")
    assert (change.action, change.drift, change.payload) == ("no-op", True, None)
    assert change.reason == "edited outside git; keeping the live content (live wins)"
    assert change.drift_fields, "the plan shows what was edited live"


def test_a_replace_without_drift_depends_on_nothing_and_carries_the_new_payload():
    live = applied(make_plan(clinic(), live_state(), prune=False))
    files = clinic("Opening hours: 8-18.\n")
    plan = make_plan(files, live, prune=False)
    change = plan.change_for("document.faq")
    assert (change.action, change.drift, change.conflict) == ("replace", False, False)
    assert change.reason == (
        "content changed: a new version is created and referenced; the old one is garbage-collected"
    )
    [old] = [c for c in plan.changes if c.action == "delete"]
    assert (old.address, old.blocked, old.cleanup) == (f"document.faq@{live.documents[0].hash}", None, True)
    assert old.reason == "superseded version (garbage-collected once unreferenced)"


def multi_agent():
    return desired(
        agents=[
            agent("receptionist", knowledge=[KnowledgeRef(key="faq")], tools=["book"]),
            agent("triage", knowledge=[KnowledgeRef(key="prices")], tools=["lookup"]),
        ],
        documents=[document("faq"), document("prices", "Visit: 50 EUR.\n")],
        tools=[tool("book"), tool("lookup", "Look a patient up")],
        tests=[llm_test("receptionist", "greets"), llm_test("triage", "asks", tool_key="book")],
    )


def test_a_selection_takes_the_chosen_agents_with_their_documents_tools_and_their_tests_tools():
    files = multi_agent()
    chosen = select(files, ["tri*"])
    assert chosen.agents == ("triage",)
    assert chosen.documents == ("prices",)
    assert chosen.tools == ("book", "lookup"), "a test of triage runs the book tool"
    assert chosen.tests == ("triage/asks",)
    assert chosen.narrowed
    everything = select(files)
    assert not everything.narrowed
    assert everything.tests == ("receptionist/greets", "triage/asks")
    assert everything.documents == ("faq", "prices")


def test_a_shard_takes_its_agents_only():
    files = multi_agent()
    halves = [select(files, shard=Shard(index, 2)) for index in (1, 2)]
    assert sorted(a for half in halves for a in half.agents) == ["receptionist", "triage"]
    assert all(half.narrowed for half in halves)
    assert all(len(half.agents) + len(other.agents) == 2 for half, other in zip(halves, halves[::-1], strict=True))


def test_a_narrowed_plan_deletes_only_the_chosen_agents_tests_and_never_shared_documents():
    files = multi_agent()
    live = applied(make_plan(files, live_state(), prune=True))
    gone = desired(
        agents=[files.agents["receptionist"]],
        documents=[files.documents["faq"]],
        tools=[files.tools["book"]],
        tests=[files.tests["receptionist/greets"]],
    )
    narrowed = make_plan(gone, live, prune=True, select_globs=["tri*"])
    assert {c.address for c in narrowed.changes if c.action == "delete"} == {
        "agent.triage",
        f"test.triage/asks@{live.tests_of('triage/asks')[0].hash}",
    }
    whole = make_plan(gone, live, prune=True)
    deleted = {c.address.split("@")[0] for c in whole.changes if c.action == "delete"}
    assert deleted == {"agent.triage", "test.triage/asks", "document.prices", "tool.lookup"}


def test_a_test_gone_from_git_is_deleted_only_with_prune():
    files = multi_agent()
    live = applied(make_plan(files, live_state(), prune=True))
    fewer = files.model_copy(update={"tests": {"receptionist/greets": files.tests["receptionist/greets"]}})
    [kept] = [c for c in make_plan(fewer, live, prune=False).changes if c.action == "delete"]
    assert (kept.kind, kept.blocked, kept.cleanup, kept.reason) == (
        "test",
        "not carried out: prune disabled",
        False,
        "gone from git",
    )
    [pruned] = [c for c in make_plan(fewer, live, prune=True).changes if c.action == "delete"]
    assert (pruned.blocked, pruned.delete_ids) == (None, [live.tests_of("triage/asks")[0].id])


def test_a_changed_test_replaces_its_version_and_the_old_one_is_garbage_even_without_prune():
    files = multi_agent()
    live = applied(make_plan(files, live_state(), prune=False))
    body = {"chat_history": [{"role": "user", "message": "hi", "time_in_call_secs": 0}], "success_condition": "kind"}
    changed = files.model_copy(
        update={"tests": {**files.tests, "receptionist/greets": llm_test("receptionist", "greets", body=body)}}
    )
    plan = make_plan(changed, live, prune=False)
    assert plan.change_for("test.receptionist/greets").action == "replace"
    [old] = [c for c in plan.changes if c.action == "delete"]
    old_version = live.tests_of("receptionist/greets")[0]
    assert (old.address, old.blocked, old.cleanup) == (f"test.receptionist/greets@{old_version.hash}", None, True)
    reads = needed_reads(changed, live, prune=False)
    assert reads.test_agents == {live.agent_by_key("receptionist").id}, "its agent's branches may attach the old one"
    assert needed_reads(changed, live).test_agents == frozenset(), "no plan being made: no dependents read"


def test_a_branch_plan_keeps_superseded_versions_that_main_still_uses():
    files = multi_agent()
    live = applied(make_plan(files, live_state(), prune=False))
    changed = files.model_copy(update={"tools": {**files.tools, "lookup": tool("lookup", "Find a patient")}})
    [kept] = [c for c in make_plan(changed, live, prune=True, branch="pr-4").changes if c.action == "delete"]
    assert (kept.kind, kept.blocked) == ("tool", "kept while main uses it: collected after the branch is merged")
    [collected] = [c for c in make_plan(changed, live, prune=True).changes if c.action == "delete"]
    assert (collected.kind, collected.blocked) == ("tool", None)


def superseded_faq():
    """The files after `clinic()`'s document changed in git, and the live state `clinic()` was applied to."""
    return clinic("Opening hours: 8-18.\n"), applied(make_plan(clinic(), live_state(), prune=False))


def test_a_superseded_version_others_use_is_kept_naming_each_user_the_way_the_dashboard_shows_it():
    files, live = superseded_faq()
    ours = live.agent_by_key("receptionist").id
    rows = [
        DependentBranch(agent_id="agent-x9", agent_name="Front desk", branch_id="b-9", is_main=True),
        DependentBranch(agent_id=ours, branch_id="b-2", branch_name="pr-2"),
        DependentBranch(agent_id=ours, branch_id="b-1", is_main=True),
    ]
    [doc] = live.documents
    used = doc.model_copy(update={"dependents": [ours, "agent-x7", "agent-x9"], "branches": rows})
    live = live.model_copy(update={"documents": [used]})
    [kept] = [c for c in make_plan(files, live, prune=False).changes if c.action == "delete"]
    assert kept.blocked == (
        'still referenced by agent "Front desk" (agent-x9), agent agent-x7, branch pr-2 of agent.receptionist'
    )
    assert kept.hash == live.documents[0].hash


def test_no_op_and_live_wins_changes_name_the_version_they_leave_alone():
    live = applied(make_plan(clinic(), live_state(), prune=False))
    document_id = live.documents[0].id
    assert make_plan(clinic(), live, prune=False).change_for("document.faq").live_id == document_id
    edited = edited_in_the_dashboard(live)
    kept = make_plan(clinic(), edited, prune=False, on_drift="live-wins").change_for("document.faq")
    assert kept.live_id == document_id
    repaired = make_plan(clinic(), edited, prune=False).change_for("document.faq")
    assert repaired.reason == "edited outside git since the last apply; restoring the content from git"
    assert repaired.drift_fields == repaired.fields and repaired.fields


def test_needed_reads_ask_for_every_changed_text_and_body_and_for_an_unrecorded_version_whose_time_moved():
    files = multi_agent()
    live = applied(make_plan(files, live_state(), prune=False))
    body = {"chat_history": [{"role": "user", "message": "hi", "time_in_call_secs": 0}], "success_condition": "kind"}
    changed = files.model_copy(
        update={
            "documents": {key: document(key, "Changed.\n") for key in files.documents},
            "tests": {address: llm_test(*address.split("/"), body=body) for address in files.tests},
        }
    )
    live = live.model_copy(
        update={
            "documents": [d.model_copy(update={"text": None}) for d in live.documents],
            "tests": [t.model_copy(update={"body": None}) for t in live.tests],
        }
    )
    reads = needed_reads(changed, live)
    assert reads.document_texts == {d.id for d in live.documents}
    assert reads.test_bodies == {t.id for t in live.tests}
    [faq] = live.documents_of("faq")
    unrecorded = live.model_copy(
        update={
            "record": live.record.model_copy(update={"documents": {}}),
            "documents": [
                d.model_copy(update={"created_at": 1, "updated_at": 6}) if d.id == faq.id else d for d in live.documents
            ],
        }
    )
    assert faq.id in needed_reads(files, unrecorded).document_texts


def test_needed_reads_ask_for_the_dependents_of_what_the_plan_would_delete_under_its_prune_and_branch():
    files = multi_agent()
    live = applied(make_plan(files, live_state(), prune=True))
    gone = files.model_copy(update={"documents": {"faq": files.documents["faq"]}})
    [prices] = live.documents_of("prices")
    assert needed_reads(gone, live, prune=True).document_dependents == {prices.id}
    assert needed_reads(gone, live, prune=False).document_dependents == frozenset()
    changed = files.model_copy(update={"documents": {**files.documents, "prices": document("prices", "80 EUR.\n")}})
    assert needed_reads(changed, live, prune=False).document_dependents == {prices.id}
    assert needed_reads(changed, live, prune=False, branch="pr-1").document_dependents == frozenset()


def test_a_replaced_version_whose_text_was_not_read_shows_the_content_addresses_it_moves_between():
    live = applied(make_plan(clinic(), live_state(), prune=False))
    [old] = live.documents
    unread = live.model_copy(update={"documents": [old.model_copy(update={"text": None})]})
    files = clinic("Opening hours: 8-18.\n")
    change = make_plan(files, unread, prune=False).change_for("document.faq")
    assert (change.action, change.live_id, change.payload["text"]) == ("replace", old.id, "Opening hours: 8-18.\n")
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("content_hash", old.hash, files.documents["faq"].content_hash())
    ]


def test_a_test_that_calls_a_tool_is_created_and_replaced_after_that_tool():
    files = multi_agent()
    first = make_plan(files, live_state(), prune=False)
    created = first.change_for("test.triage/asks")
    assert (created.action, created.depends_on) == ("create", ["tool.book"])
    assert [f.path for f in created.fields] == [
        "chat_history",
        "success_condition",
        "tool_call_parameters.referenced_tool.id",
        "type",
    ]
    renamed_tool = desired(
        agents=list(files.agents.values()),
        documents=list(files.documents.values()),
        tools=[tool("book", "Book a visit"), files.tools["lookup"]],
        tests=list(files.tests.values()),
    )
    replaced = make_plan(renamed_tool, applied(first), prune=False).change_for("test.triage/asks")
    assert (replaced.action, replaced.depends_on) == ("replace", ["tool.book"])


def test_a_plan_says_what_it_was_made_for_so_apply_can_hold_it_to_that():
    files = multi_agent()
    live = live_state()
    plan = make_plan(
        files,
        live,
        prune=True,
        select_globs=["tri*"],
        branch="pr-9",
        on_drift="git-wins",
        source_revision="f00dcafe",
    )
    assert (plan.branch, plan.source_revision, plan.on_drift, plan.prune, plan.select) == (
        "pr-9",
        "f00dcafe",
        "git-wins",
        True,
        ["tri*"],
    )
    assert plan.fingerprint == live.fingerprint()
    default = make_plan(files, live, prune=False)
    assert (default.branch, default.source_revision, default.on_drift, default.select) == (
        None,
        files.settings.source_revision,
        "refuse",
        [],
    )


def test_a_sharded_plan_writes_only_the_agents_of_its_shard():
    files = multi_agent()
    for index in (1, 2):
        shard = Shard(index, 2)
        planned = {c.key for c in make_plan(files, live_state(), prune=False, shard=shard).changes if c.kind == "agent"}
        assert planned == set(select(files, shard=shard).agents)
        assert len(planned) == 1
