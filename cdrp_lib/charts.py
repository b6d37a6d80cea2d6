"""The bulletin's charts, drawn from Assessments: PNG, alt text and the figures as CSV.

Each function takes :class:`~cdrp_lib.assessment.Assessment` objects and returns
a frozen :class:`Chart`.  A chart draws what the Assessment says and computes
no statistic, so it cannot disagree with the table and narrative beside it
(methods §12); its alt text states the finding in the same rounding as they do
(:mod:`cdrp_lib.stats.rounding`).

Design choices:

* **Plain matplotlib, no seaborn, no pyplot.**  Importing seaborn costs about
  three seconds (it pulls in pandas and scipy) for nothing these charts need;
  pyplot keeps global figure state.  Figures are built as
  :class:`matplotlib.figure.Figure` and printed by the Agg canvas explicitly, so
  no backend is switched, and matplotlib is imported only inside the functions:
  ``import cdrp_lib.charts`` stays cheap.
* **Deterministic, small PNGs.**  Fixed size, fixed DPI, the DejaVu Sans font
  that ships with matplotlib, no ``Software`` metadata, and a 256-colour
  palette (median cut, no dithering: exact and repeatable): the same
  Assessment gives byte-identical PNG bytes, about 25 kB for a wide chart.
* **Never colour alone** (WCAG 1.4.1).  Status is marked by marker shape as
  well as colour, the legend names every shape, and the SPC icons are printed
  as labelled text badges.  Colours come from :mod:`cdrp_lib.palette`.
* **Disclosure control (methods §9).**  For sensitive measures (domestic abuse,
  or any Assessment flagged ``suppressed``) a monthly count of 1-4 and a rate on
  fewer than 10 cases are never plotted and never written to the CSV; the alt
  text says how many months are not shown and why.
* :attr:`Chart.markers` and :attr:`Chart.points` are read back from the drawn
  matplotlib artists, so tests check what was really drawn.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import html
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cdrp_lib import palette
from cdrp_lib.assessment import Assessment, AssessmentPart, HistoryPoint
from cdrp_lib.periods import Month
from cdrp_lib.stats.disclosure import SECONDARY_MARK, SENSITIVE_THEMES, primary_mark
from cdrp_lib.stats.enums import (
    AssuranceIcon,
    NotAssessedReason,
    Polarity,
    SpcPointType,
    TrajectoryStatus,
    VariationIcon,
)
from cdrp_lib.stats.rounding import fmt_number, fmt_pct, fmt_signed, fmt_signed_pct
from cdrp_lib.tables import download_link, safe_csv_cell

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "STATUS_MARKERS",
    "Chart",
    "control_chart",
    "performance_chart",
    "repeat_rate_chart",
    "small_multiple",
    "survey_chart",
]

#: Dots per inch of every PNG: with the sizes below a wide chart is 900 x 500 pixels.
DPI = 100
PNG_COLOURS = 256  # an indexed PNG: charts are flat colours plus anti-aliasing
WIDE_SIZE = (9.0, 5.0)  # inches: performance, control, survey and repeat charts
PANEL_SIZE = (3.0, 2.4)  # inches per small-multiple panel
SMALL_MULTIPLE_COLUMNS = 3
FONT_FAMILY = "DejaVu Sans"  # bundled with matplotlib, so every machine draws the same glyphs
FONT_SIZE = 10
SMALL_FONT_SIZE = 8
LINE_WIDTH = 1.8
MARKER_SIZE = 7
SMALL_MARKER_SIZE = 5
BADGE_EDGE_WIDTH = 2.0
BADGE_STEP = 0.5  # the assurance badge starts half-way across the plot
BADGE_HEIGHT = 1.03  # badges sit just above the plot, in axes coordinates
PANEL_TITLE_WIDTH = 32  # characters before a panel title wraps
PERCENT = 100

#: Months shown on a performance chart without a strategy; with one, the chart
#: reaches back to the start of the baseline year, but never more than MAX_MONTHS.
DEFAULT_MONTHS = 36
BASELINE_YEAR_MONTHS = 12
MAX_MONTHS = 60
#: Months shown in a small-multiple panel.
PANEL_MONTHS = 36
#: How many recent months the performance alt text summarises ("10 of the last 12").
RECENT_MONTHS = 12
#: A tick every this many months on month axes.
TICK_EVERY = (3, 6, 12)
MAX_TICKS = 10
#: Labelled waves on a survey chart: at most this many, so labels never overlap
#: (every wave keeps an unlabelled tick; the CSV and alt text name them all).
MAX_SURVEY_LABELS = 8

DECIMALS_COUNT = 0
DECIMALS_RATE = 1
DECIMALS_SPC = 1

STATUS_MARKERS: dict[TrajectoryStatus, str] = {
    TrajectoryStatus.BELOW: "v",  # triangle down
    TrajectoryStatus.ON: "o",  # circle
    TrajectoryStatus.ABOVE: "^",  # triangle up
}
BASELINE_MARKER = "D"
LATEST_MARKER = "o"
SURVEY_MARKER = "o"
RATE_MARKER = "o"


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

_RC: dict[str, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": FONT_SIZE,
    "text.color": palette.INK,
    "axes.labelcolor": palette.INK,
    "axes.edgecolor": palette.MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": palette.GRID,
    "grid.linewidth": 0.6,
    "xtick.color": palette.MUTED,
    "ytick.color": palette.MUTED,
    "xtick.labelcolor": palette.INK,
    "ytick.labelcolor": palette.INK,
    "legend.frameon": False,
    "savefig.facecolor": palette.WHITE,
    "figure.facecolor": palette.WHITE,
    "path.simplify": False,
}


# ----------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG, the alt text stating its finding, and the figures as CSV.

    ``markers`` pairs each legend label with the marker shape drawn for it and
    ``points`` each month (or wave) with the shape of its marker; both are read
    from the matplotlib artists.  ``badges`` are the texts of the labelled
    badges drawn on the chart (SPC icons).
    """

    title: str
    alt: str
    png: bytes
    csv: str
    width: int
    height: int
    markers: tuple[tuple[str, str], ...] = ()
    points: tuple[tuple[str, str], ...] = ()
    badges: tuple[str, ...] = ()

    def marker(self, label: str) -> str | None:
        """The marker shape drawn for legend entry ``label``, or None."""
        return dict(self.markers).get(label)

    def to_html(self, download_href: str) -> str:
        """``<figure>`` with the PNG inline, its alt text and caption, then the CSV link.

        ``download_href`` must be relative (the site works from any folder); an
        absolute path or URL raises ValueError.
        """
        link = download_link(download_href, self.title)
        data = base64.b64encode(self.png).decode("ascii")
        return (
            '<figure class="chart">'
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" '
            f'width="{self.width}" height="{self.height}">'
            f"<figcaption>{html.escape(self.title)}</figcaption>"
            "</figure>\n" + link
        )


