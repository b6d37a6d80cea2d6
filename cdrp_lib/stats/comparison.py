"""Comparative performance over the past 12 months (methods.md §3).

``pct = (R[t] - R[t-12]) / R[t-12] * 100``, which needs 24 complete months.
The absolute change is always reported too; when the previous year was 0 the
percentage is "n/a" (``None``) but the absolute change still stands, and two
zero years are "no change" (0%).  The optional significance test is the exact
binomial test of ``R[t]`` given ``R[t] + R[t-12]`` with ``p = 0.5``
(statsmodels).  Survey and other percentage measures report a change in
percentage points instead of a percent change (:func:`percentage_point_change`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from cdrp_lib.stats.enums import ChangeLabel, NotAssessedReason
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR, Value, clean, is_missing, missing_reason
from cdrp_lib.stats.rounding import Number, to_fraction
from cdrp_lib.stats.settings import DEFAULT_SIGNIFICANCE_LEVEL

PERCENT = 100
EQUAL_CHANCE = 0.5
MONTHS_NEEDED = 2 * MONTHS_IN_YEAR

__all__ = [
    "Comparison",
    "compare_12_months",
    "compare_series",
    "percentage_point_change",
]


@dataclass(frozen=True)
class Comparison:
    """This 12 months against the previous 12: absolute change, % change, optional test.

    ``pct`` is ``None`` ("n/a") when the previous total is 0 and this one is not.
    ``p_value``/``significant`` are ``None`` unless the test was asked for.
    """

    current: float | None
    previous: float | None
    absolute: float | None
    pct: float | None
    label: ChangeLabel | None
    p_value: float | None = None
    significant: bool | None = None
    reason: NotAssessedReason | None = None


def compare_12_months(
    current: Number | None,
    previous: Number | None,
    test: bool = False,
    significance_level: float = DEFAULT_SIGNIFICANCE_LEVEL,
    missing: NotAssessedReason | None = None,
) -> Comparison:
    """Compare two 12-month totals.

    >>> c = compare_12_months(1650, 1726, test=True)
    >>> c.absolute, round(c.pct, 3), round(c.p_value, 3), c.significant
    (-76.0, -4.403, 0.197, False)
    """
    if current is None or previous is None or is_missing(current) or is_missing(previous):
        return Comparison(
            None if current is None or is_missing(current) else float(current),
            None if previous is None or is_missing(previous) else float(previous),
            None, None, None, reason=missing or NotAssessedReason.INSUFFICIENT_DATA,
        )
    cur, prev = to_fraction(current), to_fraction(previous)
    if cur < 0 or prev < 0:
        raise ValueError(f"12-month totals must not be negative, got {current!r}, {previous!r}")
    absolute = float(cur - prev)
    if prev == 0:
        pct: float | None = 0.0 if cur == 0 else None
    else:
        pct = float((cur - prev) / prev * PERCENT)
    p_value: float | None = None
    significant: bool | None = None
    if test:
        p_value = _binomial_p(cur, prev)
        significant = p_value < significance_level
    return Comparison(float(cur), float(prev), absolute, pct, ChangeLabel.between(cur, prev),
                      p_value, significant)


def _binomial_p(cur: Fraction, prev: Fraction) -> float:
    from statsmodels.stats.proportion import binom_test

    if cur.denominator != 1 or prev.denominator != 1:
        raise ValueError("the binomial test needs whole-number counts")
    n = int(cur + prev)
    if n == 0:
        return 1.0
    return float(binom_test(int(cur), n, EQUAL_CHANCE))


def compare_series(
    monthly: Sequence[Value],
    test: bool = False,
    significance_level: float = DEFAULT_SIGNIFICANCE_LEVEL,
) -> Comparison:
    """The comparison at the last month of a monthly series (needs 24 complete months)."""
    reason = missing_reason(monthly, MONTHS_NEEDED)
    if reason is not None:
        return compare_12_months(None, None, missing=reason)
    last = [to_fraction(v) for v in clean(monthly)[len(monthly) - MONTHS_NEEDED:]
            if v is not None]
    previous = sum(last[:MONTHS_IN_YEAR], Fraction(0))
    current = sum(last[MONTHS_IN_YEAR:], Fraction(0))
    return compare_12_months(current, previous, test, significance_level)


def percentage_point_change(current: Number | None, previous: Number | None) -> float | None:
    """Change between two proportions (0..1) in percentage points: 0.60 vs 0.55 -> +5.0."""
    if current is None or previous is None or is_missing(current) or is_missing(previous):
        return None
    return float((to_fraction(current) - to_fraction(previous)) * PERCENT)
