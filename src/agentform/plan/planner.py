"""`make_plan(desired, live, ...) -> Plan`: matching by identity, then creates, updates, replaces and deletes.

Pure: the live side comes in as a `LiveState` (read by `plan/read.py`), nothing is read or written here.

Order of the changes is apply order: documents, tools, tests, agents (an agent references the ids of all three,
tests reference tools), then deletes in reverse (agents, tests, tools, documents). Within a group, by address.

Selection (`--select GLOB`, repeatable, and `--shard I/N`, see `plan/shard.py`) picks agents by key; the documents,
tools and tests they use come along. With a selection, deletes are planned only for agents (and their tests) matching
it: documents and tools are shared, so their garbage collection needs the whole picture.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentform.model import Desired, DesiredAgent, DesiredDocument, DesiredTest, DesiredTool
from agentform.plan import payload, resources, secrets
from agentform.plan.agents import plan_agent
from agentform.plan.live import LiveAgent, LiveDocument, LiveState, LiveTool
from agentform.plan.model import DriftResolution, Plan, ResourceChange, ResourceKind
from agentform.plan.shard import Shard
from agentform.plan.versions import Version, plan_garbage, shown_version
from agentform.redact import Redactor, resolve_tokens


@dataclass(frozen=True)
class Selection:
    """The desired resources a plan covers."""

    agents: tuple[str, ...]
    documents: tuple[str, ...]
    tools: tuple[str, ...]
    tests: tuple[str, ...]
    globs: tuple[str, ...] = ()
    shard: Shard | None = None

    @property
    def narrowed(self) -> bool:
        """Whether only part of the agents is in view (then shared documents and tools are never collected)."""
        return bool(self.globs) or self.shard is not None

    def covers_agent(self, key: str) -> bool:
        in_globs = not self.globs or any(fnmatch.fnmatchcase(key, glob) for glob in self.globs)
        return in_globs and (self.shard is None or self.shard.holds(key))


@dataclass(frozen=True)
class NeededReads:
    """Detail reads the planner needs beyond the list calls (see `needed_reads`)."""

    document_texts: frozenset[str] = frozenset()
    test_bodies: frozenset[str] = frozenset()
    # Versions the plan would delete: who still references them decides whether the delete is carried out.
    document_dependents: frozenset[str] = frozenset()
    tool_dependents: frozenset[str] = frozenset()
    # Agents whose branches are read for the tests they attach (test versions have no dependents endpoint).
    test_agents: frozenset[str] = frozenset()


def select(desired: Desired, globs: Sequence[str] = (), shard: Shard | None = None) -> Selection:
    """Agents whose key matches any glob (all without globs) and that `shard` holds, plus what they use."""
    scope = Selection((), (), (), (), tuple(globs), shard)
    agents = sorted(key for key in desired.agents if scope.covers_agent(key))
    if not scope.narrowed:
        return Selection(
            tuple(agents), tuple(sorted(desired.documents)), tuple(sorted(desired.tools)), tuple(sorted(desired.tests))
        )
    tests = sorted(address for address, test in desired.tests.items() if test.agent_key in agents)
    documents = {ref.key for key in agents for ref in desired.agents[key].knowledge}
    tools = {tool for key in agents for tool in desired.agents[key].tools}
    for address in tests:
        test = desired.tests[address]
        tools |= {key for key in [test.tool_key, *test.mocked_tool_keys] if key in desired.tools}
    return Selection(tuple(agents), tuple(sorted(documents)), tuple(sorted(tools)), tuple(tests), tuple(globs), shard)


def make_plan(
    desired: Desired,
    live: LiveState,
    *,
    prune: bool,
    select_globs: Sequence[str] = (),
    branch: str | None = None,
    on_drift: DriftResolution = "refuse",
    redactor: Redactor | None = None,
    source_revision: str | None = None,
    shard: Shard | None = None,
) -> Plan:
    """The plan that turns `live` into `desired` (see the module docstring for order and selection)."""
    redactor = redactor or Redactor(desired.secret_values)
    if live.record is not None:
        redactor.remember(live.record.secret_salt, live.record.secret_fingerprints)
    chosen = select(desired, select_globs, shard)
    tool_ids = resources.tool_ids(desired, live)
    tool_versions = resources.tool_versions(desired)

    documents = [
        resources.document_change(desired.documents[key], live, on_drift, redactor) for key in chosen.documents
    ]
    secret_ids = secrets.secret_ids(desired, live)
    tools = [resources.tool_change(desired.tools[key], live, on_drift, redactor, secret_ids) for key in chosen.tools]
    secret_changes = secrets.secret_changes(desired, live, redactor)
    chosen_secrets = [
        c for c in secret_changes if c.action != "delete" and desired.workspace_secrets[c.key].tool_key in chosen.tools
    ]
    # Deleting a secret needs the whole repository in view, as collecting documents and tools does.
    secret_deletes = [] if chosen.narrowed else [c for c in secret_changes if c.action == "delete"]
    tests = [
        resources.test_change(desired.tests[address], live, tool_ids, tool_versions, on_drift, redactor)
        for address in chosen.tests
    ]
    refs = payload.Refs(
        project=live.project,
        environment=live.environment,
        documents=resources.document_refs(desired, live),
        tools=tool_ids,
        tests=resources.test_ids(desired, live),
    )
    tests_by_agent: dict[str, list[DesiredTest]] = {}
    for test in desired.tests.values():
        tests_by_agent.setdefault(test.agent_key, []).append(test)
    agents = [
        _agent_change(desired.agents[key], tests_by_agent.get(key, []), live, refs, on_drift, branch, redactor)
        for key in chosen.agents
    ]
    # A version updated in place (a drift repair) or kept as the desired one (a pulled edit, 0124) is not garbage.
    kept = {change.live_id for change in (*documents, *tests) if change.action in ("update", "no-op")}
    deletes = [change for change in _deletes(desired, live, chosen, prune, branch) if change.live_id not in kept]
    return Plan(
        project=live.project,
        environment=live.environment,
        branch=branch,
        source_revision=source_revision or desired.settings.source_revision,
        fingerprint=live.fingerprint(),
        prune=prune,
        select=list(select_globs),
        on_drift=on_drift,
        changes=[*chosen_secrets, *documents, *tools, *tests, *agents, *deletes, *secret_deletes],
        warnings=_warnings(desired, live),
    )


def needed_reads(
    desired: Desired, live: LiveState, *, prune: bool | None = None, branch: str | None = None
) -> NeededReads:
    """The detail reads a plan needs beyond the lists, by the same rules that plan with what they return.

    - the live version of each text document and test whose content its change diffs against
      (`versions.shown_version`: the newest when replaced, the desired one when edited outside git). Test content
      addresses depend on the tools' content addresses, which only the planner computes;
    - the dependents of each document or tool version the plan would delete and nothing blocks yet (`prune` None:
      no plan is being made, none), so that a version a PR branch still uses shows as kept, as apply keeps it:
      list items name dependent agents, not branches. A no-op plan has no such version and costs nothing extra.
      A narrowed plan (`--select`) shows no such delete; they are read all the same (the read does not know the
      selection), which costs a request per superseded version, and only while one exists.
    """
    texts: set[str] = set()
    for key, document in desired.documents.items():
        if document.kind == "text":
            versions = live.documents_of(key)
            readable = {version.id for version in versions if version.kind == "text"}
            texts |= (
                _unread(document.content_hash(), [resources.document_version(v, live, document) for v in versions])
                & readable
            )
    tool_versions = resources.tool_versions(desired)
    bodies: set[str] = set()
    for address, test in desired.tests.items():
        test_versions = [resources.test_version(v, live) for v in live.tests_of(address)]
        bodies |= _unread(payload.test_content_hash(test, tool_versions), test_versions)
    dependents: dict[str, set[str]] = {"document": set(), "tool": set(), "test": set()}
    if prune is not None:
        ours = _our_agents(live)
        garbage = _test_garbage(desired, live, select(desired), prune, ours, branch)
        for change in garbage + _shared_garbage(desired, live, prune, ours, branch):
            if change.is_change and change.live_id:
                dependents[change.kind].add(change.live_id)
    owners = {test.address.split("/", 1)[0] for test in live.tests if test.id in dependents["test"]}
    return NeededReads(
        frozenset(texts),
        frozenset(bodies),
        frozenset(dependents["document"]),
        frozenset(dependents["tool"]),
        frozenset(agent.id for agent in live.agents if agent.key in owners),
    )


def _unread(wanted_hash: str, versions: list[Version]) -> set[str]:
    """The id of the version whose content the change will show (`shown_version`), when it was not read yet."""
    shown = shown_version(wanted_hash, versions)
    return {shown.id} if shown is not None and shown.content is None else set()


def _deletes(
    desired: Desired, live: LiveState, chosen: Selection, prune: bool, branch: str | None
) -> list[ResourceChange]:
    """Agents gone from git, then garbage and gone versions of tests, tools and documents (reverse apply order)."""
    ours = _our_agents(live)
    changes = _duplicate_agents(live, chosen, prune) + _agent_deletes(desired, live, chosen, prune)
    changes += _test_garbage(desired, live, chosen, prune, ours, branch)
    if not chosen.narrowed:
        # Documents and tools are shared between agents: collecting them needs the whole repository in view.
        changes += _shared_garbage(desired, live, prune, ours, branch)
    return _keep_rollback_references(changes, live)


def _keep_rollback_references(changes: list[ResourceChange], live: LiveState) -> list[ResourceChange]:
    """A version the last deploy's rollback point references is kept: a rollback must find it (decision 0080)."""
    kept = live.record.deploy.protected_ids() if live.record else set()
    return [
        change.model_copy(update={"blocked": "kept: a deploy's rollback point references it"})
        if change.kind != "agent" and change.blocked is None and change.live_id in kept
        else change
        for change in changes
    ]


