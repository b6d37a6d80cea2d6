"""Search across the site's bulletins (cdrp_lib.site.search, Pagefind), on small sites
made here and, in chromium against `cdrp serve`, on the session's demo site."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, DemoSite

from cdrp_lib.pages import links
from cdrp_lib.site import build_site_pages, check_site, make_server, publish_site, write_index
from cdrp_lib.site.search import (
    INDEX_DIR,
    MONTHS_DIR,
    SCRIPT,
    SEARCH_SCRIPT,
    search_page,
    write_search,
)

browser = pytest.importorskip("browser", reason="tests/browser.py must be importable")

PARAMS = Path(__file__).resolve().parents[1] / "params"
RESULT_LINKS = "document.querySelectorAll('.pagefind-ui__result-link')"
HAS_RESULTS = f"{RESULT_LINKS}.length > 0"
SEARCH_DONE = ("document.querySelector('.pagefind-ui__message') && "
               "/result/.test(document.querySelector('.pagefind-ui__message').textContent)")
HREFS = f"Array.from({RESULT_LINKS}).map(a => a.getAttribute('href'))"


def _bulletin_page(title: str, body: str, ignored: str = "") -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head><body><main id=\"main\" data-pagefind-body>"
            f"<p data-pagefind-ignore>{ignored}</p><h1>{title}</h1><p>{body}</p>"
            f"{links.search_form()}</main></body></html>\n")


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    for pid, month, body in (("ashcombe", "2025-11", "Shoplifting rose. Operation Quokka began."),
                             ("ashcombe", "2025-12", "Shoplifting fell after Operation Quokka."),
                             ("corby", "2025-12", "Vehicle crime was in line.")):
        page = site / pid / month / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(_bulletin_page(f"Summary: {pid}, {month}", body, "OFFICIAL zanzibar"),
                        encoding="utf-8")
    build_site_pages(site, [], PARAMS)  # search, with the guide and lists its pages link to
    write_index(site, [])
    return site


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def served(site: Path) -> Iterator[str]:
    """``cdrp serve``'s server on a free port, in a thread: its base URL."""
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_index_is_built_with_the_site_and_is_byte_identical_on_a_rerun(
        tmp_path: Path) -> None:
    site = _site(tmp_path)
    index = site / INDEX_DIR
    assert (index / "pagefind.js").is_file() and (index / "pagefind-ui.js").is_file()
    first = _digests(index)
    assert write_search(site).indexed == ()  # no page changed: no month indexed again
    assert _digests(index) == first
    assert not [p for p in site.iterdir() if p.name.startswith(".")]  # no working folder left
    assert check_site(site) == []


def test_each_month_is_a_bundle_made_again_only_when_its_pages_change(
        tmp_path: Path) -> None:
    site = _site(tmp_path)
    index = site / INDEX_DIR
    assert sorted(p.name for p in (index / MONTHS_DIR).iterdir()) == ["2025-11", "2025-12"]
    november = _digests(index / MONTHS_DIR / "2025-11")
    page = site / "corby" / "2025-12" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("in line", "in line, wombat"),
                    encoding="utf-8")
    again = write_search(site)
    assert again.months == ("2025-11", "2025-12") and again.indexed == ("2025-12",)
    assert _digests(index / MONTHS_DIR / "2025-11") == november
    # the search page merges every month's bundle
    script = (site / SEARCH_SCRIPT).read_text(encoding="utf-8")
    assert 'var months = ["2025-11", "2025-12"];' in script
    # a month whose pages are all gone loses its bundle
    shutil.rmtree(site / "ashcombe" / "2025-11")
    assert write_search(site).months == ("2025-12",)
    assert not (index / MONTHS_DIR / "2025-11").exists()
    assert check_site(site) == []


def test_only_the_search_page_may_load_scripts_and_only_the_sites_own(tmp_path: Path) -> None:
    site = _site(tmp_path)
    page = site / "ashcombe" / "2025-12" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</main>", f'</main><script src="../../{INDEX_DIR}/pagefind-ui.js"></script>'),
        encoding="utf-8")
    search = site / links.SEARCH_FILE
    search.write_text(search.read_text(encoding="utf-8").replace(
        "</body>", "<script>alert(1)</script></body>"), encoding="utf-8")
    problems = check_site(site)
    assert len(problems) == 2 and all("script in page" in p for p in problems)
    assert any(p.startswith("ashcombe/2025-12/index.html") for p in problems)
    assert any(p.startswith(links.SEARCH_FILE) for p in problems)


def test_without_scripts_the_search_page_says_where_the_lists_are() -> None:
    page = search_page()
    notice = page[page.index('id="search-needs-script"') - 3:]
    assert notice.startswith("<p ") and "hidden" not in notice[:notice.index(">")]
    assert 'href="index.html"' in notice and f'href="{links.PARTNERSHIPS_FILE}"' in notice
    assert "notice.hidden = true" in SCRIPT
    assert f'<script src="{SEARCH_SCRIPT}">' in page


