"""Fault injection rules: which requests get latency, an error status or a dropped connection.

A rule matches requests by method and a path glob; it fires on every match, only on the Nth match, at most
`count` times, or with a probability drawn from a seeded generator (so a failing run can be replayed). Rules live
in the app instance (not in SQLite): they describe the test being run, not the workspace.
"""

from __future__ import annotations

import builtins
import fnmatch
import random
import threading
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal["latency", "status", "drop"]


class FaultSpec(BaseModel):
    """The body of `POST /_emulator/faults`."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    method: str = Field("*", description="HTTP method to match, or * for any.")
    path: str = Field("*", description="Glob on the request path (no query), e.g. /v1/convai/agents/*.")
    status: int = Field(500, ge=400, le=599, description="Status for kind=status.")
    retry_after: float | None = Field(None, ge=0, description="Retry-After seconds (default 1 for a 429).")
    latency_ms: float = Field(0, ge=0, description="Delay for kind=latency.")
    nth: int | None = Field(None, ge=1, description="Fire only on the Nth matching request (1-based).")
    count: int | None = Field(None, ge=1, description="Fire at most this many times.")
    rate: float | None = Field(None, ge=0, le=1, description="Fire with this probability per matching request.")
    seed: int = Field(0, description="Seed of the probability draws, for replayable runs.")
    when: Literal["before", "after"] = Field(
        "before",
        description="before: the handler never runs. after: it runs (the write happens) and its response is lost.",
    )


class Fault(FaultSpec):
    id: str
    matched: int = 0
    fired: int = 0


class FaultBook:
    """The active rules of one app. Thread-safe: uvicorn may serve requests from several threads' handlers."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._next = 1

    def add(self, spec: FaultSpec) -> Fault:
        with self._lock:
            fault = Fault(id=f"fault_{self._next}", **spec.model_dump())
            self._next += 1
            self._faults.append(fault)
            return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) < before

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def list(self) -> list[Fault]:
        with self._lock:
            return [f.model_copy() for f in self._faults]

    def fire(self, method: str, path: str) -> builtins.list[Fault]:  # `list` is a method of this class
        """The rules that fire for this request (counting the match on every matching rule)."""
        if not self._faults:
            return []
        fired = []
        with self._lock:
            for fault in self._faults:
                if not _matches(fault, method, path):
                    continue
                fault.matched += 1
                if _should_fire(fault):
                    fault.fired += 1
                    fired.append(fault.model_copy())
        return fired


def _matches(fault: Fault, method: str, path: str) -> bool:
    return fault.method in ("*", method.upper()) and fnmatch.fnmatchcase(path, fault.path)


def _should_fire(fault: Fault) -> bool:
    if fault.count is not None and fault.fired >= fault.count:
        return False
    if fault.nth is not None and fault.matched != fault.nth:
        return False
    if fault.rate is not None:
        # One draw per (seed, match number): the same seed replays the same failures in the same order.
        return random.Random(f"{fault.seed}:{fault.matched}").random() < fault.rate
    return True
