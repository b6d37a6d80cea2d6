"""A params target turned into numbers: the baseline ``B``, the target ``T``, the trajectory.

Each target kind the plans use (reduction, level, rate, increase,
improvement, maintenance, milestones, survey) is resolved here, once, into a
:class:`Resolved`, with the sentence the bulletin prints for it
(:func:`_target_text`); a monitor-only target, or one without a baseline,
resolves to its reason.  The table of what each kind means is in
:mod:`cdrp_lib.assess`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from cdrp_lib.assess.levels import PERCENT, Levels, SurveyWave, rolling_reason
from cdrp_lib.assessment import (
    MeasureKind,
)
from cdrp_lib.params import (
    CeilingTarget,
    IncreaseTarget,
    LevelTarget,
    MaintenanceTarget,
    MilestonesTarget,
    MonitorTarget,
    RateTarget,
    ReductionTarget,
    SetTarget,
    SurveyTarget,
    TargetRounding,
)
from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    Polarity,
    RoundingRule,
)
from cdrp_lib.stats.peers import PER_THOUSAND
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR
from cdrp_lib.stats.rounding import fmt_number, fmt_pct, to_fraction
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.stats.trajectory import (
    Target,
    TrajectoryPoint,
    count_target,
    level_target,
    rate_target,
    trajectory_point,
)
from cdrp_lib.stats.units import PER_POPULATION, unit_words

if TYPE_CHECKING:

    pass


PER_UNIT = PER_POPULATION
assert PER_POPULATION["per_1000"] == PER_THOUSAND
_ROUNDING = {
    TargetRounding.CEILING: RoundingRule.CEILING,
    TargetRounding.HALF_UP: RoundingRule.HALF_UP,
    TargetRounding.FLOOR_STEPS: RoundingRule.CEILING,
}

AnyTarget = SetTarget | CeilingTarget | MonitorTarget


def monitor_words(target: AnyTarget) -> tuple[str | None, str | None]:
    """A monitor target's own reason and the plan's wording, for the narrative to print."""
    if not isinstance(target, MonitorTarget):
        return None, None
    return target.reason, target.plan_target



# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Resolved:
    """A params target turned into numbers: ``B``, ``T``, the strategy and the trajectory."""

    target: Target | None = None
    start: Month | None = None
    months: int = 0
    steps: tuple[Fraction, ...] = ()
    text: str | None = None
    rounding: RoundingRule | None = None
    reason: NotAssessedReason | None = None

    def point(self, m: int, tolerance: float) -> TrajectoryPoint | None:
        """The trajectory at strategy month ``m`` (>= 0); milestones go year by year."""
        if self.target is None or m < 0:
            return None
        if not self.steps:
            return trajectory_point(self.target, m, self.months, tolerance)
        year = 0 if m == 0 else min((m - 1) // MONTHS_IN_YEAR, len(self.steps) - 1)
        before = self.target.baseline if year == 0 else self.steps[year - 1]
        segment = Target(before, before - self.steps[year], self.steps[year])
        return trajectory_point(segment, m - year * MONTHS_IN_YEAR, MONTHS_IN_YEAR, tolerance)


def _baseline(spec: SetTarget, levels: Levels, waves: Sequence[SurveyWave]
              ) -> tuple[Fraction | None, NotAssessedReason | None]:
    """``B``: the rolling position at the baseline's last month, or the pooled baseline waves."""
    if isinstance(spec, SurveyTarget) or waves:
        chosen = [w for w in waves if spec.baseline.contains(w.month) and w.n_eff > 0]
        if not chosen:
            return None, NotAssessedReason.INSUFFICIENT_DATA
        x = sum((to_fraction(w.successes) for w in chosen), Fraction(0))
        n = sum((to_fraction(w.n_eff) for w in chosen), Fraction(0))
        return x / n * PERCENT, None
    end = spec.baseline.last
    value = levels.at(levels.rolling, end)
    if value is None:
        if levels.index(end) is None:
            return None, NotAssessedReason.INSUFFICIENT_DATA
        return None, rolling_reason(levels, end)
    return to_fraction(value), None


