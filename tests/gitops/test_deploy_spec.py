"""What a deploy leaves behind, read from the places a user or the next run reads it: the report's lines, the state
record, and the live workspace. Each case pins one decision of `gitops/deploy.py` that the end-to-end loops pass
through without looking at (the mutation group `deploy` in docs/testing.md)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from tests.gitops.world import (
    ADDRESS_SENTENCE,
    AGENT,
    GREETING,
    REPOSITORY,
    World,
    dispatch_event,
    pr_event,
    push_event,
)

from agentform import exitcodes
from agentform.cli import main
from agentform.emulator import DEV_API_KEY
from agentform.plan.read import read_workspace
from agentform.project.loader import load_desired
from agentform.state.lock import LockInfo, list_locks
from agentform.state.record import save_record

pytestmark = pytest.mark.e2e

SUPPORT = "support-agent"
PROMPT = f"agents/{AGENT}/prompt.md"
AGENT_FILE = f"agents/{AGENT}/agent.yaml"
SUPPORT_GREETING = ("How can I help you today?", "How may I help you today?")


def _push(world: World, message: str, *edits: tuple[str, str, str]) -> tuple[str, str]:
    """A commit on main with `edits` (path, old, new): (before, after)."""
    world.repo.git.checkout("main")
    before = world.repo.head.commit.hexsha
    for path, old, new in edits:
        world.edit(path, old, new)
    return before, world.commit(message)


def _branch_rows(report: str) -> list[list[str]]:
    """The rows of the report's agent branch table, cell by cell, without the code marks."""
    section = report.split("### Agent branches", 1)[1].split("###", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]


def _affected(report: str) -> str:
    """The report's list of the agents the deploy tested, and why."""
    return report.split("\n### Affected agents\n", 1)[1].split("\n### ", 1)[0].strip()


def _agent_id(world: World, key: str) -> str:
    [agent] = world.live(lambda c: c.list_agents(tags=[f"af-key:{key}"]))
    return agent["agent_id"]


def test_a_rolled_back_agent_is_reported_by_key_and_its_record_entry_names_the_rollbacks_version_unverified(
    world: World,
):
    original = world.main_config()
    before, after = _push(world, "Shorter prompt", (PROMPT, ADDRESS_SENTENCE, ""))

    assert world.deploy(before, after) == exitcodes.TESTS_FAILED

    restored = world.main_config()
    assert f"- ↩️ `{AGENT}` rolled back to `{original['version_id']}`: restored exactly" in world.report()
    entry = world.state_record()["agents"][AGENT]
    assert entry["version_id"] == restored["version_id"] != original["version_id"], "the rollback's own version"
    assert entry["updated_at"] == restored["metadata"]["updated_at_unix_secs"]
    assert entry["verified"] is False, "a plan's read must vouch for it again before drift is judged on it"


def _forget_the_receptionist(world: World) -> None:
    """Drop the receptionist's entry from the state record, as if the record never held it."""

    async def forget(client):
        desired = load_desired(world.root, env="local")
        workspace = await read_workspace(client, desired)
        workspace.record.agents.pop(AGENT)
        await save_record(client, desired, workspace)

    world.live(forget)


def test_a_rolled_back_agent_the_record_did_not_hold_before_the_deploy_is_left_out_of_it(world: World):
    _forget_the_receptionist(world)
    before, after = _push(world, "Shorter prompt", (PROMPT, ADDRESS_SENTENCE, ""))

    assert world.deploy(before, after) == exitcodes.TESTS_FAILED

    assert "Strada Florilor" in world.main_config()["conversation_config"]["agent"]["prompt"]["prompt"]
    assert AGENT not in world.state_record()["agents"], "the deploy's own entry went with its version"


def test_a_deploy_whose_write_of_an_agent_the_record_did_not_hold_failed_still_rolls_back_and_says_so(world: World):
    _forget_the_receptionist(world)
    fault = {
        "kind": "status",
        "method": "PATCH",
        "path": f"/v1/convai/agents/{world.agent_id()}",
        "status": 400,
        "count": 1,
    }
    httpx.post(f"{world.emulator_url}/_emulator/faults", json=fault, headers={"xi-api-key": DEV_API_KEY})
    before, after = _push(world, "Greeting", (AGENT_FILE, *GREETING))

    assert world.deploy(before, after) == exitcodes.ERROR

    assert "the changed agents were rolled back" in world.report()
    assert AGENT not in world.state_record()["agents"]


