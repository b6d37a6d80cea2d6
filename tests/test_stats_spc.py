"""Making Data Count SPC rules as NHSRplotthedots 0.2.2 codes them (methods.md §7)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdrp_lib.stats.enums import (
    AssuranceIcon,
    ImprovementDirection,
    NotAssessedReason,
    Polarity,
    SpcPointType,
    SpcRule,
    VariationIcon,
    flip_polarity,
)
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.stats.spc import (
    SpcLimits,
    assurance_icon,
    classify_points,
    spc_chart,
    spc_limits,
)

VIGNETTE = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
INCREASE = ImprovementDirection.INCREASE
DECREASE = ImprovementDirection.DECREASE
NEUTRAL = ImprovementDirection.NEUTRAL


def wide_limits(mean: float, amr: float = 100) -> SpcLimits:
    """Limits so wide that only the run rules can fire: isolates shift and trend."""
    m, a = Fraction(mean), Fraction(amr)
    return SpcLimits(m, a, m + a * Fraction("2.66"), m - a * Fraction("2.66"),
                     m + a * Fraction("2.66") * 2 / 3, m - a * Fraction("2.66") * 2 / 3, 20, 0)


def rules_of(values: list[float], limits: SpcLimits, **kw: int) -> list[frozenset[SpcRule]]:
    return [p.rules for p in classify_points(values, limits, INCREASE, **kw)]


def test_vignette_limits_screened() -> None:
    lim = spc_limits(VIGNETTE)
    assert lim is not None
    assert float(lim.mean) == pytest.approx(1.944, abs=5e-4)
    assert float(lim.amr) == pytest.approx(1.000, abs=5e-4)
    assert float(lim.upper) == pytest.approx(4.604, abs=5e-4)
    assert float(lim.lower) == pytest.approx(-0.716, abs=5e-4)
    assert lim.screened_ranges == 2  # the ranges into and out of the 10


def test_vignette_limits_unscreened() -> None:
    lim = spc_limits(VIGNETTE, screen_outliers=False)
    assert lim is not None
    assert float(lim.amr) == pytest.approx(1.882, abs=5e-4)
    assert float(lim.upper) == pytest.approx(6.952, abs=5e-4)
    assert float(lim.lower) == pytest.approx(-3.063, abs=5e-4)


def test_near_limits_are_two_thirds_of_the_way() -> None:
    lim = spc_limits(VIGNETTE)
    assert lim is not None
    assert float(lim.near_upper - lim.mean) == pytest.approx(1.7733, abs=5e-5)


def test_package_test_1_to_7_is_a_trend_flagged_on_all_points() -> None:
    points = classify_points(list(range(1, 8)), wide_limits(4), INCREASE)
    assert all(SpcRule.TREND in p.rules for p in points)
    assert points[-1].point_type is SpcPointType.SPECIAL_CAUSE_IMPROVEMENT


def test_package_test_a_tie_breaks_the_trend() -> None:
    assert all(not r for r in rules_of([1, 2, 3, 3, 4, 5, 6], wide_limits(4)))


def test_package_test_eight_on_one_side_then_one_across_is_a_shift_on_1_to_8() -> None:
    rules = rules_of([5.0] * 8 + [-5.0], wide_limits(0))
    assert [SpcRule.SHIFT in r for r in rules] == [True] * 8 + [False]


def test_six_on_one_side_is_not_a_shift_and_the_mean_breaks_runs() -> None:
    assert all(not r for r in rules_of([5.0] * 6 + [-5.0], wide_limits(0)))
    broken = [5.0] * 4 + [0.0] + [5.0] * 4  # a point on the mean breaks the run
    assert all(not r for r in rules_of(broken, wide_limits(0)))


def test_run_lengths_are_parameters() -> None:
    assert all(SpcRule.SHIFT in r for r in rules_of([5.0] * 6, wide_limits(0), shift_length=6))
    assert all(SpcRule.TREND in r
               for r in rules_of([1, 2, 3, 4, 5], wide_limits(30), trend_length=5))
    with pytest.raises(ValueError):
        classify_points([1.0], wide_limits(0), INCREASE, shift_length=1)


def test_a_falling_trend_above_the_mean_is_low() -> None:
    points = classify_points([20, 19, 18, 17, 16, 15, 14], wide_limits(10), INCREASE)
    # every point is also a shift above the mean, but trend takes precedence
    assert {p.rule for p in points} == {SpcRule.TREND}
    assert all(p.side == -1 for p in points)
    assert all(p.point_type is SpcPointType.SPECIAL_CAUSE_CONCERN for p in points)


def test_a_peak_shared_by_two_trends_takes_the_later_one() -> None:
    ys = [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    points = classify_points(ys, wide_limits(4), INCREASE)
    assert points[6].side == -1 and points[5].side == 1


LIM = SpcLimits(Fraction(0), Fraction(3), Fraction("7.98"), Fraction("-7.98"),
                Fraction("5.32"), Fraction("-5.32"), 20, 0)


def test_two_in_three_flags_only_the_close_points() -> None:
    rules = rules_of([1, 1, 6, 1, 6, 1, 1], LIM)
    assert [SpcRule.TWO_IN_THREE in r for r in rules] == [False, False, True, False, True,
                                                            False, False]


def test_two_in_three_needs_the_window_on_one_side() -> None:
    assert all(not r for r in rules_of([6, -1, 6], LIM))
    assert all(not r for r in rules_of([6, 1, 1, 6], LIM))  # package test: c(1,0,0,1)


def test_points_outside_do_not_count_towards_two_in_three() -> None:
    rules = rules_of([6, 9, 1], LIM)
    assert rules == [frozenset(), frozenset({SpcRule.OUTSIDE_LIMITS}), frozenset()]


def test_outside_takes_precedence_and_limits_are_strict() -> None:
    points = classify_points([0, 8, 7.98, -9], LIM, DECREASE)  # 7.98 is exactly the UPL
    assert [p.rule for p in points] == [None, SpcRule.OUTSIDE_LIMITS, None,
                                        SpcRule.OUTSIDE_LIMITS]
    assert points[1].point_type is SpcPointType.SPECIAL_CAUSE_CONCERN
    assert points[3].point_type is SpcPointType.SPECIAL_CAUSE_IMPROVEMENT


def test_neutral_direction_gives_neutral_labels() -> None:
    points = classify_points([8, -9], LIM, NEUTRAL)
    assert [p.point_type for p in points] == [SpcPointType.SPECIAL_CAUSE_NEUTRAL_HIGH,
                                              SpcPointType.SPECIAL_CAUSE_NEUTRAL_LOW]


def test_variation_icon_is_the_latest_point() -> None:
    up = spc_chart([*VIGNETTE, 10], Polarity.LOWER_IS_BETTER)
    assert up.variation is VariationIcon.CONCERN_HIGH
    assert spc_chart([*VIGNETTE, 10], None).variation is VariationIcon.NEUTRAL_HIGH
    assert spc_chart(VIGNETTE, Polarity.LOWER_IS_BETTER).variation is VariationIcon.COMMON_CAUSE
    assert spc_chart([*VIGNETTE, None], Polarity.LOWER_IS_BETTER).variation is None


@pytest.mark.parametrize(
    ("target", "direction", "icon"),
    [
        (10, INCREASE, AssuranceIcon.CONSISTENT_FAIL),
        (10, DECREASE, AssuranceIcon.CONSISTENT_PASS),
        (-5, INCREASE, AssuranceIcon.CONSISTENT_PASS),
        (-5, DECREASE, AssuranceIcon.CONSISTENT_FAIL),
        (2, INCREASE, AssuranceIcon.INCONSISTENT),
        (2, NEUTRAL, None),
        (None, INCREASE, None),
    ],
)
def test_assurance_icon(target: float | None, direction: ImprovementDirection,
                        icon: AssuranceIcon | None) -> None:
    assert assurance_icon(target, spc_limits(VIGNETTE), direction) is icon


def test_trial_limits_warned_below_13_points_as_the_code_does() -> None:
    assert spc_chart([1, 2] * 6, None).trial_limits  # 12 points: warned, despite the message
    r = spc_chart([1, 2] * 6 + [1], None)
    assert not r.trial_limits and r.warnings == ()


def test_fixed_limits_need_12_points() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        spc_limits(VIGNETTE, fix_after_n_points=11)
    fixed = spc_limits([1, 2] * 6 + [50, 60], fix_after_n_points=12)
    assert fixed is not None and fixed.mean == Fraction(3, 2)
    chart = spc_chart([1, 2] * 6 + [50, 60], Polarity.LOWER_IS_BETTER,
                      settings=MethodSettings(spc_fix_after_n_points=12))
    assert chart.points[-1].rule is SpcRule.OUTSIDE_LIMITS


def test_gaps_split_runs_and_ranges() -> None:
    ys: list[float | None] = [5.0] * 4 + [None] + [5.0] * 4 + [-40.0] * 3
    r = spc_chart(ys, Polarity.LOWER_IS_BETTER)
    assert r.limits is not None
    assert r.points[4].point_type is None
    assert not any(SpcRule.SHIFT in p.rules for p in r.points[:9])
    assert any("missing" in w for w in r.warnings)


def test_too_little_data_is_a_reason() -> None:
    assert spc_chart([], None).reason is NotAssessedReason.INSUFFICIENT_DATA
    assert spc_chart([3], None).reason is NotAssessedReason.INSUFFICIENT_DATA
    assert spc_chart([3, None, 4], None).reason is NotAssessedReason.INSUFFICIENT_DATA


@given(c=st.integers(0, 10_000), n=st.integers(2, 40),
       polarity=st.sampled_from([*Polarity, None]))
def test_constant_series_is_never_a_special_cause(c: int, n: int,
                                                  polarity: Polarity | None) -> None:
    """Every point sits exactly on the mean (exact arithmetic), and equal neighbours
    break trends, so no rule can fire."""
    r = spc_chart([c] * n, polarity)
    assert all(p.point_type is SpcPointType.COMMON_CAUSE for p in r.points)
    assert r.variation is VariationIcon.COMMON_CAUSE


SWAP = {
    SpcPointType.SPECIAL_CAUSE_IMPROVEMENT: SpcPointType.SPECIAL_CAUSE_CONCERN,
    SpcPointType.SPECIAL_CAUSE_CONCERN: SpcPointType.SPECIAL_CAUSE_IMPROVEMENT,
    SpcPointType.COMMON_CAUSE: SpcPointType.COMMON_CAUSE,
}
ICON_SWAP = {
    VariationIcon.IMPROVEMENT_HIGH: VariationIcon.CONCERN_HIGH,
    VariationIcon.CONCERN_HIGH: VariationIcon.IMPROVEMENT_HIGH,
    VariationIcon.IMPROVEMENT_LOW: VariationIcon.CONCERN_LOW,
    VariationIcon.CONCERN_LOW: VariationIcon.IMPROVEMENT_LOW,
    VariationIcon.COMMON_CAUSE: VariationIcon.COMMON_CAUSE,
}
ASSURANCE_SWAP = {
    AssuranceIcon.CONSISTENT_PASS: AssuranceIcon.CONSISTENT_FAIL,
    AssuranceIcon.CONSISTENT_FAIL: AssuranceIcon.CONSISTENT_PASS,
    AssuranceIcon.INCONSISTENT: AssuranceIcon.INCONSISTENT,
}


@given(values=st.lists(st.integers(0, 60), min_size=2, max_size=40),
       target=st.integers(0, 80), polarity=st.sampled_from(list(Polarity)))
def test_flipping_polarity_swaps_improvement_and_concern(
    values: list[int], target: int, polarity: Polarity
) -> None:
    """The rules and sides depend only on the data; polarity only decides which side is
    good.  So flipping it swaps improvement and concern on every point and icon, and
    pass and fail in the assurance icon."""
    a = spc_chart(values, polarity, target)
    b = spc_chart(values, flip_polarity(polarity), target)
    assert [SWAP[p.point_type] for p in a.points if p.point_type] == \
        [p.point_type for p in b.points if p.point_type]
    assert a.variation is not None and b.variation is ICON_SWAP[a.variation]
    assert a.assurance is not None and b.assurance is ASSURANCE_SWAP[a.assurance]


@given(values=st.lists(st.integers(0, 60), min_size=2, max_size=30), k=st.integers(2, 20))
def test_scaling_a_series_leaves_every_spc_status_unchanged(values: list[int], k: int) -> None:
    """Mean, moving ranges and limits are all linear in the data, so multiplying every
    value by k > 0 multiplies both sides of each comparison by k."""
    a = spc_chart(values, Polarity.LOWER_IS_BETTER)
    b = spc_chart([k * v for v in values], Polarity.LOWER_IS_BETTER)
    assert [(p.rules, p.point_type) for p in a.points] == \
        [(p.rules, p.point_type) for p in b.points]
