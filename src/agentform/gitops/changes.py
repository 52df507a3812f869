"""Which agents a change touches: git paths changed since a ref, mapped to agents with the reason for each.

`changed_paths` is the I/O (gitpython); `select_agents` is a pure function of those paths and the desired state,
so "a KB document changed, therefore every agent that references it" is tested without git. The comparison is
`git diff <since>...<head>` (from the merge base, as a pull request shows it); with no head it is the working
tree, staged and unstaged changes and untracked files included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import git

from agentform.model import Desired
from agentform.plan.model import ResourceChange
from agentform.project.sources import CONFIG_FILE, PROJECT_DIRS

PROJECT_FILE = CONFIG_FILE


class ChangeDetectionError(Exception):
    """The repository or a ref cannot be read (not a git repo, unknown ref)."""


@dataclass(frozen=True)
class Selection:
    """The agents to act on and, for each, why: the files that changed and how they reach the agent."""

    since_ref: str
    head_ref: str | None
    changed_files: tuple[str, ...]
    reasons: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def agents(self) -> list[str]:
        return sorted(self.reasons)

    @property
    def project_files(self) -> list[str]:
        """The changed files agentform reads (agentform.yaml and the project folders); a README is not one."""
        return [path for path in self.changed_files if path == CONFIG_FILE or path.split("/", 1)[0] in PROJECT_DIRS]

    def __contains__(self, agent_key: object) -> bool:
        return agent_key in self.reasons

    def explain(self) -> list[str]:
        """One line per selected agent, then a line for a change that selects nothing."""
        head = self.head_ref or "the working tree"
        if not self.reasons:
            return [
                f"No agent is affected by the {len(self.changed_files)} files changed between {self.since_ref} "
                f"and {head}."
            ]
        return [f"{agent}: {'; '.join(reasons)}" for agent, reasons in sorted(self.reasons.items())]


def changed_agents(project_root: Path, since_ref: str, head_ref: str | None, desired: Desired) -> Selection:
    """The agents of `desired` whose files, prompts, KB documents, tools or tests changed since `since_ref`."""
    paths = changed_paths(project_root, since_ref, head_ref)
    return select_agents(paths, desired, since_ref=since_ref, head_ref=head_ref)


def changed_paths(project_root: Path, since_ref: str, head_ref: str | None = None) -> list[str]:
    """Paths under `project_root`, relative to it (posix), that differ between the refs (renames: both sides)."""
    try:
        repo = git.Repo(project_root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise ChangeDetectionError(f"{project_root} is not inside a git repository") from error
    with repo:
        since, head = _commit(repo, since_ref), _commit(repo, head_ref) if head_ref else None
        bases = repo.merge_base(since, head or repo.head.commit) if repo.head.is_valid() else []
        base = bases[0] if bases else since
        diffs = base.diff(head if head is not None else None)
        paths = {path for diff in diffs for path in (diff.a_path, diff.b_path) if path}
        if head is None:
            paths.update(repo.untracked_files)
        prefix = _project_prefix(repo, project_root)
    return sorted(_relative(path, prefix) for path in paths if _is_under(path, prefix))


def select_agents(
    paths: Iterable[str], desired: Desired, *, since_ref: str = "", head_ref: str | None = None
) -> Selection:
    """Map changed project paths to the agents they affect, keeping every reason."""
    paths = sorted(set(paths))
    reasons: dict[str, list[str]] = {}
    for path in paths:
        for agent_key, reason in _affected(path, desired):
            reasons.setdefault(agent_key, [])
            if reason not in reasons[agent_key]:
                reasons[agent_key].append(reason)
    return Selection(
        since_ref=since_ref,
        head_ref=head_ref,
        changed_files=tuple(paths),
        reasons={agent: tuple(found) for agent, found in sorted(reasons.items())},
    )


def _affected(path: str, desired: Desired) -> list[tuple[str, str]]:
    """(agent key, reason) pairs for one changed path."""
    parts = PurePosixPath(path).parts
    if path == PROJECT_FILE:
        return [(agent, f"{PROJECT_FILE} changed (affects every agent)") for agent in desired.agents]
    if len(parts) >= 3 and parts[0] == "agents" and parts[1] in desired.agents:
        return [(parts[1], f"{path} changed")]
    if len(parts) >= 3 and parts[0] == "tests_specs" and parts[1] in desired.agents:
        return [(parts[1], f"test spec {path} changed")]
    if len(parts) == 2 and parts[0] == "knowledge":
        key = _stem(parts[1])
        return [
            (agent.key, f"knowledge document {key} changed ({path})")
            for agent in desired.agents.values()
            if any(ref.key == key for ref in agent.knowledge)
        ]
    if len(parts) == 2 and parts[0] == "tools":
        key = _stem(parts[1])
        by_agent = [(agent.key, "uses") for agent in desired.agents.values() if key in agent.tools]
        by_test = [
            (test.agent_key, f"test {test.key} references")
            for test in desired.tests.values()
            if key == test.tool_key or key in test.mocked_tool_keys
        ]
        return [(agent, f"tool {key} changed ({path}); {how} it") for agent, how in by_agent + by_test]
    return []


def _stem(filename: str) -> str:
    # `prices.url` and its settings file `prices.yaml` are one document: the key is the name without its suffix.
    return PurePosixPath(filename).stem


def _commit(repo: git.Repo, ref: str) -> git.Commit:
    try:
        return repo.commit(ref)
    except (git.BadName, git.BadObject, ValueError) as error:
        raise ChangeDetectionError(
            f"unknown git ref {ref!r} (fetch it first? CI checkouts are often shallow)"
        ) from error


def _project_prefix(repo: git.Repo, project_root: Path) -> str:
    top = Path(repo.working_tree_dir or ".").resolve()
    relative = project_root.resolve().relative_to(top).as_posix()
    return "" if relative == "." else relative + "/"


def _is_under(path: str, prefix: str) -> bool:
    return path.startswith(prefix)


def _relative(path: str, prefix: str) -> str:
    return path[len(prefix) :]


def touched_by_plan(changes: Iterable[ResourceChange], desired: Desired) -> dict[str, tuple[str, ...]]:
    """Per agent key, why the plan touches it: its own change, or one of a KB document, tool or test it references.

    Deploys test these, whatever git says changed: a plan against live main also carries what an earlier deploy left
    undone (cancelled, failed on the lock, or rolled back)."""
    reasons: dict[str, list[str]] = {}
    for change in changes:
        if not change.is_change or change.action == "delete":
            continue
        for agent_key, reason in _reached_by(change, desired):
            reasons.setdefault(agent_key, [])
            if reason not in reasons[agent_key]:
                reasons[agent_key].append(reason)
    return {key: tuple(found) for key, found in sorted(reasons.items())}


def _reached_by(change: ResourceChange, desired: Desired) -> list[tuple[str, str]]:
    what = f"{change.action} {change.address}"
    if change.kind == "agent" and change.key in desired.agents:
        return [(change.key, f"the plan has {what}")]
    if change.kind == "test":
        agent_key = change.key.split("/", 1)[0]
        return [(agent_key, f"the plan has {what}")] if agent_key in desired.agents else []
    if change.kind == "document":
        users = [
            agent.key for agent in desired.agents.values() if any(ref.key == change.key for ref in agent.knowledge)
        ]
    elif change.kind == "tool":
        users = [agent.key for agent in desired.agents.values() if change.key in agent.tools]
        users += [
            t.agent_key for t in desired.tests.values() if change.key == t.tool_key or change.key in t.mocked_tool_keys
        ]
    else:
        users = []
    return [(key, f"the plan has {what}, which it references") for key in dict.fromkeys(users)]
