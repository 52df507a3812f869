"""Which live version is the desired one after `pull` (decision 0124): the rule every consumer shares."""

from __future__ import annotations

from agentform.plan.versions import Version, Wanted, current_version, plan_versioned

FILE_TEXT = "Parking is free for two hours.\n"


def wanted() -> Wanted:
    return Wanted(
        kind="document",
        key="faq",
        hash="bbbbbbbbbbbb",
        payload={},
        matches=lambda version: version.content == FILE_TEXT and version.display == "FAQ",
    )


def edited_live(content: str = FILE_TEXT, *, display: str = "FAQ", updated_at: int = 200) -> Version:
    """The version created with hash aaa… at second 100, whose timestamp the record vouched for then."""
    return Version(
        id="doc-1",
        hash="aaaaaaaaaaaa",
        updated_at=updated_at,
        recorded_updated_at=100,
        created_at=100,
        content=content,
        display=display,
    )


def test_a_version_edited_live_whose_text_the_file_now_holds_is_the_desired_one_and_nothing_is_planned():
    version = edited_live()
    assert current_version("bbbbbbbbbbbb", [version], wanted().matches) is version
    change = plan_versioned(wanted(), [version], on_drift="refuse")
    assert (change.action, change.live_id, change.fields, change.payload) == ("no-op", "doc-1", [], None)


def test_the_version_named_with_the_desired_address_wins_over_a_pulled_one():
    named = Version(id="doc-2", hash="bbbbbbbbbbbb", updated_at=300, created_at=300)
    assert current_version("bbbbbbbbbbbb", [edited_live(), named], wanted().matches) is named


def test_a_later_live_edit_a_renamed_display_or_an_untouched_timestamp_is_no_pulled_version():
    later = edited_live(FILE_TEXT + "Also on Saturdays.\n")
    renamed = edited_live(display="Questions")
    untouched = edited_live(updated_at=100)
    for version in (later, renamed, untouched):
        assert current_version("bbbbbbbbbbbb", [version], wanted().matches) is None
    # A later edit of a pulled version: both the file and the version differ from what was last applied.
    change = plan_versioned(wanted(), [later], on_drift="refuse")
    assert (change.action, change.drift, change.conflict) == ("replace", True, True)
