"""Hypothesis profiles, chosen once per run by the root conftest.

- `ci` (automatic when `CI=true`): derandomized and without the example database, so two CI runs of one commit
  try the same examples and a red run can be repeated; each property runs its written budget.
- `dev` (the default elsewhere): the same budgets with fresh random examples each run, failures remembered in
  `.hypothesis/`; over many local runs it explores what CI's fixed examples never reach.
- `long` (`HYPOTHESIS_PROFILE=long`): ten times each budget, for a deliberate search before a release.

A property states its CI budget as `@settings(max_examples=examples(25))`: an explicit `max_examples` would win over
every profile, so the budget goes through `examples` to be scaled by the one in force.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import settings

_SCALE = {"ci": 1, "dev": 1, "long": 10}
_DEFAULT_BUDGET = 100

# Hypothesis loads its own `ci` profile when it sees CI; each of ours starts from the library's defaults instead.
_BASE = settings.get_profile("default")
settings.register_profile(
    "ci", _BASE, derandomize=True, database=None, deadline=None, print_blob=True, max_examples=_DEFAULT_BUDGET
)
settings.register_profile("dev", _BASE, deadline=None, max_examples=_DEFAULT_BUDGET)
settings.register_profile("long", _BASE, deadline=None, max_examples=_DEFAULT_BUDGET * _SCALE["long"])

_loaded = "dev"


def profile_for(environ: Mapping[str, str]) -> str:
    """`HYPOTHESIS_PROFILE` when set, else `ci` under CI (`CI=true`, as GitHub Actions sets it), else `dev`."""
    chosen = environ.get("HYPOTHESIS_PROFILE") or ("ci" if environ.get("CI", "").lower() == "true" else "dev")
    if chosen not in _SCALE:
        raise ValueError(f"HYPOTHESIS_PROFILE={chosen!r}: expected one of {', '.join(_SCALE)}")
    return chosen


def load_profile(environ: Mapping[str, str]) -> str:
    global _loaded
    _loaded = profile_for(environ)
    settings.load_profile(_loaded)
    return _loaded


def examples(budget: int) -> int:
    """The number of examples for a property whose CI budget is `budget`, under the profile in force."""
    return budget * _SCALE[_loaded]
