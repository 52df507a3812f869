"""YAML as agentform reads it: YAML 1.2 scalars, merge keys, positions."""

from __future__ import annotations

import math

import pytest

from agentform.project.yamlio import YamlSyntaxError, parse_yaml, use_pure_python


def test_scalars_follow_the_yaml_1_2_core_schema():
    text = "a: 1\nb: 2.5\nc: true\nd: null\ne: '1'\nf: 0x1F\ng: 0o17\nh: yes\ni: -.inf\nj: 1e3\nk: !!str 5\nl: ~\nm:\n"
    data = parse_yaml(text, "x.yaml").data
    assert data == {
        "a": 1, "b": 2.5, "c": True, "d": None, "e": "1", "f": 31, "g": 15, "h": "yes",
        "i": -math.inf, "j": 1000.0, "k": "5", "l": None, "m": None,
    }  # fmt: skip


def test_a_merge_key_fills_in_keys_the_mapping_does_not_set_itself():
    text = "defaults: &d\n  temperature: 0.3\n  llm: gpt-4o\nprompt:\n  <<: *d\n  llm: gpt-4o-mini\n"
    document = parse_yaml(text, "x.yaml")
    assert document.data["prompt"] == {"llm": "gpt-4o-mini", "temperature": 0.3}
    assert document.where(("prompt", "temperature")) == (5, 3)
    assert document.duplicates == []


def test_positions_are_one_based_and_point_at_keys_and_items():
    document = parse_yaml("agent:\n  tools: [a, b]\n", "x.yaml")
    assert document.where(("agent", "tools")) == (2, 3)
    assert document.where(("agent", "tools", 1)) == (2, 14)
    assert document.where(("agent", "missing", "deeper")) == (1, 1)


def test_several_documents_in_one_file_are_a_syntax_error():
    with pytest.raises(YamlSyntaxError) as raised:
        parse_yaml("a: 1\n---\nb: 2\n", "x.yaml")
    assert raised.value.position == (2, 1)
    assert "single document" in raised.value.message


@pytest.fixture
def pure_python_parser():
    use_pure_python(True)
    yield
    use_pure_python(False)


def test_without_libyaml_the_pure_python_parser_gives_the_same_data_and_positions(pure_python_parser):
    text = "agent:\n  tools: [a, b]\n  on: yes\n  n: 0x10\nx: !!str 1\n"
    document = parse_yaml(text, "x.yaml")
    assert document.data == {"agent": {"tools": ["a", "b"], "on": "yes", "n": 16}, "x": "1"}
    assert document.where(("agent", "tools", 1)) == (2, 14)
    with pytest.raises(YamlSyntaxError) as raised:
        parse_yaml("name: ok\nagent: a: b\n", "x.yaml")
    assert (raised.value.message, raised.value.position) == (
        "invalid YAML: mapping values are not allowed here",
        (2, 9),
    )


def test_the_example_project_validates_with_the_pure_python_parser(pure_python_parser):
    from tests.support.example import REPO_ROOT

    from agentform.project import validate_project

    assert validate_project(REPO_ROOT, environ={}) == []
