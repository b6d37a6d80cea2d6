"""assess(): every worked example of methods.md that goes through it, on in-memory series.

Series are built so that the rolling 12-month figures the examples need fall
exactly where the example puts them (baseline year 2023/24, strategy April 2024
to March 2027, so strategy month m = 12 is March 2025).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from cdrp_lib.assess import SurveyWave, assess
from cdrp_lib.assessment import AssessmentPart, TrendDirection, assessment_from_json
from cdrp_lib.cli.assess import render_text
from cdrp_lib.narrative import narrate_outcome
from cdrp_lib.overrides import expired_overrides
from cdrp_lib.params import Measure, load_measures, load_partnerships
from cdrp_lib.params import Target as TargetSpec
from cdrp_lib.periods import Month
from cdrp_lib.public import public_view
from cdrp_lib.stats.disclosure import disclosed_months, window_months
from cdrp_lib.stats.enums import (
    AssuranceIcon,
    NotAssessedReason,
    PastMonth,
    PeerPosition,
    Polarity,
    Rag,
    SignificanceLabel,
    SpcPointType,
    TrajectoryStatus,
    TrendMethod,
    VariationIcon,
    flip_polarity,
)
from cdrp_lib.stats.rounding import fmt_number
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.tables import ROW_PEER_DISTANCE, performance_table, short_reason

PARAMS = Path(__file__).resolve().parents[1] / "params"
BASELINE_END = Month(2024, 3)
STRATEGY = {"start": "2024-04", "end": "2027-03"}
TOL = 1e-3

_TARGETS: TypeAdapter[Any] = TypeAdapter(TargetSpec)


def measure(kind: str = "count", polarity: Polarity = Polarity.LOWER_IS_BETTER,
            source: str = "police", theme: str = "acquisitive_crime",
            id: str = "vehicle-crime", name: str = "Vehicle crime") -> Measure:
    return Measure(id=id, name=name, theme=theme, source=source, kind=kind,  # type: ignore[arg-type]
                   polarity=polarity)


def target(kind: str = "reduction", polarity: Polarity = Polarity.LOWER_IS_BETTER,
           **extra: Any) -> Any:
    raw = {"id": "t1", "kind": kind, "measure": "vehicle-crime", "outcome": "A1",
           "outcome_title": "Reduce acquisitive crime", "title": "A target",
           "theme": "acquisitive_crime", "lead": "Police", "polarity": polarity.value,
           "baseline": "2023/24", "strategy": STRATEGY}
    if kind == "monitor":
        raw = {k: v for k, v in raw.items() if k not in ("baseline", "strategy")}
        raw["reason"] = "data unreliable"
    raw.update(extra)
    return _TARGETS.validate_python(raw)


def year_counts(total: int, months: int = 12) -> list[int]:
    """``months`` whole counts adding up to ``total``, as even as possible."""
    base, extra = divmod(total, months)
    return [base + (1 if i < extra else 0) for i in range(months)]


def series_from(first: Month | str, values: Sequence[float | None]) -> pd.Series:
    start = first if isinstance(first, Month) else Month.parse(first)
    idx = [str(start + i) for i in range(len(values))]
    return pd.Series([math.nan if v is None else v for v in values], index=idx, dtype=float)


# The figure of each part that is None when the part is not computed (or does not apply).
PART_FIGURES = {
    AssessmentPart.TARGET: "target_value",
    AssessmentPart.ROLLING: "rolling_12",
    AssessmentPart.TRAJECTORY: "trajectory_status",
    AssessmentPart.PAST_MONTH: "past_month",
    AssessmentPart.COMPARISON: "change_12m",
    AssessmentPart.TREND: "trend_projection",
    AssessmentPart.PEERS: "peer_position",
    AssessmentPart.SURVEY: "survey_percent",
    AssessmentPart.SPC: "spc_mean",
    AssessmentPart.RAG: "rag",
}


def check_reasons(a: Any) -> None:
    """Every None figure carries a reason; "does not apply" never sits beside a figure and
    is never the headline reason, rated or not."""
    for part, name in PART_FIGURES.items():
        value = getattr(a, name)
        if value is None:
            assert a.reason(part) is not None, (part, a.reasons)
        else:
            assert a.reason(part) is not NotAssessedReason.NOT_APPLICABLE, (part, value)
    assert a.not_assessed_reason is not NotAssessedReason.NOT_APPLICABLE
    assert a.to_json()["not_assessed_reason"] != "not_applicable"
    if a.rag is not None:
        assert a.to_json()["not_assessed_reason"] is None
    assert NotAssessedReason.NOT_APPLICABLE.sentence not in a.narrative


def baseline_then(baseline: int, current: int, previous_years: int = 1) -> pd.Series:
    """Baseline year 2023/24 summing to ``baseline``; the next 12 months to ``current``."""
    first = Month(2024 - previous_years, 4)
    values: list[int] = []
    for _ in range(previous_years - 1):
        values += year_counts(baseline)
    values += year_counts(baseline) + year_counts(current)
    return series_from(first, values)


# --------------------------------------------------------------------------- §1


@pytest.mark.parametrize(("rolling", "status"), [
    (894, TrajectoryStatus.BELOW), (895, TrajectoryStatus.ON),
    (900, TrajectoryStatus.ON), (901, TrajectoryStatus.ABOVE),
])
def test_trajectory_worked_example_at_m12(rolling: int, status: TrajectoryStatus) -> None:
    a = assess(baseline_then(913, rolling), target(percent=5), "2025-03", measure=measure())
    assert (a.baseline_value, a.required_change, a.target_value) == (913, 46, 867)
    assert a.trajectory_month_index == 12 and a.trajectory_months == 36
    assert a.trajectory_target == pytest.approx(897.667, abs=TOL)
    assert a.trajectory_lower == pytest.approx(894.600, abs=TOL)
    assert a.trajectory_upper == pytest.approx(900.733, abs=TOL)
    assert a.rolling_12 == rolling
    assert a.trajectory_status is status
    assert a.target_text == "a reduction of 5.0% (46) by March 2027"


@pytest.mark.parametrize(("rolling", "status"), [
    (867, TrajectoryStatus.ON), (868, TrajectoryStatus.ABOVE),
])
def test_trajectory_worked_example_at_m36(rolling: int, status: TrajectoryStatus) -> None:
    values = year_counts(913) + year_counts(900) + year_counts(880) + year_counts(rolling)
    a = assess(series_from("2023-04", values), target(percent=5), "2027-03", measure=measure())
    assert a.trajectory_month_index == 36
    assert a.trajectory_lower == a.trajectory_upper == 867
    assert a.trajectory_status is status


def test_beyond_the_strategy_end_holds_the_target() -> None:
    values = year_counts(913) + year_counts(900) * 4
    a = assess(series_from("2023-04", values), target(percent=5), "2028-03", measure=measure())
    assert a.trajectory_month_index == 48
    assert a.trajectory_target == a.trajectory_lower == a.trajectory_upper == 867


@pytest.mark.parametrize(("baseline", "percent", "drop"), [
    (913, 5, 46), (1726, 5, 87), (303, 4, 13), (176, 8, 15),
    (269, 5, 14),  # the documented deviation: the bulletin printed 13
])
def test_bulletin_drops_by_the_ceiling_rule(baseline: int, percent: int, drop: int) -> None:
    a = assess(baseline_then(baseline, baseline), target(percent=percent), "2025-03",
               measure=measure())
    assert a.required_change == drop
    assert a.target_text == f"a reduction of {percent:.1f}% ({drop}) by March 2027"


def test_the_269_deviation_is_recorded_not_reproduced() -> None:
    from cdrp_lib.stats.trajectory import KNOWN_DEVIATIONS

    dev = next(d for d in KNOWN_DEVIATIONS if d.baseline == 269)
    a = assess(baseline_then(269, 260), target(percent=5), "2025-03", measure=measure())
    assert a.required_change == dev.drop_by_rule == 14 != dev.printed_drop


def test_south_derbyshire_targets_round_half_up_when_params_say_so() -> None:
    half_up = assess(baseline_then(597, 560), target(percent=20, rounding="half_up"),
                     "2025-03", measure=measure())
    ceiling = assess(baseline_then(597, 560), target(percent=20), "2025-03", measure=measure())
    assert half_up.target_value == 478 and ceiling.target_value == 477
    assert half_up.settings.rounding.value == "half_up"  # the rule used is recorded
    assert ceiling.settings.rounding.value == "ceiling"
    assert assess(baseline_then(372, 300), target(percent=30.1, rounding="half_up"), "2025-03",
                  measure=measure()).target_value == 260


def test_south_derbyshire_steps_each_year_ends_on_its_milestone() -> None:
    steps = {"2024/25": 567, "2025/26": 537, "2026/27": 507}
    spec = target("milestones", steps=steps, rounding="floor_steps")
    values = year_counts(597) + year_counts(560) + year_counts(530) + year_counts(500)
    series = series_from("2023-04", values)
    for month, level in (("2025-03", 567), ("2026-03", 537), ("2027-03", 507)):
        a = assess(series, spec, month, measure=measure())
        assert a.trajectory_target == a.trajectory_lower == a.trajectory_upper == level
    a = assess(series, spec, "2025-09", measure=measure())  # halfway from 567 to 537
    assert a.trajectory_target == pytest.approx(552)
    assert a.target_value == 507
    assert a.target_text == "yearly milestones of 567, 537 and 507 by March 2027"


def test_target_not_yet_in_force() -> None:
    a = assess(baseline_then(913, 900), target(percent=5, strategy={
        "start": "2025-04", "end": "2028-03"}), "2025-03", measure=measure())
    assert a.rag is None
    assert a.not_assessed_reason is NotAssessedReason.TARGET_NOT_IN_FORCE
    assert a.trajectory_status is None and a.trend_sufficient is None
    assert a.rolling_12 == 900  # the figures are still there
    assert NotAssessedReason.TARGET_NOT_IN_FORCE.sentence in a.narrative


def test_target_too_small_to_monitor_is_not_rated() -> None:
    a = assess(baseline_then(12, 10), target(percent=5), "2025-03", measure=measure())
    assert a.target_too_small and a.required_change == 1
    assert a.rag is None and a.not_assessed_reason is NotAssessedReason.TARGET_TOO_SMALL


def test_zero_baseline_collapses_the_band() -> None:
    a = assess(baseline_then(0, 0), target(percent=5), "2025-03", measure=measure())
    assert a.required_change == 0 and a.trajectory_lower == a.trajectory_upper == 0
    assert a.trajectory_status is TrajectoryStatus.ON


# --------------------------------------------------------------------------- §2


PRIOR = [14, 18, 15, 17, 16, 13, 19, 16, 15, 17, 16, 16]


@pytest.mark.parametrize(("x", "z", "label"), [
    (25, 2.000, PastMonth.IN_LINE), (26, 2.198, PastMonth.ABOVE),
    (9, -2.000, PastMonth.IN_LINE), (8, -2.343, PastMonth.BELOW),
])
def test_past_month_worked_example(x: int, z: float, label: PastMonth) -> None:
    a = assess(series_from("2024-03", [*PRIOR, x]), None, "2025-03", measure=measure())
    assert a.month_value == x
    assert a.past_month_z == pytest.approx(z, abs=TOL)
    assert a.past_month is label
    assert (a.expected_low, a.expected_high) == (pytest.approx(9), pytest.approx(25))


def test_past_month_overdispersed_example() -> None:
    prior = [10, 25, 12, 30, 8, 22, 15, 28, 9, 26, 11, 24]
    a = assess(series_from("2024-03", [*prior, 30]), None, "2025-03", measure=measure())
    assert a.past_month_z == pytest.approx(1.24, abs=0.005)
    assert a.past_month is PastMonth.IN_LINE


def test_past_month_xmr_option_is_used_and_recorded() -> None:
    s = MethodSettings(past_month_method="xmr")  # type: ignore[arg-type]
    a = assess(series_from("2024-03", [*PRIOR, 23]), None, "2025-03", measure=measure(),
               settings=s)
    assert (a.expected_low, a.expected_high) == (pytest.approx(9.71, abs=0.005),
                                                 pytest.approx(22.29, abs=0.005))
    assert a.past_month is PastMonth.ABOVE
    assert a.to_json()["settings"]["past_month_method"] == "xmr"


# --------------------------------------------------------------------------- §3


def test_twelve_month_comparison_example() -> None:
    s = MethodSettings(comparison_test=True)
    a = assess(baseline_then(1726, 1650), None, "2025-03", measure=measure(), settings=s)
    assert (a.rolling_12, a.previous_rolling_12, a.change_12m) == (1650, 1726, -76)
    assert a.change_12m_pct == pytest.approx(-4.403, abs=TOL)
    assert a.change_12m_p_value == pytest.approx(0.197, abs=TOL)
    assert a.change_12m_significant is False
    assert ("Over the last 12 months, Vehicle crime totalled 1,650 crimes, 76 (4.4%) fewer "
            "than in the previous 12 months.") in a.narrative


def test_comparison_from_zero_is_na_with_the_absolute_change() -> None:
    a = assess(baseline_then(0, 12), None, "2025-03", measure=measure())
    assert a.change_12m == 12 and a.change_12m_pct is None
    b = assess(baseline_then(0, 0), None, "2025-03", measure=measure())
    assert b.change_12m == 0 and b.change_12m_pct == 0


def test_comparison_needs_24_months() -> None:
    a = assess(series_from("2024-04", year_counts(900)), None, "2025-03", measure=measure())
    assert a.rolling_12 == 900 and a.change_12m_pct is None
    assert a.reason(AssessmentPart.COMPARISON) is NotAssessedReason.INSUFFICIENT_DATA


# --------------------------------------------------------------------------- §4

TREND_R = [1200, 1196, 1195, 1189, 1190, 1182, 1178, 1181, 1172, 1170, 1165, 1166,
           1158, 1155, 1150, 1151, 1143, 1140, 1138, 1133, 1131, 1126, 1124, 1120]


def monthly_for_rolling(rolling: Sequence[int], first_year: int = 100) -> list[int]:
    """Monthly counts whose rolling 12-month sums are ``rolling`` (after 12 months of 100)."""
    months = [first_year] * 12
    assert sum(months) == rolling[0]
    for prev, now in itertools.pairwise(rolling):
        months.append(months[-12] + now - prev)
    return months


@pytest.mark.parametrize(("method", "projection", "sufficient"), [
    (TrendMethod.OLS, 1077.57, True),
    (TrendMethod.THEIL_SEN, 1079.25, False),
    (TrendMethod.YEAR_ON_YEAR, 1075.81, True),
])
def test_trend_worked_example(method: TrendMethod, projection: float, sufficient: bool) -> None:
    monthly = monthly_for_rolling(TREND_R)  # 35 months ending at R[23]
    last = Month(2025, 3)
    series = series_from(last - (len(monthly) - 1), monthly)
    # the target month is 12 months after the last data month: strategy ends 2026-03
    spec = target("level", value=1078, baseline={"start": "2023-04", "end": "2024-03"},
                  strategy={"start": "2024-04", "end": "2026-03"})
    a = assess(series, spec, "2025-03", measure=measure(),
               settings=MethodSettings(trend_method=method))
    assert a.rolling_12 == 1120
    assert a.trend_method is method
    assert a.trend_projection == pytest.approx(projection, abs=0.005)
    assert a.trend_sufficient is sufficient
    assert a.trend_direction is TrendDirection.FALLING
    assert a.to_json()["settings"]["trend_method"] == method.value


def test_trend_needs_35_months() -> None:
    a = assess(baseline_then(913, 900), target(percent=5), "2025-03", measure=measure())
    assert a.trend_sufficient is None
    assert a.reason(AssessmentPart.TREND) is NotAssessedReason.INSUFFICIENT_DATA


# --------------------------------------------------------------------------- §5

PEERS = {"A": (1650, 100_000), "B": (2100, 150_000), "C": (1200, 80_000),
         "D": (1900, 120_000), "E": (1500, 110_000)}


def test_peer_worked_example() -> None:
    series = {k: series_from("2024-04", year_counts(c)) for k, (c, _) in PEERS.items()}
    pops = {k: float(p) for k, (_, p) in PEERS.items()}
    others = {k: v for k, v in series.items() if k != "A"}
    a = assess(series["A"], None, "2025-03", measure=measure(), partnership="A",
               peers=others, populations=pops)
    assert a.peer_rate == pytest.approx(16.50, abs=0.005)
    assert a.peer_average == pytest.approx(14.911, abs=TOL)
    assert a.peer_distance == pytest.approx(1.59, abs=0.005)
    assert a.peer_excess == pytest.approx(158.9, abs=0.05)
    assert a.peer_phi == pytest.approx(8.83, abs=0.005)
    assert (a.peer_lower, a.peer_upper) == (pytest.approx(12.66, abs=0.005),
                                            pytest.approx(17.16, abs=0.005))
    assert a.peer_position is PeerPosition.IN_LINE
    assert a.peer_members == ("A", "B", "C", "D", "E")
    assert ("The Vehicle crime rate of 16.5 per 1,000 residents is in line with the most "
            "similar group average of 14.9.") in a.narrative


def test_peer_figures_that_would_give_back_a_hidden_total_are_hidden() -> None:
    # a rate per 1,000 on a published population is the rolling total in disguise
    series = {k: series_from("2024-04", year_counts(c)) for k, (c, _) in PEERS.items()}
    values = list(series["A"])
    values[-1] = 2
    pops = {k: float(p) for k, (_, p) in PEERS.items()}
    others = {k: v for k, v in series.items() if k != "A"}
    a = assess(series_from("2024-04", values), None, "2025-03", measure=measure(),
               partnership="A", peers=others, populations=pops, sub_area=True)
    assert a.peer_position is not None and "rolling_12" in a.suppressed_fields
    doc = public_view(a).to_json()
    assert {"peer_rate", "peer_distance", "peer_distance_pct", "peer_excess"} <= set(
        a.suppressed_fields)
    assert doc["peer_rate"] is None and doc["peer_excess"] is None
    assert any("most similar group average." in s for s in a.narrative)
    assert not any("per 1,000" in s for s in a.narrative)
    peers_line = next(line for line in render_text(a).splitlines()
                      if "Most similar group" in line)
    assert f"{fmt_number(a.peer_rate, 1)} vs" not in peers_line and "<5 vs" in peers_line
    table = performance_table(a)
    cell = table.cell(ROW_PEER_DISTANCE, table.columns[1])
    assert cell.note == short_reason(NotAssessedReason.SUPPRESSED) and "%" not in cell.text


def test_peers_without_a_group_or_population_give_reasons() -> None:
    s = series_from("2024-04", year_counts(1650))
    alone = assess(s, None, "2025-03", measure=measure(), partnership="A")
    assert alone.reason(AssessmentPart.PEERS) is NotAssessedReason.NO_PEER_GROUP
    assert NotAssessedReason.NO_PEER_GROUP.sentence in alone.narrative
    no_pop = assess(s, None, "2025-03", measure=measure(), partnership="A",
                    peers={"B": s}, populations={"B": 1000.0})
    assert no_pop.reason(AssessmentPart.PEERS) is NotAssessedReason.NO_POPULATION
    assert no_pop.peer_position is None


# --------------------------------------------------------------------------- §6


def survey_measure() -> Measure:
    return measure(kind="proportion", polarity=Polarity.HIGHER_IS_BETTER, source="survey",
                   theme="perception", id="survey-deal-with-issues",
                   name="Agree the police and council deal with the issues that matter")


def test_survey_worked_example() -> None:
    waves = [SurveyWave("2023/24 Q4", "2024-03", 550, 1000),
             SurveyWave("2024/25 Q4", "2025-03", 600, 1000)]
    spec = target("survey", polarity=Polarity.HIGHER_IS_BETTER, value=65,
                  measure="survey-deal-with-issues", theme="perception")
    a = assess(None, spec, "2025-03", measure=survey_measure(), survey=waves)
    assert a.survey_percent == pytest.approx(60.0)
    assert (a.survey_ci_low, a.survey_ci_high) == (pytest.approx(56.9, abs=0.05),
                                                   pytest.approx(63.0, abs=0.05))
    assert a.baseline_percent == pytest.approx(55.0)
    assert a.survey_change_pp == pytest.approx(5.0)
    assert a.survey_significance is SignificanceLabel.SIGNIFICANT_INCREASE
    assert a.baseline_value == pytest.approx(55.0) and a.target_value == 65
    assert a.data_to == "2025-03" and a.survey_wave == "2024/25 Q4"
    assert ("Agree the police and council deal with the issues that matter: 60.0% (95% CI "
            "56.9% to 63.0%) in the 2024/25 Q4 survey, a significant increase from the "
            "2023/24 baseline of 55.0%.") in a.narrative
    # 65% lies above the whole interval, but the rise is a significant improvement: amber
    assert a.rag is Rag.AMBER and a.not_assessed_reason is None
    assert ("The target of 65.0% for Agree the police and council deal with the issues that "
            "matter is not met and the shortfall is significant.") in a.narrative
    assert not any("trajectory" in s or "projected" in s or "cannot be assessed" in s
                   for s in a.narrative), a.narrative
    check_reasons(a)


@pytest.mark.parametrize(("now", "value", "rating", "words"), [
    (600, 58, Rag.GREEN, "is met"),  # the wave meets the target
    (600, 62, Rag.AMBER, "is not yet met; it is within the margin of error"),  # 62 in 56.9-63.0
    (560, 65, Rag.RED, "is not met and the shortfall is significant"),  # no significant rise
])
def test_survey_rating(now: int, value: int, rating: Rag, words: str) -> None:
    waves = [SurveyWave("2023/24 Q4", "2024-03", 550, 1000),
             SurveyWave("2024/25 Q4", "2025-03", now, 1000)]
    spec = target("survey", polarity=Polarity.HIGHER_IS_BETTER, value=value,
                  measure="survey-deal-with-issues", theme="perception")
    a = assess(None, spec, "2025-03", measure=survey_measure(), survey=waves)
    assert a.rag is rating and a.rag_computed is rating
    assert f"{value}.0% for Agree the police and council deal with the issues that matter " \
           f"{words}." in " ".join(a.narrative)
    check_reasons(a)


def test_survey_parts_that_do_not_apply_say_so() -> None:
    waves = [SurveyWave("2023/24 Q4", "2024-03", 550, 1000),
             SurveyWave("2024/25 Q4", "2025-03", 600, 1000)]
    spec = target("survey", polarity=Polarity.HIGHER_IS_BETTER, value=65,
                  measure="survey-deal-with-issues", theme="perception")
    a = assess(None, spec, "2025-03", measure=survey_measure(), survey=waves)
    for part in (AssessmentPart.ROLLING, AssessmentPart.TRAJECTORY, AssessmentPart.PAST_MONTH,
                 AssessmentPart.COMPARISON, AssessmentPart.TREND, AssessmentPart.PEERS,
                 AssessmentPart.SPC):
        assert a.reason(part) is NotAssessedReason.NOT_APPLICABLE, part
    assert a.trajectory_status is None and a.trend_projection is None
    assert a.reason(AssessmentPart.SURVEY) is None and a.reason(AssessmentPart.TARGET) is None
    late = assess(None, spec, "2026-03", measure=survey_measure(), survey=waves,
                  max_lag_months=3)
    assert late.not_assessed_reason is NotAssessedReason.SOURCE_LATE
    assert late.reason(AssessmentPart.SPC) is NotAssessedReason.NOT_APPLICABLE
    assert late.reason(AssessmentPart.SURVEY) is NotAssessedReason.SOURCE_LATE
    check_reasons(late)
    untargeted = assess(None, None, "2025-03", measure=survey_measure(), survey=waves)
    assert untargeted.not_assessed_reason is NotAssessedReason.NO_TARGET
    check_reasons(untargeted)


def test_survey_target_not_yet_in_force_is_not_rated() -> None:
    waves = [SurveyWave("2023/24 Q4", "2024-03", 550, 1000),
             SurveyWave("2024/25 Q4", "2025-03", 600, 1000)]
    spec = target("survey", polarity=Polarity.HIGHER_IS_BETTER, value=58,
                  measure="survey-deal-with-issues", theme="perception",
                  strategy={"start": "2025-04", "end": "2028-03"})
    a = assess(None, spec, "2025-03", measure=survey_measure(), survey=waves)
    assert a.rag is None and a.not_assessed_reason is NotAssessedReason.TARGET_NOT_IN_FORCE
    assert not any("The target of" in s for s in a.narrative)
    check_reasons(a)


def test_survey_waves_read_from_numerator_and_denominator_series() -> None:
    num = series_from("2024-03", [550, None, None, None, None, None, None, None, None, None,
                                  None, None, 600])
    den = series_from("2024-03", [1000] + [None] * 11 + [1000])
    spec = target("survey", polarity=Polarity.HIGHER_IS_BETTER, value=65,
                  measure="survey-deal-with-issues", theme="perception")
    a = assess(num, spec, "2025-03", measure=survey_measure(), denominators=den)
    assert a.survey_percent == pytest.approx(60.0)
    assert a.survey_significance is SignificanceLabel.SIGNIFICANT_INCREASE


# --------------------------------------------------------------------------- §7


def test_spc_vignette_series() -> None:
    values = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    a = assess(series_from("2023-10", values), None, "2025-03", measure=measure())
    assert a.spc_mean == pytest.approx(1.944, abs=TOL)
    assert a.spc_upper == pytest.approx(4.604, abs=TOL)
    assert a.spc_lower == pytest.approx(-0.716, abs=TOL)
    assert len(a.spc_points) == 18 and a.spc_points[-1].month == "2025-03"
    outside = a.spc_points[4]
    assert outside.month == "2024-02"
    assert outside.point_type is SpcPointType.SPECIAL_CAUSE_CONCERN  # high is bad for crime
    unscreened = assess(series_from("2023-10", values), None, "2025-03", measure=measure(),
                        settings=MethodSettings(screen_outliers=False))
    assert unscreened.spc_upper == pytest.approx(6.952, abs=TOL)


def test_spc_trend_of_seven_and_assurance() -> None:
    values = [10] * 17 + [11, 12, 13, 14, 15, 16, 17]  # from 2023-04: a rising trend of 7
    spec = target("level", value=12 * 11)  # 11 a month: inside the process limits
    unscreened = MethodSettings(screen_outliers=False)  # screening would drop every range
    a = assess(series_from("2023-04", values), spec, "2025-03", measure=measure(),
               settings=unscreened)
    assert a.spc_target == pytest.approx(11)
    assert a.spc_lower is not None and a.spc_upper is not None
    assert a.spc_lower < 11 < a.spc_upper
    assert [p.rules for p in a.spc_points[-7:]] != [()] * 7
    assert a.spc_points[-1].point_type is SpcPointType.SPECIAL_CAUSE_CONCERN
    assert a.variation_icon is VariationIcon.CONCERN_HIGH
    assert a.assurance_icon is AssuranceIcon.INCONSISTENT
    above = assess(series_from("2023-04", values), target("level", value=12 * 30), "2025-03",
                   measure=measure(), settings=unscreened)
    # a target above the upper limit is always met when lower is better
    assert above.assurance_icon is AssuranceIcon.CONSISTENT_PASS


# --------------------------------------------------------------------------- §8, §9


def da_rate_measure() -> Measure:
    return measure(kind="proportion", source="domestic_abuse", theme="domestic_abuse",
                   id="da-repeat-rate", name="Repeat domestic abuse crime rate")


def test_proportion_rolling_rate_is_sum_of_numerators_over_denominators() -> None:
    num = series_from("2023-04", [3] * 12 + [2] * 12)
    den = series_from("2023-04", [10] * 12 + [10] * 12)
    spec = target("rate", value=28, measure="da-repeat-rate", theme="domestic_abuse")
    a = assess(num, spec, "2025-03", measure=da_rate_measure(), denominators=den)
    assert a.rolling_12 == pytest.approx(20.0)
    assert (a.rolling_12_numerator, a.rolling_12_denominator) == (24, 120)
    assert a.baseline_value == pytest.approx(30.0) and a.target_value == 28
    assert a.change_12m_pp == pytest.approx(-10.0)
    assert a.target_achieved is True and a.rag is Rag.GREEN
    assert a.past_month is None  # a Poisson count test does not apply to a rate
    assert a.reason(AssessmentPart.PAST_MONTH) is NotAssessedReason.NOT_APPLICABLE
    assert a.reason(AssessmentPart.SURVEY) is NotAssessedReason.NOT_APPLICABLE
    check_reasons(a)
    assert a.target_text == "28.0% or lower by March 2027"


def test_small_domestic_abuse_counts_are_flagged_and_never_narrated() -> None:
    da = measure(source="domestic_abuse", theme="domestic_abuse", id="da-crimes",
                 name="Domestic abuse crimes", polarity=Polarity.HIGHER_IS_BETTER)
    values = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0] * 2
    values[-1] = 1
    a = assess(series_from("2023-04", values), None, "2025-03", measure=da)
    assert a.rolling_12 == 4 and a.month_value == 1 and a.suppressed
    assert {"month_value", "rolling_12", "previous_rolling_12", "change_12m"} <= set(
        a.suppressed_fields)
    assert any(p.suppressed for p in a.history)
    assert NotAssessedReason.SUPPRESSED.sentence in a.narrative
    assert not any(re.search(r"\b[1-4] crimes?\b", s) for s in a.narrative), a.narrative


def test_proportion_on_fewer_than_ten_cases_is_not_shown() -> None:
    num = series_from("2023-04", [0] * 23 + [1])
    den = series_from("2023-04", [0] * 23 + [6])
    a = assess(num, None, "2025-03", measure=da_rate_measure(), denominators=den)
    assert "rolling_12" in a.suppressed_fields and "month_value" in a.suppressed_fields


def test_police_counts_at_partnership_level_are_not_suppressed() -> None:
    a = assess(baseline_then(2, 3), None, "2025-03", measure=measure())
    assert not a.suppressed and a.suppressed_fields == ()


def test_sub_area_counts_are_suppressed() -> None:
    a = assess(baseline_then(2, 3), None, "2025-03", measure=measure(), sub_area=True)
    assert "rolling_12" in a.suppressed_fields


def _published(doc: dict[str, Any]) -> tuple[set[int], list[range]]:
    """What public_json publishes of a count series as exact sums of months (positions in
    the history): the months whose own count is shown, and every total shown."""
    months = [p["month"] for p in doc["history"]]
    at = {m: i for i, m in enumerate(months)}
    shown = {at[p["month"]] for p in doc["history"] if p["value"] is not None}
    shown |= {at[p["month"]] for p in doc["spc_points"] if p["value"] is not None}
    if doc["month_value"] is not None:
        shown.add(at[doc["data_to"]])
    totals = [window_months(at[p["month"]], 12) for p in doc["history"]
              if p["rolling_12"] is not None]
    end = Month.parse(doc["data_to"])
    ends = {"rolling_12": end, "previous_rolling_12": end - 12, "baseline_value": BASELINE_END}
    totals += [window_months(at[str(m)], 12) for name, m in ends.items()
               if doc[name] is not None and str(m) in at]
    return shown, totals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([0, 1, 3, 5, 6, 8, 12]), min_size=36, max_size=36))
def test_nothing_published_gives_back_a_hidden_month(values: list[int]) -> None:
    # §9 across months: the counts and totals shown, taken together, never pin down a
    # month of 1-4, however they are added up or differenced
    series = series_from("2022-04", values)
    a = assess(series, target("reduction", percent=5), "2025-03", measure=measure(),
               sub_area=True)
    doc = public_view(a).to_json()
    hidden = {i for i, v in enumerate(values) if 0 < v < 5}
    shown, totals = _published(doc)
    assert not hidden & shown
    assert disclosed_months(hidden, shown, totals, len(values)) == frozenset()
    if not hidden:
        assert not a.suppressed


def test_a_hidden_month_hides_the_twelve_rolling_totals_that_include_it() -> None:
    values = [10] * 36
    values[20] = 2  # 2023-12
    a = assess(series_from("2022-04", values), target("reduction", percent=5), "2025-03",
               measure=measure(), sub_area=True)
    flagged = [p.month for p in a.history if p.rolling_suppressed]
    assert flagged == [str(Month(2023, 12) + i) for i in range(12)]
    assert [p.month for p in a.history if p.suppressed] == ["2023-12"]
    assert "baseline_value" in a.suppressed_fields  # 2023/24 includes December
    assert {"target_value", "change_from_baseline_pct"} <= set(a.suppressed_fields)
    assert "rolling_12" not in a.suppressed_fields  # April 2024 to March 2025 does not
    assert "previous_rolling_12" in a.suppressed_fields and "change_12m" in a.suppressed_fields
    shown, totals = _published(public_view(a).to_json())
    assert disclosed_months({20}, shown, totals, 36) == frozenset()
    assert all(public_view(a).to_json()["history"][i]["value"] == 10 for i in range(21, 36))
    trajectory = next(line for line in render_text(a).splitlines() if "Trajectory" in line)
    assert a.trajectory_lower is not None and "limits <5 to <5" in trajectory


def test_suppression_applies_when_the_data_is_late() -> None:
    values = [10] * 24
    values[20] = 2
    a = assess(series_from("2022-04", values), None, "2025-03", measure=measure(),
               sub_area=True, max_lag_months=3)
    assert a.reason(AssessmentPart.ROLLING) is NotAssessedReason.SOURCE_LATE
    assert [p.month for p in a.history if p.suppressed] == ["2023-12"]
    assert sum(p.rolling_suppressed for p in a.history) == 4  # Dec 2023 to Mar 2024
    assert public_view(a).to_json()["history"][20]["value"] is None


# --------------------------------------------------------------------------- §11, §13


def vehicle_and_burglary() -> tuple[Any, Any]:
    monthly = monthly_for_rolling(TREND_R)
    series = series_from(Month(2025, 3) - (len(monthly) - 1), monthly)
    good = assess(series, target("level", value=1078, strategy={"start": "2024-04",
                                                                 "end": "2026-03"}),
                  "2025-03", measure=measure())
    bad = assess(series, target("level", value=900, strategy={"start": "2024-04",
                                                               "end": "2026-03"}),
                 "2025-03", measure=measure(id="burglary", name="Burglary"))
    return good, bad


def test_outcome_rating_g_plus_r_is_amber() -> None:
    good, bad = vehicle_and_burglary()
    assert good.rag is Rag.GREEN
    assert bad.rag is Rag.RED
    text = narrate_outcome([good, bad])
    assert text.endswith("The outcome is rated Amber (A).")


def test_rag_override_keeps_the_computed_rating_and_the_reason() -> None:
    spec = target("level", value=900, strategy={"start": "2024-04", "end": "2026-03"},
                  rag_override={"rating": "A", "reason": "Recording change in 2024"})
    monthly = monthly_for_rolling(TREND_R)
    a = assess(series_from(Month(2025, 3) - (len(monthly) - 1), monthly), spec, "2025-03",
               measure=measure(id="burglary", name="Burglary"))
    assert (a.rag, a.rag_computed, a.rag_override_reason) == (
        Rag.AMBER, Rag.RED, "Recording change in 2024")


def _overridden(month: str, **override: str) -> Any:
    """The Red burglary assessment above, for ``month``, with an Amber override."""
    spec = target("level", value=900, strategy={"start": "2024-04", "end": "2026-03"},
                  rag_override={"rating": "A", "reason": "Recording change in 2024",
                                **override})
    monthly = monthly_for_rolling(TREND_R)
    return assess(series_from(Month(2025, 3) - (len(monthly) - 1), monthly), spec, month,
                  measure=measure(id="burglary", name="Burglary"), partnership="ashcombe")


def test_rag_override_in_force_until_its_month_says_who_set_it() -> None:
    a = _overridden("2025-03", until="2025-03", by="the Community Safety Manager")
    assert (a.rag, a.rag_computed, a.rag_override_by, a.rag_override_expired) == (
        Rag.AMBER, Rag.RED, "the Community Safety Manager", None)
    assert a.rag_override_text == \
        "Recording change in 2024 (set by the Community Safety Manager)"
    assert expired_overrides([a]) == []
    assert _overridden("2025-03").rag_override_text == "Recording change in 2024"


def test_rag_override_past_its_until_month_stops_and_says_so() -> None:
    a = _overridden("2025-04", until="2025-03", by="the Community Safety Manager")
    assert (a.rag, a.rag_computed, a.rag_override_reason, a.rag_override_by) == (
        Rag.RED, Rag.RED, None, None)
    assert a.rag_override_text is None
    assert a.rag_override_expired == (
        "the partnership's rating (Amber, set by the Community Safety Manager) applied until "
        "March 2025 and has expired; the rating shown is computed")
    assert expired_overrides([a, a]) == [
        "ashcombe, target t1, April 2025 bulletin: the partnership's rating (Amber, set by the "
        "Community Safety Manager) applied until March 2025 and has expired; the rating shown "
        "is computed (extend its `until` or remove it in partnerships/ashcombe.yaml)"]
    unsigned = _overridden("2025-04", until="2025-03")
    assert unsigned.rag_override_expired is not None
    assert unsigned.rag_override_expired.startswith("the partnership's rating (Amber) applied")


def test_override_fields_survive_the_json_round_trip() -> None:
    for a in (_overridden("2025-03", by="the Board"), _overridden("2025-04", until="2025-03")):
        j = json.loads(json.dumps(a.to_json()))
        assert assessment_from_json(j) == a


def test_no_target_and_monitor_only() -> None:
    s = baseline_then(913, 900)
    none = assess(s, None, "2025-03", measure=measure())
    assert none.rag is None and none.not_assessed_reason is NotAssessedReason.NO_TARGET
    assert none.rolling_12 == 900
    monitor = assess(s, target("monitor"), "2025-03", measure=measure())
    assert monitor.not_assessed_reason is NotAssessedReason.MONITOR_ONLY
    assert (monitor.monitor_reason, monitor.plan_target) == ("data unreliable", None)
    assert "This target is monitored only: data unreliable." in monitor.narrative
    assert NotAssessedReason.MONITOR_ONLY.sentence not in monitor.narrative


def test_data_to_is_the_latest_month_with_data() -> None:
    s = baseline_then(913, 900)  # to 2025-03
    a = assess(s, target(percent=5), "2025-05", measure=measure())
    assert a.month == "2025-05" and a.data_to == "2025-03"
    assert a.rolling_12 == 900 and a.trajectory_month_index == 12
    late = assess(s, target(percent=5), "2025-07", measure=measure(), max_lag_months=2)
    assert late.rag is None and late.not_assessed_reason is NotAssessedReason.SOURCE_LATE
    assert late.rolling_12 is None


def test_no_data_at_all_is_source_late_not_an_error() -> None:
    for series in (None, pd.Series(dtype=float), series_from("2025-01", [None, None])):
        a = assess(series, target(percent=5), "2025-03", measure=measure())
        assert a.rag is None and a.not_assessed_reason is NotAssessedReason.SOURCE_LATE
        assert a.narrative == (NotAssessedReason.SOURCE_LATE.sentence,)


def test_a_gap_is_missing_months_never_zero() -> None:
    values: list[float | None] = list(year_counts(913) + year_counts(900))
    values[-3] = None
    a = assess(series_from("2023-04", values), target(percent=5), "2025-03", measure=measure())
    assert a.rolling_12 is None
    assert a.reason(AssessmentPart.ROLLING) is NotAssessedReason.MISSING_MONTHS
    assert a.not_assessed_reason is NotAssessedReason.MISSING_MONTHS


# --------------------------------------------------------------------------- JSON


def test_json_has_the_documented_keys_and_vocabularies() -> None:
    a = assess(baseline_then(913, 895), target(percent=5), "2025-03", measure=measure())
    j = json.loads(json.dumps(a.to_json()))
    for key in ("rolling_12", "previous_rolling_12", "change_12m_pct", "month_value",
                "expected_low", "expected_high", "past_month", "trajectory_status",
                "trend_sufficient", "rag", "not_assessed_reason", "narrative"):
        assert key in j
    assert j["past_month"] in ("above", "in_line", "below", None)
    assert j["trajectory_status"] == "on"
    assert j["trend_sufficient"] is None
    assert j["rag"] is None and j["not_assessed_reason"] == "insufficient_data"
    assert isinstance(j["narrative"], list) and all(isinstance(s, str) for s in j["narrative"])
    assert j["month"] == "2025-03" and j["history"][0]["month"] == "2023-04"
    assert j["settings"]["tolerance"] == 0.1
    assert assessment_from_json(j) == a


def test_assess_does_not_mutate_its_inputs() -> None:
    s = baseline_then(913, 900)
    before = s.copy()
    peers = {"B": s.copy()}
    assess(s, target(percent=5), "2025-03", measure=measure(), partnership="A", peers=peers,
           populations={"A": 1.0, "B": 1.0})
    pd.testing.assert_series_equal(s, before)
    pd.testing.assert_series_equal(peers["B"], before)


def test_assessment_is_immutable() -> None:
    a = assess(baseline_then(913, 900), None, "2025-03", measure=measure())
    with pytest.raises(AttributeError):
        a.rag = Rag.GREEN  # type: ignore[misc]
    with pytest.raises(TypeError):
        a.reasons[AssessmentPart.RAG] = NotAssessedReason.NO_TARGET  # type: ignore[index]


# --------------------------------------------------------------------------- properties

counts = st.integers(min_value=0, max_value=400)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(level=st.integers(min_value=0, max_value=300), months=st.integers(13, 40))
def test_constant_series_is_in_line_and_never_special_cause(level: int, months: int) -> None:
    a = assess(series_from(Month(2025, 3) - (months - 1), [level] * months), None, "2025-03",
               measure=measure())
    assert a.past_month is PastMonth.IN_LINE
    assert all(p.point_type is SpcPointType.COMMON_CAUSE for p in a.spc_points)
    assert a.variation_icon is VariationIcon.COMMON_CAUSE


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.integers(20, 200), min_size=36, max_size=40),
       level=st.integers(500, 3000), k=st.integers(2, 7))
def test_scaling_series_and_target_keeps_scale_free_statuses(
        values: list[int], level: int, k: int) -> None:
    """Multiplying the series and a level target by ``k`` scales B, T, D, the trajectory,
    the OLS projection and the SPC mean and limits by ``k``, so every comparison between
    them is unchanged: trajectory status, target achieved, trend sufficiency and
    direction, the 12-month % change, every SPC point type, both icons, and the RAG.

    Deliberately not checked, because they are not scale-free: the past-month label
    (Poisson variance grows with the mean, so z grows with sqrt(k)), the peer position
    (funnel width grows with sqrt(E)), and count targets set as a percentage with the
    ceiling rule (``ceil(k*B*r) != k*ceil(B*r)``).
    """
    first = Month(2025, 3) - (len(values) - 1)
    spec = target("level", value=level)
    scaled_spec = target("level", value=level * k)
    a = assess(series_from(first, values), spec, "2025-03", measure=measure())
    b = assess(series_from(first, [v * k for v in values]), scaled_spec, "2025-03",
               measure=measure())
    assert b.trajectory_status is a.trajectory_status
    assert b.target_achieved is a.target_achieved
    assert b.trend_sufficient is a.trend_sufficient
    assert b.trend_direction is a.trend_direction
    assert (a.change_12m_pct is None) == (b.change_12m_pct is None)
    if a.change_12m_pct is not None:
        assert b.change_12m_pct == pytest.approx(a.change_12m_pct)
    assert [p.point_type for p in b.spc_points] == [p.point_type for p in a.spc_points]
    assert (b.variation_icon, b.assurance_icon) == (a.variation_icon, a.assurance_icon)
    assert b.rag is a.rag


_SWAP = {SpcPointType.SPECIAL_CAUSE_IMPROVEMENT: SpcPointType.SPECIAL_CAUSE_CONCERN,
         SpcPointType.SPECIAL_CAUSE_CONCERN: SpcPointType.SPECIAL_CAUSE_IMPROVEMENT,
         SpcPointType.COMMON_CAUSE: SpcPointType.COMMON_CAUSE}
_SWAP_ICON = {AssuranceIcon.CONSISTENT_PASS: AssuranceIcon.CONSISTENT_FAIL,
              AssuranceIcon.CONSISTENT_FAIL: AssuranceIcon.CONSISTENT_PASS,
              AssuranceIcon.INCONSISTENT: AssuranceIcon.INCONSISTENT, None: None}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.integers(20, 200), min_size=36, max_size=40),
       level=st.integers(500, 3000),
       polarity=st.sampled_from(list(Polarity)))
def test_flipping_polarity_swaps_good_and_bad(values: list[int], level: int,
                                              polarity: Polarity) -> None:
    """Positions stay (they describe position only); verdicts and SPC labels swap.

    With the same target a Red (not met, worse than the trajectory, trend not
    sufficient) becomes a Green under the other polarity (the position is then
    beyond the target in the good direction).
    """
    first = Month(2025, 3) - (len(values) - 1)
    series = series_from(first, values)
    flipped = flip_polarity(polarity)
    a = assess(series, target("level", polarity=polarity, value=level), "2025-03",
               measure=measure(polarity=polarity))
    b = assess(series, target("level", polarity=flipped, value=level), "2025-03",
               measure=measure(polarity=flipped))
    assert (b.trajectory_status, b.past_month, b.trend_direction) == (
        a.trajectory_status, a.past_month, a.trend_direction)
    if a.rolling_12 is not None and a.rolling_12 != level:
        assert b.target_achieved is (not a.target_achieved)
    if a.trend_projection is not None and a.trend_projection != level:
        assert b.trend_sufficient is (not a.trend_sufficient)
    assert [p.point_type for p in b.spc_points] == [_SWAP[p.point_type] for p in a.spc_points
                                                   if p.point_type is not None]
    assert b.assurance_icon is _SWAP_ICON[a.assurance_icon]
    if a.rag is Rag.RED:
        assert b.rag is Rag.GREEN
    if b.rag is Rag.RED:
        assert a.rag is Rag.GREEN


gappy = st.lists(st.one_of(st.none(), counts, st.just(0)), max_size=50)
kinds = st.sampled_from(["reduction", "level", "increase", "improvement", "maintenance",
                         "milestones", "monitor", None])


def spec_for(kind: str | None, polarity: Polarity) -> Any:
    if kind is None:
        return None
    extra: dict[str, Any] = {
        "reduction": {"percent": 5}, "level": {"value": 100},
        "increase": {"percent": 10}, "milestones": {"steps": {
            "2024/25": 90, "2025/26": 80, "2026/27": 70}},
    }.get(kind, {})
    if kind == "reduction":
        polarity = Polarity.LOWER_IS_BETTER
    if kind == "increase":
        polarity = Polarity.HIGHER_IS_BETTER
    return target(kind, polarity=polarity, **extra)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=gappy, kind=kinds, polarity=st.sampled_from(list(Polarity)),
       end=st.integers(0, 60), zero=st.booleans())
def test_assess_never_raises_on_short_gappy_or_zero_series(
        values: list[int | None], kind: str | None, polarity: Polarity, end: int,
        zero: bool) -> None:
    if zero:
        values = [0] * len(values)
    month = Month(2022, 1) + end
    first = month - max(len(values) - 1, 0)
    spec = spec_for(kind, polarity)
    a = assess(series_from(first, values), spec, str(month), measure=measure(
        polarity=spec.polarity if spec is not None else polarity),
        peers={"B": series_from(first, values)}, partnership="A",
        populations={"A": 1000.0, "B": 2000.0})
    assert (a.rag is None) == (a.not_assessed_reason is not None)
    json.dumps(a.to_json(), allow_nan=False)
    check_reasons(a)
    for name in ("rolling_12", "month_value", "trend_projection", "peer_rate"):
        value = getattr(a, name)
        assert value is None or math.isfinite(value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(num=st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=40),
       extra=st.lists(st.integers(0, 5), max_size=40))
def test_assess_never_raises_on_gappy_proportions(num: list[int | None],
                                                  extra: list[int]) -> None:
    den = [None if n is None else n + (extra[i] if i < len(extra) else 0)
           for i, n in enumerate(num)]
    first = Month(2025, 3) - max(len(num) - 1, 0)
    spec = target("rate", value=28, measure="da-repeat-rate", theme="domestic_abuse")
    a = assess(series_from(first, num), spec, "2025-03", measure=da_rate_measure(),
               denominators=series_from(first, den))
    json.dumps(a.to_json(), allow_nan=False)
    check_reasons(a)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(waves=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), max_size=12),
       value=st.integers(1, 99), polarity=st.sampled_from(list(Polarity)),
       targeted=st.booleans())
def test_assess_never_raises_on_any_survey_waves(waves: list[tuple[int, int]], value: int,
                                                 polarity: Polarity, targeted: bool) -> None:
    """Quarterly waves ending at the bulletin month, some empty: a rating or a reason."""
    last = Month(2025, 3)
    given_waves = [SurveyWave(f"w{i}", str(last - 3 * (len(waves) - 1 - i)), min(x, n), n)
                   for i, (x, n) in enumerate(waves)]
    spec = target("survey", polarity=polarity, value=value,
                  measure="survey-deal-with-issues", theme="perception") if targeted else None
    a = assess(None, spec, "2025-03", measure=survey_measure(), survey=given_waves)
    json.dumps(a.to_json(), allow_nan=False)
    assert (a.rag is None) == (a.not_assessed_reason is not None)
    check_reasons(a)


# --------------------------------------------------------------------------- seed params


SEEDS = ("kettering", "corby", "south-derbyshire", "ashford")


def test_seed_partnerships_load_and_an_unfed_measure_is_not_assessed() -> None:
    partnerships = load_partnerships(PARAMS)
    measures = load_measures(PARAMS)
    present = [s for s in SEEDS if s in partnerships]
    if not present:
        pytest.skip("no seed partnership params shipped yet")
    for pid in present:
        p = partnerships[pid]
        with_measure = [t for t in p.targets if t.measure]
        assert with_measure, pid
        t = with_measure[0]
        a = assess(None, t, "2025-03", measure=measures[t.measure], partnership=pid,
                   partnership_name=p.name)
        assert a.rag is None
        assert a.not_assessed_reason in (NotAssessedReason.SOURCE_LATE,
                                         NotAssessedReason.MONITOR_ONLY)
        assert a.narrative


@pytest.mark.parametrize(("kind", "extra", "polarity", "value", "text"), [
    ("level", {"value": 850}, Polarity.LOWER_IS_BETTER, 850,
     "850 or fewer by March 2027"),
    ("increase", {"percent": 10}, Polarity.HIGHER_IS_BETTER, 1005,  # 913 + ceil(91.3)
     "an increase of 10.0% (92) by March 2027"),
    ("increase", {"amount": 50}, Polarity.HIGHER_IS_BETTER, 963,
     "an increase of 50 (to 963) by March 2027"),
    ("increase", {"to": 1000}, Polarity.HIGHER_IS_BETTER, 1000,
     "an increase to 1,000 by March 2027"),
    ("improvement", {}, Polarity.LOWER_IS_BETTER, 912,
     "an improvement on the previous year (fewer than 913) by March 2027"),
    ("improvement", {}, Polarity.HIGHER_IS_BETTER, 914,
     "an improvement on the previous year (more than 913) by March 2027"),
    ("maintenance", {}, Polarity.LOWER_IS_BETTER, 913,
     "to stay no worse than the baseline of 913 by March 2027"),
    ("rate", {"value": 8.5, "unit": "per_1000"}, Polarity.LOWER_IS_BETTER, 850,
     "a rate of 8.5 per 1,000 residents (850 a year) by March 2027"),
])
def test_every_target_kind_maps_to_a_target_level(kind: str, extra: dict[str, Any],
                                                  polarity: Polarity, value: float,
                                                  text: str) -> None:
    a = assess(baseline_then(913, 900), target(kind, polarity=polarity, **extra), "2025-03",
               measure=measure(polarity=polarity), partnership="A",
               populations={"A": 100_000.0})
    assert a.baseline_value == 913
    assert a.target_value == pytest.approx(value)
    assert a.required_change == pytest.approx(913 - value)
    assert a.target_text == text
    assert a.trajectory_status is not None


def test_a_rate_per_population_without_a_population_is_not_assessed() -> None:
    a = assess(baseline_then(913, 900), target("rate", value=8.5, unit="per_1000"), "2025-03",
               measure=measure())
    assert a.target_value is None and a.rag is None
    assert a.not_assessed_reason is NotAssessedReason.NO_POPULATION
