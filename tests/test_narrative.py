"""narrate() and narrate_outcome(): every combination of statuses, and no contradiction.

* Every combination of trajectory status x target achieved x past month x trend
  (direction and sufficiency) x peer position, every survey target position x
  significance x polarity, and every not-assessed reason, is
  generated and kept as a reviewed snapshot (tests/snapshots/narrative_combinations.txt).
  The test fails on any difference; regenerate with ``UPDATE_SNAPSHOTS=1`` and
  read the diff.  Polarity is not a dimension of the snapshot because no sentence's
  wording depends on it (statuses describe position, verdicts are inputs); a test
  checks exactly that, so the snapshot covers both polarities.
* Every generated sentence passes grammar checks, and its figures, parsed back out
  with a regex, equal the Assessment's figures after display rounding.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdrp_lib.assessment import Assessment, AssessmentPart, TrendDirection
from cdrp_lib.narrative import Fact, narrate, narrate_outcome, sentences
from cdrp_lib.public import public_view
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    PastMonth,
    PeerPosition,
    Polarity,
    Rag,
    SignificanceLabel,
    SurveyTargetPosition,
    TrajectoryStatus,
    flip_polarity,
)
from cdrp_lib.stats.rounding import fmt_number, fmt_pct, round_half_up
from cdrp_lib.stats.units import is_rate

SNAPSHOT = Path(__file__).parent / "snapshots" / "narrative_combinations.txt"

# --------------------------------------------------------------------------- builders


def base(**changes: Any) -> Assessment:
    """A vehicle-crime Assessment with no facts; tests switch facts on."""
    a = Assessment(partnership="ashcombe", partnership_name="Ashcombe CSP",
                   measure="vehicle-crime", measure_name="Vehicle crime",
                   theme="acquisitive_crime", kind="count",
                   polarity=Polarity.LOWER_IS_BETTER, month="2025-03", data_to="2025-03")
    return dataclasses.replace(a, **changes)


def with_target(**changes: Any) -> Assessment:
    return base(target_id="vehicle-crime", baseline_label="2023/24", baseline_value=913.0,
                target_value=867.0, required_change=46.0, target_by="2027-03",
                target_text="a reduction of 5.0% (46) by March 2027", **changes)


POSITIONS: tuple[tuple[TrajectoryStatus | None, bool | None], ...] = (
    *((s, achieved) for s in TrajectoryStatus for achieved in (False, True)),
    (None, None),
)
PAST_MONTHS: tuple[PastMonth | None, ...] = (*PastMonth, None)
TRENDS: tuple[tuple[TrendDirection | None, bool | None], ...] = (
    *((d, ok) for d in TrendDirection for ok in (True, False)),
    (TrendDirection.FALLING, None),  # a projection but no target in force
    (None, None),
)
PEER_POSITIONS: tuple[PeerPosition | None, ...] = (*PeerPosition, None)


def status_combination(position: tuple[TrajectoryStatus | None, bool | None],
                       past: PastMonth | None,
                       trend: tuple[TrendDirection | None, bool | None],
                       peer: PeerPosition | None,
                       polarity: Polarity = Polarity.LOWER_IS_BETTER) -> Assessment:
    status, achieved = position
    direction, sufficient = trend
    fields: dict[str, Any] = {"polarity": polarity, "trajectory_status": status,
                              "target_achieved": achieved, "past_month": past,
                              "target_by": "2027-03" if sufficient is not None else None}
    if past is not None:
        fields.update(month_value={PastMonth.ABOVE: 84.0, PastMonth.BELOW: 41.0,
                                   PastMonth.IN_LINE: 66.0}[past],
                      expected_low=51.6, expected_high=79.4)
    if direction is not None:
        fields.update(trend_direction=direction, trend_sufficient=sufficient,
                      trend_projection={TrendDirection.FALLING: 851.5,
                                        TrendDirection.RISING: 932.4,
                                        TrendDirection.FLAT: 900.0}[direction])
    if peer is not None:
        fields.update(peer_position=peer, peer_rate=16.4978, peer_average=14.9107)
    return base(**fields)


# A survey wave that meets its target, falls short within its 95% interval, or falls
# significantly short, for each polarity (target 60% when higher is better, else 40%).
SURVEY_WAVES: dict[tuple[Polarity, SurveyTargetPosition], tuple[float, float, float]] = {
    (Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.MET): (61.2, 58.1, 64.2),
    (Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.WITHIN_MARGIN): (58.0, 54.9, 61.0),
    (Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.SHORT): (52.0, 48.9, 55.1),
    (Polarity.LOWER_IS_BETTER, SurveyTargetPosition.MET): (38.8, 35.8, 41.9),
    (Polarity.LOWER_IS_BETTER, SurveyTargetPosition.WITHIN_MARGIN): (42.0, 39.0, 45.1),
    (Polarity.LOWER_IS_BETTER, SurveyTargetPosition.SHORT): (48.0, 44.9, 51.1),
}
SURVEY_CHANGES: tuple[SignificanceLabel | None, ...] = (*SignificanceLabel, None)


def survey_case(polarity: Polarity, position: SurveyTargetPosition,
                change: SignificanceLabel | None) -> Assessment:
    percent, low, high = SURVEY_WAVES[(polarity, position)]
    higher = polarity is Polarity.HIGHER_IS_BETTER
    target = 60.0 if higher else 40.0
    name = "Feel safe outside after dark" if higher else \
        "Perceive a high level of anti-social behaviour"
    # the baseline agrees with the change label: 6 points away if significant, 1 if not
    baseline = percent - {SignificanceLabel.SIGNIFICANT_INCREASE: 6.0,
                          SignificanceLabel.SIGNIFICANT_DECREASE: -6.0}.get(change, 1.0) \
        if change is not None else 50.0
    return base(measure="survey-measure", measure_name=name,
                kind="proportion", theme="perception", polarity=polarity,
                baseline_label="2023/24", baseline_value=baseline, baseline_percent=baseline,
                target_value=target, target_by="2027-03",
                target_text=f"{fmt_pct(target)} by March 2027", survey_wave="2025 Q4",
                survey_percent=percent, survey_ci_low=low, survey_ci_high=high,
                survey_n=950.0, survey_change_pp=None if change is None else percent - baseline,
                survey_significance=change,
                reasons={AssessmentPart.ROLLING: NotAssessedReason.NOT_APPLICABLE,
                         AssessmentPart.TRAJECTORY: NotAssessedReason.NOT_APPLICABLE,
                         AssessmentPart.TREND: NotAssessedReason.NOT_APPLICABLE})


def reason_case(reason: NotAssessedReason) -> Assessment:
    part = AssessmentPart.PEERS if reason in (
        NotAssessedReason.NO_PEER_GROUP, NotAssessedReason.NOT_IN_PEER_GROUP,
        NotAssessedReason.NO_POPULATION) else AssessmentPart.RAG
    return base(not_assessed_reason=reason, reasons={part: reason},
                suppressed=reason is NotAssessedReason.SUPPRESSED,
                suppressed_fields=("month_value",) if reason is NotAssessedReason.SUPPRESSED
                else ())


FIGURE_CASES: dict[str, Assessment] = {
    "target and fall from baseline": with_target(change_from_baseline_pct=-4.2, rolling_12=875.0),
    "rise from baseline of 11.3%": with_target(change_from_baseline_pct=11.25, rolling_12=1016.0),
    "no change from baseline": with_target(change_from_baseline_pct=0.04, rolling_12=913.0),
    "12-month fall (methods 3)": base(rolling_12=1650.0, previous_rolling_12=1726.0,
                                      change_12m=-76.0, change_12m_pct=-4.4032),
    "12-month rise of one crime": base(rolling_12=1.0, previous_rolling_12=0.0,
                                       change_12m=1.0, change_12m_pct=None),
    "12-month same": base(rolling_12=80.0, previous_rolling_12=80.0, change_12m=0.0,
                          change_12m_pct=0.0),
    "one crime last month": base(past_month=PastMonth.ABOVE, month_value=1.0,
                                 expected_low=0.0, expected_high=0.0),
    "target met": with_target(target_achieved=True, trajectory_status=TrajectoryStatus.BELOW),
    "past the target date": with_target(data_to="2027-06", trend_direction=TrendDirection.FALLING,
                                        trend_projection=800.0, trend_sufficient=True),
    "incidents (ASB, monitor only)": base(
        measure="anti-social-behaviour", measure_name="Anti-social behaviour",
        count_noun="incidents", rolling_12=3553.0, previous_rolling_12=3729.0,
        change_12m=-176.0, change_12m_pct=-4.7197, not_assessed_reason=(
            NotAssessedReason.MONITOR_ONLY), reasons={AssessmentPart.RAG: (
                NotAssessedReason.MONITOR_ONLY)}),
    "proportion (repeat rate)": base(
        measure="da-repeat-rate", measure_name="Repeat domestic abuse crime rate",
        kind="proportion", theme="domestic_abuse", baseline_label="2023/24",
        baseline_value=31.25, target_value=28.0, target_by="2027-03",
        target_text="28.0% or lower by March 2027", rolling_12=27.449,
        previous_rolling_12=30.1, change_12m=-2.651, change_12m_pp=-2.651,
        change_12m_pct=-8.807, trend_direction=TrendDirection.FALLING,
        trend_projection=25.04, trend_sufficient=True, peer_position=PeerPosition.BELOW,
        peer_rate=27.449, peer_average=33.05),
    "survey significant increase (methods 6)": base(
        measure="survey-deal-with-issues",
        measure_name="Agree the police and council deal with the issues that matter",
        kind="proportion", theme="perception", polarity=Polarity.HIGHER_IS_BETTER,
        baseline_label="2023/24", survey_wave="2024/25 Q4", survey_percent=60.0,
        survey_ci_low=56.9277, survey_ci_high=62.9897, survey_n=1000.0,
        baseline_percent=55.0, survey_change_pp=5.0,
        survey_significance=SignificanceLabel.SIGNIFICANT_INCREASE),
    "survey no significant change": base(
        measure="survey-feel-safe-night", measure_name="Feel safe outside after dark",
        kind="proportion", theme="perception", polarity=Polarity.HIGHER_IS_BETTER,
        baseline_label="2023/24", survey_wave="2025Q4", survey_percent=43.3,
        survey_ci_low=36.0, survey_ci_high=50.9, baseline_percent=47.0,
        survey_change_pp=-3.7, survey_significance=SignificanceLabel.NO_SIGNIFICANT_CHANGE),
    "suppressed small counts (DA)": base(
        measure="da-crimes", measure_name="Domestic abuse crimes", theme="domestic_abuse",
        polarity=Polarity.HIGHER_IS_BETTER, rolling_12=4.0, previous_rolling_12=6.0,
        change_12m=-2.0, change_12m_pct=-33.3, month_value=1.0, past_month=PastMonth.ABOVE,
        expected_low=0.0, expected_high=0.9, trend_direction=TrendDirection.RISING,
        trend_projection=5.2, suppressed=True, suppressed_fields=(
            "change_12m", "change_12m_pct", "month_value", "rolling_12")),
}


def outcome_cases() -> dict[str, list[Assessment]]:
    def rated(name: str, rag: Rag | None, reason: NotAssessedReason | None = None,
              **extra: Any) -> Assessment:
        return base(measure_name=name, rag=rag, not_assessed_reason=reason, **extra)

    g = rated("Vehicle crime", Rag.GREEN, trajectory_status=TrajectoryStatus.BELOW,
              trend_direction=TrendDirection.FALLING, trend_projection=851.0,
              trend_sufficient=True, target_by="2027-03", past_month=PastMonth.IN_LINE)
    r = rated("Burglary", Rag.RED, trajectory_status=TrajectoryStatus.ABOVE,
              trend_direction=TrendDirection.RISING, trend_projection=932.0,
              trend_sufficient=False, target_by="2027-03", past_month=PastMonth.ABOVE,
              month_value=84.0, expected_low=52.0, expected_high=79.0,
              peer_position=PeerPosition.ABOVE, peer_rate=7.5, peer_average=5.8)
    a = rated("Shoplifting", Rag.AMBER, trajectory_status=TrajectoryStatus.ON,
              trend_direction=TrendDirection.FLAT, trend_projection=900.0,
              trend_sufficient=False, target_by="2027-03")
    none = rated("Robbery", None, NotAssessedReason.NO_TARGET)
    late = rated("Domestic abuse crimes", None, NotAssessedReason.SOURCE_LATE)
    return {
        "G + R -> A (methods 11)": [g, r],
        "G + A -> G": [g, a],
        "R + A -> R": [r, a],
        "G + not assessed": [g, none],
        "nothing assessed, one reason": [late],
        "nothing assessed, two reasons": [none, late],
        "surveys: short but improving A + met G -> G": [
            dataclasses.replace(survey_case(Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.SHORT,
                                            SignificanceLabel.SIGNIFICANT_INCREASE),
                                rag=Rag.AMBER),
            dataclasses.replace(survey_case(Polarity.LOWER_IS_BETTER, SurveyTargetPosition.MET,
                                            SignificanceLabel.NO_SIGNIFICANT_CHANGE),
                                rag=Rag.GREEN)],
    }


def all_cases() -> Iterator[tuple[str, Assessment]]:
    for position, past, trend, peer in itertools.product(POSITIONS, PAST_MONTHS, TRENDS,
                                                         PEER_POSITIONS):
        key = (f"trajectory={position[0].value if position[0] else '-'} "
               f"achieved={'-' if position[1] is None else position[1]} "
               f"past_month={past.value if past else '-'} "
               f"trend={trend[0].value if trend[0] else '-'}/"
               f"{'-' if trend[1] is None else trend[1]} "
               f"peers={peer.value if peer else '-'}")
        yield key, status_combination(position, past, trend, peer)
    for polarity, position, change in itertools.product(Polarity, SurveyTargetPosition,
                                                        SURVEY_CHANGES):
        yield (f"survey {polarity.value} target={position.value} "
               f"change={change.value if change else '-'}",
               survey_case(polarity, position, change))
    for reason in NotAssessedReason:
        yield f"not assessed: {reason.value}", reason_case(reason)
    yield from FIGURE_CASES.items()


def render_snapshot() -> str:
    blocks = []
    for key, a in all_cases():
        lines = narrate(a)
        blocks.append(f"## {key}\n" + "\n".join(lines or ("(no sentence)",)))
    for key, group in outcome_cases().items():
        blocks.append(f"## outcome: {key}\n{narrate_outcome(group)}")
    return "\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------- snapshot


def test_narrative_snapshot_of_every_combination() -> None:
    text = render_snapshot()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    if not SNAPSHOT.exists():
        pytest.fail(f"{SNAPSHOT} is missing: run with UPDATE_SNAPSHOTS=1 and review it")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if text != expected:
        import difflib

        diff = "".join(itertools.islice(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True),
            "snapshot", "now"), 60))
        pytest.fail(f"narrative differs from the reviewed snapshot "
                    f"(UPDATE_SNAPSHOTS=1 to accept after review):\n{diff}")


def test_wording_does_not_depend_on_polarity() -> None:
    for position, past, trend, peer in itertools.product(POSITIONS, PAST_MONTHS, TRENDS,
                                                         PEER_POSITIONS):
        lower = status_combination(position, past, trend, peer, Polarity.LOWER_IS_BETTER)
        higher = status_combination(position, past, trend, peer,
                                    flip_polarity(Polarity.LOWER_IS_BETTER))
        assert narrate(lower) == narrate(higher)


# --------------------------------------------------------------------------- grammar

_BAD = (re.compile(r"\s{2,}"), re.compile(r"\bNone\b"), re.compile(r"\bn/a\b"),
        re.compile(r"\s[,.]"), re.compile(r"\.\."), re.compile(r"\bA (8|11\b|18\b)"),
        re.compile(r"\bAn (?!8|11|18)\d"), re.compile(r"-\d"), re.compile(r"\b1 crimes\b"),
        re.compile(r"\bnan\b", re.I))


def check_grammar(text: str) -> None:
    assert text[0].isupper(), text
    assert text.endswith("."), text
    for bad in _BAD:
        assert not bad.search(text), (bad.pattern, text)
    assert text.count("(") == text.count(")"), text


def test_every_sentence_is_well_formed() -> None:
    for _, a in all_cases():
        for s in narrate(a):
            check_grammar(s)
    for group in outcome_cases().values():
        check_grammar(narrate_outcome(group))


def test_one_sentence_per_not_assessed_reason() -> None:
    for reason in NotAssessedReason:
        if reason is NotAssessedReason.NOT_APPLICABLE:
            continue
        found = narrate(reason_case(reason))
        assert found.count(reason.sentence) == 1
        assert len(found) == 1


def test_a_part_that_does_not_apply_is_never_mentioned() -> None:
    """NOT_APPLICABLE keeps "every missing figure has a reason" but is never printed."""
    never = NotAssessedReason.NOT_APPLICABLE.sentence
    a = reason_case(NotAssessedReason.NOT_APPLICABLE)
    assert narrate(a) == ()
    every_part = base(reasons=dict.fromkeys(AssessmentPart, NotAssessedReason.NOT_APPLICABLE))
    assert narrate(every_part) == ()
    assert never not in narrate_outcome([a, every_part])
    assert never not in narrate_outcome([a, with_target(rag=Rag.GREEN)])
    for _, case in all_cases():
        assert never not in narrate(case)


def test_survey_says_nothing_of_trajectory_or_trend() -> None:
    """A survey has neither: even an Assessment carrying them gets no such sentence."""
    a = dataclasses.replace(
        survey_case(Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.SHORT,
                    SignificanceLabel.NO_SIGNIFICANT_CHANGE),
        trajectory_status=TrajectoryStatus.BELOW, trend_direction=TrendDirection.RISING,
        trend_projection=55.0, trend_sufficient=False, target_achieved=False)
    facts = {s.fact for s in sentences(a)}
    assert Fact.POSITION not in facts and Fact.PROJECTION not in facts
    assert facts == {Fact.TARGET, Fact.SURVEY, Fact.SURVEY_TARGET}
    met = dataclasses.replace(survey_case(Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.MET,
                                          None), target_achieved=True)
    assert Fact.ACHIEVED not in {s.fact for s in sentences(met)}  # said once, not twice


@pytest.mark.parametrize(("position", "ending"), [
    (SurveyTargetPosition.MET, "is met."),
    (SurveyTargetPosition.WITHIN_MARGIN, "is not yet met; it is within the margin of error."),
    (SurveyTargetPosition.SHORT, "is not met and the shortfall is significant."),
])
@pytest.mark.parametrize("polarity", list(Polarity))
def test_survey_target_sentence(position: SurveyTargetPosition, ending: str,
                                polarity: Polarity) -> None:
    a = survey_case(polarity, position, SignificanceLabel.NO_SIGNIFICANT_CHANGE)
    found = [s.text for s in sentences(a) if s.fact is Fact.SURVEY_TARGET]
    assert found == [f"The target of {fmt_pct(a.target_value)} for {a.measure_name} {ending}"]


def test_survey_target_sentence_needs_a_target_in_force() -> None:
    a = survey_case(Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.SHORT, None)
    not_yet = dataclasses.replace(a, reasons={
        AssessmentPart.TARGET: NotAssessedReason.TARGET_NOT_IN_FORCE})
    assert Fact.SURVEY_TARGET not in {s.fact for s in sentences(not_yet)}
    assert Fact.SURVEY_TARGET not in {
        s.fact for s in sentences(dataclasses.replace(a, target_value=None))}


def test_survey_outcome_paragraph_states_the_target_and_rating_without_contradiction() -> None:
    a = dataclasses.replace(
        survey_case(Polarity.HIGHER_IS_BETTER, SurveyTargetPosition.WITHIN_MARGIN,
                    SignificanceLabel.NO_SIGNIFICANT_CHANGE), rag=Rag.AMBER,
        outcome_code="P1")
    text = narrate_outcome([a])
    assert text == ("Feel safe outside after dark: 58.0% (95% CI 54.9% to 61.0%) in the "
                    "2025 Q4 survey, no significant change from the 2023/24 baseline of 57.0%. "
                    "The target of 60.0% for Feel safe outside after dark is not yet met; "
                    "it is within the margin of error. The outcome is rated Amber (A).")
    assert "cannot be assessed" not in text


def test_no_sentence_when_its_fact_is_unavailable() -> None:
    assert narrate(base()) == ()


def test_in_line_month_gives_no_sentence() -> None:
    a = base(past_month=PastMonth.IN_LINE, month_value=66.0, expected_low=52.0,
             expected_high=79.0)
    assert not [s for s in sentences(a) if s.fact is Fact.PAST_MONTH]


def test_suppressed_counts_never_appear() -> None:
    a = FIGURE_CASES["suppressed small counts (DA)"]
    text = " ".join(narrate(a))
    assert not re.search(r"\b[1-6]\b", text), text
    assert NotAssessedReason.SUPPRESSED.sentence in narrate(a)


def test_methods_examples_read_as_in_the_specification() -> None:
    text = narrate(FIGURE_CASES["12-month fall (methods 3)"])
    assert text == ("Over the last 12 months, Vehicle crime totalled 1,650 crimes, 76 (4.4%) "
                    "fewer than in the previous 12 months.",)
    assert narrate(FIGURE_CASES["target and fall from baseline"])[:2] == (
        "The 2023/24 baseline for Vehicle crime was 913 recorded crimes. The target is a "
        "reduction of 5.0% (46). It is to be met by March 2027.",
        "A 4.2% reduction in Vehicle crime has been recorded from the baseline.")


def test_outcome_paragraph_order_and_rating() -> None:
    g, r = outcome_cases()["G + R -> A (methods 11)"]
    text = narrate_outcome([g, r])
    order = [text.index("The current position for Vehicle crime"),
             text.index("The current position for Burglary"),
             text.index("the figure for Vehicle crime is projected"),
             text.index("the figure for Burglary is projected"),
             text.index("The March 2025 figure for Burglary"),
             text.index("The Burglary rate")]
    assert order == sorted(order)
    assert text.endswith("The outcome is rated Amber (A).")
    assert narrate_outcome([]) .startswith("The outcome is not rated")


# --------------------------------------------------------------------------- parse back

NUM = r"[\d,]+(?:\.\d+)?"


def _d(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _shown(x: float, decimals: int = 0) -> Decimal:
    return round_half_up(x, decimals)


def check_recent_change(a: Assessment, t: str) -> None:
    """A projection against the last 12 months' change says both, each matching its figure;
    a projection that agrees with the change (or with no change shown) says only itself.
    The change is the public view's: one withheld by disclosure control is not said."""
    a = public_view(a)
    m = re.search(rf"has (risen|fallen) ({NUM})(%| percentage points) over the last 12 months, "
                  "although the", t)
    change = a.change_12m_pp if a.is_proportion else a.change_12m_pct
    nil = change is None or (_shown(change, 1) == 0 if a.is_proportion
                             else a.change_12m is None or _shown(a.change_12m, 0) == 0)
    against = not nil and change is not None and (
        (change > 0 and a.trend_direction is TrendDirection.FALLING)
        or (change < 0 and a.trend_direction is TrendDirection.RISING))
    assert (m is not None) == against, t
    if m is not None and change is not None:
        assert (m[1] == "risen") == (change > 0), t
        assert _d(m[2]) == _shown(abs(change), 1), t


