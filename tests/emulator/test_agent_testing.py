"""Agent tests, test runs judged by the deterministic stand-in model, invocations, pins and evaluation delay."""

from __future__ import annotations

import pytest

from agentform.emulator import standin

PROMPT = (
    "You are the receptionist of Clinica Sfânta Maria. "
    "We are open Monday to Friday from 9 to 17. "
    "Parking is free behind the building."
)


@pytest.fixture
def clinic(api, make_agent):
    return make_agent(
        name="Clinic",
        conversation_config={"agent": {"first_message": "Bună ziua!", "prompt": {"prompt": PROMPT}}},
    )


def make_test(api, **body):
    response = api.post("/v1/convai/agent-testing/create", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def llm_test(api, question, condition='Says "9 to 17"', success=("open 9 to 17",), failure=("closed",)):
    return make_test(
        api,
        type="llm",
        name=f"asks: {question}",
        chat_history=[{"role": "user", "message": question, "time_in_call_secs": 0}],
        success_condition=condition,
        success_examples=[{"response": r, "type": "success"} for r in success],
        failure_examples=[{"response": r, "type": "failure"} for r in failure],
    )


def run(api, agent_id, test_ids, **extra):
    response = api.post(
        f"/v1/convai/agents/{agent_id}/run-tests", json={"tests": [{"test_id": t} for t in test_ids], **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_stand_in_replies_with_the_best_matching_sentence_ignoring_case_and_diacritics():
    pool = standin.candidates(PROMPT, "Bună ziua!", ["Prices start at 100 lei."])

    assert standin.best_reply("when are you OPEN on monday?", pool) == "We are open Monday to Friday from 9 to 17."
    assert standin.best_reply("sfanta maria?", pool) == "You are the receptionist of Clinica Sfânta Maria."
    assert standin.best_reply("how much are the prices", pool) == "Prices start at 100 lei."


def test_an_llm_test_passes_when_the_reply_is_closer_to_success_and_has_the_quoted_phrase(api, clinic):
    passing = llm_test(api, "When are you open?")
    failing = llm_test(api, "Where can I park?")

    invocation = run(api, clinic, [passing, failing])

    by_test = {r["test_id"]: r for r in invocation["test_runs"]}
    assert by_test[passing]["status"] == "passed"
    assert by_test[passing]["agent_responses"][0]["message"] == "We are open Monday to Friday from 9 to 17."
    assert by_test[passing]["condition_result"]["result"] == "success"
    assert by_test[failing]["status"] == "failed"
    assert by_test[failing]["condition_result"]["rationale"]["summary"]


def test_changing_the_prompt_on_a_branch_changes_the_outcome_only_there(api, clinic):
    test_id = llm_test(api, "When are you open?")
    agent = api.get(f"/v1/convai/agents/{clinic}").json()
    branch_id = api.post(
        f"/v1/convai/agents/{clinic}/branches",
        json={
            "parent_version_id": agent["version_id"],
            "name": "pr",
            "description": "",
            "conversation_config": {"agent": {"prompt": {"prompt": "We are closed on weekends."}}},
        },
    ).json()["created_branch_id"]

    on_branch = run(api, clinic, [test_id], branch_id=branch_id)
    on_main = run(api, clinic, [test_id])

    assert on_branch["test_runs"][0]["status"] == "failed"
    assert on_branch["branch_id"] == branch_id
    assert on_main["test_runs"][0]["status"] == "passed"


def test_kb_documents_attached_to_the_agent_are_part_of_what_it_can_say(api, clinic):
    doc_id = api.post("/v1/convai/knowledge-base/text", json={"text": "A consultation costs 200 lei."}).json()["id"]
    api.patch(
        f"/v1/convai/agents/{clinic}",
        json={
            "conversation_config": {
                "agent": {
                    "prompt": {
                        "knowledge_base": [{"type": "text", "name": "prices", "id": doc_id, "usage_mode": "prompt"}]
                    }
                }
            }
        },
    )
    test_id = llm_test(api, "How much is a consultation?", condition='Says "200 lei"', success=("costs 200 lei",))

    assert run(api, clinic, [test_id])["test_runs"][0]["status"] == "passed"


def test_agent_config_override_is_tested_instead_of_the_stored_config(api, clinic):
    test_id = llm_test(api, "When are you open?")

    invocation = run(
        api,
        clinic,
        [test_id],
        agent_config_override={
            "conversation_config": {"agent": {"prompt": {"prompt": "Sorry, we are closed."}}},
            "platform_settings": {},
        },
    )

    assert invocation["test_runs"][0]["status"] == "failed"


def test_a_tool_test_passes_when_the_agent_references_the_tool_matching_the_user_turn(api, clinic):
    tool_id = api.post(
        "/v1/convai/tools",
        json={"tool_config": {"type": "client", "name": "book_appointment", "description": "Book a visit"}},
    ).json()["id"]
    test = {
        "type": "tool",
        "chat_history": [{"role": "user", "message": "I want to book an appointment", "time_in_call_secs": 0}],
        "tool_call_parameters": {"referenced_tool": {"id": tool_id, "type": "client"}, "parameters": []},
    }
    called = make_test(api, name="books", **test)
    absent = make_test(
        api,
        name="must not book",
        **{**test, "tool_call_parameters": {**test["tool_call_parameters"], "verify_absence": True}},
    )

    before = run(api, clinic, [called, absent])
    api.patch(
        f"/v1/convai/agents/{clinic}", json={"conversation_config": {"agent": {"prompt": {"tool_ids": [tool_id]}}}}
    )
    after = run(api, clinic, [called, absent])

    assert [r["status"] for r in before["test_runs"]] == ["failed", "passed"]
    assert [r["status"] for r in after["test_runs"]] == ["passed", "failed"]
    assert after["test_runs"][0]["agent_responses"][0]["tool_calls"][0]["tool_name"] == "book_appointment"


def test_a_simulation_passes_when_the_quoted_phrases_are_said_during_the_turns(api, clinic):
    passing = make_test(
        api,
        type="simulation",
        name="parking",
        simulation_scenario="The caller asks where to park. Then asks about opening days.",
        simulation_max_turns=2,
        success_conditions=['The agent mentions "free" parking', 'The agent says "Monday"'],
    )
    failing = make_test(
        api, type="simulation", name="x", simulation_scenario="Asks for a doctor.", success_condition='Says "Dr. Pop"'
    )

    invocation = run(api, clinic, [passing, failing])

    passed, failed = invocation["test_runs"]
    assert passed["status"] == "passed"
    assert [i["role"] for i in passed["agent_responses"]] == ["user", "agent", "user", "agent"]
    assert failed["status"] == "failed"


def test_a_simulation_test_without_any_success_condition_is_rejected(api):
    response = api.post("/v1/convai/agent-testing/create", json={"type": "simulation", "name": "x"})

    assert response.status_code == 422


def test_runs_stay_pending_until_the_evaluation_delay_has_passed(api, clinic, clock):
    test_id = llm_test(api, "When are you open?")
    api.put("/_emulator/settings", json={"eval_delay_secs": 5})

    invocation = run(api, clinic, [test_id])
    pending = api.get(f"/v1/convai/test-invocations/{invocation['id']}").json()
    clock.advance(5)
    done = api.get(f"/v1/convai/test-invocations/{invocation['id']}").json()

    assert invocation["test_runs"][0]["status"] == "pending"
    assert "condition_result" not in pending["test_runs"][0]
    assert done["test_runs"][0]["status"] == "passed"


def test_the_delay_of_one_invocation_can_be_changed_through_the_admin_api(api, clinic):
    api.put("/_emulator/settings", json={"eval_delay_secs": 1000})
    invocation = run(api, clinic, [llm_test(api, "When are you open?")])

    api.patch(f"/_emulator/test-invocations/{invocation['id']}", json={"eval_delay_secs": 0})

    assert api.get(f"/v1/convai/test-invocations/{invocation['id']}").json()["test_runs"][0]["status"] == "passed"


def test_cancel_marks_pending_runs_cancelled(api, clinic):
    api.put("/_emulator/settings", json={"eval_delay_secs": 60})
    invocation = run(api, clinic, [llm_test(api, "When are you open?")])

    api.post(f"/v1/convai/test-invocations/{invocation['id']}/cancel")

    cancelled = api.get(f"/v1/convai/test-invocations/{invocation['id']}").json()
    assert cancelled["cancelled"] is True
    assert cancelled["test_runs"][0]["status"] == "cancelled"


def test_resubmit_evaluates_runs_again_against_the_current_config(api, clinic):
    test_id = llm_test(api, "When are you open?")
    invocation = run(api, clinic, [test_id])
    run_id = invocation["test_runs"][0]["test_run_id"]
    api.patch(f"/v1/convai/agents/{clinic}", json={"conversation_config": {"agent": {"prompt": {"prompt": "Closed."}}}})

    api.post(
        f"/v1/convai/test-invocations/{invocation['id']}/resubmit", json={"test_run_ids": [run_id], "agent_id": clinic}
    )

    again = api.get(f"/v1/convai/test-invocations/{invocation['id']}").json()["test_runs"][0]
    assert (again["test_run_id"], again["status"]) == (run_id, "failed")


def test_repeat_count_creates_n_runs_per_test_and_fills_result_groups(api, clinic):
    test_id = llm_test(api, "When are you open?")

    invocation = run(api, clinic, [test_id], repeat_count=3)

    assert len(invocation["test_runs"]) == 3
    assert invocation["bucketing_status"] == "completed"
    [group] = invocation["result_groups"]
    assert group["test_id"] == test_id
    assert [(b["status"], len(b["test_run_ids"])) for b in group["buckets"]] == [("passed", 3)]


def test_a_pinned_result_overrides_the_stand_in_model(api, clinic):
    test_id = llm_test(api, "When are you open?")

    api.post("/_emulator/pins", json={"test_id": test_id, "status": "failed", "rationale": "pinned", "reply": "no"})
    pinned = run(api, clinic, [test_id])["test_runs"][0]
    api.delete("/_emulator/pins")
    unpinned = run(api, clinic, [test_id])["test_runs"][0]

    assert (pinned["status"], pinned["condition_result"]["rationale"]["summary"]) == ("failed", "pinned")
    assert pinned["agent_responses"][0]["message"] == "no"
    assert unpinned["status"] == "passed"


def test_invocations_are_listed_per_agent_with_counts(api, clinic, make_agent):
    test_id = llm_test(api, "When are you open?")
    run(api, clinic, [test_id])
    run(api, make_agent(), [test_id])

    listed = api.get("/v1/convai/test-invocations", params={"agent_id": clinic}).json()["results"]

    assert len(listed) == 1
    assert (listed[0]["test_run_count"], listed[0]["passed_count"], listed[0]["pending_count"]) == (1, 1, 0)


def test_tests_are_listed_read_replaced_with_put_and_deleted(api):
    folder = api.post("/v1/convai/agent-testing/folders", json={"name": "agentform"}).json()
    test_id = make_test(api, type="llm", name="t1", success_condition="ok", parent_folder_id=folder["id"])

    replaced = api.put(
        f"/v1/convai/agent-testing/{test_id}", json={"type": "llm", "name": "t2", "success_condition": "x"}
    )
    listed = api.get("/v1/convai/agent-testing", params={"parent_folder_id": folder["id"]}).json()["tests"]
    folder_view = api.get(f"/v1/convai/agent-testing/folders/{folder['id']}").json()

    assert replaced.json()["name"] == "t2"
    assert [t["id"] for t in listed] == [test_id]
    assert folder_view["children_count"] == 1
    assert api.delete(f"/v1/convai/agent-testing/{test_id}").status_code == 200
    assert api.get(f"/v1/convai/agent-testing/{test_id}").status_code == 404
    assert api.patch(f"/v1/convai/agent-testing/folders/{folder['id']}", json={"name": "n"}).json()["name"] == "n"
    assert api.delete(f"/v1/convai/agent-testing/folders/{folder['id']}").status_code == 200


def test_each_test_type_reads_back_as_it_was_defined(api):
    bodies = [
        {"type": "llm", "name": "l", "success_condition": "polite", "success_examples": [], "failure_examples": []},
        {
            "type": "tool",
            "name": "t",
            "tool_call_parameters": {"referenced_tool": {"id": "tool_x", "type": "webhook"}, "parameters": []},
        },
        {"type": "simulation", "name": "s", "simulation_scenario": "asks", "success_conditions": ['says "hi"']},
    ]

    for body in bodies:
        test = api.get(f"/v1/convai/agent-testing/{make_test(api, **body)}").json()
        assert {k: test[k] for k in body} == body
