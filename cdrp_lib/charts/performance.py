"""The performance chart: the rolling 12-month position against the target trajectory (§1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cdrp_lib import palette
from cdrp_lib.assessment import AssessmentPart, HistoryPoint
from cdrp_lib.charts.base import (
    BASELINE_MARKER,
    BASELINE_YEAR_MONTHS,
    DEFAULT_MONTHS,
    LINE_WIDTH,
    MARKER_SIZE,
    MAX_MONTHS,
    RECENT_MONTHS,
    STATUS_MARKERS,
    WIDE_SIZE,
    Chart,
    _chart,
    _csv,
    _csv_number,
    _drop_leading_gaps,
    _floor_at_zero,
    _hidden_sentence,
    _hidden_totals_sentence,
    _is_rate,
    _label,
    _legend,
    _legend_level,
    _level,
    _level_with_noun,
    _month_axis,
    _nan,
    _no_data,
    _position_words,
    _rolling_csv,
    _sentence,
    _short,
    _style,
    _target_hidden,
    _tick_step,
    _until,
    _value_axis,
    _value_label,
    _why,
)
from cdrp_lib.charts.svg import _figure
from cdrp_lib.periods import Month
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.enums import (
    Polarity,
    TrajectoryStatus,
)
from cdrp_lib.stats.units import MONTHS_PER_PERIOD, is_rate

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# ----------------------------------------------------------------------------- performance


def _good_status(polarity: Polarity) -> TrajectoryStatus:
    return (TrajectoryStatus.ABOVE if polarity is Polarity.HIGHER_IS_BETTER
            else TrajectoryStatus.BELOW)


def _status_label(status: TrajectoryStatus, polarity: Polarity) -> str:
    """Legend wording: which side is better depends on the polarity."""
    words = _sentence(status.words)
    if status is TrajectoryStatus.ON:
        return f"{words} (within the limits)"
    return f"{words} ({'better' if status is _good_status(polarity) else 'worse'})"


def _status_colour(status: TrajectoryStatus, polarity: Polarity) -> str:
    if status is TrajectoryStatus.ON:
        return palette.ON_TARGET
    return palette.BETTER if status is _good_status(polarity) else palette.WORSE


_POSITION_WORDS: dict[TrajectoryStatus, str] = {
    TrajectoryStatus.BELOW: "below the target trajectory",
    TrajectoryStatus.ON: "in line with the target trajectory",
    TrajectoryStatus.ABOVE: "above the target trajectory",
}


def _window(a: PublicAssessment) -> list[HistoryPoint]:
    """The months a performance chart shows (see DEFAULT_MONTHS and MAX_MONTHS)."""
    end = Month.parse(a.month)
    start = end - (DEFAULT_MONTHS - 1)
    if a.strategy_start is not None:
        start = min(start, Month.parse(a.strategy_start) - BASELINE_YEAR_MONTHS)
    start = max(start, end - (MAX_MONTHS - 1))
    return _drop_leading_gaps([p for p in _until(a) if p.month >= str(start)])


def _baseline_month(a: PublicAssessment) -> str | None:
    return None if a.strategy_start is None else str(Month.parse(a.strategy_start) - 1)


def _performance_alt(a: PublicAssessment, points: Sequence[HistoryPoint], hidden: int,
                     totals_only: int = 0) -> str:
    parts: list[str] = []
    status = a.trajectory_status
    if a.is_withheld("rolling_12"):
        text = f"The rolling 12-month figure for {a.measure_name} in {_label(a.month)} is " \
               "not shown to protect the people involved"
        if status is not None:
            text += f"; it is {_POSITION_WORDS[status]}"
        parts.append(text + ".")
    elif a.rolling_12 is None:
        parts.append(f"No rolling 12-month figure for {a.measure_name} is available for "
                     f"{_label(a.month)}.")
    else:
        what = "rate" if _is_rate(a) or is_rate(a.unit) else "total"
        if a.unit in ("mean_12_months", "cohort_offences"):
            what = _position_words(a)
        else:
            what = f"rolling 12-month {what}"
        when = a.month if a.frequency == "monthly" else (a.data_to or a.month)
        text = f"{a.measure_name}: the {what} was " \
               f"{_level_with_noun(a, a.rolling_12)} in {_label(when)}"
        if status is not None and (a.trajectory_target is not None
                                   or a.is_withheld("trajectory_target")):
            text += f", {_POSITION_WORDS[status]}"
            if not _target_hidden(a):
                text += f" of {_level(a, a.trajectory_target)}"
                if a.trajectory_lower is not None and a.trajectory_upper is not None:
                    text += (f" (limits {_level(a, a.trajectory_lower)} to "
                             f"{_level(a, a.trajectory_upper)})")
        parts.append(text)
    if status is not None:
        recent = [p.trajectory_status for p in points if p.trajectory_status is not None]
        recent = recent[-RECENT_MONTHS:]
        if recent:
            same = sum(1 for st in recent if st is status)
            lead = "; " if parts[-1][-1] != "." else " "
            verb = "was" if same == 1 else "were"
            periods = _PERIOD_WORDS.get(a.frequency, "months")
            sentence = f"{same} of the last {len(recent)} {periods} {verb} {status.words}."
            parts[-1] += lead + (sentence if lead == "; " else _sentence(sentence))
    if parts and not parts[-1].endswith("."):
        parts[-1] += "."
    if a.target_achieved:
        parts.append("The target is currently met.")
    if a.target_value is not None and not _target_hidden(a) and a.unit == "cohort_offences":
        parts.append(f"The ceiling is {_level_with_noun(a, a.target_value)} over "
                     f"{a.ceiling_period}.")
    elif a.target_value is not None and not _target_hidden(a):
        by = f" by {_label(a.target_by)}" if a.target_by else ""
        target = f"The target is {_level_with_noun(a, a.target_value)}{by}"
        if a.baseline_value is not None:
            base = f"the {a.baseline_label} baseline" if a.baseline_label else "the baseline"
            target += f"; {base} was {_level(a, a.baseline_value)}"
        parts.append(target + ".")
    reason = _why(a, AssessmentPart.TARGET, AssessmentPart.TRAJECTORY)
    if reason is not None:
        parts.append(reason.sentence)
    if hidden:
        parts.append(_hidden_sentence(a, hidden))
    if totals_only:
        parts.append(_hidden_totals_sentence(totals_only))
    return " ".join(parts)


def performance_chart(a: PublicAssessment) -> Chart:
    """The rolling 12-month position against the target trajectory and its limits (§1).

    Each month with a trajectory is marked by shape and colour: triangle down
    below, circle on, triangle up above target; the legend says which side is
    better for the measure's polarity.  The baseline is a diamond at the last
    month of the baseline year (a dotted line when that month is off the chart)
    and the target level a dash-dot line.
    """
    a = public_view(a)
    points = _window(a)
    hidden = sum(1 for p in points if p.suppressed)
    totals_only = sum(1 for p in points if p.rolling_suppressed and not p.suppressed)
    months = [p.month for p in points]
    title = _title(a)
    alt = _performance_alt(a, points, hidden, totals_only)
    mark = a.mark
    show_target = not _target_hidden(a)
    rows = [
        [p.month,
         mark if p.suppressed else _csv_number(p.value),
         _rolling_csv(a, p),
         *([_csv_number(p.trajectory_target), _csv_number(p.trajectory_lower),
            _csv_number(p.trajectory_upper)] if show_target else [mark] * 3),
         "" if p.trajectory_status is None else p.trajectory_status.value]
        for p in points
    ]
    fitted = dict(a.trend_line or ())
    for row in rows:
        row.append(_csv_number(fitted.get(row[0])))
    rows += [[m, "", "", "", "", "", "", _csv_number(v)] for m, v in (a.trend_line or ())
             if m not in months and months and m > months[-1]]
    table = _csv(["month", "monthly_value", "rolling_12", "trajectory", "lower_limit",
                  "upper_limit", "status", "trend_line"], rows)
    with _style():
        fig, (ax,) = _figure(WIDE_SIZE)
        if not any(p.rolling_12 is not None for p in points):
            _no_data(ax, "No rolling 12-month figures can be shown.")
        else:
            _draw_performance(ax, a, points, show_target)
            _month_axis(ax, months, a.frequency)
            _draw_trend(ax, a, months)
            _value_axis(ax, a)
            _floor_at_zero(ax)
            _legend(fig)
        return _chart(fig, title, alt, table, months)


def _title(a: PublicAssessment) -> str:
    """The chart's title in the measure's unit (a ceiling's is its allowance)."""
    if a.unit == "cohort_offences":
        return f"{a.measure_name}: {a.count_noun} to date against the pro-rata allowance"
    what = "twelve-month mean" if a.unit == "mean_12_months" else _position_words(a)
    if a.target_id is not None:
        return f"{a.measure_name}: {what} position against the target trajectory"
    return f"{a.measure_name}: {what} figure and its trend"


def _trend_x(months: Sequence[str], month: str, step: int = 1) -> int:
    """The x position of ``month`` on an axis of periods ``step`` months apart."""
    return Month.parse(month).minus(Month.parse(months[0])) // step


_PERIOD_WORDS = {"quarterly": "quarters", "annual": "years"}


def _step(a: PublicAssessment) -> int:
    return MONTHS_PER_PERIOD.get(a.frequency, 1)


def _draw_trend(ax: Axes, a: PublicAssessment, months: Sequence[str]) -> None:
    """The fitted trend (dashed) over its window and its projection (dotted) beyond the data,
    so the projection a sentence states is on the picture; the x axis reaches out to it."""
    if len(a.trend_line or ()) != len(("start", "end", "projection")) or not months:
        return
    (m0, v0), (m1, v1), (m2, v2) = (a.trend_line or ())
    x0, x1, x2 = (_trend_x(months, m, _step(a)) for m in (m0, m1, m2))
    method = a.trend_method.value.upper() if a.trend_method is not None else "fitted"
    ax.plot([max(x0, 0), x1], [v0 + (v1 - v0) * (max(x0, 0) - x0) / max(x1 - x0, 1), v1],
            color=palette.MUTED, linestyle="--", linewidth=1.4,
            label=f"Trend ({method}, {x1 - x0 + 1} {_PERIOD_WORDS.get(a.frequency, 'months')})")
    ax.plot([x1, x2], [v1, v2], color=palette.MUTED, linestyle=":", linewidth=1.4,
            marker="", label=f"Projection to {_label(m2)}: {_legend_level(a, v2)}")
    ax.plot([x2], [v2], linestyle="none", marker="s", markersize=5, color=palette.MUTED,
            label="_projection")
    low, high = ax.get_xlim()
    if x2 + 0.5 > high:
        # The axis now reaches the projection: thin the month labels over its whole
        # length (labels spaced for the data alone ran into each other), keep the latest
        # month's, and label the projection's month unless it is the latest's neighbour.
        ax.set_xlim(low, x2 + 0.5)
        step = _tick_step(x2 + 1, a.frequency)
        last = len(months) - 1
        ticks = [i for i in range(len(months)) if (last - i) % step == 0]
        if x2 - last < max(1, step // 2):
            ticks.remove(last)
        ticks.append(x2)
        labels = [_short(months[i], a.frequency) for i in ticks[:-1]] + [_short(m2, a.frequency)]
        ax.set_xticks(ticks, labels)


def _draw_performance(ax: Axes, a: PublicAssessment, points: Sequence[HistoryPoint],
                      show_target: bool) -> None:
    xs = list(range(len(points)))
    band = [i for i, p in enumerate(points)
            if p.trajectory_lower is not None and p.trajectory_upper is not None]
    if band and show_target:
        lower = [_nan(points[i].trajectory_lower) for i in band]
        upper = [_nan(points[i].trajectory_upper) for i in band]
        ax.fill_between(band, lower, upper, color=palette.BAND, linewidth=0,
                        label="Tolerance band")
        ax.plot(band, upper, color=palette.LIMIT, linestyle=":", linewidth=1.2,
                label="Upper and lower limits")
        ax.plot(band, lower, color=palette.LIMIT, linestyle=":", linewidth=1.2,
                label="_lower limit")
    trajectory = [i for i, p in enumerate(points) if p.trajectory_target is not None]
    if trajectory and show_target:
        ax.plot(trajectory, [_nan(points[i].trajectory_target) for i in trajectory],
                color=palette.TARGET, linestyle="--", linewidth=1.4, label="Target trajectory")
    if a.target_value is not None and show_target:
        by = f" ({_label(a.target_by)})" if a.target_by else ""
        if a.unit == "cohort_offences":
            by = f" ({a.ceiling_period})" if a.ceiling_period else by
        ax.axhline(a.target_value, color=palette.TARGET, linestyle="-.", linewidth=1.2,
                   label=f"Target{by}: {_legend_level(a, a.target_value)}")
    noun = "rate" if _is_rate(a) or is_rate(a.unit) else a.count_noun
    line = f"Rolling 12-month {noun}"
    if a.unit == "mean_12_months":
        line = _sentence(f"{noun}, {_position_words(a)}")
    elif a.unit == "cohort_offences":
        line = _sentence(f"{noun} {_position_words(a)}")
    ax.plot(xs, [_nan(p.rolling_12) for p in points], color=palette.INK,
            linewidth=LINE_WIDTH, label=line)
    months = [p.month for p in points]
    baseline_at = _baseline_month(a) if a.baseline_value is not None and show_target else None
    for status, marker in STATUS_MARKERS.items() if a.target_id is not None else ():
        # the baseline month (m = 0) is marked as the baseline, not by its status
        idx = [i for i, p in enumerate(points)
               if p.trajectory_status is status and p.rolling_12 is not None
               and p.month != baseline_at]
        ax.plot(idx, [_nan(points[i].rolling_12) for i in idx], linestyle="none",
                marker=marker, markersize=MARKER_SIZE,
                color=_status_colour(status, a.polarity), markeredgecolor=palette.WHITE,
                markeredgewidth=0.6, label=_status_label(status, a.polarity))
    if a.baseline_value is not None and show_target:
        base = f"Baseline {a.baseline_label}" if a.baseline_label else "Baseline"
        label = f"{base}: {_legend_level(a, a.baseline_value)}"
        month = _baseline_month(a)
        if month in months:
            ax.plot([months.index(month)], [a.baseline_value], linestyle="none",
                    marker=BASELINE_MARKER, markersize=MARKER_SIZE + 1, color=palette.BASELINE,
                    label=label)
        else:
            ax.axhline(a.baseline_value, color=palette.BASELINE, linestyle=(0, (1, 3)),
                       linewidth=1.2, label=label)
    ax.set_ylabel(_value_label(a, noun))