# ----------------------------------------------------------------------------- formatting


def _is_rate(a: Assessment) -> bool:
    return a.is_proportion


def _level(a: Assessment, x: float | None) -> str:
    """A level as the tables print it: a whole count, or a percentage with one decimal."""
    if _is_rate(a):
        return fmt_pct(x, DECIMALS_RATE)
    return fmt_number(x, DECIMALS_COUNT)


def _level_with_noun(a: Assessment, x: float | None) -> str:
    return _level(a, x) if _is_rate(a) else f"{_level(a, x)} {a.count_noun}"


def _spc_level(a: Assessment, x: float | None) -> str:
    return fmt_pct(x, DECIMALS_RATE) if _is_rate(a) else fmt_number(x, DECIMALS_SPC)


def _label(month: str) -> str:
    return Month.parse(month).label


def _short(month: str) -> str:
    m = Month.parse(month)
    return f"{m.label[:3]} {m.year}"


def _csv_number(x: float | None) -> str:
    """Unrounded, as the Assessment holds it, so an analyst can re-check the chart."""
    if x is None:
        return ""
    if float(x).is_integer():
        return str(int(x))
    return repr(float(x))


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([safe_csv_cell(x) for x in row] for row in rows)
    return out.getvalue()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _why(a: Assessment, *parts: AssessmentPart) -> NotAssessedReason | None:
    """The first of ``parts``' reasons worth saying: a part that does not apply is not mentioned."""
    return next((r for part in parts if (r := a.reason(part)) is not None
                 and r is not NotAssessedReason.NOT_APPLICABLE), None)


