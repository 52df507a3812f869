"""Agent-testing tests, test folders and test runs (elevenlabs-api.md §5)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agentform.elevenlabs.core import ClientCore, compact, query, segment

_TESTS = "/v1/convai/agent-testing"
_INVOCATIONS = "/v1/convai/test-invocations"


def _test(test_id: str) -> str:
    return f"{_TESTS}/{segment(test_id)}"


def _invocation(invocation_id: str) -> str:
    return f"{_INVOCATIONS}/{segment(invocation_id)}"


class TestsApi(ClientCore):
    async def list_tests(
        self, *, parent_folder_id: str | None = None, types: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Every test summary (all pages); `parent_folder_id` may be "root", `types` llm|tool|simulation|folder."""
        params = query(parent_folder_id=parent_folder_id, types=list(types) if types else None)
        return await self._pages(_TESTS, "tests", resource="tests", params=params, id_key="id")

    async def get_test(self, test_id: str) -> dict[str, Any]:
        return await self._call("GET", _test(test_id), resource=f"test {test_id}")

    async def create_test(self, body: dict[str, Any]) -> str:
        """Create a test from its full body (`type`, `name`, ...); its id."""
        name = body.get("name") or "(unnamed)"
        answer = await self._call("POST", f"{_TESTS}/create", resource=f"new test {name!r}", json=body)
        return answer["id"]

    async def update_test(self, test_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replace a test: PUT with the same full body as create (`name` required)."""
        return await self._call("PUT", _test(test_id), resource=f"test {test_id}", json=body)

    async def delete_test(self, test_id: str) -> None:
        await self._call("DELETE", _test(test_id), resource=f"test {test_id}")

    async def create_test_folder(self, *, name: str, parent_folder_id: str | None = None) -> dict[str, Any]:
        """`{id, name}` of a new test folder."""
        return await self._create_folder(f"{_TESTS}/folders", "test folder", name, parent_folder_id)

    async def run_tests(
        self,
        agent_id: str,
        test_ids: Iterable[str],
        *,
        branch_id: str | None = None,
        repeat_count: int | None = None,
        agent_config_override: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Start a test invocation on the agent (main, or `branch_id`); the invocation, runs usually pending."""
        payload = {
            "tests": [{"test_id": test_id} for test_id in test_ids],
            **compact(
                branch_id=branch_id, repeat_count=repeat_count, agent_config_override=agent_config_override, name=name
            ),
        }
        where = f" branch {branch_id}" if branch_id else ""
        return await self._call(
            "POST",
            f"/v1/convai/agents/{segment(agent_id)}/run-tests",
            resource=f"test run of agent {agent_id}{where}",
            json=payload,
        )

    async def get_test_invocation(self, invocation_id: str) -> dict[str, Any]:
        return await self._call("GET", _invocation(invocation_id), resource=f"test invocation {invocation_id}")

    async def cancel_test_invocation(self, invocation_id: str) -> None:
        await self._call("POST", f"{_invocation(invocation_id)}/cancel", resource=f"test invocation {invocation_id}")

    async def list_test_invocations(
        self, *, agent_id: str | None = None, branch_id: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Test invocation summaries, newest first (all pages, or the first `limit`)."""
        return await self._pages(
            _INVOCATIONS,
            "results",
            resource="test invocations",
            params=query(agent_id=agent_id, branch_id=branch_id),
            limit=limit,
        )
