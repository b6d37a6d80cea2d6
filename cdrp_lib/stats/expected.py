""""Performance over the past month": this month's count against its expected level (§2).

Default: Wheeler's Poisson root z-score with a dispersion correction.  With
``x`` this month's count and ``p`` the previous twelve::

    lam = mean(p);  phi = max(1, var(p, ddof=1)/lam)  (1 if lam == 0)
    z   = 2*(sqrt(x) - sqrt(lam))/sqrt(phi)
    Above if z > k;  Below if z < -k;  else In Line          (k = 2 by default)
    expected range = [max(0, sqrt(lam) - k/2*sqrt(phi))^2, (sqrt(lam) + k/2*sqrt(phi))^2]

The square root stabilises a Poisson count's variance at 1/4, hence the 2.
The range is the set of counts with ``|z| <= k``.  Alternatives: XmR limits
(the NHS Making Data Count rule), the exact conditional binomial test and the
E-test (statsmodels).  The two tests label a month Above/Below when their
two-sided p-value is under ``2*(1 - Phi(k))`` (0.0455 at k = 2), so that one
threshold setting means the same thing for every method.

Short, gappy or all-zero data never raise: the result carries a reason.
"""

from __future__ import annotations

import itertools
import math
import statistics
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

from cdrp_lib.stats.enums import NotAssessedReason, PastMonth, PastMonthMethod
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR, Value, clean, is_missing
from cdrp_lib.stats.settings import DEFAULT_MIN_MONTHS, DEFAULT_Z_THRESHOLD, MethodSettings

ROOT_TRANSFORM_FACTOR = 2.0
XMR_FACTOR = 2.66  # 3 / d2 with d2 = 1.128 for moving ranges of two points

__all__ = [
    "ROOT_TRANSFORM_FACTOR",
    "XMR_FACTOR",
    "PastMonthResult",
    "alpha_for_threshold",
    "e_test",
    "exact_binomial",
    "past_month",
    "poisson_z",
    "prior_window",
    "xmr",
]


@dataclass(frozen=True)
class PastMonthResult:
    """The past-month label with the figures behind it, or the reason there is none.

    ``expected`` is ``lam`` (the mean of the prior months); ``expected_low`` /
    ``expected_high`` the range that counts as In Line (``None`` for the two
    tests, whose acceptance region depends on ``x``).  ``months_used`` is how
    many prior months went into ``lam``.
    """

    method: PastMonthMethod
    label: PastMonth | None
    value: float | None
    expected: float | None = None
    expected_low: float | None = None
    expected_high: float | None = None
    z: float | None = None
    phi: float | None = None
    p_value: float | None = None
    months_used: int = 0
    reason: NotAssessedReason | None = None


def alpha_for_threshold(z_threshold: float) -> float:
    """Two-sided p-value equivalent of a z threshold: ``2*(1 - Phi(k))``."""
    return 2 * (1 - NormalDist().cdf(z_threshold))


def prior_window(
    prior: Sequence[Value], min_months: int = DEFAULT_MIN_MONTHS
) -> tuple[tuple[float, ...], NotAssessedReason | None]:
    """The prior months to use: the latest run of present months, at most twelve.

    Twelve complete months are needed unless ``min_months`` (6 or more) allows a
    shorter run.  A run cut short by a gap gives "missing months"; a history that
    is simply too short gives "insufficient data".
    """
    if min_months < 1:
        raise ValueError(f"min_months must be at least 1, got {min_months}")
    vals = clean(prior)[-MONTHS_IN_YEAR:]
    run: list[float] = []
    for v in reversed(vals):
        if v is None:
            break
        run.append(v)
    run.reverse()
    if len(run) >= min(min_months, MONTHS_IN_YEAR):
        return tuple(run), None
    reason = (NotAssessedReason.MISSING_MONTHS if len(run) < len(vals)
              else NotAssessedReason.INSUFFICIENT_DATA)
    return (), reason


def _current(x: Value) -> float | None:
    if is_missing(x):
        return None
    f = float(x)  # type: ignore[arg-type]
    if f < 0:
        raise ValueError(f"counts must not be negative, got {x!r}")
    return f


def _not_assessed(method: PastMonthMethod, x: float | None,
                  reason: NotAssessedReason) -> PastMonthResult:
    return PastMonthResult(method, None, x, reason=reason)


def _checked(method: PastMonthMethod, x: Value, prior: Sequence[Value],
             min_months: int) -> PastMonthResult | tuple[float, tuple[float, ...]]:
    """This month and its prior window, or the not-assessed result every method gives.

    One place for the checks all four methods share, so they cannot drift apart.
    """
    xv = _current(x)
    window, reason = prior_window(prior, min_months)
    if xv is None:
        return _not_assessed(method, None, NotAssessedReason.MISSING_MONTHS)
    if reason is not None:
        return _not_assessed(method, xv, reason)
    return xv, tuple(window)


def _mean(values: Sequence[float]) -> float:
    return float(sum((Fraction(v) for v in values), Fraction(0)) / len(values))


