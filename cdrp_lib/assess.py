"""One measure, one partnership, one month -> an :class:`~cdrp_lib.assessment.Assessment`.

:func:`assess` is a pure function of in-memory data (pandas Series indexed by
``YYYY-MM`` with NaN for a missing month).  It computes nothing itself: every
figure comes from :mod:`cdrp_lib.stats` (one method per module, methods.md
§0-§11).  What it adds is the glue the methods leave open, decided here once:

* **The month assessed (§13).**  A bulletin for month ``M`` uses the source up
  to its latest month with data not after ``M`` (``data_to``); every figure is
  for that month.  No data at all, or data older than ``max_lag_months``,
  gives "source late".
* **Targets (§1).**  Each target kind in params becomes a baseline ``B``, a
  target ``T`` and a trajectory.  ``B`` is always computed from the same
  series as the current position (the rolling 12 months ending at the
  baseline's last month), never copied from a plan, so the two are comparable:

  ==============  ===========================================================
  reduction       count: ``D = ceil(B*r)`` (or half-up); proportion: ``B*(1-r)``
  level / rate    ``T`` = the level (a rate per 1,000 is turned into a count
                  with the partnership's population)
  increase        ``percent`` as a negative reduction; ``amount``: ``B + a``; ``to``
  improvement     better than the baseline year: one crime fewer (more, when
                  higher is better); for a proportion, no worse
  maintenance     ``T = B`` (a zero-width band)
  milestones      each strategy year is its own §1 trajectory from the previous
                  year's level to this year's; the last level is ``T``
  survey          ``T`` = the percentage (or index); ``B`` = the baseline waves pooled
  monitor         no target: everything but the rating is still computed
  ==============  ===========================================================

  Strategy month ``m = t - start + 1``; a month before the strategy start is
  "target not in force"; after the end ``T`` is held (§1 edge cases).
* **Proportions (§8).**  Repeat and detection rates come as numerator and
  denominator series; the rolling rate is ``100*sum(num)/sum(den)`` over 12
  months, and every level of a proportion measure is a percentage.  The
  past-month test (§2) is for counts, so it is not applied to proportions;
  their 12-month change is in percentage points and is not tested.
* **Surveys (§6).**  The position is the latest wave, the baseline the waves
  of the baseline period pooled; rolling sums, the trajectory, the past-month
  test, the 12-month comparison, peers, SPC and the trend (a handful of waves
  cannot support a 24-point fit) do not apply.  The rating is
  :func:`~cdrp_lib.stats.rag.survey_rag`: the wave against the target allowing
  for its 95% interval, and the significance of the change from the baseline.
* **Parts that do not apply** to a measure (those above for a survey, the
  Poisson past-month test for a proportion, the survey part for anything else)
  are ``None`` with :attr:`~cdrp_lib.stats.enums.NotAssessedReason.NOT_APPLICABLE`
  in ``reasons``, so every missing figure carries a reason; narrative never
  prints that one.
* **SPC (§7)** charts the last :data:`SPC_MONTHS` monthly values; its target
  is the target on the monthly scale (``T/12`` for counts).
* **Disclosure (§9)** applies to domestic-abuse measures and sub-areas.

:func:`assess_partnership` gathers series, targets, peers and populations from
the store and params and calls :func:`assess` per measure.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cdrp_lib.assessment import (
    Assessment,
    AssessmentPart,
    HistoryPoint,
    MeasureKind,
    SpcPoint,
    TrendDirection,
)
from cdrp_lib.narrative import narrate
from cdrp_lib.params import (
    BulletinParams,
    IncreaseTarget,
    LevelTarget,
    MaintenanceTarget,
    Measure,
    MilestonesTarget,
    MonitorTarget,
    Partnership,
    Polarity,
    RateTarget,
    ReductionTarget,
    SetTarget,
    SurveyTarget,
    TargetRounding,
)
from cdrp_lib.periods import Month, month_range
from cdrp_lib.stats.comparison import compare_12_months, percentage_point_change
from cdrp_lib.stats.disclosure import hidden_totals, requires_suppression, window_months
from cdrp_lib.stats.enums import (
    ChangeLabel,
    NotAssessedReason,
    Rag,
    RoundingRule,
    SpcRule,
    TrajectoryStatus,
    TrendMethod,
)
from cdrp_lib.stats.expected import past_month
from cdrp_lib.stats.peers import PER_HUNDRED, PER_THOUSAND, PeerMember, compare_with_peers
from cdrp_lib.stats.rag import RagResult, apply_override, measure_rag, survey_rag
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR
from cdrp_lib.stats.rounding import fmt_number, fmt_pct, to_fraction
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.stats.spc import spc_chart
from cdrp_lib.stats.survey import survey_change, wilson_interval
from cdrp_lib.stats.trajectory import (
    Target,
    TrajectoryPoint,
    change_from_baseline_pct,
    change_needed_pct,
    classify_position,
    count_target,
    level_target,
    rate_target,
    target_achieved,
    trajectory_point,
)
from cdrp_lib.stats.trend import TrendResult, ets_projection, project_rolling

if TYPE_CHECKING:
    import pandas as pd

    from cdrp_lib.store import Store

__all__ = [
    "SPC_MONTHS",
    "SurveyWave",
    "assess",
    "assess_partnership",
    "count_noun",
]

SPC_MONTHS = 36  # three years: enough for stable limits (13+) and recent enough to be current
PERCENT = 100
MONTHLY_PER_ANNUAL = MONTHS_IN_YEAR
PER_UNIT = {"per_1000": PER_THOUSAND, "per_100000": 100_000}
_ROUNDING = {
    TargetRounding.CEILING: RoundingRule.CEILING,
    TargetRounding.HALF_UP: RoundingRule.HALF_UP,
    TargetRounding.FLOOR_STEPS: RoundingRule.CEILING,
}
_DISCLOSURE_SOURCES = frozenset({"domestic_abuse"})
_RULE_ORDER = tuple(SpcRule)  # label precedence: outside > trend > two-in-three > shift

AnyTarget = SetTarget | MonitorTarget


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


def count_noun(measure: Measure) -> str:
    """What one unit of a count measure is called in narrative ("crimes", "incidents")."""
    if "incident" in measure.id or measure.id == "anti-social-behaviour":
        return "incidents"
    if "referral" in measure.id:
        return "referrals"
    return "crimes"


# --------------------------------------------------------------------------- series


def _months_of(series: pd.Series | Mapping[str, Any] | None) -> dict[str, float | None]:
    """``{YYYY-MM: value or None}`` from a Series or mapping; never mutates the input."""
    if series is None:
        return {}
    items = series.items()
    out: dict[str, float | None] = {}
    for key, value in items:
        month = str(Month.parse(str(key)))
        out[month] = None if value is None or _nan(value) else float(value)
    return out


def _nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class _Levels:
    """A measure's monthly values and rolling 12-month positions on one month axis.

    For a count: ``monthly`` are counts and ``rolling`` sums.  For a proportion:
    ``monthly`` and ``rolling`` are percentages, ``num``/``den`` the raw parts.
    """

    months: tuple[Month, ...]
    monthly: tuple[float | None, ...]
    rolling: tuple[float | None, ...]
    num: tuple[float | None, ...]
    den: tuple[float | None, ...]
    rolling_num: tuple[float | None, ...]
    rolling_den: tuple[float | None, ...]

    def index(self, month: Month) -> int | None:
        if not self.months or month < self.months[0] or month > self.months[-1]:
            return None
        return month.minus(self.months[0])

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


def _window_sum(values: Sequence[float | None], t: int) -> float | None:
    if t + 1 < MONTHS_IN_YEAR:
        return None
    part = values[t + 1 - MONTHS_IN_YEAR: t + 1]
    if any(v is None for v in part):
        return None
    return math.fsum(v for v in part if v is not None)


def _levels(values: Mapping[str, float | None], denominators: Mapping[str, float | None],
            kind: MeasureKind, last: Month) -> _Levels:
    keys = [Month.parse(m) for m in values if Month.parse(m) <= last]
    if not keys:
        return _Levels((), (), (), (), (), (), ())
    months = tuple(month_range(min(keys), last))
    num = tuple(values.get(str(m)) for m in months)
    if kind == "count":
        rolling = tuple(_window_sum(num, t) for t in range(len(months)))
        return _Levels(months, num, rolling, num, (), rolling, ())
    den = tuple(denominators.get(str(m)) for m in months)
    den = tuple(None if d is None or n is None else d for n, d in zip(num, den, strict=True))
    num = tuple(None if d is None else n for n, d in zip(num, den, strict=True))
    monthly = tuple(_pct(n, d) for n, d in zip(num, den, strict=True))
    rnum = tuple(_window_sum(num, t) for t in range(len(months)))
    rden = tuple(_window_sum(den, t) for t in range(len(months)))
    rolling = tuple(_pct(n, d) for n, d in zip(rnum, rden, strict=True))
    return _Levels(months, monthly, rolling, num, den, rnum, rden)


def _pct(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return float(to_fraction(num) / to_fraction(den) * PERCENT)


def _rolling_reason(levels: _Levels, t: Month) -> NotAssessedReason:
    """Why there is no rolling position at ``t``: too short a history, or a gap."""
    window = levels.ending(levels.monthly if levels.den == () else levels.num, t,
                           MONTHS_IN_YEAR)
    if len(window) < MONTHS_IN_YEAR:
        return NotAssessedReason.INSUFFICIENT_DATA
    if any(v is None for v in window):
        return NotAssessedReason.MISSING_MONTHS
    return NotAssessedReason.DENOMINATOR_TOO_SMALL  # a proportion over no cases


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class _Resolved:
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


def _baseline(spec: SetTarget, levels: _Levels, waves: Sequence[SurveyWave]
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
        return None, _rolling_reason(levels, end)
    return to_fraction(value), None


def _resolve(spec: AnyTarget | None, levels: _Levels, kind: MeasureKind, polarity: Polarity,
             settings: MethodSettings, population: float | None,
             waves: Sequence[SurveyWave]) -> _Resolved:
    if spec is None:
        return _Resolved(reason=NotAssessedReason.NO_TARGET)
    if isinstance(spec, MonitorTarget):
        return _Resolved(reason=NotAssessedReason.MONITOR_ONLY)
    rounding = (_ROUNDING[spec.rounding] if "rounding" in spec.model_fields_set
                else settings.rounding)
    start, months = spec.strategy.first, spec.strategy.months
    base = _Resolved(start=start, months=months, rounding=rounding)
    b, reason = _baseline(spec, levels, waves)
    if b is None:
        return dataclasses.replace(base, reason=reason)
    count = kind == "count" and not waves
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
    elif isinstance(spec, RateTarget) and spec.unit != "percent":
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
    return dataclasses.replace(resolved, text=_target_text(spec, resolved, kind, count))


def _target_text(spec: SetTarget, r: _Resolved, kind: MeasureKind, count: bool) -> str:
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


# --------------------------------------------------------------------------- assess


_DIRECTION = {
    ChangeLabel.DECREASE: TrendDirection.FALLING,
    ChangeLabel.INCREASE: TrendDirection.RISING,
    ChangeLabel.NO_CHANGE: TrendDirection.FLAT,
}
# The headline reason when there is no rating: the most fundamental first.
_HEADLINE_ORDER = (
    NotAssessedReason.MONITOR_ONLY,
    NotAssessedReason.NO_TARGET,
    NotAssessedReason.TARGET_NOT_IN_FORCE,
    NotAssessedReason.SOURCE_LATE,
    NotAssessedReason.NO_POPULATION,
    NotAssessedReason.TARGET_TOO_SMALL,
    NotAssessedReason.MISSING_MONTHS,
    NotAssessedReason.DENOMINATOR_TOO_SMALL,
    NotAssessedReason.INSUFFICIENT_DATA,
)
_HEADLINE_PARTS = (AssessmentPart.TARGET, AssessmentPart.ROLLING, AssessmentPart.TRAJECTORY,
                   AssessmentPart.SURVEY, AssessmentPart.TREND)
# Parts that do not apply to a survey: a wave is a sample every quarter or so, with no
# monthly series to sum, test, chart or project, and no survey of the peer areas.
_NOT_APPLICABLE_TO_SURVEYS = frozenset({
    AssessmentPart.ROLLING, AssessmentPart.TRAJECTORY, AssessmentPart.PAST_MONTH,
    AssessmentPart.COMPARISON, AssessmentPart.TREND, AssessmentPart.PEERS,
    AssessmentPart.SPC,
})


def _not_applicable(kind: MeasureKind, is_survey: bool) -> frozenset[AssessmentPart]:
    """The parts of an Assessment that do not apply to this kind of measure.

    A survey has only its target, survey part and rating; a proportion's monthly
    rate is not a Poisson count, so the §2 past-month test does not apply; only
    a survey has a survey part.
    """
    if is_survey:
        return _NOT_APPLICABLE_TO_SURVEYS
    if kind == "proportion":
        return frozenset({AssessmentPart.SURVEY, AssessmentPart.PAST_MONTH})
    return frozenset({AssessmentPart.SURVEY})


def _f(x: Fraction | float | None) -> float | None:
    return None if x is None else float(x)


def _waves(measure: Measure, survey: Sequence[SurveyWave] | None,
           values: Mapping[str, float | None], dens: Mapping[str, float | None],
           last: Month) -> tuple[SurveyWave, ...]:
    """The survey waves up to ``last``: as given, or one per month with a numerator and n."""
    if measure.source != "survey":
        return ()
    if survey is None:
        survey = [SurveyWave(m, m, v, d) for m, v in values.items()
                  if v is not None and (d := dens.get(m)) is not None and d > 0]
    return tuple(sorted((w for w in survey if Month.parse(w.month) <= last),
                        key=lambda w: Month.parse(w.month)))


def _data_to(levels: _Levels, waves: Sequence[SurveyWave], survey: bool) -> Month | None:
    if survey:
        return Month.parse(waves[-1].month) if waves else None
    for i in range(len(levels.months) - 1, -1, -1):
        if levels.monthly[i] is not None:
            return levels.months[i]
    return None


def assess(
    series: pd.Series | Mapping[str, float | None] | None,
    target: AnyTarget | None,
    month: str,
    *,
    measure: Measure,
    partnership: str = "",
    partnership_name: str = "",
    peers: Mapping[str, pd.Series | Mapping[str, float | None]] | None = None,
    populations: Mapping[str, float | None] | None = None,
    settings: MethodSettings | None = None,
    denominators: pd.Series | Mapping[str, float | None] | None = None,
    peer_denominators: Mapping[str, pd.Series | Mapping[str, float | None]] | None = None,
    survey: Sequence[SurveyWave] | None = None,
    synthetic: bool = False,
    sub_area: bool = False,
    max_lag_months: int | None = None,
    outcome_title: str | None = None,
) -> Assessment:
    """Assess one measure's series against its target at ``month`` (methods §0-§13).

    ``series`` holds monthly counts (numerators for a proportion, with
    ``denominators`` beside them; for a survey the wave numerators ``p*n_eff``
    at each wave's month, or pass ``survey``).  ``peers`` maps the other members
    of the most similar group to their series (this partnership is added
    itself); ``populations`` maps every member, this one included, to its
    population for the year of the 12 months assessed.  Never raises for short,
    gappy or all-zero data: whatever cannot be computed is ``None`` with a
    reason in ``reasons``.
    """
    s = settings or MethodSettings()
    bulletin_month = Month.parse(month)
    polarity = target.polarity if target is not None else measure.polarity
    kind: MeasureKind = measure.kind
    values = _months_of(series)
    dens = _months_of(denominators)
    is_survey = measure.source == "survey"
    waves = _waves(measure, survey, values, dens, bulletin_month)
    all_levels = _levels(values, dens, kind, bulletin_month)
    t = _data_to(all_levels, waves, is_survey)
    late = t is None or (max_lag_months is not None
                         and bulletin_month.minus(t) > max_lag_months)
    reasons: dict[AssessmentPart, NotAssessedReason] = {}
    identity: dict[str, Any] = {
        "partnership": partnership, "partnership_name": partnership_name or partnership,
        "measure": measure.id, "measure_name": measure.name,
        "theme": target.theme if target is not None else measure.theme,
        "kind": kind, "polarity": polarity, "month": str(bulletin_month),
        "data_to": None if t is None else str(t), "synthetic": synthetic,
        "count_noun": count_noun(measure),
    }
    if target is not None:
        identity.update(
            target_id=target.id, target_kind=target.kind, target_title=target.title,
            outcome_code=target.outcome, outcome_title=outcome_title or target.outcome_title,
            lead_agency=target.lead,
        )
        if isinstance(target, SetTarget):
            identity.update(baseline_label=target.baseline.label or target.baseline.title,
                            target_by=target.strategy.end, strategy_start=target.strategy.start)
        elif target.strategy is not None:
            identity.update(target_by=target.strategy.end, strategy_start=target.strategy.start)
    not_applicable = _not_applicable(kind, is_survey)
    disclose_with_care = (requires_suppression(identity["theme"], sub_area)
                          or measure.source in _DISCLOSURE_SOURCES)
    if late or t is None:
        late_a = _late(identity, target, s, all_levels, not_applicable)
        if disclose_with_care:
            late_a = _suppress(late_a, all_levels, None, None, s)
        return dataclasses.replace(late_a, narrative=narrate(late_a))

    levels = _levels(values, dens, kind, t)
    population = (populations or {}).get(partnership)
    resolved = _resolve(target, levels, kind, polarity, s, population, waves)
    if resolved.rounding is not None and resolved.rounding is not s.rounding:
        s = s.model_copy(update={"rounding": resolved.rounding})
    out: dict[str, Any] = dict(identity)
    if resolved.reason is not None:
        reasons[AssessmentPart.TARGET] = resolved.reason
    tgt = resolved.target
    if tgt is not None:
        out.update(baseline_value=_f(tgt.baseline), target_value=_f(tgt.target),
                   required_change=_f(tgt.drop), target_text=resolved.text,
                   target_too_small=tgt.too_small)

    # §0/§1 current position (the latest wave for a survey)
    current: float | None
    previous: float | None = None
    if is_survey:
        current = waves[-1].percent if waves else None
        out.update(_survey_part(waves, target, s, reasons))
    else:
        current = levels.at(levels.rolling, t)
        previous = levels.at(levels.rolling, t - MONTHS_IN_YEAR)
        if current is None:
            reasons[AssessmentPart.ROLLING] = _rolling_reason(levels, t)
        out.update(rolling_12=current, previous_rolling_12=previous)
        if kind == "proportion":
            out.update(rolling_12_numerator=levels.at(levels.rolling_num, t),
                       rolling_12_denominator=levels.at(levels.rolling_den, t))

    # §1 target facts and trajectory
    in_force = resolved.start is not None and bulletin_month >= resolved.start
    m = t.minus(resolved.start) + 1 if resolved.start is not None else None
    status: TrajectoryStatus | None = None
    if tgt is not None and resolved.start is not None and m is not None:
        if not in_force or m < 0:
            reasons[AssessmentPart.TARGET] = NotAssessedReason.TARGET_NOT_IN_FORCE
            in_force = False
        if current is not None:
            out.update(
                target_achieved=target_achieved(current, tgt, polarity),
                reduction_required_pct=_f(change_needed_pct(current, tgt, polarity)),
                change_from_baseline_pct=_f(change_from_baseline_pct(current, tgt.baseline)),
            )
        point = resolved.point(m, s.tolerance) if in_force and not is_survey else None
        if point is not None:
            out.update(trajectory_month_index=m, trajectory_months=resolved.months,
                       trajectory_target=_f(point.tau), trajectory_lower=_f(point.lower),
                       trajectory_upper=_f(point.upper))
            if current is not None:
                status = classify_position(current, point)
                out["trajectory_status"] = status
    if status is None:
        reasons[AssessmentPart.TRAJECTORY] = _first_reason(
            reasons, (AssessmentPart.TARGET, AssessmentPart.ROLLING))

    if not is_survey:
        out.update(_past_month_part(levels, t, kind, s, reasons))
        out.update(_comparison_part(levels, t, kind, current, previous, s, reasons))
        out.update(_spc_part(levels, t, polarity, tgt, kind, s, reasons))
        out.update(_peer_part(partnership, levels, t, kind, peers, peer_denominators,
                              populations, s, reasons))
    horizon = (max(0, resolved.start.minus(t) + resolved.months - 1)
               if resolved.start is not None else MONTHS_IN_YEAR)
    if not is_survey:
        out.update(_trend_part(levels, t, kind, tgt if in_force else None, polarity,
                               horizon, s, reasons))
    reasons.update(dict.fromkeys(not_applicable, NotAssessedReason.NOT_APPLICABLE))

    # §11 rating
    rag_reason = None
    if AssessmentPart.TARGET in reasons:
        rag_reason = reasons[AssessmentPart.TARGET]
    elif tgt is not None and tgt.too_small:
        rag_reason = NotAssessedReason.TARGET_TOO_SMALL
    if is_survey:
        rag = survey_rag(polarity, percent=out.get("survey_percent"),
                         ci_low=out.get("survey_ci_low"), ci_high=out.get("survey_ci_high"),
                         target=_f(tgt.target) if tgt is not None else None,
                         change=out.get("survey_significance"), reason=rag_reason)
    else:
        rag = measure_rag(polarity, target_achieved=out.get("target_achieved"),
                          trajectory=status, trend_sufficient=out.get("trend_sufficient"),
                          reason=rag_reason)
    out.update(_rating(rag, target, reasons))

    out["history"] = _history(levels, waves, resolved, s.tolerance, is_survey)
    out["settings"] = s
    out["reasons"] = MappingProxyType(dict(reasons))
    assessment = Assessment(**out)
    if disclose_with_care:
        baseline_end = target.baseline.last if isinstance(target, SetTarget) else None
        assessment = _suppress(assessment, levels, t, baseline_end, s)
    return dataclasses.replace(assessment, narrative=narrate(assessment))


def _first_reason(reasons: Mapping[AssessmentPart, NotAssessedReason],
                  parts: Iterable[AssessmentPart]) -> NotAssessedReason:
    for part in parts:
        if part in reasons:
            return reasons[part]
    return NotAssessedReason.INSUFFICIENT_DATA


def _late(identity: Mapping[str, Any], target: AnyTarget | None, s: MethodSettings,
          levels: _Levels, not_applicable: frozenset[AssessmentPart]) -> Assessment:
    """No data for the month (or too old): every part that applies is "source late".

    Without its narrative, which the caller writes once disclosure control is applied.
    """
    reasons = {part: NotAssessedReason.NOT_APPLICABLE if part in not_applicable
               else NotAssessedReason.SOURCE_LATE for part in AssessmentPart}
    if target is None:
        reasons[AssessmentPart.TARGET] = NotAssessedReason.NO_TARGET
    elif isinstance(target, MonitorTarget):
        reasons[AssessmentPart.TARGET] = NotAssessedReason.MONITOR_ONLY
    headline = reasons[AssessmentPart.TARGET] if target is None or isinstance(
        target, MonitorTarget) else NotAssessedReason.SOURCE_LATE
    reasons[AssessmentPart.RAG] = headline
    history = tuple(HistoryPoint(str(m), v, r) for m, v, r in
                    zip(levels.months, levels.monthly, levels.rolling, strict=True))
    return Assessment(**identity, not_assessed_reason=headline, reasons=reasons,
                      history=history, settings=s)


def _past_month_part(levels: _Levels, t: Month, kind: MeasureKind, s: MethodSettings,
                     reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§2, for counts only (a proportion's monthly rate is not a Poisson count)."""
    x = levels.at(levels.monthly, t)
    out: dict[str, Any] = {"month_value": x}
    if kind != "count":
        return out
    prior = levels.ending(levels.monthly, t - 1, MONTHS_IN_YEAR)
    result = past_month(x, prior, s)
    if result.label is None:
        reasons[AssessmentPart.PAST_MONTH] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        return out
    out.update(expected_value=result.expected, expected_low=result.expected_low,
               expected_high=result.expected_high, past_month=result.label,
               past_month_z=result.z)
    return out


def _comparison_part(levels: _Levels, t: Month, kind: MeasureKind, current: float | None,
                     previous: float | None, s: MethodSettings,
                     reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§3: absolute and % change; percentage points (untested) for a proportion."""
    if current is None or previous is None:
        reasons[AssessmentPart.COMPARISON] = (
            _rolling_reason(levels, t) if current is None
            else _rolling_reason(levels, t - MONTHS_IN_YEAR))
        return {}
    test = s.comparison_test and kind == "count" and _whole(current) and _whole(previous)
    c = compare_12_months(current, previous, test=test, significance_level=s.significance_level)
    out: dict[str, Any] = {"change_12m": c.absolute, "change_12m_pct": c.pct,
                           "change_12m_p_value": c.p_value,
                           "change_12m_significant": c.significant}
    if kind == "proportion":
        out["change_12m_pp"] = percentage_point_change(current / PERCENT, previous / PERCENT)
    return out


def _whole(x: float) -> bool:
    return float(x).is_integer()


def _trend_part(levels: _Levels, t: Month, kind: MeasureKind,
                target: Target | None, polarity: Polarity, horizon: int, s: MethodSettings,
                reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§4: the projection to the target month (12 months ahead when there is no target)."""
    goal = None if target is None else target.target
    result: TrendResult
    if s.trend_method is TrendMethod.ETS and kind == "count":
        monthly = levels.ending(levels.monthly, t, len(levels.months))
        result = ets_projection(monthly, horizon, goal, polarity)
    else:
        method = TrendMethod.OLS if s.trend_method is TrendMethod.ETS else s.trend_method
        window = s.trend_window if method is not TrendMethod.YEAR_ON_YEAR \
            else MONTHS_IN_YEAR + 1
        # rolling sums exist from the 12th month: earlier ones are "not yet", not gaps
        defined = levels.rolling[MONTHS_IN_YEAR - 1:]
        end = levels.index(t)
        upto = defined[: max(0, (end or 0) - MONTHS_IN_YEAR + 2)]
        rolling = upto[max(0, len(upto) - max(window, s.trend_window)):]
        result = project_rolling(rolling, horizon, goal, polarity, method, s.trend_window)
    out: dict[str, Any] = {"trend_method": result.method}
    if result.projection is None:
        reasons[AssessmentPart.TREND] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        return out
    out.update(trend_projection=result.projection,
               trend_direction=None if result.direction is None else _DIRECTION[result.direction],
               trend_sufficient=result.sufficient if target is not None else None)
    return out


def _spc_part(levels: _Levels, t: Month, polarity: Polarity, target: Target | None,
              kind: MeasureKind, s: MethodSettings,
              reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§7 on the last :data:`SPC_MONTHS` monthly values, with the target per month."""
    values = levels.ending(levels.monthly, t, SPC_MONTHS)
    months = levels.months[len(levels.months) - len(values):] if values else ()
    monthly_target = None
    if target is not None:
        monthly_target = (target.target / MONTHLY_PER_ANNUAL if kind == "count"
                          else target.target)
    result = spc_chart(values, polarity, monthly_target, s)
    points = tuple(
        SpcPoint(str(month), p.value, p.point_type,
                 tuple(r for r in _RULE_ORDER if r in p.rules))
        for month, p in zip(months, result.points, strict=True))
    out: dict[str, Any] = {"spc_points": points, "spc_warnings": result.warnings,
                           "spc_trial_limits": result.trial_limits}
    if result.limits is None:
        reasons[AssessmentPart.SPC] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        return out
    lim = result.limits
    out.update(spc_mean=_f(lim.mean), spc_lower=_f(lim.lower), spc_upper=_f(lim.upper),
               spc_near_lower=_f(lim.near_lower), spc_near_upper=_f(lim.near_upper),
               spc_target=_f(monthly_target), variation_icon=result.variation,
               assurance_icon=result.assurance)
    return out


def _peer_part(partnership: str, levels: _Levels, t: Month, kind: MeasureKind,
               peers: Mapping[str, pd.Series | Mapping[str, float | None]] | None,
               peer_denominators: Mapping[str, pd.Series | Mapping[str, float | None]] | None,
               populations: Mapping[str, float | None] | None, s: MethodSettings,
               reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§5: rolling 12 months at ``t`` for every member (binomial limits for proportions)."""
    others = {k: v for k, v in (peers or {}).items() if k != partnership}
    if not others:
        reasons[AssessmentPart.PEERS] = NotAssessedReason.NO_PEER_GROUP
        return {}
    pops = populations or {}
    proportion = kind == "proportion"
    members: list[PeerMember] = []
    own_count = levels.at(levels.rolling_num, t)
    own_size = levels.at(levels.rolling_den, t) if proportion else pops.get(partnership)
    members.append(PeerMember(partnership, own_count, own_size))
    for pid, series in others.items():
        their = _levels(_months_of(series), _months_of((peer_denominators or {}).get(pid)),
                        kind, t)
        count = their.at(their.rolling_num, t)
        size = their.at(their.rolling_den, t) if proportion else pops.get(pid)
        members.append(PeerMember(pid, count, size))
    result = compare_with_peers(partnership, members, s,
                                per=PER_HUNDRED if proportion else PER_THOUSAND,
                                binomial=proportion)
    out: dict[str, Any] = {"peer_members": tuple(m.id for m in members),
                           "peer_rate": result.rate, "peer_phi": result.phi}
    if result.position is None:
        reasons[AssessmentPart.PEERS] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        return out
    assert result.limits is not None
    out.update(peer_average=result.average, peer_distance=result.distance,
               peer_distance_pct=result.distance_pct, peer_excess=result.excess,
               peer_lower=result.limits.lower, peer_upper=result.limits.upper,
               peer_position=result.position)
    return out


def _survey_part(waves: Sequence[SurveyWave], target: AnyTarget | None, s: MethodSettings,
                 reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§6: the latest wave's Wilson interval and its change from the pooled baseline waves."""
    if not waves:
        reasons[AssessmentPart.SURVEY] = NotAssessedReason.INSUFFICIENT_DATA
        return {}
    now = waves[-1]
    interval = wilson_interval(now.successes, now.n_eff, s.survey_level)
    out: dict[str, Any] = {"survey_wave": now.wave, "survey_n": now.n_eff,
                           "month_value": now.percent}
    if interval.proportion is None or interval.lower is None or interval.upper is None:
        reasons[AssessmentPart.SURVEY] = interval.reason or \
            NotAssessedReason.DENOMINATOR_TOO_SMALL
        return out
    out.update(survey_percent=interval.proportion * PERCENT,
               survey_ci_low=interval.lower * PERCENT, survey_ci_high=interval.upper * PERCENT)
    baseline = target.baseline if isinstance(target, SetTarget) else None
    if baseline is None:
        return out
    chosen = [w for w in waves if baseline.contains(w.month) and w.n_eff > 0]
    if not chosen or now in chosen:
        return out
    x = math.fsum(w.successes for w in chosen)
    n = math.fsum(w.n_eff for w in chosen)
    change = survey_change(x, n, now.successes, now.n_eff, s.survey_level)
    out.update(baseline_percent=PERCENT * x / n, survey_change_pp=change.change_pp,
               survey_significance=change.label)
    return out


def _rating(rag: RagResult, target: AnyTarget | None,
            reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§11: the computed rating, the analyst's override (with its reason) and the headline."""
    result = rag
    override = getattr(target, "rag_override", None)
    if override is not None:
        result = apply_override(rag, Rag(override.rating), override.reason)
    headline: NotAssessedReason | None = None
    if result.rating is None:
        reasons[AssessmentPart.RAG] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        found = {reasons[p] for p in _HEADLINE_PARTS if p in reasons} | {reasons[
            AssessmentPart.RAG]}
        headline = next((r for r in _HEADLINE_ORDER if r in found), reasons[AssessmentPart.RAG])
    return {"rag": result.rating, "rag_computed": rag.rating,
            "rag_override_reason": result.override_reason, "not_assessed_reason": headline}


def _history(levels: _Levels, waves: Sequence[SurveyWave], resolved: _Resolved,
             tolerance: float, is_survey: bool) -> tuple[HistoryPoint, ...]:
    """Every month for the performance chart, with the trajectory from the baseline (m = 0)."""
    rows: list[tuple[Month, float | None, float | None]]
    if is_survey:
        rows = [(Month.parse(w.month), w.percent, w.percent) for w in waves]
    else:
        rows = list(zip(levels.months, levels.monthly, levels.rolling, strict=True))
    out: list[HistoryPoint] = []
    for month, value, rolling in rows:
        point = None
        if resolved.start is not None and resolved.target is not None:
            point = resolved.point(month.minus(resolved.start) + 1, tolerance)
        if point is None:
            out.append(HistoryPoint(str(month), value, None if is_survey else rolling))
            continue
        status = None if rolling is None else classify_position(rolling, point)
        out.append(HistoryPoint(str(month), value, None if is_survey else rolling,
                                _f(point.tau), _f(point.lower), _f(point.upper), status))
    return tuple(out)


# --------------------------------------------------------------------------- disclosure


def _small(x: float | None, threshold: int) -> bool:
    return x is not None and 0 < x < threshold


def _suppress(a: Assessment, levels: _Levels, t: Month | None, baseline_end: Month | None,
              s: MethodSettings) -> Assessment:
    """§9: flag every figure that would disclose a count of 1-4 or a % of fewer than 10 cases.

    Secondary suppression: a change whose either end is hidden is hidden too, so it
    cannot be differenced back.  For a count, suppression holds across months
    (:func:`cdrp_lib.stats.disclosure.hidden_totals`): every total that adds up a
    hidden month (a rolling 12 months in the chart, the current or previous
    12 months, the baseline year) is hidden, since beside the months shown it would
    give the hidden one back.  The figures stay in the Assessment (the rating uses
    them); tables, charts and narrative must not show the flagged ones.  ``t`` is
    None when the data is late: then only the history is flagged.
    """
    k, min_den = s.suppression_threshold, s.min_denominator
    hidden: set[str] = set()
    rolling_hidden: frozenset[str] = frozenset()
    if a.kind == "count":
        small = {i for i, v in enumerate(levels.monthly) if _small(v, k)}
        totals: dict[str, range] = {
            str(m): window_months(i, MONTHS_IN_YEAR) for i, m in enumerate(levels.months)}
        headline = {"rolling_12": t, "previous_rolling_12": None if t is None
                    else t - MONTHS_IN_YEAR, "baseline_value": baseline_end}
        for name, end in headline.items():
            i = None if end is None else levels.index(end)
            if i is not None:
                totals[name] = window_months(i, MONTHS_IN_YEAR)
        rolling_hidden = hidden_totals(small, totals)
        for name in ("month_value", "rolling_12", "previous_rolling_12", "baseline_value",
                     "target_value"):
            if getattr(a, name) is not None and (name in rolling_hidden
                                                 or _small(getattr(a, name), k)):
                hidden.add(name)
    elif t is not None:
        prev = t - MONTHS_IN_YEAR
        checks = {
            "month_value": levels.at(levels.den, t),
            "rolling_12": levels.at(levels.rolling_den, t),
            "previous_rolling_12": levels.at(levels.rolling_den, prev),
        }
        for name, den in checks.items():
            if getattr(a, name) is not None and (den is None or den < min_den):
                hidden.add(name)
        for name in ("rolling_12_numerator", "rolling_12_denominator"):
            if _small(getattr(a, name), k):
                hidden.add(name)
    if hidden & {"rolling_12", "previous_rolling_12"}:
        hidden |= {"change_12m", "change_12m_pct", "change_12m_pp"}
    if hidden & {"rolling_12", "rolling_12_numerator"}:  # a rate on a public population
        hidden |= {"peer_rate", "peer_distance", "peer_distance_pct", "peer_excess"}
    if hidden & {"rolling_12", "baseline_value"}:
        hidden |= {"change_from_baseline_pct", "reduction_required_pct"}
    if "baseline_value" in hidden:
        hidden |= {"target_value", "required_change", "target_text"}
    history = []
    for p in a.history:
        m = Month.parse(p.month)
        if a.kind == "count":
            small_month = _small(p.value, k) or _small(p.rolling_12, k)
            rolling = small_month or (p.month in rolling_hidden and p.rolling_12 is not None)
        else:
            den, rden = levels.at(levels.den, m), levels.at(levels.rolling_den, m)
            small_month = ((p.value is not None and (den is None or den < min_den))
                           or (p.rolling_12 is not None and (rden is None or rden < min_den)))
            rolling = small_month
        if small_month or rolling:
            p = dataclasses.replace(p, suppressed=small_month, rolling_suppressed=rolling)
        history.append(p)
    if a.kind == "count":
        spc_hidden = any(_small(p.value, k) for p in a.spc_points)
    else:
        spc_hidden = any(p.value is not None and ((den := levels.at(levels.den, Month.parse(
            p.month))) is None or den < min_den) for p in a.spc_points)
    if spc_hidden:
        hidden.add("spc_points")
    if any(p.suppressed or p.rolling_suppressed for p in history):
        hidden.add("history")
    fields = tuple(sorted(hidden))
    return dataclasses.replace(a, history=tuple(history), suppressed=bool(fields),
                               suppressed_fields=fields)


# --------------------------------------------------------------------------- from the store


def assess_partnership(
    store: Store,
    params_dir: Path | str,
    partnership: str,
    month: str,
    theme: str | None = None,
    measure: str | None = None,
) -> list[Assessment]:
    """Every Assessment of one partnership's bulletin for ``month`` (optionally one theme/measure).

    One per target in params order (a sub-area target reads its sub-area's
    series), then one per measure the store holds for the partnership that has
    no target ("no target has been set").  A partnership found only in the
    data (a district with no params file) has no targets and no peer group.
    A measure the store has no data for is assessed as "source late", never an error.
    """
    from cdrp_lib.errors import NotFoundError
    from cdrp_lib.params import method_settings

    root = Path(params_dir)
    measures, params, bulletin = cached_params(root)
    names = dict(store.partnerships())
    p = params.get(partnership)
    if p is None and partnership not in names:
        known = ", ".join(sorted(set(names) | set(params))) or "none"
        raise NotFoundError(f"no partnership {partnership!r} in the store or in "
                            f"{root / 'partnerships'} (known: {known})")
    if measure is not None and measure not in measures:
        raise NotFoundError(f"no measure {measure!r} in {root / 'measures.yaml'} "
                            f"(known: {', '.join(sorted(measures))})")
    settings = method_settings(bulletin, p) if bulletin is not None else MethodSettings()
    name = p.name if p is not None else names.get(partnership, partnership)
    synthetic = p.synthetic if p is not None else False
    context = _StoreContext(store, params, month)
    out: list[Assessment] = []
    targeted: set[str] = set()
    for target in (p.targets if p is not None else ()):
        m = measures.get(target.measure) if target.measure else None
        if measure is not None and target.measure != measure:
            continue
        if theme is not None and target.theme != theme:
            continue
        if m is None:
            out.append(_measureless(target, partnership, name, month, settings, synthetic,
                                    p.outcomes.get(target.outcome) if p else None))
            continue
        sub = target.sub_area
        source_id = sub.partnership if sub is not None else partnership
        if sub is None:
            targeted.add(m.id)
        else:  # the narrative must say which area it is about
            m = m.model_copy(update={"name": f"{m.name} in {sub.name}"})
        lag = target.lag_months if target.lag_months is not None else _source_lag(bulletin, m)
        out.append(context.assess(
            m, target, partnership, name, source_id, settings, synthetic, lag,
            peers=() if sub is not None or p is None else p.peers,
            sub_area=sub is not None or (p is not None and p.is_sub_area),
            outcome_title=p.outcomes.get(target.outcome) if p else None))
    for m in measures.values():
        if m.id in targeted or (measure is not None and m.id != measure):
            continue
        if theme is not None and m.theme != theme:
            continue
        if measure is None and not context.has_data(partnership, m):
            continue
        out.append(context.assess(
            m, None, partnership, name, partnership, settings, synthetic,
            _source_lag(bulletin, m), peers=p.peers if p is not None else (),
            sub_area=p is not None and p.is_sub_area, outcome_title=None))
    return out


def cached_params(params_dir: Path | str
                  ) -> tuple[dict[str, Measure], dict[str, Partnership], BulletinParams | None]:
    """Measures, partnerships and bulletin defaults (``None`` without bulletin.yaml) of
    ``params_dir``, validated once per version of its files.

    The pages read their titles and names through this too, so a page parses
    params once, not once for itself and again for its assessments.
    """
    root = Path(params_dir)
    return _load_params(root, _params_stamp(root))


def _params_stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every params file with its modification time and size: the cache key of a load."""
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


@functools.lru_cache(maxsize=8)
def _load_params(root: Path, stamp: tuple[tuple[str, int, int], ...]
                 ) -> tuple[dict[str, Measure], dict[str, Partnership], BulletinParams | None]:
    """Measures, partnerships and bulletin defaults, validated once per version of the files.

    A bulletin assesses a partnership once per theme page; validating every params
    file each time would cost more than the assessments.  ``stamp`` changes with
    any file, so an edited params folder is always read afresh.
    """
    from cdrp_lib.params import BULLETIN_FILE, load_bulletin, load_measures, load_partnerships

    del stamp  # part of the cache key only
    measures = load_measures(root)
    partnerships = load_partnerships(root)
    bulletin = load_bulletin(root) if (root / BULLETIN_FILE).is_file() else None
    return measures, partnerships, bulletin


def _source_lag(bulletin: Any, measure: Measure) -> int | None:
    if bulletin is None:
        return None
    source = bulletin.sources.get(measure.source)
    return None if source is None else int(source.lag_months)


def _measureless(target: AnyTarget, partnership: str, name: str, month: str,
                 settings: MethodSettings, synthetic: bool,
                 outcome_title: str | None) -> Assessment:
    """A monitor-only target on something no extract holds: listed, never rated.

    No part can be computed without data, so every part carries "monitor only".
    """
    reasons = dict.fromkeys(AssessmentPart, NotAssessedReason.MONITOR_ONLY)
    a = Assessment(
        partnership=partnership, partnership_name=name, measure="", measure_name=target.title,
        theme=target.theme, kind="count", polarity=target.polarity, month=month,
        synthetic=synthetic, target_id=target.id, target_kind=target.kind,
        target_title=target.title, outcome_code=target.outcome,
        outcome_title=outcome_title or target.outcome_title, lead_agency=target.lead,
        not_assessed_reason=NotAssessedReason.MONITOR_ONLY, reasons=reasons, settings=settings)
    return dataclasses.replace(a, narrative=narrate(a))


class _StoreContext:
    """Reads what :func:`assess` needs from the store, each series once."""

    def __init__(self, store: Store, params: Mapping[str, Any], month: str) -> None:
        self.store = store
        self.params = params
        self.month = month
        self._frames: dict[tuple[str, str], tuple[dict[str, float | None],
                                                  dict[str, float | None]]] = {}
        self._loaded: set[str] = set()

    def series(self, partnership: str, measure: str
               ) -> tuple[dict[str, float | None], dict[str, float | None]]:
        """(values, denominators) by month up to the bulletin month; empty when absent.

        Every measure of a partnership is read in one query, the first time any is asked for.
        """
        if partnership not in self._loaded:
            self._loaded.add(partnership)
            frame = self.store.series_frame(partnership=partnership, last=self.month)
            columns = [frame[c].tolist() for c in ("measure", "month", "value", "denominator")]
            for m, month, value, den in zip(*columns, strict=True):
                values, dens = self._frames.setdefault((partnership, str(m)), ({}, {}))
                values[str(month)] = None if _missing(value) else float(value)
                dens[str(month)] = None if _missing(den) else float(den)
        return self._frames.get((partnership, measure), ({}, {}))

    def has_data(self, partnership: str, measure: Measure) -> bool:
        values, _ = self.series(partnership, measure.id)
        return any(v is not None for v in values.values())

    def population(self, partnership: str, year: int) -> float | None:
        p = self.params.get(partnership)
        if p is not None and not p.population.from_districts:
            found = p.population.for_year(year)
            return None if found is None else float(found)
        value = self.store.population(partnership, year)
        return None if value is None else float(value)

    def waves(self, partnership: str, measure: Measure) -> list[SurveyWave] | None:
        if measure.source != "survey":
            return None
        from cdrp_lib.errors import NotFoundError

        try:
            frame = self.store.survey_waves(partnership, measure.question)
        except NotFoundError:  # a partnership the store does not hold has no waves
            return []
        out = []
        for row in frame.to_dict("records"):
            if any(_missing(row[k]) for k in ("n_eff", "weighted_n", "weighted_yes")):
                continue  # a wave without its counts cannot be used
            n_eff, weighted_n = float(row["n_eff"]), float(row["weighted_n"])
            share = 0.0 if weighted_n <= 0 else float(row["weighted_yes"]) / weighted_n
            out.append(SurveyWave(str(row["wave"]), str(row["month"]), share * n_eff, n_eff))
        return out

    def assess(self, m: Measure, target: AnyTarget | None, partnership: str, name: str,
               source_id: str | None, settings: MethodSettings, synthetic: bool,
               lag: int | None, *, peers: Sequence[str], sub_area: bool,
               outcome_title: str | None) -> Assessment:
        from cdrp_lib.stats.peers import population_year

        values, dens = self.series(source_id, m.id) if source_id else ({}, {})
        data = [Month.parse(k) for k, v in values.items() if v is not None]
        year = population_year(max(data) if data else Month.parse(self.month))
        peer_values = {pid: self.series(pid, m.id)[0] for pid in peers}
        peer_dens = {pid: self.series(pid, m.id)[1] for pid in peers}
        populations = {pid: self.population(pid, year) for pid in (source_id or partnership,
                                                                     *peers)}
        populations[partnership] = populations.get(source_id or partnership)
        waves = self.waves(source_id, m) if source_id else None
        return assess(values, target, self.month, measure=m, partnership=partnership,
                      partnership_name=name, peers=peer_values or None,
                      peer_denominators=peer_dens or None, populations=populations,
                      settings=settings, denominators=dens, survey=waves,
                      synthetic=synthetic, sub_area=sub_area, max_lag_months=lag,
                      outcome_title=outcome_title)


def _missing(value: Any) -> bool:
    return value is None or _nan(value)
