"""Knowledge base: documents from text, file, URL (stored, never fetched) and folders; content; dependents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import HTMLResponse

from agentform.emulator.common import (
    C,
    Context,
    Listing,
    LooseBody,
    Resource,
    access_info,
    bad_request,
    new_id,
    validation_error,
)
from agentform.emulator.dependents import Index, delete_referenced, dependents_page, kb_ids, reference_index
from agentform.emulator.store import Doc

router = APIRouter(prefix="/v1/convai/knowledge-base")
DOCUMENT = Resource("document", "Document")
Lookup = Callable[[str], Doc | None]


class TextBody(LooseBody):
    text: str
    name: str | None = None
    parent_folder_id: str | None = None


class UrlBody(LooseBody):
    url: str
    name: str | None = None
    parent_folder_id: str | None = None
    enable_auto_sync: bool | None = None
    auto_remove: bool | None = None
    minimum_frequency_days: int | None = None


class FolderBody(LooseBody):
    name: str
    parent_folder_id: str | None = None


class UpdateBody(LooseBody):
    name: str | None = None
    content: str | None = None


def _folder_path(get: Lookup, doc: Doc, *, with_names: bool) -> list[dict[str, Any]]:
    path: list[dict[str, Any]] = []
    parent_id = doc.get("parent_folder_id")
    while parent_id:
        parent = get(parent_id)
        if parent is None:
            break
        path.insert(0, {"id": parent["id"], "name": parent["name"]} if with_names else {"id": parent["id"]})
        parent_id = parent.get("parent_folder_id")
    return path


@dataclass(frozen=True)
class _Listing:
    """What rendering a listed document reads besides the document, gathered once per request: rendering a page then
    reads nothing more from the store (no per-item parent, children or dependents lookups)."""

    by_id: dict[str, Doc]
    children: dict[str | None, list[Doc]]
    dependents: Index

    @classmethod
    def of(cls, c: Context, everything: list[Doc]) -> _Listing:
        children: dict[str | None, list[Doc]] = {}
        for doc in everything:
            children.setdefault(doc.get("parent_folder_id"), []).append(doc)
        return cls({d["id"]: d for d in everything}, children, reference_index(c, kb_ids))


def _create(c: Context, type_: str, name: str, *, parent_folder_id: str | None, **fields: Any) -> dict[str, Any]:
    if parent_folder_id:
        parent = DOCUMENT.load(c, parent_folder_id)
        if parent["type"] != "folder":
            raise bad_request("invalid_parent_folder", f"{parent_folder_id} is not a folder.")
    now = c.now()
    doc = {
        "id": new_id("kbdoc_" if type_ != "folder" else "kbfold_"),
        "type": type_,
        "name": name,
        "created_at": now,
        "updated_at": now,
        "parent_folder_id": parent_folder_id,
        "content": "",
        **fields,
    }
    c.store.put("document", doc["id"], doc)
    path = _folder_path(partial(c.store.get, "document"), doc, with_names=False)
    return {"id": doc["id"], "name": doc["name"], "folder_path": path}


def _common(c: Context, doc: Doc, *, listing: _Listing | None) -> dict[str, Any]:
    """A document as `GET /knowledge-base/{id}` renders it, or as a list item when given the request's `listing`."""
    content = doc.get("content", "")
    get = listing.by_id.get if listing else partial(c.store.get, "document")
    rendered: dict[str, Any] = {
        "id": doc["id"],
        "name": doc["name"],
        "type": doc["type"],
        "metadata": {
            "created_at_unix_secs": doc["created_at"],
            "last_updated_at_unix_secs": doc["updated_at"],
            "size_bytes": len(content.encode()),
        },
        "supported_usages": [] if doc["type"] == "folder" else ["prompt", "auto"],
        "access_info": access_info(),
        "folder_parent_id": doc.get("parent_folder_id"),
        "folder_path": _folder_path(get, doc, with_names=listing is None),
    }
    if doc["type"] == "folder":
        if listing:
            children = listing.children.get(doc["id"], [])
        else:
            children = [d for d in c.store.all("document") if d.get("parent_folder_id") == doc["id"]]
        rendered["children_count"] = len(children)
        rendered["document_count"] = sum(1 for d in children if d["type"] != "folder")
    elif doc["type"] == "url":
        rendered["url"] = doc["url"]
    elif doc["type"] == "file" and not listing:
        rendered["filename"] = doc["filename"]
    if listing:
        rendered["dependent_agents"] = listing.dependents.get(doc["id"], ([], []))[0]
    elif doc["type"] != "folder":
        rendered["extracted_inner_html"] = content
        rendered["content_format"] = "markdown" if doc["type"] == "text" else "html"
    return rendered


@router.post("/text")
async def create_text(body: TextBody, c: C) -> dict[str, Any]:
    lines = body.text.strip().splitlines()
    name = body.name or (lines[0][:80] if lines else "Untitled")
    with c.store.tx():
        return _create(c, "text", name, parent_folder_id=body.parent_folder_id, content=body.text)


