"""The repository's own example project (agentform.yaml, agents/, knowledge/, ...), copied for tests that change it."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# What the example project is made of (the rest of the repository is the tool itself).
EXAMPLE_PARTS = ("agentform.yaml", "agents", "knowledge", "tools", "tests_specs")


def copy_example(root: Path) -> Path:
    """Copy the example project into `root` (created if missing); returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        source = REPO_ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / part)
    return root
