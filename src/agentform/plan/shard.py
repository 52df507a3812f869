"""`--shard I/N`: a stable partition of the project's agents, for matrix jobs that each plan, apply or test a part.

An agent belongs to shard `1 + (sha256(key) mod N)` (docs/decisions/0056). The shard of a key depends on that key
and N only, so adding or removing an agent never moves another one, every job of a matrix computes the same
partition without talking to the others, and an agent deleted from git still has a shard (the one that prunes it).
Changing N does move agents between shards; that costs nothing, since shards keep no state of their own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ValueError):
    """A `--shard` value that is not `I/N` with 1 <= I <= N."""


def shard_of(key: str, count: int) -> int:
    """The 1-based shard of agent `key` among `count` shards."""
    if count < 1:
        raise ShardError(f"a shard count must be at least 1, not {count}")
    # Eight bytes of the digest are plenty for an even spread and keep the arithmetic cheap.
    return 1 + int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based, as `--shard 2/4` and a GitHub Actions matrix `[1, 2, 3, 4]` count)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ShardError(f"shard {self.index}/{self.count}: I must be between 1 and N (1 <= I <= N)")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"2/4"` -> `Shard(2, 4)`; `ShardError` naming the value for anything else."""
        match = _SHARD.match(text)
        if match is None:
            raise ShardError(f"--shard {text!r}: expected I/N, e.g. 1/4")
        return cls(int(match.group(1)), int(match.group(2)))

    def holds(self, key: str) -> bool:
        return shard_of(key, self.count) == self.index

    def keys(self, keys: Iterable[str]) -> list[str]:
        """The keys this shard holds, sorted."""
        return sorted(key for key in keys if self.holds(key))

    def describe(self, keys: Iterable[str]) -> str:
        """One line for the log: which of `keys` this shard holds (every job prints its own part)."""
        keys = list(keys)
        mine = self.keys(keys)
        listing = ", ".join(mine) if mine else "none"
        return f"Shard {self}: {len(mine)} of {len(keys)} agent(s): {listing}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def partition(keys: Iterable[str], count: int) -> dict[int, list[str]]:
    """Every shard 1..count with the keys it holds (sorted); an empty shard is listed too."""
    parts: dict[int, list[str]] = {index: [] for index in range(1, count + 1)}
    for key in sorted(keys):
        parts[shard_of(key, count)].append(key)
    return parts
