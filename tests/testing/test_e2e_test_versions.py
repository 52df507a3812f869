"""`agentform test` on an edited KB document or tool, end to end on a real emulator server (docs/decisions/0160).

The run creates the content-addressed version the files describe, tests the working tree against it through
`agent_config_override`, and writes no agent and no branch; the next plan of the unchanged files shows that version
as garbage and nothing else, and the next apply collects it.
"""

from __future__ import annotations

import json

import pytest

from agentform import exitcodes

pytestmark = pytest.mark.e2e

FAQ = "knowledge/clinic-faq.md"
HOURS = "Programul clinicii este de luni până vineri între orele 8 și 20, iar sâmbăta între orele 9 și 14.\n"
TOOL = "tools/create-ticket.yaml"
TICKET = (
    "  name: create_support_ticket\n"
    "  description: Opens a support ticket for a broken thermostat or a problem that needs a technician.\n"
)
NEWSLETTER = "  name: send_newsletter\n  description: Emails monthly newsletters.\n"


def _verdicts(output: str) -> dict[str, str]:
    report = json.loads(output)
    return {t["key"]: t["status"] for agent in report["agents"] for t in agent["tests"]}


def _writes_since(project, mark: int) -> list[tuple[str, str]]:
    log = project.admin("GET", "/requests", params={"since": mark})["requests"]
    return [(entry["method"], entry["path"]) for entry in log if entry["method"] != "GET"]


