"""`import --all`, the pure part: which live agents to adopt, under which keys, and one set of files for all of them.

Keys are slugs of the live names. Agents sharing a slug are ordered by creation time (then id), so the oldest keeps
the plain slug and the others get `-2`, `-3`, ...: the same workspace always gives the same keys, and an agent
created later never takes the key of one imported before. Every collision is reported (docs/decisions/0121).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agentform.adopt.importer import Existing, ImportResult, unique_key
from agentform.plan import identity
from agentform.testing.from_conversation import slugify


@dataclass(frozen=True)
class Candidate:
    """A live agent to import and the key it gets."""

    agent_id: str
    name: str
    key: str


@dataclass
class Choice:
    """What `import --all` will import, and what it leaves alone and why."""

    candidates: list[Candidate] = field(default_factory=list)
    # Already ours: tagged for this project and environment, or adopted through `id:` by one of its files.
    already_managed: int = 0
    # Tagged by another agentform project or environment: its files live in that repository.
    managed_elsewhere: list[str] = field(default_factory=list)
    # "<name>: <id> -> <key>, <id> -> <key>" for every slug that more than one agent (or a file) wanted.
    collisions: list[str] = field(default_factory=list)


def choose(
    summaries: Iterable[Mapping[str, Any]],
    *,
    project: str,
    environment: str,
    adopted_ids: Mapping[str, str],
    taken_keys: Iterable[str],
    select: Sequence[str] = (),
) -> Choice:
    """The agents of `summaries` (the agents list) not managed by (`project`, `environment`) yet, keyed uniquely.

    `adopted_ids`: live id -> key of the project's files with `id:`; `taken_keys`: agent keys the project has.
    `select` globs match the derived key or the live name.
    """
    owner = identity.owner_tag(project, environment)
    choice = Choice()
    fresh: list[Mapping[str, Any]] = []
    for summary in summaries:
        tags = [str(tag) for tag in summary.get("tags") or []]
        if owner in tags or str(summary.get("agent_id")) in adopted_ids:
            choice.already_managed += 1
        elif any(identity.is_marker_tag(tag) for tag in tags):
            choice.managed_elsewhere.append(f"{summary.get('name')!r} ({summary.get('agent_id')})")
        else:
            fresh.append(summary)
    used = set(taken_keys)
    by_slug: dict[str, list[Candidate]] = {}
    for summary in sorted(fresh, key=_creation_order):
        name = str(summary.get("name") or "")
        slug = slugify(name, fallback="agent")
        key = unique_key(slug, used)
        used.add(key)
        by_slug.setdefault(slug, []).append(Candidate(str(summary["agent_id"]), name, key))
    for slug, candidates in sorted(by_slug.items()):
        if len(candidates) > 1 or candidates[0].key != slug:
            named = ", ".join(f"{c.agent_id} ({c.name!r}) -> {c.key}" for c in candidates)
            choice.collisions.append(f"{slug}: {named}")
    chosen = [c for candidates in by_slug.values() for c in candidates if _selected(c, select)]
    choice.candidates = sorted(chosen, key=lambda candidate: candidate.key)
    return choice


def _creation_order(summary: Mapping[str, Any]) -> tuple[int, str]:
    created = summary.get("created_at_unix_secs")
    return (created if isinstance(created, int) else 0, str(summary.get("agent_id")))


def _selected(candidate: Candidate, globs: Sequence[str]) -> bool:
    return not globs or any(
        fnmatch.fnmatchcase(candidate.key, g) or fnmatch.fnmatchcase(candidate.name, g) for g in globs
    )


def passed_on(existing: Existing, result: ImportResult) -> Existing:
    """`existing` plus what one agent's import wrote: the next agent reuses its tools and documents."""
    return replace(
        existing,
        tool_ids={**existing.tool_ids, **result.tool_keys},
        tool_keys=existing.tool_keys | set(result.tool_keys.values()),
        document_ids={**existing.document_ids, **result.document_keys},
        document_keys=existing.document_keys | set(result.document_keys.values()),
    )


@dataclass
class Combined:
    """The files of every imported agent, each path once, and what the user must be told."""

    files: dict[str, str] = field(default_factory=dict)
    results: list[ImportResult] = field(default_factory=list)
    # Tests attached to several agents: a spec belongs to one agent, so each agent gets its own copy.
    shared_tests: list[str] = field(default_factory=list)


def combine(results: Sequence[ImportResult], test_owners: Mapping[str, Sequence[str]]) -> Combined:
    """One file set from the agents' results (`passed_on` made shared files identical, so the last one stands).

    `test_owners`: live test id -> keys of the agents it is attached to.
    """
    combined = Combined(results=list(results))
    for result in results:
        combined.files.update(result.files)
    for test_id, owners in sorted(test_owners.items()):
        if len(owners) > 1:
            combined.shared_tests.append(f"test {test_id} is attached to {', '.join(owners)}: one spec for each")
    return combined
