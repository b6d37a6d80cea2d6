"""cdrp_lib.pages: theme and summary pages composed from Assessments of the demo county."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO_MONTH, Demo

from cdrp_lib import pages
from cdrp_lib.assess import assess_partnership
from cdrp_lib.assessment import Assessment, HistoryPoint
from cdrp_lib.errors import NotFoundError
from cdrp_lib.pages.bulletin import SURVEY_CHART_WAVES
from cdrp_lib.pages.theme import SURVEY_WAVES_IN_TABLE
from cdrp_lib.public import public_view
from cdrp_lib.stats.enums import Polarity
from cdrp_lib.stats.rounding import fmt_number, fmt_signed_pct
from cdrp_lib.store import Store

PROJECT = Path(__file__).resolve().parents[1]
XSS = "<script>alert(1)</script>"
PRODUCED_ON = "2026-01-15"
THEMES = ("violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")


class _Parsed(HTMLParser):
    """Headings, images, links and tables (caption, header texts, rows of cell texts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.tables: list[dict[str, Any]] = []
        self._text: list[str] | None = None
        self._heading: int | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading, self._text = int(tag[1]), []
        elif tag == "img":
            self.images.append(values)
        elif tag == "svg" and values.get("role") == "img":  # an inline chart: vector
            self.images.append({**values, "alt": values.get("aria-label", "")})
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        elif tag == "a" and "href" in values:
            self.links.append(values["href"])
        elif tag == "table":
            self.tables.append({"caption": "", "th_col": [], "rows": []})
        elif tag == "caption":
            self._text = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            if tag == "th" and values.get("scope") == "col":
                self.tables[-1]["th_col"].append(values)

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, "".join(self._text or [])))
            self._heading, self._text = None, None
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = "".join(self._text or [])
            self._text = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def parse(html: str) -> _Parsed:
    parsed = _Parsed()
    parsed.feed(html)
    parsed.close()
    return parsed


def table(parsed: _Parsed, caption_start: str) -> dict[str, Any]:
    found = [t for t in parsed.tables if t["caption"].startswith(caption_start)]
    assert found, f"no table captioned {caption_start!r}: {[t['caption'] for t in parsed.tables]}"
    return found[0]


def row(t: dict[str, Any], header: str) -> list[str]:
    for r in t["rows"]:
        if r and r[0].startswith(header):
            return list(r)
    raise AssertionError(f"no row {header!r} in {t['caption']!r}")


@pytest.fixture(scope="module")
def store(demo: Demo) -> Iterator[Store]:
    with Store(demo.store) as st:
        yield st


@dataclasses.dataclass(frozen=True)
class Published:
    """A page as published (its notebook executed by Papermill and rendered) beside the
    same page made in-process, whose Assessments and downloads the tests compare with."""

    html: str
    page: pages.ThemePage | pages.SummaryPage
    out: Path

    @property
    def assessments(self) -> tuple[Assessment, ...]:
        return self.page.assessments


def publish(demo: Demo, theme: str, out: Path, partnership: str = "ashcombe") -> Published:
    """Execute ``notebooks/<theme>.ipynb`` as the batch does and render it as published."""
    import papermill

    from cdrp_lib.render import render_page

    executed = out / f"{theme}.ipynb"
    papermill.execute_notebook(
        str(PROJECT / "notebooks" / f"{theme}.ipynb"), str(executed),
        parameters={"partnership": partnership, "month": DEMO_MONTH, "store": str(demo.store),
                    "params_dir": str(demo.params), "output_dir": str(out),
                    "produced_on": PRODUCED_ON},
        cwd=str(PROJECT / "notebooks"), progress_bar=False, kernel_name="python3")
    html = render_page(executed, out / f"{theme}.html", title=theme).path.read_text("utf-8")
    bulletin = pages.open_bulletin(partnership, DEMO_MONTH, store=demo.store,
                                   params_dir=demo.params, output_dir=out / "in-process",
                                   produced_on=PRODUCED_ON)
    page = bulletin.summary() if theme == "summary" else bulletin.theme(theme)
    page.parts()
    return Published(html, page, out)


