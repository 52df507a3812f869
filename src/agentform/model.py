"""The typed desired state: what the files in a repository say the live workspace should hold.

`project/` builds a `Desired` from files (a working tree or a git ref); `plan/` compares it with the live state
read through `elevenlabs/`; `testing/` and `gitops/` read it too. Everything here is plain, already-validated
data: references between resources are by file key, and ids of live resources are resolved by the planner.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

UsageMode = Literal["prompt", "auto"]
DocumentKind = Literal["text", "file", "url"]
TestKind = Literal["llm", "tool", "simulation"]
Backend = Literal["emulator", "api"]

RESIDENCY_BASE_URLS: dict[str, str] = {
    "global": "https://api.elevenlabs.io",
    "us": "https://api.us.elevenlabs.io",
    "eu": "https://api.eu.residency.elevenlabs.io",
    "in": "https://api.in.residency.elevenlabs.io",
    "sg": "https://api.sg.residency.elevenlabs.io",
}


def content_hash(value: Any) -> str:
    """A short, stable hash of JSON-like data or text: the content address of documents, tools and tests."""
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        raw = value.encode()
    else:
        raw = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()[:12]


class FrozenModel(BaseModel):
    """The base of the desired and live states' models: immutable, and no key the model does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceLocation(FrozenModel):
    """Where a resource was declared, for messages that point at a file."""

    path: str
    line: int = 1
    column: int = 1


class RolloutPolicy(FrozenModel):
    """An environment's `rollout:`: `ci deploy` starts a canary instead of merging (docs/rollouts.md)."""

    # The branch's share of live traffic at each step (percent, ascending); after the last, promote.
    steps: list[float]
    min_conversations: int = 100
    # The largest drop of a rate (as a fraction: 0.05 is 5 points) that still counts as no worse than main.
    max_regression: float = 0.05
    # The least time a step holds before the next one, in seconds.
    interval_secs: int = 0


class EnvironmentSettings(FrozenModel):
    """One entry of `environments:` in agentform.yaml."""

    name: str
    backend: Backend = "api"
    # Explicit base URL; else the residency's host. ELEVENLABS_BASE_URL overrides both at run time.
    base_url: str | None = None
    residency: Literal["global", "us", "eu", "in", "sg"] = "global"
    # Name of the environment variable that holds the API key (never the key itself).
    api_key_env: str = "ELEVENLABS_API_KEY"
    # SQLite file of the in-process emulator (backend: emulator), relative to the project root.
    emulator_db: str = ".agentform/emulator.sqlite"
    prune: bool = False
    parallelism: int = 8
    # Per-environment variable values (override the project-level defaults).
    variables: dict[str, str] = Field(default_factory=dict)
    rollout: RolloutPolicy | None = None

    def resolved_base_url(self, override: str | None = None) -> str:
        return (override or self.base_url or RESIDENCY_BASE_URLS[self.residency]).rstrip("/")


class VariableSettings(FrozenModel):
    """One entry of `variables:` in agentform.yaml: a `${NAME}` usable in any file."""

    name: str
    default: str | None = None
    secret: bool = False
    description: str = ""


class ProjectSettings(FrozenModel):
    """agentform.yaml, validated."""

    project: str
    default_environment: str
    environments: dict[str, EnvironmentSettings]
    variables: dict[str, VariableSettings] = Field(default_factory=dict)
    # Default test settings: applied to every spec that does not set them.
    test_timeout_secs: float = 600.0
    # Commit SHA or description of the tree the state was loaded from, used in version descriptions.
    source_revision: str | None = None


class KnowledgeRef(FrozenModel):
    """An agent's reference to a KB document by file key."""

    key: str
    usage_mode: UsageMode | None = None


class DesiredDocument(FrozenModel):
    """A KB document from `knowledge/<key>.<ext>` (or `<key>.url` + optional `<key>.yaml`)."""

    key: str
    kind: DocumentKind
    # Display name in the dashboard; the live name also carries the content address (see plan/identity).
    name: str
    # Text of text documents (.md, .txt, .html); None for file and url documents.
    text: str | None = None
    # Raw bytes of binary documents (.pdf, .docx); None otherwise.
    data: bytes | None = None
    filename: str | None = None
    url: str | None = None
    # URL-document settings from the sibling .yaml: enable_auto_sync, auto_remove, minimum_frequency_days.
    url_settings: dict[str, Any] = Field(default_factory=dict)
    prevent_destroy: bool = False
    source: SourceLocation

    def content_hash(self) -> str:
        if self.kind == "url":
            return content_hash({"url": self.url, **self.url_settings})
        if self.kind == "file":
            return content_hash(self.data or b"")
        return content_hash(self.text or "")


