"""Survey perception measures: Wilson intervals and significant change (methods.md §6).

Intervals are Wilson score intervals (statsmodels ``proportion_confint(...,
method="wilson")``), which unlike Wald stay inside [0, 1] and do not collapse
at 0% or 100%.  Weighted surveys replace ``n`` by the effective sample size
``n_eff = n/deff`` (Kish: ``(sum w)^2 / sum w^2``).

"Significant change from baseline" is the two-proportion z-test with a pooled
proportion (statsmodels ``proportions_ztest``).  Never judge change by whether
the two intervals overlap: overlap does not imply "no change" (Schenker &
Gentleman 2001), and the worked example (55% vs 60% of 1,000) is exactly such
a case.  Samples must be independent; a panel needs a paired test.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from cdrp_lib.stats.enums import NotAssessedReason, Polarity, SignificanceLabel
from cdrp_lib.stats.rounding import Number, to_fraction
from cdrp_lib.stats.settings import DEFAULT_SURVEY_LEVEL, two_sided_z

PERCENTAGE_POINTS = 100

__all__ = [
    "Interval",
    "SurveyChange",
    "change_is_good",
    "effective_sample_size",
    "effective_sample_size_from_deff",
    "survey_change",
    "wilson_interval",
]


@dataclass(frozen=True)
class Interval:
    """A proportion with its Wilson interval (all 0..1), or the reason there is none."""

    successes: float
    n: float
    proportion: float | None
    lower: float | None
    upper: float | None
    level: float = DEFAULT_SURVEY_LEVEL
    reason: NotAssessedReason | None = None


def _check(x: Number, n: Number) -> None:
    if x < 0 or n < 0:
        raise ValueError(f"survey counts must not be negative, got {x!r} of {n!r}")
    if x > n:
        raise ValueError(f"successes ({x!r}) must not exceed the sample size ({n!r})")


def wilson_interval(x: Number, n: Number, level: float = DEFAULT_SURVEY_LEVEL) -> Interval:
    """Wilson score interval for ``x`` of ``n`` (``n`` may be an effective, fractional size).

    >>> i = wilson_interval(120, 200)
    >>> round(i.lower, 3), round(i.upper, 3)
    (0.531, 0.665)
    """
    from statsmodels.stats.proportion import proportion_confint

    _check(x, n)
    if n == 0:
        return Interval(float(x), 0.0, None, None, None, level,
                        NotAssessedReason.DENOMINATOR_TOO_SMALL)
    lo, hi = proportion_confint(float(x), float(n), alpha=1 - level, method="wilson")
    return Interval(float(x), float(n), float(x) / float(n), max(0.0, float(lo)),
                    min(1.0, float(hi)), level)


def effective_sample_size(weights: Sequence[Number]) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``; 0 for no (or all-zero) weights."""
    if any(w < 0 for w in weights):
        raise ValueError("survey weights must not be negative")
    total = math.fsum(float(w) for w in weights)
    squares = math.fsum(float(w) ** 2 for w in weights)
    return 0.0 if squares == 0 else total * total / squares


def effective_sample_size_from_deff(n: Number, deff: Number) -> float:
    """``n_eff = n/deff`` for a reported design effect."""
    if deff <= 0:
        raise ValueError(f"design effect must be positive, got {deff!r}")
    return float(to_fraction(n) / to_fraction(deff))


@dataclass(frozen=True)
class SurveyChange:
    """Change from a baseline wave to the current one, tested by the pooled z-test.

    ``change_pp`` is in percentage points (current minus baseline).
    """

    baseline: Interval
    current: Interval
    change_pp: float | None
    z: float | None
    p_value: float | None
    label: SignificanceLabel | None
    reason: NotAssessedReason | None = None


def survey_change(
    x_baseline: Number, n_baseline: Number, x_now: Number, n_now: Number,
    level: float = DEFAULT_SURVEY_LEVEL,
) -> SurveyChange:
    """Two-proportion pooled z-test of current against baseline; significant if ``|z| > z_level``.

    >>> c = survey_change(550, 1000, 600, 1000)
    >>> round(c.z, 3), round(c.p_value, 3), c.label.value
    (2.262, 0.024, 'significant_increase')
    """
    from statsmodels.stats.proportion import proportions_ztest

    before = wilson_interval(x_baseline, n_baseline, level)
    now = wilson_interval(x_now, n_now, level)
    if before.proportion is None or now.proportion is None:
        return SurveyChange(before, now, None, None, None, None,
                            NotAssessedReason.DENOMINATOR_TOO_SMALL)
    change_pp = float((to_fraction(x_now) / to_fraction(n_now)
                       - to_fraction(x_baseline) / to_fraction(n_baseline)) * PERCENTAGE_POINTS)
    pooled = (float(x_baseline) + float(x_now)) / (float(n_baseline) + float(n_now))
    if pooled in (0.0, 1.0):  # everyone (or no one) agreed both times: no variance, no change
        return SurveyChange(before, now, change_pp, None, None,
                            SignificanceLabel.NO_SIGNIFICANT_CHANGE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        z, p = proportions_ztest([float(x_now), float(x_baseline)],
                                 [float(n_now), float(n_baseline)])
    z, p = float(z), float(p)
    if abs(z) > two_sided_z(level):
        label = (SignificanceLabel.SIGNIFICANT_INCREASE if z > 0
                 else SignificanceLabel.SIGNIFICANT_DECREASE)
    else:
        label = SignificanceLabel.NO_SIGNIFICANT_CHANGE
    return SurveyChange(before, now, change_pp, z, p, label)


def change_is_good(label: SignificanceLabel, polarity: Polarity) -> bool | None:
    """Whether a significant change is good news; ``None`` for no significant change.

    For a higher-is-better measure such as confidence in the police, an increase is good.
    """
    if label is SignificanceLabel.NO_SIGNIFICANT_CHANGE:
        return None
    increase = label is SignificanceLabel.SIGNIFICANT_INCREASE
    return increase == (polarity is Polarity.HIGHER_IS_BETTER)
