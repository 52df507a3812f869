"""Shard benchmark: what `--shard I/N` saves in the planner, and what the partition itself costs.

    .venv/bin/python bench/bench_shards.py [--agents 400] [--shards 4] [--repeat 3]

The repository of bench_planner.py (every agent read in full, 10% of prompts edited), planned in memory, no I/O.
Figures, each with its baseline measured in the same run:

- one shard's plan vs the full plan (ideal: 1/N);
- all N shards' plans one after the other vs the full plan (the overhead of planning in parts);
- partitioning the agent keys (sha256 per key) vs the full plan (it should be noise).

The reads are not in these figures: every shard still lists the whole workspace (docs/decisions/0056).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench_planner import best_of, repository  # noqa: E402
from tests.plan.builders import applied, live_state  # noqa: E402

from agentform.plan.planner import make_plan  # noqa: E402
from agentform.plan.shard import Shard, partition  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=400)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    live = applied(make_plan(repository(args.agents), live_state(), prune=True), read_agents=True)
    edited = repository(args.agents, edited_every=10)
    shards = [Shard(index, args.shards) for index in range(1, args.shards + 1)]

    full_s = best_of(args.repeat, lambda: make_plan(edited, live, prune=True))
    one_s = best_of(args.repeat, lambda: make_plan(edited, live, prune=True, shard=shards[0]))
    all_s = best_of(args.repeat, lambda: [make_plan(edited, live, prune=True, shard=shard) for shard in shards])
    partition_s = best_of(args.repeat, lambda: partition(edited.agents, args.shards))

    full = make_plan(edited, live, prune=True)
    parts = [make_plan(edited, live, prune=True, shard=shard) for shard in shards]
    changed = {c.address for c in full.changes if c.is_change}
    assert changed == {c.address for plan in parts for c in plan.changes if c.is_change}, "shards cover the plan"
    sizes = [len(keys) for keys in partition(edited.agents, args.shards).values()]

    print(f"shard benchmark: {args.agents} agents in {args.shards} shards of {sizes}, 10% prompts edited")
    print(f"  full plan                               {full_s * 1000:8.1f} ms")
    print(
        f"  one shard's plan (1/{args.shards})                 {one_s * 1000:8.1f} ms   {one_s / full_s:5.2f}x full "
        f"(ideal {1 / args.shards:.2f})"
    )
    print(f"  all {args.shards} shards, one after the other      {all_s * 1000:8.1f} ms   {all_s / full_s:5.2f}x full")
    print(f"  partition of the keys                   {partition_s * 1000:8.2f} ms   {partition_s / full_s:5.3f}x full")


if __name__ == "__main__":
    main()
