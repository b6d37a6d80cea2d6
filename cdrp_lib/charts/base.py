"""What every chart shares: the Chart result, style, SVG output, axes and formatting.

Design choices (for every chart of :mod:`cdrp_lib.charts`):

* **Plain matplotlib, no seaborn, no pyplot.**  Importing seaborn costs about
  three seconds (it pulls in pandas and scipy) for nothing these charts need;
  pyplot keeps global figure state.  Figures are built as
  :class:`matplotlib.figure.Figure` and printed by the Agg canvas explicitly, so
  no backend is switched, and matplotlib is imported only inside the functions:
  ``import cdrp_lib.charts`` stays cheap.
* **Vector, deterministic, small.**  A chart is inline SVG (``svg._svg``, the one
  output function every chart goes through): sharp at any zoom and in print,
  its text kept as ``<text>`` (``svg.fonttype: none``) in the DejaVu Sans
  metrics matplotlib lays it out with, the font family left to the bulletin's
  stylesheet.  It is made byte-identical on every run (a fixed ``svg.hashsalt``
  from the chart's own content, no date, no metadata, no generated group ids)
  and small (no indentation, coordinates to 0.01 pt): about 8 kB for a wide
  chart, against 33 kB for the base64 PNG it replaces.  The ``<svg>`` carries
  the alt text as ``role="img"`` and ``aria-label`` (its accessible name; a ``<title>``
  repeating it added a few hundred bytes to every chart and nothing for a reader).
* **Never colour alone** (WCAG 1.4.1).  Status is marked by marker shape as
  well as colour, the legend names every shape, and the SPC icons are printed
  as labelled text badges.  Colours come from :mod:`cdrp_lib.palette`.
* **Disclosure control (methods §9) is the public view's**
  (:func:`cdrp_lib.public.public_view`): a chart draws only what the view holds,
  writes the view's mark (``<5``, or ``[c]`` for a rate or a total that adds up a
  withheld month) in the CSV where a figure is withheld, and its alt text says how
  many months are not shown and why.  No chart decides what to hide.
* :attr:`Chart.markers` and :attr:`Chart.points` are read back from the drawn
  matplotlib artists, so tests check what was really drawn.
"""

from __future__ import annotations

import csv
import html
import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cdrp_lib import palette
from cdrp_lib.assessment import AssessmentPart, HistoryPoint
from cdrp_lib.charts.svg import FONT_FAMILY, _figure, _fit, _pixels, _svg, _svg_renderer
from cdrp_lib.periods import Month
from cdrp_lib.public import PublicAssessment
from cdrp_lib.stats.disclosure import SECONDARY_MARK
from cdrp_lib.stats.enums import NotAssessedReason, TrajectoryStatus
from cdrp_lib.stats.rounding import fmt_number, fmt_pct, fmt_signed
from cdrp_lib.stats.units import (
    MONTHS_PER_PERIOD,
    RATE_DECIMALS,
    fmt_level,
    is_rate,
    noun_for,
    period_short,
    unit_words,
)
from cdrp_lib.tables import download_link, safe_csv_cell

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDE_SIZE = (9.0, 5.0)  # inches: performance, control, survey and repeat charts
PANEL_SIZE = (3.0, 2.4)  # inches per small-multiple panel
SMALL_MULTIPLE_COLUMNS = 3
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
MONTHS_PER_YEAR = 12
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
    """A drawn chart: the SVG, the alt text stating its finding, and the figures as CSV.

    ``svg`` is the ``<svg>`` element (no XML declaration), already carrying the
    alt text; ``width`` and ``height`` are the size it is shown at, in CSS
    pixels.  ``markers`` pairs each legend label with the marker shape drawn for
    it and ``points`` each month (or wave) with the shape of its marker; both are
    read from the matplotlib artists.  ``badges`` are the texts of the labelled
    badges drawn on the chart (SPC icons).
    """

    title: str
    alt: str
    svg: str
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
        """``<figure>`` with the SVG inline (its alt text in it) and caption, then the CSV link.

        ``download_href`` must be relative (the site works from any folder); an
        absolute path or URL raises ValueError.
        """
        link = download_link(download_href, self.title)
        return (
            '<figure class="chart">'
            f"{self.svg}"
            f"<figcaption>{html.escape(self.title)}</figcaption>"
            "</figure>\n" + link
        )


# ----------------------------------------------------------------------------- formatting


def _is_rate(a: PublicAssessment) -> bool:
    return a.is_proportion


def _level(a: PublicAssessment, x: float | None) -> str:
    """A level as the tables print it: a whole count, or a percentage with one decimal;
    a rate per population in its unit (``249.4 per 100,000 population``)."""
    if is_rate(a.unit):
        return fmt_level(a.unit, x)
    if _is_rate(a):
        return fmt_pct(x, DECIMALS_RATE)
    return fmt_number(x, DECIMALS_COUNT)


