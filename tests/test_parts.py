"""The public API a notebook uses: a bulletin opened once, its pages and their parts.

A part must look the same in JupyterLab as on the published page (the bulletin's
styles, scoped to the part; links that resolve from the notebooks folder) and
publish exactly as the batch makes it; it gives its figures as a DataFrame.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, Demo

import cdrp_lib as cdrp
from cdrp_lib.pages import Part, publishable_html
from cdrp_lib.pages.part import BATCH_ENV, scoped_css

PRODUCED_ON = "2026-01-15"


@pytest.fixture(scope="module")
def bulletin(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> cdrp.Bulletin:
    return cdrp.open_bulletin("ashcombe", DEMO_MONTH, store=demo.store, params_dir=demo.params,
                              output_dir=tmp_path_factory.mktemp("scratch"),
                              produced_on=PRODUCED_ON)


def test_the_public_api_is_small_and_documented() -> None:
    assert sorted(cdrp.__all__) == ["Bulletin", "Part", "SummaryPage", "TargetSection",
                                    "ThemePage", "__version__", "open_bulletin", "show_chart"]
    for name in cdrp.__all__:
        assert getattr(cdrp, name) is not None
        assert name == "__version__" or getattr(cdrp, name).__doc__, name
    with pytest.raises(AttributeError, match="no attribute 'assess_partnership'"):
        cdrp.assess_partnership  # noqa: B018 - the library's machinery is not the API


def test_a_bulletin_is_assessed_once_and_shared_by_its_pages(bulletin: cdrp.Bulletin) -> None:
    violence = bulletin.theme("violence")
    assert bulletin.theme("violence") is violence  # made once
    front = bulletin.summary()
    by_id = {id(a) for a in bulletin.assessments}
    assert {id(a) for a in violence.assessments} <= by_id
    assert {id(a) for a in front.assessments} <= by_id
    assert bulletin.themes == ("violence", "acquisitive_crime", "asb", "domestic_abuse",
                               "perception", "partners")  # Ashcombe's own list adds a page
    assert [t.id for t in violence.targets()] == [
        a.target_id for a in violence.assessments if a.target_id]


def test_parts_are_made_once_and_register_their_csv(bulletin: cdrp.Bulletin) -> None:
    target = bulletin.theme("violence").targets()[0]
    chart = target.performance_chart()
    assert target.performance_chart() is chart
    assert [d.name for d in chart.downloads] == ["violence-violent-crime-performance-chart.csv"]
    assert f'href="{chart.downloads[0].href}"' in chart.html


def test_a_part_gives_its_public_figures_as_a_frame(bulletin: cdrp.Bulletin) -> None:
    page = bulletin.theme("violence")
    target = page.target("violent-crime")
    table = target.performance_table().frame()
    assert list(table.columns)[:2] == ["Measure", "Assessment"]
    assert "Comparative performance over the past 12 months ending in current month" in set(
        table["Measure"])
    narrative = target.narrative().frame()
    assert list(narrative["text"]) == [s for s in target.assessment.narrative
                                       if s in target.narrative().html.replace("&#x27;", "'")]
    frame = page.frame()
    assert len(frame) == len(page.assessments)
    assert set(frame["measure"]) == {a.measure for a in page.assessments}


def test_in_jupyterlab_a_part_carries_the_bulletins_styles_scoped_to_itself(
        bulletin: cdrp.Bulletin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BATCH_ENV, raising=False)
    lab = bulletin.theme("violence").header()._repr_html_()
    assert lab is not None
    assert lab.startswith('<div class="cdrp-page">\n<style data-cdrp-lab>')
    css = scoped_css()
    for rule in re.findall(r"([^{}]+)\{", css):
        for selector in rule.split(","):
            assert selector.strip().startswith(".cdrp-page"), selector  # never restyles Lab
    assert ".cdrp-page.cdrp-page .rag-G" in css and ".cdrp-page.cdrp-page .visually-hidden" in css
    assert "@media print" not in css


def test_in_jupyterlab_links_point_where_the_files_are_and_publish_as_on_the_site(
        bulletin: cdrp.Bulletin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(BATCH_ENV, raising=False)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    page = bulletin.theme("violence")
    header, glance = page.header(), page.at_a_glance()
    lab = (header._repr_html_() or "") + (glance._repr_html_() or "")
    csv = glance.downloads[0]
    page.write()
    hrefs = dict(re.findall(r'href="([^"]*)" data-cdrp-href="([^"]*)"', lab))
    where = {published: lab_href for lab_href, published in hrefs.items()}
    assert (notebooks / where[csv.href]).resolve() == (page.output_dir / csv.href).resolve()
    assert (notebooks / where[csv.href]).is_file()
    assert where["index.html"] == "summary.ipynb"
    # the site's own pages (guide, history, list by partnership) in the site `make demo` builds
    site = page.output_dir.parent / "site"
    guide = where["../../guide.html"]
    assert (notebooks / guide).resolve() == (site / "guide.html").resolve()
    assert (notebooks / where["../../index.html"]).resolve() == (site / "index.html").resolve()
    # published, the Lab output is exactly what the batch writes
    monkeypatch.setenv(BATCH_ENV, "1")
    batch = (header._repr_html_() or "") + (glance._repr_html_() or "")
    assert publishable_html(lab) == batch
    assert "data-cdrp" not in batch and "<style" not in batch


def test_an_empty_part_shows_nothing(bulletin: cdrp.Bulletin) -> None:
    empty = bulletin.theme("violence").target("violent-crime-town-centre").commentary()
    assert empty._repr_html_() is None and repr(empty) == "" and not empty
    assert Part("x", "<p>y</p>")._repr_html_() is not None


def test_write_writes_the_csvs_of_the_parts_made_and_the_figures_json(
        demo: Demo, tmp_path: Path) -> None:
    b = cdrp.open_bulletin("ashcombe", DEMO_MONTH, store=demo.store, params_dir=demo.params,
                           output_dir=tmp_path, produced_on=PRODUCED_ON)
    page = b.theme("asb")
    glance = page.at_a_glance()
    page.write()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        d.name for d in glance.downloads]
    assert (tmp_path / "asb.figures.json").read_text(encoding="utf-8") == page.figures_json()
    assert page.written() == (tmp_path / "data" / glance.downloads[0].name,
                              tmp_path / "asb.figures.json")


def test_commentary_appears_under_its_heading_for_its_partnership_and_month_only(
        demo: Demo, tmp_path: Path) -> None:
    def violence(partnership: str, month: str) -> cdrp.ThemePage:
        return cdrp.open_bulletin(partnership, month, store=demo.store, params_dir=demo.params,
                                  output_dir=tmp_path / partnership / month,
                                  produced_on=PRODUCED_ON).theme("violence")

    page = violence("ashcombe", DEMO_MONTH)
    html = page.whole().html
    theme_box = html.index('aria-label="Commentary on Violence"')
    assert html.index("<h1 ") < theme_box < html.index("targets at a glance")
    assert "Operation Lantern" in html[theme_box:html.index("targets at a glance")]
    target = page.target("violent-crime")
    section = target._repr_html_() or ""
    box = section.index('<aside class="commentary"')
    assert section.index("<h2 ") < box < section.index('class="rating"')
    assert "change in how common assault is recorded" in section[box:]
    page.write()
    figures = json.loads((page.output_dir / "violence.figures.json").read_text("utf-8"))
    crime = next(d for d in figures if d["target_id"] == "violent-crime")
    assert "Operation Lantern" in crime["commentary"]["theme"]
    assert "common assault" in crime["commentary"]["target"]
    for other in (violence("brackenford", DEMO_MONTH), violence("ashcombe", "2025-11")):
        other_html = other.whole().html
        assert 'class="commentary"' not in other_html
        assert "Operation Lantern" not in other_html
        other.write()
        assert "commentary" not in (other.output_dir / "violence.figures.json").read_text("utf-8")


@pytest.mark.parametrize(("until", "shown"), [
    ("2026-03", "(rating set by the partnership: Records re-issued (set by the DA Forum chair))"),
    ("2025-11", "applied until November 2025 and has expired"),
])
def test_a_rating_override_says_who_set_it_and_when_it_has_expired(
        demo: Demo, tmp_path: Path, until: str, shown: str) -> None:
    params = tmp_path / "params"
    shutil.copytree(demo.params, params)
    path = params / "partnerships" / "dunmore.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    rag_override:")
    end = text.index("  - id: survey-deal-with-issues")
    path.write_text(text[:start] + (
        "    rag_override:\n      rating: A\n      reason: Records re-issued\n"
        f"      until: '{until}'\n      by: the DA Forum chair\n") + text[end:], encoding="utf-8")
    page = cdrp.open_bulletin("dunmore", DEMO_MONTH, store=demo.store, params_dir=params,
                              output_dir=tmp_path / "out", produced_on=PRODUCED_ON)
    rating = page.theme("domestic_abuse").target("da-repeat-rate").rating().html
    assert shown in rating.replace("&#x27;", "'")
    caveats = page.summary().caveats().html
    assert ("has expired" in caveats) == (until == "2025-11")
