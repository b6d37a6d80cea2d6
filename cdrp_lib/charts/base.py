"""What every chart shares: the Chart result, style, SVG output, axes and formatting.

Design choices (for every chart of :mod:`cdrp_lib.charts`):

* **Plain matplotlib, no seaborn, no pyplot.**  Importing seaborn costs about
  three seconds (it pulls in pandas and scipy) for nothing these charts need;
  pyplot keeps global figure state.  Figures are built as
  :class:`matplotlib.figure.Figure` and printed by the Agg canvas explicitly, so
  no backend is switched, and matplotlib is imported only inside the functions:
  ``import cdrp_lib.charts`` stays cheap.
* **Vector, deterministic, small.**  A chart is inline SVG (:func:`_svg`, the one
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
import functools
import hashlib
import html
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from cdrp_lib import palette
from cdrp_lib.assessment import AssessmentPart, HistoryPoint
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
    period_short,
    unit_words,
)
from cdrp_lib.tables import download_link, safe_csv_cell

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.figure import Figure

DPI = 100  # CSS pixels per inch: a 9-inch chart is shown 900 pixels wide, as the PNGs were
POINTS_PER_INCH = 72  # the unit of matplotlib's SVG coordinates
FIT_PAD_POINTS = 4.0  # space around a chart's parts and between them and its edge
SVG_DECIMALS = 1  # coordinates in points: 0.1 pt is half a device pixel at 400% zoom
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
    return _level(a, x) if _is_rate(a) else f"{_level(a, x)} {a.count_noun}"


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


def _figure(size: tuple[float, float]) -> Figure:
    """A figure on the Agg canvas, laid out by :func:`_fit` when it is finished.

    At 72 dots per inch a figure's pixel is the SVG's point, as when it is printed:
    the layout measured by _fit is the one drawn.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=POINTS_PER_INCH)
    FigureCanvasAgg(fig)
    return fig


_TEXT_METRICS: dict[tuple[Any, ...], tuple[float, float, float]] = {}
_FONT_HEIGHTS: dict[tuple[Any, ...], tuple[float | None, ...]] = {}
_TEXT_METRICS_MAX = 20_000  # distinct texts kept: tick labels, legend entries, badges


def _svg_renderer(fig: Figure, out: IO[str]) -> RendererSVG:
    """An SVG renderer for ``fig`` whose text measurements are shared by every chart.

    Matplotlib measures each text with FreeType once per renderer, and every chart
    makes a new renderer (and ``_fit`` another), so a page measured the same month
    labels, numbers and legend entries again for every chart: about a third of a
    chart's CPU.  A measurement depends only on the text, its font and the dots per
    inch, so it is kept for the process (what matplotlib itself computes, once).
    """
    w_in, h_in = fig.get_size_inches()
    return _renderer_class()(w_in * POINTS_PER_INCH, h_in * POINTS_PER_INCH, out,
                             image_dpi=DPI, metadata={"Date": None})


@functools.cache
def _renderer_class() -> type[RendererSVG]:
    """Matplotlib's SVG renderer with :data:`_TEXT_METRICS` (made on first use, so that
    importing the charts does not import matplotlib)."""
    from matplotlib.backends.backend_svg import RendererSVG

    class SharedMetricsRendererSVG(RendererSVG):
        def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any
                                          ) -> tuple[float, float, float]:
            key = (s, ismath, self.points_to_pixels(POINTS_PER_INCH), tuple(prop.get_family()),
                   prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
                   prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily())
            found = _TEXT_METRICS.get(key)
            if found is None:
                if len(_TEXT_METRICS) >= _TEXT_METRICS_MAX:
                    _TEXT_METRICS.clear()
                w, h, d = super().get_text_width_height_descent(  # type: ignore[no-untyped-call]
                    s, prop, ismath)
                found = _TEXT_METRICS[key] = (float(w), float(h), float(d))
            return found

        def _get_font_height_metrics(self, prop: Any) -> tuple[float | None, ...]:
            # Text._get_layout asks the renderer for this first (the hook is matplotlib's
            # own, for its PDF and PS backends) and otherwise finds the font file and reads
            # its tables again for every text it lays out: the same numbers, kept here.
            dpi: float = self.points_to_pixels(POINTS_PER_INCH)  # type: ignore[assignment]
            key = ("height", dpi, tuple(prop.get_family()), prop.get_style(),
                   prop.get_variant(), prop.get_weight(), prop.get_stretch(),
                   prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily())
            heights = _FONT_HEIGHTS.get(key)
            if heights is None:
                heights = _FONT_HEIGHTS[key] = _font_height_metrics(prop, dpi)
            return heights

    return SharedMetricsRendererSVG


