"""A measure's levels in its own unit: rates per population, twelve-month means, small numbers.

:func:`~cdrp_lib.assess.levels.build_levels` gives counts (or percentages) with their
rolling 12-month sums; :func:`unit_levels` turns the rolling position into the unit
the measure is reported in, so that the baseline, target, trajectory, 12-month
comparison and trend all work on the figure the bulletin prints ("249.4 primary
fires per 100,000 population", "a twelve month mean ... of 430").  ``rolling_num``
keeps the 12-month counts, which the peer comparison (§5) and disclosure control
(§9) read.  The definitions are :mod:`cdrp_lib.stats.units`; the choices are in
docs/assumptions.md ("Units and frequencies").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cdrp_lib.assess.levels import Levels
from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import NotAssessedReason
from cdrp_lib.stats.peers import population_year
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR
from cdrp_lib.stats.units import (
    MONTHS_PER_PERIOD,
    is_rate,
    rate,
    small_numbers,
    twelve_month_mean,
)

#: A twelve-month mean without a baseline to take its span from averages three years.
DEFAULT_MEAN_SPAN_MONTHS = 36
#: The history the small-number rule looks at: the control chart's three years.
SMALL_NUMBER_MONTHS = 36

PopulationOf = Callable[[int], float | None]


def step_of(frequency: str) -> int:
    """Months per period of a frequency (1, 3 or 12)."""
    return MONTHS_PER_PERIOD.get(frequency, 1)


def mean_span(baseline_months: int | None) -> int:
    """The span a twelve-month mean averages over: the baseline's whole years (2004 to
    2006: 36 months), else :data:`DEFAULT_MEAN_SPAN_MONTHS`; at least one year."""
    if baseline_months is None:
        return DEFAULT_MEAN_SPAN_MONTHS
    return max(MONTHS_IN_YEAR, baseline_months // MONTHS_IN_YEAR * MONTHS_IN_YEAR)


@dataclass(frozen=True)
class RateBasis:
    """What a rate's position at each period divided by: the population and its year."""

    population: dict[str, float]
    year: dict[str, int]


def rate_levels(levels: Levels, unit: str, population_of: PopulationOf,
                denominators: Mapping[str, float | None]) -> tuple[Levels, RateBasis]:
    """Rolling 12-month counts as rates: ``K * R[t] / pop``.

    ``pop`` is the file's own denominator for the period when it gives one, else the
    mid-year population of the year holding most of the 12 months
    (:func:`~cdrp_lib.stats.peers.population_year`).  A period with no population
    has no rate (the reason is ``no_population``).
    """
    pops: dict[str, float] = {}
    years: dict[str, int] = {}
    rolling: list[float | None] = []
    for month, count in zip(levels.months, levels.rolling_num, strict=True):
        given = denominators.get(str(month))
        year = population_year(month)
        pop = given if given is not None and given > 0 else population_of(year)
        if pop is None or pop <= 0 or count is None:
            rolling.append(None)
            continue
        pops[str(month)] = float(pop)
        if given is None:
            years[str(month)] = year
        rolling.append(float(rate(count, pop, unit)))
    return dataclasses.replace(levels, rolling=tuple(rolling)), RateBasis(pops, years)


def mean_levels(levels: Levels, span_months: int) -> Levels:
    """The twelve-month mean over ``span_months`` ending at each period (whole years)."""
    window = span_months // levels.step
    out: list[float | None] = []
    for i in range(len(levels.months)):
        part = levels.monthly[i + 1 - window: i + 1] if i + 1 >= window else ()
        if len(part) < window or any(v is None for v in part):
            out.append(None)
            continue
        # a quarterly or yearly value is that period's total, so the span's total is the
        # sum of its periods' values whatever the frequency
        values = [v for v in part if v is not None]
        total = math.fsum(values)
        months = [total / span_months] * span_months if levels.step != 1 else values
        out.append(float(twelve_month_mean(months, span_months)))
    return dataclasses.replace(levels, rolling=tuple(out), window=window)