def check_figures(a: Assessment) -> None:
    """Parse every figure back out of each sentence and compare with the Assessment."""
    count_dp = 1 if a.is_proportion or is_rate(a.unit) else 0  # rates print one decimal
    for s in sentences(a):
        t = s.text
        if s.fact is Fact.TARGET and a.ceiling_limit is not None:
            m = re.search(rf"the cohort of ({NUM}) .+ should not commit more than ({NUM}) ", t)
            assert m and _d(m[1]) == _shown(a.cohort_size or 0), t
            assert _d(m[2]) == _shown(a.ceiling_limit), t
        elif s.fact is Fact.TARGET:
            # "The 2023/24 baseline for X was 913 ..." or, in a rate's words, "The target for X
            # for 2025/26 is 220.0 ... per 100,000 population. The 2024/25 baseline was 213.5 ..."
            # ... or a mean's: "The baseline for X is based on a twelve month mean ... and is 61"
            m = re.search(rf"baseline (?:for .+ )?(?:was|is based on .+ and is) ({NUM})%?", t)
            assert m and _d(m[1]) == _shown(a.baseline_value or 0, count_dp), t
        elif s.fact is Fact.BASELINE_CHANGE:
            m = re.search(rf"An? ({NUM})(?:%| percentage point) (reduction|increase)", t)
            if a.is_proportion:
                change = (a.rolling_12 or 0) - (a.baseline_value or 0)
            else:
                change = a.change_from_baseline_pct or 0
            if m is None:
                assert "no change" in t and _shown(change, 1) == 0, t
            else:
                assert _d(m[1]) == _shown(abs(change), 1), t
                assert (m[2] == "reduction") == (change < 0), t
        elif s.fact is Fact.POSITION and a.ceiling_limit is not None and "committed" in t:
            m = re.search(rf"(?:committed|cohort committed) ({NUM}) ", t)
            assert m and _d(m[1]) == _shown(a.rolling_12 or 0), t
        elif s.fact is Fact.POSITION:
            words = {"below": TrajectoryStatus.BELOW, "in line with": TrajectoryStatus.ON,
                     "above": TrajectoryStatus.ABOVE}
            m = re.search(r" is (below|in line with|above) the target trajectory", t)
            assert m and words[m[1]] is a.trajectory_status, t
        elif s.fact is Fact.ACHIEVED:
            assert a.target_achieved is True
        elif s.fact is Fact.PROJECTION:
            m = re.search(rf"(?:projected to|trend projects an?) (fall|rise|stay level)"
                          rf"(?: (?:to|at) ({NUM})%?)?", t)
            assert m, t
            move = {"fall": TrendDirection.FALLING, "rise": TrendDirection.RISING,
                    "stay level": TrendDirection.FLAT}[m[1]]
            assert move is a.trend_direction, t
            check_recent_change(a, t)
            if m[2] is not None:
                assert _d(m[2]) == _shown(a.trend_projection or 0, count_dp), t
            if "will not be met" in t:
                assert a.trend_sufficient is False, t
            elif "will be met" in t:
                assert a.trend_sufficient is True, t
            else:
                assert a.trend_sufficient is None, t
        elif s.fact is Fact.PAST_MONTH:
            m = re.search(rf"(?:, ({NUM}) \w+,)? was (above|below) the expected level"
                          rf"(?: \(expected ({NUM}) to ({NUM})\))?", t)
            assert m, t
            assert (m[2] == "above") == (a.past_month is PastMonth.ABOVE), t
            if m[1] is not None:
                assert _d(m[1]) == _shown(a.month_value or 0), t
            if m[3] is not None:
                assert _d(m[3]) == _shown(a.expected_low or 0), t
                assert _d(m[4]) == _shown(a.expected_high or 0), t
        elif s.fact is Fact.COMPARISON:
            m = re.search(rf"(?:totalled|was) ({NUM})%?", t)
            assert m and _d(m[1]) == _shown(a.rolling_12 or 0, count_dp), t
            if is_rate(a.unit) or a.unit == "mean_12_months":  # change as a percentage only
                m = re.search(rf", ({NUM})% (lower|higher) than a year earlier", t)
                pct = a.change_12m_pct or 0
                assert ("the same as" in t and _shown(pct, 1) == 0) if m is None else (
                    _d(m[1]) == _shown(abs(pct), 1) and (m[2] == "lower") == (pct < 0)), t
                continue
            m = re.search(rf", ({NUM})(?: \(({NUM})%\))?(?: percentage points)? "
                          r"(fewer|more|lower|higher) than", t)
            change = a.change_12m or 0
            if m is None:
                assert "the same as" in t and _shown(change, count_dp) == 0, t
            else:
                assert _d(m[1]) == _shown(abs(change), count_dp), t
                assert (m[3] in ("fewer", "lower")) == (change < 0), t
                if m[2] is not None:
                    assert _d(m[2]) == _shown(abs(a.change_12m_pct or 0), 1), t
        elif s.fact is Fact.PEERS and public_view(a).is_withheld("peer_rate", "peer_average"):
            # disclosure control withholds the rates (§9): the position is said, no figure
            m = re.search(r" rate is (significantly above|in line with|significantly below) "
                          r"the most similar group average\.$", t)
            assert m, t
            assert m[1].endswith({PeerPosition.ABOVE: "above", PeerPosition.IN_LINE: "with",
                                  PeerPosition.BELOW: "below"}[a.peer_position]), t  # type: ignore[index]
        elif s.fact is Fact.PEERS:
            m = re.search(rf"of ({NUM})%?(?: per 1,000 residents)? is (significantly above|"
                          rf"in line with|significantly below) the most similar group "
                          rf"average of ({NUM})", t)
            assert m, t
            assert _d(m[1]) == _shown(a.peer_rate or 0, 1), t
            assert _d(m[3]) == _shown(a.peer_average or 0, 1), t
            assert m[2].endswith({PeerPosition.ABOVE: "above", PeerPosition.IN_LINE: "with",
                                  PeerPosition.BELOW: "below"}[a.peer_position]), t  # type: ignore[index]
        elif s.fact is Fact.SURVEY:
            m = re.search(rf": ({NUM})% \(95% CI ({NUM})% to ({NUM})%\)", t)
            assert m, t
            assert _d(m[1]) == _shown(a.survey_percent or 0, 1), t
            assert _d(m[2]) == _shown(a.survey_ci_low or 0, 1), t
            assert _d(m[3]) == _shown(a.survey_ci_high or 0, 1), t
            b = re.search(rf"baseline of ({NUM})%", t)
            if b:
                assert _d(b[1]) == _shown(a.baseline_percent or 0, 1), t
                assert a.survey_significance is not None and a.survey_significance.words in t
        elif s.fact is Fact.SURVEY_TARGET:
            m = re.search(rf"^The target of ({NUM})% for .+ (is met|is not yet met; it is "
                          r"within the margin of error|is not met and the shortfall is "
                          r"significant)\.$", t)
            assert m, t
            target, pct = a.target_value or 0, a.survey_percent or 0
            assert _d(m[1]) == _shown(target, 1), t
            higher = a.polarity is Polarity.HIGHER_IS_BETTER
            met = pct >= target if higher else pct <= target
            inside = (a.survey_ci_low or 0) <= target <= (a.survey_ci_high or 0)
            assert (m[2] == "is met") == met, t
            assert ("margin of error" in m[2]) == (not met and inside), t
            assert ("significant" in m[2]) == (not met and not inside), t
        elif s.fact is Fact.NOT_ASSESSED:
            assert t in {r.sentence for r in NotAssessedReason}, t
            assert t != NotAssessedReason.NOT_APPLICABLE.sentence, t


