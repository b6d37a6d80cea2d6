"""The survey chart: each wave with its confidence interval, the baseline and target (§6)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cdrp_lib import palette
from cdrp_lib.assessment import Assessment, AssessmentPart, HistoryPoint
from cdrp_lib.charts.base import (
    DECIMALS_RATE,
    MARKER_SIZE,
    MAX_SURVEY_LABELS,
    PERCENT,
    SURVEY_MARKER,
    WIDE_SIZE,
    Chart,
    _chart,
    _csv,
    _csv_number,
    _label,
    _legend,
    _nan,
    _no_data,
    _short,
    _style,
    _until,
    _value_axis,
    _why,
)
from cdrp_lib.charts.svg import _figure
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.rounding import fmt_pct

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# ----------------------------------------------------------------------------- survey


def _wave(a: PublicAssessment) -> str:
    return a.survey_wave or _label(a.month)


_CALENDAR_QUARTER = re.compile(r"\s*(\d{4})\s*-?\s*Q([1-4])\s*", re.IGNORECASE)


def _wave_tick(label: str, month: str) -> str:
    """A short axis label: "2024 Q3" for a calendar-quarter wave, else "Mar 2024"."""
    quarter = _CALENDAR_QUARTER.fullmatch(label)
    return f"{quarter[1]} Q{quarter[2]}" if quarter else _short(month)


def _wave_axis(ax: Axes, entries: Sequence[tuple[str, str, Any, Any]]) -> None:
    """Every wave gets a tick; at most :data:`MAX_SURVEY_LABELS` short labels, counted back
    from the latest wave so it is always labelled."""
    n = len(entries)
    step = max(1, math.ceil(n / MAX_SURVEY_LABELS))
    labelled = [i for i in range(n) if (n - 1 - i) % step == 0]
    ax.set_xticks(labelled, [_wave_tick(entries[i][1], entries[i][0]) for i in labelled])
    ax.set_xticks(range(n), minor=True)
    ax.set_xlim(-0.5, n - 0.5)


def _survey_alt(waves: Sequence[PublicAssessment], earlier: Sequence[HistoryPoint]) -> str:
    latest = waves[-1]
    name = latest.measure_name
    if latest.survey_percent is None:
        reason = _why(latest, AssessmentPart.SURVEY)
        tail = f" {reason.sentence}" if reason is not None else ""
        return f"{name}: no survey result is available for {_wave(latest)}.{tail}"
    level = fmt_pct(latest.settings.survey_level * PERCENT, 0)
    text = f"{name}: {fmt_pct(latest.survey_percent, DECIMALS_RATE)}"
    if latest.survey_ci_low is not None and latest.survey_ci_high is not None:
        text += (f" ({level} CI {fmt_pct(latest.survey_ci_low, DECIMALS_RATE)} to "
                 f"{fmt_pct(latest.survey_ci_high, DECIMALS_RATE)})")
    text += f" in {_wave(latest)}"
    if latest.baseline_percent is not None:
        base = f"the {latest.baseline_label} baseline" if latest.baseline_label else "the baseline"
        if latest.survey_significance is not None:
            text += f", {latest.survey_significance.words} from {base} of "
        else:
            text += f"; {base} was "
        text += fmt_pct(latest.baseline_percent, DECIMALS_RATE)
    text += "."
    shown: list[tuple[str, str, float | None]] = [
        (w.month, _wave(w), w.survey_percent) for w in waves[:-1] if w.survey_percent is not None]
    shown += [(p.month, _label(p.month), p.value) for p in earlier]
    shown.sort(key=lambda item: item[0])
    if shown:
        text += " Earlier waves: " + "; ".join(
            f"{label} {fmt_pct(v, DECIMALS_RATE)}" for _, label, v in shown) + "."
    return text


def survey_chart(waves: PublicAssessment | Sequence[PublicAssessment]) -> Chart:
    """Each survey wave's percentage with its 95% interval as error bars, and the baseline (§6).

    An Assessment holds the interval of its own (latest) wave only, so pass one
    Assessment per wave of the same measure (each assessed at its wave's
    month) to draw every interval.  Waves found only in the latest
    Assessment's history are drawn as open circles without an interval, and
    the legend says so.  The baseline and target of the latest wave are lines.
    """
    items = ([public_view(waves)] if isinstance(waves, Assessment)
             else sorted((public_view(w) for w in waves), key=lambda w: w.month))
    if not items:
        raise ValueError("survey_chart needs at least one Assessment")
    latest = items[-1]
    assessed = {w.month for w in items}
    earlier = [p for p in _until(latest) if p.month not in assessed and p.value is not None]
    entries: list[tuple[str, str, PublicAssessment | None, float | None]] = [
        (w.month, _wave(w), w, w.survey_percent) for w in items]
    entries += [(p.month, _label(p.month), None, p.value) for p in earlier]
    entries.sort(key=lambda e: e[0])
    labels = [e[1] for e in entries]
    title = f"{latest.measure_name}: survey results with 95% confidence intervals"
    alt = _survey_alt(items, earlier)
    table = _csv(
        ["wave", "month", "percent", "ci_low", "ci_high", "effective_sample", "baseline_percent"],
        [[label, month, _csv_number(v),
          _csv_number(w.survey_ci_low) if w else "", _csv_number(w.survey_ci_high) if w else "",
          _csv_number(w.survey_n) if w else "", _csv_number(w.baseline_percent) if w else ""]
         for month, label, w, v in entries])
    with _style():
        fig, (ax,) = _figure(WIDE_SIZE)
        if not any(v is not None for *_, v in entries):
            _no_data(ax, "No survey results are available yet.")
        else:
            _draw_survey(ax, latest, entries)
            _legend(fig)
        return _chart(fig, title, alt, table, labels)


def _draw_survey(ax: Axes, latest: PublicAssessment,
                 entries: Sequence[tuple[str, str, PublicAssessment | None, float | None]]) -> None:
    with_ci = [(i, w) for i, (_, _, w, v) in enumerate(entries)
               if w is not None and v is not None]
    if with_ci:
        xs = [i for i, _ in with_ci]
        ys = [_nan(w.survey_percent) for _, w in with_ci]
        low = [y - w.survey_ci_low if w.survey_ci_low is not None else 0.0
               for y, (_, w) in zip(ys, with_ci, strict=True)]
        high = [w.survey_ci_high - y if w.survey_ci_high is not None else 0.0
                for y, (_, w) in zip(ys, with_ci, strict=True)]
        ax.errorbar(xs, ys, yerr=[low, high], fmt="none", ecolor=palette.BETTER,
                    elinewidth=1.6, capsize=6, label="95% confidence interval")
        ax.plot(xs, ys, linestyle="none", marker=SURVEY_MARKER, markersize=MARKER_SIZE,
                color=palette.BETTER, label="Survey result")
    bare = [(i, v) for i, (_, _, w, v) in enumerate(entries) if w is None and v is not None]
    if bare:
        ax.plot([i for i, _ in bare], [_nan(v) for _, v in bare], linestyle="none",
                marker=SURVEY_MARKER, markersize=MARKER_SIZE, markerfacecolor=palette.WHITE,
                markeredgecolor=palette.BETTER, markeredgewidth=1.6,
                label="Earlier wave (interval not shown)")
    if latest.baseline_percent is not None:
        base = f"Baseline {latest.baseline_label}" if latest.baseline_label else "Baseline"
        ax.axhline(latest.baseline_percent, color=palette.BASELINE, linestyle="--",
                   linewidth=1.4, label=f"{base}: {fmt_pct(latest.baseline_percent, 1)}")
    if latest.target_value is not None:
        ax.axhline(latest.target_value, color=palette.TARGET, linestyle="-.", linewidth=1.2,
                   label=f"Target: {fmt_pct(latest.target_value, 1)}")
    _wave_axis(ax, entries)
    ax.set_ylabel("Percentage of respondents")
    _value_axis(ax, latest)
    low_lim, high_lim = ax.get_ylim()
    ax.set_ylim(max(0.0, low_lim), min(float(PERCENT), high_lim))
