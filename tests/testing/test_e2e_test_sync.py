"""Test specs as plan/apply resources, end to end: every kind of spec reaches the emulator with tool keys turned
into live ids, shows in plans, is attached to its agent, and is replaced (not edited) when the spec changes."""

from __future__ import annotations

import json
import textwrap

import pytest

from agentform import exitcodes

pytestmark = pytest.mark.e2e

SPECS = {
    "booking-parameters": """
        kind: tool
        name: Books with the caller's details
        chat_history:
          - user: Aș vrea să fac o programare pentru un detartraj, vineri dimineață. Sunt {{patient_name}}.
        dynamic_variables: {patient_name: Maria Popescu}
        tool: book-appointment
        tool_call_parameters:
          parameters:
            - path: patient_name
              eval: {type: exact, expected_value: Maria Popescu}
            - path: phone
              eval: {type: regex, pattern: '^07\\d{8}$'}
            - path: service
              eval: {type: llm, description: The service is a scaling (detartraj).}
        """,
    "no-booking-for-prices": """
        kind: tool
        name: Does not book when asked about prices
        chat_history:
          - user: Cât costă o consultație?
        tool: book-appointment
        tool_call_parameters:
          verify_absence: true
        """,
}


def _live_tests(project) -> dict[str, dict]:
    """Managed tests by address ("agent/test"), full bodies."""
    from agentform.plan.identity import parse_test_name

    found = {}
    for summary in project.api("/agent-testing", page_size=100)["tests"]:
        marker = parse_test_name(summary["name"])
        if marker:
            found[marker.address] = project.api(f"/agent-testing/{summary['id']}")
    return found


def _tool_id(project, name: str) -> str:
    return next(t["id"] for t in project.api("/tools", page_size=100)["tools"] if t["tool_config"]["name"] == name)


def _write_specs(project, suffix: str = "") -> None:
    for key, text in SPECS.items():
        (project.root / "tests_specs/clinic-receptionist" / f"{key}{suffix}.yaml").write_text(textwrap.dedent(text))


@pytest.fixture
def with_specs(live_project):
    # The module shares one live workspace: each test that applies converges it to its own files first.
    _write_specs(live_project)
    return live_project


def test_new_specs_show_in_the_plan_as_test_creates_and_an_agent_update(live_project):
    _write_specs(live_project, suffix="-new")  # keys no other test applies
    code, out = live_project.cli("plan", "--json")
    assert code == exitcodes.OK, out
    actions = {change["address"]: change["action"] for change in json.loads(out)["changes"]}
    assert actions["test.clinic-receptionist/booking-parameters-new"] == "create"
    assert actions["test.clinic-receptionist/no-booking-for-prices-new"] == "create"
    assert actions["agent.clinic-receptionist"] == "update"  # attached_tests grows
    assert actions["test.clinic-receptionist/address"] == "no-op"


def test_every_kind_round_trips_with_live_tool_ids_and_is_attached_to_its_agent(with_specs):
    code, out = with_specs.cli("apply", "--auto-approve")
    assert code == exitcodes.OK, out
    tests = _live_tests(with_specs)
    book = _tool_id(with_specs, "book_appointment")

    llm = tests["clinic-receptionist/address"]
    assert llm["type"] == "llm"
    assert llm["chat_history"][-1]["role"] == "user" and llm["success_condition"]
    assert llm["success_examples"][0]["type"] == "success" and llm["failure_examples"][0]["type"] == "failure"

    tool = tests["clinic-receptionist/booking-parameters"]
    assert tool["type"] == "tool"
    assert tool["dynamic_variables"] == {"patient_name": "Maria Popescu"}
    assert tool["tool_call_parameters"]["referenced_tool"] == {"id": book, "type": "webhook"}
    assert [p["eval"]["type"] for p in tool["tool_call_parameters"]["parameters"]] == ["exact", "regex", "llm"]
    assert tool["tool_call_parameters"]["parameters"][1]["eval"]["pattern"] == "^07\\d{8}$"
    assert tests["clinic-receptionist/no-booking-for-prices"]["tool_call_parameters"]["verify_absence"] is True

    simulation = tests["clinic-receptionist/booking-conversation"]
    assert simulation["type"] == "simulation"
    assert simulation["simulation_max_turns"] == 8
    assert simulation["tool_mock_config"]["mocked_tool_ids"] == [book]
    assert list(simulation["tool_mock_overrides"]) == [book]

    agent = with_specs.api(f"/agents/{with_specs.agent_id('clinic-receptionist')}")
    attached = {item["test_id"] for item in agent["platform_settings"]["testing"]["attached_tests"]}
    clinic_ids = {body["id"] for address, body in tests.items() if address.startswith("clinic-receptionist/")}
    assert attached == clinic_ids and len(attached) == 7

    code, out = with_specs.cli("test", "--test", "booking-parameters", "--test", "no-booking-for-prices")
    assert code == exitcodes.OK, out


def test_a_changed_spec_is_replaced_by_a_new_version_and_the_agent_switches_to_it(with_specs):
    assert with_specs.cli("apply", "--auto-approve")[0] == exitcodes.OK
    old_id = _live_tests(with_specs)["clinic-receptionist/booking-parameters"]["id"]
    with_specs.edit("tests_specs/clinic-receptionist/booking-parameters.yaml", "^07", "^(07|\\+407)")

    code, out = with_specs.cli("plan", "--json")
    changes = {c["address"]: c["action"] for c in json.loads(out)["changes"]}
    assert changes["test.clinic-receptionist/booking-parameters"] == "replace"
    assert code == exitcodes.OK
    assert with_specs.cli("apply", "--auto-approve")[0] == exitcodes.OK

    new = _live_tests(with_specs)["clinic-receptionist/booking-parameters"]
    assert new["id"] != old_id
    assert new["tool_call_parameters"]["parameters"][1]["eval"]["pattern"] == "^(07|\\+407)\\d{8}$"
    agent = with_specs.api(f"/agents/{with_specs.agent_id('clinic-receptionist')}")
    attached = {item["test_id"] for item in agent["platform_settings"]["testing"]["attached_tests"]}
    assert new["id"] in attached and old_id not in attached
