"""The plan data: placeholders, counts and the live-state fingerprint."""

from __future__ import annotations

import pytest
from tests.plan.builders import live_state

from agentform.plan.live import LiveAgent, LiveDocument
from agentform.plan.model import Plan, ResourceChange, parse_ref, ref, refs_in, resolve_refs


def test_placeholders_name_the_address_whose_id_they_stand_for():
    assert ref("document.faq") == "$ref:document.faq"
    assert parse_ref("$ref:test.receptionist/greets") == "test.receptionist/greets"
    assert parse_ref("$ref:nonsense") is None and parse_ref("doc-1") is None and parse_ref(3) is None


def test_placeholders_are_found_and_resolved_anywhere_including_dict_keys():
    payload = {"tool_ids": ["$ref:tool.a", "t-9"], "overrides": {"$ref:tool.a": [1]}, "x": {"id": "$ref:document.f"}}
    assert refs_in(payload) == {"tool.a", "document.f"}
    resolved = resolve_refs(payload, {"tool.a": "t-1", "document.f": "d-1"})
    assert resolved == {"tool_ids": ["t-1", "t-9"], "overrides": {"t-1": [1]}, "x": {"id": "d-1"}}
    with pytest.raises(KeyError, match=r"document\.f was not created"):
        resolve_refs(payload, {"tool.a": "t-1"})


def _change(action, blocked=None, **extra):
    return ResourceChange(address=f"agent.{action}", kind="agent", key=action, action=action, blocked=blocked, **extra)


def test_summary_counts_like_terraform_and_blocked_deletes_apart():
    plan = Plan(
        project="p",
        environment="e",
        fingerprint="f",
        changes=[
            _change("create"),
            _change("update", drift=True),
            _change("replace"),
            _change("delete"),
            _change("delete", blocked="not carried out: prune disabled"),
            _change("no-op"),
        ],
    )
    summary = plan.summary()
    assert summary.line() == "Plan: 2 to add, 1 to change, 1 to destroy."
    assert (summary.blocked, summary.drifted) == (1, 1)
    assert plan.has_changes


def test_a_plan_of_blocked_deletes_only_has_no_changes():
    plan = Plan(project="p", environment="e", fingerprint="f", changes=[_change("delete", blocked="prune disabled")])
    assert not plan.has_changes


def test_fingerprint_is_stable_under_list_order_and_ignores_bodies_read():
    one = LiveDocument(id="d1", key="faq", hash="0123456789ab", name="n", kind="text", updated_at=1)
    two = LiveDocument(id="d2", key="faq", hash="ba9876543210", name="n", kind="text", updated_at=1)
    a = live_state(documents=[one, two])
    b = live_state(documents=[two, one.model_copy(update={"text": "read this time"})])
    assert a.fingerprint() == b.fingerprint()


def test_fingerprint_changes_with_any_fact_a_plan_depends_on():
    agent = LiveAgent(id="a1", key="r", name="R", updated_at=1)
    base = live_state(agents=[agent])
    assert base.fingerprint() != live_state(agents=[agent.model_copy(update={"updated_at": 2})]).fingerprint()
    assert base.fingerprint() != live_state(agents=[]).fingerprint()
    assert base.fingerprint() != base.model_copy(update={"record_updated_at": 5}).fingerprint()
