""""Long-term trend sufficient to meet target" (methods.md §4).

Default: ordinary least squares on the last ``K = 24`` rolling 12-month sums
(``x = 0..K-1``), projected ``h`` months ahead to the month in which the target
is assessed, ``y_hat = a + b*(K - 1 + h)``, floored at 0.  OLS reproduces
Excel's ``FORECAST.LINEAR``/``TREND`` so analysts can check it.  Rolling sums
overlap by 11/12, so the fit's standard errors are invalid: no interval is
returned, on purpose.

Alternatives: Theil-Sen (``scipy.stats.theilslopes``, ``method='separate'``,
intercept ``median(y) - slope*median(x)``), year-on-year compounding
``R[t]*(R[t]/R[t-12])**(h/12)``, and ETS on the monthly counts (statsmodels
``ETSModel``, additive damped trend and additive seasonality, summing the
forecasts for the strategy's final 12 months).  The method can decide the
label, so the result records which one was used.

Sufficient: ``y_hat <= T`` when lower is better, ``y_hat >= T`` when higher is better.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from cdrp_lib.stats.enums import ChangeLabel, NotAssessedReason, Polarity, TrendMethod
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR, Value, clean, missing_reason, rolling_sums
from cdrp_lib.stats.rounding import Number, to_fraction
from cdrp_lib.stats.settings import DEFAULT_TREND_WINDOW, MethodSettings

ETS_MIN_MONTHS = 36
ETS_SEASONAL_PERIODS = 12

__all__ = [
    "ETS_MIN_MONTHS",
    "TrendResult",
    "ets_projection",
    "is_sufficient",
    "long_term_trend",
    "project_rolling",
]


@dataclass(frozen=True)
class TrendResult:
    """A projection of the rolling 12-month count to the target month, and its verdict.

    ``direction`` compares the projection with the current rolling value
    ("projected to fall / rise").  ``sufficient`` is ``None`` when there is no
    projection or no target; ``reason`` then says why.
    """

    method: TrendMethod
    horizon: int
    projection: float | None
    sufficient: bool | None
    direction: ChangeLabel | None = None
    slope: float | None = None
    intercept: float | None = None
    window: int = DEFAULT_TREND_WINDOW
    reason: NotAssessedReason | None = None


def is_sufficient(projection: Number, target: Number, polarity: Polarity) -> bool:
    """``y_hat <= T`` (lower is better) or ``y_hat >= T`` (higher is better), exactly."""
    y, t = Fraction(projection), to_fraction(target)
    return y >= t if polarity is Polarity.HIGHER_IS_BETTER else y <= t


def _check_horizon(horizon: int) -> None:
    if horizon < 0:
        raise ValueError(f"horizon must be 0 or more months, got {horizon} "
                         "(after the strategy ends, project to now with 0)")


def _fit(method: TrendMethod, y: Sequence[float]) -> tuple[float, float]:
    x = np.arange(len(y), dtype=float)
    if method is TrendMethod.THEIL_SEN:
        from scipy.stats import theilslopes

        res = theilslopes(np.asarray(y, dtype=float), x, method="separate")
        return float(res.slope), float(res.intercept)
    slope, intercept = np.polyfit(x, np.asarray(y, dtype=float), 1)
    return float(slope), float(intercept)


def _verdict(
    method: TrendMethod, horizon: int, raw: float, current: float, target: Number | None,
    polarity: Polarity, window: int, slope: float | None = None,
    intercept: float | None = None,
) -> TrendResult:
    if not math.isfinite(raw):
        return TrendResult(method, horizon, None, None, window=window,
                           reason=NotAssessedReason.INSUFFICIENT_DATA)
    projection = max(0.0, raw)
    sufficient = None if target is None else is_sufficient(projection, target, polarity)
    direction = ChangeLabel.between(projection, current)
    return TrendResult(method, horizon, projection, sufficient, direction,
                       slope, intercept, window,
                       None if target is not None else NotAssessedReason.NO_TARGET)


def project_rolling(
    rolling: Sequence[Value],
    horizon: int,
    target: Number | None,
    polarity: Polarity,
    method: TrendMethod = TrendMethod.OLS,
    window: int = DEFAULT_TREND_WINDOW,
) -> TrendResult:
    """Project a series of rolling 12-month sums (oldest first) ``horizon`` months ahead.

    OLS and Theil-Sen need the last ``window`` sums complete; year-on-year needs
    ``R[t]`` and ``R[t-12]``.  ETS works on monthly counts: use :func:`ets_projection`.

    >>> R = [1200, 1196, 1195, 1189, 1190, 1182, 1178, 1181, 1172, 1170, 1165, 1166,
    ...      1158, 1155, 1150, 1151, 1143, 1140, 1138, 1133, 1131, 1126, 1124, 1120]
    >>> r = project_rolling(R, 12, 1078, Polarity.LOWER_IS_BETTER)
    >>> round(r.projection, 2), r.sufficient
    (1077.57, True)
    """
    _check_horizon(horizon)
    if method is TrendMethod.ETS:
        raise ValueError("ETS projects monthly counts: call ets_projection")
    vals = clean(rolling)
    if method is TrendMethod.YEAR_ON_YEAR:
        reason = missing_reason(vals, MONTHS_IN_YEAR + 1)
        if reason is not None:
            return TrendResult(method, horizon, None, None, window=window, reason=reason)
        now, before = vals[-1], vals[-1 - MONTHS_IN_YEAR]
        assert now is not None and before is not None
        if before == 0:
            raw = 0.0 if now == 0 else math.nan
        else:
            raw = now * (now / before) ** (horizon / MONTHS_IN_YEAR)
        return _verdict(method, horizon, raw, now, target, polarity, MONTHS_IN_YEAR + 1)
    reason = missing_reason(vals, window)
    if reason is not None:
        return TrendResult(method, horizon, None, None, window=window, reason=reason)
    y = [v for v in vals[len(vals) - window:] if v is not None]
    slope, intercept = _fit(method, y)
    raw = intercept + slope * (window - 1 + horizon)
    return _verdict(method, horizon, raw, y[-1], target, polarity, window, slope, intercept)


def ets_projection(
    monthly: Sequence[Value],
    horizon: int,
    target: Number | None,
    polarity: Polarity,
) -> TrendResult:
    """ETS (additive error, damped additive trend, additive 12-month season) on monthly counts.

    The projection is the rolling 12-month sum at the target month: the sum of
    the forecasts for the strategy's final 12 months, with observed months
    filling in when fewer than 12 remain.  Needs 36 complete months; a fit the
    optimiser cannot complete is "insufficient data", never an exception.
    """
    _check_horizon(horizon)
    method = TrendMethod.ETS
    vals = clean(monthly)
    reason = missing_reason(vals, ETS_MIN_MONTHS)
    if reason is not None:
        return TrendResult(method, horizon, None, None, window=ETS_MIN_MONTHS, reason=reason)
    # use the latest complete stretch of months
    run: list[float] = []
    for v in reversed(vals):
        if v is None:
            break
        run.append(v)
    y = np.asarray(run[::-1], dtype=float)
    current = float(y[-MONTHS_IN_YEAR:].sum())
    forecasts = np.zeros(0)
    if horizon > 0:
        try:
            forecasts = _ets_forecast(y, horizon)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError):
            return TrendResult(method, horizon, None, None, window=len(y),
                               reason=NotAssessedReason.INSUFFICIENT_DATA)
    observed = y[len(y) - max(0, MONTHS_IN_YEAR - horizon):] if horizon < MONTHS_IN_YEAR \
        else np.zeros(0)
    final = np.concatenate([observed, forecasts[max(0, horizon - MONTHS_IN_YEAR):]])
    return _verdict(method, horizon, float(final.sum()), current, target, polarity, len(y))


def _ets_forecast(y: np.ndarray, horizon: int) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():  # convergence chatter is not a result
        warnings.simplefilter("ignore")
        model = ETSModel(y, error="add", trend="add", damped_trend=True, seasonal="add",
                         seasonal_periods=ETS_SEASONAL_PERIODS)
        fit = model.fit(disp=False)
        out = np.asarray(fit.forecast(horizon), dtype=float)
    if not np.all(np.isfinite(out)):
        raise ValueError("ETS forecast is not finite")
    return out


def long_term_trend(
    monthly: Sequence[Value],
    horizon: int,
    target: Number | None,
    polarity: Polarity,
    settings: MethodSettings | None = None,
) -> TrendResult:
    """The trend verdict from monthly counts, by the method and window the settings choose.

    OLS and Theil-Sen need ``window + 11`` months (35 by default), year-on-year 24.
    """
    s = settings or MethodSettings()
    if s.trend_method is TrendMethod.ETS:
        return ets_projection(monthly, horizon, target, polarity)
    _check_horizon(horizon)
    sums = (MONTHS_IN_YEAR + 1 if s.trend_method is TrendMethod.YEAR_ON_YEAR
            else s.trend_window)
    reason = missing_reason(clean(monthly), sums + MONTHS_IN_YEAR - 1)
    if reason is not None:  # say "not enough history" before the padding looks like a gap
        return TrendResult(s.trend_method, horizon, None, None, window=s.trend_window,
                           reason=reason)
    return project_rolling(rolling_sums(monthly), horizon, target, polarity,
                           s.trend_method, s.trend_window)
