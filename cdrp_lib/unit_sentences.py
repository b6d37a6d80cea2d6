"""Sentences for the units and frequencies of issue 11, in the model bulletin's words.

:mod:`cdrp_lib.narrative` writes every measure's sentences; a measure in a rate per
population, a twelve-month mean or a cohort's offences against a ceiling, or one
published quarterly or with a lag, states its target, position and data in its own
unit, and those sentences are here, one function each, so that the Kettering replica
can check them against the model bulletin ("The target for NI49 (1) primary fires per
100,000 population for 2009/10 is 249.4 primary fires per 100,000 population.", "Data
is only reported quarterly and ... there is generally a four month lag in reporting the
progress against this target.").  Each returns None when its facts are not in the
public view (:func:`cdrp_lib.public.public_view`), so a withheld figure is never printed.
"""

from __future__ import annotations

from cdrp_lib.periods import Month
from cdrp_lib.public import PublicAssessment
from cdrp_lib.stats.rounding import Number, fmt_number, fmt_pct
from cdrp_lib.stats.units import (
    SMALL_NUMBER_COUNT,
    fmt_level,
    is_rate,
    period_label,
    pro_rata_allowance,
)

__all__ = [
    "ceiling_position",
    "data_sentence",
    "level",
    "period_words",
    "small_numbers_sentence",
    "unit_comparison",
    "unit_target",
]

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight",
                 "nine", "ten", "eleven", "twelve")
_FREQUENCY_WORDS = {"quarterly": "quarterly", "annual": "once a year"}
_BUILT_IN_SOURCES = frozenset({"police", "domestic_abuse", "survey"})
APRIL, MARCH, JANUARY, DECEMBER = 4, 3, 1, 12
PERCENT_DECIMALS = 1
_NIL = 1e-9  # a change this small is none (floating-point noise)


def level(a: PublicAssessment, x: Number, noun: bool = True) -> str:
    """A level in the measure's unit: ``249.4 primary fires per 100,000 population``,
    ``430 incidents``, ``23.0%``; without the counted noun when ``noun`` is False."""
    return fmt_level(a.unit, x, a.count_noun if noun else "")


def period_words(start: str | None, end: str | None) -> str:
    """A span as the bulletin names it: ``2009/10``, ``2007 to 2009``, ``2004/05 to
    2006/07``, else ``April 2009 to June 2010``."""
    if start is None or end is None:
        return ""
    a, b = Month.parse(start), Month.parse(end)
    if a.month == APRIL and b.month == MARCH:
        first, last = a.financial_year, (b - 1).financial_year
        return first if first == last else f"{first} to {last}"
    if a.month == JANUARY and b.month == DECEMBER:
        return str(a.year) if a.year == b.year else f"{a.year} to {b.year}"
    return f"{a.label} to {b.label}"


def _lag_words(months: int) -> str:
    return _NUMBER_WORDS[months] if months < len(_NUMBER_WORDS) else str(months)


def unit_target(a: PublicAssessment) -> str | None:
    """The baseline and target of a rate, a twelve-month mean or a cohort ceiling."""
    if a.unit == "cohort_offences":
        return _ceiling_target(a)
    if a.target_value is None:
        return None
    period = period_words(a.strategy_start, a.target_by)
    if is_rate(a.unit):
        text = f"The target for {a.measure_name} for {period} is {level(a, a.target_value)}."
        if a.baseline_value is not None:
            label = a.baseline_label or "baseline"
            text += f" The {label} baseline was {level(a, a.baseline_value)}."
        return text
    if a.unit == "mean_12_months" and a.baseline_value is not None:
        noun = a.count_noun
        by = Month.parse(a.target_by).label if a.target_by else ""
        return (f"The baseline for {a.measure_name} is based on a twelve month mean taken "
                f"from the number of {noun} recorded over "
                f"{period_words(a.baseline_start, a.baseline_end)} and is "
                f"{fmt_number(a.baseline_value)} recorded {noun}. The target is a twelve "
                f"month mean for {period} of {level(a, a.target_value)} to be achieved by "
                f"{by}.")
    return None


