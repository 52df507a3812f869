"""Which Hypothesis profile a run gets, and what it changes."""

from __future__ import annotations

import pytest
from hypothesis import settings
from tests.support.hypothesis_profiles import profile_for


def test_ci_gets_the_derandomized_profile_and_a_developer_the_random_one():
    assert profile_for({"CI": "true"}) == "ci"
    assert profile_for({"CI": "false"}) == profile_for({}) == "dev"
    assert profile_for({"CI": "true", "HYPOTHESIS_PROFILE": "long"}) == "long"


def test_an_unknown_profile_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="ci, dev, long"):
        profile_for({"HYPOTHESIS_PROFILE": "fast"})


def test_the_ci_profile_repeats_its_examples_and_the_long_one_tries_ten_times_more():
    ci, dev, long = (settings.get_profile(name) for name in ("ci", "dev", "long"))
    assert ci.derandomize and ci.database is None and not dev.derandomize
    assert long.max_examples == 10 * ci.max_examples
