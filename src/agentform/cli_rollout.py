"""`agentform rollout ...`: the staged-rollout commands (`commands/rollout.py`), kept out of `cli.py` for length.

Imported by `cli.py` after its shared options are defined; argument handling only, like the rest of the CLI.
"""

from __future__ import annotations

from typing import Any

import click

from agentform.cli import _run, options, parallelism_option, project_options


@click.group()
def rollout() -> None:
    """Staged rollouts: a branch takes a share of live traffic, measured against main, then promoted or aborted.

    \b
    Exit codes: 0 ok (also "not enough data yet"), 1 error, 3 the branch regressed, 4 the environment is locked.
    """


agent_option = click.option("--agent", required=True, help="The agent's file key.")
percent_option = click.option(
    "--percent", type=click.FloatRange(0, 100), required=True, help="The branch's share of live traffic."
)
rollout_report_options = options(
    click.option("--json", "as_json", is_flag=True, help="Print the rollouts as JSON."),
    parallelism_option,
)


@rollout.command("start")
@project_options
@agent_option
@click.option("--branch", required=True, help="The agent branch to roll out (written by `apply --branch`).")
@percent_option
@click.option("--ref", default=None, help="The files at this git ref say what the branch must carry.")
def rollout_start(**kwargs: Any) -> None:
    """Give a tested agent branch PERCENT of the agent's live traffic; main keeps the rest."""
    _run("rollout", action="start", **kwargs)


@rollout.command("status")
@project_options
@click.option("--agent", default=None, help="Only this agent (default: every rollout in progress).")
@rollout_report_options
def rollout_status(**kwargs: Any) -> None:
    """Per branch in the split since the rollout started: conversations, success rate, criteria, duration."""
    _run("rollout", action="status", **kwargs)


@rollout.command("analyze")
@project_options
@click.option("--agent", default=None, help="Only this agent (default: every rollout in progress).")
@click.option("--min-conversations", type=click.IntRange(min=1), default=None, help="Needed on each side (100).")
@click.option(
    "--max-regression",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="Largest drop of a rate that counts as no worse, as a fraction (0.05: 5 points).",
)
@click.option("--auto", is_flag=True, help="Act: step or promote a healthy branch, abort a regressed one.")
@rollout_report_options
def rollout_analyze(**kwargs: Any) -> None:
    """Decide: not enough data (exit 0), no worse than main (exit 0), or worse (exit 3)."""
    _run("rollout", action="analyze", **kwargs)


@rollout.command("promote")
@project_options
@agent_option
def rollout_promote(**kwargs: Any) -> None:
    """Merge the branch into main and put 100% of the traffic on main."""
    _run("rollout", action="promote", **kwargs)


@rollout.command("abort")
@project_options
@agent_option
def rollout_abort(**kwargs: Any) -> None:
    """Put 100% of the traffic back on main; the branch stays for inspection."""
    _run("rollout", action="abort", **kwargs)


@rollout.command("step")
@project_options
@agent_option
@percent_option
def rollout_step(**kwargs: Any) -> None:
    """Move the split: the branch gets PERCENT of the traffic."""
    _run("rollout", action="step", **kwargs)
