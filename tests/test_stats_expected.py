"""Performance over the past month (methods.md §2), with the worked examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from cdrp_lib.stats.enums import NotAssessedReason, PastMonth, PastMonthMethod
from cdrp_lib.stats.expected import (
    alpha_for_threshold,
    e_test,
    exact_binomial,
    past_month,
    poisson_z,
    prior_window,
    xmr,
)
from cdrp_lib.stats.settings import MethodSettings

STEADY = [14, 18, 15, 17, 16, 13, 19, 16, 15, 17, 16, 16]
OVERDISPERSED = [10, 25, 12, 30, 8, 22, 15, 28, 9, 26, 11, 24]


def test_steady_prior_has_no_overdispersion() -> None:
    r = poisson_z(16, STEADY)
    assert r.expected == 16
    assert r.phi == 1.0
    assert sum((p - 16) ** 2 for p in STEADY) / 11 == pytest.approx(2.727, abs=5e-4)
    assert (r.expected_low, r.expected_high) == (9.0, 25.0)


@pytest.mark.parametrize(
    ("x", "z", "label"),
    [(25, 2.000, PastMonth.IN_LINE), (26, 2.198, PastMonth.ABOVE),
     (9, -2.000, PastMonth.IN_LINE), (8, -2.343, PastMonth.BELOW)],
)
def test_worked_example_table(x: int, z: float, label: PastMonth) -> None:
    r = poisson_z(x, STEADY)
    assert r.z == pytest.approx(z, abs=5e-4)
    assert r.label is label


def test_xmr_limits_and_disagreement_with_default() -> None:
    r = xmr(23, STEADY)
    assert r.expected_low == pytest.approx(9.71, abs=5e-3)
    assert r.expected_high == pytest.approx(22.29, abs=5e-3)
    assert r.expected_high is not None
    assert (r.expected_high - 16) / 2.66 == pytest.approx(26 / 11)
    assert r.label is PastMonth.ABOVE
    assert poisson_z(23, STEADY).label is PastMonth.IN_LINE


def test_overdispersion_correction() -> None:
    r = poisson_z(30, OVERDISPERSED)
    assert r.phi == pytest.approx(3.70, abs=5e-3)
    assert r.z == pytest.approx(1.24, abs=5e-3)
    assert r.label is PastMonth.IN_LINE
    assert r.z is not None and r.phi is not None
    assert r.z * math.sqrt(r.phi) == pytest.approx(2.39, abs=5e-3)  # uncorrected z


@pytest.mark.parametrize(("x", "label"), [(0, PastMonth.IN_LINE), (1, PastMonth.IN_LINE),
                                          (2, PastMonth.ABOVE), (7, PastMonth.ABOVE)])
def test_zero_mean_edge(x: int, label: PastMonth) -> None:
    r = poisson_z(x, [0] * 12)
    assert r.phi == 1.0 and r.label is label
    if x == 1:
        assert r.z == 2.0  # exactly 2, not above 2


def test_threshold_is_a_parameter() -> None:
    assert poisson_z(26, STEADY, z_threshold=3).label is PastMonth.IN_LINE
    r = past_month(26, STEADY, MethodSettings(z_threshold=3))
    assert r.label is PastMonth.IN_LINE and r.expected_high == pytest.approx(30.25)


def test_needs_twelve_complete_months_unless_min_months_allows() -> None:
    assert poisson_z(5, STEADY[:11]).reason is NotAssessedReason.INSUFFICIENT_DATA
    short = poisson_z(5, STEADY[:11], min_months=6)
    assert short.reason is None and short.months_used == 11
    gappy = [*STEADY[:5], None, *STEADY[6:]]
    assert poisson_z(5, gappy).reason is NotAssessedReason.MISSING_MONTHS
    assert poisson_z(5, gappy, min_months=6).months_used == 6
    assert poisson_z(None, STEADY).reason is NotAssessedReason.MISSING_MONTHS


def test_prior_window_uses_only_the_last_twelve() -> None:
    window, reason = prior_window([99, *STEADY])
    assert window == tuple(float(v) for v in STEADY) and reason is None
    with pytest.raises(ValueError):
        prior_window(STEADY, 0)


def test_negative_counts_raise() -> None:
    with pytest.raises(ValueError):
        poisson_z(-1, STEADY)
    with pytest.raises(ValueError):
        poisson_z(1, [-1] * 12)


def test_exact_conditional_binomial_agrees_with_scipy() -> None:
    r = exact_binomial(26, STEADY)
    expected = binomtest(26, 26 + sum(STEADY), 1 / 13).pvalue
    assert r.p_value == pytest.approx(expected)
    assert r.label is PastMonth.ABOVE  # p = 0.029 < 0.0455
    assert exact_binomial(16, STEADY).label is PastMonth.IN_LINE
    assert exact_binomial(0, [0] * 12).label is PastMonth.IN_LINE


def test_e_test_labels_by_direction() -> None:
    assert e_test(26, STEADY).label is PastMonth.ABOVE
    assert e_test(5, STEADY).label is PastMonth.BELOW
    assert e_test(16, STEADY).label is PastMonth.IN_LINE
    zero = e_test(0, [0] * 12)
    assert zero.label is PastMonth.IN_LINE and zero.p_value == 1.0
    assert e_test(3, [0] * 12).label is PastMonth.ABOVE  # no divide-by-zero escapes


def test_tests_need_whole_counts() -> None:
    with pytest.raises(ValueError, match="whole-number"):
        exact_binomial(2.5, STEADY)


def test_alpha_matches_threshold() -> None:
    assert alpha_for_threshold(2) == pytest.approx(0.0455, abs=5e-5)


@pytest.mark.parametrize("method", list(PastMonthMethod))
def test_dispatch_by_settings(method: PastMonthMethod) -> None:
    r = past_month(26, STEADY, MethodSettings(past_month_method=method))
    assert r.method is method and r.label is PastMonth.ABOVE


@settings(deadline=None, max_examples=40)  # the E-test is slow for large counts
@given(c=st.integers(0, 60), method=st.sampled_from(list(PastMonthMethod)))
def test_constant_series_is_in_line(c: int, method: PastMonthMethod) -> None:
    """A month equal to every one of the previous twelve is exactly what was expected."""
    r = past_month(c, [c] * 12, MethodSettings(past_month_method=method))
    assert r.label is PastMonth.IN_LINE
