"""`agentform pull`: a dashboard edit of a managed resource comes back into the file that declares it, and only
there; comments, key order, quoting, overlays and variable references survive; both sides edited is exit 4."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.adopt.dashboard import (
    TOKEN,
    build_workspace,
    changes_by_address,
    dashboard,
    dashboard_edit,
    new_project,
    plan_document,
    project_files,
)
from tests.support.emulator_server import running_emulator

from agentform import exitcodes
from agentform.cli import main
from agentform.commands import apply as apply_command
from agentform.commands import import_all as import_all_command
from agentform.commands import pull as pull_command


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))


@pytest.fixture
def adopted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """A dashboard workspace imported whole and applied once: the plan is empty."""
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    project = new_project(tmp_path)
    ids = dashboard(project, build_workspace)
    assert import_all_command.run(project) == exitcodes.OK
    monkeypatch.setenv("BOOK_APPOINTMENT_AUTHORIZATION", TOKEN)
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    assert changes_by_address(plan_document(project, capsys)) == {}
    return {"project": project, **ids}


def edit_prompt_live(project: Path, agent_id: str, text: str) -> None:
    dashboard_edit(
        project,
        lambda client: client.update_agent(agent_id, {"conversation_config": {"agent": {"prompt": {"prompt": text}}}}),
    )


def test_a_live_prompt_edit_comes_back_into_exactly_one_prompt_file_and_the_plan_is_empty_again(adopted, capsys):
    project = adopted["project"]
    edited = "Ești recepționera Clinicii Zâmbet.\nRăspunde scurt, în română.\nProgramările se fac doar vineri.\n"
    edit_prompt_live(project, adopted["after_hours"], edited)
    plan = changes_by_address(plan_document(project, capsys))
    assert plan["agent.after-hours"]["drift"] is True

    before = project_files(project)
    capsys.readouterr()
    assert pull_command.run(project) == exitcodes.OK
    out = capsys.readouterr().out
    assert "agents/after-hours/prompt.md: conversation_config.agent.prompt.prompt" in out
    assert changed_files(before, project_files(project)) == ["agents/after-hours/prompt.md"]
    assert (project / "agents/after-hours/prompt.md").read_text(encoding="utf-8") == edited
    assert changes_by_address(plan_document(project, capsys)) == {}

    capsys.readouterr()
    assert pull_command.run(project) == exitcodes.OK
    assert "Nothing to pull" in capsys.readouterr().out


def test_edits_on_both_sides_make_pull_exit_4_naming_the_field_and_force_takes_the_live_value(adopted, capsys):
    project = adopted["project"]
    edit_prompt_live(project, adopted["after_hours"], "Edited in the dashboard.\n")
    (project / "agents/after-hours/prompt.md").write_text("Edited in git.\n", encoding="utf-8")
    before = project_files(project)
    capsys.readouterr()
    assert main(["pull", "-C", str(project)]) == exitcodes.STALE_OR_CONFLICT
    err = capsys.readouterr().err
    assert "agents/after-hours/prompt.md: conversation_config.agent.prompt.prompt" in err
    assert "Nothing was written." in err
    assert project_files(project) == before

    assert main(["pull", "-C", str(project), "--force"]) == exitcodes.OK
    assert (project / "agents/after-hours/prompt.md").read_text(encoding="utf-8") == "Edited in the dashboard.\n"
    assert changes_by_address(plan_document(project, capsys)) == {}


def test_a_live_document_edit_comes_back_into_its_file(adopted, capsys):
    project = adopted["project"]
    plan = plan_document(project, capsys)
    faq_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "document.clinic-faq")
    edited = "# Întrebări frecvente\n\nParcarea este gratuită o oră.\n"
    dashboard_edit(project, lambda client: client.update_document(faq_id, content=edited))
    assert changes_by_address(plan_document(project, capsys))["document.clinic-faq"]["drift"] is True

    before = project_files(project)
    assert pull_command.run(project) == exitcodes.OK
    assert changed_files(before, project_files(project)) == ["knowledge/clinic-faq.md"]
    assert (project / "knowledge/clinic-faq.md").read_text(encoding="utf-8") == edited

    # The edited version holds the file's text: it is the desired version as it is, under the name it was created
    # with; agents keep referencing it and nothing is written (decision 0124).
    assert changes_by_address(plan_document(project, capsys)) == {}
    assert pull_command.run(project) == exitcodes.OK
    assert project_files(project) == {**before, "knowledge/clinic-faq.md": edited.encode()}

    # An apply that writes something else collects garbage: the pulled version is not garbage.
    after_hours = adopted["after_hours"]
    before_apply = dashboard(project, lambda client: client.get_agent(after_hours))["version_id"]
    prompt = project / "agents/after-hours/prompt.md"
    prompt.write_text(prompt.read_text(encoding="utf-8") + "Revino mâine.\n", encoding="utf-8")
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    assert changes_by_address(plan_document(project, capsys)) == {}
    faq = dashboard(project, lambda client: client.get_document(faq_id))
    assert faq["name"].startswith("Clinic FAQ [clinic-faq@")

    # A rollback to the version before that apply finds the pulled version it references.
    rollback = ["rollback", "-C", str(project), "--agent", "after-hours", "--to-version", before_apply]
    assert main([*rollback, "--auto-approve"]) == exitcodes.OK
    restored = dashboard(project, lambda client: client.get_agent(after_hours))["conversation_config"]["agent"]
    assert "Revino mâine." not in restored["prompt"]["prompt"]
    assert [entry["id"] for entry in restored["prompt"]["knowledge_base"]] == [faq_id]

    # A later live edit is drift again: the files and the live side now differ since the last apply.
    dashboard_edit(project, lambda client: client.update_document(faq_id, content=edited + "Și sâmbăta.\n"))
    document = changes_by_address(plan_document(project, capsys))["document.clinic-faq"]
    assert (document["drift"], document["live_id"]) == (True, faq_id)


HANDWRITTEN = """\
# The front desk: reviewed by the clinic manager.
name: Front Desk
tags: [desk]
conversation_config:
  agent:
    first_message: 'Bună ziua!'   # single quotes on purpose
    language: ro
    prompt:
      llm: gpt-4o-mini
      temperature: 0.3
  tts:
    voice_id: "${DESK_VOICE}"
