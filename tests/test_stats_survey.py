"""Survey intervals and significant change (methods.md §6)."""

from __future__ import annotations

import math

import pytest

from cdrp_lib.stats.enums import NotAssessedReason, Polarity, SignificanceLabel
from cdrp_lib.stats.rounding import fmt_proportion
from cdrp_lib.stats.survey import (
    change_is_good,
    effective_sample_size,
    effective_sample_size_from_deff,
    survey_change,
    wilson_interval,
)

Z95 = 1.959964


def _wald(x: int, n: int) -> tuple[float, float]:
    p = x / n
    half = Z95 * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


def _fmt(i: object) -> tuple[str, str, str]:
    from cdrp_lib.stats.survey import Interval

    assert isinstance(i, Interval)
    return fmt_proportion(i.proportion), fmt_proportion(i.lower), fmt_proportion(i.upper)


def test_wilson_120_of_200_against_wald() -> None:
    assert _fmt(wilson_interval(120, 200)) == ("60.0%", "53.1%", "66.5%")
    lo, hi = _wald(120, 200)
    assert (fmt_proportion(lo), fmt_proportion(hi)) == ("53.2%", "66.8%")


def test_wilson_at_the_edges_does_not_collapse() -> None:
    assert _fmt(wilson_interval(0, 20))[1:] == ("0.0%", "16.1%")
    assert _wald(0, 20) == (0.0, 0.0)
    assert _fmt(wilson_interval(20, 20))[1:] == ("83.9%", "100.0%")


def test_wilson_matches_the_formula() -> None:
    x, n = 37, 85
    p = x / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    i = wilson_interval(x, n)
    assert (i.lower, i.upper) == pytest.approx((centre - half, centre + half), abs=1e-6)


def test_significant_change_despite_overlapping_intervals() -> None:
    c = survey_change(550, 1000, 600, 1000)
    assert c.z == pytest.approx(2.262, abs=5e-4)
    assert c.p_value == pytest.approx(0.024, abs=5e-4)
    assert c.label is SignificanceLabel.SIGNIFICANT_INCREASE
    assert c.change_pp == pytest.approx(5.0)
    assert _fmt(c.baseline)[1:] == ("51.9%", "58.1%")
    assert _fmt(c.current)[1:] == ("56.9%", "63.0%")
    assert c.baseline.upper is not None and c.current.lower is not None
    assert c.current.lower < c.baseline.upper  # they overlap, yet the change is significant


def test_decrease_and_no_change() -> None:
    assert survey_change(600, 1000, 550, 1000).label is SignificanceLabel.SIGNIFICANT_DECREASE
    assert survey_change(55, 100, 60, 100).label is SignificanceLabel.NO_SIGNIFICANT_CHANGE
    same = survey_change(0, 10, 0, 10)
    assert same.label is SignificanceLabel.NO_SIGNIFICANT_CHANGE and same.z is None


def test_empty_sample_is_a_reason() -> None:
    assert wilson_interval(0, 0).reason is NotAssessedReason.DENOMINATOR_TOO_SMALL
    c = survey_change(0, 0, 5, 10)
    assert c.reason is NotAssessedReason.DENOMINATOR_TOO_SMALL and c.label is None


def test_bad_counts_raise() -> None:
    with pytest.raises(ValueError, match="exceed"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="negative"):
        wilson_interval(-1, 10)
    with pytest.raises(ValueError, match="design effect"):
        effective_sample_size_from_deff(100, 0)
    with pytest.raises(ValueError, match="weights"):
        effective_sample_size([1, -1])


def test_effective_sample_size() -> None:
    assert effective_sample_size([1, 1, 1, 1]) == pytest.approx(4)
    assert effective_sample_size([1, 1, 2, 2]) == pytest.approx(36 / 10)
    assert effective_sample_size([]) == 0.0
    assert effective_sample_size_from_deff(1000, 1.6) == pytest.approx(625)
    weighted = wilson_interval(0.6 * 625, 625)  # n replaced by n_eff
    assert weighted.upper is not None and weighted.lower is not None
    assert weighted.upper - weighted.lower > 0.07  # wider than the unweighted 1000


def test_an_increase_is_good_when_higher_is_better() -> None:
    up = SignificanceLabel.SIGNIFICANT_INCREASE
    assert change_is_good(up, Polarity.HIGHER_IS_BETTER) is True
    assert change_is_good(up, Polarity.LOWER_IS_BETTER) is False
    assert change_is_good(SignificanceLabel.NO_SIGNIFICANT_CHANGE, Polarity.LOWER_IS_BETTER) is None