@router.post("/url")
async def create_url(body: UrlBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        return _create(c, "url", body.name or body.url, parent_folder_id=body.parent_folder_id, url=body.url)


@router.post("/folder")
async def create_folder(body: FolderBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        return _create(c, "folder", body.name, parent_folder_id=body.parent_folder_id)


async def _file_doc(c: Context, file: UploadFile, name: str | None, parent_folder_id: str | None) -> dict[str, Any]:
    data = await file.read()
    filename = file.filename or "upload"
    with c.store.tx():
        return _create(
            c,
            "file",
            name or filename,
            parent_folder_id=parent_folder_id,
            filename=filename,
            # No text extraction for binary formats: the stand-in model reads whatever decodes as text.
            content=data.decode("utf-8", errors="replace"),
        )


@router.post("/file")
async def create_file(
    c: C,
    file: Annotated[UploadFile, File()],
    name: Annotated[str | None, Form()] = None,
    parent_folder_id: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    return await _file_doc(c, file, name, parent_folder_id)


@router.post("")
async def create_legacy(
    c: C,
    file: Annotated[UploadFile | None, File()] = None,
    name: Annotated[str | None, Form()] = None,
    url: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """The legacy multipart endpoint: a file part makes a file document, else `url` makes a URL document."""
    if file is not None:
        return await _file_doc(c, file, name, None)
    if not url:
        raise validation_error(["body", "url"], "Provide either a file or a url.", "missing")
    with c.store.tx():
        return _create(c, "url", name or url, parent_folder_id=None, url=url)


@router.get("")
async def list_documents(
    c: C,
    query: Listing,
    parent_folder_id: str | None = None,
    ancestor_folder_id: str | None = None,
    folders_first: bool = False,
) -> dict[str, Any]:
    everything = c.store.all("document")
    listing = _Listing.of(c, everything)
    docs = [d for d in everything if query.finds(d["name"]) and query.has_type(d["type"])]
    if parent_folder_id:
        wanted = None if parent_folder_id == "root" else parent_folder_id
        docs = [d for d in docs if d.get("parent_folder_id") == wanted]
    if ancestor_folder_id:
        docs = [
            d
            for d in docs
            if ancestor_folder_id in [p["id"] for p in _folder_path(listing.by_id.get, d, with_names=False)]
        ]
    docs = query.ordered(docs, {"name": "name", "updated_at": "updated_at"}, "created_at")
    if folders_first:
        docs.sort(key=lambda d: d["type"] != "folder")
    return query.page("documents", docs, partial(_common, c, listing=listing))


@router.get("/{documentation_id}")
async def get_document(documentation_id: str, c: C) -> dict[str, Any]:
    return _common(c, DOCUMENT.load(c, documentation_id), listing=None)


@router.get("/{documentation_id}/content", response_class=HTMLResponse)
async def get_content(documentation_id: str, c: C) -> HTMLResponse:
    """The raw content (not JSON). The API's OpenAPI document declares it as text/html, so the emulator does too."""
    return HTMLResponse(DOCUMENT.load(c, documentation_id).get("content", ""))


@router.patch("/{documentation_id}")
async def update_document(documentation_id: str, body: UpdateBody, c: C) -> dict[str, Any]:
    with c.store.tx():
        doc = DOCUMENT.load(c, documentation_id)
        if body.content is not None and doc["type"] == "folder":
            raise bad_request("invalid_update", "A folder has no content.")
        changes = {k: v for k, v in (("name", body.name), ("content", body.content)) if v is not None}
        doc = {**doc, **changes, "updated_at": c.now()}
        c.store.put("document", doc["id"], doc)
        return _common(c, doc, listing=None)


@router.delete("/{documentation_id}")
async def delete_document(documentation_id: str, c: C, force: bool = False) -> dict[str, Any]:
    with c.store.tx():
        doc = DOCUMENT.load(c, documentation_id)
        doomed = _subtree(c, doc)
        if len(doomed) > 1 and not force:
            raise bad_request("folder_not_empty", f"Folder {doc['id']} is not empty; delete with force=true.")
        for item in doomed:
            delete_referenced(c, "document", item["id"], kb_ids, force=force, refusal=_in_use)
    return {}


def _in_use(doc_id: str, agents: list[dict[str, Any]]) -> HTTPException:
    names = ", ".join(a["name"] for a in agents)
    return bad_request(
        "document_has_dependent_agents",
        f"Document {doc_id} is used by agents ({names}); detach it first or delete with force=true.",
    )


def _subtree(c: Context, doc: dict[str, Any]) -> list[dict[str, Any]]:
    found, frontier = [doc], [doc]
    everything = c.store.all("document")
    while frontier:
        ids = {d["id"] for d in frontier}
        frontier = [d for d in everything if d.get("parent_folder_id") in ids]
        found += frontier
    return found


@router.get("/{documentation_id}/dependent-agents")
async def document_dependents(documentation_id: str, c: C, query: Listing) -> dict[str, Any]:
    DOCUMENT.load(c, documentation_id)
    return dependents_page(c, documentation_id, kb_ids, query)
