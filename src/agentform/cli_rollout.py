"""`agentform rollout ...` and `agentform ci rollout`: the staged-rollout commands, kept out of `cli.py` for length.

`rollout_group` and `ci_rollout_command` build them from `cli.py`'s own option decorators and runner, passed in, so
that this module does not import `cli.py`. Argument handling only, like the rest of the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

Decorator = Callable[[Any], Any]


def rollout_group(run: Callable[..., None], project_options: Decorator, parallelism_option: Decorator) -> click.Group:
    """The `rollout` group; `run(module, **kwargs)` runs a command module, the options are cli.py's."""

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

    @rollout.command("start")
    @project_options
    @agent
    @click.option("--branch", required=True, help="The agent branch to roll out (written by `apply --branch`).")
    @percent
    @click.option("--ref", default=None, help="The files at this git ref say what the branch must carry.")
    def start(**kwargs: Any) -> None:
        """Give a tested agent branch PERCENT of the agent's live traffic; main keeps the rest."""
        run("rollout", action="start", **kwargs)

    @rollout.command("status")
    @project_options
    @some_agent
    @as_json
    @parallelism_option
    def status(**kwargs: Any) -> None:
        """Per branch in the split since the rollout started: conversations, success rate, criteria, duration."""
        run("rollout", action="status", **kwargs)

    @rollout.command("analyze")
    @project_options
    @some_agent
    @click.option("--min-conversations", type=click.IntRange(min=1), default=None, help="Needed on each side (100).")
    @click.option(
        "--max-regression",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=None,
        help="Largest drop of a rate that counts as no worse, as a fraction (0.05: 5 points).",
    )
    @click.option("--auto", is_flag=True, help="Act: step or promote a healthy branch, abort a regressed one.")
    @as_json
    @parallelism_option
    def analyze(**kwargs: Any) -> None:
        """Decide: not enough data (exit 0), no worse than main (exit 0), or worse (exit 3)."""
        run("rollout", action="analyze", **kwargs)

    @rollout.command("promote")
    @project_options
    @agent
    def promote(**kwargs: Any) -> None:
        """Merge the branch into main and put 100% of the traffic on main."""
        run("rollout", action="promote", **kwargs)

    @rollout.command("abort")
    @project_options
    @agent
    def abort(**kwargs: Any) -> None:
        """Put 100% of the traffic back on main; the branch stays for inspection."""
        run("rollout", action="abort", **kwargs)

    @rollout.command("step")
    @project_options
    @agent
    @percent
    def step(**kwargs: Any) -> None:
        """Move the split: the branch gets PERCENT of the traffic."""
        run("rollout", action="step", **kwargs)

    return rollout


def ci_rollout_command(
    run: Callable[..., None], project_options: Decorator, parallelism_option: Decorator
) -> click.Command:
    """`ci rollout`, the scheduled workflow's command (`commands/ci_rollout.py`)."""

    @click.command("rollout")
    @project_options
    @parallelism_option
    def ci_rollout(**kwargs: Any) -> None:
        """Analyze every rollout in progress; step, promote or abort it; comment on its pull request.

        Exit 3 when a rollout regressed (it was aborted), 4 when the environment is locked.
        """
        run("ci_rollout", **kwargs)

    return ci_rollout