def expected_12_months(levels: Levels, t: Month) -> float | None:
    """The expected count over 12 months at ``t``: the mean period count over the last
    three years (at least one year of it) times the periods in a year; None when there is
    less than a year.  Counts only: what the small-number rule judges."""
    recent = [v for v in levels.ending(levels.monthly, t, SMALL_NUMBER_MONTHS // levels.step)
              if v is not None]
    if len(recent) < levels.per_year:
        return None
    return math.fsum(recent) / len(recent) * levels.per_year


def is_small(levels: Levels, t: Month, kind: str, unit: str) -> tuple[bool, float | None]:
    """Whether the small-number rule applies at ``t`` and the expected count it judged.

    For counts and the units built on them (rates, twelve-month means); not for a
    proportion (its small denominators are §9's) or a cohort ceiling.
    """
    if kind != "count" or unit == "cohort_offences":
        return False, None
    expected = expected_12_months(levels, t)
    return small_numbers(expected), expected


__all__ = [
    "DEFAULT_MEAN_SPAN_MONTHS",
    "RateBasis",
    "clear_for_small_numbers",
    "expected_12_months",
    "is_rate",
    "is_small",
    "mean_levels",
    "mean_span",
    "no_position_reason",
    "rate_levels",
    "shape_levels",
    "step_of",
]


def shape_levels(levels: Levels, t: Month, unit: str, target: object,
                 denominators: Mapping[str, float | None],
                 population_of: PopulationOf | None) -> tuple[Levels, dict[str, object]]:
    """``levels`` (counts, ending at ``t``) in the measure's unit, with the facts the
    Assessment states about it (the population a rate used, a mean's span)."""
    from cdrp_lib.assess.ceiling import ceiling_levels
    from cdrp_lib.params import CeilingTarget, SetTarget

    if isinstance(target, CeilingTarget):
        return ceiling_levels(levels, target), {"cohort_size": _cohort(levels, target, t,
                                                                        denominators)}
    if is_rate(unit):
        shaped, basis = rate_levels(levels, unit, population_of or (lambda _y: None),
                                    denominators)
        return shaped, {"rate_population": basis.population.get(str(t)),
                        "rate_population_year": basis.year.get(str(t))}
    if unit == "mean_12_months":
        months = target.baseline.months if isinstance(target, SetTarget) else None
        span = mean_span(months)
        return mean_levels(levels, span), {"mean_span_months": span}
    return levels, {}


def _cohort(levels: Levels, target: object, t: Month,
            denominators: Mapping[str, float | None]) -> float | None:
    """The cohort's size: the latest the data give up to ``t``, else the plan's."""
    for month in reversed(levels.months):
        size = denominators.get(str(month))
        if month <= t and size is not None:
            return float(size)
    cohort = getattr(target, "cohort", None)
    return None if cohort is None else float(cohort)


def no_position_reason(levels: Levels, t: Month, unit: str) -> bool:
    """A rate with a 12-month count but no population for it (``no_population``)."""
    return is_rate(unit) and levels.at(levels.rolling_num, t) is not None \
        and levels.at(levels.rolling, t) is None


#: The fields the small-number rule leaves empty: the trajectory, trend and control chart.
_SMALL_NUMBER_FIELDS = {
    "trajectory_month_index": None, "trajectory_months": None, "trajectory_target": None,
    "trajectory_lower": None, "trajectory_upper": None, "trajectory_status": None,
    "trend_method": None, "trend_projection": None, "trend_direction": None,
    "trend_sufficient": None, "trend_line": (), "spc_points": (), "spc_mean": None,
    "spc_lower": None, "spc_upper": None, "spc_near_lower": None, "spc_near_upper": None,
    "spc_target": None, "spc_warnings": (), "spc_trial_limits": False,
    "variation_icon": None, "assurance_icon": None,
}


def clear_for_small_numbers(reasons: dict[AssessmentPart, NotAssessedReason]
                            ) -> dict[str, object]:
    """The trajectory, trend and control chart withdrawn, each with the reason
    ``small_numbers`` (the position, the comparison and the month test stay)."""
    for part in (AssessmentPart.TRAJECTORY, AssessmentPart.TREND, AssessmentPart.SPC):
        reasons[part] = NotAssessedReason.SMALL_NUMBERS
    return dict(_SMALL_NUMBER_FIELDS)
