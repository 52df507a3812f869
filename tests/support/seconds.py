"""Crossing a second of the wall clock, where a test stands for a person acting after agentform wrote."""

from __future__ import annotations

import time


def in_a_later_second() -> None:
    """Wait for the next second of the clock: a person edits a resource later than the second agentform created it
    in (its id was not known before), which is what lets a creation time vouch for it (docs/decisions/0110)."""
    time.sleep(1.01 - time.time() % 1)
