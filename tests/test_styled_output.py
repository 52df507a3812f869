"""Styled lines (a plan, a test report) print exactly as rich prints the same lines as one `Text`, on a colour
terminal and in a CI log, however long the plan: the fast rendering changes the cost, never a byte."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from tests.plan.test_plan_render import sample_plan
from tests.support.hypothesis_profiles import examples

from agentform.commands._shared import StyledLines, print_plan_text, print_styled
from agentform.plan.render_text import render_text

STYLES = ["", "green", "red", "yellow", "magenta", "bold red"]
# Letters, wide characters, tabs, control codes rich drops, the escapes `printable` writes.
PIECE = st.sampled_from([*"ab -+~!:", "é", "語", "\t", "\x07", "\x1b", "\\x00", " " * 3])
LINE = st.lists(PIECE, max_size=20).map("".join)
CONSOLES = {
    "CI log": {"soft_wrap": True},
    "recorded for export": {"soft_wrap": True, "record": True},
    "colour terminal": {"soft_wrap": True, "force_terminal": True, "color_system": "truecolor"},
    "narrow terminal that wraps": {"soft_wrap": False, "force_terminal": True, "color_system": "256", "width": 12},
}


def printed(renderable: object, **console: object) -> str:
    out = io.StringIO()
    Console(file=out, highlight=False, **console).print(renderable, end="")  # type: ignore[arg-type]
    return out.getvalue()


def as_one_text(lines: list[tuple[str, str]]) -> Text:
    text = Text()
    for line, style in lines:
        text.append(line + "\n", style=style)
    return text


@given(st.lists(st.tuples(LINE, st.sampled_from(STYLES)), max_size=12))
@settings(max_examples=examples(150))
def test_styled_lines_print_what_one_text_of_them_prints(lines):
    for name, console in CONSOLES.items():
        assert printed(StyledLines(lines), **console) == printed(as_one_text(lines), **console), name


def test_a_plan_prints_its_text_rendering_line_for_line_coloured_by_symbol():
    plan = sample_plan()
    plain, coloured = io.StringIO(), io.StringIO()
    print_plan_text(plan, Console(file=plain, highlight=False, soft_wrap=True))
    print_plan_text(plan, Console(file=coloured, highlight=False, soft_wrap=True, force_terminal=True))

    assert plain.getvalue() == render_text(plan)
    created = next(line for line in coloured.getvalue().splitlines() if "~ agent." in line)
    assert created.startswith("\x1b[33m")  # updates in yellow


def test_lines_print_in_blocks_without_losing_or_reordering_any():
    lines = [f"+ line {number}" if number % 3 else f"- line {number}" for number in range(1234)]
    out = io.StringIO()
    print_styled(lines, Console(file=out, highlight=False, soft_wrap=True), lambda line: "green")

    assert out.getvalue() == "".join(line + "\n" for line in lines)
