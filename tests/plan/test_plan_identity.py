"""Identity and ownership: markers on live resources tie them to a file key and a (project, environment)."""

from __future__ import annotations

from tests.plan.builders import document

from agentform.plan import identity
from agentform.state.model import STATE_DOCUMENT_NAME, ResourceEntry, StateRecord


def test_agent_markers_are_an_owner_tag_and_a_key_tag():
    assert identity.marker_tags("clinic", "prod", "receptionist") == ["af:clinic:prod", "af-key:receptionist"]


def test_an_agent_is_owned_only_with_the_scope_tag_and_exactly_one_key_tag():
    assert identity.is_owned_agent(["vip", "af:clinic:prod", "af-key:receptionist"], "clinic", "prod")
    assert not identity.is_owned_agent(["af:clinic:staging", "af-key:receptionist"], "clinic", "prod")
    assert not identity.is_owned_agent(["af:clinic:prod"], "clinic", "prod")
    assert not identity.is_owned_agent(["af:clinic:prod", "af-key:a", "af-key:b"], "clinic", "prod")


def test_document_names_carry_key_and_content_hash_and_parse_back():
    faq = document("faq", name="Clinic FAQ [draft]")
    name = identity.desired_document_name(faq)
    assert name == f"Clinic FAQ [draft] [faq@{faq.content_hash()}]"
    assert identity.parse_document_name(name) == ("Clinic FAQ [draft]", "faq", faq.content_hash())


def test_document_names_that_do_not_parse_exactly_are_not_ours():
    for name in [
        "Clinic FAQ",
        "FAQ [faq@123]",
        "FAQ [faq@E48C37C3050E]",
        "FAQ [faq@e48c37c3050e] copy",
        "[a b@e48c37c3050e]",
    ]:
        assert identity.parse_document_name(name) is None, name


def test_test_names_carry_agent_test_and_hash():
    name = identity.test_name("greets", "receptionist", "greets", "0123456789ab")
    marker = identity.parse_test_name(name)
    assert marker is not None and marker.address == "receptionist/greets" and marker.hash == "0123456789ab"
    assert identity.parse_test_name("greets [receptionist@0123456789ab]") is None


def test_folder_name_is_scoped_by_project_and_environment():
    assert identity.folder_name("clinic", "prod") == "agentform.clinic.prod"


def test_list_items_become_live_agents_only_when_ours():
    item = {"agent_id": "a1", "name": "R", "tags": ["af:clinic:prod", "af-key:receptionist"], "updated_at_unix_secs": 7}
    agent = identity.live_agent_from_item(item, "clinic", "prod")
    assert agent is not None and (agent.key, agent.updated_at, agent.adopted) == ("receptionist", 7, False)
    assert identity.live_agent_from_item({**item, "tags": ["vip"]}, "clinic", "prod") is None


def test_an_agent_named_by_id_in_a_file_is_adopted_without_our_tags():
    item = {"agent_id": "a1", "name": "Legacy", "tags": [], "metadata": {"updated_at_unix_secs": 9}}
    agent = identity.live_agent_from_item(item, "clinic", "prod", adopted_key="legacy")
    assert agent is not None and agent.adopted and agent.key == "legacy" and agent.updated_at == 9


def test_documents_outside_the_managed_folder_or_with_foreign_names_are_ignored():
    faq = document("faq")
    item = {
        "id": "d1",
        "name": identity.desired_document_name(faq),
        "type": "text",
        "folder_parent_id": "kb",
        "metadata": {"last_updated_at_unix_secs": 5},
        "dependent_agents": [{"type": "available", "id": "a1", "name": "R"}],
    }
    live = identity.live_document_from_item(item, "kb")
    assert live is not None and (live.key, live.hash, live.updated_at, live.dependents) == (
        "faq",
        faq.content_hash(),
        5,
        ["a1"],
    )
    assert identity.live_document_from_item({**item, "folder_parent_id": "other"}, "kb") is None
    assert identity.live_document_from_item({**item, "name": "Clinic FAQ"}, "kb") is None
    assert identity.live_document_from_item(item, None) is None
    assert identity.live_document_from_item({**item, "name": STATE_DOCUMENT_NAME}, "kb") is None


def test_tests_in_the_managed_folder_are_found_by_name():
    name = identity.test_name("greets", "receptionist", "greets", "0123456789ab")
    item = {"id": "t1", "name": name, "type": "llm", "folder_parent_id": "tf", "last_updated_at_unix_secs": 3}
    live = identity.live_test_from_item(item, "tf")
    assert live is not None and live.address == "receptionist/greets" and live.updated_at == 3
    assert identity.live_test_from_item({**item, "type": "folder"}, "tf") is None


def test_tools_are_ours_only_when_the_state_record_lists_them_or_a_file_adopts_them():
    record = StateRecord(
        project="clinic", environment="prod", tools={"t1": ResourceEntry(id="t1", key="book", hash="0123456789ab")}
    )
    items = [
        {"id": "t1", "tool_config": {"name": "book"}},
        {"id": "t2", "tool_config": {"name": "someone-elses"}},
        {"id": "t3", "tool_config": {"name": "legacy"}},
    ]
    tools = identity.live_tools_from_items(items, record, adopted={"t3": "legacy"})
    assert [(t.id, t.key, t.hash, t.adopted) for t in tools] == [
        ("t1", "book", "0123456789ab", False),
        ("t3", "legacy", None, True),
    ]
    assert identity.live_tools_from_items(items, None) == []