def test_a_rollback_to_a_version_whose_tests_were_deleted_fails_the_deploy_naming_the_agent_and_the_tests(world: World):
    # Someone deleted two of the receptionist's tests in the dashboard: main still lists them, so the version a
    # rollback restores does too. The support agent changes in the same push and rolls back cleanly after it.
    attached = [item["test_id"] for item in world.main_config()["platform_settings"]["testing"]["attached_tests"]]
    gone = attached[:2]
    for test_id in gone:
        world.live(lambda c, test_id=test_id: c.delete_test(test_id))
    before, after = _push(
        world,
        "Shorter prompt, new greeting",
        (PROMPT, ADDRESS_SENTENCE, ""),
        (f"agents/{SUPPORT}/agent.yaml", *SUPPORT_GREETING),
    )

    assert world.deploy(before, after) == exitcodes.ERROR

    report = world.report()
    broken = "; ".join(f"{AGENT}: test {test_id}" for test_id in gone)
    assert f"**Error:** after the rollback, references do not resolve: {broken}\n" in report
    assert f"- ↩️ `{SUPPORT}` rolled back to" in report


def test_a_deploy_reports_the_merged_branch_and_the_superseded_one_both_archived(world: World):
    base = world.repo.head.commit.hexsha
    greeting = world.open_pr(1, "greeting", [(AGENT_FILE, *GREETING)])
    calmer = world.open_pr(2, "calmer", [(AGENT_FILE, "temperature: 0.3", "temperature: 0.1")])
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(1, "greeting", greeting, base)) == 0
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(2, "calmer", calmer, base)) == 0

    assert world.deploy(*world.merge_pr(1, "greeting")) == exitcodes.OK
    merged_version = world.main_config()["version_id"]
    receptionist_rows = [row[1:] for row in _branch_rows(world.report()) if row[0] == AGENT]
    assert receptionist_rows == [["pr-1", merged_version, "merged into main; branch archived"]], (
        "merged, so not also applied to main"
    )

    # pr-2 was tested without pr-1's change: main gets the plan directly, and the PR's branch is done with.
    assert world.deploy(*world.merge_pr(2, "calmer")) == exitcodes.OK
    assert [AGENT, "pr-2", "-", "superseded by the direct apply; branch archived"] in _branch_rows(world.report())
    assert world.branches()["pr-2"]["is_archived"]


def test_what_left_git_is_deleted_one_deploy_later_once_no_rollback_point_needs_it_and_the_report_counts_it(
    world: World,
):
    [services] = [
        item["id"]
        for item in world.main_config()["conversation_config"]["agent"]["prompt"]["knowledge_base"]
        if item["name"].startswith("clinic-services")
    ]
    (world.root / "knowledge" / "clinic-services.txt").unlink()
    before, after = _push(world, "No services list", (AGENT_FILE, "  - {key: clinic-services, usage_mode: auto}\n", ""))

    assert world.deploy(before, after) == exitcodes.OK
    assert world.document_exists(services), "the rollback point (main before this deploy) still references it"
    assert "Deleted" not in world.report()

    assert world.deploy(*_push(world, "Greeting", (AGENT_FILE, *GREETING))) == exitcodes.OK
    assert not world.document_exists(services)
    assert "> Deleted 1 superseded or removed managed resource(s) nothing references." in world.report()


def test_a_branch_gone_when_the_deploy_archives_it_does_not_keep_the_next_one_from_being_archived(world: World):
    base = world.repo.head.commit.hexsha
    edits = [(AGENT_FILE, *GREETING), (f"agents/{SUPPORT}/agent.yaml", *SUPPORT_GREETING)]
    head = world.open_pr(3, "greetings", edits)
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(3, "greetings", head, base)) == 0
    # The receptionist's branch answers 404 from here on, as one deleted by hand would.
    gone = f"/v1/convai/agents/{world.agent_id()}/branches/{world.branches()['pr-3']['id']}"
    fault = {"kind": "status", "method": "PATCH", "path": gone, "status": 404}
    httpx.post(f"{world.emulator_url}/_emulator/faults", json=fault, headers={"xi-api-key": DEV_API_KEY})

    assert world.deploy(*world.merge_pr(3, "greetings")) == exitcodes.OK

    support_id = _agent_id(world, SUPPORT)
    branches = {item["name"]: item for item in world.live(lambda c: c.list_branches(support_id, include_archived=True))}
    assert branches["pr-3"]["is_archived"] is True
    rows = [row[:2] for row in _branch_rows(world.report())]
    assert [SUPPORT, "pr-3"] in rows and [AGENT, "pr-3"] not in rows, "a branch gone is not reported archived"


