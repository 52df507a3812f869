"""`agentform import`: an agent built in the dashboard becomes files that validate, and adopting it changes only
what adoption itself must change (marker tags, managed copies of its documents and tests), never its prompt, voice
or LLM settings; after one apply the plan is empty and the agent keeps its id.

The "dashboard" is the client talking straight to the emulator: in-process (the project's `local` environment, state
in its SQLite file) and over real loopback HTTP (`ELEVENLABS_BASE_URL`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from tests.adopt.dashboard import (
    BOOK_TOOL,
    FAQ,
    PROJECT_YAML,
    TOKEN,
    build_clinic_kit,
    changes_by_address,
    dashboard,
    new_project,
    plan_document,
    project_files,
    yaml_of,
)
from tests.support.emulator_server import running_emulator
from tests.support.hypothesis_profiles import examples

from agentform import exitcodes
from agentform.adopt.importer import (
    Existing,
    ImportRefused,
    LiveDocument,
    import_agent,
    import_tool,
)
from agentform.adopt.values import escaped, pruned, spec_of_test
from agentform.commands import apply as apply_command
from agentform.commands import import_ as import_command
from agentform.commands import validate as validate_command
from agentform.plan import identity
from agentform.project import load_desired

PROMPT = (
    "Ești recepționera Clinicii Dentare Zâmbet.\n"
    "Răspunde scurt, în română. Pacientul se numește {{patient_name}}.\n"
    "Nu inventa prețuri: folosește lista de prețuri.\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty agentform project whose `local` environment is the in-process emulator."""
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    return new_project(tmp_path)


async def build_clinic_agent(client: Any) -> dict[str, str]:
    """An unmanaged agent with a tool, a text and a URL document, an llm and a tool test: ids by role."""
    tool_id, faq, prices, llm_test, tool_test = await build_clinic_kit(client)
    agent_id = await client.create_agent(
        {
            "name": "Clinic Receptionist",
            "tags": ["clinic", "ro"],
            "conversation_config": {
                "agent": {
                    "first_message": "Bună ziua! Consultația costă ${tarif} lei.",
                    "language": "ro",
                    "prompt": {
                        "prompt": PROMPT,
                        "llm": "gpt-4o-mini",
                        "temperature": 0.3,
                        "tool_ids": [tool_id],
                        "knowledge_base": [
                            {"type": "text", "name": "Clinic FAQ", "id": faq["id"], "usage_mode": "auto"},
                            {"type": "url", "name": "Lista de prețuri", "id": prices["id"], "usage_mode": "prompt"},
                        ],
                    },
                },
                "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM", "stability": 0.65},
                "turn": {"turn_timeout": 9.5},
            },
            "platform_settings": {
                "testing": {"attached_tests": [{"test_id": llm_test}, {"test_id": tool_test}]},
                "call_limits": {"daily_limit": 500},
            },
        }
    )
    return {"agent": agent_id, "tool": tool_id, "faq": faq["id"], "prices": prices["id"]}


