"""One measure, one month: :func:`assess`, the pure function every bulletin figure comes from.

It orders the work: the month assessed (the source's latest month with data),
the target resolved, the parts computed (:mod:`cdrp_lib.assess.parts`), the
parts that do not apply marked so, the rating, disclosure control (§9,
:func:`_suppress`) and the narrative.  What each step means is documented in
:mod:`cdrp_lib.assess`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cdrp_lib.assess.ceiling import ceiling_trend, resolve_ceiling
from cdrp_lib.assess.levels import (
    Levels,
    SurveyWave,
    as_float,
    build_levels,
    months_of,
    rolling_reason,
)
from cdrp_lib.assess.parts import (
    comparison_part,
    history_part,
    past_month_part,
    peer_part,
    rating_part,
    spc_part,
    survey_part,
    trend_part,
)
from cdrp_lib.assess.targets import AnyTarget, monitor_words, resolve
from cdrp_lib.assess.units import (
    clear_for_small_numbers,
    is_small,
    no_position_reason,
    shape_levels,
    step_of,
)
from cdrp_lib.assessment import (
    Assessment,
    AssessmentPart,
    HistoryPoint,
    MeasureKind,
)
from cdrp_lib.narrative import narrate
from cdrp_lib.params import (
    CeilingTarget,
    Measure,
    MonitorTarget,
    SetTarget,
    SuppressionParams,
)
from cdrp_lib.periods import Month
from cdrp_lib.public import public_view
from cdrp_lib.stats.disclosure import (
    hidden_totals,
    requires_suppression,
    suppress_table,
    window_months,
    withheld_closure,
)
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    Suppression,
    TrajectoryStatus,
)
from cdrp_lib.stats.rag import measure_rag, survey_rag
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR
from cdrp_lib.stats.rounding import round_half_up_int
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.stats.trajectory import (
    change_from_baseline_pct,
    change_needed_pct,
    classify_position,
    target_achieved,
)

if TYPE_CHECKING:
    import pandas as pd





def count_noun(measure: Measure) -> str:
    """What one unit of a count measure is called in narrative ("crimes", "incidents"):
    the measure's own ``noun`` when params give one."""
    if measure.noun:
        return measure.noun
    if measure.value_unit == "cohort_offences":
        return "offences"
    if "incident" in measure.id or measure.id == "anti-social-behaviour":
        return "incidents"
    if "referral" in measure.id:
        return "referrals"
    return "crimes"



# Parts that do not apply to a survey: a wave is a sample every quarter or so, with no
# monthly series to sum, test, chart or project, and no survey of the peer areas.
_NOT_APPLICABLE_TO_SURVEYS = frozenset({
    AssessmentPart.ROLLING, AssessmentPart.TRAJECTORY, AssessmentPart.PAST_MONTH,
    AssessmentPart.COMPARISON, AssessmentPart.TREND, AssessmentPart.PEERS,
    AssessmentPart.SPC,
})


def _not_applicable(kind: MeasureKind, is_survey: bool,
                    ceiling: bool = False) -> frozenset[AssessmentPart]:
    """The parts of an Assessment that do not apply to this kind of measure.

    A survey has only its target, survey part and rating; a proportion's monthly
    rate is not a Poisson count, so the §2 past-month test does not apply; only
    a survey has a survey part.  A cohort ceiling's offences to date start afresh
    each period: there is no previous 12 months to compare, no peer cohort and no
    stable process for a control chart.
    """
    if is_survey:
        return _NOT_APPLICABLE_TO_SURVEYS
    if ceiling:
        return frozenset({AssessmentPart.SURVEY, AssessmentPart.COMPARISON,
                          AssessmentPart.PEERS, AssessmentPart.SPC})
    if kind == "proportion":
        return frozenset({AssessmentPart.SURVEY, AssessmentPart.PAST_MONTH})
    return frozenset({AssessmentPart.SURVEY})



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