def _agent_writes(writes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Writes to agents or their branches: anything under /agents/ but starting a test run."""
    return [(method, path) for method, path in writes if "/agents" in path and not path.endswith("/run-tests")]


def _planned_changes(project, *flags: str) -> list[tuple[str, str, str | None]]:
    code, out = project.cli("plan", "--json", *flags)
    assert code == exitcodes.OK, out
    return [(c["action"], c["live_id"], c["blocked"]) for c in json.loads(out)["changes"] if c["action"] != "no-op"]


def test_an_edited_kb_document_is_tested_as_is_and_main_is_not_changed(live_project, capsys):
    agent_id = live_project.agent_id("clinic-receptionist")
    main_before, branches_before = _main_and_branches(live_project, agent_id)
    live_project.edit(FAQ, HOURS, "")
    mark = live_project.admin("GET", "/requests")["last_seq"]
    capsys.readouterr()

    code, out = live_project.cli("test", "--select", "clinic-receptionist", "--json")

    assert code == exitcodes.TESTS_FAILED, out
    verdicts = _verdicts(out)
    assert verdicts.pop("opening-hours") == "failed"
    assert set(verdicts.values()) == {"passed"}  # real verdicts for the rest, no error
    assert "Creating 1 KB document version for the test run; main is not changed" in capsys.readouterr().err
    writes = _writes_since(live_project, mark)
    assert _agent_writes(writes) == []
    assert writes.count(("POST", "/v1/convai/knowledge-base/text")) == 1 + 1  # the lock document and the version
    assert _main_and_branches(live_project, agent_id) == (main_before, branches_before)

    (created,) = _unused_faq_versions(live_project)
    live_project.edit(FAQ, "## Program\n", "## Program\n" + HOURS)
    code, out = live_project.cli("test", "--select", "clinic-receptionist", "--test", "opening-hours")
    assert code == exitcodes.OK, out
    assert "PASS   opening-hours" in out

    superseded = ("delete", created, None)
    assert _planned_changes(live_project) == [superseded]
    assert _planned_changes(live_project, "--prune") == [superseded]
    code, out = live_project.cli("apply", "--auto-approve")
    assert code == exitcodes.OK, out
    assert _planned_changes(live_project, "--prune") == []


def _main_and_branches(project, agent_id: str) -> tuple[str, list[tuple[str, str]]]:
    """Main's version id and every branch with its head: a test run must change none of them."""
    branches = project.api(f"/agents/{agent_id}/branches")["results"]
    return project.api(f"/agents/{agent_id}")["version_id"], sorted(
        (b["id"], str(b.get("updated_at"))) for b in branches
    )


def _unused_faq_versions(project) -> set[str]:
    """The ids of the clinic FAQ versions that main does not use (those the test runs created)."""
    agent = project.api(f"/agents/{project.agent_id('clinic-receptionist')}")
    used = {kb["id"] for kb in agent["conversation_config"]["agent"]["prompt"]["knowledge_base"]}
    folder = next(
        doc
        for doc in project.api("/knowledge-base", types="folder", page_size=100)["documents"]
        if doc["name"].startswith("agentform.")
    )
    listed = project.api("/knowledge-base", parent_folder_id=folder["id"], page_size=100)["documents"]
    return {doc["id"] for doc in listed if "[clinic-faq@" in doc["name"] and doc["id"] not in used}


def test_an_edited_tool_is_tested_as_is_and_its_version_is_collected_after(live_project):
    agent_id = live_project.agent_id("support-agent")
    main_before = _main_and_branches(live_project, agent_id)
    tools_before = {tool["id"] for tool in live_project.api("/tools")["tools"]}
    live_project.edit(TOOL, TICKET, NEWSLETTER)
    mark = live_project.admin("GET", "/requests")["last_seq"]

    code, out = live_project.cli("test", "--select", "support-agent", "--json")

    assert code == exitcodes.TESTS_FAILED, out
    verdicts = _verdicts(out)
    assert verdicts.pop("create-ticket") == "failed"  # no tool of the agent matches the caller's words any more
    assert set(verdicts.values()) == {"passed"}
    assert _agent_writes(_writes_since(live_project, mark)) == []
    assert _main_and_branches(live_project, agent_id) == main_before
    (created,) = {tool["id"] for tool in live_project.api("/tools")["tools"]} - tools_before

    live_project.edit(TOOL, NEWSLETTER, TICKET)
    code, out = live_project.cli("test", "--select", "support-agent", "--test", "create-ticket")
    assert code == exitcodes.OK, out

    # The tool is owned through the state record, so the plan collects it; so is the test definition that named it.
    changes = _planned_changes(live_project, "--prune")
    assert ("delete", created, None) in changes
    assert {action for action, _, _ in changes} == {"delete"} and len(changes) == 2
    code, out = live_project.cli("apply", "--auto-approve")
    assert code == exitcodes.OK, out
    assert created not in {tool["id"] for tool in live_project.api("/tools")["tools"]}
    assert _planned_changes(live_project, "--prune") == []


def test_a_test_run_collects_nothing_since_another_run_may_use_an_older_version(live_project):
    live_project.edit(FAQ, HOURS, "")
    code, out = live_project.cli("test", "--select", "clinic-receptionist", "--test", "opening-hours")
    assert code == exitcodes.TESTS_FAILED, out
    live_project.edit(FAQ, "## Program\n", "## Program\nDeschis non-stop.\n")
    code, out = live_project.cli("test", "--select", "clinic-receptionist", "--test", "opening-hours")
    assert code == exitcodes.TESTS_FAILED, out
    live_project.edit(FAQ, "## Program\nDeschis non-stop.\n", "## Program\n" + HOURS)
    created = _unused_faq_versions(live_project)
    assert len(created) == 2  # the first run's version outlived the second run
    assert sorted(_planned_changes(live_project)) == sorted(("delete", live_id, None) for live_id in created)
    code, out = live_project.cli("apply", "--auto-approve")
    assert code == exitcodes.OK, out


def test_a_kb_edit_committed_at_a_ref_is_tested_without_checking_it_out(live_project):
    with live_project.committed_only(FAQ, HOURS, ""):
        live_project.ref_fails_and_working_tree_passes("opening-hours")
    code, out = live_project.cli("apply", "--auto-approve")  # collects the version the --ref run made
    assert code == exitcodes.OK, out
    assert _planned_changes(live_project) == []


def test_no_create_keeps_the_error_and_writes_nothing(live_project):
    live_project.edit("knowledge/support-faq.md", "two-year warranty", "three-year warranty")
    mark = live_project.admin("GET", "/requests")["last_seq"]
    code, out = live_project.cli("test", "--select", "support-agent", "--no-create", "--json")
    assert code == exitcodes.ERROR
    error = json.loads(out)["agents"][0]["error"]
    assert "KB documents support-faq do not exist live" in error
    assert "without --no-create" in error
    assert _writes_since(live_project, mark) == []
