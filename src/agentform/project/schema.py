"""The shapes of our own keys in each file kind, as strict pydantic models, and their errors as diagnostics.

Only our own keys are typed here. API-shaped sections (`conversation_config`, `platform_settings`, `workflow`,
`tool_config`, test bodies) are plain dicts at this level and are checked against the SDK field tree instead.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from agentform.model import Backend, TestKind, UsageMode

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Pydantic's pattern errors quote the regex; users get these words instead.
PATTERN_MESSAGES = {
    SLUG_PATTERN: "expected a lowercase slug: a-z, 0-9 and '-' (e.g. clinic-voice)",
    NAME_PATTERN: "expected an environment variable name: letters, digits and '_'",
}
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariableFile(_Strict):
    default: Scalar | None = None
    secret: bool = False
    description: str = ""


_DURATION_PATTERN = r"^[0-9]+[smhd]$"
PATTERN_MESSAGES[_DURATION_PATTERN] = "expected a duration: a number and s, m, h or d (e.g. 30m)"
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RolloutFile(_Strict):
    """An environment's `rollout:` policy."""

    steps: Annotated[list[Annotated[float, Field(gt=0, lt=100)]], Field(min_length=1)]
    min_conversations: Annotated[int, Field(ge=1)] = 100
    max_regression: Annotated[float, Field(gt=0, lt=1)] = 0.05
    interval: Annotated[str, StringConstraints(pattern=_DURATION_PATTERN)] = "0s"

    @field_validator("steps")
    @classmethod
    def _ascending(cls, steps: list[float]) -> list[float]:
        if steps != sorted(set(steps)):
            raise ValueError("steps must go up: each step gives the branch more of the traffic")
        return steps

    def settings(self) -> dict[str, Any]:
        """The `RolloutPolicy` fields: the interval in seconds."""
        seconds = int(self.interval[:-1]) * _SECONDS[self.interval[-1]]
        return {**self.model_dump(exclude={"interval"}), "interval_secs": seconds}


class EnvironmentFile(_Strict):
    backend: Backend = "api"
    base_url: str | None = None
    residency: Literal["global", "us", "eu", "in", "sg"] = "global"
    api_key_env: Annotated[str, StringConstraints(pattern=NAME_PATTERN)] = "ELEVENLABS_API_KEY"
    emulator_db: str = ".agentform/emulator.sqlite"
    prune: bool = False
    parallelism: Annotated[int, Field(ge=1, le=64)] = 8
    variables: dict[str, Scalar] = Field(default_factory=dict)
    rollout: RolloutFile | None = None


class DefaultsFile(_Strict):
    test_timeout_secs: Annotated[float, Field(gt=0)] = 600.0
    repeat: Annotated[int, Field(ge=1)] = 1
    pass_threshold: Annotated[float, Field(gt=0, le=1)] = 1.0


class ProjectFile(_Strict):
    """agentform.yaml."""

    project: Slug
    default_environment: str
    environments: Annotated[dict[str, EnvironmentFile], Field(min_length=1)]
    variables: dict[str, VariableFile | None] = Field(default_factory=dict)
    defaults: DefaultsFile = Field(default_factory=DefaultsFile)


class KnowledgeItem(_Strict):
    key: str
    usage_mode: UsageMode | None = None


class AgentFile(_Strict):
    """agents/<key>/agent.yaml (after the environment overlay is merged in)."""

    name: Annotated[str, StringConstraints(min_length=1)]
    prompt_file: str | None = None
    knowledge: list[Any] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    conversation_config: dict[str, Any] = Field(default_factory=dict)
    platform_settings: dict[str, Any] = Field(default_factory=dict)
    workflow: dict[str, Any] | None = None
    tags: list[str] = Field(default_factory=list)
    id: str | None = None
    prevent_destroy: bool = False
    environments: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ToolFile(_Strict):
    """tools/<key>.yaml."""

    tool_config: dict[str, Any]
    response_mocks: list[dict[str, Any]] | None = None
    id: str | None = None
    prevent_destroy: bool = False
    environments: dict[str, dict[str, Any]] = Field(default_factory=dict)


