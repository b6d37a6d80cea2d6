"""The parts of an Assessment, one function per methods section, each with its reasons.

Past month (§2), the 12-month comparison (§3), the trend (§4), SPC (§7), the
peer comparison (§5), the survey (§6), the rating (§11) and the chart's
history each turn :class:`~cdrp_lib.assess.levels.Levels` into the fields of
their part and, when a figure cannot be computed, record why in ``reasons``:
:func:`~cdrp_lib.assess.assess` only orders the calls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cdrp_lib.assess.levels import (
    PERCENT,
    Levels,
    SurveyWave,
    as_float,
    build_levels,
    is_nan,
    months_of,
    rolling_reason,
)
from cdrp_lib.assess.targets import AnyTarget, Resolved
from cdrp_lib.assessment import (
    AssessmentPart,
    HistoryPoint,
    MeasureKind,
    SpcPoint,
    TrendDirection,
)
from cdrp_lib.overrides import expired_note, live_override
from cdrp_lib.params import (
    SetTarget,
)
from cdrp_lib.periods import Month
from cdrp_lib.stats.comparison import compare_12_months, percentage_point_change
from cdrp_lib.stats.enums import (
    ChangeLabel,
    NotAssessedReason,
    Polarity,
    Rag,
    SpcRule,
    TrendMethod,
)
from cdrp_lib.stats.expected import past_month
from cdrp_lib.stats.peers import PER_HUNDRED, PER_THOUSAND, PeerMember, compare_with_peers
from cdrp_lib.stats.rag import RagResult, apply_override
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.stats.spc import spc_chart
from cdrp_lib.stats.survey import survey_change, wilson_interval
from cdrp_lib.stats.trajectory import (
    Target,
    classify_position,
)
from cdrp_lib.stats.trend import TrendResult, ets_projection, project_rolling

if TYPE_CHECKING:
    import pandas as pd



SPC_MONTHS = 36  # three years: enough for stable limits (13+) and recent enough to be current
MONTHLY_PER_ANNUAL = MONTHS_IN_YEAR
_RULE_ORDER = tuple(SpcRule)  # label precedence: outside > trend > two-in-three > shift


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
    NotAssessedReason.SMALL_NUMBERS,
    NotAssessedReason.MISSING_MONTHS,
    NotAssessedReason.DENOMINATOR_TOO_SMALL,
    NotAssessedReason.INSUFFICIENT_DATA,
)
_HEADLINE_PARTS = (AssessmentPart.TARGET, AssessmentPart.ROLLING, AssessmentPart.TRAJECTORY,
                   AssessmentPart.SURVEY, AssessmentPart.TREND)

def past_month_part(levels: Levels, t: Month, kind: MeasureKind, s: MethodSettings,
                     reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§2, for counts only (a proportion's monthly rate is not a Poisson count)."""
    x = levels.at(levels.monthly, t)
    out: dict[str, Any] = {"month_value": x}
    if levels.step != 1:  # a quarter or a year is not a month: nothing to test
        reasons[AssessmentPart.PAST_MONTH] = (NotAssessedReason.QUARTERLY_DATA
                                              if levels.per_year > 1
                                              else NotAssessedReason.ANNUAL_DATA)
        return out
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


def comparison_part(levels: Levels, t: Month, kind: MeasureKind, current: float | None,
                     previous: float | None, s: MethodSettings,
                     reasons: dict[AssessmentPart, NotAssessedReason]) -> dict[str, Any]:
    """§3: absolute and % change; percentage points (untested) for a proportion."""
    if current is None or previous is None:
        reasons[AssessmentPart.COMPARISON] = (
            rolling_reason(levels, t) if current is None
            else rolling_reason(levels, t - MONTHS_IN_YEAR))
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


