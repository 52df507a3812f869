"""From the desired state and the live workspace to the runner's targets: which tests, which live ids, where to run.

Choosing tests (`choose_tests`) and resolving ids (`resolve_ids`, `build_targets`) are pure; `create_missing_tests`
writes (docs/decisions/0060): test definitions are content-addressed and live in the managed folder, so creating the
version a spec describes changes no agent, and the next apply finds it as is. Documents and tools the files' config
needs are created by `testing/versions.py` (docs/decisions/0160).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agentform.model import Desired, DesiredTest
from agentform.plan import identity, payload, resources
from agentform.plan.live import LiveState
from agentform.plan.model import parse_ref
from agentform.plan.resources import tool_versions
from agentform.testing.runner import SuiteTarget

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


@dataclass(frozen=True)
class LiveIds:
    """Live ids of the desired versions: what exists now; `missing` names what does not."""

    documents: dict[str, payload.DocumentRef] = field(default_factory=dict)
    tools: dict[str, str] = field(default_factory=dict)
    tests: dict[str, str] = field(default_factory=dict)
    test_hashes: dict[str, str] = field(default_factory=dict)
    missing_documents: tuple[str, ...] = ()
    missing_tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class Targets:
    """What can run, and why the rest cannot."""

    targets: list[SuiteTarget]
    # One line per agent that cannot be tested, "<agent_key>: <reason and what to run>".
    problems: list[str]


def choose_tests(
    desired: Desired,
    *,
    agent_globs: Sequence[str] = (),
    test_globs: Sequence[str] = (),
    agents: Sequence[str] | None = None,
) -> dict[str, list[DesiredTest]]:
    """Agent key -> its tests matching the filters (agents without a matching test are left out).

    `agent_globs` match agent keys (`--select`), `test_globs` match test keys or `agent/test` addresses (`--test`),
    `agents` is an explicit allow-list (`--changed-since`).
    """
    chosen: dict[str, list[DesiredTest]] = {}
    for address, test in sorted(desired.tests.items()):
        if agents is not None and test.agent_key not in agents:
            continue
        if agent_globs and not any(fnmatch.fnmatchcase(test.agent_key, glob) for glob in agent_globs):
            continue
        if test_globs and not any(
            fnmatch.fnmatchcase(test.key, glob) or fnmatch.fnmatchcase(address, glob) for glob in test_globs
        ):
            continue
        chosen.setdefault(test.agent_key, []).append(test)
    return chosen


def resolve_ids(desired: Desired, live: LiveState) -> LiveIds:
    """The live id of each desired document, tool and test version that exists."""
    # Documents and tests as the planner finds them: a pulled version is the desired one (decision 0124).
    refs = resources.document_refs(desired, live)
    documents = {key: found for key, found in refs.items() if parse_ref(found.id) is None}
    missing_documents = [key for key in refs if key not in documents]
    tools, missing_tools = {}, []
    for key, tool in desired.tools.items():
        live_tool = next((v for v in live.tools_of(key) if v.hash == tool.content_hash()), None)
        if tool.id or live_tool:
            tools[key] = tool.id or live_tool.id  # type: ignore[union-attr]
        else:
            missing_tools.append(key)
    versions = tool_versions(desired)
    hashes = {address: payload.test_content_hash(test, versions) for address, test in desired.tests.items()}
    every_tool = resources.tool_ids(desired, live)
    tests = {
        address: live_test.id
        for address, test in desired.tests.items()
        if (live_test := resources.current_test(test, live, every_tool, versions))
    }
    return LiveIds(documents, tools, tests, hashes, tuple(sorted(missing_documents)), tuple(sorted(missing_tools)))


def missing_tests(chosen: dict[str, list[DesiredTest]], ids: LiveIds) -> list[DesiredTest]:
    """Chosen tests whose desired version does not exist live yet."""
    return [test for tests in chosen.values() for test in tests if test.address not in ids.tests]


async def create_missing_tests(
    client: ElevenLabsClient, desired: Desired, live: LiveState, ids: LiveIds, tests: list[DesiredTest]
) -> LiveIds:
    """Create the desired version of each test in the managed folder; returns `ids` with their new ids."""
    if not tests:
        return ids
    absent = sorted({key for test in tests for key in (test.tool_key, *test.mocked_tool_keys) if key} - set(ids.tools))
    if absent:
        raise LookupError(
            f"tests reference tools whose version does not exist live ({', '.join(absent)}): "
            "run `agentform apply --branch <name>` first"
        )
    folder_id = live.tests_folder_id
    if folder_id is None:
        name = identity.folder_name(desired.settings.project, desired.environment.name)
        folder_id = (await client.create_test_folder(name=name))["id"]
    created = dict(ids.tests)
    for test in tests:
        body = payload.test_payload(
            test, ids.tools, test_hash=ids.test_hashes[test.address], parent_folder_id=folder_id
        )
        created[test.address] = await client.create_test(body)
    return replace(ids, tests=created)


def build_targets(
    desired: Desired,
    live: LiveState,
    chosen: dict[str, list[DesiredTest]],
    ids: LiveIds,
    *,
    branch: str | None = None,
) -> Targets:
    """One target per chosen agent: on `branch` when given, else with the files' config as an override."""
    targets, problems = [], []
    for agent_key, tests in sorted(chosen.items()):
        target = _target(desired, live, agent_key, tests, ids, branch)
        if isinstance(target, SuiteTarget):
            targets.append(target)
        else:
            problems.append(f"{agent_key}: {target}")
    return Targets(targets, problems)


