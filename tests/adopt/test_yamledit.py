"""Round-trip edits of YAML files people wrote: only the changed values change, each keeping its quoting style."""

from __future__ import annotations

from agentform.adopt import yamledit

SETTINGS = """\
# Clinic project.
project: clinic   # the name in every marker
default_environment: local
environments:
  local: {backend: emulator}
variables:
  VOICE:
    default: 21m00Tcm4TlvDq8ikWAM   # Rachel
  TOKEN: {description: booking token}
"""


def edited(text: str, path: tuple, value: object) -> str:
    data = yamledit.load(text)
    yamledit.set_value(data, path, value)
    return yamledit.dump(data)


def test_a_replaced_string_keeps_its_quoting_and_every_other_line_stays():
    text = "a: 'one'   # why\nb: \"two\"\nc: three\nd: [x, y]\n"
    assert edited(text, ("a",), "uno") == "a: 'uno'   # why\nb: \"two\"\nc: three\nd: [x, y]\n"
    assert edited(text, ("b",), "dos") == "a: 'one'   # why\nb: \"dos\"\nc: three\nd: [x, y]\n"
    assert edited(text, ("c",), "tres") == "a: 'one'   # why\nb: \"two\"\nc: tres\nd: [x, y]\n"


def test_a_literal_block_stays_a_block_and_a_new_multi_line_string_becomes_one():
    text = "prompt: |\n  Line one.\n  Line two.\nother: x\n"
    assert edited(text, ("prompt",), "Line one.\nLine 2.\n") == "prompt: |\n  Line one.\n  Line 2.\nother: x\n"
    assert edited("other: x\n", ("note",), "a\nb\n") == "other: x\nnote: |\n  a\n  b\n"


def test_missing_mappings_are_created_and_none_removes_a_key():
    assert edited("a: 1\n", ("b", "c"), 2) == "a: 1\nb:\n  c: 2\n"
    assert edited("a: 1\nb: 2\n", ("a",), None) == "b: 2\n"


def test_secret_variables_are_declared_and_the_rest_of_agentform_yaml_is_kept():
    text = yamledit.declare_secret_variables(SETTINGS, ["TOKEN", "BOOK_AUTHORIZATION"])
    assert text == SETTINGS.replace(
        "  TOKEN: {description: booking token}\n",
        "  TOKEN: {description: booking token, secret: true}\n  BOOK_AUTHORIZATION:\n    secret: true\n",
    )
    assert yamledit.declare_secret_variables(text, ["TOKEN"]) == text
    assert (
        yamledit.declare_secret_variables("project: p\n", ["T"]) == "project: p\nvariables:\n  T:\n    secret: true\n"
    )
