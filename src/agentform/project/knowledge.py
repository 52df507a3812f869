"""knowledge/<key>.<ext> -> `DesiredDocument`.

Text documents (.md, .txt, .html) become `text` documents; .pdf and .docx are uploaded as `file` documents; a
.url file holds one URL. A sibling `<key>.yaml` may set `name` and `prevent_destroy` (and, for URL documents,
`enable_auto_sync`, `auto_remove`, `minimum_frequency_days`).
"""

from __future__ import annotations

import posixpath
import re
from typing import Literal

from agentform.model import DesiredDocument, SourceLocation
from agentform.project.context import START, Context, dotted
from agentform.project.schema import KnowledgeMetaFile, validate_model

TEXT_EXTENSIONS = {".md", ".txt", ".html", ".htm"}
FILE_EXTENSIONS = {".pdf", ".docx"}
URL_EXTENSION = ".url"
META_EXTENSIONS = {".yaml", ".yml"}
# The API's upload limit for a knowledge-base file; text documents are held to the same bound.
MAX_DOCUMENT_BYTES = 21 * 1024 * 1024
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def load_documents(context: Context) -> dict[str, DesiredDocument]:
    groups: dict[str, dict[str, str]] = {}
    for path in sorted(context.files):
        if not path.startswith("knowledge/"):
            continue
        relative = path[len("knowledge/") :]
        name = posixpath.basename(relative)
        if name.startswith("."):
            continue  # .gitkeep and friends
        if "/" in relative:
            context.diagnostics.error(path, START, "", "documents must sit directly in knowledge/ (no subfolders)")
            continue
        key, extension = posixpath.splitext(name)
        extension = extension.lower()
        if extension not in TEXT_EXTENSIONS | FILE_EXTENSIONS | META_EXTENSIONS | {URL_EXTENSION}:
            known = ", ".join(sorted(TEXT_EXTENSIONS | FILE_EXTENSIONS | {URL_EXTENSION}))
            context.diagnostics.error(path, START, "", f"unsupported document type {extension or '(none)'!r} ({known})")
            continue
        if not context.valid_key(path, "document", key):
            continue
        groups.setdefault(key, {})[extension] = path
    documents = {}
    for key, paths in groups.items():
        document = _load_document(context, key, paths)
        if document is not None:
            documents[key] = document
    return documents


def _load_document(context: Context, key: str, paths: dict[str, str]) -> DesiredDocument | None:
    meta_paths = [paths[e] for e in sorted(META_EXTENSIONS) if e in paths]
    content = {extension: path for extension, path in paths.items() if extension not in META_EXTENSIONS}
    if not content:
        context.diagnostics.error(meta_paths[0], START, "", f"settings for document {key!r}, but no document file")
        return None
    if len(content) > 1:
        names = ", ".join(sorted(posixpath.basename(p) for p in content.values()))
        for path in sorted(content.values()):
            context.diagnostics.error(path, START, "", f"several documents share the key {key!r}: {names}")
        return None
    extension, path = next(iter(content.items()))
    meta = _load_meta(context, meta_paths, is_url=extension == URL_EXTENSION)
    if meta is False:
        return None
    name = (meta.name if meta else None) or key
    common = {
        "key": key,
        "name": name,
        "prevent_destroy": bool(meta and meta.prevent_destroy),
        "source": SourceLocation(path=path),
    }
    data = context.source.read(path)
    if len(data) > MAX_DOCUMENT_BYTES:
        limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
        context.diagnostics.error(
            path, START, "", f"document is {len(data):,} bytes; the API accepts at most {limit} MB"
        )
        return None
    if extension in FILE_EXTENSIONS:
        if not data:
            context.diagnostics.error(path, START, "", "document is empty")
            return None
        return DesiredDocument(kind="file", data=data, filename=posixpath.basename(path), **common)
    text = context.read_text(path)
    if text is None:
        return None
    if not text.strip():
        context.diagnostics.error(path, START, "", "document is empty")
        return None
    if extension == URL_EXTENSION:
        return _url_document(context, path, text, meta, common)
    return DesiredDocument(kind="text", text=text, **common)


def _url_document(
    context: Context, path: str, text: str, meta: KnowledgeMetaFile | None, common: dict
) -> DesiredDocument | None:
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    number, url = lines[0]
    if not URL.match(url):
        context.diagnostics.error(path, (number, 1), "", "expected an http(s) URL on the first line")
        return None
    if len(lines) > 1:
        context.diagnostics.error(path, (lines[1][0], 1), "", "a .url file holds exactly one URL")
        return None
    settings = (
        meta.model_dump(include={"enable_auto_sync", "auto_remove", "minimum_frequency_days"}, exclude_none=True)
        if meta
        else {}
    )
    return DesiredDocument(kind="url", url=url, url_settings=settings, **common)


def _load_meta(context: Context, paths: list[str], *, is_url: bool) -> KnowledgeMetaFile | Literal[False] | None:
    """The sibling settings file: the parsed settings, None if there is none, False if it is invalid."""
    if not paths:
        return None
    if len(paths) > 1:
        context.diagnostics.error(paths[1], START, "", f"two settings files for one document: {', '.join(paths)}")
        return False
    document = context.read_yaml(paths[0])
    if document is None:
        return False

    def report(at: tuple[str | int, ...], message: str) -> None:
        context.diagnostics.error(document.path, document.where(at), dotted(at), message)

    meta = validate_model(KnowledgeMetaFile, document.data, report)
    if meta is None:
        return False
    if not is_url:
        for key in ("enable_auto_sync", "auto_remove", "minimum_frequency_days"):
            if key in document.data:
                report((key,), "only URL documents (.url) have this setting")
                return False
    return meta