def _target(
    desired: Desired, live: LiveState, agent_key: str, tests: list[DesiredTest], ids: LiveIds, branch: str | None
) -> SuiteTarget | str:
    """The agent's target, or why it cannot be tested and what to run."""
    live_agent = live.agent_by_key(agent_key)
    if live_agent is None:
        return "the agent does not exist live yet: run `agentform apply` first"
    test_ids = [(test, ids.tests[test.address]) for test in tests if test.address in ids.tests]
    if len(test_ids) < len(tests):
        return "some tests do not exist live"
    if branch is not None:
        if live_agent.branch is None:
            return f"the agent has no branch {branch!r}: run `agentform apply --branch {branch}` first"
        return SuiteTarget(agent_key, live_agent.id, test_ids, branch_id=live_agent.branch.id)
    unresolved = _unresolved(desired, agent_key, ids)
    if unresolved:
        return (
            f"{unresolved} not exist live at the files' version, so the working tree cannot be tested as an "
            "override: run `agentform test` without --no-create to create them, or `agentform apply --branch "
            "<name>`, then `agentform test --branch <name>`"
        )
    override = config_override(desired, agent_key, ids)
    return SuiteTarget(agent_key, live_agent.id, test_ids, agent_config_override=override)


def config_override(desired: Desired, agent_key: str, ids: LiveIds) -> dict[str, Any]:
    """`agent_config_override` for run-tests: the agent's desired config with live ids (`plan.payload`)."""
    refs = payload.Refs(
        project=desired.settings.project,
        environment=desired.environment.name,
        documents=ids.documents,
        tools=ids.tools,
        tests=ids.tests,
    )
    # Only tests that exist live can be attached; which tests are attached does not change what a run evaluates.
    attached = [test for test in desired.tests_of(agent_key) if test.address in ids.tests]
    body = payload.agent_payload(desired.agents[agent_key], refs, attached)
    override = {"conversation_config": body["conversation_config"], "platform_settings": body["platform_settings"]}
    if "workflow" in body:
        override["workflow"] = body["workflow"]
    return override


def _unresolved(desired: Desired, agent_key: str, ids: LiveIds) -> str:
    agent = desired.agents[agent_key]
    documents = [ref.key for ref in agent.knowledge if ref.key not in ids.documents]
    tools = [key for key in agent.tools if key not in ids.tools]
    parts = [f"{label} {', '.join(keys)}" for label, keys in (("KB documents", documents), ("tools", tools)) if keys]
    return " and ".join(parts) + (" do" if parts else "")