# ----------------------------------------------------------------------------- disclosure


def _mark(a: Assessment) -> str:
    """What the CSV prints for a hidden figure: ``<5`` for a count, ``[c]`` for a rate (§9)."""
    return SECONDARY_MARK if _is_rate(a) else primary_mark(a.settings.suppression_threshold)


def _sensitive(a: Assessment) -> bool:
    """Whether §9 applies: a sensitive theme, or assess() flagged figures of the measure."""
    return a.suppressed or a.theme in SENSITIVE_THEMES


def _hidden_count(a: Assessment, value: float | None) -> bool:
    """A count of 1 to threshold-1 of a sensitive count measure (§9: shown as "<5")."""
    if value is None or _is_rate(a) or not _sensitive(a):
        return False
    return 0 < value < a.settings.suppression_threshold


def _hidden_point(a: Assessment, p: HistoryPoint) -> bool:
    """A history month that must not be shown: flagged by assess(), or a small sensitive count."""
    return p.suppressed or _hidden_count(a, p.value) or _hidden_count(a, p.rolling_12)


def _hidden_months(a: Assessment) -> frozenset[str]:
    return frozenset(p.month for p in a.history if _hidden_point(a, p))


def _hidden_totals(a: Assessment, hidden_months: frozenset[str]) -> frozenset[str]:
    """Months whose rolling 12-month figure must not be shown: the ``hidden_months``, and
    those whose 12 months include one (§9 across months: the total would give it back)."""
    return hidden_months | frozenset(p.month for p in a.history if p.rolling_suppressed)


def _target_hidden(a: Assessment) -> bool:
    """The baseline or target would disclose a small count, so no target lines are drawn."""
    return any(a.is_suppressed(n) for n in ("baseline_value", "target_value", "target_text"))


def _rolling_csv(a: Assessment, p: HistoryPoint, hidden: frozenset[str],
                 hidden_totals: frozenset[str]) -> str:
    """A month's rolling figure as the CSV writes it: the month's mark when the month is
    hidden, ``[c]`` when only its total is (it adds up a hidden month), else the figure."""
    if p.month in hidden:
        return _mark(a)
    if p.month in hidden_totals and p.rolling_12 is not None:
        return SECONDARY_MARK
    return _csv_number(p.rolling_12)


def _hidden_totals_sentence(months: int) -> str:
    what = "figure of 1 more month is" if months == 1 else f"figures of {months} more months are"
    return (f"The rolling 12-month {what} not shown (written as {SECONDARY_MARK}): each "
            "adds up a hidden month, which it would give away.")


def _hidden_sentence(a: Assessment, hidden: int) -> str:
    months = "month is" if hidden == 1 else "months are"
    if _is_rate(a):
        return (f"{hidden} {months} not shown because the figure would rest on fewer than "
                f"{a.settings.min_denominator} cases.")
    return (f"{hidden} {months} not shown because the count is below "
            f"{a.settings.suppression_threshold} (written as {_mark(a)} in the figures).")


# ----------------------------------------------------------------------------- drawing


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        yield


