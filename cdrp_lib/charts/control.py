"""The control chart: monthly values with process limits and the SPC icons (§7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cdrp_lib import palette
from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.charts.base import (
    BADGE_EDGE_WIDTH,
    BADGE_HEIGHT,
    BADGE_STEP,
    FONT_SIZE,
    MARKER_SIZE,
    WIDE_SIZE,
    Chart,
    _chart,
    _csv,
    _csv_number,
    _floor_at_zero,
    _hidden_sentence,
    _is_rate,
    _label,
    _legend,
    _level_with_noun,
    _month_axis,
    _nan,
    _no_data,
    _sentence,
    _spc_level,
    _style,
    _value_axis,
    _why,
)
from cdrp_lib.charts.svg import _figure
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.enums import (
    AssuranceIcon,
    SpcPointType,
    VariationIcon,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# ----------------------------------------------------------------------------- control chart

class _SpcGroup:
    """What an SPC point type looks like: the legend label, shape and colour."""

    def __init__(self, label: str, marker: str, colour: str) -> None:
        self.label, self.marker, self.colour = label, marker, colour


_SPC_GROUPS: dict[str, _SpcGroup] = {
    "common": _SpcGroup("Common cause variation", "o", palette.ON_TARGET),
    "improvement": _SpcGroup("Special cause: improvement", "s", palette.BETTER),
    "concern": _SpcGroup("Special cause: concern", "X", palette.WORSE),
    "neutral": _SpcGroup("Special cause: neither better nor worse", "D", palette.NEUTRAL),
}
_SPC_GROUP_OF: dict[SpcPointType, str] = {
    SpcPointType.COMMON_CAUSE: "common",
    SpcPointType.SPECIAL_CAUSE_IMPROVEMENT: "improvement",
    SpcPointType.SPECIAL_CAUSE_CONCERN: "concern",
    SpcPointType.SPECIAL_CAUSE_NEUTRAL_HIGH: "neutral",
    SpcPointType.SPECIAL_CAUSE_NEUTRAL_LOW: "neutral",
}

VARIATION_WORDS: dict[VariationIcon, str] = {
    VariationIcon.COMMON_CAUSE: "common cause variation, no significant change",
    VariationIcon.IMPROVEMENT_HIGH: "special cause improvement (higher values)",
    VariationIcon.IMPROVEMENT_LOW: "special cause improvement (lower values)",
    VariationIcon.CONCERN_HIGH: "special cause concern (higher values)",
    VariationIcon.CONCERN_LOW: "special cause concern (lower values)",
    VariationIcon.NEUTRAL_HIGH: "special cause variation, higher values",
    VariationIcon.NEUTRAL_LOW: "special cause variation, lower values",
}
ASSURANCE_WORDS: dict[AssuranceIcon, str] = {
    AssuranceIcon.CONSISTENT_PASS: "the process will consistently meet the target",
    AssuranceIcon.CONSISTENT_FAIL: "the process will consistently fail the target",
    AssuranceIcon.INCONSISTENT: "the process will hit and miss the target",
}
_VARIATION_COLOUR: dict[VariationIcon, str] = {
    VariationIcon.COMMON_CAUSE: palette.ON_TARGET,
    VariationIcon.IMPROVEMENT_HIGH: palette.BETTER,
    VariationIcon.IMPROVEMENT_LOW: palette.BETTER,
    VariationIcon.CONCERN_HIGH: palette.WORSE,
    VariationIcon.CONCERN_LOW: palette.WORSE,
    VariationIcon.NEUTRAL_HIGH: palette.NEUTRAL,
    VariationIcon.NEUTRAL_LOW: palette.NEUTRAL,
}
_ASSURANCE_COLOUR: dict[AssuranceIcon, str] = {
    AssuranceIcon.CONSISTENT_PASS: palette.BETTER,
    AssuranceIcon.CONSISTENT_FAIL: palette.WORSE,
    AssuranceIcon.INCONSISTENT: palette.ON_TARGET,
}


def _variation_badge(a: PublicAssessment) -> tuple[str, str]:
    if a.variation_icon is None:
        return "Variation: not assessed", palette.ON_TARGET
    return (f"Variation: {VARIATION_WORDS[a.variation_icon]}",
            _VARIATION_COLOUR[a.variation_icon])


def _assurance_badge(a: PublicAssessment) -> tuple[str, str]:
    if a.assurance_icon is None:
        why = ("no target" if a.spc_target is None and not a.is_withheld("spc_target")
               else "not assessed")
        return f"Assurance: {why}", palette.ON_TARGET
    return (f"Assurance: {ASSURANCE_WORDS[a.assurance_icon]}",
            _ASSURANCE_COLOUR[a.assurance_icon])


def _control_alt(a: PublicAssessment, shown: Sequence[tuple[str, float | None]],
                 hidden: int) -> str:
    name = a.measure_name
    points = a.spc_points
    if not points or a.spc_mean is None:
        reason = _why(a, AssessmentPart.SPC)
        tail = f" {reason.sentence}" if reason is not None else ""
        return f"No control chart can be drawn for {name} for {_label(a.month)}.{tail}"
    per = {"quarterly": "quarterly", "annual": "yearly"}.get(a.frequency, "monthly")
    what = f"{per} rate" if _is_rate(a) else f"{per} {a.count_noun}"
    head = (f"{_sentence(name)}, {what} from {_label(points[0].month)} to "
            f"{_label(points[-1].month)}: mean {_spc_level(a, a.spc_mean)}")
    if a.spc_lower is not None and a.spc_upper is not None:
        head += (f", process limits {_spc_level(a, a.spc_lower)} to "
                 f"{_spc_level(a, a.spc_upper)}")
    parts = [head + "."]
    if a.spc_trial_limits:
        parts.append("The limits are trial limits: there are too few months for stable limits.")
    last_month, last_value = shown[-1]
    if last_value is not None:
        parts.append(f"{_label(last_month)}: {_level_with_noun(a, last_value)}.")
    groups = [_SPC_GROUP_OF[p.point_type] for p in points if p.point_type is not None]
    special = sum(1 for g in groups if g != "common")
    counts = ", ".join(f"{groups.count(g)} {g}" for g in ("improvement", "concern", "neutral")
                       if groups.count(g))
    parts.append(f"{special} of {len(groups)} months show special cause variation"
                 + (f" ({counts})." if counts else "."))
    parts.append(_sentence(_variation_badge(a)[0]) + ".")
    parts.append(_sentence(_assurance_badge(a)[0]) + ".")
    if hidden:
        parts.append(_hidden_sentence(a, hidden))
    return " ".join(parts)


def control_chart(a: PublicAssessment) -> Chart:
    """Monthly values with mean, process limits and near limits (§7, Making Data Count).

    Special-cause points are marked by shape and colour (square improvement,
    cross concern, diamond neither better nor worse), common-cause points by a
    grey circle; the variation and assurance icons are printed as labelled text
    badges above the plot, so they read without colour.
    """
    per = {"quarterly": "quarterly", "annual": "yearly"}.get(a.frequency, "monthly")
    title = f"{a.measure_name}: {per} values with process limits (statistical process control)"
    a = public_view(a)
    shown = [(p.month, p.value) for p in a.spc_points]
    hidden = sum(1 for p in a.spc_points if p.withheld)
    months = [p.month for p in a.spc_points]
    badges = (_variation_badge(a), _assurance_badge(a))
    mark = a.mark
    rows = [[p.month,
             mark if p.withheld else _csv_number(p.value),
             "" if p.point_type is None else p.point_type.value,
             " ".join(r.value for r in p.rules), _csv_number(a.spc_mean),
             _csv_number(a.spc_lower), _csv_number(a.spc_upper), _csv_number(a.spc_near_lower),
             _csv_number(a.spc_near_upper), a.mark_of("spc_target") or _csv_number(a.spc_target)]
            for p in a.spc_points]
    table = _csv(["month", "value", "point_type", "rules", "mean", "lower_process_limit",
                  "upper_process_limit", "lower_near_limit", "upper_near_limit",
                  "monthly_target"], rows)
    alt = _control_alt(a, shown, hidden)
    with _style():
        fig, (ax,) = _figure(WIDE_SIZE)
        if a.is_small_numbers:  # said in a sentence rather than drawn (stats.units)
            _no_data(ax, "No control chart: too few events for one to mean anything.")
        elif not a.spc_points or a.spc_mean is None:
            _no_data(ax, "No control chart: not enough monthly values.")
        else:
            _draw_control(ax, a, shown)
            _month_axis(ax, months, a.frequency)
            _value_axis(ax, a)
            for i, (text, colour) in enumerate(badges):
                ax.text(BADGE_STEP * i, BADGE_HEIGHT, text, transform=ax.transAxes,
                        ha="left", va="bottom", fontsize=FONT_SIZE - 1, color=palette.INK,
                        bbox={"boxstyle": "round,pad=0.35", "facecolor": palette.WHITE,
                              "edgecolor": colour, "linewidth": BADGE_EDGE_WIDTH})
            _legend(fig)
        return _chart(fig, title, alt, table, months, tuple(text for text, _ in badges))


def _draw_control(ax: Axes, a: PublicAssessment, shown: Sequence[tuple[str, float | None]]) -> None:
    xs = list(range(len(shown)))
    ax.plot(xs, [_nan(v) for _, v in shown], color=palette.INK, linewidth=1.2,
            label="_monthly values")
    if a.spc_mean is not None:
        ax.axhline(a.spc_mean, color=palette.ON_TARGET, linewidth=1.2, label="Mean")
    if a.spc_lower is not None and a.spc_upper is not None:
        ax.axhline(a.spc_upper, color=palette.LIMIT, linestyle="--", linewidth=1.2,
                   label="Process limits")
        ax.axhline(a.spc_lower, color=palette.LIMIT, linestyle="--", linewidth=1.2,
                   label="_lower process limit")
    if a.spc_near_lower is not None and a.spc_near_upper is not None:
        ax.axhline(a.spc_near_upper, color=palette.LIMIT, linestyle=":", linewidth=0.9,
                   label="Near limits (two-thirds of the way)")
        ax.axhline(a.spc_near_lower, color=palette.LIMIT, linestyle=":", linewidth=0.9,
                   label="_lower near limit")
    if a.spc_target is not None:
        ax.axhline(a.spc_target, color=palette.TARGET, linestyle="-.", linewidth=1.2,
                   label=f"Target per month: {_spc_level(a, a.spc_target)}")
    for key, group in _SPC_GROUPS.items():
        idx = [i for i, p in enumerate(a.spc_points)
               if p.point_type is not None and _SPC_GROUP_OF[p.point_type] == key
               and shown[i][1] is not None]
        if not idx and key != "common":
            continue
        ax.plot(idx, [_nan(shown[i][1]) for i in idx], linestyle="none", marker=group.marker,
                markersize=MARKER_SIZE, color=group.colour, markeredgecolor=palette.WHITE,
                markeredgewidth=0.6, label=group.label)
    ax.set_ylabel("Rate (%)" if _is_rate(a) else _sentence(a.count_noun) + " per month")
    if not _is_rate(a):
        _floor_at_zero(ax)
