"""Bulletin pages: the Assessments of one partnership and month, composed into HTML.

A notebook calls :func:`theme_page` or :func:`summary_page` and displays the
:class:`Page` it gets back; nothing else happens in a notebook.  Composition
itself (:func:`compose_theme_page`, :func:`compose_summary_page`) is pure: it
takes Assessments and params and returns a frozen Page; only the two entry
points read the store and write files.  Every figure, sentence, chart and table
comes from :mod:`cdrp_lib.assess`, :mod:`cdrp_lib.narrative`,
:mod:`cdrp_lib.charts` and :mod:`cdrp_lib.tables`, so a page cannot disagree
with the Assessment it shows (methods §12).

What a page promises (issue 4):

* one ``<h1>``, then ``<h2>`` per target, ``<h3>`` below; headings never skip;
* every text from params or data is escaped here or by the table and chart
  builders; this module writes markup only from constants and escaped text;
* every chart and table has a CSV of its figures, written to
  ``<output_dir>/data/`` and linked relatively; the page's Assessments go to
  ``<output_dir>/<theme>.figures.json`` (the batch's notebook contract) with
  every figure withheld by disclosure control (methods §9) blanked, so the
  published JSON discloses nothing the page does not;
* links are relative: back to the site index (``../../index.html``) and to
  the bulletin's front page (``index.html``); the batch adds the navigation
  between a bulletin's pages;
* the security marking is printed at the top and the foot of every page, and a
  partnership marked ``synthetic`` carries a SYNTHETIC DATA banner.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdrp_lib.areas import slugify
from cdrp_lib.assessment import Assessment
from cdrp_lib.errors import NotFoundError
from cdrp_lib.periods import MONTH_NAMES, Month
from cdrp_lib.public import public_view
from cdrp_lib.stats.disclosure import SENSITIVE_THEMES
from cdrp_lib.version import __version__

if TYPE_CHECKING:
    from cdrp_lib.charts import Chart
    from cdrp_lib.narrative import Sentence
    from cdrp_lib.params import BulletinParams, Measure
    from cdrp_lib.store import Store
    from cdrp_lib.tables import SourceRow, Table

__all__ = [
    "FRONT_PAGE",
    "SITE_INDEX",
    "Download",
    "Page",
    "compose_summary_page",
    "compose_theme_page",
    "project_root",
    "public_json",
    "resolve_path",
    "summary_page",
    "theme_page",
]

SUMMARY = "summary"
#: The bulletin's front page and the site index, relative to a bulletin folder
#: ``site/<partnership>/<month>/`` (the layout cdrp_lib.batch publishes).
FRONT_PAGE = "index.html"
SITE_INDEX = "../../index.html"
DATA_DIR = "data"
#: Survey waves on a survey chart, each with its own 95% interval (one Assessment
#: each): three years of quarterly waves, the window of the performance charts, and as
#: many wave labels as fit across the chart.  figures.json keeps every wave (history).
SURVEY_CHART_WAVES = 12
#: Survey waves listed in the survey table: the last year of quarterly waves (the
#: chart and its CSV hold every wave).
SURVEY_WAVES_IN_TABLE = 4
#: Heading of the executive-summary table for measures whose theme is the summary itself.
CROSS_CUTTING_TITLE = "Cross-cutting outcomes"
SOURCE_POLICE = "police"
SOURCE_SURVEY = "survey"
# Files whose presence marks the project folder that relative parameters refer to.
PROJECT_MARKERS = ("pyproject.toml", "notebooks", "params")


# ----------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class Download:
    """One CSV download: its file name inside ``data/`` and its text."""

    name: str
    csv: str

    @property
    def href(self) -> str:
        return f"{DATA_DIR}/{self.name}"


@dataclass(frozen=True)
class Page:
    """A composed bulletin page: ordered HTML blocks, their CSV downloads, its Assessments.

    ``assessments`` are the bulletin-month Assessments the page shows (what
    ``figures.json`` records).  Displaying a Page in a notebook shows its HTML.
    """

    theme: str
    title: str
    blocks: tuple[str, ...]
    downloads: tuple[Download, ...] = ()
    assessments: tuple[Assessment, ...] = ()

    @property
    def html(self) -> str:
        return '<div class="bulletin-page">\n' + "\n".join(self.blocks) + "\n</div>"

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return (f"Page(theme={self.theme!r}, title={self.title!r}, blocks={len(self.blocks)}, "
                f"downloads={len(self.downloads)}, assessments={len(self.assessments)})")

    def figures_json(self) -> str:
        """``<theme>.figures.json``: the public JSON of every Assessment shown, in page order."""
        doc = [public_json(a) for a in self.assessments]
        return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self, output_dir: Path) -> tuple[Path, ...]:
        """Write the CSV downloads into ``output_dir/data/`` and the figures JSON.

        Returns the paths written.  File names come from this module's slugs, so
        they cannot leave ``output_dir``.
        """
        out = Path(output_dir)
        data = out / DATA_DIR
        data.mkdir(parents=True, exist_ok=True)
        written = []
        for d in self.downloads:
            path = data / d.name
            path.write_text(d.csv, encoding="utf-8", newline="\n")
            written.append(path)
        figures = out / f"{self.theme}.figures.json"
        figures.write_text(self.figures_json(), encoding="utf-8", newline="\n")
        written.append(figures)
        return tuple(written)


class _Builder:
    """Collects a page's blocks and downloads in order; download names stay unique."""

    def __init__(self, theme: str) -> None:
        self.theme = theme
        self.blocks: list[str] = []
        self.downloads: list[Download] = []
        self._names: set[str] = set()

    def add(self, block: str) -> None:
        self.blocks.append(block)

    def figure(self, item: Chart | Table, *parts: str) -> None:
        """A chart or table with its CSV written beside the page and linked relatively."""
        stem = "-".join(filter(None, map(slugify, (self.theme, *parts))))
        name, n = f"{stem}.csv", 2
        while name in self._names:
            name, n = f"{stem}-{n}.csv", n + 1
        self._names.add(name)
        download = Download(name, item.csv)
        self.downloads.append(download)
        self.blocks.append(item.to_html(download.href))

    def page(self, title: str, assessments: Sequence[Assessment]) -> Page:
        return Page(self.theme, title, tuple(self.blocks), tuple(self.downloads),
                    tuple(assessments))


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# ----------------------------------------------------------------------------- paths