def _figure(size: tuple[float, float]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    """The figure as a 256-colour PNG: no metadata, the same bytes on every run.

    A chart has a few flat colours plus anti-aliasing, so median-cut
    quantisation without dithering keeps every palette colour exact and cuts
    the file (inlined as base64 in every page) to about a third.
    """
    from PIL import Image

    rgba = io.BytesIO()
    fig.savefig(rgba, format="png", dpi=DPI, metadata={"Software": None})
    rgba.seek(0)
    with Image.open(rgba) as image:
        indexed = image.convert("RGB").quantize(
            colors=PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    indexed.save(out, format="png", optimize=True, dpi=(DPI, DPI))
    return out.getvalue()


def _pixels(fig: Figure) -> tuple[int, int]:
    w, h = fig.get_size_inches()
    return round(w * DPI), round(h * DPI)


def _chart(fig: Figure, title: str, alt: str, table: str,
           labels: Sequence[str] | None = None, badges: tuple[str, ...] = ()) -> Chart:
    """The finished figure as a Chart: its PNG and size and, for a chart along months or
    waves (``labels``), the markers its legend and points show.  Called inside
    :func:`_style`, which the PNG is drawn with.
    """
    markers, drawn = _drawn(fig, labels) if labels is not None else ((), ())
    png = _png(fig)
    width, height = _pixels(fig)
    return Chart(title, alt, png, table, width, height, markers, drawn, badges)


def _month_axis(ax: Axes, months: Sequence[str]) -> None:
    """Integer x positions labelled ``Mar 2025``, a tick every 3, 6 or 12 months."""
    if not months:
        ax.set_xticks([])
        return
    step = next((s for s in TICK_EVERY if len(months) / s <= MAX_TICKS), TICK_EVERY[-1])
    last = len(months) - 1
    ticks = [i for i in range(len(months)) if (last - i) % step == 0]
    ax.set_xticks(ticks, [_short(months[i]) for i in ticks])
    ax.set_xlim(-0.5, last + 0.5)


def _value_axis(ax: Axes, a: Assessment) -> None:
    from matplotlib.ticker import FuncFormatter

    if _is_rate(a):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_pct(float(v), 0)))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(float(v), 0)))


def _floor_at_zero(ax: Axes) -> None:
    low, high = ax.get_ylim()
    if low < 0:
        ax.set_ylim(0, high)


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True,
            color=palette.INK)
    ax.set_xticks([])
    ax.set_yticks([])


