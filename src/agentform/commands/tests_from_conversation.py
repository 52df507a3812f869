"""`agentform tests from-conversation ID`: write a test spec from a real conversation, then validate the project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from agentform import exitcodes
from agentform.commands._shared import Session, console, load, with_session
from agentform.commands.conversations import managed_agent_keys
from agentform.model import Desired

if TYPE_CHECKING:
    from agentform.elevenlabs.client import ElevenLabsClient


def run(
    conversation_id: str,
    project_dir: Path = Path("."),
    env: str | None = None,
    agent_key: str | None = None,
    turn: int | None = None,
    kind: str | None = None,
    as_failure: bool = False,
    key: str | None = None,
    force: bool = False,
) -> int:
    def write_and_validate(session: Session) -> int:
        path = _write(session, conversation_id, agent_key, turn, kind, as_failure, key, force)
        relative = path.relative_to(project_dir)
        # The file must load like any hand-written spec: validate the whole project with it in place.
        if load(project_dir, env, None, False).desired is None:
            console(stderr=True).print(
                Text(f"{relative} was written but does not validate (see above): please report this.", "red")
            )
            return exitcodes.ERROR
        address = f"{relative.parent.name}/{relative.stem}"
        console().print(f"Wrote {relative}. Sharpen its success_condition, then run: agentform test --test {address}")
        return exitcodes.OK

    # A bad --turn or --agent, the API, the transport: one readable line, never a traceback.
    return with_session(project_dir, env, write_and_validate)


def _write(
    session: Session,
    conversation_id: str,
    agent_key: str | None,
    turn: int | None,
    kind: Any,
    as_failure: bool,
    key: str | None,
    force: bool,
) -> Path:
    from agentform.testing.from_conversation import build_spec, select_turn, spec_key, spec_yaml, write_spec

    desired = session.desired

    async def read(client: ElevenLabsClient) -> tuple[dict, str | None]:
        conversation = await client.get_conversation(conversation_id)
        if agent_key is not None:
            return conversation, agent_key
        return conversation, (await managed_agent_keys(client, desired)).get(str(conversation.get("agent_id")))

    conversation, agent_key = session.run(read)
    if agent_key is None:
        raise LookupError(
            f"conversation {conversation_id} belongs to agent {conversation.get('agent_id')}, which this project does "
            f"not manage in environment {desired.environment.name}: name the agent with --agent KEY"
        )
    if agent_key not in desired.agents:
        raise LookupError(f"--agent {agent_key}: no agents/{agent_key}/agent.yaml in this project")
    spec = build_spec(conversation, turn=turn, kind=kind, as_failure=as_failure, tool_keys=tool_keys(desired))
    selected = select_turn(conversation.get("transcript") or [], turn)
    test_key = key or spec_key(selected.user_message, conversation_id)
    header = _header(conversation_id, selected.number, spec["kind"], as_failure)
    path = session.project_dir / "tests_specs" / agent_key / f"{test_key}.yaml"
    write_spec(path, session.redactor.text(spec_yaml(spec, header=header)), force=force)
    return path


def _header(conversation_id: str, turn: int, kind: str, as_failure: bool) -> str:
    """The comment on top of the spec: where it came from and what to edit next."""
    origin = f"Test from conversation {conversation_id}, user turn {turn} (agentform tests from-conversation)."
    if kind == "tool":
        advice = (
            "The expected call is the one the agent made there, every parameter checked exactly. Loosen a check\n"
            "with eval: {type: regex, pattern: ...} or {type: llm, description: ...}."
        )
    elif as_failure:
        advice = "The agent's reply there is the failure example: say in success_condition what it should have done."
    else:
        advice = (
            "The agent's reply there is the success example: say in success_condition what any good reply must do\n"
            "(quote exact phrases it must contain)."
        )
    return f"{origin}\n{advice}"


def tool_keys(desired: Desired) -> dict[str, str]:
    """Tool name or adopted live id -> file key, to reference a called tool by key in the spec."""
    keys = {
        str(tool.tool_config.get("name")): key for key, tool in desired.tools.items() if tool.tool_config.get("name")
    }
    keys.update({tool.id: key for key, tool in desired.tools.items() if tool.id})
    return keys
