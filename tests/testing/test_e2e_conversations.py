"""Conversations into tests, end to end: seed a call in the emulator, list and show it, write a spec from it,
and run that spec against the unchanged agent over HTTP."""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from agentform import exitcodes
from agentform.project import load_desired

pytestmark = pytest.mark.e2e

BOOKING_PARAMS = {
    "patient_name": "Maria Popescu",
    "phone": "0722123456",
    "service": "detartraj",
    "preferred_date": "2026-11-27",
}


def _seed(project, agent_key: str, transcript: list[dict], **fields) -> str:
    body = {"agent_id": project.agent_id(agent_key), "transcript": transcript, **fields}
    return project.admin("POST", "/conversations", json=body)["conversation_id"]


@pytest.fixture
def clinic_call(live_project) -> str:
    """A liked call: a parking question answered from the KB, then a booking through the webhook tool."""
    call = {
        "type": "webhook",
        "request_id": "req-1",
        "tool_name": "book_appointment",
        "params_as_json": json.dumps(BOOKING_PARAMS),
        "tool_has_been_called": True,
    }
    transcript = [
        {"role": "agent", "message": "Alo, bună ziua! Cu ce vă pot ajuta astăzi?", "time_in_call_secs": 0},
        {"role": "user", "message": "Unde pot parca mașina?", "time_in_call_secs": 3},
        {
            "role": "agent",
            "message": "Pacienții pot parca gratuit în parcarea din spatele clădirii, timp de două ore.",
            "time_in_call_secs": 5,
        },
        {
            "role": "user",
            "message": "Aș vrea să fac o programare pentru un detartraj, vineri.",
            "time_in_call_secs": 12,
        },
        {"role": "agent", "message": None, "time_in_call_secs": 14, "tool_calls": [call]},
        {"role": "agent", "message": "V-am programat vineri la ora 9.", "time_in_call_secs": 16},
        {"role": "user", "message": "Mulțumesc!", "time_in_call_secs": 20},
    ]
    return _seed(live_project, "clinic-receptionist", transcript, feedback="like", call_summary_title="Parcare")


def _spec(project, key: str) -> dict:
    return YAML(typ="safe").load((project.root / "tests_specs" / "clinic-receptionist" / f"{key}.yaml").read_text())


def test_a_reply_from_a_real_call_becomes_a_spec_that_validates_and_passes_on_the_unchanged_agent(
    live_project, clinic_call
):
    code, out = live_project.cli("tests", "from-conversation", clinic_call, "--turn", "1")
    assert code == exitcodes.OK, out
    assert "Wrote tests_specs/clinic-receptionist/unde-pot-parca-masina.yaml" in out
    spec = _spec(live_project, "unde-pot-parca-masina")
    assert spec["kind"] == "llm"
    assert spec["chat_history"][-1] == {"user": "Unde pot parca mașina?"}
    assert spec["success_examples"] == [
        "Pacienții pot parca gratuit în parcarea din spatele clădirii, timp de două ore."
    ]
    assert spec["from_conversation_metadata"]["conversation_id"] == clinic_call
    desired = load_desired(live_project.root)
    assert "clinic-receptionist/unde-pot-parca-masina" in desired.tests

    code, out = live_project.cli("test", "--test", "unde-pot-parca-masina", "--json")
    assert code == exitcodes.OK, out
    test = json.loads(out)["agents"][0]["tests"][0]
    assert test["status"] == "passed"
    # The test was created live (content-addressed, in the managed folder) and links back to the call.
    live_test = live_project.api(f"/agent-testing/{test['test_id']}")
    assert live_test["from_conversation_metadata"]["conversation_id"] == clinic_call
    assert live_test["from_conversation_metadata"]["agent_id"] == live_project.agent_id("clinic-receptionist")