def poisson_z(
    x: Value,
    prior: Sequence[Value],
    z_threshold: float = DEFAULT_Z_THRESHOLD,
    min_months: int = DEFAULT_MIN_MONTHS,
) -> PastMonthResult:
    """Wheeler's root z-score with dispersion correction (the default method).

    >>> r = poisson_z(26, [14, 18, 15, 17, 16, 13, 19, 16, 15, 17, 16, 16])
    >>> round(r.z, 3), r.label.value, (r.expected_low, r.expected_high)
    (2.198, 'above', (9.0, 25.0))
    """
    method = PastMonthMethod.POISSON_Z
    checked = _checked(method, x, prior, min_months)
    if isinstance(checked, PastMonthResult):
        return checked
    xv, window = checked
    lam = _mean(window)
    phi = max(1.0, statistics.variance(window) / lam) if lam > 0 else 1.0
    root_phi = math.sqrt(phi)
    z = ROOT_TRANSFORM_FACTOR * (math.sqrt(xv) - math.sqrt(lam)) / root_phi
    half = z_threshold / ROOT_TRANSFORM_FACTOR * root_phi
    low = max(0.0, math.sqrt(lam) - half) ** 2
    high = (math.sqrt(lam) + half) ** 2
    label = (PastMonth.ABOVE if z > z_threshold
             else PastMonth.BELOW if z < -z_threshold else PastMonth.IN_LINE)
    return PastMonthResult(method, label, xv, lam, low, high, z, phi, None, len(window))


def xmr(x: Value, prior: Sequence[Value], min_months: int = DEFAULT_MIN_MONTHS) -> PastMonthResult:
    """XmR limits ``mean(p) +/- 2.66*mean|p[i] - p[i-1]|`` (NHS Making Data Count).

    Copes with overdispersion but is poor for small counts: the lower limit can
    be negative and is reported as computed, so the table shows what the rule says.
    """
    method = PastMonthMethod.XMR
    checked = _checked(method, x, prior, min_months)
    if isinstance(checked, PastMonthResult):
        return checked
    xv, window = checked
    mean = _mean(window)
    amr = _mean([abs(b - a) for a, b in itertools.pairwise(window)])
    low, high = mean - XMR_FACTOR * amr, mean + XMR_FACTOR * amr
    label = (PastMonth.ABOVE if xv > high
             else PastMonth.BELOW if xv < low else PastMonth.IN_LINE)
    return PastMonthResult(method, label, xv, mean, low, high, None, None, None, len(window))


def _whole_counts(xv: float, window: Sequence[float]) -> tuple[int, int]:
    values = (xv, *window)
    if any(v != math.floor(v) for v in values):
        raise ValueError("the exact binomial and E-tests need whole-number counts")
    return int(xv), int(sum(window))


def _label_by_p(xv: float, lam: float, p: float, alpha: float) -> PastMonth:
    if p >= alpha or xv == lam:
        return PastMonth.IN_LINE
    return PastMonth.ABOVE if xv > lam else PastMonth.BELOW


def _p_value_test(method: PastMonthMethod, x: Value, prior: Sequence[Value],
                  z_threshold: float, min_months: int,
                  test: Callable[[int, int, int], tuple[float, float | None]]) -> PastMonthResult:
    """The two tests on whole counts: ``test(x, S, n)`` gives (p, z or None), ``S`` the prior
    total over ``n`` months; the label is by ``p`` at the threshold's two-sided alpha."""
    checked = _checked(method, x, prior, min_months)
    if isinstance(checked, PastMonthResult):
        return checked
    xv, window = checked
    xi, s = _whole_counts(xv, window)
    lam = _mean(window)
    p, z = (1.0, None) if xi + s == 0 else test(xi, s, len(window))
    label = _label_by_p(xv, lam, p, alpha_for_threshold(z_threshold))
    return PastMonthResult(method, label, xv, lam, None, None, z, None, p, len(window))


def exact_binomial(
    x: Value,
    prior: Sequence[Value],
    z_threshold: float = DEFAULT_Z_THRESHOLD,
    min_months: int = DEFAULT_MIN_MONTHS,
) -> PastMonthResult:
    """Exact conditional test: ``x | x + S ~ Binomial(x + S, 1/(n + 1))`` (statsmodels)."""
    from statsmodels.stats.proportion import binom_test

    def test(xi: int, s: int, n: int) -> tuple[float, float | None]:
        return float(binom_test(xi, xi + s, 1 / (n + 1))), None

    return _p_value_test(PastMonthMethod.EXACT_BINOMIAL, x, prior, z_threshold, min_months, test)


def e_test(
    x: Value,
    prior: Sequence[Value],
    z_threshold: float = DEFAULT_Z_THRESHOLD,
    min_months: int = DEFAULT_MIN_MONTHS,
) -> PastMonthResult:
    """The E-test (Krishnamoorthy & Thomson 2004) via statsmodels ``test_poisson_2indep``."""
    from statsmodels.stats.rates import test_poisson_2indep

    def test(xi: int, s: int, n: int) -> tuple[float, float | None]:
        with warnings.catch_warnings():  # a zero prior total divides by zero inside
            warnings.simplefilter("ignore", RuntimeWarning)
            res = test_poisson_2indep(xi, 1, s, n, method="etest")
        p = float(res.pvalue) if math.isfinite(float(res.pvalue)) else 1.0
        z = float(res.statistic) if math.isfinite(float(res.statistic)) else None
        return p, z

    return _p_value_test(PastMonthMethod.E_TEST, x, prior, z_threshold, min_months, test)


def past_month(
    x: Value, prior: Sequence[Value], settings: MethodSettings | None = None
) -> PastMonthResult:
    """The past-month result by the method, threshold and history the settings choose."""
    s = settings or MethodSettings()
    method = s.past_month_method
    if method is PastMonthMethod.XMR:
        return xmr(x, prior, s.min_months)
    if method is PastMonthMethod.EXACT_BINOMIAL:
        return exact_binomial(x, prior, s.z_threshold, s.min_months)
    if method is PastMonthMethod.E_TEST:
        return e_test(x, prior, s.z_threshold, s.min_months)
    return poisson_z(x, prior, s.z_threshold, s.min_months)