def project_root(start: Path | None = None) -> Path:
    """The project folder: the nearest folder at or above ``start`` (default: the working
    folder) holding pyproject.toml, notebooks/ and params/; else the working folder.

    JupyterLab runs a notebook in ``notebooks/`` while the batch runs it in the
    project folder; relative parameters mean the same files in both.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return here


def resolve_path(path: Path | str, root: Path | None = None) -> Path:
    """``path`` itself when absolute, else ``path`` inside the project folder."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (root or project_root()) / p


def _produced_on(text: str) -> str:
    """The date printed as 'produced on': ``text`` checked as YYYY-MM-DD, or today."""
    if not text:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"`produced_on` must be a date YYYY-MM-DD or '', got {text!r}") from None


# ----------------------------------------------------------------------------- disclosure


def public_json(a: Assessment) -> dict[str, Any]:
    """The figures.json record of ``a``: its public view (methods §9), every withheld
    figure ``null`` (:meth:`cdrp_lib.public.PublicAssessment.to_json`)."""
    return public_view(a).to_json()


# ----------------------------------------------------------------------------- fragments


def _month_label(month: str | None) -> str:
    return Month.parse(month).label if month else "no data"


def _marking(marking: str) -> str:
    return f'<p class="security-marking"><strong>{_e(marking)}</strong></p>'


def _synthetic_banner() -> str:
    return ('<p class="synthetic-banner"><strong class="synthetic">SYNTHETIC DATA</strong> '
            "Every figure on this page is made up for demonstration by <code>cdrp demo-data"
            "</code>. It describes no real place, person or crime.</p>")


def _breadcrumb(front_page: bool) -> str:
    links = [f'<a href="{SITE_INDEX}">All bulletins</a>']
    if not front_page:
        links.append(f'<a href="{FRONT_PAGE}">This bulletin\'s summary</a>')
    return f'<p class="breadcrumb">{" | ".join(links)}</p>'


def _rag_badge(a: Assessment) -> str:
    """The measure's rating in words, never colour alone, with an override's reason."""
    from cdrp_lib.stats.rag import NOT_ASSESSED_MARK, NOT_ASSESSED_WORD
    from cdrp_lib.tables import short_reason

    if a.rag is None:
        why = f": {short_reason(a.not_assessed_reason)}" if a.not_assessed_reason else ""
        badge = (f'<span class="rag-none">{NOT_ASSESSED_MARK} {NOT_ASSESSED_WORD}'
                 f"{_e(why)}</span>")
    else:
        badge = f'<span class="rag-{_e(a.rag.letter)}">{_e(a.rag.label)}</span>'
    text = f'<p class="rating">Rating: {badge}'
    if a.rag_override_reason:
        text += f" (rating set by the partnership: {_e(a.rag_override_reason)})"
    return text + "</p>"


