"""`agentform conversations list|show|search`: find the conversation worth turning into a test (a function each)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from agentform import exitcodes, formats
from agentform.commands._shared import Session, console, with_session
from agentform.model import Desired
from agentform.redact import Redactor

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient

# With --feedback, each summary needs a detail read (the list has no like/dislike filter): read at most this many.
_FEEDBACK_SCAN = 200
# A matching message is shown cut to this many characters (`--json` has the whole text).
_TEXT_WIDTH = 80


def list_recent(
    project_dir: Path = Path("."),
    env: str | None = None,
    agent_key: str | None = None,
    since: str | None = None,
    feedback: str | None = None,
    limit: int = 30,
    as_json: bool = False,
) -> int:
    """`conversations list`: recent conversations, newest first."""
    return with_session(project_dir, env, lambda session: _list(session, agent_key, since, feedback, limit, as_json))


def show(conversation_id: str, project_dir: Path = Path("."), env: str | None = None, as_json: bool = False) -> int:
    """`conversations show ID`: one conversation's transcript, turn by turn."""
    return with_session(project_dir, env, lambda session: _show(session, conversation_id, as_json))


def search(
    text: str,
    project_dir: Path = Path("."),
    env: str | None = None,
    agent_key: str | None = None,
    limit: int = 30,
    as_json: bool = False,
) -> int:
    """`conversations search TEXT`: the transcript messages that match, best first."""
    return with_session(project_dir, env, lambda session: _search(session, text, agent_key, limit, as_json))


async def managed_agent_keys(client: ElevenLabsClient, desired: Desired) -> dict[str, str]:
    """Live agent id -> file key, for the agents this project and environment manage."""
    from agentform.plan import identity

    project, env = desired.settings.project, desired.environment.name
    items = await client.list_agents(tags=[identity.owner_tag(project, env)])
    keys = {str(item["agent_id"]): identity.key_from_tags(item.get("tags") or []) for item in items}
    adopted = {agent.id: key for key, agent in desired.agents.items() if agent.id}
    return {agent_id: key for agent_id, key in {**keys, **adopted}.items() if key}


def _list(
    session: Session, agent_key: str | None, since: str | None, feedback: str | None, limit: int, as_json: bool
) -> int:
    from agentform.testing.conversations import feedback_of, parse_since, summary_row, table_lines

    desired, redactor = session.desired, session.redactor
    after = parse_since(since, datetime.now(UTC)) if since else None

    async def read(client: ElevenLabsClient) -> tuple[dict[str, str], list[dict]]:
        keys = await managed_agent_keys(client, desired)
        agent_id = _live_agent_id(keys, agent_key, desired)
        scan = max(limit, _FEEDBACK_SCAN) if feedback else limit
        summaries = await client.list_conversations(agent_id=agent_id, call_start_after_unix=after, limit=scan)
        if feedback:
            details = await asyncio.gather(*(client.get_conversation(s["conversation_id"]) for s in summaries))
            summaries = [s for s, d in zip(summaries, details, strict=True) if feedback_of(d) == feedback]
        return keys, summaries[:limit]

    keys, summaries = session.run(read)
    if as_json:
        return _print_json(formats.document(formats.CONVERSATIONS, conversations=summaries), redactor)
    out = console()
    for line in table_lines([summary_row(summary, keys) for summary in summaries]):
        out.print(Text(redactor.text(line)))
    out.print(f"{len(summaries)} conversations. `agentform conversations show ID` prints one turn by turn.")
    return exitcodes.OK


def _live_agent_id(keys: dict[str, str], agent_key: str | None, desired: Desired) -> str | None:
    """The live id of the agent `--agent` names (None without the option); LookupError if it is not live."""
    if agent_key is None:
        return None
    agent_id = next((i for i, key in keys.items() if key == agent_key), None)
    if agent_id is None:
        raise LookupError(f"agent {agent_key!r} does not exist live in environment {desired.environment.name}")
    return agent_id


def _search(session: Session, text: str, agent_key: str | None, limit: int, as_json: bool) -> int:
    """Transcript messages matching `text` (the API's full-text and fuzzy search), best first."""
    from agentform.testing.conversations import table_lines

    async def read(client: ElevenLabsClient) -> tuple[dict[str, str], list[dict]]:
        keys = await managed_agent_keys(client, session.desired)
        agent_id = _live_agent_id(keys, agent_key, session.desired)
        return keys, await client.search_messages(text, agent_id=agent_id, limit=limit)

    keys, results = session.run(read)
    if as_json:
        return _print_json(results, session.redactor)
    out = console()
    for line in table_lines([search_row(result, keys) for result in results]):
        out.print(Text(session.redactor.text(line)))
    out.print(f"{len(results)} matching messages. `agentform conversations show ID` prints the whole conversation.")
    return exitcodes.OK


def search_row(result: dict[str, Any], agent_keys: dict[str, str]) -> dict[str, str]:
    """The columns of `conversations search` for one matching message."""
    from agentform.testing.conversations import summary_row

    summary = {"start_time_unix_secs": result.get("conversation_start_time_unix_secs"), **result}
    row = summary_row(summary, agent_keys)
    text = " ".join(str(result.get("chunk_text") or "").split())
    return {
        "id": row["id"],
        "started (UTC)": row["started (UTC)"],
        "agent": row["agent"],
        "message": str(result.get("transcript_index", "")),
        "text": text if len(text) <= _TEXT_WIDTH else text[: _TEXT_WIDTH - 1] + "…",
    }


def _show(session: Session, conversation_id: str, as_json: bool) -> int:
    from agentform.testing.conversations import header_lines, transcript_lines

    async def read(client: ElevenLabsClient) -> tuple[dict, dict[str, str]]:
        return await client.get_conversation(conversation_id), await managed_agent_keys(client, session.desired)

    conversation, keys = session.run(read)
    if as_json:
        return _print_json(formats.document(formats.CONVERSATIONS, conversation=conversation), session.redactor)
    redactor, out = session.redactor, console()
    for line in [
        *header_lines(conversation, keys.get(str(conversation.get("agent_id")))),
        "",
        *transcript_lines(conversation),
    ]:
        out.print(Text(redactor.text(line)))
    out.print(
        Text(f"\n`agentform tests from-conversation {conversation_id} --turn N` turns user turn [N] into a test.")
    )
    return exitcodes.OK


def _print_json(data: Any, redactor: Redactor) -> int:
    """The API's own JSON under a `format_version`, secrets masked, for scripts."""
    sys.stdout.write(formats.dumps(redactor.data(data)))
    return exitcodes.OK
