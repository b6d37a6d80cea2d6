"""Targets, the target trajectory and its tolerance band (methods.md §1, after iQuanta).

No public document gives iQuanta's tolerance formula, so this formalises the
bulletin's own description: a straight line from the baseline ``B`` to the
target ``T = B - D`` over the ``M`` months of the strategy, with a band of
``f`` (default 10%) of the required drop that narrows to zero at the end::

    tau[m] = B - D*m/M;   h[m] = f*|D|*(1 - m/M);   L = tau - h;   U = tau + h
    below if R < L;  above if R > U;  else on target     (limits inclusive)

Everything is exact (:class:`fractions.Fraction`), so a rolling count equal to
a limit is "on target" however the limit was computed (§0).  Labels are
positions only; good or bad comes from the polarity in :mod:`cdrp_lib.stats.rag`.

Count targets round the drop up by default (``D = ceil(B*r)``, the smallest
whole number of crimes whose removal achieves at least ``r``), which
reproduces four of the five Northamptonshire bulletin figures; South
Derbyshire rounded the target to nearest (``rounding="half_up"``).  The one
bulletin figure no rule reproduces is recorded in :data:`KNOWN_DEVIATIONS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from cdrp_lib.stats.enums import NotAssessedReason, Polarity, RoundingRule, TrajectoryStatus
from cdrp_lib.stats.rounding import Number, round_half_up_int, to_fraction
from cdrp_lib.stats.settings import DEFAULT_TOLERANCE

MONTHS_PER_STEP = 12
PERCENT = 100

__all__ = [
    "KNOWN_DEVIATIONS",
    "KnownDeviation",
    "Target",
    "TrajectoryPoint",
    "TrajectoryResult",
    "assess_trajectory",
    "change_from_baseline_pct",
    "change_needed_pct",
    "classify_position",
    "count_target",
    "level_target",
    "milestone_for_month",
    "percentage_point_target",
    "rate_target",
    "stepped_milestones",
    "target_achieved",
    "trajectory",
    "trajectory_point",
]

Exact = Number | str


@dataclass(frozen=True)
class Target:
    """A baseline, the required drop ``D`` (negative for an increase) and ``T = B - D``.

    ``too_small`` flags a count target whose exact drop ``B*|r|`` is under one
    crime: it still has ``D = 1`` but cannot be monitored meaningfully.
    """

    baseline: Fraction
    drop: Fraction
    target: Fraction
    too_small: bool = False
    rounding: RoundingRule | None = None


def _whole(x: Exact, what: str) -> int:
    f = to_fraction(x)
    if f.denominator != 1:
        raise ValueError(f"{what} must be a whole number of crimes, got {x!r}")
    return int(f)


def count_target(
    baseline: Exact, reduction: Exact, rounding: RoundingRule = RoundingRule.CEILING
) -> Target:
    """A count target from a baseline and a fractional reduction ``r`` (negative to increase).

    ``ceiling``: ``D = ceil(B*r)`` (``-ceil(B*|r|)`` for an increase).
    ``half_up``: ``T = round_half_up(B*(1 - r))``.

    >>> t = count_target(913, "0.05"); (int(t.drop), int(t.target))
    (46, 867)
    """
    b = _whole(baseline, "baseline")
    if b < 0:
        raise ValueError(f"baseline must not be negative, got {baseline!r}")
    r = to_fraction(reduction)
    exact_drop = b * r
    if rounding is RoundingRule.HALF_UP:
        target = round_half_up_int(b * (1 - r))
        drop = b - target
    else:
        drop = math.ceil(exact_drop) if r >= 0 else -math.ceil(-exact_drop)
        target = b - drop
    too_small = 0 < abs(exact_drop) < 1
    return Target(Fraction(b), Fraction(drop), Fraction(target), too_small, rounding)


def rate_target(baseline: Exact, reduction: Exact) -> Target:
    """A rate or percentage target: ``T = B*(1 - r)``, not rounded."""
    b = to_fraction(baseline)
    target = b * (1 - to_fraction(reduction))
    return Target(b, b - target, target)


def percentage_point_target(baseline: Exact, points: Exact) -> Target:
    """``T = B - pp``; ``points`` is a reduction in percentage points (negative to increase)."""
    b = to_fraction(baseline)
    pp = to_fraction(points)
    return Target(b, pp, b - pp)


def level_target(baseline: Exact, level: Exact) -> Target:
    """An absolute level to reach (e.g. "down to 40 a year", "above 600 a year")."""
    b = to_fraction(baseline)
    t = to_fraction(level)
    return Target(b, b - t, t)


def stepped_milestones(baseline: Exact, target: Exact, years: int) -> tuple[int, ...]:
    """Yearly milestones ``floor(B - (B - T)*k/K)`` for ``k = 1..K`` (South Derbyshire).

    Floor is the only rule that reproduces the plan's theft from vehicles steps
    (567.25 -> 567, 537.5 -> 537, 507.75 -> 507); half-up would give 538 and 508.
    The rule is applied as the plan did, also to an increase target.

    >>> stepped_milestones(597, 478, 4)
    (567, 537, 507, 478)
    """
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    b = to_fraction(baseline)
    t = to_fraction(target)
    return tuple(math.floor(b - (b - t) * k / years) for k in range(1, years + 1))


def milestone_for_month(
    milestones: tuple[int, ...], m: int, months_per_step: int = MONTHS_PER_STEP
) -> int | None:
    """The milestone for strategy month ``m`` (month 1..12 -> the first, ...).

    ``None`` before the strategy (``m < 1``); the last milestone holds after it.
    """
    if m < 1 or not milestones:
        return None
    return milestones[min((m - 1) // months_per_step, len(milestones) - 1)]


@dataclass(frozen=True)
class TrajectoryPoint:
    """The trajectory and its band at strategy month ``m`` of ``months`` (exact)."""

    m: int
    months: int
    tau: Fraction
    half_width: Fraction
    lower: Fraction
    upper: Fraction


def trajectory_point(
    target: Target, m: int, months: int, tolerance: Exact = DEFAULT_TOLERANCE
) -> TrajectoryPoint:
    """``tau``, ``h``, ``L`` and ``U`` at month ``m``; after the end, ``tau = T`` and ``h = 0``.

    ``m = 0`` is the baseline itself (``h = f*|D|``).  Raises ValueError for
    ``m < 0`` or ``months < 1`` (callers check that the target is in force first).
    """
    if months < 1:
        raise ValueError(f"the strategy must last at least one month, got {months}")
    if m < 0:
        raise ValueError(f"strategy month must be 0 or more, got {m}")
    f = to_fraction(tolerance)
    if m >= months:
        tau, h = target.target, Fraction(0)
    else:
        share = Fraction(m, months)
        tau = target.baseline - target.drop * share
        h = f * abs(target.drop) * (1 - share)
    return TrajectoryPoint(m, months, tau, h, tau - h, tau + h)


def trajectory(
    target: Target, months: int, tolerance: Exact = DEFAULT_TOLERANCE
) -> tuple[TrajectoryPoint, ...]:
    """Every point ``m = 0..M``, for the performance chart."""
    return tuple(trajectory_point(target, m, months, tolerance) for m in range(months + 1))


def classify_position(value: Exact, point: TrajectoryPoint) -> TrajectoryStatus:
    """Below if ``R < L``, above if ``R > U``, else on target (both limits inclusive)."""
    r = to_fraction(value)
    if r < point.lower:
        return TrajectoryStatus.BELOW
    if r > point.upper:
        return TrajectoryStatus.ABOVE
    return TrajectoryStatus.ON


@dataclass(frozen=True)
class TrajectoryResult:
    """Status at one month, or the reason there is none; ``point`` is set whenever known."""

    status: TrajectoryStatus | None
    point: TrajectoryPoint | None
    value: Fraction | None
    reason: NotAssessedReason | None
    too_small: bool = False


def assess_trajectory(
    value: Exact | None,
    target: Target,
    m: int,
    months: int,
    tolerance: Exact = DEFAULT_TOLERANCE,
    missing: NotAssessedReason | None = None,
) -> TrajectoryResult:
    """The rolling value's position at strategy month ``m``, never raising for data.

    ``value`` is ``None`` when the rolling sum does not exist; ``missing`` then
    says why (from :func:`cdrp_lib.stats.rolling.rolling_at`), defaulting to
    insufficient data.  A month before the strategy starts gives "target not in
    force".  A too-small target is still classified and flagged ``too_small``.
    """
    if m < 0:
        return TrajectoryResult(None, None, None, NotAssessedReason.TARGET_NOT_IN_FORCE,
                                target.too_small)
    point = trajectory_point(target, m, months, tolerance)
    if value is None:
        return TrajectoryResult(None, point, None,
                                missing or NotAssessedReason.INSUFFICIENT_DATA, target.too_small)
    r = to_fraction(value)
    return TrajectoryResult(classify_position(r, point), point, r, None, target.too_small)


def target_achieved(value: Exact, target: Target, polarity: Polarity) -> bool:
    """Whether the current rolling position already meets the target (exact)."""
    r = to_fraction(value)
    if polarity is Polarity.HIGHER_IS_BETTER:
        return r >= target.target
    return r <= target.target


def change_needed_pct(value: Exact, target: Target, polarity: Polarity) -> Fraction | None:
    """% change from the current position still needed ("Reduction required"); None if met.

    Positive numbers are the size of the change in the good direction; ``None``
    when the target is achieved or the current value is 0 (no percentage of 0).
    """
    r = to_fraction(value)
    if target_achieved(r, target, polarity) or r == 0:
        return None
    return abs(r - target.target) / r * PERCENT


def change_from_baseline_pct(value: Exact, baseline: Exact) -> Fraction | None:
    """``(R - B)/B*100``: "A -11.2% reduction has been recorded from the baseline"; None if B=0."""
    b = to_fraction(baseline)
    if b == 0:
        return None
    return (to_fraction(value) - b) / b * PERCENT


@dataclass(frozen=True)
class KnownDeviation:
    """A published figure that the adopted rule does not reproduce, and why we keep the rule."""

    source: str
    measure: str
    baseline: int
    reduction: Fraction
    printed_drop: int
    reason: str

    @property
    def drop_by_rule(self) -> int:
        """The drop the ceiling rule gives (computed, so the record cannot drift from the code)."""
        return int(count_target(self.baseline, self.reduction).drop)


KNOWN_DEVIATIONS: tuple[KnownDeviation, ...] = (
    KnownDeviation(
        source="seeds/kettering-performance-improvement-bulletin-2009-12.txt",
        measure="Violence Against the Person in Kettering Town Centre",
        baseline=269,
        reduction=Fraction(Decimal("0.05")),
        printed_drop=13,
        reason=(
            "269 x 5% = 13.45; the bulletin prints 13, but 13/269 = 4.83% is short of the 5% "
            "target. The ceiling rule gives 14 and reproduces the bulletin's other four drops "
            "(913, 1726, 303, 176); rounding half-up reproduces only 2 of 5. No single rule "
            "reproduces all five, so the ceiling rule is kept and this figure recorded."
        ),
    ),
)
