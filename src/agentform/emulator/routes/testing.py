"""Agent-testing tests (union on `type`: llm | tool | simulation) and test folders."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import model_validator

from agentform.emulator.common import C, Context, Listing, LooseBody, Resource, access_info, bad_request, new_id
from agentform.emulator.store import Doc

router = APIRouter(prefix="/v1/convai/agent-testing")
TEST = Resource("test", "Test")
TEST_FOLDER = Resource("testfolder", "Test folder")


class TestBody(LooseBody):
    """The create / PUT body; fields beyond these are stored as sent (the API's union has many)."""

    type: Literal["llm", "tool", "simulation"] = "llm"  # the document gives each variant its tag as default
    name: str
    parent_folder_id: str | None = None
    chat_history: list[dict[str, Any]] | None = None
    success_condition: str | None = None
    success_conditions: list[str] | None = None

    @model_validator(mode="after")
    def _simulation_needs_a_condition(self) -> TestBody:
        if self.type == "simulation" and not (self.success_condition or self.success_conditions):
            raise ValueError("a simulation test needs success_condition or success_conditions")
        return self


class FolderBody(LooseBody):
    name: str
    parent_folder_id: str | None = None


def _folder_path(folders: Callable[[str], Doc | None], parent_id: str | None) -> list[dict[str, Any]]:
    path: list[dict[str, Any]] = []
    while parent_id:
        folder = folders(parent_id)
        if folder is None:
            break
        path.insert(0, {"id": folder["id"], "name": folder["name"]})
        parent_id = folder.get("parent_folder_id")
    return path


def render_test(test: dict[str, Any]) -> dict[str, Any]:
    """`TestsGetResponse`: the stored definition plus id and access info (no parent_folder_id, as the API)."""
    body = {k: v for k, v in test["body"].items() if k != "parent_folder_id"}
    return {**body, "id": test["id"], "access_info": access_info()}


def _summary(folders: dict[str, Doc], item: dict[str, Any], *, folder: bool) -> dict[str, Any]:
    parent = item.get("parent_folder_id")
    return {
        "id": item["id"],
        "name": item["name"] if folder else item["body"]["name"],
        "access_info": access_info(),
        "created_at_unix_secs": item["created_at"],
        "last_updated_at_unix_secs": item["updated_at"],
        "type": "folder" if folder else item["body"]["type"],
        "entity_type": "folder" if folder else "test",
        "folder_parent_id": parent,
        "folder_path": _folder_path(folders.get, parent),
    }


def _check_parent(c: Context, parent_folder_id: str | None) -> None:
    if parent_folder_id:
        TEST_FOLDER.load(c, parent_folder_id)


_ID_PREFIX = {"test": "test_", "testfolder": "tfold_"}


def _create(c: Context, kind: str, parent_folder_id: str | None, **fields: Any) -> dict[str, Any]:
    """Store a new test or test folder under an existing folder (or at the root)."""
    _check_parent(c, parent_folder_id)
    now = c.now()
    item = {
        "id": new_id(_ID_PREFIX[kind]),
        **fields,
        "parent_folder_id": parent_folder_id,
        "created_at": now,
        "updated_at": now,
    }
    return c.store.put(kind, item["id"], item)


@router.post("/create")
async def create_test(body: TestBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        test = _create(c, "test", body.parent_folder_id, body=body.model_dump(exclude_none=True))
    return {"id": test["id"]}


@router.get("")
async def list_tests(c: C, query: Listing, parent_folder_id: str | None = None) -> dict[str, Any]:
    # Every folder once per request: each item's folder path is then looked up in memory.
    folders = {f["id"]: f for f in c.store.all("testfolder")}
    items = [_summary(folders, t, folder=False) for t in c.store.all("test")]
    if query.types and "folder" in query.types:
        items = [_summary(folders, f, folder=True) for f in folders.values()] + items
    if parent_folder_id:
        wanted = None if parent_folder_id == "root" else parent_folder_id
        items = [i for i in items if i["folder_parent_id"] == wanted]
    items = [i for i in items if query.has_type(i["type"]) and query.finds(i["name"], anywhere=True)]
    return query.page("tests", items)


@router.post("/folders")
async def create_folder(body: FolderBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        folder = _create(c, "testfolder", body.parent_folder_id, name=body.name)
    return {"id": folder["id"], "name": folder["name"]}


def _render_folder(c: Context, folder: dict[str, Any]) -> dict[str, Any]:
    children = [t for t in c.store.all("test") if t.get("parent_folder_id") == folder["id"]]
    children += [f for f in c.store.all("testfolder") if f.get("parent_folder_id") == folder["id"]]
    return {
        "id": folder["id"],
        "name": folder["name"],
        "folder_path": _folder_path(partial(c.store.get, "testfolder"), folder.get("parent_folder_id")),
        "children_count": len(children),
    }


@router.get("/folders/{folder_id}")
async def get_folder(folder_id: str, c: C) -> dict[str, Any]:
    return _render_folder(c, TEST_FOLDER.load(c, folder_id))


@router.patch("/folders/{folder_id}")
async def rename_folder(folder_id: str, body: FolderBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        return _render_folder(c, TEST_FOLDER.update(c, folder_id, {"name": body.name, "updated_at": c.now()}))


@router.delete("/folders/{folder_id}")
async def delete_folder(folder_id: str, c: C, force: bool = False) -> dict[str, Any]:
    with c.store.tx():
        folder = TEST_FOLDER.load(c, folder_id)
        if _render_folder(c, folder)["children_count"] and not force:
            raise bad_request("folder_not_empty", f"Test folder {folder_id} is not empty; delete with force=true.")
        for test in c.store.all("test"):
            if test.get("parent_folder_id") == folder_id:
                c.store.delete("test", test["id"])
        c.store.delete("testfolder", folder_id)
    return {}


@router.get("/{test_id}")
async def get_test(test_id: str, c: C) -> dict[str, Any]:
    return render_test(TEST.load(c, test_id))


@router.put("/{test_id}")
async def update_test(test_id: str, body: TestBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        test = TEST.load(c, test_id)
        _check_parent(c, body.parent_folder_id)
        # A PUT without parent_folder_id keeps the test where it is (moving is what bulk-move is for).
        parent = body.parent_folder_id if "parent_folder_id" in body.model_fields_set else test["parent_folder_id"]
        test = {
            **test,
            "body": {**body.model_dump(exclude_none=True), "parent_folder_id": parent},
            "parent_folder_id": parent,
            "updated_at": c.now(),
        }
        c.store.put("test", test_id, test)
    return render_test(test)


@router.delete("/{test_id}")
async def delete_test(test_id: str, c: C) -> dict[str, Any]:
    TEST.delete(c, test_id)
    return {}
