"""Pure parts of apply and read: stage order, which agents need a detail read, tool recovery, the journal file."""

from __future__ import annotations

from tests.apply.helpers import desired, tool

from agentform.apply import Journal, read_journal, stages
from agentform.apply.executor import dependencies
from agentform.apply.journal import JournalEntry, summarise
from agentform.plan.live import LiveAgent
from agentform.plan.model import Plan, ResourceChange, refs_in
from agentform.plan.read import agents_needing_detail, contains, recover_pending_tools
from agentform.state.model import AgentEntry, PendingIntent, StateRecord


def change(address: str, action: str = "create", **extra) -> ResourceChange:
    kind, _, key = address.partition(".")
    return ResourceChange(address=address, kind=kind, key=key, action=action, **extra)


def test_stages_run_documents_and_tools_then_tests_then_agents_then_deletes_in_reverse():
    plan = Plan(
        project="p",
        environment="e",
        fingerprint="f",
        changes=[
            change("agent.a"),
            change("test.a/t"),
            change("document.d"),
            change("tool.t"),
            change("agent.gone", "delete", live_id="1"),
            change("document.old@abc", "delete", live_id="2"),
            change("test.a/old@abc", "delete", live_id="3"),
            change("agent.same", "no-op", live_id="4"),
            change("tool.kept@abc", "delete", live_id="5", blocked="prevent_destroy is set"),
        ],
    )
    order = [[c.address for c in stage] for stage in stages(plan, prune=True)]
    assert order == [
        ["document.d", "tool.t"],
        ["test.a/t"],
        ["agent.a"],
        ["agent.gone"],
        ["test.a/old@abc"],
        ["document.old@abc"],
    ]
    assert [[c.address for c in stage] for stage in stages(plan, prune=False)][-1] == ["agent.a"]


def test_each_write_waits_only_for_the_earlier_kinds_it_references():
    writes = [
        change("secret.book.Authorization"),
        change("tool.book", payload={"tool_config": {"headers": "$ref:secret.book.Authorization"}}),
        change("document.faq", payload={"parent_folder_id": "$ref:folder.documents"}),
        change("test.desk/greets", payload={"tool_id": "$ref:tool.book"}),
        change("agent.desk", payload={"tools": ["$ref:tool.book"], "tests": ["$ref:test.desk/greets"]}),
        change("agent.lobby", payload={"prompt": "Nothing new referenced."}),
        # A reference to a later kind (or to itself) never makes a wait: the graph cannot have a cycle.
        change("document.odd", payload={"x": "$ref:agent.desk", "y": "$ref:document.odd"}),
        change("agent.hall", depends_on=["document.faq"]),
    ]
    after = dependencies(writes, lambda c: refs_in(c.payload) | set(c.depends_on))
    assert after == {
        "secret.book.Authorization": set(),
        "tool.book": {"secret.book.Authorization"},
        "document.faq": set(),
        "test.desk/greets": {"tool.book"},
        "agent.desk": {"tool.book", "test.desk/greets"},
        "agent.lobby": set(),
        "document.odd": set(),
        "agent.hall": {"document.faq"},
    }


def _agent(key: str, updated_at: int, agent_id: str = "a1") -> LiveAgent:
    return LiveAgent(id=agent_id, key=key, name=key, updated_at=updated_at)


def test_only_agents_whose_list_timestamp_moved_or_that_the_record_cannot_vouch_for_are_read():
    record = StateRecord.empty("p", "e")
    record.agents["same"] = AgentEntry(id="a1", payload_hash="h", updated_at=10, verified=True)
    record.agents["moved"] = AgentEntry(id="a1", payload_hash="h", updated_at=10, verified=True)
    record.agents["unverified"] = AgentEntry(id="a1", payload_hash="h", updated_at=10, verified=False)
    record.agents["replaced"] = AgentEntry(id="old", payload_hash="h", updated_at=10, verified=True)
    agents = [
        _agent("same", 10),
        _agent("moved", 11),
        _agent("unverified", 10),
        _agent("replaced", 10),
        _agent("unknown", 10),
    ]
    needed = [a.key for a in agents_needing_detail(agents, record, refresh_all=False)]
    assert needed == ["moved", "unverified", "replaced", "unknown"]
    assert len(agents_needing_detail(agents, record, refresh_all=True)) == 5


def test_a_pending_tool_create_is_recovered_from_the_one_unrecorded_tool_holding_its_config():
    book = tool("book")
    want = desired(tools=[book])
    record = StateRecord.empty("p", "e")
    record.pending.append(PendingIntent(kind="tool", key="book", hash=book.content_hash(), started_at=1.0))
    live_config = {**book.tool_config, "response_timeout_secs": 20}  # the server adds defaults
    items = [
        {"id": "t_other", "tool_config": {**book.tool_config, "description": "someone else's"}},
        {"id": "t_ours", "tool_config": live_config},
        {"id": "t_twin", "tool_config": live_config},
    ]
    assert recover_pending_tools(want, record, items) == {"t_ours": "book"}
    stale = StateRecord.empty("p", "e")
    stale.pending.append(PendingIntent(kind="tool", key="book", hash="an-old-hash", started_at=1.0))
    assert recover_pending_tools(want, stale, items) == {}


def test_containment_ignores_server_added_keys_and_compares_numbers_by_value():
    assert contains({"a": 1.0, "b": [1, {"c": 2, "d": 3}], "extra": True}, {"a": 1, "b": [1, {"c": 2}]})
    assert not contains({"a": [1, 2]}, {"a": [1]})
    assert not contains({"a": 1}, {"a": 1, "b": 2})


def test_the_journal_file_has_one_json_line_per_step_and_reads_back(tmp_path):
    path = tmp_path / "journal" / "prod.jsonl"
    journal = Journal(path)
    journal.add(JournalEntry(1, "tool.book", "create", "create_tool", "ok", live_id="t1", request={"name": "book"}))
    journal.add(JournalEntry(2, "agent.r", "update", "update_agent", "failed", live_id="a1", error="HTTP 400"))
    journal.close()
    assert len(path.read_text().splitlines()) == 2
    entries = read_journal(path)
    assert entries == journal.entries
    lines = summarise(entries)
    assert lines[0].startswith("ok") and "tool.book (t1)" in lines[0]
    assert lines[1].startswith("failed") and lines[1].endswith("HTTP 400")
