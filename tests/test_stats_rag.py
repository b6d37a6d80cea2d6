"""Measure and outcome RAG ratings (methods.md §11)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdrp_lib.params import Polarity
from cdrp_lib.stats.enums import NotAssessedReason, Rag, TrajectoryStatus, flip_polarity
from cdrp_lib.stats.rag import (
    RagResult,
    apply_override,
    measure_rag,
    outcome_rag,
    trajectory_favourable,
)

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
