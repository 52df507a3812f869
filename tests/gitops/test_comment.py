"""The sticky PR comment: marker, collapsible sections, and safe truncation under GitHub's size limit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.hypothesis_profiles import examples

from agentform.gitops.comment import COMMENT_LIMIT, Section, compose_comment, marker, truncate_markdown


def _fences_balanced(text: str) -> bool:
    return sum(1 for line in text.splitlines() if line.lstrip().startswith("```")) % 2 == 0


def test_the_marker_is_a_hidden_html_comment_naming_the_environment():
    assert marker("pr", "staging") == "<!-- agentform:pr env=staging -->"


def test_a_short_comment_keeps_everything_and_starts_with_the_marker():
    body = compose_comment(
        marker_line=marker("pr", "prod"),
        headline="### agentform: plan and tests passed",
        summary=["Plan: 0 to add, 1 to change, 0 to destroy."],
        sections=[Section("Plan", "```diff\n- old\n+ new\n```"), Section("Tests", "| a | b |\n|---|---|")],
        footer="[run](https://example.invalid/run/1)",
    )
    assert body.startswith("<!-- agentform:pr env=prod -->\n")
    assert "<details><summary>Plan</summary>" in body
    assert "+ new" in body and "| a | b |" in body
    assert body.rstrip().endswith("[run](https://example.invalid/run/1)")
    assert "artifact" not in body


def test_an_open_section_is_expanded():
    body = compose_comment(marker_line="m", headline="h", summary=[], sections=[Section("Failures", "x", open=True)])
    assert "<details open><summary>Failures</summary>" in body


def test_a_huge_plan_is_cut_under_the_limit_with_its_code_fence_closed_and_a_pointer_to_the_artifact():
    prompt_diff = "```diff\n" + "\n".join(f"+ line {n} of a very long prompt" for n in range(20_000)) + "\n```"
    tests = "| test | status |\n|---|---|\n| greets | passed |"
    body = compose_comment(
        marker_line=marker("pr", "prod"),
        headline="h",
        summary=["s"],
        sections=[Section("Plan", prompt_diff), Section("Tests", tests)],
        footer="footer",
    )
    assert len(body) <= COMMENT_LIMIT
    assert _fences_balanced(body)
    assert body.count("<details") == body.count("</details>")
    # The small section survives whole; the big one is cut and says where the rest is.
    assert "| greets | passed |" in body
    assert "full report is in the workflow run's artifacts" in body
    assert body.rstrip().endswith("footer")


def test_truncation_closes_nested_details_blocks():
    text = "<details><summary>a</summary>\n\n" + "\n".join(["row"] * 500) + "\n</details>"
    cut = truncate_markdown(text, 300, "\n_cut_")
    assert len(cut) <= 300
    assert cut.count("<details") == cut.count("</details>")
    assert cut.endswith("_cut_")


@settings(max_examples=examples(60), deadline=None)
@given(
    bodies=st.lists(st.text(alphabet=st.sampled_from("ab `~\n<>/details"), max_size=3_000), min_size=1, max_size=4),
    limit=st.integers(min_value=2_000, max_value=8_000),
)
def test_any_comment_fits_the_limit(bodies, limit):
    sections = [Section(f"s{index}", body) for index, body in enumerate(bodies)]
    body = compose_comment(marker_line="<!-- m -->", headline="h", summary=["x"], sections=sections, limit=limit)
    assert len(body) <= limit
    assert body.startswith("<!-- m -->")
