"""`Redactor`: every known secret is replaced by the mask, in text and in JSON-like data, whole."""

from __future__ import annotations

from agentform.redact import MASK, NO_SECRETS, Redactor


def test_a_secret_that_contains_another_is_masked_whole_whatever_order_they_were_added_in():
    token, prefix = "ghs_0123456789abcdef", "ghs_0123"
    for secrets in ([prefix, token], [token, prefix]):
        redactor = Redactor(secrets)
        assert redactor.text(f"token={token} prefix={prefix}") == f"token={MASK} prefix={MASK}"


def test_overlapping_secrets_leave_no_piece_of_the_longer_one():
    redactor = Redactor(["pass", "password-2026"])
    assert redactor.text("password-2026") == MASK
    assert redactor.text("a password") == f"a {MASK}word"
    # Contained in the middle, and after the longer one alphabetically: only length decides.
    redactor = Redactor(["api-token-2026", "token"])
    assert redactor.text("api-token-2026 token") == f"{MASK} {MASK}"


def test_every_occurrence_is_masked_and_the_text_around_it_is_kept():
    redactor = Redactor(["s3cr3t"])
    assert redactor.text("Bearer s3cr3t, again s3cr3t.") == f"Bearer {MASK}, again {MASK}."


def test_values_shorter_than_four_characters_and_empty_ones_are_not_secrets():
    redactor = Redactor(["yes", "", None])
    assert not redactor
    assert redactor.text("yes, 1 2 3") == "yes, 1 2 3"
    assert Redactor(["four"]).text("four") == MASK
    assert Redactor(["four"])


def test_secrets_added_later_are_masked_too():
    redactor = Redactor()
    redactor.add("late-secret", None)
    assert redactor.text("a late-secret") == f"a {MASK}"


def test_data_is_masked_in_nested_strings_and_keeps_its_shape_and_other_values():
    redactor = Redactor(["tok-123456"])
    data = {
        "headers": {"Authorization": "Bearer tok-123456"},
        "items": ["tok-123456", 3, None, True, ("x", "tok-123456")],
        "count": 2,
    }
    assert redactor.data(data) == {
        "headers": {"Authorization": f"Bearer {MASK}"},
        "items": [MASK, 3, None, True, ["x", MASK]],
        "count": 2,
    }
    assert redactor.data("tok-123456") == MASK


def test_no_secrets_changes_nothing():
    assert NO_SECRETS.text("anything at all") == "anything at all"
    assert NO_SECRETS.data({"a": ["b"]}) == {"a": ["b"]}