def trend_part(levels: Levels, t: Month, kind: MeasureKind,
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
        if levels.step != 1 and method is TrendMethod.YEAR_ON_YEAR:
            method = TrendMethod.OLS  # year on year compounds monthly positions only
        # on quarters (years) the same span of time: a 24-month window is 8 quarters
        points = max(2, s.trend_window // levels.step)
        window = points if method is not TrendMethod.YEAR_ON_YEAR else MONTHS_IN_YEAR + 1
        # rolling positions exist from the window's end: earlier ones are "not yet", not gaps
        defined = levels.rolling[levels.window - 1:]
        end = levels.index(t)
        upto = defined[: max(0, (end or 0) - levels.window + 2)]
        rolling = upto[max(0, len(upto) - max(window, points)):]
        result = project_rolling(rolling, horizon // levels.step, goal, polarity, method,
                                 points)
    out: dict[str, Any] = {"trend_method": result.method}
    if result.projection is None:
        reasons[AssessmentPart.TREND] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        return out
    out.update(trend_projection=result.projection,
               trend_direction=None if result.direction is None else _DIRECTION[result.direction],
               trend_sufficient=result.sufficient if target is not None else None,
               trend_line=trend_line(result, t, levels.step))
    return out


def trend_line(result: TrendResult, t: Month, step: int = 1) -> tuple[tuple[str, float], ...]:
    """The fitted line's ends and the projection as (month, value), for the chart: the fit's
    x = 0 is the window's first period and x = window - 1 the data period ``t``."""
    if result.slope is None or result.intercept is None or result.projection is None:
        return ()
    last = result.window - 1
    return ((str(t - last * step), float(result.intercept)),
            (str(t), float(result.intercept + result.slope * last)),
            (str(t + result.horizon * step), float(result.projection)))


def spc_part(levels: Levels, t: Month, polarity: Polarity, target: Target | None,
              kind: MeasureKind, s: MethodSettings,
              reasons: dict[AssessmentPart, NotAssessedReason],
              unit: str = "count") -> dict[str, Any]:
    """§7 on the values of the last :data:`SPC_MONTHS` months (12 quarters), with the
    target per period (none for a rate or a twelve-month mean: its values are counts)."""
    values = levels.ending(levels.monthly, t, SPC_MONTHS // levels.step)
    months = levels.end_months(len(values))
    monthly_target = None
    if target is not None and unit in ("count", "percent"):
        monthly_target = (target.target / levels.per_year if kind == "count"
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
    out.update(spc_mean=as_float(lim.mean), spc_lower=as_float(lim.lower),
               spc_upper=as_float(lim.upper),
               spc_near_lower=as_float(lim.near_lower), spc_near_upper=as_float(lim.near_upper),
               spc_target=as_float(monthly_target), variation_icon=result.variation,
               assurance_icon=result.assurance)
    return out


def peer_part(partnership: str, levels: Levels, t: Month, kind: MeasureKind,
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
        their = build_levels(months_of(series), months_of((peer_denominators or {}).get(pid)),
                             kind, t, levels.step)
        count = their.at(their.rolling_num, t)
        size = their.at(their.rolling_den, t) if proportion else pops.get(pid)
        members.append(PeerMember(pid, count, size))
    result = compare_with_peers(partnership, members, s,
                                per=PER_HUNDRED if proportion else PER_THOUSAND,
                                binomial=proportion)
    per = PER_HUNDRED if proportion else PER_THOUSAND
    # a member's rate with its public population gives its count back: a count of 1 to
    # threshold-1 (§9) leaves that member's rate out, as its own table would
    k = s.suppression_threshold
    rates = tuple((m.id, per * m.count / m.population
                   if m.count is not None and m.population and not is_nan(m.count)
                   and not is_nan(m.population) and not 0 < m.count < k else None,
                   m.population) for m in members)
    out: dict[str, Any] = {"peer_members": tuple(m.id for m in members),
                           "peer_rate": result.rate, "peer_phi": result.phi,
                           "peer_member_rates": rates}
    if result.position is None:
        reasons[AssessmentPart.PEERS] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        return out
    assert result.limits is not None
    out.update(peer_average=result.average, peer_distance=result.distance,
               peer_distance_pct=result.distance_pct, peer_excess=result.excess,
               peer_lower=result.limits.lower, peer_upper=result.limits.upper,
               peer_position=result.position)
    return out


def survey_part(waves: Sequence[SurveyWave], target: AnyTarget | None, s: MethodSettings,
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


def rating_part(rag: RagResult, target: AnyTarget | None,
                reasons: dict[AssessmentPart, NotAssessedReason], month: Month) -> dict[str, Any]:
    """§11: the computed rating, the analyst's override (with its reason, unless it has
    expired by ``month``) and the headline."""
    result = rag
    override = getattr(target, "rag_override", None)
    live = live_override(override, month)
    if live is not None:
        result = apply_override(rag, Rag(live.rating), live.reason)
    headline: NotAssessedReason | None = None
    if result.rating is None:
        reasons[AssessmentPart.RAG] = result.reason or NotAssessedReason.INSUFFICIENT_DATA
        found = {reasons[p] for p in _HEADLINE_PARTS if p in reasons} | {reasons[
            AssessmentPart.RAG]}
        headline = next((r for r in _HEADLINE_ORDER if r in found), reasons[AssessmentPart.RAG])
    return {"rag": result.rating, "rag_computed": rag.rating,
            "rag_override_reason": result.override_reason, "not_assessed_reason": headline,
            "rag_override_by": live.by if live is not None else None,
            "rag_override_expired": expired_note(override, month)}


def history_part(levels: Levels, waves: Sequence[SurveyWave], resolved: Resolved,
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
                                as_float(point.tau), as_float(point.lower),
                                as_float(point.upper), status))
    return tuple(out)
