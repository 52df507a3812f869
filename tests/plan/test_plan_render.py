"""Renderers and saved plans: text for terminals, markdown for PR comments, JSON for scripts and `apply plan.json`."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.plan.builders import agent, applied, desired, document, live_state, tool
from tests.support.hypothesis_profiles import examples

from agentform.model import KnowledgeRef
from agentform.plan.model import FORMAT_VERSION, FieldChange, Plan, ResourceChange
from agentform.plan.planner import make_plan
from agentform.plan.render_json import plan_json_schema, render_json
from agentform.plan.render_markdown import GITHUB_COMMENT_LIMIT, render_markdown
from agentform.plan.render_text import render_text
from agentform.plan.saved import PlanFileError, StalePlanError, check_fresh, load_plan, parse_plan, save_plan


def sample_plan() -> Plan:
    files = desired(
        agents=[agent(knowledge=[KnowledgeRef(key="faq")], tools=["book"])],
        documents=[document("faq")],
        tools=[tool("book")],
    )
    live = applied(make_plan(files, live_state(), prune=False))
    changed = desired(
        agents=[
            agent(
                prompt="You are a receptionist.\nSpeak Romanian.", knowledge=[KnowledgeRef(key="faq")], tools=["book"]
            )
        ],
        documents=[document("faq", text="Opening hours: 8-16.\nClosed on Sundays.\n")],
        tools=[tool("book")],
    )
    return make_plan(changed, live, prune=False)


def test_text_uses_terraform_symbols_and_ends_with_the_summary_line():
    text = render_text(sample_plan())
    assert "-/+ document.faq (knowledge/faq.md)" in text
    assert "~ agent.receptionist (agents/receptionist/agent.yaml)" in text
    assert "# document.faq@" in text and "will be cleaned up" in text
    assert "        -Opening hours: 9-17.\n        +Opening hours: 8-16." in text
    summary = "Plan: 1 to add, 1 to change, 0 to destroy; 1 superseded version to clean up."
    assert text.rstrip().splitlines()[-1] == summary


def test_text_shows_new_ids_as_known_after_apply():
    text = render_text(sample_plan())
    assert "(known after apply: document.faq)" in text and "$ref:" not in text


def test_text_of_an_unchanged_workspace_says_so():
    plan = Plan(project="p", environment="e", fingerprint="f")
    assert "No changes." in render_text(plan)
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in render_text(plan)


def test_markdown_has_one_collapsed_details_block_per_resource_and_a_diff_block():
    markdown = render_markdown(sample_plan())
    assert markdown.count("<details>") == markdown.count("</details>") == 3
    assert "**Plan: 1 to add, 1 to change, 0 to destroy; 1 superseded version to clean up.**" in markdown
    assert "```diff\n" in markdown


def test_markdown_fences_survive_prompts_that_contain_backticks():
    change = ResourceChange(
        address="agent.a",
        kind="agent",
        key="a",
        action="update",
        fields=[FieldChange(path="p", line_diff="--- a\n+++ b\n@@ -1 +1 @@\n-```\n+````json")],
    )
    markdown = render_markdown(Plan(project="p", environment="e", fingerprint="f", changes=[change]))
    assert "`````diff\n" in markdown


def _huge_plan(resources: int, lines: int) -> Plan:
    changes = [
        ResourceChange(
            address=f"document.doc-{index}",
            kind="document",
            key=f"doc-{index}",
            action="replace",
            fields=[
                FieldChange(path="text", line_diff="@@ -1 +1 @@\n" + "\n".join(f"+line {n} " * 5 for n in range(lines)))
            ],
        )
        for index in range(resources)
    ]
    return Plan(project="p", environment="e", fingerprint="f", changes=changes)


def test_markdown_of_a_huge_plan_stays_under_the_github_limit_with_a_note():
    markdown = render_markdown(_huge_plan(resources=60, lines=400))
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    assert "Plan truncated to fit a GitHub comment" in markdown
    assert "**Plan: 60 to add, 0 to change, 0 to destroy.**" in markdown
    assert markdown.count("<details>") == markdown.count("</details>")


def test_a_single_resource_larger_than_the_limit_is_cut_line_by_line():
    markdown = render_markdown(_huge_plan(resources=1, lines=5000))
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    assert "more lines cut to fit the comment limit" in markdown


@settings(max_examples=examples(40), deadline=None)
@given(st.integers(0, 30), st.integers(0, 300), st.integers(200, 20_000))
def test_markdown_never_exceeds_the_limit_it_is_given(resources, lines, limit):
    assert len(render_markdown(_huge_plan(resources, lines), max_chars=limit)) <= limit


def test_json_carries_the_format_version_and_a_summary():
    document_ = json.loads(render_json(sample_plan()))
    assert document_["format_version"] == FORMAT_VERSION
    assert (
        document_["summary"]["line"] == "Plan: 1 to add, 1 to change, 0 to destroy; 1 superseded version to clean up."
    )
    assert (document_["summary"]["destroy"], document_["summary"]["cleanup"]) == (0, 1)
    assert [c["cleanup"] for c in document_["changes"] if c["action"] == "delete"] == [True]
    assert {c["action"] for c in document_["changes"]} == {"replace", "update", "delete", "no-op"}


def test_the_json_schema_describes_the_plan_document():
    schema = plan_json_schema()
    assert {"format_version", "fingerprint", "changes", "summary"} <= set(schema["properties"])


def test_a_saved_plan_loads_back_equal(tmp_path):
    plan = sample_plan()
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    assert load_plan(path) == plan


def test_loading_rejects_files_that_are_not_plans_with_the_file_and_field_named(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{\n  not json")
    with pytest.raises(PlanFileError, match=r"plan\.json:2:3: not JSON"):
        load_plan(path)
    with pytest.raises(PlanFileError, match="not an agentform plan"):
        parse_plan("[]", source="x.json")
    with pytest.raises(PlanFileError, match=r"format_version 2\.0 is not supported"):
        parse_plan(json.dumps({"format_version": "2.0"}))
    broken = json.loads(render_json(sample_plan()))
    broken["changes"][0]["action"] = "explode"
    with pytest.raises(PlanFileError, match=r"field changes\.0\.action"):
        parse_plan(json.dumps(broken))
    with pytest.raises(PlanFileError, match="cannot read"):
        load_plan(tmp_path / "missing.json")


def test_a_plan_is_stale_when_the_live_state_changed_since():
    files = desired(agents=[agent()])
    live = applied(make_plan(files, live_state(), prune=False))
    plan = make_plan(files, live, prune=False)
    check_fresh(plan, live)
    [current] = live.agents
    edited = live.model_copy(update={"agents": [current.model_copy(update={"updated_at": 12345})]})
    with pytest.raises(StalePlanError, match="changed since the plan was made"):
        check_fresh(plan, edited)
    with pytest.raises(StalePlanError, match="not clinic/staging"):
        check_fresh(plan, live.model_copy(update={"environment": "staging"}))


def _conflicted_plan() -> Plan:
    change = ResourceChange(
        address="agent.receptionist",
        kind="agent",
        key="receptionist",
        action="update",
        drift=True,
        conflict=True,
        drift_fields=[FieldChange(path="conversation_config.agent.prompt.temperature", before=0.3, after=0.9)],
        fields=[FieldChange(path="conversation_config.agent.prompt.temperature", before=0.9, after=0.5)],
    )
    return Plan(project="p", environment="e", fingerprint="f", changes=[change])


def test_drift_and_conflicts_are_called_out_in_text_and_markdown():
    text = render_text(_conflicted_plan())
    assert "! CONFLICT" in text and "! drift" in text
    assert "~ conversation_config.agent.prompt.temperature: 0.3 -> 0.9 (live)" in text
    assert "1 conflict(s): apply refuses" in text
    markdown = render_markdown(_conflicted_plan())
    assert "⛔ <code>~ agent.receptionist</code>" in markdown


def test_unchanged_resources_are_not_listed():
    quiet = ResourceChange(address="tool.book", kind="tool", key="book", action="no-op")
    plan = Plan(project="p", environment="e", fingerprint="f", changes=[quiet])
    assert "tool.book" not in render_text(plan) and "tool.book" not in render_markdown(plan)


def test_renderers_mask_known_secrets_as_a_second_line_of_defence():
    from agentform.redact import MASK, Redactor

    leaky = ResourceChange(
        address="agent.a", kind="agent", key="a", action="update", reason="token tok-123456 was rotated"
    )
    plan = Plan(project="p", environment="e", fingerprint="f", changes=[leaky])
    redactor = Redactor(["tok-123456"])
    for render in (render_text, render_markdown, render_json):
        out = render(plan, redactor=redactor)
        assert "tok-123456" not in out and f"token {MASK} was rotated" in out, render.__name__


def test_a_saved_plan_never_contains_secret_values_and_gets_them_back_on_loading(tmp_path):
    secret = "Bearer sk-live-abcdef"
    files = desired(tools=[tool("book", description=f"uses {secret} to call")], secrets=frozenset({secret}))
    plan = make_plan(files, live_state(), prune=False)
    path = tmp_path / "plan.json"
    save_plan(plan, path, secrets=files.secret_values)
    assert secret not in path.read_text() and "$secret:" in path.read_text()
    assert load_plan(path, secrets=files.secret_values) == plan
    with pytest.raises(PlanFileError, match="secret value that is not set now"):
        load_plan(path, secrets={"Bearer rotated-value"})
