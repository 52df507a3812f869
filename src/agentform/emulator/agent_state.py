"""Agents as the emulator stores them: an agent record, its branches and an append-only chain of versions.

Every write (create, PATCH, branch creation, merge) commits a new version on one branch; a branch points at its
tip version. A version holds the full agent configuration (`name`, `tags`, `conversation_config`,
`platform_settings`, `workflow`), so reading any version is one lookup, exactly like `GET /agents/{id}?version_id=`.
"""

from __future__ import annotations

from typing import Any

from agentform.emulator.common import Context, Resource, access_info, new_id, not_found
from agentform.emulator.defaults import DEFAULT_AGENT_NAME, with_defaults
from agentform.emulator.store import Doc

CONFIG_SECTIONS = ("conversation_config", "platform_settings", "workflow")
MAIN_BRANCH_NAME = "Main"
AGENT = Resource("agent", "Agent")


def full_config(body: dict[str, Any]) -> Doc:
    """A complete agent configuration from a create body: the caller's values over the server defaults."""
    return {
        "name": body.get("name") or DEFAULT_AGENT_NAME,
        "tags": list(body.get("tags") or []),
        **{section: with_defaults(section, body.get(section)) for section in CONFIG_SECTIONS},
    }


def get_agent_record(c: Context, agent_id: str) -> Doc:
    return AGENT.load(c, agent_id)


def get_branch(c: Context, agent_id: str, branch_id: str) -> Doc:
    branch = c.store.get("branch", branch_id)
    if branch is None or branch["agent_id"] != agent_id:
        raise not_found("Branch", branch_id)
    return branch


def get_version(c: Context, agent_id: str, version_id: str) -> Doc:
    version = c.store.get("version", version_id)
    if version is None or version["agent_id"] != agent_id:
        raise not_found("Version", version_id)
    return version


def branches_of(c: Context, agent_id: str) -> list[Doc]:
    return c.store.all("branch", owner=agent_id)


def commit(
    c: Context,
    agent_id: str,
    branch: Doc,
    config: Doc,
    description: str | None,
    *,
    parents: Doc | None = None,
) -> Doc:
    """Append a version holding `config` to `branch`, move the branch tip and touch the agent's timestamp."""
    now = c.now()
    version = {
        "id": new_id("agtvrsn_"),
        "agent_id": agent_id,
        "branch_id": branch["id"],
        "version_description": description or "",
        "seq_no_in_branch": branch.get("version_count", 0),
        "time_committed_secs": now,
        "parents": {"in_branch_parent_id": branch.get("tip_version_id"), **(parents or {})},
        "access_info": access_info(),
        "config": config,
    }
    c.store.put("version", version["id"], version, owner=agent_id)
    branch = {
        **branch,
        "tip_version_id": version["id"],
        "version_count": branch.get("version_count", 0) + 1,
        "last_committed_at": now,
    }
    c.store.put("branch", branch["id"], branch, owner=agent_id)
    agent = get_agent_record(c, agent_id)
    c.store.put("agent", agent_id, {**agent, "updated_at": now})
    return version


def new_branch(c: Context, agent_id: str, name: str, description: str, *, parent: Doc | None) -> Doc:
    """A branch record without versions yet; `parent` is the version it starts from (None for main)."""
    now = c.now()
    branch: Doc = {
        "id": new_id("agtbrch_"),
        "agent_id": agent_id,
        "name": name,
        "description": description,
        "created_at": now,
        "last_committed_at": now,
        "is_archived": False,
        "protection_status": "writer_perms_required",
        "auto_rebase": False,
        "parent_branch_id": parent["branch_id"] if parent else None,
        # The three-way merge base: where this branch left its target (moved forward by each merge).
        "base_version_id": parent["id"] if parent else None,
        "merged_into_branch_id": None,
        "tip_version_id": None,
        "version_count": 0,
    }
    c.store.put("branch", branch["id"], branch, owner=agent_id)
    return branch