def whole(demo: Demo, theme: str, tmp_path: Path, partnership: str = "ashcombe",
          params: Path | None = None, produced_on: str = PRODUCED_ON
          ) -> pages.ThemePage | pages.SummaryPage:
    """The page made in-process, every part in its default order (no notebook)."""
    bulletin = pages.open_bulletin(partnership, DEMO_MONTH, store=demo.store,
                                   params_dir=params or demo.params, output_dir=tmp_path,
                                   produced_on=produced_on)
    return bulletin.summary() if theme == "summary" else bulletin.theme(theme)


@pytest.fixture(scope="module")
def violence(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(demo, "violence", tmp_path_factory.mktemp("violence"))


@pytest.fixture(scope="module")
def summary(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(demo, "summary", tmp_path_factory.mktemp("summary"))


# ----------------------------------------------------------------------------- theme page


def _text(html: str) -> str:
    """The words of some HTML, in order, with the alt text of its images."""
    out: list[str] = []

    class Words(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            out.extend(v or "" for k, v in attrs if tag == "img" and k == "alt")

        def handle_data(self, data: str) -> None:
            out.append(data)

    Words(convert_charrefs=True).feed(html)
    return " ".join(" ".join(out).split())


def test_theme_page_has_one_h1_and_headings_in_order(violence: Published) -> None:
    levels = [level for level, _ in parse(violence.html).headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_the_published_page_is_the_notebooks_parts_in_order(violence: Published) -> None:
    """Every part the notebook shows is on the page, as the part's own HTML, in order;
    the notebook's Markdown is between them; the code and the analyst's cells are not."""
    html = violence.html
    text, at = _text(html), 0
    for part in violence.page.parts():
        if part:
            found = text.find(_text(part.html), at)
            assert found >= 0, f"part {part.name} is not on the page (or out of order)"
            at = found + len(_text(part.html))
    assert "Targets at a glance" in [t for _, t in parse(html).headings]
    for hidden in ("page.header()", "open_bulletin", "For the analyst", "remove-cell",
                   "data-cdrp", "<style data-cdrp-lab>"):
        assert hidden not in html


def test_theme_page_shows_every_target_in_params_order_with_its_parts(
        violence: Published) -> None:
    page = violence
    parsed = parse(page.html)
    targeted = [a for a in page.assessments if a.target_id]
    h2 = [text for level, text in parsed.headings if level == 2]
    assert [t for t in h2 if t not in ("Commentary", "Targets at a glance",
                                       "Monitoring indicators",
                                       "Comparison with similar areas")] == [
        f"{a.outcome_code}: {a.target_title}" for a in targeted]
    for a in targeted:
        alts = [img["alt"] for img in parsed.images]
        assert any(alt.startswith(f"Rolling 12-month {a.measure_name.lower()}") or
                   a.measure_name in alt for alt in alts)
        table(parsed, f"{a.measure_name}: performance summary")
        assert any(a.measure_name in img["alt"] and "mean" in img["alt"]
                   for img in parsed.images), f"no control chart for {a.measure_name}"
        for sentence in a.narrative:
            assert sentence.replace("'", "&#x27;") in page.html
    assert "Monitoring indicators" in h2


def test_theme_page_figures_agree_with_the_assessment(violence: Published) -> None:
    page = violence
    parsed = parse(page.html)
    a = next(a for a in page.assessments if a.target_id == "violent-crime")
    perf = table(parsed, f"{a.measure_name}: performance summary")
    assert row(perf, "Comparative performance")[1].startswith(fmt_signed_pct(a.change_12m_pct))
    glance = table(parsed, "Violence: targets at a glance")
    assert row(glance, a.measure_name)[2].split()[0] == fmt_number(a.baseline_value)
    assert row(glance, a.measure_name)[3].split()[0] == fmt_number(a.rolling_12)


def test_every_image_has_alt_text_and_every_table_a_caption_and_headers(
        violence: Published) -> None:
    parsed = parse(violence.html)
    assert parsed.images and all(img.get("alt", "").strip() for img in parsed.images)
    # Every chart is inline SVG (vector, sharp at any zoom): no raster image on the page.
    assert all("src" not in img for img in parsed.images)
    assert parsed.tables and all(t["caption"] and t["th_col"] for t in parsed.tables)


def test_downloads_are_written_and_linked_relatively(violence: Published) -> None:
    parsed = parse(violence.html)
    data_links = [h for h in parsed.links if h.startswith("data/")]
    downloads = [d for part in violence.page.parts() for d in part.downloads]
    assert sorted(data_links) == sorted(d.href for d in downloads)
    assert len(set(data_links)) == len(data_links)
    for d in downloads:
        assert (violence.out / d.href).read_text(encoding="utf-8") == d.csv
    others = set(parsed.links) - set(data_links)
    # the site's reading guide, history links and partnership list are written with the index
    site_level = {h for h in others if h.startswith("../../") and h != pages.SITE_INDEX}
    assert {h.split("#")[0].split("/")[2] for h in site_level} == {
        "guide.html", "history", "partnerships.html"}
    # the skip link, and the demo commentary's link to the front page's sources
    assert others - site_level == {pages.SITE_INDEX, pages.FRONT_PAGE, "#main",
                                   "index.html#data-sources"}


def test_figures_json_is_the_public_json_of_the_assessments_shown(violence: Published) -> None:
    page = violence
    written = json.loads((page.out / "violence.figures.json").read_text(encoding="utf-8"))
    commentary = {k: v for k, v in written[0].get("commentary", {}).items() if k == "theme"}
    assert commentary and "Operation Lantern" in commentary["theme"]  # the demo's, for violence
    for doc in written:
        notes = doc.pop("commentary")
        assert notes.get("theme") == commentary["theme"]
        assert ("target" in notes) == (doc["target_id"] == "violent-crime")
        # a target records its rating last month and the movement (tests/test_movements.py)
        moved = (doc.pop("rating_last_month", "absent"), doc.pop("rating_movement", "absent"))
        assert ("absent" in moved) == (doc["target_id"] is None)
    assert written == [public_view(a).to_json() for a in page.assessments]
    assert {d["theme"] for d in written} == {"violence"}
    assert all(d["partnership"] == "ashcombe" for d in written)


def test_page_shows_security_marking_and_synthetic_banner(violence: Published) -> None:
    html = violence.html
    assert html.count('class="security-marking"') == 2
    assert "SYNTHETIC DATA" in html
    assert "15 January 2026" in html


def test_composition_is_pure_and_deterministic(demo: Demo, store: Store, tmp_path: Path) -> None:
    assessments = assess_partnership(store, demo.params, "ashcombe", DEMO_MONTH, theme="asb")
    before = [a.to_json() for a in assessments]
    config = dataclasses.replace(whole(demo, "asb", tmp_path).config, synthetic=False)
    first = pages.ThemePage("asb", config, assessments, {}, tmp_path).whole()
    second = pages.ThemePage("asb", config, assessments, {}, tmp_path).whole()
    assert first == second
    assert [a.to_json() for a in assessments] == before
    assert "SYNTHETIC DATA" not in first.html


def test_perception_page_draws_each_wave_with_its_own_interval(
        demo: Demo, store: Store, tmp_path: Path) -> None:
    page = whole(demo, "perception", tmp_path)
    parsed = parse(page.whole().html)
    target = next(a for a in page.assessments if a.target_id)
    survey = table(parsed, f"Survey results: {target.measure_name}")
    waves = [r[0] for r in survey["rows"][1:]]
    assert len(waves) == SURVEY_WAVES_IN_TABLE
    assert waves[-1] == target.survey_wave
    drawn = next(d for d in page.whole().downloads
                 if d.name.endswith(f"{target.target_id}-survey-chart.csv"))
    with_interval = [line for line in drawn.csv.splitlines()[1:] if line.split(",")[3]]
    drawn_rows = drawn.csv.splitlines()[1:]
    assert len(drawn_rows) == min(len(target.history), SURVEY_CHART_WAVES)
    assert len(with_interval) == len(drawn_rows)  # every wave drawn has its own interval
    assert "Monitoring indicators" in [t for _, t in parsed.headings]
    # figures.json holds the bulletin month only, not the earlier waves
    assert {a.month for a in page.assessments} == {DEMO_MONTH}


def test_domestic_abuse_page_shows_repeat_rates_under_disclosure_control(
        demo: Demo, store: Store, tmp_path: Path) -> None:
    parsed = parse(whole(demo, "domestic_abuse", tmp_path).whole().html)
    repeat = [t for t in parsed.tables if t["caption"].startswith("Repeat victimisation")]
    assert len(repeat) == 2  # the targeted repeat rate and the MARAC repeat rate
    assert all("<5" in t["caption"] for t in repeat)


def test_every_theme_composes_for_a_partnership_with_no_data(
        demo: Demo, store: Store, tmp_path: Path) -> None:
    # kettering is in the project's params (with monitor-only targets on data no extract
    # holds) but the demo store has no data for it: every page still composes, unrated.
    for theme in THEMES:
        page = whole(demo, theme, tmp_path, "kettering", PROJECT / "params")
        assert all(a.rag is None for a in page.assessments)
        assert "SYNTHETIC DATA" not in page.whole().html
    front = whole(demo, "summary", tmp_path, "kettering", PROJECT / "params")
    html = front.whole().html
    assert front.assessments and all(a.rag is None for a in front.assessments)
    assert "Not assessed" in html
    assert "with no police recorded crime available for the month yet" in html
    sources = table(parse(html), "Data sources")
    assert [r[1] for r in sources["rows"][1:]] == ["– no data yet"] * 3


# ----------------------------------------------------------------------------- escaping


def test_text_from_params_and_data_is_escaped(demo: Demo, store: Store, tmp_path: Path) -> None:
    real = assess_partnership(store, demo.params, "ashcombe", DEMO_MONTH, theme="violence")
    hostile = [dataclasses.replace(a, partnership_name=XSS, measure_name=XSS,
                                   target_title=XSS if a.target_id else None,
                                   outcome_title=XSS, lead_agency=XSS) for a in real]
    config = whole(demo, "violence", tmp_path).config
    bulletin = config.bulletin.model_copy(update={"security_marking": XSS, "themes": tuple(
        t.model_copy(update={"title": XSS}) for t in config.bulletin.themes)})
    hostile_config = dataclasses.replace(config, name=XSS, bulletin=bulletin)
    html = pages.ThemePage("violence", hostile_config, hostile, {}, tmp_path).whole().html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ----------------------------------------------------------------------------- summary page


def test_summary_page_reproduces_the_front_pages(summary: Published) -> None:
    page, out = summary, summary.out
    parsed = parse(page.html)
    h2 = [t for level, t in parsed.headings if level == 2]
    assert h2 == ["What changed since last month", "Executive summary", "All targets",
                  "Data sources", "Caveats", "About this bulletin"]
    outcomes = [t for t in parsed.tables if t["caption"].endswith("outcomes and ratings")]
    themes_with_targets = {a.theme for a in page.assessments}
    assert len(outcomes) == len(themes_with_targets)
    for t in outcomes:
        assert [c for c in t["rows"][0]] == ["Outcome", "Summary of performance", "RAG"]
        for r in t["rows"][1:]:
            assert r[2][:1] in ("G", "A", "R", "–")
    targets = table(parsed, "All targets")
    assert len(targets["rows"]) - 1 == len(page.assessments)
    for a in page.assessments:
        cells = row(targets, a.measure_name)
        assert cells[-1].startswith(a.rag.label if a.rag else "–")
    assert (out / "summary.figures.json").is_file()
    rated = Counter(a.rag.label if a.rag else "none" for a in page.assessments)
    assert (f"Of the {len(page.assessments)} targets, {rated['G Green']} G Green, "
            f"{rated['A Amber']} A Amber and {rated['R Red']} R Red; {rated['none']} not "
            "assessed.") in page.html


def test_summary_sources_say_the_latest_month_each_covers(summary: Published) -> None:
    parsed = parse(summary.html)
    sources = table(parsed, "Data sources")
    # police, DA and survey to the bulletin's month; then the partner agencies, each its
    # lag behind: fire 1 month, road safety and youth justice 3 (a quarter), probation 6
    assert [r[1] for r in sources["rows"][1:]] == ["December 2025"] * 3 + [
        "November 2025", "September 2025", "September 2025", "June 2025"]


def test_summary_metadata_block_and_caveats(summary: Published) -> None:
    import cdrp_lib

    html = summary.html
    meta = html[html.index('<dl class="metadata">'):]
    for text in ("Performance Improvement Bulletin", "Ashcombe Community Safety Partnership",
                 "December 2025", "15 January 2026", f"cdrp_lib {cdrp_lib.__version__}",
                 "Final", "OFFICIAL", "SYNTHETIC"):
        assert text in meta
    caveats = html[html.index(">Caveats</h2>"):html.index(">About this bulletin</h2>")]
    assert "SYNTHETIC DATA" in caveats
    assert "Sexual offences cannot be separated" in caveats


# ----------------------------------------------------------------------------- disclosure


def _count_assessment(theme: str, values: list[float | None]) -> Assessment:
    history = tuple(HistoryPoint(f"2025-{i + 1:02d}", v, v) for i, v in enumerate(values))
    return Assessment(partnership="p", partnership_name="P", measure="m", measure_name="M",
                      theme=theme, kind="count", polarity=Polarity.LOWER_IS_BETTER,
                      month="2025-03", rolling_12=3.0, history=history)


def test_public_json_blanks_flagged_fields_and_small_sensitive_counts() -> None:
    a = dataclasses.replace(_count_assessment("domestic_abuse", [3.0, 12.0, None]),
                            suppressed=True, suppressed_fields=("rolling_12",))
    doc = public_view(a).to_json()
    assert doc["rolling_12"] is None
    assert [p["value"] for p in doc["history"]] == [None, 12.0, None]
    assert a.rolling_12 == 3.0 and a.history[0].value == 3.0  # the Assessment is unchanged


def test_public_json_keeps_small_counts_of_public_police_measures() -> None:
    doc = public_view(_count_assessment("violence", [3.0, 12.0, None])).to_json()
    assert doc["rolling_12"] == 3.0
    assert [p["value"] for p in doc["history"]] == [3.0, 12.0, None]


def test_public_json_blanks_months_flagged_by_assess() -> None:
    a = _count_assessment("violence", [30.0, 12.0])
    flagged = dataclasses.replace(a, history=(dataclasses.replace(a.history[0], suppressed=True),
                                              a.history[1]), suppressed_fields=("history",))
    doc = public_view(flagged).to_json()
    assert doc["history"][0]["value"] is None and doc["history"][0]["rolling_12"] is None
    assert doc["history"][1]["value"] == 12.0


# ----------------------------------------------------------------------------- paths, inputs


def test_relative_paths_are_read_from_the_project_folder(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for marker in ("notebooks", "params"):
        (tmp_path / marker).mkdir()
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "notebooks")  # where JupyterLab runs a notebook
    assert pages.project_root() == tmp_path.resolve()
    assert pages.resolve_path("outputs/store.duckdb") == tmp_path.resolve() / "outputs" / \
        "store.duckdb"
    assert pages.resolve_path(tmp_path / "x") == tmp_path / "x"


def test_without_a_project_folder_paths_are_read_from_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert pages.project_root() == tmp_path.resolve()


def test_produced_on_defaults_to_today_and_must_be_a_date(demo: Demo, store: Store,
                                                          tmp_path: Path) -> None:
    page = whole(demo, "asb", tmp_path, produced_on="")
    today = datetime.date.today()
    assert f"Produced on {today.day} " in page.footer().html
    with pytest.raises(ValueError, match=r"`produced_on` must be a date YYYY-MM-DD.*'15/01/2026'"):
        whole(demo, "asb", tmp_path, produced_on="15/01/2026")


def test_unknown_theme_partnership_and_bad_month_are_reported(demo: Demo, store: Store,
                                                               tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"no theme 'summary'.*known: violence"):
        pages.open_bulletin("ashcombe", DEMO_MONTH, store=demo.store,
                            params_dir=demo.params).theme("summary")
    with pytest.raises(NotFoundError, match="no partnership 'nowhere'"):
        whole(demo, "asb", tmp_path, "nowhere")
    with pytest.raises(ValueError, match="month must be YYYY-MM, got '2025-13'"):
        pages.open_bulletin("ashcombe", "2025-13", store=demo.store, params_dir=demo.params)
    with pytest.raises(NotFoundError, match=r"no target 'nope' on the asb page \(targets: "):
        whole(demo, "asb", tmp_path).target("nope")


def test_a_missing_store_is_reported(demo: Demo, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"none\.duckdb: no store; run `cdrp ingest`"):
        pages.open_bulletin("ashcombe", DEMO_MONTH, store=tmp_path / "none.duckdb",
                            params_dir=demo.params)


def test_download_names_stay_unique(demo: Demo, tmp_path: Path) -> None:
    from cdrp_lib.tables import SourceRow, sources_table

    page = whole(demo, "asb", tmp_path)
    t = sources_table([SourceRow("Police", "2025-12", 2)])
    first = page._figures("one", "", lambda: [(t, ("sources",))])
    second = page._figures("two", "", lambda: [(t, ("sources",))])
    again = page._figures("one", "", lambda: [(t, ("sources",))])
    assert [d.name for d in (*first.downloads, *second.downloads)] == [
        "asb-sources.csv", "asb-sources-2.csv"]
    assert again is first  # a part shown twice registers its CSV once
    assert 'href="data/asb-sources-2.csv"' in second.html


def test_summary_shows_the_summary_themes_untargeted_measures_as_indicators(
        demo: Demo, store: Store, tmp_path: Path) -> None:
    page = whole(demo, "summary", tmp_path, "ashcombe-town-centre")
    assert any(a.measure == "all-crime" and a.target_id is None for a in page.assessments)
    assert "Monitoring indicators" in [t for _, t in parse(page.whole().html).headings]


def _funnels(html: str) -> set[str]:
    return set(re.findall(r'aria-label="Funnel chart of ([^:"]+):', html))


def test_funnels_are_drawn_for_targets_and_measures_outside_the_limits(
        demo: Demo, tmp_path: Path) -> None:
    """Each target's measure gets a funnel; an indicator in line with its group gets a row
    of the table and a sentence saying why it has no funnel, and one outside the limits
    gets its funnel back."""
    import dataclasses as dc

    from cdrp_lib.charts import Chart
    from cdrp_lib.pages.peers import FUNNELS_DRAWN, _items
    from cdrp_lib.stats.enums import PeerPosition

    page = whole(demo, "acquisitive_crime", tmp_path)
    compared = [a for a in page.assessments if a.peer_average is not None]
    targets = {a.measure_name for a in compared if a.target_id is not None}
    in_line = [a for a in compared if a.target_id is None
               and a.peer_position is PeerPosition.IN_LINE]
    assert targets and in_line, "the demo page compares targets and in-line indicators"
    html = page.peers().html
    assert _funnels(html) == targets
    assert FUNNELS_DRAWN in _text(html)
    outlier = dc.replace(in_line[0], peer_position=PeerPosition.ABOVE)
    drawn = _items(page, [outlier if a is in_line[0] else a for a in compared])
    titles = {item.title.split(":")[0] for item, _ in drawn if isinstance(item, Chart)}
    assert titles == targets | {outlier.measure_name}
