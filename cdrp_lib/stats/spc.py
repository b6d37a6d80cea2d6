"""NHS "Making Data Count" SPC charts, as coded in NHSRplotthedots 0.2.2 (methods.md §7).

No maintained Python library implements these exact rules (their precedence,
tie handling and the assurance icon), so they are written here, step by step
as the R package does: limits -> rules -> point types -> icons -> warnings.

**Limits.**  ``mean`` of the points; moving ranges ``MR_i = |y_i - y_{i-1}|``
and ``AMR = mean(MR)``.  With ``screen_outliers`` (the package default) every
``MR >= 3.267*AMR`` is dropped and ``AMR`` recomputed once (the MDC Excel tools
do not screen).  ``UPL/LPL = mean +/- 2.66*AMR``; near limits ``mean +/- (2/3)*2.66*AMR``.

**Special-cause rules.**  A point exactly on the mean, or two equal consecutive
values, breaks runs and trends.

1. outside the limits (strict);
2. shift: ``shift_length`` (7) or more consecutive points strictly on one side of the mean;
3. trend: ``trend_length`` (7) or more points each strictly above (below) the previous;
4. two in three: in 3 consecutive points all on one side of the mean, at least 2 are
   beyond the near limit but not outside the limits; only those close points are flagged.

A point meeting several rules is labelled by the first in the order outside >
trend > two-in-three > shift; its side is the side of the mean, except for a
trend, whose side is the trend's direction (so a falling trend above the mean
is "low").  Improvement or concern then follows the direction (polarity).

Departures from the R package, for data it does not accept: a missing month
(``None``) is left out of the mean, breaks every run, and splits moving
ranges (the package requires no gaps); a constant series has ``AMR = 0`` and
is not screened (the package's screening would make its limits undefined).
All arithmetic is exact (:class:`fractions.Fraction`), so a constant series
sits exactly on its mean and is common cause.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from cdrp_lib.stats.enums import (
    AssuranceIcon,
    ImprovementDirection,
    NotAssessedReason,
    Polarity,
    SpcPointType,
    SpcRule,
    VariationIcon,
)
from cdrp_lib.stats.rolling import Value, is_missing
from cdrp_lib.stats.rounding import Number, to_fraction
from cdrp_lib.stats.settings import (
    DEFAULT_SPC_RUN_LENGTH,
    DEFAULT_SPC_TREND_LENGTH,
    SPC_MIN_FIX_AFTER,
    MethodSettings,
)

LIMIT_FACTOR = Fraction("2.66")
NEAR_LIMIT_FACTOR = LIMIT_FACTOR * 2 / 3
OUTLIER_SCREEN_FACTOR = Fraction("3.267")
TWO_IN_THREE_WINDOW = 3
TWO_IN_THREE_CLOSE = 2
RULE_PRECEDENCE: tuple[SpcRule, ...] = (
    SpcRule.OUTSIDE_LIMITS, SpcRule.TREND, SpcRule.TWO_IN_THREE, SpcRule.SHIFT,
)

__all__ = [
    "LIMIT_FACTOR",
    "NEAR_LIMIT_FACTOR",
    "OUTLIER_SCREEN_FACTOR",
    "RULE_PRECEDENCE",
    "SpcLimits",
    "SpcPoint",
    "SpcResult",
    "assurance_icon",
    "classify_points",
    "spc_chart",
    "spc_limits",
    "variation_icon",
]


@dataclass(frozen=True)
class SpcLimits:
    """Process limits (exact): centre line, average moving range, limits and near limits."""

    mean: Fraction
    amr: Fraction
    upper: Fraction
    lower: Fraction
    near_upper: Fraction
    near_lower: Fraction
    n: int
    screened_ranges: int


@dataclass(frozen=True)
class SpcPoint:
    """One month on the chart: the rules it meets, the deciding rule, its side and type.

    ``side`` is +1 (high), -1 (low) or 0 (common cause); ``point_type`` is
    ``None`` for a missing month or when no limits could be drawn.
    """

    index: int
    value: float | None
    rules: frozenset[SpcRule]
    rule: SpcRule | None
    side: int
    point_type: SpcPointType | None


@dataclass(frozen=True)
class SpcResult:
    """The whole chart: limits, every point, the two icons and any warnings."""

    direction: ImprovementDirection
    limits: SpcLimits | None
    points: tuple[SpcPoint, ...]
    variation: VariationIcon | None
    assurance: AssuranceIcon | None
    trial_limits: bool
    warnings: tuple[str, ...] = ()
    reason: NotAssessedReason | None = None


def _exact(values: Sequence[Value]) -> tuple[Fraction | None, ...]:
    return tuple(None if is_missing(v) else to_fraction(v) for v in values)  # type: ignore[arg-type]


def _mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def spc_limits(
    values: Sequence[Value],
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
) -> SpcLimits | None:
    """The limits from the first ``fix_after_n_points`` months (all by default); None if < 2.

    Raises ValueError when ``fix_after_n_points`` is under 12 (as the package does).
    """
    if fix_after_n_points is not None and fix_after_n_points < SPC_MIN_FIX_AFTER:
        raise ValueError(f"fix_after_n_points must be at least {SPC_MIN_FIX_AFTER}, "
                         f"got {fix_after_n_points}")
    ys = _exact(values)
    if fix_after_n_points is not None:
        ys = ys[:fix_after_n_points]
    present = [y for y in ys if y is not None]
    ranges = [abs(b - a) for a, b in itertools.pairwise(ys)
              if a is not None and b is not None]
    if len(present) < 2 or not ranges:
        return None
    mean = _mean(present)
    amr = _mean(ranges)
    screened = 0
    if screen_outliers and amr > 0:
        kept = [r for r in ranges if r < OUTLIER_SCREEN_FACTOR * amr]
        screened = len(ranges) - len(kept)
        amr = _mean(kept)
    return SpcLimits(mean, amr, mean + LIMIT_FACTOR * amr, mean - LIMIT_FACTOR * amr,
                     mean + NEAR_LIMIT_FACTOR * amr, mean - NEAR_LIMIT_FACTOR * amr,
                     len(present), screened)


def _sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)


def _segments(ys: Sequence[Fraction | None]) -> list[list[int]]:
    """Runs of consecutive present months (indexes); a missing month splits runs."""
    out: list[list[int]] = []
    current: list[int] = []
    for i, y in enumerate(ys):
        if y is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append(i)
    if current:
        out.append(current)
    return out


def _shift_flags(seg: list[int], side: dict[int, int], length: int) -> set[int]:
    flagged: set[int] = set()
    start = 0
    for k in range(1, len(seg) + 1):
        if k == len(seg) or side[seg[k]] != side[seg[start]] or side[seg[start]] == 0:
            if side[seg[start]] != 0 and k - start >= length:
                flagged.update(seg[start:k])
            start = k
    return flagged


def _trend_flags(seg: list[int], ys: Sequence[Fraction | None], length: int) -> dict[int, int]:
    """Trend direction (+1/-1) of every point in a run of ``length`` or more strict moves.

    A point shared by two runs (a peak or trough) takes the later run, as the
    package does ("use right side").
    """
    direction: dict[int, int] = {}
    diffs = [_sign(ys[b] - ys[a]) for a, b in itertools.pairwise(seg)]  # type: ignore[operator]
    start = 0
    for k in range(1, len(diffs) + 1):
        if k == len(diffs) or diffs[k] != diffs[start] or diffs[start] == 0:
            if diffs and diffs[start] != 0 and k - start >= length - 1:
                for i in seg[start:k + 1]:
                    direction[i] = diffs[start]
            start = k
    return direction


def _two_in_three_flags(
    seg: list[int], side: dict[int, int], close: dict[int, bool]
) -> set[int]:
    flagged: set[int] = set()
    for k in range(len(seg) - TWO_IN_THREE_WINDOW + 1):
        window = seg[k:k + TWO_IN_THREE_WINDOW]
        sides = {side[i] for i in window}
        if len(sides) == 1 and 0 not in sides and sum(close[i] for i in window) >= \
                TWO_IN_THREE_CLOSE:
            flagged.update(i for i in window if close[i])
    return flagged


def _point_type(side: int, direction: ImprovementDirection) -> SpcPointType:
    if side == 0:
        return SpcPointType.COMMON_CAUSE
    if direction is ImprovementDirection.NEUTRAL:
        return (SpcPointType.SPECIAL_CAUSE_NEUTRAL_HIGH if side > 0
                else SpcPointType.SPECIAL_CAUSE_NEUTRAL_LOW)
    good = 1 if direction is ImprovementDirection.INCREASE else -1
    return (SpcPointType.SPECIAL_CAUSE_IMPROVEMENT if side == good
            else SpcPointType.SPECIAL_CAUSE_CONCERN)


def classify_points(
    values: Sequence[Value],
    limits: SpcLimits,
    direction: ImprovementDirection,
    shift_length: int = DEFAULT_SPC_RUN_LENGTH,
    trend_length: int = DEFAULT_SPC_TREND_LENGTH,
) -> tuple[SpcPoint, ...]:
    """Apply the four rules to every month against ``limits`` and label each point.

    >>> ys = list(range(1, 8))
    >>> last = classify_points(ys, spc_limits(ys), ImprovementDirection.INCREASE)[-1]
    >>> sorted(r.value for r in last.rules), last.rule.value, last.point_type.value
    (['outside_limits', 'trend'], 'outside_limits', 'special_cause_improvement')
    """
    if shift_length < 2 or trend_length < 3:
        raise ValueError(f"run lengths must be at least 2 (shift) and 3 (trend), got "
                         f"{shift_length} and {trend_length}")
    ys = _exact(values)
    side = {i: _sign(y - limits.mean) for i, y in enumerate(ys) if y is not None}
    outside = {i for i, y in enumerate(ys) if y is not None
               and (y > limits.upper or y < limits.lower)}
    close = {i: (i not in outside and (y > limits.near_upper or y < limits.near_lower))
             for i, y in enumerate(ys) if y is not None}
    shift: set[int] = set()
    trend: dict[int, int] = {}
    two_in_three: set[int] = set()
    for seg in _segments(ys):
        shift |= _shift_flags(seg, side, shift_length)
        trend |= _trend_flags(seg, ys, trend_length)
        two_in_three |= _two_in_three_flags(seg, side, close)
    points: list[SpcPoint] = []
    for i, y in enumerate(ys):
        if y is None:
            points.append(SpcPoint(i, None, frozenset(), None, 0, None))
            continue
        rules = frozenset(rule for rule, hit in (
            (SpcRule.OUTSIDE_LIMITS, i in outside), (SpcRule.TREND, i in trend),
            (SpcRule.TWO_IN_THREE, i in two_in_three), (SpcRule.SHIFT, i in shift),
        ) if hit)
        rule = next((r for r in RULE_PRECEDENCE if r in rules), None)
        point_side = 0 if rule is None else (trend[i] if rule is SpcRule.TREND else side[i])
        points.append(SpcPoint(i, float(y), rules, rule, point_side,
                               _point_type(point_side, direction)))
    return tuple(points)


def variation_icon(point: SpcPoint, direction: ImprovementDirection) -> VariationIcon | None:
    """The variation icon: the latest point's classification (None if it is missing)."""
    if point.point_type is None:
        return None
    if point.side == 0:
        return VariationIcon.COMMON_CAUSE
    high = point.side > 0
    if direction is ImprovementDirection.NEUTRAL:
        return VariationIcon.NEUTRAL_HIGH if high else VariationIcon.NEUTRAL_LOW
    if point.point_type is SpcPointType.SPECIAL_CAUSE_IMPROVEMENT:
        return VariationIcon.IMPROVEMENT_HIGH if high else VariationIcon.IMPROVEMENT_LOW
    return VariationIcon.CONCERN_HIGH if high else VariationIcon.CONCERN_LOW


