"""The pinned install spec of the running agentform, for the workflows `agentform init` writes (docs/decisions/0082).

A workflow that runs `pip install agentform` installs whatever the index serves on that day into a job holding the
API key and a write token. The templates install `AGENTFORM_INSTALL` instead, and fail without one; init fills in
the spec of the agentform that runs it, read from its installation record (PEP 610 `direct_url.json`).
"""

from __future__ import annotations

import json
from importlib import metadata

# Where the templates take the spec init found (replaced in the text, never left in a written file).
PLACEHOLDER = "__AGENTFORM_INSTALL__"


def install_spec(direct_url: str | None, version: str) -> str | None:
    """A pip requirement that installs exactly this agentform, or None when there is none to give.

    From git at a commit: that URL and commit. From an archive URL with a hash: that URL and hash. From an index (no
    `direct_url.json`): the version (the index keeps a version's files immutable; hash lines can be added). From a
    local folder or an editable checkout: None (nothing a CI runner can fetch)."""
    if direct_url is None:
        return f"agentform=={version}"
    try:
        origin = json.loads(direct_url)
    except json.JSONDecodeError:
        return None
    url = origin.get("url", "")
    vcs = origin.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and vcs.get("commit_id") and not url.startswith("file:"):
        return f"agentform @ git+{url}@{vcs['commit_id']}"
    archive = origin.get("archive_info") or {}
    # `hashes` is {"sha256": "..."}; the older `hash` is already "sha256=...", the form of pip's URL fragment.
    digest = next((f"{name}={value}" for name, value in (archive.get("hashes") or {}).items()), archive.get("hash"))
    if digest and not url.startswith("file:"):
        return f"agentform @ {url}#{digest}"
    return None


def running_install_spec() -> str | None:
    """`install_spec` of the installed agentform distribution."""
    try:
        distribution = metadata.distribution("agentform")
    except metadata.PackageNotFoundError:
        return None
    return install_spec(distribution.read_text("direct_url.json"), distribution.version)


def fill_in(workflow: str, spec: str | None) -> str:
    """The workflow text with the spec as the default of `AGENTFORM_INSTALL` (a YAML single-quoted string)."""
    return workflow.replace(PLACEHOLDER, (spec or "").replace("'", "''"))