def test_a_deploy_plans_and_selects_from_the_pushed_commit_not_from_what_else_lies_in_the_working_tree(world: World):
    before, after = _push(world, "Greeting", (AGENT_FILE, *GREETING))
    # Later edits, not committed: one to the same file, one to another agent's.
    world.edit(AGENT_FILE, GREETING[1], "Vă ascult.")
    world.edit(f"agents/{SUPPORT}/agent.yaml", *SUPPORT_GREETING)

    assert world.deploy(before, after) == exitcodes.OK

    assert world.main_config()["conversation_config"]["agent"]["first_message"].endswith(GREETING[1])
    report = world.report()
    assert "- **Plan: 0 to add, 1 to change, 0 to destroy.**" in report
    plan = report.split("\n### Plan\n", 1)[1].split("\n### Agent branches\n", 1)[0]
    assert f"<code>~ agent.{AGENT}</code> will be updated in place" in plan
    assert GREETING[1] in plan and "Vă ascult." not in plan
    assert [AGENT, "main", "applied to main"] in [[row[0], row[1], row[3]] for row in _branch_rows(report)]
    assert (
        _affected(report) == f"- {AGENT}: the plan has update agent.{AGENT}; {AGENT_FILE} changed since {before[:12]}"
    )


def test_a_dispatched_deploys_rollback_names_the_commit_it_deployed(world: World):
    original = world.main_config()
    _, after = _push(world, "Shorter prompt", (PROMPT, ADDRESS_SENTENCE, ""))

    assert world.run_workflow("agentform-deploy.yml", "workflow_dispatch", dispatch_event()) == exitcodes.TESTS_FAILED

    restored = world.main_config()
    version = world.live(lambda c: c.get_version(restored["agent_id"], restored["version_id"]))
    reason = f"smoke tests failed after deploying {after[:12]}"
    assert version["version_description"] == f"Rollback to {original['version_id']} ({reason})"


def _locks_once_taken(world: World, *, within_secs: float = 30.0) -> list[LockInfo]:
    """The environment's locks, read as soon as there is one: polls the emulator's server thread."""
    deadline = time.monotonic() + within_secs
    while time.monotonic() < deadline:
        locks = world.live(lambda c: list_locks(c, "example-voice-agents", "local"))
        if locks:
            return locks
        time.sleep(0.05)
    raise AssertionError(f"no lock was taken within {within_secs} s")


def test_while_a_deploy_runs_its_lock_names_the_workflow_run_and_the_commit_it_deploys(world: World):
    before, after = _push(world, "Greeting", (AGENT_FILE, *GREETING))
    # The agent's update takes three seconds: the lock is there to be read meanwhile.
    fault = {"kind": "latency", "method": "PATCH", "path": "/v1/convai/agents/*", "latency_ms": 3000, "count": 1}
    httpx.post(f"{world.emulator_url}/_emulator/faults", json=fault, headers={"xi-api-key": DEV_API_KEY})

    with ThreadPoolExecutor(max_workers=1) as pool:
        deploy = pool.submit(world.deploy, before, after)
        [lock] = _locks_once_taken(world)
        assert deploy.result() == exitcodes.OK

    assert lock.holder == f"GitHub Actions run https://github.com/{REPOSITORY}/actions/runs/{world.run_id}"
    assert lock.purpose == f"ci deploy of {after[:12]}"


def _smoke_specs(world: World, agent: str) -> set[str]:
    folder = world.root / "tests_specs" / agent
    return {spec.stem for spec in folder.glob("*.yaml") if "\nsmoke: true\n" in spec.read_text(encoding="utf-8")}


def test_a_deploy_runs_the_smoke_tests_of_the_agents_it_touches_and_no_other_test(world: World):
    assert world.deploy(*_push(world, "Greeting", (AGENT_FILE, *GREETING))) == exitcodes.OK

    tested = json.loads((world.report_folder() / "agentform-tests.json").read_text(encoding="utf-8"))
    assert [agent["agent_key"] for agent in tested["agents"]] == [AGENT]
    assert {test["key"] for test in tested["agents"][0]["tests"]} == _smoke_specs(world, AGENT)
    assert _smoke_specs(world, AGENT) < {spec.stem for spec in (world.root / "tests_specs" / AGENT).glob("*.yaml")}