class DuplicateAgentsError(Exception):
    """Two live agents carry the markers of one key, and without prune the extra one may not be deleted."""


def _duplicate_agents(live: LiveState, chosen: Selection, prune: bool) -> list[ResourceChange]:
    """A delete of each extra agent claiming a key that another holds; without prune an error naming both ids."""
    pairs = [
        (kept, extra)
        for extra in sorted(live.duplicate_agents, key=lambda a: (a.key, a.id))
        if chosen.covers_agent(extra.key) and (kept := live.agent_by_key(extra.key)) is not None
    ]
    if pairs and not prune:
        named = "; ".join(f"{kept.key!r}: {kept.id} and {extra.id}" for kept, extra in pairs)
        raise DuplicateAgentsError(
            f"two live agents claim one agent key ({named}): delete the copy in the dashboard, or plan/apply with "
            "--prune to delete it (the first id of each pair is kept)"
        )
    return [
        ResourceChange(
            # Its own address and key: the delete must not touch the record entry of the agent that stays.
            address=f"agent.{extra.key}#{extra.id}",
            kind="agent",
            key=f"{extra.key}#{extra.id}",
            action="delete",
            live_id=extra.id,
            reason=f"a second live agent with the markers of {extra.key!r}; {kept.id} is the managed one",
        )
        for kept, extra in pairs
    ]


