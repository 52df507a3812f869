"""The KB document and tool versions a test run of the files needs, created the way apply creates them
(docs/decisions/0160).

Documents and tools are content-addressed: the version a file describes is a new resource that nothing references
until an agent does, so creating it for an `agent_config_override` run changes nothing that main or any branch
uses. The creates go through apply's executor under the environment lock, so they are journaled, recorded in the
state record (tools are owned only there) and found again by the next plan, whose garbage collection removes them
once nothing references them. Nothing is collected here: another test run may be using a version right now.

`missing_versions` and `creation_plan` are pure; `create_versions` is the write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from agentform.model import Desired, DesiredTest
from agentform.plan import identity, payload, resources
from agentform.plan.live import LiveState
from agentform.plan.model import Plan
from agentform.redact import Redactor
from agentform.testing.targets import LiveIds, resolve_ids

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

# The executor skips garbage collection for writes that serve a branch rather than main; a test run's creates serve
# no agent at all, so they are applied as such. No agent change is in the plan, so no branch is ever written.
_NOT_MAIN = "agentform-test-run"


@dataclass(frozen=True)
class MissingVersions:
    """What a test run creates before it runs: document and tool keys, and test definitions."""

    documents: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    tests: tuple[DesiredTest, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.documents or self.tools or self.tests)

    def announcement(self) -> str:
        """One line for stderr: "Creating 1 KB document version for the test run; main is not changed"."""
        counts = [
            _count(len(self.documents), "KB document version"),
            _count(len(self.tools), "tool version"),
            _count(len(self.tests), "test definition"),
        ]
        shown = [count for count in counts if count]
        listed = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
        return f"Creating {listed} for the test run; main is not changed"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}" if number else ""


def missing_versions(
    desired: Desired,
    live: LiveState,
    chosen: dict[str, list[DesiredTest]],
    ids: LiveIds,
    *,
    override: bool,
) -> MissingVersions:
    """The versions the chosen tests need that do not exist live.

    Documents and tools only for an `override` run (a branch already references its own) and only for agents that
    exist live (an agent that does not cannot be tested anyway); tools also for the chosen tests that call or mock
    them, since a test definition references its tools by id.
    """
    tests = tuple(test for tests in chosen.values() for test in tests if test.address not in ids.tests)
    if not override:
        return MissingVersions(tests=tests)
    agents = [desired.agents[key] for key in chosen if live.agent_by_key(key) is not None]
    documents = {ref.key for agent in agents for ref in agent.knowledge} & set(ids.missing_documents)
    tool_keys = {key for agent in agents for key in agent.tools}
    tool_keys |= {key for test in tests for key in (test.tool_key, *test.mocked_tool_keys) if key}
    return MissingVersions(tuple(sorted(documents)), tuple(sorted(tool_keys & set(ids.missing_tools))), tests)


def creation_plan(desired: Desired, live: LiveState, documents: Iterable[str], tools: Iterable[str]) -> Plan:
    """A plan made of the creates of these document and tool versions, nothing else.

    Planned with git winning a drift: the live version a replace supersedes is not touched by creating the new one.
    """
    redactor = Redactor(desired.secret_values)
    changes = [resources.document_change(desired.documents[key], live, "git-wins", redactor) for key in documents]
    changes += [resources.tool_change(desired.tools[key], live, "git-wins", redactor) for key in tools]
    return Plan(
        project=live.project,
        environment=live.environment,
        source_revision=desired.settings.source_revision,
        fingerprint=live.fingerprint(),
        changes=[change for change in changes if change.action in ("create", "replace")],
    )


def with_created(desired: Desired, ids: LiveIds, created: dict[str, str]) -> LiveIds:
    """`ids` completed with the live ids of the versions just created (`created`: plan address -> id)."""
    documents, tools = dict(ids.documents), dict(ids.tools)
    for key in ids.missing_documents:
        if f"document.{key}" in created:
            document = desired.documents[key]
            name = identity.desired_document_name(document)
            documents[key] = payload.DocumentRef(created[f"document.{key}"], name, document.kind)
    for key in ids.missing_tools:
        if f"tool.{key}" in created:
            tools[key] = created[f"tool.{key}"]
    return replace(
        ids,
        documents=documents,
        tools=tools,
        missing_documents=tuple(key for key in ids.missing_documents if key not in documents),
        missing_tools=tuple(key for key in ids.missing_tools if key not in tools),
    )


class VersionCreateError(Exception):
    """A document or tool version the test run needs could not be created."""


async def create_versions(
    client: ElevenLabsClient, desired: Desired, wanted: MissingVersions, *, holder: str
) -> LiveIds:
    """Create the wanted document and tool versions under the environment lock; the ids the run then uses.

    What is missing is decided again under the lock, from a fresh read: a version created meanwhile (by an apply or
    another test run) is used, not duplicated. Raises `LockHeld` when another run holds the lock.
    """
    from agentform.apply import apply_plan
    from agentform.plan.read import read_workspace
    from agentform.state.lock import DEFAULT_LOCK_TTL_SECS, environment_lock

    async with environment_lock(client, desired, holder=holder, purpose="test", ttl_secs=DEFAULT_LOCK_TTL_SECS):
        workspace = await read_workspace(client, desired)
        ids = resolve_ids(desired, workspace.live)
        documents = [key for key in wanted.documents if key in ids.missing_documents]
        tools = [key for key in wanted.tools if key in ids.missing_tools]
        plan = creation_plan(desired, workspace.live, documents, tools)
        if not plan.changes:
            return ids
        result = await apply_plan(client, plan, desired, prune=False, branch=_NOT_MAIN, workspace=workspace)
    if not result.ok:
        failed = [f"{entry.address}: {entry.error}" for entry in [*result.failed, *result.skipped]]
        raise VersionCreateError(f"creating the versions for the test run failed: {'; '.join(failed)}")
    return with_created(desired, ids, result.ids)
