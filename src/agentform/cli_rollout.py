"""`agentform rollout ...` and `agentform ci rollout`: the staged-rollout commands, kept out of `cli.py` for length.

Every `rollout` subcommand is one action of `agentform.commands.rollout`, so each is declared as one: its name, its
help and its options. Argument handling only, like the rest of the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from agentform.commands.options import Decorator, forwarding_command, parallelism_option, project_options, run_command


def rollout_group() -> click.Group:
    """The `rollout` group: each subcommand hands its options to `commands/rollout.py` with its name as `action`."""

    @click.group()
    def rollout() -> None:
        """Staged rollouts: a branch takes a share of live traffic, measured against main, then promoted or aborted.

        \b
        Exit codes: 0 ok (also "not enough data yet"), 1 error, 3 the branch regressed, 4 the environment is locked.
        """

    agent = click.option("--agent", required=True, help="The agent's file key.")
    some_agent = click.option("--agent", default=None, help="Only this agent (default: every rollout in progress).")
    percent = click.option(
        "--percent", type=click.FloatRange(0, 100), required=True, help="The branch's share of live traffic."
    )
    as_json = click.option("--json", "as_json", is_flag=True, help="Print the rollouts as JSON.")
    branch = click.option("--branch", required=True, help="The agent branch to roll out (written by `apply --branch`).")
    ref = click.option("--ref", default=None, help="The files at this git ref say what the branch must carry.")
    min_conversations = click.option(
        "--min-conversations", type=click.IntRange(min=1), default=None, help="Needed on each side (100)."
    )
    max_regression = click.option(
        "--max-regression",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=None,
        help="Largest drop of a rate that counts as no worse, as a fraction (0.05: 5 points).",
    )
    auto = click.option("--auto", is_flag=True, help="Act: step or promote a healthy branch, abort a regressed one.")

    def action(*decorators: Decorator) -> Callable[[Callable[[], None]], click.Command]:
        """Declare the subcommand named after the decorated function, its docstring the help: it hands its options
        (the project's, then `decorators`) to `commands/rollout.py` with that name as `action`. The function itself
        never runs."""

        def declare(function: Callable[[], None]) -> click.Command:
            name = function.__name__
            return forwarding_command(
                rollout, name, "rollout", str(function.__doc__), project_options, *decorators, action=name
            )

        return declare

    @action(agent, branch, percent, ref)
    def start() -> None:
        """Give a tested agent branch PERCENT of the agent's live traffic; main keeps the rest."""

    @action(some_agent, as_json, parallelism_option)
    def status() -> None:
        """Per branch in the split since the rollout started: conversations, success rate, criteria, duration."""

    @action(some_agent, min_conversations, max_regression, auto, as_json, parallelism_option)
    def analyze() -> None:
        """Decide: not enough data (exit 0), no worse than main (exit 0), or worse (exit 3)."""

    @action(agent)
    def promote() -> None:
        """Merge the branch into main and put 100% of the traffic on main."""

    @action(agent)
    def abort() -> None:
        """Put 100% of the traffic back on main; the branch stays for inspection."""

    @action(agent, percent)
    def step() -> None:
        """Move the split: the branch gets PERCENT of the traffic."""

    return rollout


def ci_rollout_command() -> click.Command:
    """`ci rollout`, the scheduled workflow's command (`commands/ci_rollout.py`)."""

    @click.command("rollout")
    @project_options
    @parallelism_option
    def ci_rollout(**kwargs: Any) -> None:
        """Analyze every rollout in progress; step, promote or abort it; comment on its pull request.

        Exit 3 when a rollout regressed (it was aborted), 4 when the environment is locked.
        """
        run_command("ci_rollout", **kwargs)

    return ci_rollout
