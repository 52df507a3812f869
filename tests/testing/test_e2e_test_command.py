"""`agentform test` end to end: the example project applied to a real emulator server, driven over HTTP.

The stand-in model makes outcomes a function of the configuration: the clinic's address lives only in its prompt,
so removing that sentence makes the address test fail and restoring it makes it pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from agentform import exitcodes

pytestmark = pytest.mark.e2e

ADDRESS = "Clinica se află pe Strada Florilor numărul 12, în Cluj-Napoca, lângă Piața Mihai Viteazu.\n"
PROMPT = "agents/clinic-receptionist/prompt.md"


def _forget_address(project) -> None:
    """The receptionist's prompt no longer says where the clinic is: the address test must fail."""
    project.edit(PROMPT, ADDRESS, "")


def _restore_address(project) -> None:
    project.edit(PROMPT, "Răspunde politicos", ADDRESS + "Răspunde politicos")


def _verdicts(output: str) -> dict[str, str]:
    report = json.loads(output)
    return {f"{t['agent_key']}/{t['key']}": t["status"] for a in report["agents"] for t in a["tests"]}


def test_removing_the_address_from_the_prompt_fails_the_address_test_and_restoring_it_passes(live_project, tmp_path):
    code, out = live_project.cli("test", "--select", "clinic-receptionist", "--test", "address", "--json")
    assert code == exitcodes.OK, out
    assert _verdicts(out) == {"clinic-receptionist/address": "passed"}

    _forget_address(live_project)
    junit = tmp_path / "junit.xml"
    mark = live_project.admin("GET", "/requests")["last_seq"]
    code, out = live_project.cli("test", "--test", "address", "--junit", str(junit))
    assert code == exitcodes.TESTS_FAILED, out
    assert "FAIL   address: Clinic address  [0/1 passed, 1 needed]" in out
    assert "Strada Florilor" in out  # the rationale names the phrase the reply lacked
    case = ET.parse(junit).getroot().find("testsuite/testcase[@name='address']")
    assert case.find("failure") is not None

    # The working tree was tested through agent_config_override: the only writes start and poll a test run, and
    # main still has the address.
    log = live_project.admin("GET", "/requests", params={"since": mark})["requests"]
    writes = {(entry["method"], entry["path"].split("/")[-1]) for entry in log if entry["method"] != "GET"}
    assert writes == {("POST", "run-tests")}
    agent = live_project.api(f"/agents/{live_project.agent_id('clinic-receptionist')}")
    assert "Strada Florilor" in agent["conversation_config"]["agent"]["prompt"]["prompt"]

    _restore_address(live_project)
    code, out = live_project.cli("test", "--test", "address")
    assert code == exitcodes.OK, out
    assert "PASS   address" in out


def test_a_branch_carries_the_change_and_is_tested_with_branch_id(live_project):
    _forget_address(live_project)
    code, out = live_project.cli("apply", "--auto-approve", "--branch", "no-address")
    assert code == exitcodes.OK, out
    _restore_address(live_project)  # the files move on

    code, out = live_project.cli("test", "--branch", "no-address", "--test", "clinic-receptionist/address", "--json")
    assert code == exitcodes.TESTS_FAILED
    report = json.loads(out)
    assert report["target"] == "agent branch no-address"
    assert report["agents"][0]["branch_id"]
    code, out = live_project.cli("test", "--test", "clinic-receptionist/address")
    assert code == exitcodes.OK, out


def test_a_branch_that_does_not_exist_is_an_error_that_says_what_to_run(live_project):
    code, out = live_project.cli("test", "--branch", "nope", "--select", "clinic-*", "--json")
    assert code == exitcodes.ERROR
    agent = json.loads(out)["agents"][0]
    assert "run `agentform apply --branch nope` first" in agent["error"]
    assert {t["status"] for t in agent["tests"]} == {"error"}


def test_the_whole_example_suite_runs_with_reports_in_every_format(live_project, tmp_path, capsys):
    junit, markdown = tmp_path / "out" / "junit.xml", tmp_path / "out" / "summary.md"
    capsys.readouterr()
    code, out = live_project.cli("test", "--junit", str(junit), "--markdown", str(markdown), "--json")
    progress = capsys.readouterr().err  # not a terminal: one line per finished invocation
    assert "clinic-receptionist: 4 runs finished" in progress  # the repeat-1 tests; repeat 3 is its own call
    assert "clinic-receptionist: 3 runs finished" in progress and "support-agent:" in progress
    verdicts = _verdicts(out)
    assert len(verdicts) == 10
    assert code == (exitcodes.OK if set(verdicts.values()) == {"passed"} else exitcodes.TESTS_FAILED)
    root = ET.parse(junit).getroot()
    assert {suite.get("name") for suite in root.findall("testsuite")} == {"clinic-receptionist", "support-agent"}
    assert root.get("tests") == "10"
    assert markdown.read_text().startswith("### ")


