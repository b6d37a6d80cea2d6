"""The repeat-rate chart: the rolling 12-month repeat rate over time (§8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdrp_lib import palette
from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.charts.base import (
    DECIMALS_RATE,
    DEFAULT_MONTHS,
    LINE_WIDTH,
    RATE_MARKER,
    SMALL_MARKER_SIZE,
    WIDE_SIZE,
    Chart,
    _chart,
    _csv,
    _csv_number,
    _drop_leading_gaps,
    _floor_at_zero,
    _hidden_sentence,
    _hidden_totals_sentence,
    _label,
    _legend,
    _month_axis,
    _nan,
    _no_data,
    _pp_change,
    _style,
    _until,
    _value_axis,
    _why,
)
from cdrp_lib.charts.svg import _figure
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.disclosure import SECONDARY_MARK
from cdrp_lib.stats.rounding import fmt_pct

if TYPE_CHECKING:
    pass


# ----------------------------------------------------------------------------- repeats


def repeat_rate_chart(a: PublicAssessment) -> Chart:
    """The rolling 12-month repeat rate over time (§8), with §9 suppression.

    A month whose rate the public view withholds (fewer than ``min_denominator``
    cases behind it) is never plotted and is written to the CSV as ``[c]``, and so
    is a rolling figure the view withholds because it adds up a withheld month; the
    alt text says how many months are not shown and why.
    """
    a = public_view(a)
    points = _drop_leading_gaps(_until(a)[-DEFAULT_MONTHS:])
    withheld = {p.month for p in points if p.suppressed}
    if a.is_withheld("rolling_12"):
        withheld.add(a.month)
    totals = {p.month for p in points if p.rolling_suppressed} - withheld
    hidden_months = withheld | totals
    values = [None if p.month in hidden_months else p.rolling_12 for p in points]
    months = [p.month for p in points]
    hidden = sum(1 for p in points if p.month in withheld)
    title = f"{a.measure_name}: rolling 12-month rate"
    table = _csv(["month", "rolling_12_rate_percent"],
                 [[p.month, SECONDARY_MARK if p.month in hidden_months
                   else _csv_number(p.rolling_12)] for p in points])
    alt = _repeat_alt(a, a.month in withheld, hidden, len(totals))
    with _style():
        fig, (ax,) = _figure(WIDE_SIZE)
        if not any(v is not None for v in values):
            _no_data(ax, "No repeat rate can be shown.")
        else:
            ax.plot(list(range(len(values))), [_nan(v) for v in values], color=palette.INK,
                    linewidth=LINE_WIDTH, marker=RATE_MARKER, markersize=SMALL_MARKER_SIZE,
                    label="Rolling 12-month repeat rate")
            if a.target_value is not None:
                ax.axhline(a.target_value, color=palette.TARGET, linestyle="-.", linewidth=1.2,
                           label=f"Target: {fmt_pct(a.target_value, DECIMALS_RATE)}")
            if a.baseline_value is not None:
                base = f"Baseline {a.baseline_label}" if a.baseline_label else "Baseline"
                ax.axhline(a.baseline_value, color=palette.BASELINE, linestyle="--",
                           linewidth=1.2,
                           label=f"{base}: {fmt_pct(a.baseline_value, DECIMALS_RATE)}")
            _month_axis(ax, months)
            _value_axis(ax, a)
            ax.set_ylabel("Repeat rate (%), rolling 12 months")
            _floor_at_zero(ax)
            _legend(fig)
        return _chart(fig, title, alt, table, months)


def _repeat_alt(a: PublicAssessment, hide_now: bool, hidden: int, totals_only: int) -> str:
    parts: list[str] = []
    if hide_now and (a.rolling_12 is not None or a.is_withheld("rolling_12")):
        parts.append(f"The rolling 12-month {a.measure_name} for {_label(a.month)} is not "
                     f"shown because it rests on fewer than {a.settings.min_denominator} "
                     "cases.")
        hidden -= 1
    elif a.rolling_12 is not None:
        text = (f"The rolling 12-month {a.measure_name} was "
                f"{fmt_pct(a.rolling_12, DECIMALS_RATE)} in {_label(a.month)}")
        if a.change_12m_pp is not None:
            text += ", " + _pp_change(a.change_12m_pp)
        parts.append(text + ".")
    else:
        reason = _why(a, AssessmentPart.ROLLING)
        parts.append(f"No rolling 12-month {a.measure_name} is available for "
                     f"{_label(a.month)}." + (f" {reason.sentence}" if reason is not None else ""))
    if a.target_value is not None:
        parts.append(f"The target is {fmt_pct(a.target_value, DECIMALS_RATE)}.")
    if hidden > 0:
        parts.append(_hidden_sentence(a, hidden))
    if totals_only:
        parts.append(_hidden_totals_sentence(totals_only))
    return " ".join(parts)
