"""Identity and ownership: how a live resource is tied to a file key and a (project, environment) scope.

The scheme (docs/decisions/0040-identity-and-ownership.md):

- agents carry two tags, `af:<project>:<env>` (ownership; listed with the API's `tags=` filter) and
  `af-key:<key>` (which file);
- KB documents live in a managed folder `agentform.<project>.<env>` and are named
  `"<display name> [<key>@<hash12>]"`, content-addressed: a changed document is a new document;
- tests live in a managed agent-testing folder of the same name, named
  `"<display name> [<agent_key>/<test_key>@<hash12>]"`;
- tools have no marker slot: the state record lists the ids we own.

Everything here is pure: it builds and parses names and tags and turns raw API list items into `plan.live` types.
A name that does not parse exactly is not ours, so it is never modified or deleted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from agentform.model import DesiredDocument, DesiredTest
from agentform.plan.live import DependentBranch, LiveAgent, LiveDocument, LiveSecret, LiveTest, LiveTool
from agentform.state.model import StateRecord

OWNER_TAG_PREFIX = "af:"
KEY_TAG_PREFIX = "af-key:"

# File keys are file names without extension: conservative so that a marker can never be ambiguous.
_KEY = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_HASH = r"[0-9a-f]{12}"
_SECRET_TAG_ROUNDS = 50_000
_DOCUMENT_NAME = re.compile(rf"^(?P<display>.*) \[(?P<key>{_KEY})@(?P<hash>{_HASH})\]$", re.DOTALL)
_TEST_NAME = re.compile(
    rf"^(?P<display>.*) \[(?P<agent_key>{_KEY})/(?P<test_key>{_KEY})@(?P<hash>{_HASH})\]$", re.DOTALL
)
_KEY_TAG = re.compile(rf"^{re.escape(KEY_TAG_PREFIX)}(?P<key>{_KEY})$")


class DocumentMarker(NamedTuple):
    display: str
    key: str
    hash: str


class TestMarker(NamedTuple):
    display: str
    agent_key: str
    test_key: str
    hash: str

    @property
    def address(self) -> str:
        return f"{self.agent_key}/{self.test_key}"


def owner_tag(project: str, environment: str) -> str:
    """The tag that marks an agent as managed by this (project, environment)."""
    return f"{OWNER_TAG_PREFIX}{project}:{environment}"


def key_tag(key: str) -> str:
    """The tag that ties an agent to its file key."""
    return f"{KEY_TAG_PREFIX}{key}"


def marker_tags(project: str, environment: str, key: str) -> list[str]:
    return [owner_tag(project, environment), key_tag(key)]


def is_marker_tag(tag: str) -> bool:
    """True for any agentform marker tag (of any scope): users' own tags are everything else."""
    return tag.startswith((OWNER_TAG_PREFIX, KEY_TAG_PREFIX))


def key_from_tags(tags: Iterable[str]) -> str | None:
    """The file key in an agent's `af-key:` tag; None when there is none or more than one (ambiguous: not ours)."""
    keys = {match["key"] for tag in tags if (match := _KEY_TAG.match(tag))}
    return keys.pop() if len(keys) == 1 else None


def is_owned_agent(tags: Iterable[str], project: str, environment: str) -> bool:
    tags = list(tags)
    return owner_tag(project, environment) in tags and key_from_tags(tags) is not None


def folder_name(project: str, environment: str) -> str:
    """Name of the managed KB folder and of the managed agent-testing folder."""
    return f"agentform.{project}.{environment}"


@lru_cache(maxsize=256)
def secret_name(project: str, environment: str, key: str, value: str) -> str:
    """`agentform.<project>.<env>.<key> [<tag>]`: a workspace secret's name says whose it is and which value it holds.

    The tag is a slow keyed hash of the value (PBKDF2, 48 bits shown): enough to notice a rotation without a record,
    costly to turn back into a value (decision 0091). Computed once per process (`fresh.make_fresh_plan` does it
    on a thread while the workspace is read).
    """
    prefix = f"{folder_name(project, environment)}.{key}"
    tag = hashlib.pbkdf2_hmac("sha256", value.encode(), prefix.encode(), _SECRET_TAG_ROUNDS)[:6].hex()
    return f"{prefix} [{tag}]"


def parse_secret_name(name: str, project: str, environment: str) -> tuple[str, str] | None:
    """(key, tag) of one of our workspace secrets, None for any other name."""
    prefix = re.escape(folder_name(project, environment))
    found = re.fullmatch(rf"{prefix}\.(?P<key>.+) \[(?P<tag>[0-9a-f]{{12}})\]", name, re.DOTALL)
    return (found["key"], found["tag"]) if found else None


def live_secrets_from_items(items: Iterable[Mapping[str, Any]], project: str, environment: str) -> list[LiveSecret]:
    """Our workspace secrets among a secrets listing (by name), with the tools that use them."""
    found = []
    for item in items:
        parsed = parse_secret_name(str(item.get("name", "")), project, environment)
        if parsed is None:
            continue
        tools = (item.get("used_by") or {}).get("tools") or []
        found.append(
            LiveSecret(
                id=str(item["secret_id"]),
                key=parsed[0],
                name=str(item["name"]),
                tool_ids=[str(tool["id"]) for tool in tools if isinstance(tool, dict) and "id" in tool],
            )
        )
    return found


def document_name(display: str, key: str, content_hash: str) -> str:
    return f"{display} [{key}@{content_hash}]"


def desired_document_name(document: DesiredDocument) -> str:
    return document_name(document.name, document.key, document.content_hash())


def parse_document_name(name: str) -> DocumentMarker | None:
    match = _DOCUMENT_NAME.match(name)
    return DocumentMarker(match["display"], match["key"], match["hash"]) if match else None


