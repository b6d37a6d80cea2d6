"""A cohort's ceiling: offences to date against a pro-rata allowance (issue 11).

"The cohort of 371 young offenders should not commit more than 603 offences over
2009/10" (the model bulletin's NI19).  The position at a month ``t`` of the period is
the cohort's offences from the period's first month to ``t`` (the measure's values,
monthly or quarterly, summed); the trajectory is the allowance
``limit * m / M`` (:func:`cdrp_lib.stats.units.pro_rata_allowance`) with the §1
tolerance band around it, so a cohort on its allowance is "on target" and the
ceiling is reached exactly at the period's end.  The trend (§4) is the run rate
``to_date * M / m``: what the cohort will reach by the end at its pace so far, sufficient
when it is no more than the limit.  Before the period ends the target is "achieved"
only in the sense it is not yet broken, which §11 must not call green, so
``target_achieved`` is None until the end (False as soon as the limit is passed).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

from cdrp_lib.assess.levels import Levels
from cdrp_lib.assess.targets import Resolved
from cdrp_lib.assessment import TrendDirection
from cdrp_lib.params import CeilingTarget
from cdrp_lib.periods import Month
from cdrp_lib.stats.rounding import fmt_number, to_fraction
from cdrp_lib.stats.trajectory import level_target

__all__ = ["ceiling_levels", "ceiling_period_label", "ceiling_trend", "resolve_ceiling"]


def ceiling_levels(levels: Levels, spec: CeilingTarget) -> Levels:
    """The offences to date at each period end inside the ceiling's period.

    None before the period, after it, and from a missing period on (a gap leaves the
    total unknown).  ``rolling_num`` carries the same totals.
    """
    first, last = spec.period.first, spec.period.last
    out: list[float | None] = []
    total: float | None = 0.0
    for month, value in zip(levels.months, levels.monthly, strict=True):
        if month < first or month > last:
            out.append(None)
            continue
        # a period that ends inside the ceiling but began before it is counted whole
        total = None if total is None or value is None else total + value
        out.append(total)
    rolling = tuple(out)
    return dataclasses.replace(levels, rolling=rolling, rolling_num=rolling)


def ceiling_period_label(spec: CeilingTarget) -> str:
    """``2009/10`` for a financial year, else ``April 2009 to March 2010``."""
    return spec.period.title


def resolve_ceiling(spec: CeilingTarget) -> Resolved:
    """The ceiling as a §1 target from 0 up to the limit over the period.

    ``tau[m] = limit * m / M`` is exactly the pro-rata allowance; the target text is
    the model bulletin's wording.
    """
    target = level_target(Fraction(0), to_fraction(spec.limit))
    cohort = (f"the cohort of {fmt_number(spec.cohort)} {spec.cohort_noun} " if spec.cohort
              else f"the cohort of {spec.cohort_noun} ")
    text = (f"that {cohort}should not commit more than {fmt_number(spec.limit)} offences "
            f"over {ceiling_period_label(spec)}")
    # tau[m] = 0 - (0 - limit) * m / M: stats.units.pro_rata_allowance, by construction
    return Resolved(target=target, start=spec.period.first, months=spec.period.months,
                    text=text)


def elapsed(spec: CeilingTarget, t: Month) -> int:
    """Months of the period up to and including ``t`` (0 before it, M after it)."""
    return min(max(t.minus(spec.period.first) + 1, 0), spec.period.months)


def ceiling_trend(spec: CeilingTarget, t: Month, to_date: float | None) -> dict[str, Any]:
    """The run rate to the period's end and whether it keeps within the limit, with the
    allowance at ``t``, as Assessment fields."""
    m = elapsed(spec, t)
    out: dict[str, Any] = {"ceiling_limit": float(spec.limit),
                           "ceiling_period": ceiling_period_label(spec)}
    if to_date is None or m == 0:
        return out
    projection = to_fraction(to_date) * spec.period.months / m
    limit = to_fraction(spec.limit)
    finished = t >= spec.period.last
    achieved: bool | None = (to_fraction(to_date) <= limit) if finished else (
        False if to_fraction(to_date) > limit else None)
    start = spec.period.first - 1
    out.update(
        trend_projection=float(projection),
        trend_direction=TrendDirection.RISING if to_date > 0 else TrendDirection.FLAT,
        trend_sufficient=projection <= limit,
        trend_line=((str(start), 0.0), (str(t), float(to_date)),
                    (str(spec.period.last), float(projection))) if not finished else (),
        target_achieved=achieved,
    )
    return out
