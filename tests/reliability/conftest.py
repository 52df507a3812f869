"""Shared settings of the reliability suite.

`AGENTFORM_RELIABILITY_SEEDS` sets how many seeds the randomised tests (fault storms, kill points) run: CI runs
the default (2) to stay fast; set it higher locally for a longer hunt (docs/reliability.md).
"""

from __future__ import annotations

import os


def seeds() -> list[int]:
    return list(range(int(os.environ.get("AGENTFORM_RELIABILITY_SEEDS", "2"))))