def test_a_deploy_waits_for_its_smoke_tests_no_longer_than_its_poll_timeout(world: World):
    settings = {"eval_delay_secs": 5}
    httpx.put(f"{world.emulator_url}/_emulator/settings", json=settings, headers={"xi-api-key": DEV_API_KEY})
    before, after = _push(world, "Greeting", (AGENT_FILE, *GREETING))

    code = world.run_workflow(
        "agentform-deploy.yml", "push", push_event(before, after), options=("--poll-timeout", "1")
    )

    assert code == exitcodes.ERROR, "a test not judged in time is never a pass"
    assert "timed out" in world.report()


def test_a_deploy_that_touches_no_agent_says_so_and_tests_nothing(world: World):
    world.repo.git.checkout("main")
    before = world.repo.head.commit.hexsha
    (world.root / "NOTES.md").write_text("Deployed by hand.\n", encoding="utf-8")

    assert world.deploy(before, world.commit("Notes")) == exitcodes.OK

    report = world.report()
    assert "> No agent is affected by this deploy: nothing to smoke-test." in report
    assert "### Tests" not in report
    assert world.invocations(world.agent_id()) == [], "no test ran"
    assert world.state_record()["deploy"]["passed_commit"] == world.repo.head.commit.hexsha


def test_a_passed_deploy_records_main_before_it_as_the_rollback_point_with_everything_that_version_references(
    world: World,
):
    first_before, first = _push(world, "Greeting", (AGENT_FILE, *GREETING))
    assert world.deploy(first_before, first) == exitcodes.OK
    main_after_first = world.main_config()

    assert world.deploy(*_push(world, "Calmer", (AGENT_FILE, "temperature: 0.3", "temperature: 0.1"))) == 0
    changed = f"{AGENT_FILE} changed since the last passed deploy"
    assert _affected(world.report()) == f"- {AGENT}: the plan has update agent.{AGENT}; {changed}"

    point = world.state_record()["deploy"]["rollback_points"][AGENT]
    prompt = main_after_first["conversation_config"]["agent"]["prompt"]
    attached = main_after_first["platform_settings"]["testing"]["attached_tests"]
    assert point == {
        "agent_id": main_after_first["agent_id"],
        "version_id": main_after_first["version_id"],
        "commit": first,
        "documents": [item["id"] for item in prompt["knowledge_base"]],
        "tools": prompt["tool_ids"],
        "tests": [item["test_id"] for item in attached],
    }


def test_when_the_pushs_base_is_not_in_the_clone_a_deploy_tests_what_its_plan_touches_and_says_why(world: World):
    _, after = _push(world, "Greeting", (AGENT_FILE, *GREETING))
    rewritten = "1" * 40  # a force-push: the old tip is in no clone

    assert world.deploy(rewritten, after) == exitcodes.OK

    report = world.report()
    assert "> Testing what the plan touches only: " in report and rewritten[:12] in report
    assert _affected(report) == f"- {AGENT}: the plan has update agent.{AGENT}"


def _document_ids(world: World, key: str) -> list[str]:
    return [item["id"] for item in world.live(lambda c: c.list_documents(search=key)) if item["name"].startswith(key)]


def test_a_deploy_whose_smoke_tests_fail_deletes_nothing_that_left_git(world: World):
    world.repo.git.checkout("main")
    before = world.repo.head.commit.hexsha
    (world.root / "knowledge" / "press-kit.md").write_text("Clinica Dentară Zâmbet, fondată în 2009.\n")
    assert world.deploy(before, world.commit("Press kit")) == exitcodes.OK
    [press_kit] = _document_ids(world, "press-kit")
    (world.root / "knowledge" / "press-kit.md").unlink()

    before, after = _push(world, "No press kit, shorter prompt", (PROMPT, ADDRESS_SENTENCE, ""))
    assert world.deploy(before, after) == exitcodes.TESTS_FAILED

    assert world.document_exists(press_kit), "deletes wait for the smoke tests, and these failed"
    assert "- document.press-kit" in world.report(), "the plan did mean to delete it"


ROLLOUT_POLICY = "    rollout: {steps: [20, 50], min_conversations: 50, max_regression: 0.15}\n"


