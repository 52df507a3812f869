"""Workspace secrets (elevenlabs-api.md §4.4): create, list, get, PATCH (rotate or rename), delete while unused.

The value is stored and never answered. `used_by` lists the tools whose webhook headers reference the secret by
`{secret_id}` (agents and phone numbers can too; agentform references secrets from tools only, so the emulator
leaves those lists empty). The list pages by `next_cursor` alone, without `has_more`, as the SDK's model has it.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from agentform.emulator.common import C, Context, Listing, LooseBody, Resource, bad_request, new_id, paginate

router = APIRouter(prefix="/v1/convai/secrets")
SECRET = Resource("secret", "Secret")


class NewSecret(LooseBody):
    name: str
    value: str
    type: Literal["new"] = "new"


class SecretUpdate(LooseBody):
    name: str
    value: str
    type: Literal["update"] = "update"


def _tools_using(c: Context, secret_id: str) -> list[dict[str, Any]]:
    def references(tool: dict[str, Any]) -> bool:
        headers = ((tool.get("tool_config") or {}).get("api_schema") or {}).get("request_headers") or {}
        return any(isinstance(value, dict) and value.get("secret_id") == secret_id for value in headers.values())

    return [tool for tool in c.store.all("tool") if references(tool)]


def _render(c: Context, secret: dict[str, Any], dependency_limit: int | None = None) -> dict[str, Any]:
    tools = _tools_using(c, secret["id"])
    shown = tools if dependency_limit is None else tools[:dependency_limit]
    return {
        "type": "stored",
        "secret_id": secret["id"],
        "name": secret["name"],
        "used_by": {
            "tools": [
                {
                    "type": "available",
                    "id": tool["id"],
                    "name": tool["tool_config"].get("name", ""),
                    "created_at_unix_secs": tool.get("created_at", 0),
                    "access_level": "admin",
                }
                for tool in shown
            ],
            "tools_has_more": len(shown) < len(tools),
            "agents": [],
            "agents_has_more": False,
            "phone_numbers": [],
            "phone_numbers_has_more": False,
            "others": [],
        },
    }


def _stored(secret: dict[str, Any]) -> dict[str, Any]:
    return {"type": "stored", "secret_id": secret["id"], "name": secret["name"]}


@router.post("")
async def create_secret(body: NewSecret, c: C) -> dict[str, Any]:
    secret: dict[str, Any] = {"id": new_id("secret_"), "name": body.name, "value": body.value, "created_at": c.now()}
    c.store.put("secret", secret["id"], secret)
    return _stored(secret)


@router.get("")
async def list_secrets(c: C, query: Listing, dependency_limit: int | None = None) -> dict[str, Any]:
    secrets = [s for s in c.store.all("secret") if query.finds(s["name"])]
    if query.page_size is None:  # the API then answers every secret at once (SDK docstring)
        page, next_cursor = secrets, None
    else:
        page, next_cursor, _ = paginate(secrets, query.cursor, query.page_size)
    return {"secrets": [_render(c, s, dependency_limit) for s in page], "next_cursor": next_cursor}


@router.get("/{secret_id}")
async def get_secret(secret_id: str, c: C) -> dict[str, Any]:
    return _render(c, SECRET.load(c, secret_id))


@router.patch("/{secret_id}")
async def update_secret(secret_id: str, body: SecretUpdate, c: C) -> dict[str, Any]:
    return _stored(SECRET.update(c, secret_id, {"name": body.name, "value": body.value}))


@router.delete("/{secret_id}")
async def delete_secret(secret_id: str, c: C) -> dict[str, Any]:
    with c.store.tx():
        SECRET.load(c, secret_id)
        tools = _tools_using(c, secret_id)
        if tools:
            raise bad_request(
                "secret_in_use",
                f"Secret {secret_id} is used by {len(tools)} tool(s); remove it from them before deleting it.",
            )
        c.store.delete("secret", secret_id)
    return {}