def test_repeats_show_k_of_n_against_the_threshold(live_project):
    code, out = live_project.cli("test", "--test", "consultation-price", "--json")
    assert code == exitcodes.OK, out
    test = json.loads(out)["agents"][0]["tests"][0]
    assert (test["total_runs"], test["pass_threshold"]) == (3, 0.66)  # repeat: 3 in the spec
    code, out = live_project.cli("test", "--test", "consultation-price", "--repeat", "2", "--json")
    assert code == exitcodes.OK, out
    assert json.loads(out)["agents"][0]["tests"][0]["total_runs"] == 2


def test_a_pinned_failure_is_reported_with_its_rationale_and_reply(live_project):
    code, out = live_project.cli("test", "--test", "opening-hours", "--json")
    assert code == exitcodes.OK, out
    test_id = json.loads(out)["agents"][0]["tests"][0]["test_id"]
    live_project.admin(
        "POST",
        "/pins",
        json={"test_id": test_id, "status": "failed", "rationale": "Wrong hours.", "reply": "Non-stop."},
    )
    code, out = live_project.cli("test", "--test", "opening-hours")
    assert code == exitcodes.TESTS_FAILED
    assert "rationale: Wrong hours." in out and "reply:     Non-stop." in out


def test_a_run_that_does_not_finish_in_time_is_cancelled_and_is_an_error(live_project):
    live_project.admin("PUT", "/settings", json={"eval_delay_secs": 30})
    code, out = live_project.cli("test", "--test", "address", "--timeout", "1", "--json")
    assert code == exitcodes.ERROR
    agent = json.loads(out)["agents"][0]
    assert "timed out after 1s" in agent["error"]
    invocation = live_project.api(f"/test-invocations/{agent['invocation_ids'][0]}")
    assert invocation["cancelled"] is True


def test_the_installed_command_line_exits_3_on_a_failing_test(live_project):
    _forget_address(live_project)
    result = subprocess.run(
        [sys.executable, "-m", "agentform", "test", "-C", str(live_project.root), "--test", "address"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == exitcodes.TESTS_FAILED, result.stderr
    assert "FAIL   address" in result.stdout


def test_changed_since_runs_only_the_agents_a_change_touches_and_says_why(live_project):
    live_project.edit(PROMPT, "Răspunde politicos", "Răspunde foarte politicos")
    code, out = live_project.cli("test", "--changed-since", "HEAD", "--json")
    assert code == exitcodes.OK, out
    report = json.loads(out)
    assert {agent["agent_key"] for agent in report["agents"]} == {"clinic-receptionist"}
    assert report["selection"] == ["clinic-receptionist: agents/clinic-receptionist/prompt.md changed"]

    code, out = live_project.cli("test", "--changed-since", "HEAD")
    assert "Selected agents:\n  clinic-receptionist: agents/clinic-receptionist/prompt.md changed" in out


def test_changed_since_a_commit_with_nothing_relevant_runs_nothing(live_project):
    code, out = live_project.cli("test", "--changed-since", "HEAD", "--json")
    assert code == exitcodes.OK
    assert json.loads(out)["agents"] == []


def test_a_changed_kb_document_without_creating_its_version_says_what_to_run(live_project):
    live_project.edit("knowledge/support-faq.md", "two-year warranty", "three-year warranty")
    code, out = live_project.cli("test", "--changed-since", "HEAD", "--no-create", "--json")
    assert code == exitcodes.ERROR
    report = json.loads(out)
    assert report["selection"] == ["support-agent: knowledge document support-faq changed (knowledge/support-faq.md)"]
    error = report["agents"][0]["error"]
    assert "KB documents support-faq do not exist live" in error
    assert "agentform apply --branch <name>" in error


def test_ref_tests_the_files_at_a_commit_without_checking_it_out(live_project):
    with live_project.committed_only(PROMPT, ADDRESS, ""):
        live_project.ref_fails_and_working_tree_passes("address")


def test_secret_values_never_reach_the_report(live_project, tmp_path):
    code, out = live_project.cli("test", "--test", "opening-hours", "--json")
    assert code == exitcodes.OK, out
    test_id = json.loads(out)["agents"][0]["tests"][0]["test_id"]
    secret = "local-development-token"  # CLINIC_WEBHOOK_TOKEN, a secret variable of the local environment
    live_project.admin("POST", "/pins", json={"test_id": test_id, "status": "failed", "reply": f"Token {secret}"})
    junit, markdown = tmp_path / "junit.xml", tmp_path / "summary.md"
    for args in (("--json",), ("--junit", str(junit), "--markdown", str(markdown))):
        code, out = live_project.cli("test", "--test", "opening-hours", *args)
        assert code == exitcodes.TESTS_FAILED
        assert secret not in out and "(sensitive value)" in out
    assert secret not in junit.read_text() and secret not in markdown.read_text()
