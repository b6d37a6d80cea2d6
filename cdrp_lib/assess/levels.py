"""A measure's series on one month axis: monthly values, rolling 12-month sums and rates.

Everything :func:`~cdrp_lib.assess.assess` computes reads the series through
:class:`Levels`, built once per measure and month, so a gap, a short history
or a proportion over no cases is found in one place and given its reason
(:func:`rolling_reason`) rather than worked out again by each part.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from cdrp_lib.assessment import (
    MeasureKind,
)
from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import (
    NotAssessedReason,
)
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR
from cdrp_lib.stats.rounding import to_fraction

if TYPE_CHECKING:
    import pandas as pd



PERCENT = 100


@dataclass(frozen=True)
class SurveyWave:
    """One survey wave: its label, last month, weighted agreeing and effective sample size."""

    wave: str
    month: str
    successes: float
    n_eff: float

    @property
    def percent(self) -> float | None:
        return None if self.n_eff <= 0 else PERCENT * self.successes / self.n_eff


# --------------------------------------------------------------------------- series


def months_of(series: pd.Series | Mapping[str, Any] | None) -> dict[str, float | None]:
    """``{YYYY-MM: value or None}`` from a Series or mapping; never mutates the input."""
    if series is None:
        return {}
    items = series.items()
    out: dict[str, float | None] = {}
    for key, value in items:
        month = str(Month.parse(str(key)))
        out[month] = None if value is None or is_nan(value) else float(value)
    return out


def is_nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Levels:
    """A measure's values and rolling 12-month positions on one period axis.

    For a count: ``monthly`` are counts and ``rolling`` sums.  For a proportion:
    ``monthly`` and ``rolling`` are percentages, ``num``/``den`` the raw parts.
    ``months`` are the periods' last months, ``step`` months apart (1 monthly, 3
    quarterly, 12 yearly); ``window`` periods make one rolling position (12 months;
    a twelve-month mean's whole span).  For a rate, a twelve-month mean or a cohort's
    offences to date ``rolling`` is in that unit while ``rolling_num`` keeps the
    12-month counts (:mod:`cdrp_lib.assess.units`).
    """

    months: tuple[Month, ...]
    monthly: tuple[float | None, ...]
    rolling: tuple[float | None, ...]
    num: tuple[float | None, ...]
    den: tuple[float | None, ...]
    rolling_num: tuple[float | None, ...]
    rolling_den: tuple[float | None, ...]
    step: int = 1
    window: int = MONTHS_IN_YEAR

    @property
    def per_year(self) -> int:
        """Periods in a year: the rolling 12 months' length in periods."""
        return MONTHS_IN_YEAR // self.step

    def index(self, month: Month) -> int | None:
        if not self.months or month < self.months[0] or month > self.months[-1]:
            return None
        offset = month.minus(self.months[0])
        return None if offset % self.step else offset // self.step

    def at(self, values: tuple[float | None, ...], month: Month) -> float | None:
        i = self.index(month)
        return None if i is None else values[i]

    def ending(self, values: tuple[float | None, ...], month: Month,
               count: int) -> tuple[float | None, ...]:
        """``count`` values ending at ``month`` (fewer when the series starts later)."""
        i = self.index(month)
        if i is None:
            return ()
        return values[max(0, i + 1 - count): i + 1]

    def end_months(self, count: int) -> tuple[Month, ...]:
        """The last ``count`` period ends."""
        return self.months[len(self.months) - count:] if count else ()

    def last_at_or_before(self, month: Month) -> Month | None:
        """The last period end not after ``month``."""
        if not self.months or month < self.months[0]:
            return None
        offset = min(month, self.months[-1]).minus(self.months[0])
        return self.months[offset // self.step]


def _window_sum(values: Sequence[float | None], t: int,
                window: int = MONTHS_IN_YEAR) -> float | None:
    if t + 1 < window:
        return None
    part = values[t + 1 - window: t + 1]
    if None in part:
        return None
    return math.fsum(part)  # type: ignore[arg-type]  # no None left


def build_levels(values: Mapping[str, float | None], denominators: Mapping[str, float | None],
                 kind: MeasureKind, last: Month, step: int = 1) -> Levels:
    """The series up to ``last`` on its period axis (``step`` months apart), with rolling
    12-month sums (rates for a proportion)."""
    keys = [k for k in map(Month.parse, values) if k <= last]
    if not keys:
        return Levels((), (), (), (), (), (), (), step, MONTHS_IN_YEAR // step)
    first = min(keys)
    months = tuple(first + k * step for k in range(last.minus(first) // step + 1))
    window = MONTHS_IN_YEAR // step
    num = tuple(values.get(str(m)) for m in months)
    if kind == "count":
        rolling = tuple(_window_sum(num, t, window) for t in range(len(months)))
        return Levels(months, num, rolling, num, (), rolling, (), step, window)
    den = tuple(denominators.get(str(m)) for m in months)
    den = tuple(None if d is None or n is None else d for n, d in zip(num, den, strict=True))
    num = tuple(None if d is None else n for n, d in zip(num, den, strict=True))
    monthly = tuple(_pct(n, d) for n, d in zip(num, den, strict=True))
    rnum = tuple(_window_sum(num, t, window) for t in range(len(months)))
    rden = tuple(_window_sum(den, t, window) for t in range(len(months)))
    rolling = tuple(_pct(n, d) for n, d in zip(rnum, rden, strict=True))
    return Levels(months, monthly, rolling, num, den, rnum, rden, step, window)


def _pct(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return _exact_pct(num, den)


@functools.lru_cache(maxsize=1 << 16)
def _exact_pct(num: float, den: float) -> float:
    """``num / den`` in percent, exactly then rounded once to a float.  Kept per pair: a
    bulletin's assessment (each survey wave month, each peer) asks for the same pairs
    thousands of times, and the exact arithmetic is most of its cost."""
    return float(to_fraction(num) / to_fraction(den) * PERCENT)


def rolling_reason(levels: Levels, t: Month) -> NotAssessedReason:
    """Why there is no rolling position at ``t``: too short a history, or a gap."""
    window = levels.ending(levels.monthly if levels.den == () else levels.num, t,
                           levels.window)
    if len(window) < levels.window:
        return NotAssessedReason.INSUFFICIENT_DATA
    if any(v is None for v in window):
        return NotAssessedReason.MISSING_MONTHS
    return NotAssessedReason.DENOMINATOR_TOO_SMALL  # a proportion over no cases


def as_float(x: Fraction | float | None) -> float | None:
    return None if x is None else float(x)
