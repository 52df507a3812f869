"""Command-line entry point: argument parsing and exit codes only.

Each command's work lives in `agentform.commands.<name>.run(...)` (or another function of that module, for a group's
subcommands), a plain function that returns an exit code and that tests call directly; the options several commands
share are declared once, in `agentform.commands.options`. The command modules are imported when their command runs,
so that `agentform --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from agentform import __version__, exitcodes
from agentform.cli_rollout import ci_rollout_command, rollout_group
from agentform.commands.options import (
    ci_options,
    env_option,
    lock_wait_option,
    options,
    parallelism_option,
    planning_options,
    project_dir_option,
    project_options,
    report_dir_option,
    run_command,
    select_option,
    strict_option,
)


class _Cli(click.Group):
    """click's group, except that a usage error (a mistyped flag, a bad `--shard`, a missing plan file) exits 1.

    click exits 2 on usage errors, and 2 is our "changes present / drift": a script would read a typo as a plan
    with changes (decision 0093).
    """

    # click overloads `main` on the literal value of standalone_mode; this override takes both.
    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.ClickException as error:
            error.show()
            raise SystemExit(exitcodes.ERROR) from None
        except click.Abort:
            click.echo("Aborted!", err=True)
            raise SystemExit(exitcodes.ERROR) from None
        raise SystemExit(code if isinstance(code, int) else exitcodes.OK)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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
@project_options
@strict_option
@click.option("--ref", default=None, help="Validate the files at this git ref instead of the working tree.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (versioned schema).")
def validate(project_dir: Path, env: str | None, strict: bool, ref: str | None, as_json: bool) -> None:
    """Check every file of the project: syntax, keys, types, references, variables."""
    run_command("validate", project_dir=project_dir, env=env, strict=strict, ref=ref, as_json=as_json)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
@click.option(
    "--git/--no-git", default=None, help="Run `git init` when the folder is not in a repository (default: ask)."
)
def init(directory: Path, name: str | None, force: bool, git: bool | None) -> None:
    """Scaffold a working project: config, one agent, one document, one test, GitHub workflows."""
    run_command("init", directory=directory, name=name, force=force, git=git)


@cli.command()
@planning_options
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
    run_command("plan", **kwargs)


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@planning_options
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
@lock_wait_option(0)
def apply(**kwargs: Any) -> None:
    """Apply the files (or a saved plan) to the live workspace."""
    run_command("apply", **kwargs)


@cli.command("test")
@planning_options
@click.option("--test", "tests", multiple=True, help="Only tests whose key or agent/test address matches (repeatable).")
@click.option("--branch", default=None, help="Run on this agent branch (made by `apply --branch`).")
@click.option("--ref", default=None, help="Test the files at this git ref instead of the working tree.")
@click.option("--changed-since", default=None, metavar="GITREF", help="Only agents whose files changed since GITREF.")
@click.option("--repeat", type=click.IntRange(1, 100), default=None, help="Runs per test (default: each spec's).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="Seconds to wait for results.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write JUnit XML here.")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write markdown here.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--create/--no-create",
    default=True,
    help="Create the missing test definitions and KB document / tool versions the run needs (never an agent).",
)
def test_command(**kwargs: Any) -> None:
    """Run the agents' tests: on an agent branch, or on the files' config without writing any agent.

    The KB document, tool and test versions the files describe are created when missing (content-addressed: main
    does not use them). Exit 3 when a test misses its pass threshold; 1 when a run timed out, was cancelled or
    could not start; 4 when the environment is locked.
    """
    run_command("test", **kwargs)


@cli.group()
def conversations() -> None:
    """Read the agents' conversations (to turn them into tests)."""