def test_no_sentence_contradicts_its_assessment() -> None:
    for _, a in all_cases():
        check_figures(a)


positive = st.floats(min_value=0, max_value=50_000, allow_nan=False, allow_infinity=False)
signed = st.floats(min_value=-100, max_value=300, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["count", "proportion"]), rolling=positive, baseline=positive,
       change=st.floats(-5000, 5000, allow_nan=False), pct=st.one_of(st.none(), signed),
       month_value=positive, low=positive, width=positive,
       past=st.sampled_from([PastMonth.ABOVE, PastMonth.BELOW]),
       direction=st.sampled_from(list(TrendDirection)), projection=positive,
       sufficient=st.one_of(st.none(), st.booleans()),
       peer=st.sampled_from(list(PeerPosition)), rate=positive, average=positive,
       survey=st.floats(0, 100, allow_nan=False), ci=st.floats(0, 20, allow_nan=False),
       noun=st.sampled_from(["crimes", "incidents", "referrals"]))
def test_random_figures_read_back_exactly(
        kind: str, rolling: float, baseline: float, change: float, pct: float | None,
        month_value: float, low: float, width: float, past: PastMonth,
        direction: TrendDirection, projection: float, sufficient: bool | None,
        peer: PeerPosition, rate: float, average: float, survey: float, ci: float,
        noun: str) -> None:
    if kind == "proportion":
        rolling, baseline, projection = (min(x, 100.0) for x in (rolling, baseline, projection))
    a = base(kind=kind, count_noun=noun, baseline_label="2023/24", baseline_value=baseline,
             target_by="2027-03" if sufficient is not None else None,
             change_from_baseline_pct=pct, rolling_12=rolling, previous_rolling_12=rolling - change,
             change_12m=change, change_12m_pp=change if kind == "proportion" else None,
             change_12m_pct=pct, month_value=month_value, past_month=past, expected_low=low,
             expected_high=low + width, trend_direction=direction, trend_projection=projection,
             trend_sufficient=sufficient, peer_position=peer, peer_rate=rate,
             peer_average=average, survey_percent=survey, survey_ci_low=max(0.0, survey - ci),
             survey_ci_high=min(100.0, survey + ci), baseline_percent=baseline % 100,
             survey_significance=SignificanceLabel.NO_SIGNIFICANT_CHANGE)
    check_figures(a)
    for s in narrate(a):
        check_grammar(s)


