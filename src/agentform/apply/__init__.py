"""Executing plans against the live workspace: ordered, journaled, idempotent (docs/decisions/0052).

`apply_plan(client, plan, desired, ...)` runs a `Plan`; `collect_garbage(client, desired, live)` removes managed
document / tool / test versions that nothing references any more.
"""

from agentform.apply.executor import ApplyRefused, ApplyResult, apply_plan, stages
from agentform.apply.gc import collect_garbage
from agentform.apply.journal import Journal, JournalEntry, read_journal
from agentform.apply.operations import ApplyError

__all__ = [
    "ApplyError",
    "ApplyRefused",
    "ApplyResult",
    "Journal",
    "JournalEntry",
    "apply_plan",
    "collect_garbage",
    "read_journal",
    "stages",
]
