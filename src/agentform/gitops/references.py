"""What an agent version references (KB documents, tools, tests), whether each still resolves, and recreating a
missing KB document from git (docs/decisions/0081).

A rollback writes an old version's configuration back; the API answers 404 `document_not_found` when a document it
names is gone, and a restored version whose tool or test is gone is broken for callers or for the next test run.
`plan/references.py` says what a version references; `unresolved` reads each reference back; `plan_recreation` finds
the commit whose files hold a missing document's content (its managed name carries the key and content hash) and
`recreate_documents` creates it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentform.context import load
from agentform.plan import identity
from agentform.plan.references import References

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


async def unresolved(client: ElevenLabsClient, refs: References) -> list[str]:
    """One line per reference that no longer resolves (`document <id> (<name>)`); [] when all do."""
    from agentform.elevenlabs import NotFoundError

    async def gone(kind: str, live_id: str, read: Any) -> str | None:
        try:
            await read(live_id)
        except NotFoundError:
            name = refs.document_names.get(live_id) if kind == "document" else None
            return f"{kind} {live_id}" + (f" ({name})" if name else "")
        return None

    checks = [gone("document", i, client.get_document) for i in refs.documents]
    checks += [gone("tool", i, client.get_tool) for i in refs.tools]
    checks += [gone("test", i, client.get_test) for i in refs.tests]
    return [line for line in await asyncio.gather(*checks) if line]


@dataclass(frozen=True)
class Recreation:
    """How the missing references of a version can be put back: documents found in git, and what cannot be."""

    # Missing document id -> (the desired state at the commit that holds it, its commit, the document).
    documents: dict[str, tuple[Any, str, Any]]
    unrecoverable: list[str]


def plan_recreation(
    root: Path, env: str | None, environ: Mapping[str, str], refs: References, missing: list[str]
) -> Recreation:
    """For each missing reference (lines of `unresolved`): a document the git history holds (its managed name names
    its key and content hash), or a line saying why it cannot come back. Reads git only."""
    documents: dict[str, tuple[Any, str, Any]] = {}
    unrecoverable: list[str] = []
    wanted: dict[str, Any] = {}
    for line in missing:
        kind, live_id = line.split()[:2]
        marker = identity.parse_document_name(refs.document_names.get(live_id, "")) if kind == "document" else None
        if marker is None:
            unrecoverable.append(f"{line}: agentform cannot recreate a {kind} from git")
        else:
            wanted[live_id] = marker
    found = _documents_in_history(root, env, environ, {m.key: m.hash for m in wanted.values()})
    for live_id, marker in wanted.items():
        hit = found.get((marker.key, marker.hash))
        if hit is None:
            unrecoverable.append(f"document {live_id} ({marker.key}@{marker.hash}): no commit holds that content")
        else:
            documents[live_id] = hit
    return Recreation(documents, unrecoverable)


async def recreate_documents(client: ElevenLabsClient, recreation: Recreation) -> dict[str, str]:
    """Create each document of `recreation` again, in its managed folder: old id -> new id."""
    from agentform.apply import operations
    from agentform.plan.model import ResourceChange
    from agentform.plan.payload import document_payload
    from agentform.state.folder import ensure_folder

    created: dict[str, str] = {}
    for old_id, (desired, _commit, document) in recreation.documents.items():
        folder = await ensure_folder(client, identity.folder_name(desired.settings.project, desired.environment.name))
        change = ResourceChange(address=f"document.{document.key}", kind="document", key=document.key, action="create")
        outcome = await operations.create(client, change, document_payload(document, folder), desired)
        created[old_id] = outcome.live_id
    return created


def _documents_in_history(
    root: Path, env: str | None, environ: Mapping[str, str], wanted: Mapping[str, str]
) -> dict[tuple[str, str], tuple[Any, str, Any]]:
    """(key, hash12) -> (desired, commit, document) for each wanted document, from the newest commit holding it."""
    import git

    found: dict[tuple[str, str], tuple[Any, str, Any]] = {}
    if not wanted:
        return found
    with git.Repo(root, search_parent_directories=True) as repo:
        commits = [commit.hexsha for commit in repo.iter_commits("HEAD", paths=str(root.resolve()))]
    for commit in commits:
        desired = load(root, env, commit, environ, strict=False).desired
        if desired is None:
            continue
        for key, short in wanted.items():
            document = desired.documents.get(key)
            if document is not None and document.content_hash()[:12] == short:
                found.setdefault((key, short), (desired, commit, document))
        if len(found) == len(wanted):
            break
    return found


def substitute_ids(config: Mapping[str, Any], replaced: Mapping[str, str]) -> dict[str, Any]:
    """`config` with every reference to a replaced document pointing at its recreated id."""
    import copy

    result = copy.deepcopy(dict(config))
    prompt = ((result.get("conversation_config") or {}).get("agent") or {}).get("prompt") or {}
    for item in prompt.get("knowledge_base") or []:
        if item.get("id") in replaced:
            item["id"] = replaced[item["id"]]
    return result
