"""Shared settings of the reliability suite.

`AGENTFORM_RELIABILITY_SEEDS` sets how many seeds the randomised tests (fault storms, kill points) run: CI runs
the defaults (2, one for the slow deploy kill) to stay fast; set it higher locally for a longer hunt
(docs/reliability.md).
"""

from __future__ import annotations

import os


def seeds(default: int = 2) -> list[int]:
    """The seeds of one randomised test: `default` of them (what CI runs), or as many as the variable says."""
    return list(range(int(os.environ.get("AGENTFORM_RELIABILITY_SEEDS", default))))