@conversations.command("list")
@project_options
@click.option("--agent", "agent_key", default=None, help="Only this agent (file key).")
@click.option("--since", default=None, help="Started after: a date (2026-11-01), or an age (3d, 12h, 30m).")
@click.option("--feedback", type=click.Choice(["like", "dislike"]), default=None, help="Only rated like/dislike.")
@click.option("--limit", type=click.IntRange(1, 1000), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's summaries as JSON.")
def conversations_list(**kwargs: Any) -> None:
    """List recent conversations, newest first."""
    run_command("conversations:list_recent", **kwargs)


@conversations.command("show")
@click.argument("conversation_id")
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print the API's conversation as JSON.")
def conversations_show(**kwargs: Any) -> None:
    """Show one conversation's transcript, turn by turn (user turns numbered for --turn)."""
    run_command("conversations:show", **kwargs)


@conversations.command("search")
@click.argument("text")
@project_options
@click.option("--agent", "agent_key", default=None, help="Only this agent's conversations (file key).")
@click.option("--limit", type=click.IntRange(1, 1000), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's search results as JSON.")
def conversations_search(**kwargs: Any) -> None:
    """Find transcript messages that match TEXT (full-text and fuzzy), best match first."""
    run_command("conversations:search", **kwargs)


@cli.group("tests")
def tests_group() -> None:
    """Manage test specs."""


@tests_group.command("from-conversation")
@click.argument("conversation_id")
@project_options
@click.option("--agent", "agent_key", default=None, help="Agent file key (default: the conversation's agent).")
@click.option("--turn", type=int, default=None, help="User turn to test (1-based; default: the last answered).")
@click.option("--kind", type=click.Choice(["llm", "tool"]), default=None, help="Default: tool if a tool was called.")
@click.option("--as-failure", is_flag=True, help="Use the agent's reply as a failure example instead.")
@click.option("--key", default=None, help="Test key and file name (default: from the user's words).")
@click.option("--force", is_flag=True, help="Replace an existing spec file.")
def tests_from_conversation(**kwargs: Any) -> None:
    """Write tests_specs/<agent>/<key>.yaml from a real conversation."""
    run_command("tests_from_conversation", **kwargs)


@cli.group("ci")
def ci_group() -> None:
    """The GitOps workflows GitHub Actions runs (also runnable locally with --base/--head)."""


@ci_group.command("pr")
@ci_options
@click.option("--base", default=None, help="Base git ref (default: the PR's base commit, else main).")
@click.option("--head", default=None, help="Head git ref (default: the PR's head commit, else HEAD).")
@click.option("--pr", "pr_number", type=int, default=None, help="PR number (default: from GITHUB_EVENT_PATH).")
@click.option(
    "--branch-name",
    default=None,
    help="Agent branch to test on (default: pr-<number> or the git branch, not the base).",
)
@click.option("--no-comment", "comment", is_flag=True, flag_value=False, default=True, help="Do not post to GitHub.")
@lock_wait_option(600)
@click.option("--closed", is_flag=True, help="The PR was closed unmerged: archive its agent branches (default: event).")
def ci_pr(**kwargs: Any) -> None:
    """Validate, plan, apply the PR's agents to their agent branch, test them, post one sticky PR comment.

    Exit 1 on invalid files or errors, 3 when tests fail: make it a required check to block the merge. On a PR
    closed without merging, archive its agent branches instead.
    """
    run_command("ci_pr", **kwargs)


@ci_group.command("deploy")
@ci_options
@click.option(
    "--base", default=None, help="Where change detection starts until a deploy passed (default: the push's before)."
)
@click.option("--head", default=None, help="Commit deployed (default: from the push event, else HEAD).")
@click.option("--branch-hint", default=None, help="Agent branch of the merged PR (default: from the commit message).")
@click.option("--lock-ttl", type=click.FloatRange(min=60), default=1800, show_default=True, help="Lock expiry (s).")
@lock_wait_option(0)
@click.option("--no-publish", "publish", is_flag=True, flag_value=False, default=True, help="Do not post to GitHub.")
def ci_deploy(**kwargs: Any) -> None:
    """Reconcile main with the commit, merging tested agent branches; smoke-test every agent that changed since the
    last passed deploy; roll back automatically when they fail."""
    run_command("ci_deploy", **kwargs)


@ci_group.command("drift")
@project_options
@parallelism_option
@report_dir_option
@click.option("--ref", default=None, help="Compare the files at this git ref (default: the working tree).")
@click.option("--issue", is_flag=True, help="Open, update or close one GitHub issue labelled agentform-drift.")
def ci_drift(**kwargs: Any) -> None:
    """Plan main against the live workspace: exit 2 when they differ (drift), never repair it."""
    run_command("drift", **kwargs)


@cli.command()
@project_options
@parallelism_option
@click.option("--agent", "agents", multiple=True, help="Agent file key (repeatable with --to-ref).")
@click.option("--to-version", default=None, metavar="VID", help="Write this recorded version back as a new version.")
@click.option("--to-ref", default=None, metavar="GITREF", help="Re-apply the files at this git ref.")
@click.option("--reason", default=None, help="Why, for the version description.")
@click.option("--auto-approve", is_flag=True, help="Roll back without asking (required when not in a terminal).")
def rollback(**kwargs: Any) -> None:
    """Put an agent's main branch back to a version or a git ref, showing the plan first."""
    run_command("rollback", **kwargs)


@cli.command("force-unlock")
@project_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def force_unlock(**kwargs: Any) -> None:
    """Remove the environment's lock left by a run that died."""
    run_command("force_unlock", **kwargs)


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
    run_command("emulator_serve", **kwargs)


@cli.group("import", invoke_without_command=True)
@click.option("--all", "import_all", is_flag=True, help="Every live agent this project and environment do not manage.")
@click.option("--select", "select", multiple=True, help="With --all: agents whose key or name matches (repeatable).")
@click.option("--tag", default=None, help="With --all: only agents carrying this tag.")
@click.option("--dry-run", is_flag=True, help="With --all: show what would be written, write nothing.")
@project_dir_option
@env_option
@parallelism_option
@click.pass_context
def import_group(context: click.Context, import_all: bool, **kwargs: Any) -> None:
    """Adopt existing live resources: write their files, with `id:` so that apply updates them in place.

    `agentform import --all` adopts every agent of the workspace not managed yet, `import agent ID` one agent.
    """
    if context.invoked_subcommand is not None:
        if import_all:
            raise click.UsageError("--all imports every agent: give it without `agent ID` or `tool ID`")
        return
    if not import_all:
        raise click.UsageError("name what to import: --all, `agent ID` or `tool ID`")
    run_command("import_all", **kwargs)


import_options = options(
    click.option("--key", default=None, help="File key (default: a slug of the live name)."),
    env_option,
    project_dir_option,
    click.option("--force", is_flag=True, help="Replace existing files with other content."),
)


@import_group.command("agent")
@click.argument("resource_id", metavar="AGENT_ID")
@import_options
def import_agent(**kwargs: Any) -> None:
    """Write agents/<key>/ (agent.yaml, prompt.md) and the tools, KB documents and tests the agent uses."""
    run_command("import_", kind="agent", **kwargs)


@import_group.command("tool")
@click.argument("resource_id", metavar="TOOL_ID")
@import_options
def import_tool(**kwargs: Any) -> None:
    """Write tools/<key>.yaml for one live workspace tool."""
    run_command("import_", kind="tool", **kwargs)


@cli.command()
@project_options
@select_option
@click.option(
    "--force", is_flag=True, help="Write live values over fields the files also changed since the last apply."
)
@parallelism_option
def pull(**kwargs: Any) -> None:
    """Write live edits of managed resources (dashboard changes since the last apply) back into the files."""
    run_command("pull", **kwargs)


# The rollout commands live in their own module, for length.
cli.add_command(rollout_group())
ci_group.add_command(ci_rollout_command())


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="agentform", standalone_mode=True)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0
