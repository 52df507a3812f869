from agentform import __version__
from agentform.cli import main


def test_version_is_printed(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_help_lists_the_core_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("validate", "init", "plan", "apply", "emulator"):
        assert command in out
