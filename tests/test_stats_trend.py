"""Long-term trend sufficient to meet target (methods.md §4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cdrp_lib.stats.enums import ChangeLabel, NotAssessedReason, Polarity, TrendMethod
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.stats.trend import (
    ets_projection,
    is_sufficient,
    long_term_trend,
    project_rolling,
)

R = [1200, 1196, 1195, 1189, 1190, 1182, 1178, 1181, 1172, 1170, 1165, 1166,
     1158, 1155, 1150, 1151, 1143, 1140, 1138, 1133, 1131, 1126, 1124, 1120]
LOWER = Polarity.LOWER_IS_BETTER
HIGHER = Polarity.HIGHER_IS_BETTER


def test_ols_worked_example() -> None:
    r = project_rolling(R, 12, 1078, LOWER)
    assert r.slope == pytest.approx(-3.5309, abs=5e-5)
    assert r.projection == pytest.approx(1077.57, abs=5e-3)
    assert r.sufficient is True and r.method is TrendMethod.OLS
    assert r.direction is ChangeLabel.DECREASE


def test_theil_sen_worked_example() -> None:
    r = project_rolling(R, 12, 1078, LOWER, TrendMethod.THEIL_SEN)
    assert r.slope == pytest.approx(-3.5)
    assert r.projection == pytest.approx(1079.25)
    assert r.sufficient is False


def test_year_on_year_worked_example() -> None:
    r = project_rolling(R, 12, 1078, LOWER, TrendMethod.YEAR_ON_YEAR)
    assert r.projection == pytest.approx(1075.81, abs=5e-3)
    assert r.sufficient is True


def test_projection_is_floored_at_zero() -> None:
    falling = [240 - 10 * i for i in range(24)]
    r = project_rolling(falling, 24, 5, LOWER)
    assert r.projection == 0.0 and r.sufficient is True


def test_sufficiency_follows_polarity() -> None:
    assert is_sufficient(10, 10, LOWER) and is_sufficient(10, 10, HIGHER)
    assert is_sufficient(9, 10, LOWER) and not is_sufficient(9, 10, HIGHER)
    rising = project_rolling([100 + i for i in range(24)], 12, 130, HIGHER)
    assert rising.projection == pytest.approx(135) and rising.sufficient is True
    assert rising.direction is ChangeLabel.INCREASE


def test_no_target_still_projects() -> None:
    r = project_rolling(R, 12, None, LOWER)
    assert r.projection is not None and r.sufficient is None
    assert r.reason is NotAssessedReason.NO_TARGET


def test_short_or_gappy_history_is_a_reason() -> None:
    assert project_rolling(R[1:], 12, 1078, LOWER).reason is NotAssessedReason.INSUFFICIENT_DATA
    gappy: list[float | None] = list(R)
    gappy[10] = None
    assert project_rolling(gappy, 12, 1078, LOWER).reason is NotAssessedReason.MISSING_MONTHS
    yoy = project_rolling(R[:12], 12, 1078, LOWER, TrendMethod.YEAR_ON_YEAR)
    assert yoy.reason is NotAssessedReason.INSUFFICIENT_DATA


def test_year_on_year_from_zero() -> None:
    from_zero = [0.0] + [5.0] * 12
    r = project_rolling(from_zero, 12, 10, LOWER, TrendMethod.YEAR_ON_YEAR)
    assert r.projection is None and r.reason is NotAssessedReason.INSUFFICIENT_DATA
    both_zero = project_rolling([0.0] * 13, 12, 10, LOWER, TrendMethod.YEAR_ON_YEAR)
    assert both_zero.projection == 0.0


def test_programmer_errors_raise() -> None:
    with pytest.raises(ValueError, match="horizon"):
        project_rolling(R, -1, 1078, LOWER)
    with pytest.raises(ValueError, match="ets_projection"):
        project_rolling(R, 12, 1078, LOWER, TrendMethod.ETS)


def test_long_term_trend_from_monthly_counts_needs_35_months() -> None:
    flat = [10.0] * 35
    r = long_term_trend(flat, 12, 120, LOWER)
    assert r.projection == pytest.approx(120) and r.sufficient is True
    assert long_term_trend(flat, 12, 119, LOWER).sufficient is False
    assert long_term_trend(flat[1:], 12, 120, LOWER).reason is NotAssessedReason.INSUFFICIENT_DATA
    ts = long_term_trend(flat, 12, 120, LOWER, MethodSettings(trend_method=TrendMethod.THEIL_SEN))
    assert ts.method is TrendMethod.THEIL_SEN


def _seasonal(months: int) -> list[float]:
    t = np.arange(months)
    return list(100 - 0.5 * t + 10 * np.sin(2 * np.pi * t / 12))


def test_ets_projects_a_seasonal_series() -> None:
    r = ets_projection(_seasonal(48), 12, 1000, LOWER)
    truth = sum(100 - 0.5 * m for m in range(48, 60))  # the season sums to 0 over a year
    assert r.projection == pytest.approx(truth, rel=0.02)
    assert r.sufficient is True and r.method is TrendMethod.ETS


def test_ets_mixes_observed_months_when_under_a_year_remains() -> None:
    y = _seasonal(48)
    r = ets_projection(y, 0, None, LOWER)
    assert r.projection == pytest.approx(sum(y[-12:]))


def test_ets_needs_36_months_and_survives_zeros() -> None:
    assert ets_projection([5.0] * 35, 12, 10, LOWER).reason is NotAssessedReason.INSUFFICIENT_DATA
    zeros = ets_projection([0.0] * 40, 12, 10, LOWER)
    assert zeros.reason in (None, NotAssessedReason.INSUFFICIENT_DATA)
    via_settings = long_term_trend(_seasonal(40), 6, None, LOWER,
                                   MethodSettings(trend_method=TrendMethod.ETS))
    assert via_settings.method is TrendMethod.ETS


@given(
    base=st.integers(0, 2000),
    steps=st.lists(st.integers(-20, 20), min_size=23, max_size=23),
    target=st.integers(0, 3000),
    horizon=st.integers(0, 36),
    k=st.integers(2, 20),
    method=st.sampled_from([TrendMethod.OLS, TrendMethod.THEIL_SEN, TrendMethod.YEAR_ON_YEAR]),
)
def test_scaling_series_and_target_leaves_sufficiency_unchanged(
    base: int, steps: list[int], target: int, horizon: int, k: int, method: TrendMethod
) -> None:
    """OLS and Theil-Sen fits are equivariant under y -> k*y (the slope and intercept
    scale by k), year-on-year compounding is homogeneous of degree one, and the floor at
    0 commutes with multiplying by k > 0.  So the projection scales by k and its
    comparison with a target scaled by k cannot change.  Cases within a rounding error
    of the target are skipped: there floating point, not the method, decides."""
    series = [float(max(0, base + sum(steps[:i]))) for i in range(24)]
    a = project_rolling(series, horizon, target, LOWER, method)
    b = project_rolling([k * v for v in series], horizon, k * target, LOWER, method)
    assume(a.projection is not None and not math.isclose(a.projection, target, abs_tol=1e-6))
    assert a.projection is not None
    assert b.projection == pytest.approx(k * a.projection, rel=1e-9, abs=1e-6)
    assert a.sufficient is b.sufficient