def _nan(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _drawn(fig: Figure, months: Sequence[str]) -> tuple[
        tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Legend labels with their marker, and each month with its marker, read from the artists."""
    import numpy as np

    markers: list[tuple[str, str]] = []
    points: dict[int, str] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            marker = str(line.get_marker())
            label = str(line.get_label())
            if marker in ("None", "", " ") or label.startswith("_"):
                continue
            markers.append((label, marker))
            xs = np.asarray(line.get_xdata(), dtype=float)
            ys = np.asarray(line.get_ydata(), dtype=float)
            for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
                if not math.isnan(y):
                    points[int(x)] = marker
    return tuple(markers), tuple(
        (months[i], points[i]) for i in sorted(points) if 0 <= i < len(months))


def _legend(fig: Figure, ncols: int = 3) -> None:
    handles, labels = [], []
    for ax in fig.axes:
        h, lab = ax.get_legend_handles_labels()
        handles.extend(h)
        labels.extend(lab)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols)


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


def _until(a: Assessment) -> list[HistoryPoint]:
    return [p for p in a.history if p.month <= a.month]


def _drop_leading_gaps(points: Sequence[HistoryPoint]) -> list[HistoryPoint]:
    out = list(points)
    while out and out[0].rolling_12 is None:
        out = out[1:]
    return out


def _window(a: Assessment) -> list[HistoryPoint]:
    """The months a performance chart shows (see DEFAULT_MONTHS and MAX_MONTHS)."""
    end = Month.parse(a.month)
    start = end - (DEFAULT_MONTHS - 1)
    if a.strategy_start is not None:
        start = min(start, Month.parse(a.strategy_start) - BASELINE_YEAR_MONTHS)
    start = max(start, end - (MAX_MONTHS - 1))
    return _drop_leading_gaps([p for p in _until(a) if p.month >= str(start)])


def _baseline_month(a: Assessment) -> str | None:
    return None if a.strategy_start is None else str(Month.parse(a.strategy_start) - 1)


def _performance_alt(a: Assessment, points: Sequence[HistoryPoint], hidden: int,
                     totals_only: int = 0) -> str:
    parts: list[str] = []
    status = a.trajectory_status
    if a.rolling_12 is None:
        parts.append(f"No rolling 12-month figure for {a.measure_name} is available for "
                     f"{_label(a.month)}.")
    elif a.is_suppressed("rolling_12"):
        text = f"The rolling 12-month figure for {a.measure_name} in {_label(a.month)} is " \
               "not shown to protect the people involved"
        if status is not None:
            text += f"; it is {_POSITION_WORDS[status]}"
        parts.append(text + ".")
    else:
        what = "rate" if _is_rate(a) else "total"
        text = f"{a.measure_name}: the rolling 12-month {what} was " \
               f"{_level_with_noun(a, a.rolling_12)} in {_label(a.month)}"
        if status is not None and a.trajectory_target is not None:
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
            sentence = f"{same} of the last {len(recent)} months {verb} {status.words}."
            parts[-1] += lead + (sentence if lead == "; " else _sentence(sentence))
    if parts and not parts[-1].endswith("."):
        parts[-1] += "."
    if a.target_achieved:
        parts.append("The target is currently met.")
    if a.target_value is not None and not _target_hidden(a):
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


def performance_chart(a: Assessment) -> Chart:
    """The rolling 12-month position against the target trajectory and its limits (§1).

    Each month with a trajectory is marked by shape and colour: triangle down
    below, circle on, triangle up above target; the legend says which side is
    better for the measure's polarity.  The baseline is a diamond at the last
    month of the baseline year (a dotted line when that month is off the chart)
    and the target level a dash-dot line.
    """
    window = _window(a)
    hidden_months = _hidden_months(a)
    hidden_totals = _hidden_totals(a, hidden_months)
    points = [dataclasses.replace(
        p, value=None if p.month in hidden_months else p.value,
        rolling_12=None if p.month in hidden_totals else p.rolling_12) for p in window]
    hidden = sum(1 for p in window if p.month in hidden_months)
    totals_only = sum(1 for p in window if p.month in hidden_totals
                      and p.month not in hidden_months and p.rolling_12 is not None)
    months = [p.month for p in points]
    title = f"{a.measure_name}: rolling 12-month position against the target trajectory"
    alt = _performance_alt(a, window, hidden, totals_only)
    mark = _mark(a)
    show_target = not _target_hidden(a)
    rows = [
        [p.month,
         mark if p.month in hidden_months else _csv_number(p.value),
         _rolling_csv(a, p, hidden_months, hidden_totals),
         *([_csv_number(p.trajectory_target), _csv_number(p.trajectory_lower),
            _csv_number(p.trajectory_upper)] if show_target else [mark] * 3),
         "" if p.trajectory_status is None else p.trajectory_status.value]
        for p in window
    ]
    table = _csv(["month", "monthly_value", "rolling_12", "trajectory", "lower_limit",
                  "upper_limit", "status"], rows)
    with _style():
        fig = _figure(WIDE_SIZE)
        ax = fig.add_subplot()
        if not any(p.rolling_12 is not None for p in points):
            _no_data(ax, "No rolling 12-month figures can be shown.")
        else:
            _draw_performance(ax, a, points, show_target)
            _month_axis(ax, months)
            _value_axis(ax, a)
            _floor_at_zero(ax)
            _legend(fig)
        return _chart(fig, title, alt, table, months)


def _draw_performance(ax: Axes, a: Assessment, points: Sequence[HistoryPoint],
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
        ax.axhline(a.target_value, color=palette.TARGET, linestyle="-.", linewidth=1.2,
                   label=f"Target{by}: {_level(a, a.target_value)}")
    noun = "rate" if _is_rate(a) else a.count_noun
    ax.plot(xs, [_nan(p.rolling_12) for p in points], color=palette.INK,
            linewidth=LINE_WIDTH, label=f"Rolling 12-month {noun}")
    months = [p.month for p in points]
    baseline_at = _baseline_month(a) if a.baseline_value is not None and show_target else None
    for status, marker in STATUS_MARKERS.items():
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
        label = f"{base}: {_level(a, a.baseline_value)}"
        month = _baseline_month(a)
        if month in months:
            ax.plot([months.index(month)], [a.baseline_value], linestyle="none",
                    marker=BASELINE_MARKER, markersize=MARKER_SIZE + 1, color=palette.BASELINE,
                    label=label)
        else:
            ax.axhline(a.baseline_value, color=palette.BASELINE, linestyle=(0, (1, 3)),
                       linewidth=1.2, label=label)
    ax.set_ylabel("Rate (%), rolling 12 months" if _is_rate(a)
                  else f"{_sentence(noun)}, rolling 12 months")


# ----------------------------------------------------------------------------- control chart


def _variation_badge(a: Assessment) -> tuple[str, str]:
    if a.variation_icon is None:
        return "Variation: not assessed", palette.ON_TARGET
    return (f"Variation: {VARIATION_WORDS[a.variation_icon]}",
            _VARIATION_COLOUR[a.variation_icon])


def _assurance_badge(a: Assessment) -> tuple[str, str]:
    if a.assurance_icon is None:
        why = "no target" if a.spc_target is None else "not assessed"
        return f"Assurance: {why}", palette.ON_TARGET
    return (f"Assurance: {ASSURANCE_WORDS[a.assurance_icon]}",
            _ASSURANCE_COLOUR[a.assurance_icon])


def _spc_shown(a: Assessment) -> list[tuple[str, float | None]]:
    """Each SPC month with its value, or None when missing or hidden by §9."""
    hidden = _hidden_months(a)
    return [(p.month, None if (p.month in hidden or _hidden_count(a, p.value)) else p.value)
            for p in a.spc_points]


def _control_alt(a: Assessment, shown: Sequence[tuple[str, float | None]],
                 hidden: int) -> str:
    name = a.measure_name
    points = a.spc_points
    if not points or a.spc_mean is None:
        reason = _why(a, AssessmentPart.SPC)
        tail = f" {reason.sentence}" if reason is not None else ""
        return f"No control chart can be drawn for {name} for {_label(a.month)}.{tail}"
    what = "monthly rate" if _is_rate(a) else f"monthly {a.count_noun}"
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


def control_chart(a: Assessment) -> Chart:
    """Monthly values with mean, process limits and near limits (§7, Making Data Count).

    Special-cause points are marked by shape and colour (square improvement,
    cross concern, diamond neither better nor worse), common-cause points by a
    grey circle; the variation and assurance icons are printed as labelled text
    badges above the plot, so they read without colour.
    """
    title = f"{a.measure_name}: monthly values with process limits (statistical process control)"
    shown = _spc_shown(a)
    hidden = sum(1 for p, (_, v) in zip(a.spc_points, shown, strict=True)
                 if v is None and p.value is not None)
    months = [p.month for p in a.spc_points]
    badges = (_variation_badge(a), _assurance_badge(a))
    mark = _mark(a)
    rows = [[p.month,
             mark if (v is None and p.value is not None) else _csv_number(v),
             "" if p.point_type is None else p.point_type.value,
             " ".join(r.value for r in p.rules), _csv_number(a.spc_mean),
             _csv_number(a.spc_lower), _csv_number(a.spc_upper), _csv_number(a.spc_near_lower),
             _csv_number(a.spc_near_upper), _csv_number(a.spc_target)]
            for p, (_, v) in zip(a.spc_points, shown, strict=True)]
    table = _csv(["month", "value", "point_type", "rules", "mean", "lower_process_limit",
                  "upper_process_limit", "lower_near_limit", "upper_near_limit",
                  "monthly_target"], rows)
    alt = _control_alt(a, shown, hidden)
    with _style():
        fig = _figure(WIDE_SIZE)
        ax = fig.add_subplot()
        if not a.spc_points or a.spc_mean is None:
            _no_data(ax, "No control chart: not enough monthly values.")
        else:
            _draw_control(ax, a, shown)
            _month_axis(ax, months)
            _value_axis(ax, a)
            for i, (text, colour) in enumerate(badges):
                ax.text(BADGE_STEP * i, BADGE_HEIGHT, text, transform=ax.transAxes,
                        ha="left", va="bottom", fontsize=FONT_SIZE - 1, color=palette.INK,
                        bbox={"boxstyle": "round,pad=0.35", "facecolor": palette.WHITE,
                              "edgecolor": colour, "linewidth": BADGE_EDGE_WIDTH})
            _legend(fig)
        return _chart(fig, title, alt, table, months, tuple(text for text, _ in badges))


def _draw_control(ax: Axes, a: Assessment, shown: Sequence[tuple[str, float | None]]) -> None:
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
    if a.spc_target is not None and not _target_hidden(a):
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


# ----------------------------------------------------------------------------- small multiples


def _panel_alt(a: Assessment) -> str:
    if a.rolling_12 is None:
        reason = _why(a, AssessmentPart.ROLLING)
        why = f" ({reason.sentence.rstrip('.')})" if reason is not None else ""
        return f"{a.measure_name}: no rolling 12-month figure{why}."
    if a.is_suppressed("rolling_12"):
        return f"{a.measure_name}: the latest figure is not shown to protect the people involved."
    text = f"{a.measure_name}: {_level_with_noun(a, a.rolling_12)} in the 12 months to " \
           f"{_label(a.month)}"
    if _is_rate(a) and a.change_12m_pp is not None and not a.is_suppressed("change_12m_pp"):
        text += f" ({_pp_change(a.change_12m_pp)})"
    elif (not _is_rate(a) and a.change_12m_pct is not None
          and not a.is_suppressed("change_12m_pct")):
        text += f" ({fmt_signed_pct(a.change_12m_pct, DECIMALS_RATE)} on the previous 12 months)"
    return text + "."


def small_multiple(assessments: Sequence[Assessment]) -> Chart:
    """One small panel per monitoring indicator: its rolling 12-month line (last 36 months).

    Panels do not share a y axis (the indicators differ in size); the latest
    point is marked and labelled and, where a trajectory exists, it is drawn
    dashed.  The alt text gives each indicator's latest figure and 12-month change.
    """
    if not assessments:
        raise ValueError("small_multiple needs at least one Assessment")
    n = len(assessments)
    ncols = min(SMALL_MULTIPLE_COLUMNS, n)
    nrows = math.ceil(n / ncols)
    title = "Monitoring indicators: rolling 12-month figures"
    month = max(a.month for a in assessments)
    alt = (f"Small charts of {n} monitoring indicator{'s' if n != 1 else ''}, rolling "
           f"12-month figures to {_label(month)}. "
           + " ".join(_panel_alt(a) for a in assessments))
    rows: list[list[str]] = []
    series: list[tuple[Assessment, list[HistoryPoint]]] = []
    for a in assessments:
        hidden = _hidden_months(a)
        hidden_totals = _hidden_totals(a, hidden)
        window = _drop_leading_gaps(_until(a)[-PANEL_MONTHS:])
        points = [dataclasses.replace(p, rolling_12=None) if p.month in hidden_totals else p
                  for p in window]
        series.append((a, points))
        rows.extend([a.measure, p.month, _rolling_csv(a, p, hidden, hidden_totals)]
                    for p in window)
    table = _csv(["measure", "month", "rolling_12"], rows)
    with _style():
        fig = _figure((PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= n:
                ax.set_axis_off()
                continue
            a, points = series[k]
            _draw_panel(ax, a, points)
        return _chart(fig, title, alt, table)


def _draw_panel(ax: Axes, a: Assessment, points: Sequence[HistoryPoint]) -> None:
    import textwrap

    ax.set_title(textwrap.fill(a.measure_name, PANEL_TITLE_WIDTH), fontsize=FONT_SIZE,
                 loc="left", color=palette.INK)
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    if not any(p.rolling_12 is not None for p in points):
        _no_data(ax, "No figures to show")
        return
    xs = list(range(len(points)))
    ax.plot(xs, [_nan(p.rolling_12) for p in points], color=palette.INK, linewidth=1.4)
    traj = [i for i, p in enumerate(points) if p.trajectory_target is not None]
    if traj and not _target_hidden(a):
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


# ----------------------------------------------------------------------------- survey


def _wave(a: Assessment) -> str:
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


def _survey_alt(waves: Sequence[Assessment], earlier: Sequence[HistoryPoint]) -> str:
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


def survey_chart(waves: Assessment | Sequence[Assessment]) -> Chart:
    """Each survey wave's percentage with its 95% interval as error bars, and the baseline (§6).

    An Assessment holds the interval of its own (latest) wave only, so pass one
    Assessment per wave of the same measure (each assessed at its wave's
    month) to draw every interval.  Waves found only in the latest
    Assessment's history are drawn as open circles without an interval, and
    the legend says so.  The baseline and target of the latest wave are lines.
    """
    items = [waves] if isinstance(waves, Assessment) else sorted(waves, key=lambda w: w.month)
    if not items:
        raise ValueError("survey_chart needs at least one Assessment")
    latest = items[-1]
    assessed = {w.month for w in items}
    earlier = [p for p in _until(latest) if p.month not in assessed and p.value is not None
               and not _hidden_point(latest, p)]
    entries: list[tuple[str, str, Assessment | None, float | None]] = [
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
        fig = _figure(WIDE_SIZE)
        ax = fig.add_subplot()
        if not any(v is not None for *_, v in entries):
            _no_data(ax, "No survey results are available yet.")
        else:
            _draw_survey(ax, latest, entries)
            _legend(fig)
        return _chart(fig, title, alt, table, labels)


def _draw_survey(ax: Axes, latest: Assessment,
                 entries: Sequence[tuple[str, str, Assessment | None, float | None]]) -> None:
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


# ----------------------------------------------------------------------------- repeats


def repeat_rate_chart(a: Assessment) -> Chart:
    """The rolling 12-month repeat rate over time (§8), with §9 suppression.

    A month whose rate assess() flagged (fewer than ``min_denominator`` cases
    behind it) is never plotted and is written to the CSV as ``[c]``; the alt
    text says how many months are not shown and why.
    """
    hidden_months = _hidden_months(a)
    if a.is_suppressed("rolling_12"):
        hidden_months = hidden_months | {a.month}
    points = _drop_leading_gaps(_until(a)[-DEFAULT_MONTHS:])
    values = [None if p.month in hidden_months else p.rolling_12 for p in points]
    months = [p.month for p in points]
    hidden = sum(1 for p in points if p.month in hidden_months)
    title = f"{a.measure_name}: rolling 12-month rate"
    table = _csv(["month", "rolling_12_rate_percent"],
                 [[p.month, SECONDARY_MARK if p.month in hidden_months
                   else _csv_number(p.rolling_12)] for p in points])
    alt = _repeat_alt(a, a.month in hidden_months, hidden)
    with _style():
        fig = _figure(WIDE_SIZE)
        ax = fig.add_subplot()
        if not any(v is not None for v in values):
            _no_data(ax, "No repeat rate can be shown.")
        else:
            ax.plot(list(range(len(values))), [_nan(v) for v in values], color=palette.INK,
                    linewidth=LINE_WIDTH, marker=RATE_MARKER, markersize=SMALL_MARKER_SIZE,
                    label="Rolling 12-month repeat rate")
            if a.target_value is not None and not _target_hidden(a):
                ax.axhline(a.target_value, color=palette.TARGET, linestyle="-.", linewidth=1.2,
                           label=f"Target: {fmt_pct(a.target_value, DECIMALS_RATE)}")
            if a.baseline_value is not None and not _target_hidden(a):
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


def _pp_change(pp: float) -> str:
    """``+1.2 percentage points on the previous 12 months`` (or "the same as")."""
    shown = fmt_signed(pp, DECIMALS_RATE)
    if shown.lstrip("+-").strip("0.") == "":
        return "the same as in the previous 12 months"
    return f"{shown} percentage points on the previous 12 months"


def _repeat_alt(a: Assessment, hide_now: bool, hidden: int) -> str:
    parts: list[str] = []
    if hide_now and a.rolling_12 is not None:
        parts.append(f"The rolling 12-month {a.measure_name} for {_label(a.month)} is not "
                     f"shown because it rests on fewer than {a.settings.min_denominator} "
                     "cases.")
        hidden -= 1
    elif a.rolling_12 is not None:
        text = (f"The rolling 12-month {a.measure_name} was "
                f"{fmt_pct(a.rolling_12, DECIMALS_RATE)} in {_label(a.month)}")
        if a.change_12m_pp is not None and not a.is_suppressed("change_12m_pp"):
            text += ", " + _pp_change(a.change_12m_pp)
        parts.append(text + ".")
    else:
        reason = _why(a, AssessmentPart.ROLLING)
        parts.append(f"No rolling 12-month {a.measure_name} is available for "
                     f"{_label(a.month)}." + (f" {reason.sentence}" if reason is not None else ""))
    if a.target_value is not None and not _target_hidden(a):
        parts.append(f"The target is {fmt_pct(a.target_value, DECIMALS_RATE)}.")
    if hidden > 0:
        parts.append(_hidden_sentence(a, hidden))
    return " ".join(parts)
