"""Drift on KB documents and tests (design §4), end to end on the example project against the in-process emulator.

A dashboard user edits a managed text document or test through the API, as the dashboard would; `agentform plan`
shows the edit as drift with what the repair puts back, `apply` restores git's content, and the next plan is empty
and cheap again (docs/decisions/0058).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.apply.test_commands import local_log, plan_json
from tests.apply.test_commands import project as project  # the example project, copied
from tests.support.seconds import in_a_later_second

from agentform import exitcodes
from agentform.commands import apply as apply_command
from agentform.commands import plan as plan_command
from agentform.connect import open_client
from agentform.model import EnvironmentSettings
from agentform.plan import identity
from agentform.state.model import STATE_DOCUMENT_NAME

DOCUMENT = "document.support-faq"
TEST = "test.support-agent/warranty"
EDITED = "Edited in the dashboard.\n"


def as_dashboard(project_dir: Path, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work(client)` against the project's `local` workspace, as a dashboard user would."""

    async def go() -> Any:
        async with open_client(EnvironmentSettings(name="local", backend="emulator"), project_dir) as client:
            return await work(client)

    return asyncio.run(go())


def applied(project_dir: Path, capsys: pytest.CaptureFixture[str], **options: Any) -> int:
    code = apply_command.run(project_dir=project_dir, auto_approve=True, **options)
    capsys.readouterr()
    return code


def change_of(plan: dict, address: str) -> dict:
    return next(change for change in plan["changes"] if change["address"] == address)


def live_id(project_dir: Path, capsys: pytest.CaptureFixture[str], address: str) -> str:
    return change_of(plan_json(project_dir, capsys)[1], address)["live_id"]


def detail_reads_since(project_dir: Path, capsys: pytest.CaptureFixture[str], mark: int) -> list[str]:
    """Reads of a managed document's content or a managed test's body since `mark` (the state record's own
    content is read by every plan)."""
    _, plan = plan_json(project_dir, capsys)
    managed = {c["live_id"] for c in plan["changes"] if c["kind"] in ("document", "test") and c["live_id"]}
    return [
        entry["path"]
        for entry in local_log(project_dir, since=mark)
        if entry["method"] == "GET" and any(f"/{live}" in entry["path"] for live in managed)
    ]


def edit_document(project_dir: Path, document_id: str, **changes: str) -> None:
    in_a_later_second()
    as_dashboard(project_dir, lambda client: client.update_document(document_id, **changes))


def edit_test(project_dir: Path, test_id: str, **changes: Any) -> None:
    async def put(client: Any) -> None:
        body = await client.get_test(test_id)
        body = {k: v for k, v in body.items() if k not in ("id", "access_info")}
        await client.update_test(test_id, {**body, **changes})

    in_a_later_second()
    as_dashboard(project_dir, put)