def create_agent(c: Context, body: dict[str, Any]) -> str:
    """A new agent with its main branch and first version."""
    agent_id = new_id("agent_")
    now = c.now()
    c.store.put("agent", agent_id, {"agent_id": agent_id, "created_at": now, "updated_at": now, "main_branch_id": ""})
    main = new_branch(c, agent_id, MAIN_BRANCH_NAME, "Main branch", parent=None)
    c.store.put("agent", agent_id, {**get_agent_record(c, agent_id), "main_branch_id": main["id"]})
    commit(c, agent_id, main, full_config(body), body.get("version_description") or "Initial version")
    return agent_id


def resolve_version(c: Context, agent_id: str, *, version_id: str | None = None, branch_id: str | None = None) -> Doc:
    """The version a read addresses: an exact version, a branch tip, or the main tip."""
    agent = get_agent_record(c, agent_id)
    if version_id:
        return get_version(c, agent_id, version_id)
    branch = get_branch(c, agent_id, branch_id or agent["main_branch_id"])
    return get_version(c, agent_id, branch["tip_version_id"])


def render_agent(c: Context, version: Doc) -> Doc:
    """`GetAgentResponseModel` for one version."""
    agent = get_agent_record(c, version["agent_id"])
    config = version["config"]
    return {
        "agent_id": agent["agent_id"],
        "name": config["name"],
        "conversation_config": config["conversation_config"],
        "metadata": {"created_at_unix_secs": agent["created_at"], "updated_at_unix_secs": agent["updated_at"]},
        "platform_settings": config["platform_settings"],
        "phone_numbers": [],
        "whatsapp_accounts": [],
        "workflow": config["workflow"],
        "access_info": access_info(),
        "tags": config["tags"],
        "version_id": version["id"],
        "branch_id": version["branch_id"],
        "main_branch_id": agent["main_branch_id"],
    }


# What a list item shows of the main tip's config, extracted by SQLite (the configs are not decoded whole).
_SUMMARY_FIELDS = (
    "$.config.name",
    "$.config.conversation_config.tts.voice_id",
    "$.config.tags",
    "$.config.platform_settings.archived",
)


def render_summaries(c: Context) -> list[Doc]:
    """`AgentSummaryResponseModel` (list item) of every agent from its main tip, oldest first, in three queries:
    the list endpoint filters and sorts on these, so it needs them all whatever the page."""
    agents = c.store.all("agent")
    main_tips = c.store.extract("branch", ("$.tip_version_id",), [a["main_branch_id"] for a in agents])
    tips = c.store.extract("version", _SUMMARY_FIELDS, [tip for (tip,) in main_tips.values()])
    summaries = []
    for agent in agents:
        name, voice_id, tags, archived = tips[main_tips[agent["main_branch_id"]][0]]
        summaries.append(
            {
                "agent_id": agent["agent_id"],
                "name": name,
                "voice_id": voice_id or "",
                "tags": tags,
                "created_at_unix_secs": agent["created_at"],
                "updated_at_unix_secs": agent["updated_at"],
                "access_info": access_info(),
                "last_call_time_unix_secs": None,
                "archived": bool(archived),
            }
        )
    return summaries


def delete_agent(c: Context, agent_id: str) -> None:
    for kind in ("version", "branch", "deployment"):
        c.store.delete_owned(kind, agent_id)
    c.store.delete("agent", agent_id)


def live_split(c: Context, agent_id: str) -> dict[str, float]:
    """The active traffic split (branch id -> percentage); all on main until a deployment says otherwise."""
    active = [d for d in c.store.all("deployment", owner=agent_id) if d["is_active"]]
    if active:
        return active[-1]["traffic_percentage_branch_id_map"]
    return {get_agent_record(c, agent_id)["main_branch_id"]: 100.0}


def record_deployment(c: Context, agent_id: str, split: dict[str, float], source: str) -> Doc:
    """Make `split` the active deployment (the previous ones stay in the history, inactive)."""
    for previous in c.store.all("deployment", owner=agent_id):
        if previous["is_active"]:
            c.store.put("deployment", previous["id"], {**previous, "is_active": False}, owner=agent_id)
    deployment: Doc = {
        "id": new_id("agtdep_"),
        "traffic_percentage_branch_id_map": split,
        "deployed_at_unix_secs": c.now(),
        "is_active": True,
        "source": source,
        "access_info": access_info(),
    }
    return c.store.put("deployment", deployment["id"], deployment, owner=agent_id)