def _font_height_metrics(prop: Any, dpi: float) -> tuple[float | None, ...]:
    """A font's ascent, descent and line gap at ``dpi``, from its OS/2 or hhea table, as
    matplotlib's ``Text._get_layout`` reads them (Nones when it has neither table:
    matplotlib then measures the text ``lp`` instead)."""
    from matplotlib.font_manager import fontManager, get_font

    font = get_font(fontManager._find_fonts_by_props(prop))  # type: ignore[attr-defined]
    head: Any = font.get_sfnt_table("head")
    for table_name, gap, ascent, descent in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent")):
        table: Any = font.get_sfnt_table(table_name)  # type: ignore[call-overload]
        if table is None or head is None:
            continue
        scale = prop.get_size_in_points() * dpi / POINTS_PER_INCH / head["unitsPerEm"]
        return (float(table[ascent] * scale), float(-table[descent] * scale),
                float(table[gap] * scale))
    return (None, None, None)


def _fit(fig: Figure) -> None:
    """Place the chart's plot, or its grid of panels, so that everything fits the figure.

    The legend goes at the bottom, centred, ``FIT_PAD_POINTS`` above the edge (plus
    the legend's own border pad).  The plots take the rest, inset on each side by what
    their tick labels, axis labels, titles and badges need (measured once with
    :meth:`Axes.get_tightbbox`, the most any panel of the grid needs) plus the same
    pad, which also parts the panels.  This is the layout constrained layout found
    for these charts, in one measurement: its iterative solve cost about half of each
    chart's CPU (issue 13).
    """
    axes = [ax for ax in fig.axes if ax.axison]
    if not axes:
        return
    renderer = _svg_renderer(fig, io.StringIO())
    width, height = fig.bbox.width, fig.bbox.height
    pad = FIT_PAD_POINTS * fig.dpi / POINTS_PER_INCH
    below = 0.0  # the top of the legend
    for legend in fig.legends:
        legend.set_bbox_to_anchor((0.5, pad / height), transform=fig.transFigure)
        below = max(below, legend.get_window_extent(renderer).y1)
    need = {"left": 0.0, "right": 0.0, "bottom": 0.0, "top": 0.0}
    for ax in axes:
        box, tight = ax.bbox, ax.get_tightbbox(renderer)
        if tight is None:
            continue
        for side, extra in (("left", box.x0 - tight.x0), ("right", tight.x1 - box.x1),
                            ("bottom", box.y0 - tight.y0), ("top", tight.y1 - box.y1)):
            need[side] = max(need[side], extra)
    spec = axes[0].get_subplotspec()
    rows, columns = spec.get_gridspec().get_geometry() if spec is not None else (1, 1)
    panel_w = (width - 2 * pad - columns * (need["left"] + need["right"])
               - (columns - 1) * pad) / columns
    panel_h = (height - below - 2 * pad - rows * (need["top"] + need["bottom"])
               - (rows - 1) * pad) / rows
    fig.subplots_adjust(
        left=(pad + need["left"]) / width, right=1 - (pad + need["right"]) / width,
        bottom=(below + pad + need["bottom"]) / height, top=1 - (pad + need["top"]) / height,
        wspace=(need["left"] + need["right"] + pad) / panel_w,
        hspace=(need["top"] + need["bottom"] + pad) / panel_h)


_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_SVG_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SVG_TAG = re.compile(r"<[^>]+>")
_SVG_ID = re.compile(r'\sid="([^"]*)"')
_SVG_REFERENCE = re.compile(r'(?:url\(#|href="#)([^)"]+)')
_SVG_NUMBER = re.compile(r"-?\d+\.\d{" + str(SVG_DECIMALS + 1) + ",}")
_SVG_NO_ROTATION = re.compile(r'\stransform="rotate\(-?0 [^")]*\)"')
_SVG_FONT_FAMILY = re.compile(r"font-family: '?" + re.escape(FONT_FAMILY) + r"'?;? ?")
_WHITESPACE = re.compile(r"\s+")
_BETWEEN_TAGS = re.compile(r">\s+<")
_STYLE = re.compile(r'style="([^"]*)"')
_SVG_DEFAULT_STYLE = re.compile(r'<style type="text/css">\*\{([^}]*)\}</style>')
_PATH_DATA = re.compile(r'\sd="([^"]*)"')
_PATH_SPACE = re.compile(r" ?([MLCQZmlcqz]) ?")
_GROUP = re.compile(r"<g>|</g>|<g\s")