def _data_to(levels: Levels, waves: Sequence[SurveyWave], survey: bool) -> Month | None:
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
    suppression: SuppressionParams | None = None,
    population_by_year: Mapping[int, float | None] | None = None,
) -> Assessment:
    """Assess one measure's series against its target at ``month`` (methods §0-§13).

    ``series`` holds monthly counts (numerators for a proportion, with
    ``denominators`` beside them; for a survey the wave numerators ``p*n_eff``
    at each wave's month, or pass ``survey``).  ``peers`` maps the other members
    of the most similar group to their series (this partnership is added
    itself); ``populations`` maps every member, this one included, to its
    population for the year of the 12 months assessed.  Never raises for short,
    gappy or all-zero data: whatever cannot be computed is ``None`` with a
    reason in ``reasons``.  ``suppression`` (bulletin.yaml's settings; its defaults
    when None) says whether the measure is under disclosure control (§9): a
    sensitive source, or a ``sub_area`` when breakdowns below a partnership are.
    ``population_by_year`` (this partnership's mid-year populations) turns a rate
    measure's counts into its unit (:mod:`cdrp_lib.assess.units`); a quarterly or
    yearly measure's ``series`` holds one value per period at the period's last month.
    """
    s = settings or MethodSettings()
    bulletin_month = Month.parse(month)
    polarity = target.polarity if target is not None else measure.polarity
    kind: MeasureKind = measure.kind
    values = months_of(series)
    dens = months_of(denominators)
    is_survey = measure.source == "survey"
    waves = _waves(measure, survey, values, dens, bulletin_month)
    unit, step = measure.value_unit, step_of(measure.frequency)
    ceiling = target if isinstance(target, CeilingTarget) else None
    all_levels = build_levels(values, dens, kind, bulletin_month, step)
    t = _data_to(all_levels, waves, is_survey)
    # a period's figure exists only once the period is over: a quarter's last month is
    # up to two months older than the bulletin's month at the same lag
    late = t is None or (max_lag_months is not None
                         and bulletin_month.minus(t) > max_lag_months + step - 1)
    reasons: dict[AssessmentPart, NotAssessedReason] = {}
    identity: dict[str, Any] = {
        "partnership": partnership, "partnership_name": partnership_name or partnership,
        "measure": measure.id,
        "measure_name": (target.measure_name if target is not None and target.measure_name
                         else measure.name),
        "theme": target.theme if target is not None else measure.theme,
        "kind": kind, "polarity": polarity, "month": str(bulletin_month),
        "data_to": None if t is None else str(t), "synthetic": synthetic,
        "count_noun": count_noun(measure), "unit": unit, "frequency": measure.frequency,
        "source": measure.source, "lag_months": max_lag_months,
    }
    if target is not None:
        identity.update(
            target_id=target.id, target_kind=target.kind, target_title=target.title,
            outcome_code=target.outcome, outcome_title=outcome_title or target.outcome_title,
            lead_agency=target.lead,
        )
        if isinstance(target, SetTarget):
            identity.update(baseline_label=target.baseline.label or target.baseline.title,
                            target_by=target.strategy.end, strategy_start=target.strategy.start,
                            baseline_start=target.baseline.start,
                            baseline_end=target.baseline.end)
        elif target.strategy is not None:
            identity.update(target_by=target.strategy.end, strategy_start=target.strategy.start)
        own_reason, plan = monitor_words(target)
        identity.update(monitor_reason=own_reason, plan_target=plan)
    not_applicable = _not_applicable(kind, is_survey, ceiling is not None)
    sup = suppression or SuppressionParams()
    disclose_with_care = requires_suppression(measure.source, sub_area, sup.sources,
                                              sup.below_partnership)
    if late or t is None:
        late_a = _late(identity, target, s, all_levels, not_applicable)
        if disclose_with_care:
            late_a = _suppress(late_a, all_levels, None, None, s)
        return dataclasses.replace(late_a, narrative=narrate(public_view(late_a)))

    levels = build_levels(values, dens, kind, t, step)
    by_year = population_by_year or {}
    levels, unit_facts = shape_levels(levels, t, unit, target, dens, by_year.get)
    population = (populations or {}).get(partnership)
    resolved = (resolve_ceiling(ceiling) if ceiling is not None else
                resolve(target, levels, kind, polarity, s, population, waves, unit))
    if resolved.rounding is not None and resolved.rounding is not s.rounding:
        s = s.model_copy(update={"rounding": resolved.rounding})
    out: dict[str, Any] = dict(identity)
    out.update(unit_facts)
    if resolved.reason is not None:
        reasons[AssessmentPart.TARGET] = resolved.reason
    tgt = resolved.target
    if tgt is not None:
        out.update(baseline_value=as_float(tgt.baseline), target_value=as_float(tgt.target),
                   required_change=as_float(tgt.drop), target_text=resolved.text,
                   target_too_small=tgt.too_small)

    # §0/§1 current position (the latest wave for a survey)
    current: float | None
    previous: float | None = None
    if is_survey:
        current = waves[-1].percent if waves else None
        out.update(survey_part(waves, target, s, reasons))
    else:
        current = levels.at(levels.rolling, t)
        previous = levels.at(levels.rolling, t - MONTHS_IN_YEAR)
        if current is None:
            reasons[AssessmentPart.ROLLING] = (NotAssessedReason.NO_POPULATION
                                               if no_position_reason(levels, t, unit)
                                               else rolling_reason(levels, t))
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
                reduction_required_pct=as_float(change_needed_pct(current, tgt, polarity)),
                change_from_baseline_pct=as_float(change_from_baseline_pct(current, tgt.baseline)),
            )
        point = resolved.point(m, s.tolerance) if in_force and not is_survey else None
        if point is not None:
            out.update(trajectory_month_index=m, trajectory_months=resolved.months,
                       trajectory_target=as_float(point.tau),
                       trajectory_lower=as_float(point.lower),
                       trajectory_upper=as_float(point.upper))
            if current is not None:
                status = classify_position(current, point)
                out["trajectory_status"] = status
    if status is None:
        reasons[AssessmentPart.TRAJECTORY] = _first_reason(
            reasons, (AssessmentPart.TARGET, AssessmentPart.ROLLING))

    if not is_survey:
        out.update(past_month_part(levels, t, kind, s, reasons))
    if not is_survey and ceiling is None:
        out.update(comparison_part(levels, t, kind, current, previous, s, reasons))
        out.update(spc_part(levels, t, polarity, tgt, kind, s, reasons, unit))
        out.update(peer_part(partnership, levels, t, kind, peers, peer_denominators,
                              populations, s, reasons))
    horizon = (max(0, resolved.start.minus(t) + resolved.months - 1)
               if resolved.start is not None else MONTHS_IN_YEAR)
    if ceiling is not None:
        out.update(ceiling_trend(ceiling, t, current))
        out.update(reduction_required_pct=None, change_from_baseline_pct=None)
        if out.get("trend_projection") is None:
            reasons[AssessmentPart.TREND] = _first_reason(reasons, (AssessmentPart.ROLLING,))
    elif not is_survey:
        out.update(trend_part(levels, t, kind, tgt if in_force else None, polarity,
                               horizon, s, reasons))
    small, expected = is_small(levels, t, kind, unit)
    out["expected_12_months"] = expected
    if small:
        out.update(clear_for_small_numbers(reasons))
        status = None
    reasons.update(dict.fromkeys(not_applicable, NotAssessedReason.NOT_APPLICABLE))

    # §11 rating
    rag_reason = None
    if AssessmentPart.TARGET in reasons:
        rag_reason = reasons[AssessmentPart.TARGET]
    elif tgt is not None and tgt.too_small:
        rag_reason = NotAssessedReason.TARGET_TOO_SMALL
    elif small and not out.get("target_achieved"):
        rag_reason = NotAssessedReason.SMALL_NUMBERS
    if is_survey:
        rag = survey_rag(polarity, percent=out.get("survey_percent"),
                         ci_low=out.get("survey_ci_low"), ci_high=out.get("survey_ci_high"),
                         target=as_float(tgt.target) if tgt is not None else None,
                         change=out.get("survey_significance"), reason=rag_reason)
    else:
        rag = measure_rag(polarity, target_achieved=out.get("target_achieved"),
                          trajectory=status, trend_sufficient=out.get("trend_sufficient"),
                          reason=rag_reason)
    out.update(rating_part(rag, target, reasons, bulletin_month))

    out["history"] = history_part(levels, waves, dataclasses.replace(resolved, target=None)
                                  if small else resolved, s.tolerance, is_survey)
    out["settings"] = s
    out["reasons"] = MappingProxyType(dict(reasons))
    assessment = Assessment(**out)
    if disclose_with_care:
        baseline_end = target.baseline.last if isinstance(target, SetTarget) else None
        assessment = _suppress(assessment, levels, t, baseline_end, s)
    return dataclasses.replace(assessment, narrative=narrate(public_view(assessment)))