@pytest.mark.parametrize("rollout", [False, True], ids=["merge", "canary"])
def test_of_two_tested_branches_carrying_the_same_change_the_merged_prs_is_the_one_promoted(world: World, rollout):
    if rollout:
        world.edit("agentform.yaml", "    prune: true\n", "    prune: true\n" + ROLLOUT_POLICY)
        world.commit("Roll changes out as canaries")
    base = world.repo.head.commit.hexsha
    first = world.open_pr(1, "greeting", [(AGENT_FILE, *GREETING)])
    twin = world.open_pr(2, "greeting-again", [(AGENT_FILE, *GREETING)])
    # The twin's branch is checked last, so it is the newest of the two.
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(1, "greeting", first, base)) == 0
    assert world.run_workflow("agentform-pr.yml", "pull_request", pr_event(2, "greeting-again", twin, base)) == 0

    assert world.deploy(*world.merge_pr(1, "greeting")) == exitcodes.OK

    branches = world.branches()
    if rollout:
        agent_id = world.agent_id()
        deployments = world.live(lambda c: c.list_deployments(agent_id))
        split = next(item for item in deployments if item["is_active"])["traffic_percentage_branch_id_map"]
        assert split.get(branches["pr-1"]["id"]) == 20 and branches["pr-2"]["id"] not in split
    else:
        main = world.main_config()
        version = world.live(lambda c: c.get_version(main["agent_id"], main["version_id"]))
        assert version["parents"]["merged_from_branch_id"] == branches["pr-1"]["id"]
        assert branches["pr-1"]["is_archived"] and not branches["pr-2"]["is_archived"]


ACCESS_CODE_TEST = """\
kind: llm
name: Access code
smoke: true
chat_history:
  - user: Care este codul de acces?
success_condition: 'The agent sends the caller to "Strada Florilor".'
success_examples:
  - Clinica se află pe Strada Florilor numărul 12.
failure_examples:
  - Codul de acces este secret.
"""


def test_a_smoke_test_reply_that_speaks_a_secret_is_masked_in_the_report_and_the_summary(world: World):
    # A first message that embeds a secret variable, and a smoke test the agent answers with it, and fails.
    world.repo.git.checkout("main")
    before = world.repo.head.commit.hexsha
    (world.root / "tests_specs" / AGENT / "access-code.yaml").write_text(ACCESS_CODE_TEST, encoding="utf-8")
    world.edit(AGENT_FILE, GREETING[0], "Codul de acces este ${CLINIC_WEBHOOK_TOKEN}.")

    assert world.deploy(before, world.commit("Access code")) == exitcodes.TESTS_FAILED

    secret = "local-development-token"  # the local environment's value of CLINIC_WEBHOOK_TOKEN
    texts = [world.report(), *(path.read_text() for path in world.root.parent.glob("summary-*.md"))]
    texts += [(world.report_folder() / name).read_text() for name in ("agentform-tests.json", "agentform-tests.xml")]
    assert "Codul de acces este" in world.report(), "the failed test's reply is shown"
    assert all(secret not in text for text in texts)


def test_a_deploy_whose_smoke_tests_fail_collects_no_garbage(world: World):
    # A test run of an edited FAQ from the working tree left a document version that nothing uses: garbage the
    # next passed deploy collects, and a failed one leaves.
    faq = world.root / "knowledge" / "clinic-faq.md"
    faq.write_text(faq.read_text(encoding="utf-8") + "\n## Parcare\nParcare gratuită.\n", encoding="utf-8")
    known = set(_document_ids(world, "clinic-faq"))
    world.monkeypatch.chdir(world.root)
    assert main(["test", "--env", "local", "--select", AGENT]) == exitcodes.OK
    [tested_faq] = set(_document_ids(world, "clinic-faq")) - known
    world.repo.git.checkout("--", "knowledge/clinic-faq.md")

    prompt = (world.root / PROMPT).read_text(encoding="utf-8")
    assert world.deploy(*_push(world, "Shorter prompt", (PROMPT, ADDRESS_SENTENCE, ""))) == exitcodes.TESTS_FAILED
    assert world.document_exists(tested_faq), "a failed deploy collects nothing"

    before = world.repo.head.commit.hexsha
    (world.root / PROMPT).write_text(prompt, encoding="utf-8")
    assert world.deploy(before, world.commit("The address again")) == exitcodes.OK
    assert not world.document_exists(tested_faq), "a passed one does"