def no_change_left(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> bool:
    code, plan = plan_json(project_dir, capsys, detailed_exitcode=True)
    return code == exitcodes.OK and not [c for c in plan["changes"] if c["action"] != "no-op" and not c["blocked"]]


@pytest.fixture
def applied_project(project: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert applied(project, capsys) == exitcodes.OK
    return project


def test_a_document_edited_in_the_dashboard_is_drift_and_apply_puts_gits_text_back(applied_project, capsys):
    project_dir = applied_project
    document_id = live_id(project_dir, capsys, DOCUMENT)
    edit_document(project_dir, document_id, content=EDITED)

    assert plan_command.run(project_dir=project_dir) == exitcodes.OK
    text = capsys.readouterr().out
    assert "! drift" in text and "Edited in the dashboard." in text
    code, plan = plan_json(project_dir, capsys, detailed_exitcode=True)
    change = change_of(plan, DOCUMENT)
    assert code == exitcodes.CHANGES
    assert (change["action"], change["drift"], change["conflict"]) == ("update", True, False)
    [text_field] = [field for field in change["fields"] if field["path"] == "text"]
    assert "-Edited in the dashboard." in json.dumps(text_field)

    assert applied(project_dir, capsys) == exitcodes.OK
    faq = (project_dir / "knowledge" / "support-faq.md").read_text()
    assert as_dashboard(project_dir, lambda client: client.get_document_content(document_id)) == faq
    mark = local_log(project_dir)[-1]["seq"]
    assert no_change_left(project_dir, capsys)
    # An edit within the second of our repair would not move its timestamp: plans compare the repaired version's
    # content (and nothing else) until an apply vouches for it (docs/decisions/0110).
    assert set(detail_reads_since(project_dir, capsys, mark)) == {f"/v1/convai/knowledge-base/{document_id}/content"}


def test_a_test_changed_in_the_dashboard_is_drift_and_apply_restores_its_body(applied_project, capsys):
    project_dir = applied_project
    test_id = live_id(project_dir, capsys, TEST)
    edit_test(project_dir, test_id, success_condition="Anything goes.")

    code, plan = plan_json(project_dir, capsys, detailed_exitcode=True)
    change = change_of(plan, TEST)
    assert code == exitcodes.CHANGES
    assert (change["action"], change["drift"]) == ("update", True)
    assert "Anything goes." in json.dumps(change["drift_fields"])

    assert applied(project_dir, capsys) == exitcodes.OK
    body = as_dashboard(project_dir, lambda client: client.get_test(test_id))
    assert body["success_condition"] == 'The agent mentions the "two-year warranty".'
    mark = local_log(project_dir)[-1]["seq"]
    assert no_change_left(project_dir, capsys)
    assert set(detail_reads_since(project_dir, capsys, mark)) == {f"/v1/convai/agent-testing/{test_id}"}


def test_a_document_edited_in_the_dashboard_and_in_git_is_a_conflict_apply_refuses(applied_project, capsys):
    project_dir = applied_project
    edit_document(project_dir, live_id(project_dir, capsys, DOCUMENT), content=EDITED)
    faq = project_dir / "knowledge" / "support-faq.md"
    faq.write_text(faq.read_text() + "\n## Shipping\nWe ship within two days.\n")

    _, plan = plan_json(project_dir, capsys)
    change = change_of(plan, DOCUMENT)
    assert (change["action"], change["drift"], change["conflict"]) == ("replace", True, True)
    mark = local_log(project_dir)[-1]["seq"]
    assert apply_command.run(project_dir=project_dir, auto_approve=True) == exitcodes.STALE_OR_CONFLICT
    assert "--on-drift" in capsys.readouterr().err
    writes = [e for e in local_log(project_dir, since=mark) if e["method"] in ("POST", "PUT", "PATCH", "DELETE")]
    assert [e["path"] for e in writes if "knowledge-base" in e["path"] or "agents" in e["path"]] == []

    assert applied(project_dir, capsys, on_drift="git-wins") == exitcodes.OK
    assert no_change_left(project_dir, capsys)


def test_a_document_renamed_in_the_dashboard_stays_managed_and_gets_its_name_back(applied_project, capsys):
    project_dir = applied_project
    document_id = live_id(project_dir, capsys, DOCUMENT)
    edit_document(project_dir, document_id, name="Support FAQ (final)")

    _, plan = plan_json(project_dir, capsys)
    change = change_of(plan, DOCUMENT)
    assert (change["action"], change["drift"], change["live_id"]) == ("update", True, document_id)
    assert {"path": "name", "before": "Support FAQ (final)"}.items() <= change["fields"][0].items()
    assert not [c for c in plan["changes"] if c["address"].startswith(DOCUMENT) and c["action"] != "update"]

    assert applied(project_dir, capsys) == exitcodes.OK
    document = as_dashboard(project_dir, lambda client: client.get_document(document_id))
    assert identity.parse_document_name(document["name"]).key == "support-faq"
    assert no_change_left(project_dir, capsys)


def test_a_record_without_timestamps_still_catches_an_edit_and_reads_nothing_for_untouched_versions(
    applied_project, capsys
):
    """Records written before timestamps were kept: a version whose list timestamp equals its creation time was
    never edited; only the others are read."""
    project_dir = applied_project

    async def forget_timestamps(client: Any) -> None:
        [record] = await client.list_documents(types=["text"], search=STATE_DOCUMENT_NAME)
        state = json.loads(await client.get_document_content(record["id"]))
        for kind in ("documents", "tests"):
            for entry in state[kind].values():
                entry.pop("updated_at", None)
        await client.update_document(record["id"], content=json.dumps(state))

    as_dashboard(project_dir, forget_timestamps)
    mark = local_log(project_dir)[-1]["seq"]
    assert no_change_left(project_dir, capsys)
    assert detail_reads_since(project_dir, capsys, mark) == []

    document_id = live_id(project_dir, capsys, DOCUMENT)
    edit_document(project_dir, document_id, content=EDITED)
    _, plan = plan_json(project_dir, capsys)
    assert (change_of(plan, DOCUMENT)["action"], change_of(plan, DOCUMENT)["drift"]) == ("update", True)
    assert applied(project_dir, capsys) == exitcodes.OK
    assert no_change_left(project_dir, capsys)
