"""Comparative performance over the past 12 months (methods.md §3)."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from cdrp_lib.stats.comparison import (
    compare_12_months,
    compare_series,
    percentage_point_change,
)
from cdrp_lib.stats.enums import ChangeLabel, NotAssessedReason
from cdrp_lib.stats.rounding import fmt_number, fmt_signed_pct


def test_worked_example() -> None:
    c = compare_12_months(1650, 1726, test=True)
    assert c.absolute == -76
    assert c.pct == pytest.approx(-4.403, abs=5e-4)
    assert fmt_signed_pct(c.pct) == "-4.4%"
    assert c.p_value == pytest.approx(0.197, abs=5e-4)
    assert c.p_value == pytest.approx(binomtest(1650, 3376, 0.5).pvalue)
    assert c.significant is False
    assert c.label is ChangeLabel.DECREASE


def test_test_is_optional() -> None:
    c = compare_12_months(1650, 1726)
    assert c.p_value is None and c.significant is None


def test_both_zero_is_no_change() -> None:
    c = compare_12_months(0, 0, test=True)
    assert c.pct == 0.0 and c.label is ChangeLabel.NO_CHANGE and c.p_value == 1.0


def test_previous_zero_gives_na_with_absolute_change() -> None:
    c = compare_12_months(5, 0)
    assert c.pct is None and fmt_signed_pct(c.pct) == "n/a"
    assert c.absolute == 5 and c.label is ChangeLabel.INCREASE


def test_significant_change() -> None:
    c = compare_12_months(1500, 1726, test=True)
    assert c.significant is True and c.p_value is not None and c.p_value < 0.05


def test_from_a_monthly_series_needs_24_complete_months() -> None:
    months = [10] * 12 + [11] * 12
    c = compare_series(months)
    assert (c.current, c.previous, c.absolute) == (132, 120, 12)
    assert c.pct == pytest.approx(10.0)
    assert compare_series(months[1:]).reason is NotAssessedReason.INSUFFICIENT_DATA
    gappy: list[float | None] = list(months)
    gappy[3] = None
    gap = compare_series(gappy)
    assert gap.reason is NotAssessedReason.MISSING_MONTHS and gap.pct is None


def test_missing_total_is_a_reason_not_an_error() -> None:
    c = compare_12_months(None, 100)
    assert c.reason is NotAssessedReason.INSUFFICIENT_DATA and c.previous == 100
    assert fmt_number(c.absolute) == "n/a"


def test_programmer_errors_raise() -> None:
    with pytest.raises(ValueError, match="negative"):
        compare_12_months(-1, 5)
    with pytest.raises(ValueError, match="whole-number"):
        compare_12_months(10.5, 5, test=True)


def test_percentage_point_change_for_proportions() -> None:
    assert percentage_point_change(0.60, 0.55) == pytest.approx(5.0)
    assert percentage_point_change(None, 0.55) is None