def _first_reason(reasons: Mapping[AssessmentPart, NotAssessedReason],
                  parts: Iterable[AssessmentPart]) -> NotAssessedReason:
    for part in parts:
        if part in reasons:
            return reasons[part]
    return NotAssessedReason.INSUFFICIENT_DATA


def _late(identity: Mapping[str, Any], target: AnyTarget | None, s: MethodSettings,
          levels: Levels, not_applicable: frozenset[AssessmentPart]) -> Assessment:
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



# --------------------------------------------------------------------------- disclosure


def _small(x: float | None, threshold: int) -> bool:
    return x is not None and 0 < x < threshold


def _hidden_cases(a: Assessment, threshold: int) -> set[str]:
    """A rate's repeats and cases as the repeat table publishes them (§9 worked example):
    the repeats of 1-4, and a second cell or the total whenever the hidden one could
    otherwise be worked out (:func:`cdrp_lib.stats.disclosure.suppress_table`)."""
    num, den = a.rolling_12_numerator, a.rolling_12_denominator
    if num is None or den is None:
        return set()
    repeats, total = round_half_up_int(num), round_half_up_int(den)
    published = suppress_table([("repeats", repeats), ("others", total - repeats)], threshold)
    hidden = set()
    if published.cells[0].status is not Suppression.SHOWN:
        hidden.add("rolling_12_numerator")
    if published.total.status is not Suppression.SHOWN:
        hidden.add("rolling_12_denominator")
    return hidden