def _unwrap_groups(svg: str) -> str:
    """Drop every ``<g>`` that has no attributes (and its ``</g>``): it groups nothing."""
    out: list[str] = []
    bare: list[bool] = []
    pos = 0
    for match in _GROUP.finditer(svg):
        out.append(svg[pos:match.start()])
        token = match.group(0)
        if token == "</g>":
            if not bare.pop():
                out.append(token)
        else:
            bare.append(token == "<g>")
            if token != "<g>":
                out.append(token)
        pos = match.end()
    out.append(svg[pos:])
    return "".join(out)


def _short_number(match: re.Match[str]) -> str:
    text = f"{float(match.group(0)):.{SVG_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _short_style(match: re.Match[str]) -> str:
    return 'style="' + match.group(1).replace(": ", ":").replace("; ", ";") + '"'


def _short_path(match: re.Match[str]) -> str:
    data = match.group(1)
    return ' d="' + (_relative_polyline(data) or _PATH_SPACE.sub(r"\1", data).strip()) + '"'


_POLYLINE_TOKEN = re.compile(r"[MLZz]|-?\d+(?:\.\d)?")
_TENTHS = 10
SCOPE_HEX = 10  # hex digits of a chart's id: 40 bits, unique among a page's charts


def _tenths(text: str) -> int:
    whole, _, tenth = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * _TENTHS + int(tenth or "0"))


def _tenths_text(n: int) -> str:
    """Tenths as the shortest decimal: ``93`` -> ``9.3``, ``-3`` -> ``-.3``, ``40`` -> ``4``."""
    whole, tenth = divmod(abs(n), _TENTHS)
    text = (str(whole) if whole else "") + (f".{tenth}" if tenth else "")
    return ("-" if n < 0 else "") + (text or "0")


def _move(dx: int, dy: int) -> tuple[str, str]:
    """A relative move in tenths as the shortest command: ``h`` along, ``v`` up or down,
    else ``l`` with both."""
    if dy == 0 and dx != 0:
        return _tenths_text(dx), "h"
    if dx == 0 and dy != 0:
        return _tenths_text(dy), "v"
    return _tenths_text(dx) + ("" if dy < 0 else " ") + _tenths_text(dy), "l"


def _relative_polyline(data: str) -> str | None:
    """A path of straight lines (``M``, ``L``, ``Z`` and numbers to a tenth) written with
    relative moves: ``M64.7 69.6l9.2 3.3 9.1 3h582.4``, about 40% shorter than absolute
    coordinates, which were most of a chart's bytes.  Each move is the difference of the
    rounded absolute points, so every point lands where it did.  None for any other path
    (curves, other precision), which keeps its absolute form."""
    tokens = _POLYLINE_TOKEN.findall(data)
    if "".join(tokens) != data.replace(" ", "") or not tokens or tokens[0] != "M":
        return None
    text, command, pending = "", "", []
    x = y = start_x = start_y = 0
    joined = ""  # the relative command a run of moves is in: the next needs no letter
    for token in [*tokens, ""]:
        if token not in ("M", "L", "Z", "z", ""):
            pending.append(_tenths(token))
            continue
        if len(pending) % 2:
            return None
        for i in range(0, len(pending), 2):
            nx, ny = pending[i], pending[i + 1]
            if command == "M" and i == 0:
                text += f"M{_tenths_text(nx)} {_tenths_text(ny)}"
                start_x, start_y, joined = nx, ny, ""
            else:
                step, letter = _move(nx - x, ny - y)
                if joined != letter:  # a new command letter; else the same one continues
                    text += letter + step
                else:
                    text += step if step.startswith("-") else " " + step
                joined = letter
            x, y = nx, ny
        pending = []
        if token in ("Z", "z"):
            text += "z"
            x, y, joined = start_x, start_y, ""
        command = token
    return text