def _facts(a: Assessment) -> tuple[Sentence, ...]:
    from cdrp_lib.narrative import sentences

    return sentences(public_view(a))


def _paragraph(texts: Sequence[str], css: str = "", strong: bool = False) -> str:
    if not texts:
        return ""
    klass = f' class="{css}"' if css else ""
    text = _e(" ".join(texts))
    return f"<p{klass}><strong>{text}</strong></p>" if strong else f"<p{klass}>{text}</p>"


def _list(items: Sequence[str], css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f"<ul{klass}>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _caveats(a: Assessment, measure: Measure | None, target_notes: Sequence[str]) -> list[str]:
    out = []
    if measure is not None and measure.caveat:
        out.append(measure.caveat)
    out.extend(target_notes)
    return out


# ----------------------------------------------------------------------------- theme pages


@dataclass(frozen=True)
class ThemeContext:
    """What a theme page needs besides its Assessments (read once from params)."""

    theme: str
    theme_title: str
    security_marking: str
    partnership_name: str
    month: str
    produced_on: str
    synthetic: bool = False
    measures: Mapping[str, Measure] = dataclasses.field(default_factory=dict)
    target_notes: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def _key(a: Assessment) -> str:
    return a.target_id or a.measure or slugify(a.measure_name)


def _source(a: Assessment, measures: Mapping[str, Measure]) -> str | None:
    m = measures.get(a.measure)
    return m.source if m is not None else None


def _heading_id(a: Assessment) -> str:
    return "measure-" + slugify(_key(a))


def _chart_waves(waves: Sequence[Assessment], latest: Assessment) -> list[Assessment]:
    """The waves a survey chart draws: one Assessment each, the latest one's history cut
    to the same window so no earlier wave is drawn without its interval."""
    series = list(waves) or [latest]
    first = series[0].month
    last = series[-1]
    return [*series[:-1], dataclasses.replace(
        last, history=tuple(p for p in last.history if p.month >= first))]


def _measure_section(b: _Builder, a: Assessment, ctx: ThemeContext,
                     waves: Sequence[Assessment]) -> None:
    """One target: heading, rating, headline, baseline and target, charts, table, narrative."""
    from cdrp_lib import charts, tables
    from cdrp_lib.narrative import Fact

    key = _key(a)
    title = a.target_title or a.measure_name
    heading = f"{a.outcome_code}: {title}" if a.outcome_code else title
    b.add(f'<h2 id="{_e(_heading_id(a))}">{_e(heading)}</h2>')
    about = [f"Measure: {a.measure_name}"]
    if a.lead_agency:
        about.append(f"Lead: {a.lead_agency}")
    if a.data_to:
        about.append(f"Data to {_month_label(a.data_to)}")
    b.add(f'<p class="measure-about">{_e(". ".join(about))}.</p>')
    b.add(_rag_badge(a))
    facts = _facts(a)
    shown_above = (Fact.BASELINE_CHANGE, Fact.TARGET)
    b.add(_paragraph([s.text for s in facts if s.fact is Fact.BASELINE_CHANGE], "headline",
                     strong=True))
    b.add(_paragraph([s.text for s in facts if s.fact is Fact.TARGET], "target"))
    source = _source(a, ctx.measures)
    if not a.measure:  # a monitor-only target on something no extract holds
        b.add(_paragraph([s.text for s in facts if s.fact not in shown_above], "narrative"))
        return
    if source == SOURCE_SURVEY:
        series = _chart_waves(waves, a)
        b.add("<h3>Survey results</h3>")
        b.figure(charts.survey_chart([public_view(w) for w in series]), key, "survey-chart")
        b.figure(tables.survey_table([public_view(w) for w in series[-SURVEY_WAVES_IN_TABLE:]]),
                 key, "survey-table")
    else:
        b.add("<h3>Position against the target</h3>")
        view = public_view(a)
        if a.is_proportion and ctx.theme in SENSITIVE_THEMES:
            b.figure(charts.repeat_rate_chart(view), key, "repeat-rate-chart")
            b.figure(tables.performance_table(view), key, "performance-table")
            b.figure(tables.repeat_table([view]), key, "repeat-table")
        else:
            b.figure(charts.performance_chart(view), key, "performance-chart")
            b.figure(tables.performance_table(view), key, "performance-table")
        b.add("<h3>Month by month</h3>")
        b.figure(charts.control_chart(view), key, "control-chart")
    rest = [s.text for s in facts if s.fact not in shown_above]
    if rest:
        b.add("<h3>Summary of performance</h3>")
        b.add(_paragraph(rest, "narrative"))
    notes = _caveats(a, ctx.measures.get(a.measure), ctx.target_notes.get(a.target_id or "", ()))
    if notes:
        b.add("<h3>Caveats</h3>")
        b.add(_list(notes, "caveats"))


def _monitoring_section(b: _Builder, indicators: Sequence[Assessment],
                        measures: Mapping[str, Measure],
                        waves: Mapping[str, Sequence[Assessment]]) -> None:
    """Measures without a target: small charts of counts; rates and survey results in full."""
    from cdrp_lib import charts, tables
    from cdrp_lib.narrative import Fact

    if not indicators:
        return
    b.add('<h2 id="monitoring-indicators">Monitoring indicators</h2>')
    b.add("<p>These measures have no target. They are shown for context and are not "
          "rated.</p>")
    counts = [a for a in indicators
              if not a.is_proportion and _source(a, measures) != SOURCE_SURVEY]
    others = [a for a in indicators if a not in counts]
    if counts:
        b.figure(charts.small_multiple([public_view(a) for a in counts]), "monitoring",
                 "small-multiples")
        lines = []
        for a in counts:
            said = [s.text for s in _facts(a) if s.fact is Fact.COMPARISON]
            if not said and a.not_assessed_reason is not None and a.rolling_12 is None:
                said = [f"{a.measure_name}: {a.not_assessed_reason.sentence}"]
            lines.extend(said)
        if lines:
            b.add(_list(lines, "indicator-notes"))
    for a in others:
        key = _key(a)
        b.add(f'<h3 id="{_e(_heading_id(a))}">{_e(a.measure_name)}</h3>')
        if _source(a, measures) == SOURCE_SURVEY:
            series = [public_view(w) for w in _chart_waves(waves.get(key, ()), a)]
            b.figure(charts.survey_chart(series), key, "survey-chart")
            b.figure(tables.survey_table(series[-SURVEY_WAVES_IN_TABLE:]), key, "survey-table")
        else:
            b.figure(charts.repeat_rate_chart(public_view(a)), key, "repeat-rate-chart")
            b.figure(tables.repeat_table([public_view(a)]), key, "repeat-table")
        said = [s.text for s in _facts(a) if s.fact in (Fact.COMPARISON, Fact.SURVEY,
                                                         Fact.PAST_MONTH)]
        b.add(_paragraph(said, "narrative"))
        notes = _caveats(a, measures.get(a.measure), ())
        if notes:
            b.add(_list(notes, "caveats"))


def _page_top(b: _Builder, title: str, marking: str, synthetic: bool,
              front_page: bool) -> None:
    b.add(_marking(marking))
    b.add(_breadcrumb(front_page))
    b.add(f"<h1>{_e(title)}</h1>")
    if synthetic:
        b.add(_synthetic_banner())


def _long_date(iso: str) -> str:
    """``2026-01-15`` -> ``15 January 2026``, as a reader writes a date."""
    day = datetime.date.fromisoformat(iso)
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _page_foot(b: _Builder, produced_on: str, marking: str) -> None:
    b.add(f'<p class="page-foot">Produced on {_e(_long_date(produced_on))} with cdrp_lib '
          f"{_e(__version__)}. Figures for every chart and table can be downloaded "
          "as CSV beside it.</p>")
    b.add(_marking(marking))


def compose_theme_page(assessments: Sequence[Assessment], ctx: ThemeContext,
                       waves: Mapping[str, Sequence[Assessment]] | None = None) -> Page:
    """The page of one theme: every target in params order, then the monitoring indicators.

    ``waves`` maps a survey measure's key (target id, else measure id) to one
    Assessment per recent wave, oldest first, so its chart draws each wave's
    interval; without it only the latest wave's interval is drawn.
    """
    waves = waves or {}
    b = _Builder(ctx.theme)
    title = f"{ctx.theme_title}: {ctx.partnership_name}, {_month_label(ctx.month)}"
    _page_top(b, title, ctx.security_marking, ctx.synthetic, front_page=False)
    targeted = [a for a in assessments if a.target_id is not None]
    indicators = [a for a in assessments if a.target_id is None]
    if not targeted and not indicators:
        b.add("<p>No measures of this theme are assessed for this partnership.</p>")
    elif not targeted:
        b.add("<p>The partnership has set no targets in this theme.</p>")
    else:
        from cdrp_lib import tables

        b.figure(tables.targets_table([public_view(a) for a in targeted],
                                      caption=f"{ctx.theme_title}: targets at a glance"),
                 "targets")
    for a in targeted:
        _measure_section(b, a, ctx, waves.get(_key(a), ()))
    _monitoring_section(b, indicators, ctx.measures, waves)
    _page_foot(b, ctx.produced_on, ctx.security_marking)
    return b.page(title, assessments)


# ----------------------------------------------------------------------------- summary page


@dataclass(frozen=True)
class SummaryContext:
    """What the front page needs besides the Assessments."""

    bulletin: BulletinParams
    partnership_name: str
    month: str
    produced_on: str
    data_to: str | None = None  # the latest police month the bulletin used
    sources: tuple[SourceRow, ...] = ()
    synthetic: bool = False
    measures: Mapping[str, Measure] = dataclasses.field(default_factory=dict)
    target_notes: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def _rating_key() -> str:
    return ("<p>Ratings are shown as a letter and a word: <strong>G Green</strong> the target "
            "is met, or the position is on or better than its trajectory and the long-term "
            "trend is enough to meet it; <strong>A Amber</strong> one of those two is not; "
            "<strong>R Red</strong> neither is; <strong>\u2013 Not assessed</strong> no "
            "rating can be given yet, with the reason.</p>")


def _rating_counts(targeted: Sequence[Assessment]) -> str:
    """``Of the 11 targets, 7 G Green, 0 A Amber and 2 R Red; 2 not assessed.``"""
    from cdrp_lib.stats.enums import Rag

    n = len(targeted)
    g, a_, r = (f"{sum(a.rag is rag for a in targeted)} {rag.label}" for rag in Rag)
    unrated = sum(a.rag is None for a in targeted)
    return (f'<p class="rating-counts"><strong>Of the {n} target{"s" if n != 1 else ""}, '
            f"{g}, {a_} and {r}; {unrated} not assessed.</strong></p>")


def _summary_caveats(assessments: Sequence[Assessment], ctx: SummaryContext) -> list[str]:
    out: list[str] = []
    if ctx.synthetic:
        out.append("SYNTHETIC DATA: this bulletin is built from made-up demonstration data "
                   "and describes no real place, person or crime.")
    seen: set[str] = set()
    for a in assessments:
        m = ctx.measures.get(a.measure)
        if m is not None and m.caveat and m.id not in seen:
            seen.add(m.id)
            out.append(f"{m.name}: {m.caveat}")
    for a in assessments:
        for note in ctx.target_notes.get(a.target_id or "", ()):
            text = f"{a.target_title or a.measure_name}: {note}"
            if text not in out:
                out.append(text)
        if a.rag_override_reason:
            out.append(f"{a.target_title or a.measure_name}: the rating "
                       f"{a.rag.label if a.rag else ''} was set by the partnership: "
                       f"{a.rag_override_reason}")
    return out


def compose_summary_page(assessments: Sequence[Assessment], ctx: SummaryContext) -> Page:
    """The front page: executive summary by theme, all targets, sources, caveats, metadata.

    The summary theme's own measures without a target (all crime, where no target
    is set) are its monitoring indicators, shown after the targets.
    """
    from cdrp_lib import tables

    bulletin = ctx.bulletin
    b = _Builder(SUMMARY)
    title = f"{bulletin.title}: {ctx.partnership_name}, {_month_label(ctx.month)}"
    _page_top(b, title, bulletin.security_marking, ctx.synthetic, front_page=True)
    data_to = ctx.data_to
    police = (f"using police recorded crime to {_e(_month_label(data_to))}" if data_to
              else "with no police recorded crime available for the month yet")
    b.add(f"<p>Performance against the partnership's targets for "
          f"{_e(_month_label(ctx.month))}, {police}. Each theme has its own page with the "
          "charts and tables behind these ratings.</p>")
    targeted = [a for a in assessments if a.target_id is not None]
    if targeted:
        b.add(_rating_counts(targeted))
    b.add(_rating_key())
    b.add('<h2 id="executive-summary">Executive summary</h2>')
    shown = False
    for theme in bulletin.themes:
        rows = tables.outcome_rows([public_view(a) for a in targeted if a.theme == theme.id])
        if not rows:
            continue
        shown = True
        heading = CROSS_CUTTING_TITLE if theme.id == SUMMARY else theme.title
        b.figure(tables.outcome_table(heading, rows), theme.id, "outcomes")
    if not shown:
        b.add("<p>The partnership has set no targets, so there is nothing to rate.</p>")
    b.add('<h2 id="targets">All targets</h2>')
    if targeted:
        b.figure(tables.targets_table([public_view(a) for a in targeted],
                                      caption="All targets: baseline, current position, "
                                      "status and rating"), "targets")
    else:
        b.add("<p>No targets are set in this partnership's params.</p>")
    indicators = [a for a in assessments if a.target_id is None and a.theme == SUMMARY]
    _monitoring_section(b, indicators, ctx.measures, {})
    b.add('<h2 id="data-sources">Data sources</h2>')
    b.add("<p>Each source is used up to the latest month it covers that is not after the "
          "bulletin month.</p>")
    b.figure(tables.sources_table(ctx.sources), "sources")
    b.add('<h2 id="caveats">Caveats</h2>')
    notes = _summary_caveats(assessments, ctx)
    b.add(_list(notes, "caveats") if notes else "<p>None.</p>")
    b.add('<h2 id="metadata">About this bulletin</h2>')
    b.add(tables.metadata_block(tables.BulletinMeta(
        title=bulletin.title, partnership=ctx.partnership_name, period=ctx.month,
        data_to=data_to, produced_on=_long_date(ctx.produced_on), status=bulletin.status,
        security_marking=bulletin.security_marking, organisation=bulletin.organisation,
        synthetic=ctx.synthetic)))
    _page_foot(b, ctx.produced_on, bulletin.security_marking)
    return b.page(title, [*targeted, *indicators])


# ----------------------------------------------------------------------------- entry points


@contextmanager
def _opened(store: Store | Path | str) -> Iterator[Store]:
    from cdrp_lib.store import Store

    if isinstance(store, Store):
        yield store
        return
    with Store(resolve_path(store), read_only=True) as opened:
        yield opened


@dataclass(frozen=True)
class _Params:
    bulletin: BulletinParams
    measures: Mapping[str, Measure]
    name: str
    synthetic: bool
    target_notes: Mapping[str, tuple[str, ...]]


def _read_params(params_dir: Path, st: Store, partnership: str) -> _Params:
    from cdrp_lib.assess import cached_params
    from cdrp_lib.params import load_bulletin

    measures, partnerships, cached_bulletin = cached_params(params_dir)
    # A page needs bulletin.yaml: without it load_bulletin raises, naming the file.
    bulletin = cached_bulletin if cached_bulletin is not None else load_bulletin(params_dir)
    p = partnerships.get(partnership)
    row = st.con.execute("SELECT name, synthetic FROM partnerships WHERE id = ?",
                         [partnership]).fetchone()
    if p is None and row is None:
        raise NotFoundError(f"no partnership {partnership!r} in the store or in params")
    name = p.name if p is not None else str(row[0]) if row else partnership
    synthetic = bool(p.synthetic if p is not None else (row[1] if row else False))
    # Targets' `caveats` are written for readers; their `notes` record provenance for
    # analysts (plan wording, rounding) and stay out of the bulletin.
    caveats = {t.id: tuple(t.caveats) for t in p.targets} if p is not None else {}
    return _Params(bulletin, measures, name, synthetic, caveats)


def _check_month(month: str) -> str:
    return str(Month.parse(month))


def _recent_waves(st: Store, params_dir: Path, partnership: str,
                  latest: Sequence[Assessment], measures: Mapping[str, Measure]
                  ) -> dict[str, list[Assessment]]:
    """One Assessment per wave (the last SURVEY_CHART_WAVES) of every survey measure
    shown, oldest first, so each wave is drawn with its own interval."""
    from cdrp_lib.assess import assess_partnership

    survey = [a for a in latest if (m := measures.get(a.measure)) is not None
              and m.source == SOURCE_SURVEY and a.data_to is not None]
    months: set[str] = set()
    for a in survey:
        done = [p.month for p in a.history if p.value is not None
                and p.month <= str(a.data_to)]
        months.update(done[-SURVEY_CHART_WAVES:])
    out: dict[str, list[Assessment]] = {_key(a): [] for a in survey}
    theme = survey[0].theme if survey else None
    for month in sorted(months):
        found = {_key(x): x for x in assess_partnership(st, params_dir, partnership, month,
                                                        theme=theme)}
        for a in survey:
            x = found.get(_key(a))
            if x is not None and x.survey_percent is not None and x.data_to == month:
                out[_key(a)].append(x)
    return out


def theme_page(store: Store | Path | str, params_dir: Path | str, partnership: str,
               month: str, theme: str, output_dir: Path | str, produced_on: str = "") -> Page:
    """Assess one theme of a partnership's bulletin, compose its page and write its files.

    Relative paths are read from the project folder (:func:`resolve_path`).
    Writes ``<output_dir>/<theme>.figures.json`` and the CSVs under
    ``<output_dir>/data/``; returns the :class:`Page` for the notebook to display.
    """
    from cdrp_lib.assess import assess_partnership

    params = resolve_path(params_dir)
    month = _check_month(month)
    day = _produced_on(produced_on)
    with _opened(store) as st:
        info = _read_params(params, st, partnership)
        themes = [t.id for t in info.bulletin.themes if t.id != SUMMARY]
        if theme not in themes:
            raise NotFoundError(f"no theme {theme!r} in {params / 'bulletin.yaml'} "
                                f"(known: {', '.join(themes)})")
        assessments = assess_partnership(st, params, partnership, month, theme=theme)
        waves = _recent_waves(st, params, partnership, assessments, info.measures)
    ctx = ThemeContext(
        theme=theme, theme_title=info.bulletin.theme_title(theme),
        security_marking=info.bulletin.security_marking,
        partnership_name=info.name, month=month, produced_on=day, synthetic=info.synthetic,
        measures=info.measures, target_notes=info.target_notes)
    page = compose_theme_page(assessments, ctx, waves)
    page.write(resolve_path(output_dir))
    return page


def _latest_by_source(measures: Mapping[str, Measure], assessments: Sequence[Assessment]
                      ) -> dict[str, str]:
    """The latest month each source gave this bulletin: its measures' ``data_to`` (§13).

    A source with no measure assessed on data (all "source late") is absent: the
    partnership has no data from it, whatever other partnerships in the store have.
    """
    out: dict[str, str] = {}
    for a in assessments:
        m = measures.get(a.measure)
        if m is not None and a.data_to is not None:
            out[m.source] = max(out.get(m.source, a.data_to), a.data_to)
    return out


def _source_rows(bulletin: BulletinParams, latest: Mapping[str, str]) -> tuple[SourceRow, ...]:
    """Each source of bulletin.yaml with the latest month the bulletin used and its lag."""
    from cdrp_lib.tables import SourceRow

    rows = []
    for source, about in bulletin.sources.items():
        note = f"Licence: {about.licence}" if about.licence else ""
        if about.url:
            note += ("; " if note else "") + f"from {about.url}"
        rows.append(SourceRow(about.name, latest.get(source), about.lag_months, note))
    return tuple(rows)


def summary_page(store: Store | Path | str, params_dir: Path | str, partnership: str,
                 month: str, output_dir: Path | str, produced_on: str = "") -> Page:
    """Assess every target of a partnership's bulletin, compose the front page, write its files.

    Writes ``<output_dir>/summary.figures.json`` (the targets shown) and the
    CSVs under ``<output_dir>/data/``; returns the :class:`Page`.
    """
    from cdrp_lib.assess import assess_partnership

    params = resolve_path(params_dir)
    month = _check_month(month)
    day = _produced_on(produced_on)
    with _opened(store) as st:
        info = _read_params(params, st, partnership)
        assessments = assess_partnership(st, params, partnership, month)
    latest = _latest_by_source(info.measures, assessments)
    ctx = SummaryContext(
        bulletin=info.bulletin, partnership_name=info.name, month=month, produced_on=day,
        data_to=latest.get(SOURCE_POLICE), sources=_source_rows(info.bulletin, latest),
        synthetic=info.synthetic, measures=info.measures, target_notes=info.target_notes)
    page = compose_summary_page(assessments, ctx)
    page.write(resolve_path(output_dir))
    return page
