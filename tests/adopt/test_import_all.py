"""`agentform import --all`: a workspace built in the dashboard becomes one project in one command. Every agent not
managed yet is written with its documents, tools and tests (shared ones once), a credential becomes a secret
variable, the files validate, one apply adopts everything and the plan is then empty; a second run imports nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.adopt.dashboard import (
    PROJECT_YAML,
    TOKEN,
    build_workspace,
    changes_by_address,
    dashboard,
    new_project,
    plan_document,
    project_files,
    yaml_of,
)
from tests.support.emulator_server import running_emulator

from agentform import exitcodes
from agentform.adopt.importer import Existing, ImportResult
from agentform.adopt.workspace import choose, combine, passed_on
from agentform.cli import main
from agentform.commands import apply as apply_command
from agentform.commands import import_all as import_all_command
from agentform.commands import validate as validate_command
from agentform.plan import identity


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)
    return new_project(tmp_path)


def key_of(project_dir: Path, agent_id: str) -> str:
    return next(p.parent.name for p in (project_dir / "agents").glob("*/agent.yaml") if yaml_of(p)["id"] == agent_id)


def adopt_the_workspace(project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ids = dashboard(project_dir, build_workspace)
    assert import_all_command.run(project_dir) == exitcodes.OK
    out = capsys.readouterr().out
    assert TOKEN not in out and "live-booking-token" not in out
    assert "Key collision, resolved: receptionist:" in out

    keys = {role: key_of(project_dir, ids[role]) for role in ("receptionist", "after_hours", "other")}
    assert keys["after_hours"] == "after-hours"
    assert {keys["receptionist"], keys["other"]} == {"receptionist", "receptionist-2"}
    # The shared tool and FAQ are written once and referenced by both agents that use them.
    assert sorted(p.name for p in (project_dir / "tools").iterdir()) == ["book-appointment.yaml"]
    assert sorted(p.name for p in (project_dir / "knowledge").iterdir()) == [
        "clinic-faq.md",
        "clinic-faq.yaml",
        "lista-de-preturi.url",
        "lista-de-preturi.yaml",
    ]
    for role in ("receptionist", "after_hours"):
        agent_file = yaml_of(project_dir / f"agents/{keys[role]}/agent.yaml")
        assert agent_file["tools"] == ["book-appointment"]
        assert {"key": "clinic-faq", "usage_mode": "auto"} in agent_file["knowledge"]
    specs = sorted(p.relative_to(project_dir).as_posix() for p in (project_dir / "tests_specs").rglob("*.yaml"))
    assert specs == [
        "tests_specs/after-hours/closed-at-night.yaml",
        f"tests_specs/{keys['receptionist']}/books-an-appointment.yaml",
        f"tests_specs/{keys['receptionist']}/parking-question.yaml",
    ]
    # The credential is a reference to a variable declared secret, never a value in a file.
    assert all(TOKEN.encode() not in text for text in project_files(project_dir).values())
    tool = yaml_of(project_dir / "tools/book-appointment.yaml")
    assert tool["tool_config"]["api_schema"]["request_headers"]["Authorization"] == "${BOOK_APPOINTMENT_AUTHORIZATION}"
    settings_text = (project_dir / "agentform.yaml").read_text(encoding="utf-8")
    assert settings_text.startswith(PROJECT_YAML), "the user's own file is kept as written, comment included"
    assert yaml_of(project_dir / "agentform.yaml")["variables"] == {"BOOK_APPOINTMENT_AUTHORIZATION": {"secret": True}}

    monkeypatch.setenv("BOOK_APPOINTMENT_AUTHORIZATION", TOKEN)
    assert validate_command.run(project_dir) == exitcodes.OK
    changes = changes_by_address(plan_document(project_dir, capsys))
    assert {address for address, change in changes.items() if change["action"] == "update"} == {
        f"agent.{key}" for key in keys.values()
    }
    assert apply_command.run(project_dir=project_dir, auto_approve=True) == exitcodes.OK
    assert changes_by_address(plan_document(project_dir, capsys)) == {}
    for role, key in keys.items():
        live = dashboard(project_dir, lambda client, role=role: client.get_agent(ids[role]))
        assert identity.key_tag(key) in live["tags"]

    before = project_files(project_dir)
    capsys.readouterr()
    assert import_all_command.run(project_dir) == exitcodes.OK
    assert "Nothing new to import: 3 agent(s) already managed by this project (local)." in capsys.readouterr().out
    assert project_files(project_dir) == before


def test_a_dashboard_workspace_is_adopted_whole_and_converges_after_one_apply(project, capsys, monkeypatch):
    adopt_the_workspace(project, capsys, monkeypatch)


@pytest.mark.e2e
def test_import_all_over_real_loopback_http(project, capsys, monkeypatch):
    with running_emulator() as base_url:
        monkeypatch.setenv("ELEVENLABS_BASE_URL", base_url)
        adopt_the_workspace(project, capsys, monkeypatch)


def test_a_dry_run_writes_nothing_and_select_and_tag_narrow_the_import(project, capsys, monkeypatch):
    dashboard(project, build_workspace)
    before = project_files(project)
    assert main(["import", "--all", "--dry-run", "-C", str(project)]) == exitcodes.OK
    out = capsys.readouterr().out
    assert "Would write" in out and "agents/after-hours/agent.yaml" in out
    assert project_files(project) == before

    assert main(["import", "--all", "--select", "after-*", "-C", str(project)]) == exitcodes.OK
    assert sorted(p.name for p in (project / "agents").iterdir()) == ["after-hours"]
    monkeypatch.setenv("BOOK_APPOINTMENT_AUTHORIZATION", TOKEN)  # the project must load to run again
    assert main(["import", "--all", "--tag", "clinic", "-C", str(project)]) == exitcodes.OK
    assert sorted(p.name for p in (project / "agents").iterdir()) == ["after-hours", "receptionist"]


def test_import_without_all_or_a_resource_is_a_usage_error(project, capsys):
    assert main(["import", "-C", str(project)]) == 2
    assert "--all" in capsys.readouterr().err


# --- the pure part: which agents, which keys ---------------------------------------------------------------------


def summary(agent_id: str, name: str, created: int, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"agent_id": agent_id, "name": name, "created_at_unix_secs": created, "tags": list(tags)}


def test_keys_are_slugs_given_in_creation_order_so_the_same_workspace_always_gets_the_same_keys():
    agents = [summary("b", "Support", 20), summary("a", "Support", 10), summary("c", "Sales Line", 5)]
    choice = choose(agents, project="p", environment="e", adopted_ids={}, taken_keys=set())
    assert [(c.agent_id, c.key) for c in choice.candidates] == [
        ("c", "sales-line"),
        ("a", "support"),
        ("b", "support-2"),
    ]
    assert choice.collisions == ["support: a ('Support') -> support, b ('Support') -> support-2"]
    again = choose(list(reversed(agents)), project="p", environment="e", adopted_ids={}, taken_keys=set())
    assert again.candidates == choice.candidates


def test_managed_adopted_and_foreign_agents_are_left_alone_and_a_taken_key_is_a_reported_collision():
    agents = [
        summary("ours", "Ours", 1, tuple(identity.marker_tags("p", "e", "ours"))),
        summary("adopted", "Adopted", 2),
        summary("foreign", "Foreign", 3, tuple(identity.marker_tags("p", "staging", "foreign"))),
        summary("new", "Desk", 4),
    ]
    choice = choose(agents, project="p", environment="e", adopted_ids={"adopted": "adopted"}, taken_keys={"desk"})
    assert [(c.agent_id, c.key) for c in choice.candidates] == [("new", "desk-2")]
    assert choice.already_managed == 2
    assert choice.managed_elsewhere == ["'Foreign' (foreign)"]
    assert choice.collisions == ["desk: new ('Desk') -> desk-2"]


def test_select_matches_the_key_or_the_live_name():
    agents = [summary("a", "Clinic Desk", 1), summary("b", "Sales", 2)]
    keys = [
        c.key
        for c in choose(
            agents, project="p", environment="e", adopted_ids={}, taken_keys=(), select=["Clinic*"]
        ).candidates
    ]
    assert keys == ["clinic-desk"]


def test_what_one_agent_wrote_is_passed_on_so_the_next_reuses_it():
    result = ImportResult(key="a", tool_keys={"tool_1": "booking"}, document_keys={"doc_1": "faq"})
    existing = passed_on(Existing(tool_keys=frozenset({"other"})), result)
    assert existing.tool_ids == {"tool_1": "booking"} and existing.tool_keys == {"other", "booking"}
    assert existing.document_ids == {"doc_1": "faq"} and existing.document_keys == {"faq"}


def test_a_test_attached_to_two_agents_gets_a_spec_under_each_and_the_command_says_so():
    first = ImportResult(key="desk", files={"tests_specs/desk/hours.yaml": "a"})
    second = ImportResult(key="night", files={"tests_specs/night/hours.yaml": "a"})
    combined = combine([first, second], {"test_1": ["desk", "night"], "test_2": ["desk"]})
    assert sorted(combined.files) == ["tests_specs/desk/hours.yaml", "tests_specs/night/hours.yaml"]
    assert combined.shared_tests == ["test test_1 is attached to desk, night: one spec for each"]


def test_an_agent_that_cannot_be_imported_is_reported_and_the_others_are_written(project, capsys):
    async def build(client: Any) -> str:
        blank = await client.create_text_document(text=" ", name="Blank")
        locator = {"type": "text", "name": "Blank", "id": blank["id"]}
        await client.create_agent(
            {
                "name": "Broken",
                "conversation_config": {"agent": {"prompt": {"prompt": "Hi.", "knowledge_base": [locator]}}},
            }
        )
        return await client.create_agent(
            {"name": "Fine", "conversation_config": {"agent": {"prompt": {"prompt": "Hi."}}}}
        )

    dashboard(project, build)
    assert import_all_command.run(project) == exitcodes.ERROR
    err = capsys.readouterr().err
    assert "Not imported:" in err and "('Broken')" in err and "is empty" in err
    assert sorted(p.name for p in (project / "agents").iterdir()) == ["fine"]


def test_all_and_a_single_resource_together_are_a_usage_error(project, capsys):
    assert main(["import", "--all", "agent", "agent_1", "-C", str(project)]) == 2
    assert "give it without `agent ID`" in capsys.readouterr().err