def test_figures_are_formatted_as_in_the_tables() -> None:
    """Thousands separators, one-decimal percentages and rates, as the table helpers print."""
    a = FIGURE_CASES["12-month fall (methods 3)"]
    assert fmt_number(a.rolling_12) in narrate(a)[0]
    assert fmt_pct(abs(a.change_12m_pct or 0)) in narrate(a)[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.integers(0, 150), st.none()), min_size=12, max_size=48),
       percent=st.integers(1, 30), polarity=st.sampled_from(list(Polarity)),
       da=st.booleans())
def test_real_assessments_never_contradict_their_narrative(
        values: list[int | None], percent: int, polarity: Polarity, da: bool) -> None:
    """End to end: assess() on random gappy series, then parse every figure back."""
    import pandas as pd
    from pydantic import TypeAdapter

    from cdrp_lib.assess import assess
    from cdrp_lib.params import Measure
    from cdrp_lib.params import Target as TargetSpec
    from cdrp_lib.periods import Month

    source, theme = ("domestic_abuse", "domestic_abuse") if da else ("police", "acquisitive_crime")
    measure = Measure(id="m", name="Vehicle crime", theme=theme, source=source,  # type: ignore[arg-type]
                      polarity=polarity)
    kind = "reduction" if polarity is Polarity.LOWER_IS_BETTER else "increase"
    spec = TypeAdapter(TargetSpec).validate_python({
        "id": "t", "kind": kind, "measure": "m", "outcome": "A1", "outcome_title": "Outcome",
        "title": "Target", "theme": theme, "lead": "Police", "polarity": polarity.value,
        "baseline": "2023/24", "strategy": {"start": "2024-04", "end": "2027-03"},
        "percent": percent})
    last = Month(2025, 3)
    idx = [str(last - (len(values) - 1 - i)) for i in range(len(values))]
    series = pd.Series([float("nan") if v is None else v for v in values], index=idx)
    others = {"B": series * 2, "C": series + 3, "D": series, "E": series * 3}
    a = assess(series, spec, "2025-03", measure=measure, partnership="A", peers=others,
               populations={"A": 10_000.0, "B": 20_000.0, "C": 12_000.0, "D": 9_000.0,
                            "E": 30_000.0})
    check_figures(a)
    for s in a.narrative:
        check_grammar(s)
    assert a.narrative == narrate(a)


