"""Generated live traffic: conversations spread over an agent's traffic split, for testing rollouts offline.

`POST /_emulator/traffic` asks for N conversations of one agent. Each one is routed like a real call: to a branch
drawn by the live split's percentages, running that branch's tip version. Its `call_successful` is drawn from the
rate given for the branch (by name), and so is each of the version's evaluation criteria; the transcript is the
version's first message, a caller's turn and the stand-in model's reply to it (`standin.py`). Everything is drawn
from one `random.Random(seed)`, so the same seed over the same split gives the same conversations.

`generate` is pure: the route (`routes/traffic.py`) reads the split and the versions and stores the result.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentform.emulator.standin import best_reply, candidates

# What the generated callers say; the agent answers each with the best-matching sentence of its own material.
CALLER_TURNS = (
    "Hello, I have a question about your opening hours.",
    "I would like to book an appointment, please.",
    "How much does it cost?",
    "Something is not working and I need help.",
    "Can you tell me where you are?",
)
# Call lengths in seconds, drawn uniformly: long enough to look like calls, short enough to read.
DURATION_RANGE = (20, 240)


@dataclass(frozen=True)
class Route:
    """A branch that takes traffic: its id, name, share (percent), tip version id and that version's config."""

    branch_id: str
    name: str
    percentage: float
    version_id: str
    config: Mapping[str, Any]


def rate_for(rates: Mapping[str, float], name: str, default: float) -> float:
    """The success rate given for a branch name (case-insensitive: the main branch is "Main"), else `default`."""
    folded = {key.casefold(): value for key, value in rates.items()}
    return folded.get(name.casefold(), default)


def generate(
    routes: Sequence[Route],
    *,
    count: int,
    seed: int,
    success_rates: Mapping[str, float],
    default_rate: float,
    at_unix: int,
) -> list[dict[str, Any]]:
    """`count` conversations (bodies for `routes.conversations.seed`), all started at `at_unix`: a burst of calls
    that never predates whatever deployment is live when it is asked for."""
    rng = random.Random(seed)
    taking = [route for route in routes if route.percentage > 0]
    weights = [route.percentage for route in taking]
    conversations = []
    for _ in range(count):
        route = rng.choices(taking, weights=weights)[0]
        rate = rate_for(success_rates, route.name, default_rate)
        conversations.append(_conversation(route, rng, rate, at_unix))
    return conversations


def _conversation(route: Route, rng: random.Random, rate: float, start: int) -> dict[str, Any]:
    successful = rng.random() < rate
    criteria = ((route.config.get("platform_settings") or {}).get("evaluation") or {}).get("criteria") or []
    results = {}
    for criterion in criteria:
        passed = rng.random() < rate
        results[criterion["id"]] = {
            "criteria_id": criterion["id"],
            "result": "success" if passed else "failure",
            "rationale": f"Generated traffic: drawn with success rate {rate:g} for branch {route.name}.",
        }
    duration = rng.randint(*DURATION_RANGE)
    return {
        "branch_id": route.branch_id,
        "version_id": route.version_id,
        "start_time_unix_secs": start,
        "call_duration_secs": duration,
        "call_successful": "success" if successful else "failure",
        "transcript": _transcript(route.config, rng.choice(CALLER_TURNS), duration),
        "transcript_summary": f"Generated call on branch {route.name}.",
        "evaluation_criteria_results": results,
    }


def _transcript(config: Mapping[str, Any], caller: str, duration: int) -> list[dict[str, Any]]:
    agent = (config.get("conversation_config") or {}).get("agent") or {}
    first_message = agent.get("first_message") or ""
    pool = candidates((agent.get("prompt") or {}).get("prompt") or "", first_message, [])
    reply = best_reply(caller, pool)
    return [
        {"role": "agent", "message": first_message, "time_in_call_secs": 0},
        {"role": "user", "message": caller, "time_in_call_secs": min(5, duration)},
        {"role": "agent", "message": reply, "time_in_call_secs": min(10, duration)},
    ]
