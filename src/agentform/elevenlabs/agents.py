"""Agents, their branches and versions (elevenlabs-api.md §1 and §2)."""

from __future__ import annotations

from typing import Any

from agentform.elevenlabs.core import ClientCore, compact, query, segment

_AGENTS = "/v1/convai/agents"


def _agent(agent_id: str) -> str:
    return f"{_AGENTS}/{segment(agent_id)}"


def _branch(agent_id: str, branch_id: str) -> str:
    return f"{_agent(agent_id)}/branches/{segment(branch_id)}"


class AgentsApi(ClientCore):
    async def list_agents(
        self,
        *,
        tags: list[str] | None = None,
        search: str | None = None,
        archived: bool | None = None,
        expected: int = 0,
    ) -> list[dict[str, Any]]:
        """Every agent summary (all pages); `tags` matches agents carrying any of them.

        `expected` is how many items the caller expects; the client picks the paging for it (see `list_documents`).
        """
        return await self._listing(
            _AGENTS,
            "agents",
            resource="agents",
            params=query(tags=list(tags) if tags else None, search=search, archived=archived),
            expected=expected,
            id_key="agent_id",
            created_at=lambda item: item.get("created_at_unix_secs"),
        )

    async def get_agent(
        self, agent_id: str, *, version_id: str | None = None, branch_id: str | None = None
    ) -> dict[str, Any]:
        """The full agent: main's tip, a branch's tip (`branch_id`) or a past version (`version_id`)."""
        where = f" version {version_id}" if version_id else f" branch {branch_id}" if branch_id else ""
        return await self._call(
            "GET",
            _agent(agent_id),
            resource=f"agent {agent_id}{where}",
            params=query(version_id=version_id, branch_id=branch_id),
        )

    async def create_agent(self, body: dict[str, Any]) -> str:
        """Create an agent from `{conversation_config, platform_settings, workflow, name, tags}`; its id."""
        name = body.get("name") or "(unnamed)"
        answer = await self._call("POST", f"{_AGENTS}/create", resource=f"new agent {name!r}", json=body)
        return answer["agent_id"]

    async def update_agent(
        self, agent_id: str, body: dict[str, Any], *, branch_id: str | None = None
    ) -> dict[str, Any]:
        """PATCH the agent (main, or `branch_id`); a partial body changes only what it names. The new config."""
        where = f" branch {branch_id}" if branch_id else ""
        return await self._call(
            "PATCH", _agent(agent_id), resource=f"agent {agent_id}{where}", params=query(branch_id=branch_id), json=body
        )

    async def delete_agent(self, agent_id: str) -> None:
        await self._call("DELETE", _agent(agent_id), resource=f"agent {agent_id}")

    async def list_branches(self, agent_id: str, *, include_archived: bool = False, limit: int = 100) -> list[dict]:
        """The agent's branches. This list has no cursor, only `limit`."""
        answer = await self._call(
            "GET",
            f"{_agent(agent_id)}/branches",
            resource=f"branches of agent {agent_id}",
            params=query(include_archived=include_archived, limit=limit),
        )
        return list(answer.get("results") or [])

    async def create_branch(
        self,
        agent_id: str,
        *,
        parent_version_id: str,
        name: str,
        description: str,
        conversation_config: dict[str, Any] | None = None,
        platform_settings: dict[str, Any] | None = None,
        workflow: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Branch off `parent_version_id`, optionally with changes; `{created_branch_id, created_version_id}`."""
        payload = {
            "parent_version_id": parent_version_id,
            "name": name,
            "description": description,
            **compact(conversation_config=conversation_config, platform_settings=platform_settings, workflow=workflow),
        }
        return await self._call(
            "POST", f"{_agent(agent_id)}/branches", resource=f"new branch {name!r} of agent {agent_id}", json=payload
        )

    async def get_branch(self, agent_id: str, branch_id: str) -> dict[str, Any]:
        return await self._call("GET", _branch(agent_id, branch_id), resource=f"branch {branch_id} of agent {agent_id}")

    async def update_branch(self, agent_id: str, branch_id: str, **fields: Any) -> dict[str, Any]:
        """PATCH a branch: `name`, `description`, `is_archived`, `protection_status`, `auto_rebase`."""
        return await self._call(
            "PATCH", _branch(agent_id, branch_id), resource=f"branch {branch_id} of agent {agent_id}", json=fields
        )

    async def merge_preview(
        self, agent_id: str, source_branch_id: str, target_branch_id: str, *, force: bool = False
    ) -> dict[str, Any]:
        """What merging would produce: the merged agent plus `conflicts` and `source_identical_to_target`."""
        return await self._call(
            "GET",
            f"{_branch(agent_id, source_branch_id)}/merge-preview",
            resource=f"merge of branch {source_branch_id} into {target_branch_id} of agent {agent_id}",
            params=query(target_branch_id=target_branch_id, force=force or None),
        )

    async def merge_branch(
        self,
        agent_id: str,
        source_branch_id: str,
        *,
        target_branch_id: str,
        archive_source_branch: bool = False,
        force: bool = False,
    ) -> Any:
        """Merge a branch; `target_branch_id` travels in the query string, the flags in the body."""
        return await self._call(
            "POST",
            f"{_branch(agent_id, source_branch_id)}/merge",
            resource=f"merge of branch {source_branch_id} into {target_branch_id} of agent {agent_id}",
            params={"target_branch_id": target_branch_id},
            json={"archive_source_branch": archive_source_branch, "force": force},
        )

    async def get_version(self, agent_id: str, version_id: str) -> dict[str, Any]:
        """Version metadata (`seq_no_in_branch`, `parents`, ...); the config at it comes from `get_agent`."""
        return await self._call(
            "GET",
            f"{_agent(agent_id)}/versions/{segment(version_id)}",
            resource=f"version {version_id} of agent {agent_id}",
        )

    async def list_deployments(self, agent_id: str) -> list[dict[str, Any]]:
        """The traffic-split history, newest first (first page of 100; deployments use page numbers)."""
        answer = await self._call(
            "GET",
            f"{_agent(agent_id)}/deployments",
            resource=f"deployments of agent {agent_id}",
            params={"page": 1, "page_size": 100},
        )
        return list(answer.get("results") or [])

    async def deploy(self, agent_id: str, traffic: dict[str, float]) -> dict[str, Any]:
        """Set the traffic split, `{branch_id: percentage}`; the API wants it wrapped in `deployment_request`."""
        requests = [
            {"branch_id": branch_id, "deployment_strategy": {"type": "percentage", "traffic_percentage": share}}
            for branch_id, share in traffic.items()
        ]
        return await self._call(
            "POST",
            f"{_agent(agent_id)}/deployments",
            resource=f"deployment of agent {agent_id}",
            json={"deployment_request": {"requests": requests}},
        )
