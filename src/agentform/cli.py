"""Command-line entry point: argument parsing and exit codes only.

Each command's work lives in `agentform.commands.<name>.run(...)`, a plain function that returns an exit code
and that tests call directly. Imports of those modules are deferred so that `agentform --help` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from agentform import __version__

project_dir_option = click.option(
    "--project-dir",
    "-C",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Root of the agentform project (the folder holding agentform.yaml).",
)
env_option = click.option("--env", "-e", "env", default=None, help="Environment from agentform.yaml.")
select_option = click.option(
    "--select", "select", multiple=True, help="Only agents whose key matches this glob (repeatable)."
)
parallelism_option = click.option(
    "--parallelism", type=click.IntRange(1, 64), default=None, help="Concurrent API requests (default 8)."
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings (unknown API keys) as errors.")


def _run(module: str, **kwargs: Any) -> None:
    """Import `agentform.commands.<module>` and exit with what its `run` returns."""
    command: Callable[..., int] = importlib.import_module(f"agentform.commands.{module}").run
    raise SystemExit(command(**kwargs))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="agentform")
def cli() -> None:
    """GitOps for ElevenLabs voice agents.

    Agents, prompts, knowledge-base documents, tools and tests live as files in git; agentform plans the
    difference against the live workspace, applies it, runs the agents' tests and rolls back on failure.

    \b
    Exit codes: 0 ok, 1 error, 2 changes or drift (plan --detailed-exitcode), 3 tests failed,
    4 stale plan or conflict.
    """


@cli.command()
@project_dir_option
@env_option
@strict_option
@click.option("--ref", default=None, help="Validate the files at this git ref instead of the working tree.")
def validate(project_dir: Path, env: str | None, strict: bool, ref: str | None) -> None:
    """Check every file of the project: syntax, keys, types, references, variables."""
    _run("validate", project_dir=project_dir, env=env, strict=strict, ref=ref)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
def init(directory: Path, name: str | None, force: bool) -> None:
    """Scaffold a working project: config, one agent, one document, one test, GitHub workflows."""
    _run("init", directory=directory, name=name, force=force)


@cli.command()
@project_dir_option
@env_option
@select_option
@strict_option
@parallelism_option
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan as JSON.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (versioned schema).")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the plan as markdown (PR comments).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--ref", default=None, help="Plan the files at this git ref instead of the working tree.")
@click.option("--branch", default=None, help="Plan agent changes against this agent branch instead of main.")
@click.option("--prune", is_flag=True, default=None, help="Plan deletes of managed resources gone from git.")
@click.option("--refresh-all", is_flag=True, help="Read every managed resource in full, skipping no detail read.")
def plan(**kwargs: Any) -> None:
    """Show what apply would change in the live workspace, field by field."""
    _run("plan", **kwargs)


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_dir_option
@env_option
@select_option
@strict_option
@parallelism_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (required when not in a terminal).")
@click.option("--prune", is_flag=True, default=None, help="Delete managed resources gone from git.")
@click.option("--branch", default=None, help="Apply agent changes to this agent branch (created if missing).")
@click.option("--ref", default=None, help="Apply the files at this git ref instead of the working tree.")
@click.option(
    "--on-drift",
    type=click.Choice(["refuse", "git-wins", "live-wins"]),
    default="refuse",
    show_default=True,
    help="What to do where both the files and the live resource changed since the last apply.",
)
def apply(**kwargs: Any) -> None:
    """Apply the files (or a saved plan) to the live workspace."""
    _run("apply", **kwargs)


@cli.command("test")
@project_dir_option
@env_option
@select_option
@strict_option
@parallelism_option
@click.option("--test", "tests", multiple=True, help="Only tests whose key or agent/test address matches (repeatable).")
@click.option("--branch", default=None, help="Run on this agent branch (made by `apply --branch`).")
@click.option("--ref", default=None, help="Test the files at this git ref instead of the working tree.")
@click.option("--changed-since", default=None, metavar="GITREF", help="Only agents whose files changed since GITREF.")
@click.option("--repeat", type=click.IntRange(1, 100), default=None, help="Runs per test (default: each spec's).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="Seconds to wait for results.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write JUnit XML here.")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write markdown here.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def test_command(**kwargs: Any) -> None:
    """Run the agents' tests: on an agent branch, or on the files' config without writing it.

    Exit 3 when a test misses its pass threshold; 1 when a run timed out, was cancelled or could not start.
    """
    _run("test", **kwargs)


@cli.group()
def conversations() -> None:
    """Read the agents' conversations (to turn them into tests)."""


@conversations.command("list")
@project_dir_option
@env_option
@click.option("--agent", "agent_key", default=None, help="Only this agent (file key).")
@click.option("--since", default=None, help="Started after: a date (2026-11-01), or an age (3d, 12h, 30m).")
@click.option("--feedback", type=click.Choice(["like", "dislike"]), default=None, help="Only rated like/dislike.")
@click.option("--limit", type=click.IntRange(1, 1000), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's summaries as JSON.")
def conversations_list(**kwargs: Any) -> None:
    """List recent conversations, newest first."""
    _run("conversations", action="list", **kwargs)


@conversations.command("show")
@click.argument("conversation_id")
@project_dir_option
@env_option
@click.option("--json", "as_json", is_flag=True, help="Print the API's conversation as JSON.")
def conversations_show(**kwargs: Any) -> None:
    """Show one conversation's transcript, turn by turn (user turns numbered for --turn)."""
    _run("conversations", action="show", **kwargs)


@cli.group("tests")
def tests_group() -> None:
    """Manage test specs."""


@tests_group.command("from-conversation")
@click.argument("conversation_id")
@project_dir_option
@env_option
@click.option("--agent", "agent_key", default=None, help="Agent file key (default: the conversation's agent).")
@click.option("--turn", type=int, default=None, help="User turn to test (1-based; default: the last answered).")
@click.option("--kind", type=click.Choice(["llm", "tool"]), default=None, help="Default: tool if a tool was called.")
@click.option("--as-failure", is_flag=True, help="Use the agent's reply as a failure example instead.")
@click.option("--key", default=None, help="Test key and file name (default: from the user's words).")
@click.option("--force", is_flag=True, help="Replace an existing spec file.")
def tests_from_conversation(**kwargs: Any) -> None:
    """Write tests_specs/<agent>/<key>.yaml from a real conversation."""
    _run("tests_from_conversation", **kwargs)


@cli.group()
def emulator() -> None:
    """The local ElevenLabs API emulator."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None, help="SQLite file.")
@click.option("--api-key", "api_keys", multiple=True, help="Accepted API key (repeatable).")
@click.option("--eval-delay", type=float, default=None, help="Seconds a test run stays pending.")
def emulator_serve(**kwargs: Any) -> None:
    """Serve the emulator over HTTP (point ELEVENLABS_BASE_URL at it)."""
    _run("emulator_serve", **kwargs)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="agentform", standalone_mode=True)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0
