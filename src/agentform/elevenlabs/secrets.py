"""Workspace secrets (elevenlabs-api.md §4.4): values stored by the API, referenced from tool headers by id.

A secret's value can be written (create, update) but is never read back: list and get answer the name, the id and
what uses it (`used_by`).
"""

from __future__ import annotations

from typing import Any

from agentform.elevenlabs.core import ClientCore, segment

_SECRETS = "/v1/convai/secrets"


def _secret(secret_id: str) -> str:
    return f"{_SECRETS}/{segment(secret_id)}"


class SecretsApi(ClientCore):
    async def list_secrets(self) -> list[dict[str, Any]]:
        """Every workspace secret, `{type: "stored", secret_id, name, used_by}` (all pages)."""
        return await self._pages(_SECRETS, "secrets", resource="workspace secrets", id_key="secret_id")

    async def get_secret(self, secret_id: str) -> dict[str, Any]:
        return await self._call("GET", _secret(secret_id), resource=f"workspace secret {secret_id}")

    async def create_secret(self, name: str, value: str) -> dict[str, Any]:
        """`{type: "stored", secret_id, name}`; the value joins the redactor before it is sent."""
        self.redactor.add(value)
        body = {"name": name, "value": value, "type": "new"}
        return await self._call("POST", _SECRETS, resource=f"new workspace secret {name!r}", json=body)

    async def update_secret(self, secret_id: str, name: str, value: str) -> dict[str, Any]:
        """Rotate a secret (and rename it): tools referencing its id use the new value from now on."""
        self.redactor.add(value)
        body = {"name": name, "value": value, "type": "update"}
        return await self._call("PATCH", _secret(secret_id), resource=f"workspace secret {secret_id}", json=body)

    async def delete_secret(self, secret_id: str) -> None:
        await self._call("DELETE", _secret(secret_id), resource=f"workspace secret {secret_id}")
