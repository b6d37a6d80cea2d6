"""Measure and outcome RAG ratings (methods.md §11)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdrp_lib.stats.enums import (
    NotAssessedReason,
    Polarity,
    Rag,
    SignificanceLabel,
    SurveyTargetPosition,
    TrajectoryStatus,
    flip_polarity,
)
from cdrp_lib.stats.rag import (
    RagResult,
    apply_override,
    measure_rag,
    outcome_rag,
    survey_rag,
    survey_target_position,
    trajectory_favourable,
)
from cdrp_lib.stats.survey import wilson_interval

LOWER = Polarity.LOWER_IS_BETTER
HIGHER = Polarity.HIGHER_IS_BETTER


def _rag(status: TrajectoryStatus | None, sufficient: bool | None,
         polarity: Polarity = LOWER, achieved: bool = False) -> Rag | None:
    return measure_rag(polarity, target_achieved=achieved, trajectory=status,
                       trend_sufficient=sufficient).rating


def test_outcome_worked_example_vehicle_g_burglary_r() -> None:
    vehicle = _rag(TrajectoryStatus.BELOW, True)
    burglary = _rag(TrajectoryStatus.ABOVE, False)
    assert (vehicle, burglary) == (Rag.GREEN, Rag.RED)
    assert outcome_rag([vehicle, burglary]).rating is Rag.AMBER


@pytest.mark.parametrize(
    ("status", "sufficient", "rating"),
    [
        (TrajectoryStatus.BELOW, True, Rag.GREEN),
        (TrajectoryStatus.ON, True, Rag.GREEN),
        (TrajectoryStatus.ABOVE, True, Rag.AMBER),
        (TrajectoryStatus.ON, False, Rag.AMBER),
        (TrajectoryStatus.BELOW, False, Rag.AMBER),
        (TrajectoryStatus.ABOVE, False, Rag.RED),
    ],
)
def test_measure_rating_lower_is_better(status: TrajectoryStatus, sufficient: bool,
                                        rating: Rag) -> None:
    assert _rag(status, sufficient) is rating


def test_target_already_achieved_is_green() -> None:
    assert _rag(TrajectoryStatus.ABOVE, False, achieved=True) is Rag.GREEN
    assert _rag(None, None, achieved=True) is Rag.GREEN


def test_not_assessed_reasons() -> None:
    r = measure_rag(LOWER, target_achieved=None, trajectory=TrajectoryStatus.ON,
                    trend_sufficient=True, reason=NotAssessedReason.NO_TARGET)
    assert r.rating is None and r.reason is NotAssessedReason.NO_TARGET
    assert r.label == "\u2013 Not assessed"
    unknown = measure_rag(LOWER, target_achieved=False, trajectory=TrajectoryStatus.ON,
                          trend_sufficient=None)
    assert unknown.reason is NotAssessedReason.INSUFFICIENT_DATA


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([Rag.GREEN, Rag.GREEN, Rag.AMBER, Rag.AMBER], Rag.GREEN),  # mean 1.5
        ([Rag.AMBER, Rag.RED], Rag.RED),  # mean 2.5
        ([Rag.GREEN, Rag.AMBER, Rag.AMBER], Rag.AMBER),  # mean 1.67
        ([Rag.RED, None], Rag.RED),  # not-assessed measures are left out
    ],
)
def test_outcome_thresholds(ratings: list[Rag | None], expected: Rag) -> None:
    assert outcome_rag(ratings).rating is expected


def test_outcome_with_nothing_assessed() -> None:
    late = RagResult(None, NotAssessedReason.SOURCE_LATE)
    assert outcome_rag([late, late]).reason is NotAssessedReason.SOURCE_LATE
    mixed = [late, RagResult(None, NotAssessedReason.NO_TARGET)]
    assert outcome_rag(mixed).reason is NotAssessedReason.INSUFFICIENT_DATA
    assert outcome_rag([]).rating is None


def test_override_needs_a_reason() -> None:
    computed = measure_rag(LOWER, target_achieved=False, trajectory=TrajectoryStatus.ABOVE,
                           trend_sufficient=False)
    with pytest.raises(ValueError, match="reason"):
        apply_override(computed, Rag.AMBER, "  ")
    o = apply_override(computed, Rag.AMBER, " Recording change in April inflated counts ")
    assert o.rating is Rag.AMBER and o.computed is Rag.RED and o.overridden
    assert o.override_reason == "Recording change in April inflated counts"
    assert not computed.overridden


def test_never_colour_alone() -> None:
    assert [r.label for r in Rag] == ["G Green", "A Amber", "R Red"]
    assert RagResult(Rag.RED, computed=Rag.RED).label == "R Red"


MIRROR = {TrajectoryStatus.BELOW: TrajectoryStatus.ABOVE,
          TrajectoryStatus.ABOVE: TrajectoryStatus.BELOW,
          TrajectoryStatus.ON: TrajectoryStatus.ON}


@given(status=st.sampled_from(list(TrajectoryStatus)), sufficient=st.booleans(),
       polarity=st.sampled_from(list(Polarity)))
def test_flipping_polarity_swaps_good_and_bad(status: TrajectoryStatus, sufficient: bool,
                                              polarity: Polarity) -> None:
    """Below target is good for crime and bad for confidence: flipping the polarity turns
    a favourable off-target position unfavourable (on target stays favourable), and the
    rating of the mirrored position under the flipped polarity is the same rating."""
    flipped = flip_polarity(polarity)
    if status is not TrajectoryStatus.ON:
        assert trajectory_favourable(status, polarity) != trajectory_favourable(status, flipped)
    assert _rag(status, sufficient, polarity) is _rag(MIRROR[status], sufficient, flipped)


# --------------------------------------------------------------------------- surveys
#
# Target 60% (higher is better) or 40% (lower is better).  Each wave is a Wilson
# interval of x/1000, so the fixtures are real §6 figures, not made-up bounds:
#   met:    61.0% (57.9-64.0) / 39.0% (36.0-42.1)
#   within: 58.0% (54.9-61.0) / 42.0% (39.0-45.1): the target is inside the interval
#   short:  55.0% (51.9-58.1) / 45.0% (41.9-48.1): the interval is wholly short
INCREASE = SignificanceLabel.SIGNIFICANT_INCREASE
DECREASE = SignificanceLabel.SIGNIFICANT_DECREASE
NO_CHANGE = SignificanceLabel.NO_SIGNIFICANT_CHANGE
SURVEY_TARGET = {HIGHER: 60.0, LOWER: 40.0}
SURVEY_X = {
    (HIGHER, SurveyTargetPosition.MET): 610, (HIGHER, SurveyTargetPosition.WITHIN_MARGIN): 580,
    (HIGHER, SurveyTargetPosition.SHORT): 550, (LOWER, SurveyTargetPosition.MET): 390,
    (LOWER, SurveyTargetPosition.WITHIN_MARGIN): 420, (LOWER, SurveyTargetPosition.SHORT): 450,
}
IMPROVEMENT = {HIGHER: INCREASE, LOWER: DECREASE}
WORSENING = {HIGHER: DECREASE, LOWER: INCREASE}


def _survey(polarity: Polarity, position: SurveyTargetPosition,
            change: SignificanceLabel | None) -> RagResult:
    i = wilson_interval(SURVEY_X[(polarity, position)], 1000)
    assert i.proportion is not None and i.lower is not None and i.upper is not None
    return survey_rag(polarity, percent=100 * i.proportion, ci_low=100 * i.lower,
                      ci_high=100 * i.upper, target=SURVEY_TARGET[polarity], change=change)


@pytest.mark.parametrize("polarity", [HIGHER, LOWER])
@pytest.mark.parametrize(("position", "change", "rating"), [
    # G: the latest wave meets the target, whatever the change
    (SurveyTargetPosition.MET, "improvement", Rag.GREEN),
    (SurveyTargetPosition.MET, "worsening", Rag.GREEN),
    (SurveyTargetPosition.MET, None, Rag.GREEN),
    # A: not met, but the target is inside the wave's interval ...
    (SurveyTargetPosition.WITHIN_MARGIN, "none", Rag.AMBER),
    (SurveyTargetPosition.WITHIN_MARGIN, "worsening", Rag.AMBER),
    (SurveyTargetPosition.WITHIN_MARGIN, None, Rag.AMBER),
    # ... or the change from baseline is a significant improvement
    (SurveyTargetPosition.SHORT, "improvement", Rag.AMBER),
    # R: wholly short of the target and no significant improvement
    (SurveyTargetPosition.SHORT, "none", Rag.RED),
    (SurveyTargetPosition.SHORT, "worsening", Rag.RED),
])
def test_survey_rating_every_branch_both_polarities(
        polarity: Polarity, position: SurveyTargetPosition, change: str | None,
        rating: Rag) -> None:
    label = {"improvement": IMPROVEMENT[polarity], "worsening": WORSENING[polarity],
             "none": NO_CHANGE, None: None}[change]
    i = wilson_interval(SURVEY_X[(polarity, position)], 1000)
    assert i.lower is not None and i.upper is not None
    assert survey_target_position(polarity, percent=100 * (i.proportion or 0),
                                  ci_low=100 * i.lower, ci_high=100 * i.upper,
                                  target=SURVEY_TARGET[polarity]) is position
    result = _survey(polarity, position, label)
    assert result.rating is rating and result.computed is rating and result.reason is None


def test_survey_significantly_short_with_unknown_change_is_not_guessed() -> None:
    for polarity in (HIGHER, LOWER):
        result = _survey(polarity, SurveyTargetPosition.SHORT, None)
        assert result.rating is None
        assert result.reason is NotAssessedReason.INSUFFICIENT_DATA


def test_survey_target_exactly_reached_is_met_and_interval_edges_count_as_within() -> None:
    assert survey_target_position(HIGHER, percent=60.0, ci_low=57.0, ci_high=63.0,
                                  target=60.0) is SurveyTargetPosition.MET
    assert survey_target_position(LOWER, percent=40.0, ci_low=37.0, ci_high=43.0,
                                  target=40.0) is SurveyTargetPosition.MET
    assert survey_target_position(HIGHER, percent=57.0, ci_low=54.0, ci_high=60.0,
                                  target=60.0) is SurveyTargetPosition.WITHIN_MARGIN
    assert survey_target_position(LOWER, percent=43.0, ci_low=40.0, ci_high=46.0,
                                  target=40.0) is SurveyTargetPosition.WITHIN_MARGIN
    assert survey_target_position(HIGHER, percent=57.0, ci_low=54.0, ci_high=59.99,
                                  target=60.0) is SurveyTargetPosition.SHORT


def test_survey_rating_not_assessed_with_a_reason_or_missing_figures() -> None:
    given_reason = survey_rag(HIGHER, percent=70.0, ci_low=65.0, ci_high=75.0, target=60.0,
                              change=INCREASE, reason=NotAssessedReason.TARGET_NOT_IN_FORCE)
    assert given_reason.rating is None
    assert given_reason.reason is NotAssessedReason.TARGET_NOT_IN_FORCE
    for missing in ("percent", "ci_low", "ci_high", "target"):
        figures: dict[str, float | None] = {"percent": 70.0, "ci_low": 65.0, "ci_high": 75.0,
                                            "target": 60.0}
        figures[missing] = None
        r = survey_rag(HIGHER, change=INCREASE, **figures)
        assert r.rating is None and r.reason is NotAssessedReason.INSUFFICIENT_DATA, missing


@given(position=st.sampled_from(list(SurveyTargetPosition)),
       change=st.sampled_from([*SignificanceLabel, None]))
def test_survey_rating_mirrors_under_flipped_polarity(position: SurveyTargetPosition,
                                                      change: SignificanceLabel | None) -> None:
    """A wave as far short of 40% (lower is better) as another is of 60% (higher is better),
    with the change mirrored, gets the same rating."""
    mirror = {INCREASE: DECREASE, DECREASE: INCREASE, NO_CHANGE: NO_CHANGE, None: None}
    assert _survey(HIGHER, position, change).rating is \
        _survey(LOWER, position, mirror[change]).rating