class TestFile(BaseModel):
    """tests_specs/<agent>/<test>.yaml: our keys; every other key is a field of the API's test body."""

    model_config = ConfigDict(extra="allow")

    kind: TestKind
    name: Annotated[str, StringConstraints(min_length=1)] | None = None
    repeat: Annotated[int, Field(ge=1)] | None = None
    pass_threshold: Annotated[float, Field(gt=0, le=1)] | None = None
    smoke: bool = False
    prevent_destroy: bool = False
    tool: str | None = None
    environments: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Friendly shorthands are accepted here and expanded by the loader.
    chat_history: list[str | dict[str, Any]] | None = None
    success_examples: list[str | dict[str, Any]] | None = None
    failure_examples: list[str | dict[str, Any]] | None = None


class KnowledgeMetaFile(_Strict):
    """knowledge/<key>.yaml beside a document."""

    name: Annotated[str, StringConstraints(min_length=1)] | None = None
    prevent_destroy: bool = False
    enable_auto_sync: bool | None = None
    auto_remove: bool | None = None
    minimum_frequency_days: Annotated[int, Field(ge=1)] | None = None


OUR_TEST_KEYS = frozenset(TestFile.model_fields)

M = typing.TypeVar("M", bound=BaseModel)


def validate_model(model: type[M], data: Any, report: typing.Callable[[tuple[str | int, ...], str], None]) -> M | None:
    """Validate `data`; on failure call `report(field_path, message)` per problem and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for path, message in _messages(model, data, error):
            report(path, message)
        return None


def _messages(model: type[BaseModel], data: Any, error: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    found: dict[tuple[str | int, ...], str] = {}
    for item in error.errors(include_input=False, include_url=False):
        path = _data_path(data, item["loc"])
        if item["type"] == "extra_forbidden":
            key = path[-1]
            allowed = sorted(_allowed_keys(model, path[:-1]))
            found.setdefault(path, unknown_key_message(str(key), allowed))
        elif item["type"] == "missing":
            found.setdefault(path, "required key is missing")
        elif item["type"] == "string_pattern_mismatch":
            pattern = (item.get("ctx") or {}).get("pattern", "")
            found.setdefault(path, PATTERN_MESSAGES.get(pattern, item["msg"]))
        else:
            found.setdefault(path, item["msg"])
    return list(found.items())


def unknown_key_message(key: str, allowed: typing.Iterable[str], cutoff: float = 0.6) -> str:
    guess = did_you_mean(key, allowed, cutoff)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return f"unknown key {key!r}{hint}"


def did_you_mean(key: str, allowed: typing.Iterable[str], cutoff: float = 0.6) -> str | None:
    matches = difflib.get_close_matches(key, list(allowed), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def _data_path(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Pydantic's `loc` without its union-member labels: only the segments that exist in the data (+ a missing key)."""
    path: list[str | int] = []
    node = data
    for index, segment in enumerate(loc):
        if (isinstance(node, dict) and segment in node) or (
            isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        ):
            node = node[segment]  # type: ignore[index]  # the condition pairs a list with an int segment
            path.append(segment)
        elif index == len(loc) - 1 and isinstance(node, dict):
            path.append(segment)  # the missing key itself
    return tuple(path)


def _allowed_keys(model: type[BaseModel], path: tuple[str | int, ...]) -> set[str]:
    annotation: Any = model
    for segment in path:
        annotation = _descend(annotation, segment)
        if annotation is None:
            return set()
    model_type = _model_in(annotation)
    return set(model_type.model_fields) if model_type else set()


def _descend(annotation: Any, segment: str | int) -> Any:
    model_type = _model_in(annotation)
    if model_type is not None and isinstance(segment, str):
        field = model_type.model_fields.get(segment)
        return field.annotation if field else None
    for arg in _args(annotation):
        origin = typing.get_origin(arg)
        if origin is dict:
            return typing.get_args(arg)[1]
        if origin is list:
            return typing.get_args(arg)[0]
    return None


def _args(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is Annotated:
        return _args(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [a for member in typing.get_args(annotation) for a in _args(member)]
    return [annotation]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for arg in _args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
