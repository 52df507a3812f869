"""Properties that must hold for any input: thresholds and test keys made from free text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from agentform.testing.from_conversation import slugify
from agentform.testing.report import meets_threshold, required_passes

# The loader's rule for test keys (project/specs.py) and the identity marker's (plan/identity.py).
TEST_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")

totals = st.integers(min_value=1, max_value=500)
thresholds = st.floats(min_value=0.01, max_value=1.0, allow_nan=False)


@given(totals, thresholds, st.data())
def test_a_threshold_is_never_stricter_than_the_exact_share_and_at_most_half_a_percent_more_lenient(n, t, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    if k / n >= t:
        assert meets_threshold(k, n, t)
    if meets_threshold(k, n, t):
        assert k / n >= t - 0.005 - 1e-12


@given(totals, thresholds, thresholds)
def test_a_higher_threshold_never_needs_fewer_passes(n, a, b):
    low, high = sorted((a, b))
    assert 1 <= required_passes(n, low) <= required_passes(n, high) <= n


@given(st.text())
def test_any_text_gives_a_valid_short_test_key(text):
    key = slugify(text)
    assert TEST_KEY.match(key)
    assert len(key) <= 48


@given(totals, st.data())
def test_a_threshold_of_one_always_means_every_run(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    assert meets_threshold(k, n, 1.0) == (k == n)
