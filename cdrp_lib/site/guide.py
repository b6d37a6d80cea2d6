"""The reading guide and methods, published with the site as ``guide.html``.

The appendices of the model bulletin, for the whole site: how to read each
chart and table (with a small annotated example), the rules behind every label
in plain English (methods.md, with the numbers this site uses, read from
bulletin.yaml's method settings rather than typed here), each data source with
its usual lag, the definitions of the measures, and which cdrp_lib version made
each bulletin.  Every chart, table and rating links to its section here
(:mod:`cdrp_lib.pages.links` owns the section ids).

Written when the index is rebuilt, from params and the published bulletins, so
it always describes what is on the site; the same inputs give the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.pages import links
from cdrp_lib.pages.part import inline_css
from cdrp_lib.periods import Month
from cdrp_lib.render import write_text_atomic
from cdrp_lib.version import __version__

if TYPE_CHECKING:
    from cdrp_lib.params import BulletinParams, Measure
    from cdrp_lib.site.history import Published
    from cdrp_lib.stats.settings import MethodSettings

TITLE = "How to read the bulletins: reading guide and methods"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


# ----------------------------------------------------------------------------- examples

def _svg(title: str, desc: str, body: str, width: int = 460, height: int = 220) -> str:
    """An inline SVG figure with its title and description for screen readers."""
    key = title.lower().replace(" ", "-")
    return (f'<svg class="guide-example" role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" aria-labelledby="{key}-t {key}-d" '
            f'xmlns="http://www.w3.org/2000/svg"><title id="{key}-t">{_e(title)}</title>'
            f'<desc id="{key}-d">{_e(desc)}</desc>'
            '<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>'
            f"{body}</svg>")


def _label(n: int, x: float, y: float) -> str:
    """A numbered marker, keyed in the list under the example."""
    return (f'<circle cx="{x:g}" cy="{y:g}" r="10" fill="#ffffff" stroke="#0b0c0c" '
            f'stroke-width="2"/><text x="{x:g}" y="{y + 5:g}" font-size="13" '
            f'text-anchor="middle" font-family="sans-serif" fill="#0b0c0c">{n}</text>')


def _line(points: Sequence[tuple[float, float]], colour: str, dash: str = "",
          width: float = 2.5) -> str:
    d = " ".join(f"{x:g},{y:g}" for x, y in points)
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="{width:g}"'
            f"{extra}/>")


def trajectory_example() -> str:
    """A rolling 12-month count against its trajectory and tolerance band, numbered."""
    xs = [40 + 16 * i for i in range(25)]

    def y(value: float) -> float:  # counts upwards on the page
        return round(200 - (value - 105) * 3.5, 2)

    rolling = [150, 149, 151, 148, 146, 147, 145, 142, 143, 140, 139, 138, 136, 137, 134,
               132, 133, 131, 130]
    path = [(x, 150 - 40 * i / 24) for i, x in enumerate(xs)]
    upper = [(x, y(v + 8 * (1 - i / 24))) for i, (x, v) in enumerate(path)]
    lower = [(x, y(v - 8 * (1 - i / 24))) for i, (x, v) in enumerate(path)]
    area = " ".join(f"{px:g},{py:g}" for px, py in upper + lower[::-1])
    body = (f'<polygon points="{area}" fill="#d2e2f1" stroke="none"/>'
            + _line([(x, y(v)) for x, v in path], "#1d70b8", "6 4")
            + _line([(x, y(v)) for x, v in zip(xs, rolling, strict=False)], "#0b0c0c")
            + _line([(xs[18], y(rolling[18])), (xs[24], y(118))], "#6f4e7c", "2 4", 2)
            + '<line x1="30" y1="200" x2="440" y2="200" stroke="#0b0c0c"/>'
            + _label(1, xs[14], y(rolling[14]) - 30) + _label(2, xs[21], y(114) + 28)
            + _label(3, xs[5], y(160) + 4) + _label(4, xs[24] - 6, y(118) - 24))
    svg = _svg("Example trajectory chart",
               "A made-up rolling 12-month count falling from 150 to 130 inside a shaded band "
               "around a dashed line falling to the target of 110; a dotted projection "
               "continues the trend towards 118.", body)
    key = ("the rolling 12-month count: each point adds up the 12 months to that month, "
           "so seasons cancel out and one unusual month moves it little;",
           "the trajectory: where the count should be this month to reach the target on a "
           "straight path from the baseline;",
           "the tolerance band around it: a point inside is on the trajectory, below it "
           "(for crime) better than the trajectory, above it worse;",
           "the trend projection: where the last two years' trend would reach at the end "
           "of the strategy; if it reaches the target the trend is sufficient.")
    return _figure(svg, key)


def control_example() -> str:
    """A control chart with its mean, limits and a flagged run, numbered."""
    values = [52, 48, 55, 50, 47, 53, 49, 51, 54, 46, 50, 52, 58, 59, 57, 60, 58, 61, 59]
    xs = [40 + 21 * i for i in range(len(values))]

    def y(value: float) -> float:
        return round(200 - 5 * (value - 30), 2)

    ys = [y(v) for v in values]
    body = ("".join(f'<line x1="30" y1="{y(v):g}" x2="440" y2="{y(v):g}" stroke="#505a5f" '
                    f'stroke-dasharray="{d}"/>' for v, d in ((63, "6 4"), (51, ""), (39, "6 4")))
            + _line(list(zip(xs, ys, strict=True)), "#0b0c0c", width=2)
            + "".join(f'<rect x="{x - 5:g}" y="{py - 5:g}" width="10" height="10" '
                      f'fill="#d4351c"/>' for x, py in zip(xs[12:], ys[12:], strict=True))
            + _label(1, 30, y(51) - 16) + _label(2, 30, y(63) - 16)
            + _label(3, xs[15], ys[15] - 24))
    svg = _svg("Example control chart",
               "A made-up monthly count varying around a mean of 51 between dashed process "
               "limits; the last seven points, all above the mean, are marked as a shift.",
               body)
    key = ("the mean (centre line) of the months shown;",
           "the process limits: the range ordinary month-to-month variation stays in;",
           "a special cause, marked with a different symbol and named in the legend: here "
           "a shift, several months in a row on one side of the mean.")
    return _figure(svg, key)


def _figure(svg: str, key: Sequence[str]) -> str:
    items = "".join(f"<li>{_e(k)}</li>" for k in key)
    return (f'<figure class="guide-figure">{svg}<figcaption>Key to the numbered labels:'
            f"<ol>{items}</ol></figcaption></figure>")


def table_example() -> str:
    """A small performance table with what each row tells."""
    rows = (("Position against the trajectory", "Better than the trajectory",
             "where the rolling 12-month count is against the tolerance band"),
            ("Trend sufficient to meet the target", "Yes",
             "whether the two-year trend, projected, reaches the target"),
            ("Last month", "In line with the expected range (52 to 79)",
             "whether one month was unusually high or low for the last year"),
            ("Last 12 months against the 12 before", "76 fewer (4.4% down)",
             "the change over a year, counted in crimes and as a percentage"))
    body = "".join(f'<tr><th scope="row">{_e(a)}</th><td>{_e(b)}</td><td>{_e(c)}</td></tr>'
                   for a, b, c in rows)
    return ('<div class="table-wrap"><table><caption>Example: the rows of a performance '
            'table (made-up figures)</caption><thead><tr><th scope="col">Row</th>'
            '<th scope="col">Example</th><th scope="col">What it tells you</th></tr>'
            f"</thead><tbody>{body}</tbody></table></div>")


# ----------------------------------------------------------------------------- sections

def _section(section_id: str, heading: str, *paragraphs: str, level: int = 2) -> str:
    return "\n".join([f'<h{level} id="{section_id}">{_e(heading)}</h{level}>', *paragraphs])


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def reading_sections(s: MethodSettings) -> list[str]:
    """How to read each chart and table."""
    return [
        _section("reading", "Reading the charts and tables",
                 _p("Every chart has a text description stating what it shows, and every "
                    "chart and table has its figures as a CSV file beside it. Ratings are "
                    "always a letter and a word, so nothing depends on colour.")),
        _section(links.GUIDE_TRAJECTORY, "Trajectory chart (position against the target)",
                 _p("The main chart of each target. It answers: are we where we should be "
                    "by now, and is the trend enough to get there?"),
                 trajectory_example(), level=3),
        _section(links.GUIDE_CONTROL, "Control chart (month by month)",
                 _p("Each month's count with its mean and process limits (Making Data "
                    "Count). Months inside the limits are ordinary variation and need no "
                    "explanation; a special cause is a signal worth looking into."),
                 control_example(), level=3),
        _section(links.GUIDE_SMALL_MULTIPLES, "Small charts of monitoring indicators",
                 _p("Measures without a target, one small chart each on its own scale: "
                    "read the shape of each line, not its height against its neighbours. "
                    "They are context and are never rated."), level=3),
        _section(links.GUIDE_SURVEY, "Survey chart and table",
                 _p(f"Each survey wave's result with its {_pct(s.survey_level)} confidence "
                    "interval (the range the true figure probably lies in, given the sample "
                    "size). A change is called significant only by a test on the two "
                    "samples, not by whether the intervals overlap."), level=3),
        _section(links.GUIDE_REPEAT, "Repeat victimisation chart and table",
                 _p("The share of domestic abuse crimes whose victim had another in the "
                    "12 months before. Small numbers are withheld (see disclosure "
                    "control below)."), level=3),
        _section(links.GUIDE_PERFORMANCE_TABLE, "Performance table",
                 _p("The figures behind a target's chart, one judgement per row:"),
                 table_example(), level=3),
        _section(links.GUIDE_TARGETS_TABLE, "Targets table",
                 _p("Every target with its baseline, the target itself, the current "
                    "position (rolling 12 months), its status against the trajectory and "
                    "its rating."), level=3),
        _section(links.GUIDE_COMPARISON, "Comparison with similar areas",
                 _p("Crimes per 1,000 residents for the partnership and each member of its "
                    "comparison group (the partnerships its plan names as most similar or, "
                    "where it names none, the other partnerships of the same police force), "
                    "with the group's average and limits. Only an area outside the limits is "
                    "called above or below the average."), level=3),
        _section(links.GUIDE_FUNNEL, "Funnel chart (the partnership among its comparison group)",
                 _p("One dot for each member of the comparison group: across, its population; "
                    "up, its rate over the last 12 months. The partnership's own dot is the "
                    "diamond. The level line is the group's average. The dashed curves "
                    f"({_pct(s.funnel_level)}) and the dotted curves "
                    f"({_pct(s.funnel_outer_level)}) are the limits within which a "
                    "member's rate would fall by chance alone, "
                    "given its population; they narrow as the population grows, because "
                    "large areas' rates vary less. A dot outside the dotted curves differs from "
                    "the group by more than chance; a dot between the curves is worth "
                    "watching; a dot inside them is not different from the group, however far "
                    "it looks from the line. A member whose count is 1 to 4 is not drawn."),
                 level=3),
        _section(links.GUIDE_MOVEMENTS, "What changed since last month",
                 _p("On each front page: every target's rating now and last month, those "
                    "that changed first. Up means a better rating (Red to Amber to Green), "
                    "down a worse one, new a target rated now that had no rating last "
                    "month, and no rating now one that had a rating and has none now. Last "
                    "month's rating is worked out again from today's data and targets."),
                 level=3),
    ]


def methods_sections(s: MethodSettings) -> list[str]:
    """The rules behind every label, in plain English (methods.md)."""
    return [
        _section(links.GUIDE_METHODS, "Methods: the rules behind every label",
                 _p("Every label is computed by a fixed rule from the data; none is typed "
                    "in. Where a figure cannot be computed the page says why instead.")),
        _section("method-trajectory", "Trajectory and its limits",
                 _p("The baseline is the rolling 12-month count at the end of the baseline "
                    "year. The target takes the required change from it (for counts, the "
                    "drop is rounded up to whole crimes). The trajectory falls in a straight "
                    "line from the baseline to the target over the strategy period. The "
                    f"tolerance band is {_pct(s.tolerance)} of the required change either "
                    "side of it, narrowing to nothing at the end. A position inside the band, "
                    "limits included, is on the trajectory."), level=3),
        _section("method-expected", "Last month against its expected range",
                 _p("Last month's count is compared with the average of the previous "
                    f"{s.min_months} months, allowing for how much the count usually varies. "
                    f"A month more than {s.z_threshold:g} standard errors from the average "
                    "is above or below its expected range; otherwise it is in line. Seasons "
                    "are not allowed for."), level=3),
        _section("method-comparison", "The last 12 months against the 12 before",
                 _p("The change in the rolling 12-month count over a year, in crimes and as "
                    "a percentage (percentage points for survey results). It needs 24 "
                    "complete months."), level=3),
        _section("method-trend", "Trend sufficient to meet the target",
                 _p(f"A straight line is fitted to the last {s.trend_window} rolling 12-month "
                    "counts and projected to the end of the strategy. If the projection "
                    "reaches the target, the trend is sufficient. No confidence interval is "
                    "given: overlapping rolling counts make one misleading."), level=3),
        _section("method-control", "Control-chart rules",
                 _p("Limits are the mean plus or minus 2.66 times the average month-to-month "
                    "change (unusually large changes screened out first). A special cause "
                    f"is a point outside the limits; {s.spc_trend_length} points in a row each "
                    f"higher (or lower) than the last; {s.spc_shift_length} points in a row on "
                    "one side of the mean; or two of three points near a limit. Whether it is "
                    "an improvement or a concern depends on which way is good for the "
                    f"measure. Fewer than {s.spc_min_points} points give trial limits."),
                 level=3),
        _section("method-peers", "Comparison limits for similar areas",
                 _p("The group average is the pooled rate of the group, the partnership "
                    f"included. The limits are a funnel at {_pct(s.funnel_level)} and "
                    f"{_pct(s.funnel_outer_level)}, widened for the real differences between "
                    "areas when the group is large enough, so a partnership with a small "
                    "population is not called different on chance alone."), level=3),
        _section(links.GUIDE_RATINGS, "Ratings (RAG)",
                 _p("G Green: the target is already met on the rolling 12-month position, "
                    "or the position is on or better than the trajectory and the trend is "
                    "sufficient. A Amber: one of those two is not. R Red: neither is. "
                    "– Not assessed: no rating can be given (no target, target not yet in "
                    "force, too little data, or the source is late), with the reason."),
                 _p("An outcome's rating scores its targets G=1, A=2, R=3: an average of 1.5 "
                    "or less is Green, 2.5 or more Red, otherwise Amber. A partnership may "
                    "set a rating itself only in its params, with a reason printed beside "
                    "the rating."), level=3),
        _section("method-suppression", "Disclosure control (suppression)",
                 _p(f"Counts from 1 to {s.suppression_threshold - 1} for sensitive sources "
                    "(such as domestic abuse) and for areas smaller than a partnership are "
                    f"shown as \u201c<{s.suppression_threshold}\u201d, with further figures "
                    "withheld where they would let a hidden count be worked out. Percentages "
                    f"of fewer than {s.min_denominator} are not shown. Withheld figures are "
                    "blank in the CSV files too."), level=3),
    ]


def sources_section(bulletin: BulletinParams | None) -> str:
    if bulletin is None:
        return _section(links.GUIDE_SOURCES, "Data sources and their usual lags",
                        _p("The bulletin's params list no data sources."))
    rows = "".join(
        f'<tr><th scope="row">{_e(src.name)}</th><td>{src.lag_months} month'
        f"{'s' if src.lag_months != 1 else ''}</td><td>{_e(src.licence or '')}</td></tr>"
        for src in bulletin.sources.values())
    return _section(
        links.GUIDE_SOURCES, "Data sources and their usual lags",
        _p("A bulletin for a month uses each source up to the latest month it covers that "
           "is not after the bulletin's month; each front page says which month that is."),
        '<div class="table-wrap"><table><caption>Data sources and the usual time from the end '
        'of a month to its data</caption><thead><tr><th scope="col">Source</th>'
        '<th scope="col">Usual lag</th><th scope="col">Licence</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>")


def definitions_section(bulletin: BulletinParams | None, measures: Mapping[str, Measure]
                        ) -> str:
    def what(m: Measure) -> str:
        if m.question:
            return f"Survey question: {m.question}"
        kind = "A percentage" if m.kind == "proportion" else "A count of recorded crimes"
        cats = f" ({', '.join(c.replace('-', ' ') for c in m.categories)})" if m.categories \
            else ""
        return f"{kind}{cats}."

    def good(m: Measure) -> str:
        return "Lower" if m.polarity.value == "lower_is_better" else "Higher"

    themes = {t.id: t.title for t in bulletin.themes} if bulletin is not None else {}
    rows = "".join(
        f'<tr><th scope="row">{_e(m.name)}</th><td>{_e(themes.get(m.theme, m.theme))}</td>'
        f"<td>{_e(what(m))}</td><td>{good(m)}</td></tr>"
        for m in sorted(measures.values(), key=lambda m: (m.theme, m.name.casefold())))
    return _section(
        "definitions", "Definitions",
        _p("Rolling 12-month count: the total of the 12 months up to and including the month. "
           "Baseline: that total at the end of the baseline year. Financial years run April "
           "to March (2024/25)."),
        '<div class="table-wrap"><table><caption>Measures: what each counts and which way '
        'is better</caption><thead><tr><th scope="col">Measure</th><th scope="col">Theme</th>'
        '<th scope="col">Definition</th><th scope="col">Better when</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>")


def versions_section(bulletins: Sequence[Published]) -> str:
    versions: dict[str, list[Published]] = {}
    for b in bulletins:
        versions.setdefault(b.version or "not recorded", []).append(b)
    rows = "".join(
        f'<tr><th scope="row">{_e(v)}</th><td>{len(bs)}</td><td>'
        f"{_e(Month.parse(min(b.month for b in bs)).label)} to "
        f"{_e(Month.parse(max(b.month for b in bs)).label)}</td></tr>"
        for v, bs in sorted(versions.items()))
    table = ('<div class="table-wrap"><table><caption>The cdrp_lib versions that made the '
             'published bulletins</caption><thead><tr><th scope="col">Version</th>'
             '<th scope="col">Bulletins</th><th scope="col">Months</th></tr></thead>'
             f"<tbody>{rows}</tbody></table></div>") if bulletins else ""
    return _section(
        "versions", "Which version made each bulletin",
        _p("Each page's footer names the cdrp_lib version that made it; the list of bulletins "
           f"by partnership gives it for every bulletin. This guide was made by {__version__}."),
        f'<p><a href="{links.PARTNERSHIPS_FILE}">Every bulletin by partnership, with its '
        "version</a></p>", table)


def guide_html(bulletin: BulletinParams | None, measures: Mapping[str, Measure],
               settings: MethodSettings, bulletins: Sequence[Published]) -> str:
    """The guide page as a string (see :func:`write_guide`)."""
    contents = (("reading", "Reading the charts and tables"),
                (links.GUIDE_METHODS, "Methods: the rules behind every label"),
                (links.GUIDE_SOURCES, "Data sources and their usual lags"),
                ("definitions", "Definitions"), ("versions", "Which version made each bulletin"))
    toc = "<ul>" + "".join(f'<li><a href="#{i}">{_e(t)}</a></li>' for i, t in contents) + "</ul>"
    body = [
        '<p class="breadcrumb" data-pagefind-ignore><a href="index.html">All bulletins by '
        f'month</a> | <a href="{links.PARTNERSHIPS_FILE}">By partnership</a> | '
        f'<a href="{links.SEARCH_FILE}">Search</a></p>',
        f"<h1>{_e(TITLE)}</h1>",
        _p("How to read the charts, tables and ratings of the performance bulletins, and "
           "how every figure is worked out."),
        toc, *reading_sections(settings), *methods_sections(settings),
        sources_section(bulletin), definitions_section(bulletin, measures),
        versions_section(bulletins)]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en-GB">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE)}</title>", f"<style>\n{inline_css()}</style>", "</head>",
        "<body>", '<a class="skip-link" href="#main">Skip to main content</a>',
        '<main id="main" tabindex="-1" data-pagefind-body>', *body, "</main>", "</body>",
        "</html>", ""])


def write_guide(site_dir: Path, params_dir: Path, bulletins: Sequence[Published]) -> Path:
    """Write ``site_dir/guide.html`` from ``params_dir`` (bulletin.yaml, measures.yaml).

    A params folder without bulletin.yaml (or measures.yaml) gives the guide with the
    default method settings and without sources (or definitions); invalid params raise.
    """
    from cdrp_lib.params import load_bulletin, load_measures, method_settings
    from cdrp_lib.stats.settings import MethodSettings

    root = Path(params_dir)
    bulletin = load_bulletin(root) if (root / "bulletin.yaml").is_file() else None
    measures = load_measures(root) if (root / "measures.yaml").is_file() else {}
    settings = method_settings(bulletin) if bulletin is not None else MethodSettings()
    text = guide_html(bulletin, measures, settings, bulletins)
    return write_text_atomic(Path(site_dir) / links.GUIDE_FILE, text)
