"""Staged rollouts: a branch takes a share of live traffic, is measured against main on the same window, and is
promoted step by step or aborted (docs/rollouts.md, decisions 0140-0142).

- `stats.py`: success rate with a Wilson interval, criteria pass rates, mean duration, difference to main (pure);
- `decide.py`: the decision rule (pure);
- `rollable.py`: which branch may be rolled out (pure); the rollout entries of the state record live in
  `state/rollouts.py` (the plan notes them too);
- `actions.py`: start, step, promote, abort, resume and measure, against the client, under the environment lock.
"""