def _legend_level(a: PublicAssessment, x: float | None) -> str:
    """A level in a legend entry: a rate without its unit words (the y axis names the unit;
    with them the legend runs past both sides of the chart)."""
    return fmt_number(x, RATE_DECIMALS) if is_rate(a.unit) else _level(a, x)


def _level_with_noun(a: PublicAssessment, x: float | None) -> str:
    if is_rate(a.unit):
        return fmt_level(a.unit, x, a.count_noun)
    if _is_rate(a):
        return _level(a, x)
    shown = _level(a, x)
    return f"{shown} {noun_for(shown, a.count_noun)}"


def _position_words(a: PublicAssessment) -> str:
    """What the chart's line is: ``rolling 12-month`` figure, a twelve-month mean over its
    span, or a cohort's total to date."""
    if a.unit == "mean_12_months":
        years = (a.mean_span_months or MONTHS_PER_YEAR) // MONTHS_PER_YEAR
        return f"twelve-month mean over {years} years" if years > 1 else "twelve-month mean"
    if a.unit == "cohort_offences":
        return f"total to date in {a.ceiling_period}" if a.ceiling_period else "total to date"
    return "rolling 12-month"


def _value_label(a: PublicAssessment, noun: str) -> str:
    """The y axis of a position chart, with the unit."""
    if is_rate(a.unit):
        # two lines: one would run past the top of the chart
        return f"{_sentence(a.count_noun)} {unit_words(a.unit)},\nrolling 12 months"
    if a.unit == "mean_12_months":
        return f"{_sentence(noun)}, {_position_words(a)}"
    if a.unit == "cohort_offences":
        return f"{_sentence(noun)} {_position_words(a)}"
    return "Rate (%), rolling 12 months" if _is_rate(a) else f"{_sentence(noun)}, rolling 12 months"


def _spc_level(a: PublicAssessment, x: float | None) -> str:
    return fmt_pct(x, DECIMALS_RATE) if _is_rate(a) else fmt_number(x, DECIMALS_SPC)


def _label(month: str) -> str:
    return Month.parse(month).label


def _short(month: str, frequency: str = "monthly") -> str:
    """``Mar 2025``; a quarter ``2025 Q1``, a financial year ``2024/25``."""
    return period_short(month, frequency)


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


def _why(a: PublicAssessment, *parts: AssessmentPart) -> NotAssessedReason | None:
    """The first of ``parts``' reasons worth saying: a part that does not apply is not mentioned."""
    return next((r for part in parts if (r := a.reason(part)) is not None
                 and r is not NotAssessedReason.NOT_APPLICABLE), None)


# ----------------------------------------------------------------------------- disclosure


def _target_hidden(a: PublicAssessment) -> bool:
    """The view withholds the baseline or target, so no target lines are drawn."""
    return a.is_withheld("baseline_value", "target_value", "target_text")


def _rolling_csv(a: PublicAssessment, p: HistoryPoint) -> str:
    """A month's rolling figure as the CSV writes it: the month's mark when the month is
    withheld, ``[c]`` when only its total is (it adds up a withheld month), else the figure."""
    if p.suppressed:
        return a.mark
    if p.rolling_suppressed:
        return SECONDARY_MARK
    return _csv_number(p.rolling_12)


def _hidden_totals_sentence(months: int) -> str:
    what = "figure of 1 more month is" if months == 1 else f"figures of {months} more months are"
    return (f"The rolling 12-month {what} not shown (written as {SECONDARY_MARK}): each "
            "adds up a hidden month, which it would give away.")


def _hidden_sentence(a: PublicAssessment, hidden: int) -> str:
    months = "month is" if hidden == 1 else "months are"
    if _is_rate(a):
        return (f"{hidden} {months} not shown because the figure would rest on fewer than "
                f"{a.settings.min_denominator} cases.")
    return (f"{hidden} {months} not shown because the count is below "
            f"{a.settings.suppression_threshold} (written as {a.mark} in the figures).")


def _until(a: PublicAssessment) -> list[HistoryPoint]:
    return [p for p in a.history if p.month <= a.month]


def _drop_leading_gaps(points: Sequence[HistoryPoint]) -> list[HistoryPoint]:
    """From the first month with a rolling figure, shown or withheld."""
    out = list(points)
    while out and out[0].rolling_12 is None and not out[0].rolling_suppressed:
        out = out[1:]
    return out


def _pp_change(pp: float) -> str:
    """``+1.2 percentage points on the previous 12 months`` (or "the same as")."""
    shown = fmt_signed(pp, DECIMALS_RATE)
    if shown.lstrip("+-").strip("0.") == "":
        return "the same as in the previous 12 months"
    return f"{shown} percentage points on the previous 12 months"


# ----------------------------------------------------------------------------- drawing


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        yield