def _test_garbage(
    desired: Desired, live: LiveState, chosen: Selection, prune: bool, ours: Mapping[str, str], branch: str | None
) -> list[ResourceChange]:
    """Deletes of superseded and gone versions of the tests of the chosen agents."""
    tool_versions = resources.tool_versions(desired)
    wanted_tests = {
        address: (payload.test_content_hash(test, tool_versions), test.prevent_destroy)
        for address, test in desired.tests.items()
    }
    tests = {
        address: [resources.test_version(v, live) for v in live.tests_of(address)]
        for address in {test.address for test in live.tests}
        if chosen.covers_agent(address.split("/", 1)[0])
    }
    return _garbage("test", tests, wanted_tests, prune, ours, branch)


def _our_agents(live: LiveState) -> dict[str, str]:
    """Id -> key of the agents we manage: their main branches move off an old version in this apply."""
    return {agent.id: agent.key for agent in live.agents}


def _shared_garbage(
    desired: Desired, live: LiveState, prune: bool, ours: Mapping[str, str], branch: str | None
) -> list[ResourceChange]:
    """Deletes of superseded and gone versions of tools, then documents (shared by agents: never narrowed)."""
    wanted_tools, wanted_documents = _wanted(desired.tools), _wanted(desired.documents)
    tools = {
        key: [resources.tool_version(v, None) for v in live.tools_of(key) if not v.adopted]
        for key in _keys_with_garbage([tool for tool in live.tools if not tool.adopted], wanted_tools)
    }
    documents = {
        key: [resources.document_version(v, live) for v in live.documents_of(key)]
        for key in _keys_with_garbage(live.documents, wanted_documents)
    }
    return _garbage("tool", tools, wanted_tools, prune, ours, branch) + _garbage(
        "document", documents, wanted_documents, prune, ours, branch
    )