def _ceiling_target(a: PublicAssessment) -> str | None:
    if not a.target_text:
        return None
    return f"The target for {a.ceiling_period} for {a.measure_name} is {a.target_text}."


def data_sentence(a: PublicAssessment) -> str | None:
    """How often the data come and how late, as the bulletin says it: "Data is only
    reported quarterly and there is generally a four month lag in reporting the progress
    against this target."  Only for a measure published less often than monthly or from
    a partner agency's source; the built-in sources' lags are in the guide."""
    often = _FREQUENCY_WORDS.get(a.frequency)
    partner = a.source is not None and a.source not in _BUILT_IN_SOURCES
    if often is None and not partner:
        return None
    parts: list[str] = []
    if often is not None:
        parts.append(f"Data is only reported {often}")
    if a.lag_months:
        lag = (f"there is generally a {_lag_words(a.lag_months)} month lag in reporting the "
               "progress against this target")
        parts.append(lag if parts else lag[0].upper() + lag[1:])
    if not parts:
        return None
    text = " and ".join(parts) + "."
    if a.data_to is not None:
        text += f" The latest figures are for {period_label(a.data_to, a.frequency)}."
    return text


def ceiling_position(a: PublicAssessment) -> str | None:
    """The cohort's offences to date against the pro-rata allowance (or, once the period
    is over, against the ceiling)."""
    if (a.unit != "cohort_offences" or a.rolling_12 is None or a.ceiling_limit is None
            or a.strategy_start is None or a.target_by is None or a.data_to is None):
        return None
    start, end, t = (Month.parse(x) for x in (a.strategy_start, a.target_by, a.data_to))
    total = end.minus(start) + 1
    elapsed = min(max(t.minus(start) + 1, 0), total)
    offences = level(a, a.rolling_12)
    if elapsed >= total:
        within = "within" if a.rolling_12 <= a.ceiling_limit else "over"
        return (f"Over {a.ceiling_period} the cohort committed {offences}, {within} the "
                f"ceiling of {fmt_number(a.ceiling_limit)}.")
    allowance = pro_rata_allowance(a.ceiling_limit, elapsed, total)
    shown = fmt_number(allowance, 0 if allowance.denominator == 1 else 1)
    return (f"By the end of {t.label} the cohort had committed {offences} against a "
            f"pro-rata allowance of {shown} for the first {elapsed} months of "
            f"{a.ceiling_period}.")


def unit_comparison(a: PublicAssessment) -> str | None:
    """The 12-month comparison of a rate or a twelve-month mean, in its unit."""
    if a.rolling_12 is None or a.change_12m is None or not (
            is_rate(a.unit) or a.unit == "mean_12_months"):
        return None
    if is_rate(a.unit):
        head = f"Over the last 12 months, the rate for {a.measure_name} was " \
               f"{level(a, a.rolling_12)}"
    else:
        span = (a.mean_span_months or 0) // 12
        years = f"{_lag_words(span)} years" if span > 1 else "year"
        head = (f"The twelve month mean for {a.measure_name} over the {years} to "
                f"{Month.parse(a.data_to).label if a.data_to else 'now'} was "
                f"{level(a, a.rolling_12)}")
    if a.change_12m_pct is None or abs(a.change_12m) < _NIL:
        return head + ", the same as a year earlier." if a.change_12m_pct is not None \
            else head + "."
    word = "lower" if a.change_12m_pct < 0 else "higher"
    return f"{head}, {fmt_pct(abs(a.change_12m_pct), PERCENT_DECIMALS)} {word} than a year " \
           "earlier."


def small_numbers_sentence(a: PublicAssessment) -> str | None:
    """How few events the small-number rule judged: "NI49 (2) ... counts about 0.5
    fatalities in 12 months, fewer than 10."  (The reason's own sentence says what is not
    shown.)  None when the rule did not apply, the estimate is unknown, or §9 withholds
    figures of the measure (an estimate of a hidden count is not printed)."""
    if not a.is_small_numbers or a.expected_12_months is None or a.suppressed:
        return None
    return (f"{a.measure_name} counts about {fmt_number(a.expected_12_months, 1)} "
            f"{a.count_noun} in 12 months, fewer than {SMALL_NUMBER_COUNT}.")
