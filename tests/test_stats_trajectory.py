"""Targets and the trajectory band (methods.md §1), with the plans' own figures as fixtures."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdrp_lib.stats.enums import NotAssessedReason, Polarity, RoundingRule, TrajectoryStatus
from cdrp_lib.stats.rounding import fmt_signed_pct, round_half_up_int
from cdrp_lib.stats.trajectory import (
    KNOWN_DEVIATIONS,
    Target,
    assess_trajectory,
    change_from_baseline_pct,
    change_needed_pct,
    classify_position,
    count_target,
    level_target,
    milestone_for_month,
    percentage_point_target,
    rate_target,
    stepped_milestones,
    target_achieved,
    trajectory,
    trajectory_point,
)

VEHICLE = count_target(913, "0.05")


def test_worked_example_target() -> None:
    assert VEHICLE.drop == 46 and VEHICLE.target == 867
    assert not VEHICLE.too_small


def test_worked_example_limits_at_month_12() -> None:
    p = trajectory_point(VEHICLE, 12, 36)
    assert float(p.tau) == pytest.approx(897.667, abs=5e-4)
    assert float(p.half_width) == pytest.approx(3.0667, abs=5e-5)
    assert float(p.lower) == pytest.approx(894.600, abs=5e-4)
    assert float(p.upper) == pytest.approx(900.733, abs=5e-4)
    assert p.tau == Fraction(913) - Fraction(46 * 12, 36)  # exact, not a float


@pytest.mark.parametrize(
    ("rolling", "status"),
    [(894, TrajectoryStatus.BELOW), (895, TrajectoryStatus.ON),
     (900, TrajectoryStatus.ON), (901, TrajectoryStatus.ABOVE)],
)
def test_worked_example_labels_at_month_12(rolling: int, status: TrajectoryStatus) -> None:
    assert assess_trajectory(rolling, VEHICLE, 12, 36).status is status


def test_worked_example_band_closes_at_the_end() -> None:
    p = trajectory_point(VEHICLE, 36, 36)
    assert p.lower == p.upper == 867
    assert classify_position(867, p) is TrajectoryStatus.ON
    assert classify_position(868, p) is TrajectoryStatus.ABOVE


def test_limits_are_inclusive_and_exact() -> None:
    t = count_target(1000, 0.1)  # D = 100
    p = trajectory_point(t, 5, 10)  # tau 950, h = 0.1*100*0.5 = 5
    assert (p.lower, p.upper) == (Fraction(945), Fraction(955))
    assert classify_position(945, p) is TrajectoryStatus.ON
    assert classify_position(955.0, p) is TrajectoryStatus.ON
    assert classify_position(944.999, p) is TrajectoryStatus.BELOW


# The Northamptonshire bulletin's five printed drops (seeds/kettering-...-2009-12.txt).
BULLETIN_DROPS = [(913, "0.05", 46), (1726, "0.05", 87), (303, "0.04", 13), (176, "0.08", 15)]


@pytest.mark.parametrize(("baseline", "r", "printed"), BULLETIN_DROPS)
def test_ceiling_rule_reproduces_four_bulletin_drops(baseline: int, r: str, printed: int) -> None:
    assert count_target(baseline, r).drop == printed


def test_269_deviation_rule_gives_14_and_is_recorded() -> None:
    assert count_target(269, "0.05").drop == 14
    (dev,) = [d for d in KNOWN_DEVIATIONS if d.baseline == 269]
    assert dev.printed_drop == 13
    assert dev.drop_by_rule == 14 != dev.printed_drop
    assert "4.83%" in dev.reason
    assert f"{13 / 269:.2%}" == "4.83%"  # the printed drop falls short of 5%


def test_half_up_reproduces_only_two_of_five() -> None:
    printed = {913: 46, 1726: 87, 303: 13, 176: 15, 269: 13}
    rates = {913: "0.05", 1726: "0.05", 303: "0.04", 176: "0.08", 269: "0.05"}
    matches = {b for b, d in printed.items()
               if count_target(b, rates[b], RoundingRule.HALF_UP).drop == d}
    assert matches == {913, 269}


def test_south_derbyshire_steps_need_the_floor_rule() -> None:
    assert stepped_milestones(597, 478, 4) == (567, 537, 507, 478)
    exact = [Fraction(597) - Fraction(119 * k, 4) for k in (1, 2, 3)]
    assert [float(x) for x in exact] == [567.25, 537.5, 507.75]
    assert [round_half_up_int(x) for x in exact] == [567, 538, 508]  # half-up would differ
    assert stepped_milestones(1140, 960, 4) == (1095, 1050, 1005, 960)
    assert stepped_milestones(372, 260, 4) == (344, 316, 288, 260)


def test_south_derbyshire_targets() -> None:
    assert count_target(597, "0.20", RoundingRule.HALF_UP).target == 478
    assert count_target(597, "0.20", RoundingRule.CEILING).target == 477
    assert count_target(372, "0.30", RoundingRule.HALF_UP).target == 260
    assert count_target(372, "0.30", RoundingRule.CEILING).target == 260


def test_milestone_for_month() -> None:
    steps = stepped_milestones(597, 478, 4)
    assert milestone_for_month(steps, 0) is None
    assert milestone_for_month(steps, 1) == milestone_for_month(steps, 12) == 567
    assert milestone_for_month(steps, 13) == 537
    assert milestone_for_month(steps, 60) == 478


def test_increase_target_reverses_the_sign_of_d() -> None:
    t = count_target(303, "-0.04")
    assert t.drop == -13 and t.target == 316
    p = trajectory_point(t, 6, 12)
    assert p.tau == Fraction(303) + Fraction(13, 2)
    assert p.half_width == Fraction(13, 10) / 2


def test_target_too_small_to_monitor() -> None:
    t = count_target(15, "0.05")  # 0.75 crimes
    assert t.drop == 1 and t.too_small
    r = assess_trajectory(14, t, 6, 12)
    assert r.too_small and r.status is not None


def test_zero_baseline_collapses_the_band() -> None:
    t = count_target(0, "0.05")
    assert t.drop == 0 and t.target == 0 and not t.too_small
    p = trajectory_point(t, 0, 12)
    assert p.lower == p.upper == 0
    assert assess_trajectory(0, t, 3, 12).status is TrajectoryStatus.ON


def test_month_zero_is_the_baseline_with_full_band() -> None:
    p = trajectory_point(VEHICLE, 0, 36)
    assert p.tau == 913 and p.half_width == Fraction(46, 10)


def test_after_the_strategy_the_target_holds() -> None:
    p = trajectory_point(VEHICLE, 40, 36)
    assert p.tau == 867 and p.half_width == 0
    assert len(trajectory(VEHICLE, 36)) == 37


def test_not_assessed_reasons() -> None:
    assert assess_trajectory(None, VEHICLE, 12, 36).reason is NotAssessedReason.INSUFFICIENT_DATA
    gap = assess_trajectory(None, VEHICLE, 12, 36, missing=NotAssessedReason.MISSING_MONTHS)
    assert gap.reason is NotAssessedReason.MISSING_MONTHS and gap.point is not None
    early = assess_trajectory(900, VEHICLE, -1, 36)
    assert early.reason is NotAssessedReason.TARGET_NOT_IN_FORCE and early.status is None


def test_programmer_errors_raise() -> None:
    with pytest.raises(ValueError, match="negative"):
        count_target(-1, "0.05")
    with pytest.raises(ValueError, match="whole number"):
        count_target(10.5, "0.05")
    with pytest.raises(ValueError, match="at least one month"):
        trajectory_point(VEHICLE, 1, 0)
    with pytest.raises(ValueError):
        trajectory_point(VEHICLE, -1, 36)
    with pytest.raises(ValueError):
        stepped_milestones(10, 5, 0)


def test_rate_and_percentage_point_targets_are_not_rounded() -> None:
    assert rate_target("22.5", "0.10").target == Fraction("20.25")
    pp = percentage_point_target(11, 3)  # feeling unsafe at night 11% -> 8%
    assert pp.target == 8 and pp.drop == 3
    lvl = level_target(52, 40)  # distraction burglary down to 40 a year
    assert lvl.drop == 12 and lvl.target == 40


def test_target_achieved_follows_polarity() -> None:
    assert target_achieved(867, VEHICLE, Polarity.LOWER_IS_BETTER)
    assert not target_achieved(868, VEHICLE, Polarity.LOWER_IS_BETTER)
    up = level_target(70, 73)  # confidence to 73%
    assert target_achieved(73, up, Polarity.HIGHER_IS_BETTER)
    assert not target_achieved(72.9, up, Polarity.HIGHER_IS_BETTER)


def test_change_needed_and_change_from_baseline() -> None:
    assert change_needed_pct(867, VEHICLE, Polarity.LOWER_IS_BETTER) is None
    assert change_needed_pct(900, VEHICLE, Polarity.LOWER_IS_BETTER) == Fraction(33, 900) * 100
    assert change_needed_pct(0, level_target(5, 10), Polarity.HIGHER_IS_BETTER) is None
    assert fmt_signed_pct(change_from_baseline_pct(811, 913)) == "-11.2%"
    assert change_from_baseline_pct(5, 0) is None


@given(
    baseline=st.integers(1, 5000),
    drop=st.integers(-500, 500),
    months=st.integers(1, 60),
    m=st.integers(0, 70),
    rolling=st.integers(0, 6000),
    k=st.integers(2, 50),
)
def test_scaling_series_and_target_leaves_trajectory_status_unchanged(
    baseline: int, drop: int, months: int, m: int, rolling: int, k: int
) -> None:
    """tau, h, L and U are linear in (B, D), so multiplying B, D (hence T) and R by the
    same whole number k multiplies both sides of every comparison by k: the status
    cannot change.  (Re-deriving D by the ceiling rule from kB would not scale, so the
    target is scaled, as the property says, not recomputed.)"""
    t = Target(Fraction(baseline), Fraction(drop), Fraction(baseline - drop))
    kt = Target(Fraction(k * baseline), Fraction(k * drop), Fraction(k * (baseline - drop)))
    a = assess_trajectory(rolling, t, m, months)
    b = assess_trajectory(k * rolling, kt, m, months)
    assert a.status is b.status
    assert target_achieved(rolling, t, Polarity.LOWER_IS_BETTER) == target_achieved(
        k * rolling, kt, Polarity.LOWER_IS_BETTER)