def import_validate_plan_apply_plan(
    project_dir: Path, ids: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole adoption story, asserted step by step (shared by the in-process and the loopback test)."""
    before = dashboard(project_dir, lambda client: client.get_agent(ids["agent"]))
    assert import_command.run("agent", ids["agent"], project_dir=project_dir) == exitcodes.OK
    out = capsys.readouterr().out
    assert "Imported agent" in out and "agents/clinic-receptionist/" in out
    assert TOKEN not in out and "live-booking-token" not in out

    agent_file = yaml_of(project_dir / "agents/clinic-receptionist/agent.yaml")
    assert agent_file["id"] == ids["agent"]
    assert agent_file["tags"] == ["clinic", "ro"]
    assert agent_file["tools"] == ["book-appointment"]
    assert agent_file["knowledge"] == [
        {"key": "clinic-faq", "usage_mode": "auto"},
        {"key": "lista-de-preturi", "usage_mode": "prompt"},
    ]
    assert (project_dir / "agents/clinic-receptionist/prompt.md").read_text(encoding="utf-8") == PROMPT
    assert (project_dir / "knowledge/clinic-faq.md").read_text(encoding="utf-8") == FAQ
    assert (project_dir / "knowledge/lista-de-preturi.url").read_text() == "https://clinic.example/preturi\n"
    tool_text = (project_dir / "tools/book-appointment.yaml").read_text(encoding="utf-8")
    assert TOKEN not in tool_text and "${BOOK_APPOINTMENT_AUTHORIZATION}" in tool_text
    assert yaml_of(project_dir / "tools/book-appointment.yaml")["id"] == ids["tool"]
    assert yaml_of(project_dir / "tests_specs/clinic-receptionist/books-an-appointment.yaml")["tool"] == (
        "book-appointment"
    )

    assert yaml_of(project_dir / "agentform.yaml")["variables"] == {"BOOK_APPOINTMENT_AUTHORIZATION": {"secret": True}}
    # The credential is the user's to provide (CI secret, shell); with it set, the files validate.
    monkeypatch.setenv("BOOK_APPOINTMENT_AUTHORIZATION", TOKEN)
    assert validate_command.run(project_dir) == exitcodes.OK
    desired = load_desired(project_dir)
    assert desired.agents["clinic-receptionist"].conversation_config["agent"]["first_message"] == (
        "Bună ziua! Consultația costă ${tarif} lei."
    )

    plan = plan_document(project_dir, capsys)
    changes = changes_by_address(plan)
    assert set(changes) == {
        "agent.clinic-receptionist",
        "document.clinic-faq",
        "document.lista-de-preturi",
        "test.clinic-receptionist/parking-question",
        "test.clinic-receptionist/books-an-appointment",
        # The adopted tool's credential header moves into a workspace secret (decision 0091).
        "secret.book-appointment.Authorization",
        "tool.book-appointment",
    }
    assert changes["tool.book-appointment"]["action"] == "update"
    assert {changes[a]["action"] for a in changes if not a.startswith(("agent.", "tool."))} == {"create"}
    agent_change = changes["agent.clinic-receptionist"]
    assert agent_change["action"] == "update" and agent_change["live_id"] == ids["agent"]
    changed = {field["path"].split("[")[0] for field in agent_change["fields"]}
    assert changed == {
        "tags",
        "conversation_config.agent.prompt.knowledge_base",
        "platform_settings.testing.attached_tests",
    }

    capsys.readouterr()
    assert apply_command.run(project_dir=project_dir, auto_approve=True) == exitcodes.OK
    assert changes_by_address(plan_document(project_dir, capsys)) == {}

    after = dashboard(project_dir, lambda client: client.get_agent(ids["agent"]))
    assert after["agent_id"] == ids["agent"]
    for section in ("tts", "turn"):
        assert after["conversation_config"][section] == before["conversation_config"][section]
    prompt_before, prompt_after = (a["conversation_config"]["agent"]["prompt"] for a in (before, after))
    assert {k: v for k, v in prompt_after.items() if k != "knowledge_base"} == {
        k: v for k, v in prompt_before.items() if k != "knowledge_base"
    }
    assert identity.owner_tag("clinic", "local") in after["tags"]
    tool = dashboard(project_dir, lambda client: client.get_tool(ids["tool"]))
    [secret] = dashboard(project_dir, lambda client: client.list_secrets())
    assert tool["tool_config"]["api_schema"]["request_headers"]["Authorization"] == {"secret_id": secret["secret_id"]}
    assert TOKEN not in str(tool)


def test_a_dashboard_agent_is_adopted_with_its_tool_documents_and_tests_and_keeps_its_id(project, capsys, monkeypatch):
    ids = dashboard(project, build_clinic_agent)
    import_validate_plan_apply_plan(project, ids, capsys, monkeypatch)


@pytest.mark.e2e
def test_import_over_real_loopback_http_adopts_the_agent_the_same_way(project, capsys, monkeypatch):
    with running_emulator() as base_url:
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        ids = dashboard(project, build_clinic_agent)
        import_validate_plan_apply_plan(project, ids, capsys, monkeypatch)


# --- refusals and files: nothing is overwritten or written by a refused import -------------------------------------


async def build_plain_agent(client: Any) -> str:
    return await client.create_agent(
        {"name": "Front Desk", "conversation_config": {"agent": {"prompt": {"prompt": "You greet visitors."}}}}
    )


def test_an_agent_agentform_manages_already_is_refused_and_nothing_is_written(project, capsys):
    agent_id = dashboard(
        project,
        lambda client: client.create_agent(
            {
                "name": "Managed",
                "tags": ["af:other-project:production", "af-key:managed"],
                "conversation_config": {"agent": {"prompt": {"prompt": "Hi."}}},
            }
        ),
    )
    before = project_files(project)
    assert import_command.run("agent", agent_id, project_dir=project) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert "already managed by agentform" in err and "af:other-project:production" in err
    assert project_files(project) == before


def test_an_unknown_agent_id_is_a_one_line_error(project, capsys):
    assert import_command.run("agent", "agent_does_not_exist", project_dir=project) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert err.startswith("Error:") and "agent_does_not_exist" in err
    assert not (project / "agents").exists()


def test_existing_files_with_other_content_are_kept_unless_forced(project, capsys):
    agent_id = dashboard(project, build_plain_agent)
    folder = project / "agents/front-desk"
    folder.mkdir(parents=True)
    (folder / "agent.yaml").write_text("name: Someone else's agent\n")
    (folder / "prompt.md").write_text("Someone else's prompt.\n")
    before = project_files(project)
    assert import_command.run("agent", agent_id, project_dir=project) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert "agents/front-desk/prompt.md: exists with other content (use --force to replace it)" in err
    assert "agents/front-desk/agent.yaml: exists with other content" in err
    assert "Nothing was written." in err
    assert project_files(project) == before

    assert import_command.run("agent", agent_id, project_dir=project, force=True) == exitcodes.OK
    assert (folder / "prompt.md").read_text() == "You greet visitors."
    assert yaml_of(folder / "agent.yaml")["id"] == agent_id


def test_an_adopted_agent_is_imported_again_only_with_force_and_under_its_own_key(project, capsys):
    agent_id = dashboard(project, build_plain_agent)
    assert import_command.run("agent", agent_id, project_dir=project, key="desk") == exitcodes.OK
    capsys.readouterr()
    assert import_command.run("agent", agent_id, project_dir=project) == exitcodes.ERROR
    assert "already adopted by agents/desk/agent.yaml" in capsys.readouterr().err
    assert import_command.run("agent", agent_id, project_dir=project, key="other", force=True) == exitcodes.ERROR
    assert not (project / "agents/other").exists()
    assert import_command.run("agent", agent_id, project_dir=project, force=True) == exitcodes.OK
    assert "agents/desk/agent.yaml (unchanged)" in capsys.readouterr().out


def test_a_key_that_cannot_name_a_file_is_refused(project, capsys):
    agent_id = dashboard(project, build_plain_agent)
    assert import_command.run("agent", agent_id, project_dir=project, key="../escape") == exitcodes.ERROR
    assert "--key '../escape'" in capsys.readouterr().err
    assert project_files(project) == {"agentform.yaml": PROJECT_YAML.encode()}


def test_a_single_tool_is_adopted_in_place_and_an_agent_imported_later_reuses_its_file(project, capsys, monkeypatch):
    async def build(client: Any) -> tuple[str, str]:
        tool_id = (await client.create_tool({**BOOK_TOOL, "api_schema": {"url": "https://booking.example/"}}))["id"]
        agent_id = await client.create_agent(
            {
                "name": "Booker",
                "conversation_config": {"agent": {"prompt": {"prompt": "You book.", "tool_ids": [tool_id]}}},
            }
        )
        return tool_id, agent_id

    tool_id, agent_id = dashboard(project, build)
    assert import_command.run("tool", tool_id, project_dir=project, key="booking") == exitcodes.OK
    assert yaml_of(project / "tools/booking.yaml")["id"] == tool_id
    assert changes_by_address(plan_document(project, capsys)) == {}, "adopting a tool as it is changes nothing"

    assert import_command.run("agent", agent_id, project_dir=project) == exitcodes.OK
    assert "tools/booking.yaml (already adopts this tool)" in capsys.readouterr().out
    assert sorted(path.name for path in (project / "tools").iterdir()) == ["booking.yaml"]
    assert yaml_of(project / "agents/booker/agent.yaml")["tools"] == ["booking"]
    assert set(changes_by_address(plan_document(project, capsys))) == {"agent.booker"}


# --- the pure part: live JSON -> file data ------------------------------------------------------------------------


def agent_payload(**prompt: Any) -> dict[str, Any]:
    return {
        "agent_id": "agent_1",
        "name": "Ana",
        "tags": [],
        "conversation_config": {"agent": {"prompt": {"prompt": "Be kind.", **prompt}}},
    }


def test_nulls_and_empty_containers_are_left_out_at_any_depth():
    assert pruned({"a": None, "b": {}, "c": [], "d": {"e": {"f": None}}, "g": [{"h": None}], "i": 0, "j": ""}) == {
        "g": [{}],
        "i": 0,
        "j": "",
    }


def test_variable_syntax_in_live_text_is_escaped_so_the_loader_keeps_it_literal():
    assert escaped({"a": ["costs ${price}", "$${already}"], "n": 3}) == {
        "a": ["costs $${price}", "$$${already}"],
        "n": 3,
    }


def test_the_server_default_workflow_is_left_out_and_a_real_one_kept():
    start = {"start_node": {"type": "start", "position": {"x": 0.0, "y": 0.0}, "edge_order": []}}
    default = {**agent_payload(), "workflow": {"edges": {}, "nodes": start, "prevent_subagent_loops": False}}
    assert "workflow" not in yaml_of_text(import_agent(default, tools={}, documents={}, tests={}), "agents/ana")
    real = {
        **agent_payload(),
        "workflow": {
            "edges": {"e1": {"source": "start_node", "target": "n1"}},
            "nodes": {**start, "n1": {"type": "end"}},
        },
    }
    written = yaml_of_text(import_agent(real, tools={}, documents={}, tests={}), "agents/ana")
    assert written["workflow"]["edges"] == {"e1": {"source": "start_node", "target": "n1"}}


def yaml_of_text(result: Any, folder: str) -> Any:
    return YAML(typ="safe").load(result.files[f"{folder}/agent.yaml"])


def test_an_agent_without_a_prompt_is_imported_with_an_empty_prompt_file_and_a_warning(project, capsys):
    agent_id = dashboard(
        project, lambda client: client.create_agent({"name": "Silent", "conversation_config": {"agent": {}}})
    )
    assert import_command.run("agent", agent_id, project_dir=project) == exitcodes.OK
    assert f"agent {agent_id} has no system prompt: agents/silent/prompt.md is empty" in capsys.readouterr().out
    assert (project / "agents/silent/prompt.md").read_text() == ""

    assert validate_command.run(project) == exitcodes.OK
    assert "agents/silent/prompt.md:1:1: warning: prompt is empty (allowed for an agent adopted" in (
        capsys.readouterr().out
    )
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    assert changes_by_address(plan_document(project, capsys)) == {}


def test_an_empty_prompt_the_user_wrote_for_a_new_agent_stays_an_error(project, capsys):
    (project / "agents/desk").mkdir(parents=True)
    (project / "agents/desk/agent.yaml").write_text("name: Desk\n")
    (project / "agents/desk/prompt.md").write_text("\n")
    assert validate_command.run(project) == exitcodes.ERROR
    captured = capsys.readouterr()
    assert "agents/desk/prompt.md:1:1: error: prompt is empty" in captured.out + captured.err


def test_documents_become_files_by_type_and_folders_stay_referenced_by_id():
    locators = [
        {"type": "file", "name": "Tarife.pdf", "id": "d1"},
        {"type": "text", "name": "Pagina", "id": "d2", "usage_mode": "auto"},
        {"type": "folder", "name": "Ghiduri", "id": "f1"},
    ]
    documents = {
        "d1": LiveDocument({"id": "d1", "type": "file", "name": "Tarife.pdf"}, "Consultație: 150 lei"),
        "d2": LiveDocument({"id": "d2", "type": "text", "name": "Pagina", "content_format": "html"}, "<p>Salut</p>"),
    }
    result = import_agent(agent_payload(knowledge_base=locators), tools={}, documents=documents, tests={})
    assert result.files["knowledge/tarife-pdf.md"] == "Consultație: 150 lei"
    assert result.files["knowledge/pagina.html"] == "<p>Salut</p>"
    written = yaml_of_text(result, "agents/ana")
    assert written["knowledge"] == ["tarife-pdf", {"key": "pagina", "usage_mode": "auto"}]
    assert written["conversation_config"]["agent"]["prompt"]["knowledge_base"] == [locators[2]]
    assert any("folders" in note for note in result.notes)


def test_an_empty_document_is_refused_naming_it():
    documents = {"d1": LiveDocument({"id": "d1", "type": "text", "name": "Gol"}, "")}
    locators = [{"type": "text", "name": "Gol", "id": "d1"}]
    with pytest.raises(ImportRefused, match=r"d1 \('Gol'\) is empty"):
        import_agent(agent_payload(knowledge_base=locators), tools={}, documents=documents, tests={})


def test_test_bodies_reference_tools_by_key_and_use_shorthands_only_where_they_expand_back_exactly():
    spec = spec_of_test(
        {
            "id": "t1",
            "type": "simulation",
            "name": "Whole call",
            "access_info": {"role": "admin"},
            "chat_history": [
                {"role": "agent", "message": "Alo", "time_in_call_secs": 0},
                {"role": "user", "message": "Bună", "time_in_call_secs": 7},
            ],
            "simulation_scenario": "A patient books.",
            "success_conditions": ["Books it."],
            "tool_mock_config": {"mocking_strategy": "selected", "mocked_tool_ids": ["tool_a", "tool_other"]},
            "tool_mock_overrides": {"tool_a": [{"mock_result": "{}"}]},
            "dynamic_variables": {},
        },
        {"tool_a": "booking"},
    )
    assert spec == {
        "kind": "simulation",
        "name": "Whole call",
        "chat_history": [{"agent": "Alo"}, {"role": "user", "message": "Bună", "time_in_call_secs": 7}],
        "simulation_scenario": "A patient books.",
        "success_conditions": ["Books it."],
        "tool_mock_config": {"mocking_strategy": "selected", "mocked_tool_ids": ["booking", "tool_other"]},
        "tool_mock_overrides": {"booking": [{"mock_result": "{}"}]},
    }


def test_credentials_in_request_headers_become_variables_and_other_headers_stay():
    tool = {"id": "tool_1", "tool_config": BOOK_TOOL, "access_info": {}, "usage_stats": {"total_calls": 3}}
    result = import_tool(tool)
    text = result.files["tools/book-appointment.yaml"]
    assert TOKEN not in text and "usage_stats" not in text and "access_info" not in text
    assert yaml_of_text_at(text)["tool_config"]["api_schema"]["request_headers"] == {
        "Authorization": "${BOOK_APPOINTMENT_AUTHORIZATION}",
        "X-Clinic": "zambet",
    }
    [secret] = result.secrets
    assert (secret.name, secret.value) == ("BOOK_APPOINTMENT_AUTHORIZATION", TOKEN)
    assert TOKEN not in repr(secret)


def yaml_of_text_at(text: str) -> Any:
    return YAML(typ="safe").load(text)


def test_a_tool_of_another_key_in_the_project_makes_the_slug_unique():
    tool = {"id": "tool_2", "tool_config": {**BOOK_TOOL, "api_schema": {"url": "https://x.example/"}}}
    result = import_tool(tool, existing=Existing(tool_keys=frozenset({"book-appointment"})))
    assert list(result.files) == ["tools/book-appointment-2.yaml"]


# --- round trip: whatever text is live, the loader reads back exactly that ----------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufeff"), max_size=40)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first_message=_text, prompt=_text.filter(lambda text: text.strip()), tag=_text.filter(bool))
def test_imported_files_load_back_to_the_live_values(tmp_path_factory, first_message, prompt, tag):
    root = tmp_path_factory.mktemp("roundtrip")
    (root / "agentform.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    agent = agent_payload(llm="gpt-4o-mini")
    agent["conversation_config"]["agent"].update(first_message=first_message)
    agent["conversation_config"]["agent"]["prompt"]["prompt"] = prompt
    agent["tags"] = [tag]
    result = import_agent(agent, tools={}, documents={}, tests={}, key="ana")
    import_command.write_files(root, result.files)
    loaded = load_desired(root, environ={}).agents["ana"]
    assert loaded.conversation_config["agent"]["prompt"]["prompt"] == prompt
    assert loaded.conversation_config["agent"].get("first_message", "") == first_message
    assert loaded.tags == ([] if identity.is_marker_tag(tag) else [tag])


def test_a_document_key_taken_by_a_file_of_another_type_is_a_conflict_even_with_force(project, capsys):
    async def build(client: Any) -> str:
        faq = await client.create_text_document(text=FAQ, name="Clinic FAQ")
        prompt = {"prompt": "You answer.", "knowledge_base": [{"type": "text", "name": "Clinic FAQ", "id": faq["id"]}]}
        return await client.create_agent({"name": "Answers", "conversation_config": {"agent": {"prompt": prompt}}})

    agent_id = dashboard(project, build)
    (project / "knowledge").mkdir()
    (project / "knowledge/clinic-faq.txt").write_text("Our own FAQ.\n")
    before = project_files(project)
    assert import_command.run("agent", agent_id, project_dir=project, force=True) == exitcodes.ERROR
    assert "knowledge/clinic-faq.txt is another document with the key 'clinic-faq'" in capsys.readouterr().err
    assert project_files(project) == before


def test_the_command_line_imports_an_agent_and_a_tool(project, capsys):
    from agentform.cli import main

    async def build(client: Any) -> tuple[str, str]:
        tool_id = (await client.create_tool({**BOOK_TOOL, "api_schema": {"url": "https://booking.example/"}}))["id"]
        return await build_plain_agent(client), tool_id

    agent_id, tool_id = dashboard(project, build)
    assert main(["import", "agent", agent_id, "-C", str(project), "--key", "desk"]) == exitcodes.OK
    assert main(["import", "tool", tool_id, "--project-dir", str(project)]) == exitcodes.OK
    assert yaml_of(project / "agents/desk/agent.yaml")["id"] == agent_id
    assert yaml_of(project / "tools/book-appointment.yaml")["id"] == tool_id
    assert main(["import", "tool", tool_id, "-C", str(project)]) == exitcodes.ERROR
    assert "already adopted by tools/book-appointment.yaml" in capsys.readouterr().err