def _chart(fig: Figure, title: str, alt: str, table: str,
           labels: Sequence[str] | None = None, badges: tuple[str, ...] = ()) -> Chart:
    """The finished figure as a Chart: its SVG and size and, for a chart along months or
    waves (``labels``), the markers its legend and points show.  Called inside
    :func:`_style`, which the SVG is drawn with.
    """
    _fit(fig)
    markers, drawn = _drawn(fig, labels) if labels is not None else ((), ())
    svg = _svg(fig, title, alt, table)
    width, height = _pixels(fig)
    return Chart(title, alt, svg, table, width, height, markers, drawn, badges)


def _tick_step(positions: int, frequency: str = "monthly") -> int:
    """Periods between labelled ticks on an axis ``positions`` periods long: every 3, 6 or
    12 months (in the frequency's periods), the first that keeps to ``MAX_TICKS`` labels."""
    per = MONTHS_PER_PERIOD.get(frequency, 1)
    every = tuple(dict.fromkeys(max(1, s // per) for s in TICK_EVERY))
    return next((s for s in every if positions / s <= MAX_TICKS), every[-1])


def _month_axis(ax: Axes, months: Sequence[str], frequency: str = "monthly") -> None:
    """Integer x positions labelled ``Mar 2025``, a tick every 3, 6 or 12 months; one per
    period (quarters labelled ``2025 Q1``, years ``2024/25``), thinned the same way."""
    if not months:
        ax.set_xticks([])
        return
    step = _tick_step(len(months), frequency)
    last = len(months) - 1
    ticks = [i for i in range(len(months)) if (last - i) % step == 0]
    ax.set_xticks(ticks, [_short(months[i], frequency) for i in ticks])
    ax.set_xlim(-0.5, last + 0.5)


def _value_axis(ax: Axes, a: PublicAssessment) -> None:
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
        fig.legend(handles, labels, loc="lower center", ncols=ncols)  # placed by _fit



#: Years before and after this one whose month labels (``Mar 2025``, ``2025 Q1``,
#: ``2024/25``) warm_up measures: what a bulletin of these years shows (MAX_MONTHS back).
WARM_YEARS_BEFORE, WARM_YEARS_AFTER = 6, 2
#: Grids of small-multiple panels warm_up makes templates for: up to this many rows.
WARM_PANEL_ROWS = 4


def warm_up() -> None:
    """Do once in this process what each process's first charts would otherwise do.

    For a process that forks many short-lived ones, as the batch's kernel zygote forks a
    kernel for every page (issue 13): each then starts with the figure templates of
    :func:`~cdrp_lib.charts.svg._figure` made (a wide chart and the small multiples'
    grids), matplotlib's fonts found and marker paths made, and the month labels of
    recent years (:data:`WARM_YEARS_BEFORE`) measured at the tick sizes, instead of every
    page paying for them.  Nothing it does changes a chart: what it keeps is what the
    first charts would make.  About half a second.
    """
    import datetime

    import numpy as np

    this_year = datetime.datetime.now(tz=datetime.UTC).year

    with _style():
        for rows in range(1, WARM_PANEL_ROWS + 1):
            for columns in range(1, SMALL_MULTIPLE_COLUMNS + 1):
                if rows == 1 or columns == SMALL_MULTIPLE_COLUMNS:  # small_multiple's grids
                    _figure((PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows), rows, columns)
        fig, (ax,) = _figure(WIDE_SIZE)
        xs = np.arange(12.0)
        for marker in (*STATUS_MARKERS.values(), BASELINE_MARKER, "s", "X"):
            ax.plot(xs, xs, marker=marker, markersize=MARKER_SIZE, label=marker)
        ax.fill_between(xs, xs, xs + 1, linewidth=0, label="band")
        for style in ("--", ":", "-."):
            ax.axhline(1.0, linestyle=style, label=style)
        ax.text(0, BADGE_HEIGHT, "badge", transform=ax.transAxes,
                bbox={"boxstyle": "round,pad=0.35", "linewidth": BADGE_EDGE_WIDTH})
        ax.set_ylabel("label")
        _month_axis(ax, [str(Month(2024, m)) for m in range(1, 13)])
        _legend(fig)
        _chart(fig, "warm-up", "", "")
        renderer = _svg_renderer(fig, io.StringIO())
        prop = ax.xaxis.get_major_ticks()[0].label1.get_fontproperties()
        for size in (FONT_SIZE, SMALL_FONT_SIZE):
            font = prop.copy()
            font.set_size(size)
            for year in range(this_year - WARM_YEARS_BEFORE, this_year + WARM_YEARS_AFTER + 1):
                for month in range(1, MONTHS_PER_YEAR + 1):
                    for frequency in ("monthly", "quarterly", "annual"):
                        renderer.get_text_width_height_descent(  # type: ignore[no-untyped-call]
                            _short(str(Month(year, month)), frequency), font, False)
