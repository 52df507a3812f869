import ast
from pathlib import Path

import click

import agentform
from agentform import __version__, exitcodes
from agentform.cli import cli, main


def test_version_is_printed(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_help_lists_the_core_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("validate", "init", "plan", "apply", "emulator"):
        assert command in out


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """Every leaf command by its full name ("ci pr")."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_commands(command, (*path, name)))
        else:
            found[" ".join((*path, name))] = command
    return found


def _options(command: click.Command) -> list[str]:
    return [param.opts[0] for param in command.params if isinstance(param, click.Option)]


def test_every_command_that_reads_a_project_takes_its_folder_and_environment_the_same_way():
    readers = {name: c for name, c in _commands(cli).items() if name not in {"init", "emulator serve"}}
    assert len(readers) >= 12
    for name, command in readers.items():
        params = {param.name: param for param in command.params}
        assert params["project_dir"].opts == ["--project-dir", "-C"], name
        assert params["project_dir"].default == "." and params["env"].default is None, name
        assert params["env"].opts == ["--env", "-e"], name


def test_plan_apply_and_test_declare_the_planning_options_first_in_one_order():
    commands = _commands(cli)
    shared = ["--project-dir", "--env", "--select", "--strict", "--parallelism"]
    for name in ("plan", "apply", "test"):
        assert _options(commands[name])[: len(shared)] == shared, name


def test_the_ci_workflows_share_their_options_and_keep_their_own_lock_wait_defaults():
    commands = _commands(cli)
    shared = ["--project-dir", "--env", "--strict", "--parallelism", "--report-dir", "--poll-timeout"]
    for name in ("ci pr", "ci deploy"):
        assert _options(commands[name])[: len(shared)] == shared, name
    lock_wait = {
        name: next(p for p in commands[name].params if p.name == "lock_wait") for name in ("ci pr", "ci deploy")
    }
    assert (lock_wait["ci pr"].default, lock_wait["ci deploy"].default) == (600, 0)


def test_a_shared_option_parses_and_reaches_the_command(tmp_path, capsys):
    # -C and -e come from the shared decorator: a missing project is reported for that folder, not for ".".
    assert main(["validate", "-C", str(tmp_path / "nowhere"), "-e", "staging"]) == exitcodes.ERROR
    assert "nowhere" in capsys.readouterr().out


def test_only_the_command_line_layer_imports_the_commands():
    # The library (gitops, plan, apply, ...) is used by the commands, never the other way round.
    package = Path(agentform.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative in ("cli.py", "cli_rollout.py") or relative.startswith("commands/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [f"{relative}: {name}" for name in names if name.startswith("agentform.commands")]
    assert offenders == []