class DesiredTool(FrozenModel):
    """A workspace tool from `tools/<key>.yaml`: the API's `tool_config` and `response_mocks`."""

    key: str
    tool_config: dict[str, Any]
    response_mocks: list[dict[str, Any]] | None = None
    # Adopt this existing live tool instead of creating one.
    id: str | None = None
    prevent_destroy: bool = False
    source: SourceLocation

    def content_hash(self) -> str:
        return content_hash({"tool_config": self.tool_config, "response_mocks": self.response_mocks})


class WorkspaceSecret(FrozenModel):
    """A tool header built from a secret variable, kept by the API as a workspace secret (decision 0091).

    The tool's header then reads `{secret_id: <the secret's id>}`, so the value is stored nowhere else.
    """

    # "<tool key>.<header name>"
    key: str
    value: str
    tool_key: str
    source: SourceLocation

    @staticmethod
    def placeholder(key: str) -> str:
        """What a tool's header holds in the desired state: the planner puts the secret's id (or its own `$ref:`)
        in its place. Part of the tool's content address, so it must not depend on the id or the value."""
        return f"agentform:workspace-secret:{key}"


class DesiredAgent(FrozenModel):
    """An agent from `agents/<key>/agent.yaml` with its overlay applied and variables substituted.

    `conversation_config` already carries the prompt text at `agent.prompt.prompt`. Knowledge and tool
    references stay as keys here (`knowledge`, `tools`); the planner turns them into
    `agent.prompt.knowledge_base` and `agent.prompt.tool_ids` with live ids.
    """

    key: str
    name: str
    conversation_config: dict[str, Any] = Field(default_factory=dict)
    platform_settings: dict[str, Any] = Field(default_factory=dict)
    workflow: dict[str, Any] | None = None
    tags: list[str] = Field(default_factory=list)
    knowledge: list[KnowledgeRef] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    # Adopt this existing live agent instead of creating one.
    id: str | None = None
    prevent_destroy: bool = False
    source: SourceLocation
    prompt_source: SourceLocation | None = None


class DesiredTest(FrozenModel):
    """A test spec from `tests_specs/<agent_key>/<key>.yaml`.

    `body` is the agent-testing API's create body (`type`, `name` (default: the test key), `chat_history`,
    `success_condition`, ...) with tool references still by key: `tool_key` names the tool of
    `tool_call_parameters.referenced_tool`, and `mocked_tool_keys` the tools of a simulation's mock config.
    """

    agent_key: str
    key: str
    kind: TestKind
    body: dict[str, Any]
    tool_key: str | None = None
    mocked_tool_keys: list[str] = Field(default_factory=list)
    repeat: int = 1
    # Fraction of repeats that must pass, 0 < t <= 1.
    pass_threshold: float = 1.0
    smoke: bool = False
    prevent_destroy: bool = False
    source: SourceLocation

    @property
    def address(self) -> str:
        return f"{self.agent_key}/{self.key}"


class Desired(FrozenModel):
    """Everything a repository declares for one environment."""

    settings: ProjectSettings
    environment: EnvironmentSettings
    agents: dict[str, DesiredAgent] = Field(default_factory=dict)
    documents: dict[str, DesiredDocument] = Field(default_factory=dict)
    tools: dict[str, DesiredTool] = Field(default_factory=dict)
    # Keyed by `DesiredTest.address` ("<agent_key>/<test_key>").
    tests: dict[str, DesiredTest] = Field(default_factory=dict)
    # Values that must never be printed: secret variables' values (the API key is added by the client).
    secret_values: frozenset[str] = frozenset()
    # Keyed by `WorkspaceSecret.key`; the tools above already reference them by placeholder.
    workspace_secrets: dict[str, WorkspaceSecret] = Field(default_factory=dict)

    def tests_of(self, agent_key: str) -> list[DesiredTest]:
        return [test for test in self.tests.values() if test.agent_key == agent_key]