# --------------------------------------------------------------------------- monitor targets


def monitored(**changes: Any) -> Assessment:
    return base(target_id="asb", target_kind="monitor", measure="anti-social-behaviour",
                measure_name="Anti-social behaviour", not_assessed_reason=(
                    NotAssessedReason.MONITOR_ONLY),
                reasons={AssessmentPart.RAG: NotAssessedReason.MONITOR_ONLY}, **changes)


def test_a_monitor_target_says_why_and_the_plans_target_in_its_own_words() -> None:
    a = monitored(monitor_reason="Police ASB recording changed during 2023/24,\nso no target.",
                  plan_target="40 a year")
    said = [(s.fact, s.text) for s in sentences(a) if s.fact in (Fact.MONITOR,
                                                                 Fact.NOT_ASSESSED)]
    assert said == [
        (Fact.MONITOR, "This target is monitored only: Police ASB recording changed during "
                       "2023/24, so no target."),
        (Fact.MONITOR, "The plan's target: 40 a year.")]
    assert narrate_outcome([a]).startswith(
        "Anti-social behaviour is monitored only: Police ASB recording changed during "
        "2023/24, so no target. The outcome is not rated")


def test_a_monitor_target_keeps_its_other_reasons_and_without_a_plan_target_says_only_why(
        ) -> None:
    a = monitored(monitor_reason="No public data", suppressed=True)
    said = [s.text for s in sentences(a) if s.fact in (Fact.MONITOR, Fact.NOT_ASSESSED)]
    assert said == ["This target is monitored only: No public data.",
                    NotAssessedReason.SUPPRESSED.sentence]


