"""A YAML alias bomb ("billion laughs") or a recursive alias is an error naming file and line, found at once.

Before the bound, nine nested aliases in an `agent.yaml` kept `validate` busy for more than 20 s: aliases share
nodes when composed, and building plain data expanded every one.
"""

from __future__ import annotations

import pytest
from tests.support.example import copy_example

from agentform import exitcodes
from agentform.cli import main
from agentform.project.yamlio import YamlSyntaxError, parse_yaml

BOMB = "name: Bomb\nplatform_settings:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 10)
)


def test_a_billion_laughs_is_an_error_at_the_line_where_it_explodes():
    # Bounded by the count of values built, not by a clock: the bomb stops after MAX_VALUES (~0.3 s here).
    with pytest.raises(YamlSyntaxError, match="expands to more than") as raised:
        parse_yaml(BOMB, "agents/bomb/agent.yaml")
    assert raised.value.position[0] >= 3, "a line of the aliased values, not the top of the file"


def test_a_recursive_alias_is_an_error_not_a_crash():
    with pytest.raises(YamlSyntaxError, match="recursive alias"):
        parse_yaml("a: &loop [1, *loop]\n", "agents/x/agent.yaml")


def test_ordinary_aliases_and_merge_keys_still_work():
    document = parse_yaml("base: &b {x: 1, y: [1, 2]}\none: *b\ntwo: {<<: *b, x: 3}\n", "f.yaml")
    assert document.data["one"] == {"x": 1, "y": [1, 2]}
    assert document.data["two"] == {"x": 3, "y": [1, 2]}


def test_validate_reports_the_bomb_with_file_and_line_and_exits_1(tmp_path, capsys):
    copy_example(tmp_path)
    (tmp_path / "agents" / "bomb").mkdir()
    (tmp_path / "agents" / "bomb" / "agent.yaml").write_text(BOMB)
    assert main(["validate", "-C", str(tmp_path)]) == exitcodes.ERROR
    out = capsys.readouterr()
    assert "agents/bomb/agent.yaml:" in out.out + out.err and "expands to more than" in out.out + out.err