def resolve(spec: AnyTarget | None, levels: Levels, kind: MeasureKind, polarity: Polarity,
            settings: MethodSettings, population: float | None,
            waves: Sequence[SurveyWave], unit: str = "count") -> Resolved:
    """``spec`` as numbers in the measure's ``unit``: a rate measure's rate target is its
    level as given (a count measure's is turned into a count with ``population``); a
    cohort ceiling is :func:`cdrp_lib.assess.ceiling.resolve_ceiling`'s."""
    if spec is None:
        return Resolved(reason=NotAssessedReason.NO_TARGET)
    if isinstance(spec, MonitorTarget):
        return Resolved(reason=NotAssessedReason.MONITOR_ONLY)
    if isinstance(spec, CeilingTarget):  # resolved by assess.ceiling; never reaches here
        return Resolved(reason=NotAssessedReason.NOT_APPLICABLE)
    rounding = (_ROUNDING[spec.rounding] if "rounding" in spec.model_fields_set
                else settings.rounding)
    start, months = spec.strategy.first, spec.strategy.months
    base = Resolved(start=start, months=months, rounding=rounding)
    b, reason = _baseline(spec, levels, waves)
    if b is None:
        return dataclasses.replace(base, reason=reason)
    count = kind == "count" and not waves and unit in ("count", "mean_12_months")
    steps: tuple[Fraction, ...] = ()
    if isinstance(spec, ReductionTarget):
        r = to_fraction(spec.percent) / PERCENT
        target = count_target(b, r, rounding) if count and b.denominator == 1 else rate_target(b, r)
    elif isinstance(spec, IncreaseTarget):
        if spec.percent is not None:
            r = -to_fraction(spec.percent) / PERCENT
            target = (count_target(b, r, rounding) if count and b.denominator == 1
                      else rate_target(b, r))
        elif spec.amount is not None:
            target = level_target(b, b + to_fraction(spec.amount))
        else:
            target = level_target(b, to_fraction(spec.to or 0))
    elif isinstance(spec, RateTarget) and spec.unit != "percent" and spec.unit != unit:
        if population is None or population <= 0:
            return dataclasses.replace(base, reason=NotAssessedReason.NO_POPULATION)
        level = to_fraction(spec.value) * to_fraction(population) / PER_UNIT[spec.unit]
        target = level_target(b, level)
    elif isinstance(spec, (LevelTarget, RateTarget, SurveyTarget)):
        target = level_target(b, to_fraction(spec.value))
    elif isinstance(spec, MaintenanceTarget):
        target = level_target(b, b)
    elif isinstance(spec, MilestonesTarget):
        steps = tuple(to_fraction(spec.steps[fy]) for fy in sorted(spec.steps))
        target = level_target(b, steps[-1])
    else:  # ImprovementTarget: better than the baseline year
        better = 1 if count else 0
        sign = 1 if polarity is Polarity.HIGHER_IS_BETTER else -1
        target = level_target(b, max(Fraction(0), b + sign * better))
    resolved = dataclasses.replace(base, target=target, steps=steps)
    return dataclasses.replace(resolved, text=_target_text(spec, resolved, kind, count, unit))


def _target_text(spec: SetTarget, r: Resolved, kind: MeasureKind, count: bool,
                 unit: str = "count") -> str:
    """"a reduction of 5.0% (46) by March 2027": the target as the bulletin states it."""
    assert r.target is not None
    by = f"by {spec.strategy.last.label}"
    t = r.target

    def level(x: Fraction) -> str:
        return fmt_number(x) if count else (fmt_pct(x) if kind == "proportion" else
                                            fmt_number(x, 1))

    if isinstance(spec, ReductionTarget):
        drop = f"{fmt_number(t.drop)}" if count else f"to {level(t.target)}"
        return f"a reduction of {fmt_pct(spec.percent)} ({drop}) {by}"
    if isinstance(spec, IncreaseTarget):
        if spec.percent is not None:
            rise = fmt_number(-t.drop) if count else f"to {level(t.target)}"
            return f"an increase of {fmt_pct(spec.percent)} ({rise}) {by}"
        if spec.amount is not None:
            return f"an increase of {level(-t.drop)} (to {level(t.target)}) {by}"
        return f"an increase to {level(t.target)} {by}"
    if isinstance(spec, RateTarget) and spec.unit == unit and spec.unit in PER_UNIT:
        return f"{fmt_number(spec.value, 1)} {unit_words(unit)} {by}"
    if isinstance(spec, RateTarget) and spec.unit != "percent":
        per = fmt_number(PER_UNIT[spec.unit])
        return f"a rate of {fmt_number(spec.value, 1)} per {per} residents " \
               f"({fmt_number(t.target)} a year) {by}"
    if isinstance(spec, MaintenanceTarget):
        return f"to stay no worse than the baseline of {level(t.baseline)} {by}"
    if isinstance(spec, MilestonesTarget):
        levels = [level(s) for s in r.steps]
        joined = ", ".join(levels[:-1]) + f" and {levels[-1]}" if len(levels) > 1 else levels[0]
        return f"yearly milestones of {joined} {by}"
    if isinstance(spec, SurveyTarget):
        return f"{fmt_pct(spec.value)} {by}"
    if isinstance(spec, (LevelTarget, RateTarget)):
        higher = spec.polarity is Polarity.HIGHER_IS_BETTER
        bound = "or more" if higher else "or fewer" if count else "or lower"
        if not count and higher:
            bound = "or higher"
        return f"{level(t.target)} {bound} {by}"
    better = "fewer" if spec.polarity is Polarity.LOWER_IS_BETTER else "more"
    return (f"an improvement on the previous year ({better} than {level(t.baseline)}) {by}"
            if count else f"an improvement on the previous year ({level(t.baseline)}) {by}")
