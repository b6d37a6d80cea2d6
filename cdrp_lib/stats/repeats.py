"""Domestic abuse repeat victimisation (methods.md section 8).

(a) Police crime-based rate, the default: a DA crime in the period is a *repeat*
when the same victim (matched on a pseudonymised person id) has another DA crime
with an earlier date on or after ``date - 12 calendar months``.  Same-day events
are ordered by their reference, so of two crimes on one day the one with the
higher reference is the repeat.  The rate is repeats / DA crimes in the period;
the person-based variant is victims with at least one repeat / victims.

(b) MARAC repeat rate (SafeLives): a referral is a repeat case when the same
victim was referred before and the new referral falls within 12 months of the
last one; an incident more than 12 months later is a new referral.  That is rule
(a) applied to referrals instead of crimes.

Written by hand because no statistics library computes repeat flags; it is a
sort and one look back per event, vectorised with numpy so that an extract of a
few hundred thousand events takes milliseconds.  Rates are exact
:class:`fractions.Fraction` values (methods section 0); display rounding is done
elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Default lookback of the repeat definitions, in calendar months (methods 8a and 8b).
LOOKBACK_MONTHS = 12

DateInput: TypeAlias = "Sequence[date] | Sequence[str] | npt.NDArray[Any] | pd.Series[Any]"


@dataclass(frozen=True)
class RepeatRate:
    """A repeat rate as exact counts.

    ``assessable`` is False when the data do not reach back ``lookback`` months
    before the period starts: the first events of the period would look like
    first events only because their history is missing, so no rate is given.
    """

    numerator: int
    denominator: int
    assessable: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.numerator <= self.denominator:
            raise ValueError(
                f"a repeat rate needs 0 <= numerator <= denominator, got "
                f"{self.numerator}/{self.denominator}")

    @property
    def rate(self) -> Fraction | None:
        """Repeats / all, exactly; ``None`` when not assessable or there is nothing to rate."""
        if not self.assessable or self.denominator == 0:
            return None
        return Fraction(self.numerator, self.denominator)


def as_days(dates: DateInput) -> npt.NDArray[np.datetime64]:
    """Any date-like sequence as ``datetime64[D]`` (times of day are dropped).

    Raises ValueError when a date is missing (NaT/None) or cannot be read.
    """
    values = dates.to_numpy() if isinstance(dates, pd.Series) else np.asarray(dates)
    try:
        days = values.astype("datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"dates must be dates (YYYY-MM-DD), got {values[:3]!r}...") from exc
    if np.isnat(days).any():
        raise ValueError("dates must not be missing (NaT)")
    return days


def shift_months(days: npt.NDArray[np.datetime64], months: int) -> npt.NDArray[np.datetime64]:
    """Add calendar months to each day, clamping to the month's last day.

    ``2024-02-29`` minus 12 months is ``2023-02-28``; ``2023-05-31`` minus 1
    month is ``2023-04-30``.
    """
    month_start = days.astype("datetime64[M]")
    offset = (days - month_start.astype("datetime64[D]")).astype(np.int64)
    target = month_start + np.timedelta64(months, "M")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]")
              - target.astype("datetime64[D]")).astype(np.int64)
    result: npt.NDArray[np.datetime64] = (
        target.astype("datetime64[D]") + np.minimum(offset, length - 1).astype("timedelta64[D]"))
    return result


def _check_lengths(victim_ids: Sequence[str], dates: DateInput, refs: Sequence[str]) -> None:
    if not len(victim_ids) == len(dates) == len(refs):
        raise ValueError(
            f"victim_ids, dates and refs must have the same length, got "
            f"{len(victim_ids)}, {len(dates)} and {len(refs)}")


def repeat_flags(
    victim_ids: Sequence[str],
    dates: DateInput,
    refs: Sequence[str],
    lookback_months: int = LOOKBACK_MONTHS,
) -> list[bool]:
    """For each event, whether it is a repeat (methods 8a), in input order.

    An event is a repeat when the same victim has another event that is earlier
    — an earlier date, or the same date and a smaller ``ref`` (string order) —
    dated on or after this event's date minus ``lookback_months`` calendar
    months.  Only the latest earlier event need be checked: if it is out of the
    window, every earlier one is too.  Two events of one victim with the same
    date and ref are neither earlier than the other.

    >>> repeat_flags(["A", "A", "B"], ["2023-01-05", "2023-06-01", "2023-06-01"], ["1", "2", "3"])
    [False, True, False]
    """
    _check_lengths(victim_ids, dates, refs)
    if lookback_months < 1:
        raise ValueError(f"lookback_months must be at least 1, got {lookback_months}")
    n = len(victim_ids)
    if n == 0:
        return []
    days = as_days(dates)
    victim_codes, _ = pd.factorize(pd.Series([str(v) for v in victim_ids], dtype=object))
    ref_ranks, _ = pd.factorize(pd.Series([str(r) for r in refs], dtype=object), sort=True)
    day_numbers = days.astype(np.int64)
    order = np.lexsort((ref_ranks, day_numbers, victim_codes))
    v = victim_codes[order]
    d = day_numbers[order]
    r = ref_ranks[order]
    position = np.arange(n)
    new_block = np.ones(n, dtype=bool)
    new_block[1:] = (v[1:] != v[:-1]) | (d[1:] != d[:-1]) | (r[1:] != r[:-1])
    block_start = np.maximum.accumulate(np.where(new_block, position, 0))
    previous = block_start - 1
    has_previous = previous >= 0
    previous_safe = np.where(has_previous, previous, 0)
    same_victim = has_previous & (v[previous_safe] == v)
    window_start = shift_months(days[order], -lookback_months).astype(np.int64)
    sorted_flags = same_victim & (d[previous_safe] >= window_start)
    flags = np.empty(n, dtype=bool)
    flags[order] = sorted_flags
    return [bool(x) for x in flags]


def _in_period(days: npt.NDArray[np.datetime64], start: date, end: date) -> npt.NDArray[np.bool_]:
    if end < start:
        raise ValueError(f"period_end must not be before period_start, got {start} to {end}")
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
    result: npt.NDArray[np.bool_] = (days >= lo) & (days <= hi)
    return result


def _assessable(period_start: date, lookback_months: int, history_start: date | None) -> bool:
    if history_start is None:
        return True
    needed = shift_months(np.array([period_start], dtype="datetime64[D]"), -lookback_months)[0]
    return bool(needed >= np.datetime64(history_start, "D"))


def crime_repeat_rate(
    victim_ids: Sequence[str],
    dates: DateInput,
    refs: Sequence[str],
    period_start: date,
    period_end: date,
    lookback_months: int = LOOKBACK_MONTHS,
    history_start: date | None = None,
) -> RepeatRate:
    """Crime-based repeat rate for the period ``[period_start, period_end]`` (methods 8a).

    Pass every DA crime you hold, including those before the period: they are
    the lookback.  ``history_start`` is the first date the data cover; when the
    lookback of the period reaches before it the result is not assessable.
    """
    flags = np.asarray(repeat_flags(victim_ids, dates, refs, lookback_months), dtype=bool)
    in_period = _in_period(as_days(dates), period_start, period_end) if len(flags) else flags
    return RepeatRate(int((flags & in_period).sum()), int(in_period.sum()),
                      _assessable(period_start, lookback_months, history_start))


def person_repeat_rate(
    victim_ids: Sequence[str],
    dates: DateInput,
    refs: Sequence[str],
    period_start: date,
    period_end: date,
    lookback_months: int = LOOKBACK_MONTHS,
    history_start: date | None = None,
) -> RepeatRate:
    """Person-based rate: victims with a repeat crime in the period / victims with a crime in it."""
    flags = np.asarray(repeat_flags(victim_ids, dates, refs, lookback_months), dtype=bool)
    if len(flags) == 0:
        return RepeatRate(0, 0, _assessable(period_start, lookback_months, history_start))
    in_period = _in_period(as_days(dates), period_start, period_end)
    victims = np.asarray([str(v) for v in victim_ids], dtype=object)
    everyone = set(victims[in_period])
    repeated = set(victims[in_period & flags])
    return RepeatRate(len(repeated), len(everyone),
                      _assessable(period_start, lookback_months, history_start))


def marac_repeat_rate(
    victim_ids: Sequence[str],
    referral_dates: DateInput,
    refs: Sequence[str],
    period_start: date,
    period_end: date,
    lookback_months: int = LOOKBACK_MONTHS,
    history_start: date | None = None,
) -> RepeatRate:
    """MARAC repeat rate (methods 8b): repeat cases heard / all cases heard in the period.

    Pass MARAC referrals only (one row per case heard).  A case is a repeat when
    the same victim's previous referral was within ``lookback_months`` before it.
    """
    return crime_repeat_rate(victim_ids, referral_dates, refs, period_start, period_end,
                             lookback_months, history_start)


def rate_from_counts(repeats: int, total: int) -> RepeatRate:
    """A rate already counted elsewhere, e.g. a MARAC coordinator's 36 repeats of 120 cases."""
    return RepeatRate(repeats, total)
