"""Rolling 12-month sums exist only when all twelve months are present (methods.md §0)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdrp_lib.stats.enums import NotAssessedReason
from cdrp_lib.stats.rolling import (
    is_missing,
    missing_reason,
    rolling_at,
    rolling_series,
    rolling_sums,
    values_ending,
)


def test_rolling_sum_needs_twelve_present_months() -> None:
    months = list(range(1, 14))  # 13 months: 1..13
    sums = rolling_sums(months)
    assert sums[:11] == (None,) * 11
    assert sums[11] == sum(range(1, 13))
    assert sums[12] == sum(range(2, 14))


def test_a_missing_month_is_missing_not_zero() -> None:
    months: list[float | None] = [10.0] * 24
    months[5] = None
    sums = rolling_sums(months)
    assert all(s is None for s in sums[5:17])
    assert sums[17] == 120.0
    nan_months = [10.0] * 12
    nan_months[0] = math.nan
    assert rolling_sums(nan_months)[-1] is None


def test_rolling_sums_do_not_mutate_input() -> None:
    months: list[float | None] = [1.0, None, 3.0]
    rolling_sums(months, window=2)
    assert months == [1.0, None, 3.0]


def test_rolling_at_gives_the_reason() -> None:
    assert rolling_at([1] * 11).reason is NotAssessedReason.INSUFFICIENT_DATA
    assert rolling_at([1] * 11 + [None]).reason is NotAssessedReason.MISSING_MONTHS
    ok = rolling_at([None] + [2] * 12)
    assert ok.value == 24.0 and ok.reason is None


def test_missing_reason() -> None:
    assert missing_reason([1, 2], 3) is NotAssessedReason.INSUFFICIENT_DATA
    assert missing_reason([None, 1, 2], 2) is None
    assert missing_reason([1, None, 2], 2) is NotAssessedReason.MISSING_MONTHS


def test_negative_count_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="position 1"):
        rolling_sums([1, -2, 3])
    with pytest.raises(ValueError):
        rolling_sums([1], window=0)


def test_values_ending_fills_absent_months_with_none() -> None:
    series = {"2024-11": 5.0, "2025-01": 7.0, "2025-02": math.nan}
    assert values_ending(series, "2025-02", 4) == (5.0, None, 7.0, None)


def test_values_ending_orders_oldest_first() -> None:
    series = {"2024-12": 1.0, "2025-01": 2.0, "2025-02": 3.0}
    assert values_ending(series, "2025-02", 3) == (1.0, 2.0, 3.0)
    assert values_ending(series, "2025-03", 2) == (3.0, None)


def test_is_missing() -> None:
    assert is_missing(None) and is_missing(math.nan) and is_missing(float("nan"))
    assert not is_missing(0) and not is_missing("x")


def test_rolling_series_inserts_gaps_in_the_index() -> None:
    months = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-02"]  # 2025-01 absent
    s = pd.Series([1.0] * 13, index=months)
    out = rolling_series(s)
    assert list(out.index)[-2:] == ["2025-01", "2025-02"]
    assert out["2024-12"] == 12.0
    assert math.isnan(out["2025-01"]) and math.isnan(out["2025-02"])


def test_rolling_series_empty_and_negative() -> None:
    assert rolling_series(pd.Series([], dtype=float)).empty
    with pytest.raises(ValueError):
        rolling_series(pd.Series([1.0, -1.0], index=["2024-01", "2024-02"]))
