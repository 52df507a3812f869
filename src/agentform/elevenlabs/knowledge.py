"""Knowledge-base documents and folders (elevenlabs-api.md §3)."""

from __future__ import annotations

import mimetypes
from typing import Any

from agentform.elevenlabs.core import ClientCore, compact, query, segment

_KB = "/v1/convai/knowledge-base"


def _document(doc_id: str) -> str:
    return f"{_KB}/{segment(doc_id)}"


class KnowledgeApi(ClientCore):
    async def list_documents(
        self,
        *,
        parent_folder_id: str | None = None,
        types: list[str] | None = None,
        search: str | None = None,
        expected: int = 0,
    ) -> list[dict[str, Any]]:
        """Every document summary (all pages); `search` is a name prefix, `types` any of file|url|text|folder.

        `expected` is how many items the caller expects. A list expected to be longer than a page is read
        oldest-first and newest-first at once: fewer round trips for a long list, where it would cost one request
        more for a list of one page.
        """
        return await self._listing(
            _KB,
            "documents",
            resource="knowledge-base documents",
            params=query(parent_folder_id=parent_folder_id, types=list(types) if types else None, search=search),
            expected=expected,
            id_key="id",
            created_at=_document_created_at,
        )

    async def get_document(self, doc_id: str) -> dict[str, Any]:
        return await self._call("GET", _document(doc_id), resource=f"document {doc_id}")

    async def get_document_content(self, doc_id: str) -> str:
        """The document's content; this endpoint answers plain text, not JSON."""
        return await self._text(f"{_document(doc_id)}/content", resource=f"content of document {doc_id}")

    async def create_text_document(
        self, *, text: str, name: str, parent_folder_id: str | None = None
    ) -> dict[str, Any]:
        """`{id, name, folder_path}` of the new text document."""
        return await self._call(
            "POST",
            f"{_KB}/text",
            resource=f"new text document {name!r}",
            json={"text": text, "name": name, **compact(parent_folder_id=parent_folder_id)},
        )

    async def create_file_document(
        self, *, filename: str, data: bytes, name: str, parent_folder_id: str | None = None
    ) -> dict[str, Any]:
        """Upload a file document as multipart: the `file` part plus `name` / `parent_folder_id` form fields."""
        return await self._call(
            "POST",
            f"{_KB}/file",
            resource=f"new file document {name!r}",
            files={"file": (filename, data, _content_type(filename))},
            data={"name": name, **compact(parent_folder_id=parent_folder_id)},
        )

    async def create_url_document(
        self, *, url: str, name: str, parent_folder_id: str | None = None, **settings: Any
    ) -> dict[str, Any]:
        """A document scraped from `url`; `settings`: enable_auto_sync, auto_remove, minimum_frequency_days."""
        return await self._call(
            "POST",
            f"{_KB}/url",
            resource=f"new URL document {name!r}",
            json={"url": url, "name": name, **compact(parent_folder_id=parent_folder_id, **settings)},
        )

    async def create_folder(self, *, name: str, parent_folder_id: str | None = None) -> dict[str, Any]:
        """`{id, name, ...}` of a new knowledge-base folder."""
        return await self._create_folder(f"{_KB}/folder", "knowledge-base folder", name, parent_folder_id)

    async def update_document(
        self, doc_id: str, *, name: str | None = None, content: str | None = None
    ) -> dict[str, Any]:
        """Rename a document and/or replace its content (text documents)."""
        return await self._call(
            "PATCH", _document(doc_id), resource=f"document {doc_id}", json=compact(name=name, content=content)
        )

    async def delete_document(self, doc_id: str, *, force: bool = False) -> None:
        """Delete a document; `force` also detaches it from the agents that use it (the API refuses otherwise)."""
        await self._delete(_document(doc_id), resource=f"document {doc_id}", force=force)

    async def document_dependent_agents(self, doc_id: str) -> dict[str, Any]:
        """`{agents, branches}` that reference the document, all pages merged."""
        return await self._dependents(_document(doc_id), resource=f"agents using document {doc_id}")


def _document_created_at(item: dict[str, Any]) -> Any:
    return (item.get("metadata") or {}).get("created_at_unix_secs")


def _content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
