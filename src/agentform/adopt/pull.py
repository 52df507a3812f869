"""`agentform pull`, the pure part: live edits of managed resources, made since the last apply, written into the
files that declare them (docs/decisions/0122).

The plan says what drifted (`ResourceChange.drift`, from the 3-way comparison with the state record); this module
says where each drifted field lives in the files and what may be written there:

- a field the file sets through `${VAR}` keeps its reference: the live value is reported, never written over it;
- a value holding a secret's value, or a credential header, is never written;
- references (`knowledge:`, `tools:`, tests) and the marker part of names are reported: the files name them by key;
- a field the file changed too since the last apply is a conflict: nothing is written unless `force`.

Edits go through `yamledit` (comments, key order, quoting and overlays kept): a field set by the environment's
overlay is written there, any other in the base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agentform.adopt import yamledit
from agentform.adopt.values import escaped, spec_of_test
from agentform.model import Desired, DesiredTest, DesiredTool
from agentform.plan import identity, payload, resources
from agentform.plan.agents import agent_drift
from agentform.plan.diff import NOT_SET, changed_paths, get_path
from agentform.plan.live import LiveState
from agentform.plan.model import Plan, ResourceChange
from agentform.plan.normalize import comparable, normalize_agent, normalize_test, normalize_tool
from agentform.plan.secrets import secret_ids, with_secret_ids
from agentform.project.variables import has_reference
from agentform.redact import Redactor

FieldPath = tuple[Any, ...]
PROMPT = ("conversation_config", "agent", "prompt", "prompt")
# Filled in by agentform from `knowledge:`, `tools:` and tests_specs/: the files name them by key, not by id.
REFERENCES = (
    ("conversation_config", "agent", "prompt", "knowledge_base"),
    ("conversation_config", "agent", "prompt", "tool_ids"),
    ("platform_settings", "testing", "attached_tests"),
)


@dataclass
class PullResult:
    """The files to write (path -> new text) and, per file and field, what was pulled, kept or in conflict."""

    files: dict[str, str] = field(default_factory=dict)
    pulled: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def pull_changes(
    desired: Desired,
    plan: Plan,
    live: LiveState,
    *,
    read_file: Callable[[str], str],
    redactor: Redactor,
    force: bool = False,
) -> PullResult:
    """What `pull` writes for `plan` (made with `on_drift="refuse"` against `live`); `read_file` reads a project
    file's text. With conflicts and without `force`, `files` is empty: nothing may be written."""
    edits = _Edits(read_file, desired.environment.name, redactor)
    for change in plan.changes:
        if change.kind == "agent" and change.drift:
            _pull_agent(edits, desired, live, change, force)
        elif change.kind == "document" and change.drift:
            _pull_document(edits, desired, live, change, force)
        elif change.kind == "tool" and change.key in desired.tools:
            _pull_tool(edits, desired, live, change, force)
        elif change.kind == "test" and change.drift:
            _pull_test(edits, desired, live, change, force)
    result = edits.result
    if not result.conflicts or force:
        result.files = edits.texts()
    return result


# --- agents ------------------------------------------------------------------------------------------------------


def _pull_agent(edits: _Edits, desired: Desired, live: LiveState, change: ResourceChange, force: bool) -> None:
    agent = desired.agents[change.key]
    found = next((a for a in live.agents if a.id == change.live_id), None)
    recorded = live.record.agents.get(agent.key) if live.record else None
    if found is None or found.payload is None or recorded is None or recorded.payload is None:
        return
    refs = payload.Refs(
        project=live.project,
        environment=live.environment,
        documents=resources.document_refs(desired, live),
        tools=resources.tool_ids(desired, live),
        tests=resources.test_ids(desired, live),
    )
    wanted = normalize_agent(payload.agent_payload(agent, refs, desired.tests_of(agent.key)))
    drift = agent_drift(wanted, normalize_agent(found.payload), normalize_agent(recorded.payload))
    source = agent.source.path
    prompt_file = agent.prompt_source.path if agent.prompt_source is not None else None
    for path in drift.paths:
        if path in drift.conflicts and not force:
            edits.conflict(prompt_file if path == PROMPT and prompt_file else source, path)
        elif any(path[: len(ref)] == ref for ref in REFERENCES):
            edits.keep(source, path, "references are not pulled: edit knowledge:, tools: or tests_specs/ to match")
        elif path[:1] == ("tags",):
            user_tags = [tag for tag in found.payload.get("tags") or [] if not identity.is_marker_tag(tag)]
            edits.yaml(source, ("tags",), _in_file_order(agent.tags, user_tags))
        elif path == PROMPT and prompt_file is not None:
            text = get_path(drift.live_view, path)
            edits.text(prompt_file, path, "" if text is NOT_SET else str(text))
        else:
            edits.yaml(source, path, get_path(drift.live_view, path))