environments:
  local:
    conversation_config:
      agent:
        first_message: "Bună ziua, clinica de test!"
"""


@pytest.fixture
def handwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    monkeypatch.setenv("DESK_VOICE", "21m00Tcm4TlvDq8ikWAM")
    project = new_project(tmp_path)
    (project / "agents/desk").mkdir(parents=True)
    (project / "agents/desk/agent.yaml").write_text(HANDWRITTEN, encoding="utf-8")
    (project / "agents/desk/prompt.md").write_text("You greet visitors.\n", encoding="utf-8")
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    return project


def test_pulled_fields_keep_comments_quoting_and_overlays_and_a_variable_reference_is_reported_not_replaced(
    handwritten, capsys
):
    plan = plan_document(handwritten, capsys)
    agent_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "agent.desk")
    live_edit = {
        "conversation_config": {
            "agent": {"first_message": "Alo, clinica de test!", "prompt": {"temperature": 0.5}},
            "tts": {"voice_id": "pNInz6obpgDQGcFmaJgB"},
        }
    }
    dashboard_edit(handwritten, lambda client: client.update_agent(agent_id, live_edit))
    capsys.readouterr()
    assert pull_command.run(handwritten) == exitcodes.OK
    out = capsys.readouterr().out
    assert "conversation_config.tts.voice_id: set through a variable" in out
    assert "pNInz6obpgDQGcFmaJgB" not in (handwritten / "agents/desk/agent.yaml").read_text(encoding="utf-8")
    expected = HANDWRITTEN.replace("temperature: 0.3", "temperature: 0.5").replace(
        '"Bună ziua, clinica de test!"', '"Alo, clinica de test!"'
    )
    assert (handwritten / "agents/desk/agent.yaml").read_text(encoding="utf-8") == expected
    changes = changes_by_address(plan_document(handwritten, capsys))
    assert [f["path"] for f in changes["agent.desk"]["fields"]] == ["conversation_config.tts.voice_id"]


def test_a_live_value_holding_a_secret_is_never_written(handwritten, capsys, monkeypatch):
    settings = handwritten / "agentform.yaml"
    settings.write_text(settings.read_text() + "variables:\n  DESK_TOKEN: {secret: true}\n", encoding="utf-8")
    monkeypatch.setenv("DESK_TOKEN", "sk-desk-secret-42")
    plan = plan_document(handwritten, capsys)
    agent_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "agent.desk")
    edit_prompt_live(handwritten, agent_id, "Your token is sk-desk-secret-42.\n")
    before = project_files(handwritten)
    capsys.readouterr()
    assert pull_command.run(handwritten) == exitcodes.OK
    captured = capsys.readouterr()
    assert (
        "agents/desk/prompt.md: conversation_config.agent.prompt.prompt: the live value holds a secret" in captured.out
    )
    assert "sk-desk-secret-42" not in captured.out + captured.err
    assert project_files(handwritten) == before


def test_a_live_test_edit_comes_back_into_its_spec_and_the_test_keeps_its_id(adopted, capsys):
    project = adopted["project"]
    spec_path = project / "tests_specs/after-hours/closed-at-night.yaml"
    spec_path.write_text("# Checked at night by the on-call manager.\n" + spec_path.read_text(encoding="utf-8"))
    plan = plan_document(project, capsys)
    test_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "test.after-hours/closed-at-night")

    async def edit(client: Any) -> None:
        body = await client.get_test(test_id)
        body["success_condition"] = "The agent says the clinic opens at 8."
        await client.update_test(test_id, {k: v for k, v in body.items() if k not in ("id", "access_info")})

    dashboard_edit(project, edit)
    before = project_files(project)
    capsys.readouterr()
    assert pull_command.run(project) == exitcodes.OK
    assert "tests_specs/after-hours/closed-at-night.yaml: success_condition" in capsys.readouterr().out
    assert changed_files(before, project_files(project)) == ["tests_specs/after-hours/closed-at-night.yaml"]
    text = spec_path.read_text(encoding="utf-8")
    assert text.startswith("# Checked at night by the on-call manager.\n")
    assert "success_condition: The agent says the clinic opens at 8.\n" in text

    # The edited test is the desired version as it is: nothing to apply, and a test run runs it (decision 0124).
    assert changes_by_address(plan_document(project, capsys)) == {}
    capsys.readouterr()
    assert main(["test", "-C", str(project), "--select", "after-hours", "--no-create", "--json"]) == exitcodes.OK
    report = capsys.readouterr().out
    assert test_id in report and "closed-at-night" in report
    assert dashboard(project, lambda client: client.get_test(test_id))["success_condition"].endswith("opens at 8.")


LOOKUP_TOOL = """\
# Read-only lookups: safe to call at any time.
tool_config:
  type: webhook
  name: lookup_patient
  description: 'Finds a patient by phone number.'
  api_schema:
    url: https://clinic.example/patients
    method: GET
