"""The units and frequencies a measure can have, and the arithmetic each needs (issue 11).

methods.md is written for monthly counts and percentages; the model bulletin also
reports rates per 100,000 population (primary fires 249.4), a twelve-month mean
(people killed or seriously injured: "a twelve month mean for 2007 to 2009 of 430"),
a cohort's offences against a ceiling ("371 young offenders should not commit more
than 603 offences over 2009/10") and quarterly or yearly figures.  Each is defined
here once, as a pure function, and documented in docs/assumptions.md:

* **rate** (:func:`rate`): ``K * count / population``, ``K`` = 1,000 or 100,000, with
  the mid-year population of the year holding most of the 12 months
  (:func:`cdrp_lib.stats.peers.population_year`, as methods §5 does for peer rates);
* **twelve-month mean** (:func:`twelve_month_mean`): the mean of the 12-month totals over
  a span of whole years ending at the month, i.e. the span's total divided by its years;
* **pro-rata allowance** (:func:`pro_rata_allowance`): the share of a ceiling a cohort may
  have used by a month of its period, ``limit * m / M``;
* **small numbers** (:func:`small_numbers`): a control chart, trend or trajectory of
  counts whose expected 12-month total is under :data:`SMALL_NUMBER_COUNT` is noise;
* **frequency**: months per period (:data:`MONTHS_PER_PERIOD`) and how a period is named
  (:func:`period_label`, :func:`period_short`).

The display helpers (:func:`fmt_level`, :func:`unit_words`) are shared by narrative,
tables and charts, so all three write a figure in its unit the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

from cdrp_lib.periods import Month
from cdrp_lib.stats.rounding import Number, fmt_number, fmt_pct, to_fraction

__all__ = [
    "MONTHS_PER_PERIOD",
    "PER_POPULATION",
    "SMALL_NUMBER_COUNT",
    "Frequency",
    "Unit",
    "fmt_level",
    "is_rate",
    "noun_for",
    "period_label",
    "period_short",
    "pro_rata_allowance",
    "rate",
    "singular",
    "small_numbers",
    "twelve_month_mean",
    "unit_words",
]

Unit = Literal["count", "percent", "per_1000", "per_100000", "mean_12_months",
               "cohort_offences"]
Frequency = Literal["monthly", "quarterly", "annual"]

#: Residents per rate unit.
PER_POPULATION: dict[str, int] = {"per_1000": 1_000, "per_100000": 100_000}
#: Months in one period of each frequency (a quarter ends in its third month; a
#: financial year in March).
MONTHS_PER_PERIOD: dict[str, int] = {"monthly": 1, "quarterly": 3, "annual": 12}
#: Below this expected 12-month count a control chart, trend or trajectory means little:
#: a Poisson count of 10 has a 95% range of about 5 to 18, so a change of half the level
#: is noise, and methods §5 switches to exact limits at the same point (E < 10).
SMALL_NUMBER_COUNT = 10
MONTHS_IN_YEAR = 12
RATE_DECIMALS = 1
PERCENT_DECIMALS = 1
_QUARTER_OF_MONTH = {3: 1, 6: 2, 9: 3, 12: 4}


def is_rate(unit: str) -> bool:
    """A rate per 1,000 or 100,000 population."""
    return unit in PER_POPULATION


def rate(count: Number, population: Number, unit: str) -> Fraction:
    """``K * count / population`` exactly, ``K`` the unit's residents (1,000 or 100,000).

    >>> float(rate(1720, 689_665, "per_100000"))  # doctest: +ELLIPSIS
    249.396...
    """
    pop = to_fraction(population)
    if pop <= 0:
        raise ValueError(f"population must be positive, got {population}")
    return to_fraction(count) * PER_POPULATION[unit] / pop


def twelve_month_mean(monthly: Sequence[Number], span_months: int) -> Fraction:
    """The mean 12-month total over the last ``span_months`` months (whole years).

    ``monthly`` holds exactly those months.  "A twelve month mean for 2007 to 2009" is
    the 36 months' total divided by three: the mean of the three calendar-year totals
    and, equally, of every rolling 12-month total whose window lies in the span weighted
    by month.

    >>> twelve_month_mean([40] * 36, 36)
    Fraction(480, 1)
    """
    if span_months <= 0 or span_months % MONTHS_IN_YEAR:
        raise ValueError(f"the span must be whole years, got {span_months} months")
    if len(monthly) != span_months:
        raise ValueError(f"{span_months} months needed, got {len(monthly)}")
    total = sum((to_fraction(x) for x in monthly), Fraction(0))
    return total / (span_months // MONTHS_IN_YEAR)


def pro_rata_allowance(limit: Number, elapsed_months: int, period_months: int) -> Fraction:
    """How much of a ceiling may have been used after ``elapsed_months`` of its period.

    ``limit * m / M`` for ``0 <= m <= M``, held at the limit after the period: it rises
    evenly from 0 at the start to the limit at the period's end.

    >>> pro_rata_allowance(603, 6, 12)
    Fraction(603, 2)
    """
    if period_months <= 0:
        raise ValueError(f"the period must have months, got {period_months}")
    m = min(max(elapsed_months, 0), period_months)
    return to_fraction(limit) * m / period_months


def small_numbers(expected_12_months: Number | None) -> bool:
    """Whether counts this small make a control chart, trend or trajectory meaningless.

    ``expected_12_months`` is the expected count over 12 months (see
    docs/assumptions.md: the mean 12-month count of the history assessed); None
    (unknown) is not small, and neither is 0: a history of nothing at all is drawn as
    the flat line it is (methods §1's ``B = 0`` case, a band of zero width).
    """
    return expected_12_months is not None and 0 < expected_12_months < SMALL_NUMBER_COUNT


def unit_words(unit: str) -> str:
    """What follows a rate: ``per 100,000 population``; empty for other units."""
    if not is_rate(unit):
        return ""
    return f"per {fmt_number(PER_POPULATION[unit])} population"


def fmt_level(unit: str, x: Number | None, noun: str = "") -> str:
    """A level in its unit, as narrative, tables and charts print it.

    A count or a twelve-month mean: ``1,650 crimes`` (``1 crime``); a percentage:
    ``23.0%``; a rate: ``249.4 primary fires per 100,000 population``.  ``noun`` is
    what is counted; without it a count is the bare number.
    """
    if x is None:
        return ""
    if unit == "percent":
        return fmt_pct(x, PERCENT_DECIMALS)
    if is_rate(unit):
        head = fmt_number(x, RATE_DECIMALS)
        return " ".join(w for w in (head, noun, unit_words(unit)) if w)
    shown = fmt_number(x)
    if not noun:
        return shown
    return f"{shown} {noun_for(shown, noun)}"


def noun_for(shown: str, noun: str) -> str:
    """The noun after a number as printed: ``crime`` after ``1``, else ``crimes``
    (``1 fewer crime``, ``7 more crimes``)."""
    return singular(noun) if shown == "1" else noun


def singular(noun: str) -> str:
    """``crimes`` -> ``crime``, ``fatalities`` -> ``fatality``, ``primary fires`` ->
    ``primary fire``: what one of a counted thing is called."""
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    return noun[:-1] if noun.endswith("s") else noun


def period_label(month: str | Month, frequency: str) -> str:
    """A period named by its last month: ``September 2009``, ``July to September 2009``
    for a quarter, ``2009/10`` for a financial year ending March (else the 12 months to
    the month)."""
    m = month if isinstance(month, Month) else Month.parse(month)
    if frequency == "quarterly":
        first = m - 2
        start = first.label if first.year != m.year else first.label.split(" ")[0]
        return f"{start} to {m.label}"
    if frequency == "annual":
        if m.month == 3:  # March ends a financial year
            return m.financial_year
        return f"the 12 months to {m.label}"
    return m.label


def period_short(month: str | Month, frequency: str) -> str:
    """An axis label: ``Sep 2009``; ``2009 Q3`` for a calendar quarter; ``2009/10``."""
    m = month if isinstance(month, Month) else Month.parse(month)
    if frequency == "quarterly" and m.month in _QUARTER_OF_MONTH:
        return f"{m.year} Q{_QUARTER_OF_MONTH[m.month]}"
    if frequency == "annual" and m.month == 3:
        return m.financial_year
    return f"{m.label[:3]} {m.year}"