def _in_file_order(file_tags: list[str], live_tags: list[str]) -> list[str]:
    return [tag for tag in file_tags if tag in live_tags] + [tag for tag in live_tags if tag not in file_tags]


# --- documents, tools, tests -------------------------------------------------------------------------------------


def _pull_document(edits: _Edits, desired: Desired, live: LiveState, change: ResourceChange, force: bool) -> None:
    document = desired.documents[change.key]
    source = document.source.path
    if change.conflict and not force:
        edits.conflict(source, ("text",))
        return
    version = next((d for d in live.documents if d.id == change.live_id), None)
    if version is None:
        return
    if version.text is not None and version.text != document.text:
        edits.text(source, ("text",), version.text)
    if version.hash == document.content_hash() and version.name != identity.desired_document_name(document):
        edits.keep(source, ("name",), f"renamed live to {version.name!r}: the name carries agentform's marker")


def _pull_tool(edits: _Edits, desired: Desired, live: LiveState, change: ResourceChange, force: bool) -> None:
    tool = desired.tools[change.key]
    found = next((t for t in live.tools if t.id == change.live_id), None)
    if found is None or found.tool_config is None or not (change.drift or tool.id):
        return
    # The file's secret headers are workspace secrets live: compare them as the plan does, by the secret's id.
    wanted = normalize_tool(with_secret_ids(payload.tool_payload(tool), secret_ids(desired, live)))
    live_tool = normalize_tool(found.model_dump(include={"tool_config", "response_mocks"}))
    if tool.id is not None:
        _pull_adopted_tool(edits, tool, wanted, live_tool, live, force)
        return
    wanted_view, live_view = comparable(wanted, live_tool)
    for path in changed_paths(live_view, wanted_view):
        if change.conflict and not force:
            edits.conflict(tool.source.path, path)
        else:
            edits.tool_field(tool.source.path, path, get_path(live_view, path))


def _pull_adopted_tool(
    edits: _Edits, tool: DesiredTool, wanted: dict[str, Any], live_tool: dict[str, Any], live: LiveState, force: bool
) -> None:
    """A tool adopted through `id:` is updated in place, like an agent: the 3-way comparison against the config the
    last apply recorded as agreed (`AdoptedToolEntry`) tells a live edit from a file change (docs/decisions/0125)."""
    recorded = live.record.adopted_tools.get(tool.id or "") if live.record else None
    if recorded is None:
        wanted_view, live_view = comparable(wanted, live_tool)
        for path in changed_paths(live_view, wanted_view):
            edits.keep(tool.source.path, path, "differs live; no apply recorded this adopted tool yet: run apply first")
        return
    drift = agent_drift(wanted, live_tool, recorded.payload)
    for path in drift.paths:
        if path in drift.conflicts and not force:
            edits.conflict(tool.source.path, path)
        else:
            edits.tool_field(tool.source.path, path, get_path(drift.live_view, path))


