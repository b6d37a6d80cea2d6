"""Small multiples: one panel per monitoring indicator, its rolling 12-month line."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cdrp_lib import palette
from cdrp_lib.assessment import AssessmentPart, HistoryPoint
from cdrp_lib.charts.base import (
    DECIMALS_RATE,
    FONT_SIZE,
    LATEST_MARKER,
    PANEL_MONTHS,
    PANEL_SIZE,
    PANEL_TITLE_WIDTH,
    SMALL_FONT_SIZE,
    SMALL_MARKER_SIZE,
    SMALL_MULTIPLE_COLUMNS,
    Chart,
    _chart,
    _csv,
    _drop_leading_gaps,
    _floor_at_zero,
    _is_rate,
    _label,
    _level,
    _level_with_noun,
    _nan,
    _no_data,
    _pp_change,
    _rolling_csv,
    _short,
    _style,
    _until,
    _value_axis,
    _why,
)
from cdrp_lib.charts.svg import _figure
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.rounding import fmt_signed_pct

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# ----------------------------------------------------------------------------- small multiples


def _panel_alt(a: PublicAssessment) -> str:
    if a.is_withheld("rolling_12"):
        return f"{a.measure_name}: the latest figure is not shown to protect the people involved."
    if a.rolling_12 is None:
        reason = _why(a, AssessmentPart.ROLLING)
        why = f" ({reason.sentence.rstrip('.')})" if reason is not None else ""
        return f"{a.measure_name}: no rolling 12-month figure{why}."
    text = f"{a.measure_name}: {_level_with_noun(a, a.rolling_12)} in the 12 months to " \
           f"{_label(a.month)}"
    if _is_rate(a) and a.change_12m_pp is not None:
        text += f" ({_pp_change(a.change_12m_pp)})"
    elif not _is_rate(a) and a.change_12m_pct is not None:
        text += f" ({fmt_signed_pct(a.change_12m_pct, DECIMALS_RATE)} on the previous 12 months)"
    return text + "."


def small_multiple(assessments: Sequence[PublicAssessment]) -> Chart:
    """One small panel per monitoring indicator: its rolling 12-month line (last 36 months).

    Panels do not share a y axis (the indicators differ in size); the latest
    point is marked and labelled and, where a trajectory exists, it is drawn
    dashed.  The alt text gives each indicator's latest figure and 12-month change.
    """
    if not assessments:
        raise ValueError("small_multiple needs at least one Assessment")
    assessments = [public_view(a) for a in assessments]
    n = len(assessments)
    ncols = min(SMALL_MULTIPLE_COLUMNS, n)
    nrows = math.ceil(n / ncols)
    title = "Monitoring indicators: rolling 12-month figures"
    month = max(a.month for a in assessments)
    alt = (f"Small charts of {n} monitoring indicator{'s' if n != 1 else ''}, rolling "
           f"12-month figures to {_label(month)}. "
           + " ".join(_panel_alt(a) for a in assessments))
    rows: list[list[str]] = []
    series: list[tuple[PublicAssessment, list[HistoryPoint]]] = []
    for a in assessments:
        window = _drop_leading_gaps(_until(a)[-PANEL_MONTHS:])
        series.append((a, window))
        rows.extend([a.measure, p.month, _rolling_csv(a, p)] for p in window)
    table = _csv(["measure", "month", "rolling_12"], rows)
    with _style():
        fig, axes = _figure((PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows), nrows, ncols)
        for k, ax in enumerate(axes):
            if k >= n:
                ax.set_axis_off()
                continue
            a, points = series[k]
            _draw_panel(ax, a, points)
        return _chart(fig, title, alt, table)


def _draw_panel(ax: Axes, a: PublicAssessment, points: Sequence[HistoryPoint]) -> None:
    import textwrap

    # y=1: where matplotlib would place it (no tick labels above a panel), said here so that
    # it does not measure both axes again to find that out each time it measures or draws
    ax.set_title(textwrap.fill(a.measure_name, PANEL_TITLE_WIDTH), fontsize=FONT_SIZE,
                 loc="left", color=palette.INK, y=1.0)
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    if not any(p.rolling_12 is not None for p in points):
        _no_data(ax, "No figures to show")
        return
    xs = list(range(len(points)))
    ax.plot(xs, [_nan(p.rolling_12) for p in points], color=palette.INK, linewidth=1.4)
    traj = [i for i, p in enumerate(points) if p.trajectory_target is not None]
    if traj:
        ax.plot(traj, [_nan(points[i].trajectory_target) for i in traj], color=palette.TARGET,
                linestyle="--", linewidth=1.0)
    last = len(points) - 1
    latest = points[last].rolling_12
    if latest is not None:
        ax.plot([last], [latest], linestyle="none", marker=LATEST_MARKER,
                markersize=SMALL_MARKER_SIZE, color=palette.INK)
        ax.annotate(_level(a, latest), (last, latest), textcoords="offset points",
                    xytext=(-4, 6), ha="right", fontsize=SMALL_FONT_SIZE, color=palette.INK)
    months = [p.month for p in points]
    ax.set_xticks([0, last], [_short(months[0]), _short(months[last])])
    ax.set_xlim(-0.5, last + 0.5)
    _value_axis(ax, a)
    _floor_at_zero(ax)
