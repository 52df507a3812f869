"""The click options the commands share, and the one way a click command hands its options to a command module.

A flag such as `--project-dir`, `--env` or `--parallelism` is declared once here and means the same in every
command (pre-commit and Terraform share their flag sets the same way). This module imports click only, so that
`agentform --help` stays fast; the command modules are imported when their command runs.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypedDict, TypeVar, cast

import click

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[Any], Any]

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


def _shard(_context: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from agentform.plan.shard import Shard, ShardError

    try:
        return Shard.parse(value)
    except ShardError as error:
        raise click.BadParameter(str(error)) from None


shard_option = click.option(
    "--shard",
    metavar="I/N",
    default=None,
    callback=_shard,
    help="Only shard I of N of the agents (a stable hash of each key; with --select: both must match).",
)
parallelism_option = click.option(
    "--parallelism", type=click.IntRange(1, 64), default=None, help="Concurrent API requests (default 8)."
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings (unknown API keys) as errors.")
report_dir_option = click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the full report (markdown, JUnit, JSON) here, for upload as an artifact.",
)
poll_timeout_option = click.option(
    "--poll-timeout", type=click.FloatRange(min=1), default=None, help="Seconds to wait for test results."
)


def lock_wait_option(default: float) -> Callable[[F], F]:
    return click.option(
        "--lock-wait",
        type=click.FloatRange(min=0),
        default=default,
        show_default=True,
        help="Seconds to wait for the lock.",
    )


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, listed in `--help` in the order given."""

    def decorate(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


# Every command that reads the project.
project_options = options(project_dir_option, env_option)
# Commands that plan the files against the live workspace: plan, apply, test.
planning_options = options(
    project_dir_option, env_option, select_option, strict_option, parallelism_option, shard_option
)


@dataclass(frozen=True)
class WorkflowOptions:
    """The options of the CI workflows that apply and test (`ci pr`, `ci deploy`): the project and environment, how
    strictly its files load, how many requests at once, how long to wait for test results, where the report goes."""

    project_dir: Path = Path(".")
    env: str | None = None
    strict: bool = False
    parallelism: int | None = None
    poll_timeout: float | None = None
    report_dir: Path | None = None

    def request_fields(self, environ: Mapping[str, str], holder: str) -> WorkflowRequestFields:
        """What every workflow's request (`PrRequest`, `ClosedRequest`, `DeployRequest`) takes from these options
        and from the run: its variables and the lock holder's name."""
        return WorkflowRequestFields(
            project_root=self.project_dir,
            env=self.env,
            environ=environ,
            holder=holder,
            strict=self.strict,
            parallelism=self.parallelism,
        )


class WorkflowRequestFields(TypedDict):
    """The fields of `WorkflowOptions.request_fields`, typed so that mypy checks them against each request's."""

    project_root: Path
    env: str | None
    environ: Mapping[str, str]
    holder: str
    strict: bool
    parallelism: int | None


_workflow_options = options(
    project_dir_option, env_option, strict_option, parallelism_option, report_dir_option, poll_timeout_option
)


def ci_options(function: F) -> F:
    """The options of `WorkflowOptions`, handed to the command as one `workflow` argument."""

    @functools.wraps(function)
    def gather(**kwargs: Any) -> Any:
        workflow = WorkflowOptions(**{field.name: kwargs.pop(field.name) for field in fields(WorkflowOptions)})
        return function(workflow=workflow, **kwargs)

    return _workflow_options(cast(F, gather))


def run_command(target: str, **kwargs: Any) -> None:
    """Call the command `target` names with `kwargs` and exit with the code it returns.

    `target` is `module` (`agentform.commands.<module>.run`) or `module:function` (a group whose subcommands are
    functions of one module), the notation of Python entry points.
    """
    module, _, function = target.partition(":")
    command: Callable[..., int] = getattr(importlib.import_module(f"agentform.commands.{module}"), function or "run")
    raise SystemExit(command(**kwargs))


def forwarding_command(
    group: click.Group, name: str, target: str, help: str, *decorators: Decorator, **fixed: Any
) -> click.Command:
    """Add to `group` the command NAME that hands its options (`decorators`, listed in `--help` in that order), and
    `fixed`, to `target` (see `run_command`): for the groups whose subcommands differ only in those."""

    def forward(**kwargs: Any) -> None:
        run_command(target, **fixed, **kwargs)

    command: click.Command = group.command(name, help=help)(options(*decorators)(forward))
    return command