def _suppress(a: Assessment, levels: Levels, t: Month | None, baseline_end: Month | None,
              s: MethodSettings) -> Assessment:
    """§9: flag every figure that would disclose a count of 1-4 or a % of fewer than 10 cases.

    Secondary suppression: a change whose either end is hidden is hidden too, so it
    cannot be differenced back.  For a count, suppression holds across months
    (:func:`cdrp_lib.stats.disclosure.hidden_totals`): every total that adds up a
    hidden month (a rolling 12 months in the chart, the current or previous
    12 months, the baseline year) is hidden, since beside the months shown it would
    give the hidden one back; the field rules are
    :data:`cdrp_lib.stats.disclosure.WITHHELD_WITH`.  The figures stay in the
    Assessment (the rating uses them): :func:`cdrp_lib.public.public_view` blanks the
    flagged ones, and tables, charts, narrative and figures.json read only that view.  ``t`` is
    None when the data is late: then only the history is flagged.
    """
    k, min_den = s.suppression_threshold, s.min_denominator
    counted = a.unit in ("count", "cohort_offences")
    hidden: set[str] = set()
    rolling_hidden: frozenset[str] = frozenset()
    if a.kind == "count":
        small = {i for i, v in enumerate(levels.monthly) if _small(v, k)}
        totals: dict[str, range] = {
            str(m): window_months(i, levels.window) for i, m in enumerate(levels.months)}
        headline = {"rolling_12": t, "previous_rolling_12": None if t is None
                    else t - MONTHS_IN_YEAR, "baseline_value": baseline_end}
        for name, end in headline.items():
            i = None if end is None else levels.index(end)
            if i is not None:
                totals[name] = window_months(i, levels.window)
        rolling_hidden = hidden_totals(small, totals)
        # a rate's or a mean's levels are not counts: only its month is (issue 11)
        for name in ("month_value", "rolling_12", "previous_rolling_12", "baseline_value",
                     "target_value"):
            tiny = _small(getattr(a, name), k) and (counted or name == "month_value")
            if getattr(a, name) is not None and (name in rolling_hidden or tiny):
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
        hidden |= _hidden_cases(a, k)
    hidden = set(withheld_closure(hidden))
    history = []
    for p in a.history:
        m = Month.parse(p.month)
        if a.kind == "count":
            small_month = _small(p.value, k) or (counted and _small(p.rolling_12, k))
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