def test_without_its_own_reason_the_generic_sentence_stays() -> None:
    a = monitored()
    assert NotAssessedReason.MONITOR_ONLY.sentence in narrate(a)
    assert not [s for s in sentences(a) if s.fact is Fact.MONITOR]


def _history(rolling: list[float | None]) -> tuple[Any, ...]:
    from cdrp_lib.assessment import HistoryPoint

    months = [f"2025-{m:02d}" for m in range(1, len(rolling) + 1)]
    return tuple(HistoryPoint(m, 100.0, r) for m, r in zip(months, rolling, strict=True))


def test_a_rolling_chart_of_fewer_than_two_points_is_a_sentence_instead() -> None:
    """A store of one year (real forces' first files) gives one rolling figure: no line."""
    from cdrp_lib.narrative import rolling_too_short

    one = base(history=_history([None] * 11 + [1200.0]), data_to="2025-12")
    assert rolling_too_short(one) == (
        f"The rolling 12-month figure for {one.measure_name} needs 12 months of data for each "
        "point, so it has only one month, December 2025; its chart and trend start once there "
        "are two.")
    none = base(history=_history([None] * 11), data_to="2025-11")
    assert "so it has no month yet;" in (rolling_too_short(none) or "")
    two = base(history=_history([None] * 10 + [1200.0, 1210.0]), data_to="2025-12")
    assert rolling_too_short(two) is None
