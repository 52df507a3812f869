"""Which KB document and tool versions a test run of the files creates, and the plan that creates them."""

from __future__ import annotations

import pytest
from tests.testing.smallkit import small_desired, small_live

from agentform.model import Desired, DesiredTool
from agentform.testing.targets import build_targets, choose_tests, resolve_ids
from agentform.testing.versions import MissingVersions, creation_plan, missing_versions, with_created


@pytest.fixture
def desired() -> Desired:
    return small_desired()


def test_a_document_version_missing_live_is_created_for_an_override_run(desired):
    live = small_live(desired, faq_hash="000000000000")
    ids = resolve_ids(desired, live)
    missing = missing_versions(desired, live, choose_tests(desired), ids, override=True)
    assert missing == MissingVersions(documents=("faq",))
    assert missing.announcement() == "Creating 1 KB document version for the test run; main is not changed"


def test_a_branch_run_creates_no_document_or_tool_its_branch_references_its_own(desired):
    live = small_live(desired, faq_hash="000000000000", tests=False)
    ids = resolve_ids(desired, live)
    missing = missing_versions(desired, live, choose_tests(desired), ids, override=False)
    assert (missing.documents, missing.tools) == ((), ())
    assert [test.address for test in missing.tests] == ["clinic/address", "clinic/booking", "sales/greeting"]


def test_only_the_chosen_agents_that_exist_live_get_versions(desired):
    live = small_live(desired, faq_hash="000000000000")
    ids = resolve_ids(desired, live)
    assert not missing_versions(desired, live, choose_tests(desired, agent_globs=["sales"]), ids, override=True)
    gone = live.model_copy(update={"agents": [agent for agent in live.agents if agent.key != "clinic"]})
    assert not missing_versions(desired, gone, choose_tests(desired), ids, override=True)


def test_a_changed_tool_is_created_with_the_tests_whose_address_names_it(desired):
    changed = desired.tools["book"].model_copy(update={"tool_config": {"type": "webhook", "name": "book_visit"}})
    desired = desired.model_copy(update={"tools": {"book": changed}})
    live = small_live(small_desired())  # the tool and the tests as they were
    ids = resolve_ids(desired, live)
    missing = missing_versions(desired, live, choose_tests(desired, agent_globs=["clinic"]), ids, override=True)
    assert missing.tools == ("book",)
    assert [test.address for test in missing.tests] == ["clinic/booking"]  # its content address names the tool
    assert missing.announcement() == (
        "Creating 1 tool version and 1 test definition for the test run; main is not changed"
    )


def test_the_announcement_counts_every_kind():
    missing = MissingVersions(documents=("a", "b"), tools=("t",), tests=tuple(small_desired().tests.values()))
    assert missing.announcement() == (
        "Creating 2 KB document versions, 1 tool version and 3 test definitions for the test run; main is not changed"
    )


def test_the_creation_plan_holds_only_creates_of_the_wanted_versions(desired):
    changed = DesiredTool(
        key="book", tool_config={"type": "webhook", "name": "book_visit"}, source=desired.tools["book"].source
    )
    desired = desired.model_copy(update={"tools": {"book": changed}})
    live = small_live(small_desired(), faq_hash="000000000000")
    plan = creation_plan(desired, live, ["faq"], ["book"])
    assert [(change.address, change.action) for change in plan.changes] == [
        ("document.faq", "replace"),
        ("tool.book", "replace"),
    ]
    assert plan.branch is None and not plan.prune and not plan.has_conflicts
    assert all(change.kind != "agent" and change.action != "delete" for change in plan.changes)
    assert plan.changes[0].hash == desired.documents["faq"].content_hash()


def test_an_existing_version_is_not_in_the_creation_plan(desired):
    assert creation_plan(desired, small_live(desired), ["faq"], ["book"]).changes == []


def test_created_versions_resolve_and_the_override_can_then_be_built(desired):
    live = small_live(desired, faq_hash="000000000000")
    ids = with_created(desired, resolve_ids(desired, live), {"document.faq": "doc-new"})
    assert ids.missing_documents == ()
    planned = build_targets(desired, live, choose_tests(desired, agent_globs=["clinic"]), ids)
    assert planned.problems == []
    prompt = planned.targets[0].agent_config_override["conversation_config"]["agent"]["prompt"]
    assert [kb["id"] for kb in prompt["knowledge_base"]] == ["doc-new"]