def assurance_icon(
    target: Number | None, limits: SpcLimits | None, direction: ImprovementDirection
) -> AssuranceIcon | None:
    """Can the process meet the target?  Needs a target and a non-neutral direction.

    Target above the upper limit: consistently fail if higher is better, pass if
    lower is better; below the lower limit: the reverse; otherwise inconsistent.
    """
    if target is None or limits is None or direction is ImprovementDirection.NEUTRAL:
        return None
    t = to_fraction(target)
    increase = direction is ImprovementDirection.INCREASE
    if t > limits.upper:
        return AssuranceIcon.CONSISTENT_FAIL if increase else AssuranceIcon.CONSISTENT_PASS
    if t < limits.lower:
        return AssuranceIcon.CONSISTENT_PASS if increase else AssuranceIcon.CONSISTENT_FAIL
    return AssuranceIcon.INCONSISTENT


def spc_chart(
    values: Sequence[Value],
    polarity: Polarity | None,
    target: Number | None = None,
    settings: MethodSettings | None = None,
) -> SpcResult:
    """The full SPC analysis of a monthly series; ``polarity=None`` means neutral.

    Never raises for short, gappy or all-zero data.  Fewer than 13 points (the
    package's ``n < 13``) gives trial limits and a warning; note the package's
    message says "n < 12", which its own threshold contradicts.
    """
    s = settings or MethodSettings()
    direction = ImprovementDirection.from_polarity(polarity)
    limits = spc_limits(values, s.screen_outliers, s.spc_fix_after_n_points)
    if limits is None:
        points = tuple(SpcPoint(i, None if is_missing(v) else float(v), frozenset(), None, 0,  # type: ignore[arg-type]
                                None) for i, v in enumerate(values))
        return SpcResult(direction, None, points, None, None, True, (),
                         NotAssessedReason.INSUFFICIENT_DATA)
    points = classify_points(values, limits, direction, s.spc_shift_length, s.spc_trend_length)
    notes: list[str] = []
    trial = limits.n < s.spc_min_points
    if trial:
        notes.append(f"Only {limits.n} points (fewer than {s.spc_min_points}): these are trial "
                     "limits, which will change as more months are added.")
    if any(is_missing(v) for v in values):
        notes.append("Some months are missing; runs and trends are not counted across them.")
    latest = variation_icon(points[-1], direction) if points else None
    return SpcResult(direction, limits, points, latest,
                     assurance_icon(target, limits, direction), trial, tuple(notes))
