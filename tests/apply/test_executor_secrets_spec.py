"""What `apply_plan` keeps in the state record when tools use workspace secrets: the intents saved before the tool
creates are the tools' alone, and none is left once the writes are done."""

from __future__ import annotations

import asyncio

from tests.apply.helpers import converge, in_process_client, new_app
from tests.plan.test_planner_secrets_spec import clinic

from agentform.plan.read import read_workspace


def test_an_apply_that_creates_tools_and_their_secrets_leaves_no_intent_behind():
    async def scenario():
        async with in_process_client(new_app()) as client:
            files = clinic("canary-book-1", "canary-lookup-1")
            _, result = await converge(client, files, prune=True)
            assert result.ok, result.failed
            record = (await read_workspace(client, files)).record
            assert record.pending == []
            assert {entry.key for entry in record.secrets.values()} == {"book.Authorization", "lookup.Authorization"}
            assert {entry.key for entry in record.tools.values()} == {"book", "lookup"}

    asyncio.run(scenario())