"""


def test_a_live_edit_of_a_tool_agentform_created_comes_back_into_its_file(handwritten, capsys):
    (handwritten / "tools").mkdir()
    (handwritten / "tools/lookup.yaml").write_text(LOOKUP_TOOL, encoding="utf-8")
    assert apply_command.run(project_dir=handwritten, auto_approve=True) == exitcodes.OK
    plan = plan_document(handwritten, capsys)
    tool_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "tool.lookup")

    dashboard_edit(handwritten, edit_description(tool_id, "Finds a patient by phone or name."))
    capsys.readouterr()
    assert pull_command.run(handwritten) == exitcodes.OK
    assert "tools/lookup.yaml: tool_config.description" in capsys.readouterr().out
    assert (handwritten / "tools/lookup.yaml").read_text(encoding="utf-8") == LOOKUP_TOOL.replace(
        "'Finds a patient by phone number.'", "'Finds a patient by phone or name.'"
    )
    assert apply_command.run(project_dir=handwritten, auto_approve=True) == exitcodes.OK
    plan = plan_document(handwritten, capsys)
    assert changes_by_address(plan) == {}
    # Tools are content-addressed: the pulled description is a new version, the edited one was collected.
    assert next(c["live_id"] for c in plan["changes"] if c["address"] == "tool.lookup") != tool_id


def test_a_tool_adopted_through_id_has_its_live_edit_pulled_and_both_sides_edited_is_exit_4(adopted, capsys):
    project, tool_id = adopted["project"], adopted["tool"]
    tool_file = project / "tools/book-appointment.yaml"
    assert f"id: {tool_id}" in tool_file.read_text(encoding="utf-8")

    # The adopting apply recorded the config both sides agreed on: a live edit is told from a file change.
    dashboard_edit(project, edit_description(tool_id, "Books or moves a dental appointment."))
    before = project_files(project)
    capsys.readouterr()
    assert pull_command.run(project) == exitcodes.OK
    assert "tools/book-appointment.yaml: tool_config.description" in capsys.readouterr().out
    assert changed_files(before, project_files(project)) == ["tools/book-appointment.yaml"]
    assert "description: Books or moves a dental appointment.\n" in tool_file.read_text(encoding="utf-8")
    assert changes_by_address(plan_document(project, capsys)) == {}

    # Both sides: the file's description changed since the last apply, and the live one again.
    tool_file.write_text(
        tool_file.read_text(encoding="utf-8").replace("Books or moves", "Books, moves or cancels"), encoding="utf-8"
    )
    dashboard_edit(project, edit_description(tool_id, "Books a dental appointment, weekdays only."))
    before = project_files(project)
    capsys.readouterr()
    assert main(["pull", "-C", str(project)]) == exitcodes.STALE_OR_CONFLICT
    assert "tools/book-appointment.yaml: tool_config.description" in capsys.readouterr().err
    assert project_files(project) == before
    assert main(["pull", "-C", str(project), "--force"]) == exitcodes.OK
    assert "weekdays only." in tool_file.read_text(encoding="utf-8")
    assert changes_by_address(plan_document(project, capsys)) == {}


def edit_description(tool_id: str, description: str) -> Any:
    async def edit(client: Any) -> None:
        tool = await client.get_tool(tool_id)
        await client.update_tool(tool_id, {**tool["tool_config"], "description": description})

    return edit


def test_a_tag_added_live_is_pulled_without_the_marker_tags(handwritten, capsys):
    plan = plan_document(handwritten, capsys)
    agent_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "agent.desk")

    async def tag(client: Any) -> None:
        live = await client.get_agent(agent_id)
        await client.update_agent(agent_id, {"tags": [*live["tags"], "vip"]})

    dashboard_edit(handwritten, tag)
    assert pull_command.run(handwritten) == exitcodes.OK
    text = (handwritten / "agents/desk/agent.yaml").read_text(encoding="utf-8")
    assert text == HANDWRITTEN.replace("tags: [desk]", "tags: [desk, vip]")
    assert changes_by_address(plan_document(handwritten, capsys)) == {}


@pytest.mark.e2e
def test_pull_over_real_loopback_http(tmp_path, capsys, monkeypatch):
    with running_emulator() as base_url:
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        project = new_project(tmp_path)
        ids = dashboard(project, build_workspace)
        assert import_all_command.run(project) == exitcodes.OK
        monkeypatch.setenv("BOOK_APPOINTMENT_AUTHORIZATION", TOKEN)
        assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
        edit_prompt_live(project, ids["after_hours"], "Clinica este închisă până la 8.\n")
        before = project_files(project)
        assert pull_command.run(project) == exitcodes.OK
        assert changed_files(before, project_files(project)) == ["agents/after-hours/prompt.md"]
        assert changes_by_address(plan_document(project, capsys)) == {}