def test_cdrp_publish_carries_the_search(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (tmp_path / "share").mkdir()
    dest = publish_site(site, tmp_path / "share" / "bulletins")
    assert _digests(dest / INDEX_DIR) == _digests(site / INDEX_DIR)
    assert (dest / links.SEARCH_FILE).is_file() and (dest / SEARCH_SCRIPT).is_file()
    assert check_site(dest) == []


def test_search_in_chromium_finds_pages_by_body_words_not_ignored_ones(tmp_path: Path) -> None:
    browser.require_browser()
    site = _site(tmp_path)
    with served(site) as base, browser.Browser() as b:
        found, fetched = b.run(f"{base}{links.SEARCH_FILE}?q=quokka", HREFS, settle=HAS_RESULTS)
        assert sorted({h.split("#")[0] for h in found}) == [
            "/ashcombe/2025-11/index.html", "/ashcombe/2025-12/index.html"]
        assert fetched == ()  # nothing from outside the server
        nothing, _ = b.run(f"{base}{links.SEARCH_FILE}?q=zanzibar", HREFS, settle=SEARCH_DONE)
        assert nothing == []  # the marked furniture is not indexed
        # a page's own search box is a plain form that opens the search page
        action, _ = b.run(f"{base}ashcombe/2025-12/index.html",
                          "new URL(document.querySelector('form.site-search').action).pathname")
        assert action == f"/{links.SEARCH_FILE}"


# ----------------------------------------------------------------------------- the demo site


ASHCOMBE = "Ashcombe Community Safety Partnership"


def _every_result(words: str, partnership: str = "") -> str:
    """Every page the index finds for ``words`` (Pagefind's own API, not the first few the
    interface shows), optionally only one partnership's (the page's filter)."""
    filters = f"{{filters: {{partnership: {partnership!r}}}}}" if partnership else "{}"
    merge = "".join(f" await pf.mergeIndex('/{INDEX_DIR}/{MONTHS_DIR}/{m}/');"
                    for m in (DEMO_MONTH,))  # the demo's one month of bulletins
    return (f"import('./{INDEX_DIR}/pagefind.js').then(async pf => {{"
            " if (!window.merged) { window.merged = true;" + merge + " }"
            f" const r = await pf.search({words!r}, {filters});"
            " const d = await Promise.all(r.results.map(x => x.data()));"
            " return d.map(x => x.url.split('#')[0]).sort(); })")


def _demo(demo_site: DemoSite) -> Path:
    assert demo_site.returncode == 0, demo_site.stdout[-4000:] + demo_site.stderr[-4000:]
    return demo_site.site


def test_every_chart_and_table_of_the_demo_links_to_its_reading_guide(
        demo_site: DemoSite) -> None:
    site = _demo(demo_site)
    guide = (site / links.GUIDE_FILE).read_text(encoding="utf-8")
    folder = site / "ashcombe" / DEMO_MONTH
    pages = sorted(folder.glob("*.html"))
    # every page of Ashcombe's own list (the default six and its partner agencies' page)
    themes = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))["themes"]
    assert len(pages) == len(themes) == 7
    for page in pages:
        text = page.read_text(encoding="utf-8")
        blocks = text.split('<p class="downloads">')[1:]  # every chart and table has its CSV
        assert blocks, page.name
        for block in blocks:
            follows = block[:block.find("</div>")]
            section = follows.split('href="../../guide.html#', 1)[1].split('"', 1)[0]
            assert f'id="{section}"' in guide, (page.name, section)
        assert text.count('class="rating"') <= text.count("../../guide.html#ratings")


def test_the_demo_front_page_shows_rating_movements(demo_site: DemoSite) -> None:
    text = (_demo(demo_site) / "ashcombe" / DEMO_MONTH / "index.html").read_text(
        encoding="utf-8")
    section = text[text.index('id="what-changed"'):]
    assert "Rating in November 2025" in section[:section.index("</table>")]


def test_search_in_chromium_against_cdrp_serve_finds_measures_and_commentary(
        demo_site: DemoSite) -> None:
    browser.require_browser()
    site = _demo(demo_site)
    with served(site) as base, browser.Browser() as b:
        # the search page's interface shows results ...
        shown, fetched = b.run(f"{base}{links.SEARCH_FILE}?q=shoplifting", HREFS,
                               settle=HAS_RESULTS)
        assert shown and all("/2025-12/" in h for h in shown)
        assert fetched == ()
        # ... from an index in which a measure finds every page that reports it
        found, _ = b.run(f"{base}{links.SEARCH_FILE}", _every_result("shoplifting"),
                         settle="typeof PagefindUI !== 'undefined'")
        assert "/ashcombe/2025-12/acquisitive_crime.html" in found
        assert len({h.split("/")[1] for h in found}) > 1  # every partnership reporting it
        ashcombe, _ = b.run(f"{base}{links.SEARCH_FILE}",
                            _every_result("shoplifting", ASHCOMBE), settle="true")
        assert "/ashcombe/2025-12/acquisitive_crime.html" in ashcombe
        assert {h.split("/")[1] for h in ashcombe} == {"ashcombe"}
        # a word only the analyst's commentary uses (the demo's, on Ashcombe's violence page)
        said, _ = b.run(f"{base}{links.SEARCH_FILE}", _every_result("lantern"), settle="true")
        assert said == ["/ashcombe/2025-12/violence.html"]
        audit = b.audit(f"{base}{links.SEARCH_FILE}?q=burglary", settle=HAS_RESULTS)
        assert audit.serious() == [], audit.summary()
        assert audit.requests == ()
        # previous and next month: the demo has one month, so both say there is none
        there, _ = b.run(f"{base}ashcombe/{DEMO_MONTH}/violence.html",
                         "Array.from(document.querySelectorAll('nav.month-nav a'))"
                         ".map(a => a.href)")
    assert len(there) == 4
    assert check_site(site) == []