def _pull_test(edits: _Edits, desired: Desired, live: LiveState, change: ResourceChange, force: bool) -> None:
    test = desired.tests[change.key]
    version = next((t for t in live.tests if t.id == change.live_id), None)
    if version is None or version.body is None:
        return
    tool_ids = resources.tool_ids(desired, live)
    keys = sorted(_changed_body_keys(test, version.body, tool_ids))
    if change.conflict and not force:
        for key in keys:
            edits.conflict(test.source.path, (key,))
        return
    spec = spec_of_test(version.body, {tool_id: key for key, tool_id in tool_ids.items()})
    for key in keys:
        if key == "tool_call_parameters":
            edits.yaml(test.source.path, ("tool",), spec.get("tool", NOT_SET))
        edits.yaml(test.source.path, (key,), spec.get(key, NOT_SET))


def _changed_body_keys(test: DesiredTest, live_body: dict[str, Any], tool_ids: dict[str, str]) -> set[str]:
    wanted = normalize_test(payload.with_tool_ids(test, tool_ids))
    wanted_view, live_view = comparable(wanted, normalize_test(live_body))
    return {str(path[0]) for path in changed_paths(live_view, wanted_view)}


# --- writing -----------------------------------------------------------------------------------------------------


class _Edits:
    """Edits collected per file, applied to the files' round-trip data; what was pulled, kept or refused."""

    def __init__(self, read_file: Callable[[str], str], environment: str, redactor: Redactor) -> None:
        self.read_file = read_file
        self.environment = environment
        self.redactor = redactor
        self.result = PullResult()
        self._texts: dict[str, str] = {}
        self._yaml: dict[str, Any] = {}

    def conflict(self, path: str, at: FieldPath) -> None:
        self.result.conflicts.append(f"{path}: {_dotted(at)}")

    def keep(self, path: str, at: FieldPath, why: str) -> None:
        self.result.kept.append(f"{path}: {_dotted(at)}: {why}")

    def text(self, path: str, at: FieldPath, value: str) -> None:
        """A whole file's text (a prompt file, a document)."""
        if self._holds_secret(value):
            self.keep(path, at, "the live value holds a secret's value: not written")
            return
        self._texts[path] = value
        self.result.pulled.append(f"{path}: {_dotted(at)}")

    def yaml(self, path: str, at: FieldPath, value: Any) -> None:
        """One field of a YAML file, in the environment's overlay when it sets the field; `NOT_SET` removes it."""
        data = self._yaml.get(path)
        if data is None:
            data = self._yaml[path] = yamledit.load(self.read_file(path))
        overlay = yamledit.get(data, ("environments", self.environment))
        target = ("environments", self.environment, *at) if _sets(overlay, at) else at
        written = _written_at(data, target)
        if any(has_reference(text) for text in _strings(written)):
            self.keep(path, target, "set through a variable whose value differs from the live one: not written")
            return
        if value is not NOT_SET and any(self._holds_secret(text) for text in _strings(value)):
            self.keep(path, target, "the live value holds a secret's value: not written")
            return
        if value is NOT_SET and written is None:
            return
        yamledit.set_value(data, target, None if value is NOT_SET else escaped(value))
        self.result.pulled.append(f"{path}: {_dotted(target)}")

    def tool_field(self, path: str, at: FieldPath, value: Any) -> None:
        if "request_headers" in at[:-1]:
            self.keep(path, at, "a header is never pulled: reference a secret variable by hand")
        else:
            self.yaml(path, at, value)

    def texts(self) -> dict[str, str]:
        return {**self._texts, **{path: yamledit.dump(data) for path, data in self._yaml.items()}}

    def _holds_secret(self, text: str) -> bool:
        return self.redactor.text(text) != text


def _sets(overlay: Any, at: FieldPath) -> bool:
    """Whether an overlay sets `at` (or replaces a parent of it with a non-mapping)."""
    for index, step in enumerate(at):
        if not isinstance(overlay, dict) or step not in overlay:
            return False
        overlay = overlay[step]
        if index < len(at) - 1 and not isinstance(overlay, dict):
            return True
    return True


def _written_at(data: Any, at: FieldPath) -> Any:
    """What the file writes at `at`: the value, or the scalar that stands in for a parent of it."""
    for step in at:
        if isinstance(data, str):
            return data
        if not isinstance(data, dict) or step not in data:
            return None
        data = data[step]
    return data


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _dotted(at: FieldPath) -> str:
    return ".".join(str(step) for step in at)
