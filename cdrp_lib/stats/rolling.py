"""Rolling 12-month sums, defined only when all twelve months are present (methods.md §0).

A month with no data is *missing* (``None`` or NaN), never 0: a publication
gap that was summed as zero would show a fall in crime that never happened.
So a rolling sum over a window with any missing month is itself missing, and
:func:`rolling_at` says why (missing months, or not yet twelve months of
history) with a :class:`NotAssessedReason`.

Series are plain sequences ordered oldest to newest, one value per calendar
month; :func:`values_ending` cuts such a sequence out of a ``{"YYYY-MM": value}``
mapping, filling months the mapping lacks with ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import NotAssessedReason

if TYPE_CHECKING:
    import pandas as pd

MONTHS_IN_YEAR = 12

__all__ = [
    "MONTHS_IN_YEAR",
    "RollingResult",
    "clean",
    "is_missing",
    "missing_reason",
    "rolling_at",
    "rolling_series",
    "rolling_sums",
    "values_ending",
]

Value = float | int | None


def is_missing(value: object) -> bool:
    """True for ``None`` and NaN (pandas' and numpy's missing value)."""
    if value is None:
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return False


def clean(values: Sequence[Value]) -> tuple[float | None, ...]:
    """The values as floats with every missing value as ``None``; never mutates ``values``.

    Raises ValueError for a negative count (a programmer error: counts come from the store).
    """
    out: list[float | None] = []
    for i, v in enumerate(values):
        if is_missing(v):
            out.append(None)
            continue
        f = float(v)  # type: ignore[arg-type]
        if f < 0:
            raise ValueError(f"counts must not be negative, got {v!r} at position {i}")
        out.append(f)
    return tuple(out)


def missing_reason(window: Sequence[Value], needed: int) -> NotAssessedReason | None:
    """Why the last ``needed`` values cannot be used, or ``None`` when they can.

    Fewer than ``needed`` values is insufficient data; a gap among them is missing months.
    """
    if len(window) < needed:
        return NotAssessedReason.INSUFFICIENT_DATA
    if any(is_missing(v) for v in window[len(window) - needed:]):
        return NotAssessedReason.MISSING_MONTHS
    return None


def rolling_sums(values: Sequence[Value], window: int = MONTHS_IN_YEAR) -> tuple[float | None, ...]:
    """``R[t] = c[t] + ... + c[t-window+1]`` for every ``t``; ``None`` unless all are present.

    >>> rolling_sums([1, 2, 3, None, 5], window=2)
    (None, 3.0, 5.0, None, None)
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    vals = clean(values)
    out: list[float | None] = []
    for t in range(len(vals)):
        if t + 1 < window:
            out.append(None)
            continue
        part = vals[t + 1 - window: t + 1]
        out.append(None if any(v is None for v in part) else math.fsum(
            v for v in part if v is not None))
    return tuple(out)


@dataclass(frozen=True)
class RollingResult:
    """The rolling sum ending at the last value, or the reason it does not exist."""

    value: float | None
    reason: NotAssessedReason | None


def rolling_at(values: Sequence[Value], window: int = MONTHS_IN_YEAR) -> RollingResult:
    """The rolling sum ending at the last value of ``values`` (the current month)."""
    reason = missing_reason(values, window)
    if reason is not None:
        return RollingResult(None, reason)
    return RollingResult(rolling_sums(values[len(values) - window:], window)[-1], None)


def values_ending(
    series: Mapping[str, Value], month: str | Month, count: int
) -> tuple[float | None, ...]:
    """The ``count`` monthly values ending at ``month``, oldest first; absent months are None."""
    last = month if isinstance(month, Month) else Month.parse(month)
    out: list[float | None] = []
    for i in range(count - 1, -1, -1):
        v = series.get(str(last - i))
        out.append(None if is_missing(v) else float(v))  # type: ignore[arg-type]
    return tuple(out)


def rolling_series(series: pd.Series, window: int = MONTHS_IN_YEAR) -> pd.Series:
    """Rolling sums of a pandas Series indexed by ``YYYY-MM`` strings.

    Months absent from the index are inserted as missing first, so a gap in the
    index can never make a window span more than ``window`` calendar months.
    The result is indexed by every month from the first to the last; it is NaN
    wherever any of the window's months is missing.
    """
    if series.empty:
        return series.astype(float)
    months = sorted(Month.parse(str(m)) for m in series.index)
    full = [str(Month.from_index(i)) for i in range(months[0].index, months[-1].index + 1)]
    values = series.astype(float).reindex(full)
    if (values.dropna() < 0).any():
        raise ValueError("counts must not be negative")
    out: pd.Series = values.rolling(window, min_periods=window).sum()
    return out