def _keys_with_garbage(versions: Sequence[LiveDocument | LiveTool], wanted: Mapping[str, tuple[str, bool]]) -> set[str]:
    """Keys with a live version other than the desired one: only they have a delete to plan (a no-op plan: none)."""
    return {version.key for version in versions if version.hash != wanted.get(version.key, (None, False))[0]}


def _wanted(resources_by_key: Mapping[str, DesiredDocument | DesiredTool]) -> dict[str, tuple[str, bool]]:
    return {key: (item.content_hash(), item.prevent_destroy) for key, item in resources_by_key.items()}


def _garbage(
    kind: ResourceKind,
    versions_by_key: Mapping[str, list[Version]],
    wanted: Mapping[str, tuple[str, bool]],
    prune: bool,
    ours: Mapping[str, str],
    branch: str | None,
) -> list[ResourceChange]:
    changes = []
    for key in sorted(versions_by_key):
        keep_hash, prevent_destroy = wanted.get(key, (None, False))
        changes += plan_garbage(
            kind,
            key,
            versions_by_key[key],
            keep_hash=keep_hash,
            prune=prune,
            prevent_destroy=prevent_destroy,
            our_agents=ours,
            branch=branch,
        )
    return changes


# --- agents ------------------------------------------------------------------------------------------------------


def _agent_change(
    agent: DesiredAgent,
    tests: list[DesiredTest],
    live: LiveState,
    refs: payload.Refs,
    on_drift: DriftResolution,
    branch: str | None,
    redactor: Redactor,
) -> ResourceChange:
    current = _live_agent(agent, live)
    if agent.id is not None and current is None:
        # Adoption names an existing agent; creating a new one instead would be a surprise (see the warning).
        return ResourceChange(
            address=f"agent.{agent.key}",
            kind="agent",
            key=agent.key,
            action="no-op",
            live_id=agent.id,
            reason=f"adopted agent {agent.id} was not found live",
            source=agent.source.path,
        )
    return plan_agent(
        agent.key,
        payload.agent_payload(agent, refs, tests),
        current,
        _last_applied(agent, live),
        on_drift=on_drift,
        branch=branch,
        redactor=redactor,
        source=agent.source.path,
    )


def _live_agent(agent: DesiredAgent, live: LiveState) -> LiveAgent | None:
    if agent.id is not None:
        return next((candidate for candidate in live.agents if candidate.id == agent.id), None)
    return live.agent_by_key(agent.key)


def _last_applied(agent: DesiredAgent, live: LiveState) -> dict | None:
    current = _live_agent(agent, live)
    entry = live.record.agents.get(agent.key) if live.record else None
    if entry is None or current is None or entry.id != current.id:
        return None
    if current.payload is None or live.record is None:
        return entry.payload
    # A secret rotated since: its old value is a token in the record and plain live; equal is not drift.
    return resolve_tokens(entry.payload, current.payload, live.record.secret_salt)


def _agent_deletes(desired: Desired, live: LiveState, chosen: Selection, prune: bool) -> list[ResourceChange]:
    adopted_ids = {agent.id for agent in desired.agents.values() if agent.id}
    changes = []
    for agent in sorted(live.agents, key=lambda a: a.key):
        if (
            agent.key in desired.agents
            or agent.id in adopted_ids
            or agent.adopted
            or not chosen.covers_agent(agent.key)
        ):
            continue
        changes.append(
            ResourceChange(
                address=f"agent.{agent.key}",
                kind="agent",
                key=agent.key,
                action="delete",
                live_id=agent.id,
                delete_ids=[agent.id],
                blocked=None if prune else "not carried out: prune disabled",
                reason="gone from git",
            )
        )
    return changes


def _warnings(desired: Desired, live: LiveState) -> list[str]:
    warnings = []
    if live.record is None and live.agents:
        warnings.append("no state record found: drift cannot be told from changes until the next apply")
    for agent in desired.agents.values():
        if agent.id and not any(candidate.id == agent.id for candidate in live.agents):
            warnings.append(f"agent.{agent.key}: id {agent.id} (from {agent.source.path}) was not found live")
    return warnings