def test_display_name(test: DesiredTest) -> str:
    """What a person sees in the dashboard before the marker: the spec's `name:`, else its key.

    Only the marker after it identifies the test, so any name (brackets included) keeps the full name parseable.
    """
    return str(test.body.get("name") or test.key)


def test_name(display: str, agent_key: str, test_key: str, content_hash: str) -> str:
    return f"{display} [{agent_key}/{test_key}@{content_hash}]"


def parse_test_name(name: str) -> TestMarker | None:
    match = _TEST_NAME.match(name)
    if not match:
        return None
    return TestMarker(match["display"], match["agent_key"], match["test_key"], match["hash"])


def live_agent_from_item(
    item: Mapping[str, Any], project: str, environment: str, *, adopted_key: str | None = None
) -> LiveAgent | None:
    """A `LiveAgent` from an agents-list item (or a GET payload) when it is ours, else None.

    `adopted_key` is the file key of a file whose `id:` names this agent: adoption is explicit, so such an agent is
    taken even without our tags (it gets them on the first apply).
    """
    tags = list(item.get("tags") or [])
    if adopted_key is None and not is_owned_agent(tags, project, environment):
        return None
    key = adopted_key or key_from_tags(tags)
    assert key is not None
    metadata = item.get("metadata") or {}
    return LiveAgent(
        id=item["agent_id"],
        key=key,
        name=item.get("name", ""),
        tags=tags,
        updated_at=item.get("updated_at_unix_secs", metadata.get("updated_at_unix_secs")),
        created_at=item.get("created_at_unix_secs", metadata.get("created_at_unix_secs")),
        adopted=adopted_key is not None and not is_owned_agent(tags, project, environment),
    )


def live_document_from_item(
    item: Mapping[str, Any], folder_id: str | None, recorded: tuple[str, str] | None = None
) -> LiveDocument | None:
    """A `LiveDocument` from a KB list item when it sits in the managed folder and its name parses.

    `recorded` (key, hash) is what the state record says of this id: a version renamed in the dashboard (its
    marker gone) stays ours, and the plan shows the rename as drift.
    """
    marker = parse_document_name(item.get("name") or "")
    key, content_hash = (marker.key, marker.hash) if marker else recorded or (None, None)
    if key is None or content_hash is None or item.get("type") not in ("text", "file", "url"):
        return None
    if folder_id is None or parent_folder(item) != folder_id:
        return None
    metadata = item.get("metadata") or {}
    return LiveDocument(
        id=item["id"],
        key=key,
        hash=content_hash,
        name=item["name"],
        kind=item["type"],
        updated_at=metadata.get("last_updated_at_unix_secs"),
        created_at=metadata.get("created_at_unix_secs"),
        folder_id=folder_id,
        dependents=[dependent["id"] for dependent in item.get("dependent_agents") or [] if "id" in dependent],
    )


def live_test_from_item(item: Mapping[str, Any], folder_id: str | None) -> LiveTest | None:
    """A `LiveTest` from an agent-testing list item when it sits in the managed folder and its name parses."""
    marker = parse_test_name(item.get("name") or "")
    if marker is None or item.get("type") == "folder" or item.get("entity_type") == "folder":
        return None
    if folder_id is None or parent_folder(item) != folder_id:
        return None
    return LiveTest(
        id=item["id"],
        address=marker.address,
        hash=marker.hash,
        name=item["name"],
        kind=item.get("type"),
        updated_at=item.get("last_updated_at_unix_secs"),
        created_at=item.get("created_at_unix_secs"),
        folder_id=folder_id,
    )


def live_tools_from_items(
    items: Iterable[Mapping[str, Any]], record: StateRecord | None, adopted: Mapping[str, str] | None = None
) -> list[LiveTool]:
    """The tools we own: ids listed in the state record, plus `adopted` (tool id -> file key from `id:`)."""
    owners: dict[str, tuple[str, str | None]] = dict(record.tools_owned() if record else {})
    adopted = adopted or {}
    tools: list[LiveTool] = []
    for item in items:
        tool_id = item["id"]
        if tool_id in owners:
            key, content_hash = owners[tool_id]
            is_adopted = False
        elif tool_id in adopted:
            key, content_hash, is_adopted = adopted[tool_id], None, True
        else:
            continue
        config = item.get("tool_config") or {}
        tools.append(
            LiveTool(
                id=tool_id,
                key=key,
                hash=content_hash,
                name=config.get("name", ""),
                tool_config=config,
                response_mocks=item.get("response_mocks"),
                adopted=is_adopted,
            )
        )
    return tools


def dependents_from_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The `dependents` and `branches` of a document or tool version from its `dependent-agents` answer."""
    return {
        "dependents": [str(agent["id"]) for agent in answer.get("agents") or [] if "id" in agent],
        "branches": [
            DependentBranch(
                agent_id=str(row["agent_id"]),
                agent_name=row.get("agent_name") or "",
                branch_id=str(row["branch_id"]),
                branch_name=row.get("branch_name") or "",
                is_main=bool(row.get("is_main")),
            )
            for row in answer.get("branches") or []
            if "agent_id" in row and "branch_id" in row
        ],
    }


def parent_folder(item: Mapping[str, Any]) -> str | None:
    """The folder a list item sits in: `folder_parent_id`, else the innermost `folder_path` entry (root first)."""
    if item.get("folder_parent_id"):
        return str(item["folder_parent_id"])
    path = item.get("folder_path") or []
    return str(path[-1]["id"]) if path else None


def created_at(item: Mapping[str, Any]) -> int:
    """A list item's creation second (KB items keep it under `metadata`), 0 when absent."""
    metadata = item.get("metadata") or {}
    return int(metadata.get("created_at_unix_secs") or item.get("created_at_unix_secs") or 0)