def test_a_tool_call_from_a_real_call_becomes_a_tool_test_on_the_projects_tool(live_project, clinic_call):
    code, out = live_project.cli("tests", "from-conversation", clinic_call, "--turn", "2", "--key", "books-from-call")
    assert code == exitcodes.OK, out
    spec = _spec(live_project, "books-from-call")
    assert spec["kind"] == "tool"
    assert spec["tool"] == "book-appointment"
    checks = {p["path"]: p["eval"] for p in spec["tool_call_parameters"]["parameters"]}
    assert checks["service"] == {"type": "exact", "expected_value": "detartraj"}
    code, out = live_project.cli("test", "--test", "books-from-call")
    assert code == exitcodes.OK, out


def test_as_failure_records_the_reply_as_what_must_not_happen(live_project, clinic_call):
    code, out = live_project.cli(
        "tests", "from-conversation", clinic_call, "--turn", "1", "--as-failure", "--key", "parking-bad"
    )
    assert code == exitcodes.OK, out
    spec = _spec(live_project, "parking-bad")
    assert spec["success_examples"] == [] and len(spec["failure_examples"]) == 1
    # The unchanged agent still gives that reply, so the test fails until the prompt or KB changes.
    code, out = live_project.cli("test", "--test", "parking-bad")
    assert code == exitcodes.TESTS_FAILED, out


def test_an_existing_spec_is_kept_unless_forced(live_project, clinic_call):
    args = ("tests", "from-conversation", clinic_call, "--turn", "1", "--key", "address")
    original = (live_project.root / "tests_specs/clinic-receptionist/address.yaml").read_text()
    code, _ = live_project.cli(*args)
    assert code == exitcodes.ERROR
    assert (live_project.root / "tests_specs/clinic-receptionist/address.yaml").read_text() == original
    code, _ = live_project.cli(*args, "--force")
    assert code == exitcodes.OK
    assert _spec(live_project, "address")["chat_history"][-1] == {"user": "Unde pot parca mașina?"}


def test_a_call_of_an_agent_this_project_does_not_manage_needs_agent(live_project):
    body = {"agent_id": "agent_somebody_else", "transcript": [{"role": "user", "message": "Hi"}]}
    conversation_id = live_project.admin("POST", "/conversations", json=body)["conversation_id"]
    code, _ = live_project.cli("tests", "from-conversation", conversation_id)
    assert code == exitcodes.ERROR
    assert not list((live_project.root / "tests_specs").glob("*/hi.yaml"))


def test_conversations_list_filters_by_agent_and_feedback(live_project, clinic_call):
    disliked = _seed(
        live_project,
        "support-agent",
        [{"role": "user", "message": "My thermostat is broken"}, {"role": "agent", "message": "Sorry."}],
        feedback="dislike",
    )
    code, out = live_project.cli("conversations", "list")
    assert code == exitcodes.OK
    assert clinic_call in out and disliked in out and "clinic-receptionist" in out
    code, out = live_project.cli("conversations", "list", "--feedback", "dislike", "--json")
    assert [c["conversation_id"] for c in json.loads(out)["conversations"]] == [disliked]
    code, out = live_project.cli("conversations", "list", "--agent", "clinic-receptionist", "--since", "1h", "--json")
    listed = [c["conversation_id"] for c in json.loads(out)["conversations"]]
    assert clinic_call in listed and disliked not in listed
    code, _ = live_project.cli("conversations", "list", "--agent", "nobody")
    assert code == exitcodes.ERROR
    code, _ = live_project.cli("conversations", "list", "--since", "last tuesday")
    assert code == exitcodes.ERROR


def test_conversations_show_numbers_the_user_turns_for_turn(live_project, clinic_call):
    code, out = live_project.cli("conversations", "show", clinic_call)
    assert code == exitcodes.OK
    assert "agent clinic-receptionist" in out and "feedback like" in out
    assert "[1] user: Unde pot parca mașina?" in out
    assert "[2] user: Aș vrea să fac o programare" in out
    assert '-> book_appointment({"patient_name": "Maria Popescu"' in out