def _svg_tag(match: re.Match[str]) -> str:
    """One tag made small: one space between attributes, short numbers, no no-op rotation,
    the font family left to the stylesheet, SVG 2's ``href``."""
    tag = _WHITESPACE.sub(" ", match.group(0))
    tag = _SVG_NUMBER.sub(_short_number, tag)
    tag = _SVG_NO_ROTATION.sub("", tag)
    tag = _SVG_FONT_FAMILY.sub("", tag)
    tag = _STYLE.sub(_short_style, tag)
    tag = _PATH_DATA.sub(_short_path, tag)
    return tag.replace("xlink:href=", "href=").replace(" >", ">").replace(" />", "/>")


def _class_name(n: int) -> str:
    """``a``, ``b``, ... ``z``, ``ba``, ``bb``...: the shortest names, in order."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    name = letters[n % 26]
    while n >= 26:
        n //= 26
        name = letters[n % 26] + name
    return name


def _styles_to_classes(svg: str, scope: str) -> tuple[str, str]:
    """Each distinct ``style`` attribute once, as a class in a stylesheet scoped to the chart.

    A chart repeats a few styles hundreds of times (every tick, marker and label);
    the rules are prefixed with ``#scope`` so that they style this chart only, and
    matplotlib's own ``*`` rule is scoped the same way (an inline SVG's stylesheet
    applies to the whole page).
    """
    classes: dict[str, str] = {}

    def to_class(match: re.Match[str]) -> str:
        name = classes.setdefault(match.group(1), _class_name(len(classes)))
        return f'class="{name}"'

    svg = _STYLE.sub(to_class, svg)
    rules = "".join(f"#{scope} .{name}{{{style}}}" for style, name in classes.items())
    found = _SVG_DEFAULT_STYLE.search(svg)
    if found:
        rules = f"#{scope} *{{{found.group(1).replace(': ', ':').replace('; ', ';')}}}" + rules
        svg = svg[:found.start()] + svg[found.end():]
    return svg, f"<style>{rules}</style>"


def _svg(fig: Figure, title: str, alt: str, table: str) -> str:
    """The figure as one deterministic, small ``<svg>`` element carrying its alt text.

    Every chart is printed here (so a chart added to the package is vector too).
    Text stays text (``svg.fonttype: none``); the ids matplotlib makes for
    markers and clip paths are hashes salted with the chart's own title, alt
    text and figures, so they are the same on every run and differ between
    charts on one page; group ids nothing refers to are dropped, and repeated
    styles become classes of a stylesheet scoped to the chart's own id.  The root
    gets ``role="img"``, the alt text as ``aria-label``, the class
    ``chart-svg`` and the width and height in CSS pixels (DPI per inch).
    """
    import matplotlib

    salt = hashlib.sha256("\0".join((title, alt, table)).encode("utf-8")).hexdigest()[:16]
    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        # what fig.savefig(format="svg") does for these charts (white figure, 72 dpi,
        # nothing rasterised), with the shared text measurements of _svg_renderer
        renderer = _svg_renderer(fig, out)
        fig.draw(renderer)
        renderer.finalize()  # type: ignore[no-untyped-call]
    text = _SVG_METADATA.sub("", _SVG_PROLOGUE.sub("", out.getvalue(), count=1), count=1)
    referenced = set(_SVG_REFERENCE.findall(text))
    text = _SVG_ID.sub(lambda m: m.group(0) if m.group(1) in referenced else "", text)
    text = _unwrap_groups(_BETWEEN_TAGS.sub("><", _SVG_TAG.sub(_svg_tag, text)).strip())
    scope = f"c{salt[:SCOPE_HEX]}"  # repeated before every style rule: kept short
    text, stylesheet = _styles_to_classes(text, scope)
    width, height = _pixels(fig)
    w_pt, h_pt = (round(x * POINTS_PER_INCH, SVG_DECIMALS) for x in fig.get_size_inches())
    label = html.escape(alt)
    root = (f'<svg xmlns="http://www.w3.org/2000/svg" id="{scope}" class="chart-svg" '
            f'role="img" aria-label="{label}" width="{width}" height="{height}" '
            f'viewBox="0 0 {w_pt:g} {h_pt:g}">{stylesheet}')
    return _SVG_ROOT.sub(lambda _m: root, text, count=1).replace("<defs></defs>", "")


def _pixels(fig: Figure) -> tuple[int, int]:
    w, h = fig.get_size_inches()
    return round(w * DPI), round(h * DPI)


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

