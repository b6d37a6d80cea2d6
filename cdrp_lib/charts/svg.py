"""A chart's SVG: its layout, the renderer that measures its text, and the compact output.

Split from :mod:`cdrp_lib.charts.base` (what the charts draw) because it is the one place
a figure becomes bytes, and the part that matters for a bulletin's speed and weight
(issue 13):

* :func:`_figure` copies each new figure from a template with its ticks already made
  (making matplotlib's Tick objects was a fifth of a chart's CPU);
* :func:`_fit` lays a chart out in one measurement (constrained layout's iterative
  solve cost half of each chart's CPU), then fixes the ticks it found;
* :func:`_svg_renderer` measures each text and font once per process, not once per chart;
* :func:`_svg` prints the figure deterministic and small: classes for repeated styles,
  straight lines as relative moves, ids salted by the chart's own content.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.figure import Figure

DPI = 100  # CSS pixels per inch: a 9-inch chart is shown 900 pixels wide, as the PNGs were
POINTS_PER_INCH = 72  # the unit of matplotlib's SVG coordinates
FIT_PAD_POINTS = 4.0  # space around a chart's parts and between them and its edge
SVG_DECIMALS = 1  # coordinates in points: 0.1 pt is half a device pixel at 400% zoom
FONT_FAMILY = "DejaVu Sans"  # bundled with matplotlib, so every machine draws the same glyphs


#: Ticks each axis of a new chart's template already holds (what the demo bulletin's
#: charts draw, out-of-view ones included): more are made as usual when an axis needs them.
WIDE_TICKS = (9, 10)  # x, y: a month axis thinned to 3, 6 or 12 months; a value axis
PANEL_TICKS = (2, 8)  # a small-multiple panel labels its first and last month

_TEMPLATES: dict[tuple[float, float, int, int], bytes] = {}


def _figure(size: tuple[float, float], rows: int = 1, columns: int = 1
            ) -> tuple[Figure, list[Axes]]:
    """A new figure on the Agg canvas with its grid of plots, laid out later by :func:`_fit`.

    At 72 dots per inch a figure's pixel is the SVG's point, as when it is printed:
    the layout measured by _fit is the one drawn.  Returns the figure and its plots
    row by row.

    Each is a copy of a template made once per process (and size and grid) by
    unpickling it, with its ticks already made: matplotlib makes every tick as five
    artists copied from the first tick, at about 0.7 ms each, and a chart's two
    axes need about twenty, so that making the figure, its plot and ticks was a
    fifth of a chart's CPU; unpickling the same objects takes half the time.  Call
    it inside the charts' style (base._style), which the template is made with.
    """
    import pickle

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    key = (float(size[0]), float(size[1]), rows, columns)
    template = _TEMPLATES.get(key)
    if template is None:  # the first: made, and kept as the template before it is drawn on
        fig = _new_figure(size, rows, columns)
        _TEMPLATES[key] = pickle.dumps(fig)
    else:
        fig = pickle.loads(template)  # made by this process just above, once
        FigureCanvasAgg(fig)
    return fig, list(fig.axes)


def _new_figure(size: tuple[float, float], rows: int, columns: int) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=POINTS_PER_INCH)
    FigureCanvasAgg(fig)
    x_ticks, y_ticks = WIDE_TICKS if rows == columns == 1 else PANEL_TICKS
    for ax in fig.subplots(rows, columns, squeeze=False).flat:
        ax.xaxis.get_major_ticks(x_ticks)
        ax.yaxis.get_major_ticks(y_ticks)
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


def _font_key(prop: Any) -> tuple[Any, ...]:
    """Everything of a font's properties a text's measurement depends on."""
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
            prop.get_stretch(), prop.get_size_in_points(), prop.get_file(),
            prop.get_math_fontfamily())


@functools.cache
def _renderer_class() -> type[RendererSVG]:
    """Matplotlib's SVG renderer with :data:`_TEXT_METRICS` (made on first use, so that
    importing the charts does not import matplotlib)."""
    from matplotlib.backends.backend_svg import RendererSVG

    class SharedMetricsRendererSVG(RendererSVG):
        def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any
                                          ) -> tuple[float, float, float]:
            key = (s, ismath, self.points_to_pixels(POINTS_PER_INCH), *_font_key(prop))
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
            key = ("height", dpi, *_font_key(prop))
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
    for ax in axes:
        _fix_ticks(ax)


def _fix_ticks(ax: Axes) -> None:
    """Fix each axis's ticks where the finished layout puts them, with their labels.

    Matplotlib asks an axis's locator for its ticks, and the formatter for their labels,
    every time it measures or draws the axis, its spines or a neighbour's label: about
    sixteen times per plot, and finding "nice" ticks is not cheap.  Once the plot has its
    final size nothing changes them, so they are found once here and kept fixed: the same
    ticks and labels are drawn.
    """
    from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter

    for axis in (ax.xaxis, ax.yaxis):
        locations = [float(x) for x in axis.get_majorticklocs()]
        axis.set_major_locator(FixedLocator(locations))
        if isinstance(axis.major.formatter, FuncFormatter):  # a ScalarFormatter's offset stays
            axis.set_major_formatter(FixedFormatter(axis.major.formatter.format_ticks(locations)))


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
    # each rewrite only where it can apply: a page's charts have thousands of tags
    if "." in tag:
        tag = _SVG_NUMBER.sub(_short_number, tag)
    if "rotate(" in tag:
        tag = _SVG_NO_ROTATION.sub("", tag)
    if "font-family" in tag:
        tag = _SVG_FONT_FAMILY.sub("", tag)
    if "style=" in tag:
        tag = _STYLE.sub(_short_style, tag)
    if " d=" in tag:
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
