"""`POST /_emulator/traffic`: generate conversations over an agent's live traffic split (see `emulator/traffic.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from agentform.emulator import agent_state as state
from agentform.emulator.common import C, Context, validation_error
from agentform.emulator.routes.conversations import SeedConversation, seed
from agentform.emulator.traffic import Route, generate

router = APIRouter(prefix="/_emulator")

Rate = Annotated[float, Field(ge=0, le=1)]


class TrafficBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str
    conversations: int = Field(ge=1, le=10_000, description="How many calls to generate.")
    seed: int = Field(0, description="The same seed over the same split gives the same conversations.")
    success_rate: dict[str, Rate] = Field(default_factory=dict, description="Branch name -> rate of success.")
    default_success_rate: Rate = Field(1.0, description="The rate of branches `success_rate` does not name.")


def live_routes(c: Context, agent_id: str) -> list[Route]:
    """The branches of the live split, each with its share and its tip version: main first, then by name, so that a
    seed draws the same branches whatever ids the branches got."""
    main_id = state.get_agent_record(c, agent_id)["main_branch_id"]
    routes = []
    for branch_id, percentage in state.live_split(c, agent_id).items():
        branch = state.get_branch(c, agent_id, branch_id)
        version = state.get_version(c, agent_id, branch["tip_version_id"])
        routes.append(Route(branch_id, branch["name"], percentage, version["id"], version["config"]))
    return sorted(routes, key=lambda route: (route.branch_id != main_id, route.name))


@router.post("/traffic")
async def traffic(body: TrafficBody, c: C) -> dict[str, Any]:
    """Store `conversations` calls spread over the agent's live split; their ids and the count per branch."""
    with c.store.tx():
        state.get_agent_record(c, body.agent_id)
        names = {branch["name"].casefold() for branch in state.branches_of(c, body.agent_id)}
        unknown = sorted(name for name in body.success_rate if name.casefold() not in names)
        if unknown:
            raise validation_error(["body", "success_rate"], f"The agent has no branch named {', '.join(unknown)}.")
        generated = generate(
            live_routes(c, body.agent_id),
            count=body.conversations,
            seed=body.seed,
            success_rates=body.success_rate,
            default_rate=body.default_success_rate,
            at_unix=c.now(),
        )
        stored = [seed(c, SeedConversation(agent_id=body.agent_id, **conversation)) for conversation in generated]
    by_branch: dict[str, int] = {}
    for conversation in stored:
        by_branch[conversation["branch_id"]] = by_branch.get(conversation["branch_id"], 0) + 1
    return {"conversation_ids": [conv["conversation_id"] for conv in stored], "by_branch": by_branch}
