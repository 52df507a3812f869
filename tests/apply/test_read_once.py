"""Read once (docs/decisions/0111): an auto-approved apply reuses its plan's reads when nobody applied since, and
plans again when someone did; two first applies at once make one managed folder."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from tests.apply.helpers import agent, desired, in_process_client, last_seq, new_app, request_log
from tests.apply.test_commands import local_log
from tests.apply.test_commands import project as project  # the example project, copied
from tests.support.desired import desired_state

from agentform import exitcodes
from agentform.apply import Journal
from agentform.commands import apply as apply_command
from agentform.plan import identity
from agentform.plan.fresh import make_fresh_plan


def change_one_prompt(project_dir: Path) -> None:
    prompt = project_dir / "agents" / "support-agent" / "prompt.md"
    prompt.write_text(prompt.read_text() + "\nMention the opening hours when asked.\n")


def test_one_changed_prompt_reads_the_workspace_once_and_costs_twelve_requests(project, capsys):
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    mark = local_log(project)[-1]["seq"]
    change_one_prompt(project)
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    log = local_log(project, since=mark)
    sent = [(entry["method"], entry["path"]) for entry in log]
    lists = Counter(
        (entry["path"], entry["query"]) for entry in log if entry["method"] == "GET" and entry["path"].count("/") <= 4
    )
    assert lists and max(lists.values()) == 1, f"a list read twice: {lists}"
    patches = [path for method, path in sent if method == "PATCH"]
    assert [path.split("/")[3] for path in patches] == ["agents", "knowledge-base"], "the agent, then the record"
    # The example's webhook token lives in a workspace secret (decision 0091) that the record vouches for: no list
    # of secrets (decision 0112).
    assert ("GET", "/v1/convai/secrets") not in sent
    assert len(sent) <= 12


def test_a_first_apply_reads_the_workspace_once_when_no_record_changed_meanwhile(project, capsys):
    """Decision 0114: with no record of its own to compare, a first apply compares every record document of the
    workspace in the lock's list call with what its plan's search saw."""
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    log = local_log(project)
    agent_lists = [e for e in log if e["method"] == "GET" and e["path"] == "/v1/convai/agents"]
    assert len(agent_lists) == 1, "the plan's reads were reused under the lock"


def test_a_first_apply_reads_again_when_a_record_appeared_since_its_plan():
    def files(environment: str):
        return desired_state([agent("desk", "Hello.")], project="clinic", environment=environment, backend="emulator")

    async def first_apply(client, want):
        planned = await make_fresh_plan(client, want, prune=False)
        return planned, await apply_command.apply_with_lock(
            client, want, planned.plan, prune=False, journal=Journal(), replan=None, planned_from=planned.workspace
        )

    async def agent_lists(app, since):
        return [e for e in await request_log(app, since=since) if e["path"] == "/v1/convai/agents"]

    async def scenario():
        app = new_app()
        async with in_process_client(app) as client:
            ours = files("local")
            planned = await make_fresh_plan(client, ours, prune=False)
            await first_apply(client, files("staging"))  # another environment, between our plan and our lock
            mark = await last_seq(app)

            async def replan(c):
                return await make_fresh_plan(c, ours, prune=False)

            _, result = await apply_command.apply_with_lock(
                client,
                ours,
                planned.plan,
                prune=False,
                journal=Journal(),
                replan=replan,
                planned_from=planned.workspace,
            )
            assert result.ok
            return await agent_lists(app, mark)

    assert len(asyncio.run(scenario())) == 1, "a record it did not see appeared: the workspace was read again"


def test_an_apply_whose_workspace_another_apply_changed_since_its_plan_plans_again_under_the_lock():
    def files(prompt: str):
        return desired(agents=[agent("desk", prompt)])

    async def applied(client, want, planned=None, replan=None):
        planned = planned or await make_fresh_plan(client, want, prune=False)
        return await apply_command.apply_with_lock(
            client, want, planned.plan, prune=False, journal=Journal(), replan=replan, planned_from=planned.workspace
        )

    async def scenario():
        async with in_process_client(new_app()) as client:
            await applied(client, files("One."))
            ours = await make_fresh_plan(client, files("Two."), prune=False)
            await applied(client, files("Three."))  # someone else, between our plan and our lock
            replanned = []

            async def replan(c):
                replanned.append(True)
                return await make_fresh_plan(c, files("Two."), prune=False)

            _, result = await applied(client, files("Two."), ours, replan)
            left = (await make_fresh_plan(client, files("Two."), prune=False)).plan.has_changes
            return replanned, result.ok, left

    assert asyncio.run(scenario()) == ([True], True, False)


def test_two_first_applies_at_once_make_one_managed_folder():
    want = desired(agents=[agent("desk")])

    async def scenario():
        async with in_process_client(new_app()) as client:
            plans = [await make_fresh_plan(client, want, prune=False) for _ in range(2)]

            async def replan(c):
                return await make_fresh_plan(c, want, prune=False)

            await asyncio.gather(
                *(
                    apply_command.apply_with_lock(
                        client,
                        want,
                        planned.plan,
                        prune=False,
                        journal=Journal(),
                        lock_wait_secs=30,
                        replan=replan,
                        planned_from=planned.workspace,
                    )
                    for planned in plans
                )
            )
            name = identity.folder_name("clinic", "local")
            folders = await client.list_documents(types=["folder"], search=name)
            agents = await client.list_agents(tags=[identity.owner_tag("clinic", "local")])
            return [f["name"] for f in folders], len(agents)

    assert asyncio.run(scenario()) == ([identity.folder_name("clinic", "local")], 1)


def test_a_first_apply_reads_nothing_back_after_its_creates(project, capsys):
    """Created versions are vouched for by their creation time, garbage collection starts from the plan's reads and
    retry twins are looked for only after a retried create: no list call follows the creates of tests and agents."""
    assert apply_command.run(project_dir=project, auto_approve=True) == exitcodes.OK
    log = local_log(project)
    first_create = next(i for i, entry in enumerate(log) if entry["method"] == "POST" and "create" in entry["path"])
    listed_after = [
        entry["path"] for entry in log[first_create:] if entry["method"] == "GET" and entry["path"].count("/") <= 4
    ]
    assert listed_after == []
