"""Previous and next month links, and the list by partnership (cdrp_lib.site.history).

The bulletin pages here are made as the real ones link: with
cdrp_lib.pages.links.month_nav, so a link that resolves here resolves on the site.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cdrp_lib.pages import links
from cdrp_lib.site import build_site_pages, check_site, write_index
from cdrp_lib.site.history import published_bulletins

browser = pytest.importorskip("browser", reason="tests/browser.py must be importable")

PAGES = ("index.html", "violence.html")
PARAMS = Path(__file__).resolve().parents[1] / "params"
_REFRESH = re.compile(r'http-equiv="refresh" content="0; url=([^"]+)"')


def _page(pid: str, name: str, month: str, page: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><title>t</title></head><body>"
            f"<main><h1>{page} {month}</h1>{links.month_nav(pid, name, month, page)}"
            "</main></body></html>\n")


def _publish(site: Path, pid: str, month: str, pages: tuple[str, ...] = PAGES,
             name: str = "Ashcombe") -> None:
    folder = site / pid / month
    folder.mkdir(parents=True, exist_ok=True)
    for page in pages:
        (folder / page).write_text(_page(pid, name, month, page), encoding="utf-8")
    (folder / "bulletin.json").write_text(json.dumps({
        "partnership": pid, "partnership_name": name, "month": month,
        "cdrp_lib_version": "9.9.9", "produced_on": "2026-01-15", "synthetic": True}),
        encoding="utf-8")


def _records(site: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(site.glob("*/*/bulletin.json"))]


def _build(site: Path) -> int:
    """The site-level pages as a batch builds them (its index lists no bulletins here)."""
    written = build_site_pages(site, _records(site), PARAMS).history_written
    write_index(site, [])
    return written


def _goes_to(site: Path, pid: str, month: str, direction: str, page: str) -> str | None:
    """Where the history page sends a reader, relative to the site (None: nowhere)."""
    text = (site / links.history_file(pid, month, direction, page)).read_text(encoding="utf-8")
    found = _REFRESH.search(text)
    if found is None:
        return None
    target = (site / links.history_file(pid, month, direction, page)).parent / found.group(1)
    return target.resolve().relative_to(site.resolve()).as_posix()


def test_links_go_to_the_same_page_of_the_nearest_published_month(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for month in ("2025-10", "2025-12"):
        _publish(site, "ashcombe", month)
    _publish(site, "ashcombe", "2025-11", pages=("index.html",))  # no violence page that month
    _publish(site, "corby", "2025-11", name="Corby")
    _build(site)
    assert _goes_to(site, "ashcombe", "2025-12", "previous", "violence.html") == \
        "ashcombe/2025-10/violence.html"
    assert _goes_to(site, "ashcombe", "2025-12", "previous", "index.html") == \
        "ashcombe/2025-11/index.html"
    assert _goes_to(site, "ashcombe", "2025-10", "next", "index.html") == \
        "ashcombe/2025-11/index.html"
    assert _goes_to(site, "ashcombe", "2025-10", "previous", "index.html") is None
    assert _goes_to(site, "ashcombe", "2025-12", "next", "violence.html") is None
    assert _goes_to(site, "corby", "2025-11", "next", "index.html") is None  # not Ashcombe's
    none = (site / links.history_file("ashcombe", "2025-10", "previous", "index.html")
            ).read_text(encoding="utf-8")
    assert "October 2025 is the first month published with this page" in none
    assert check_site(site) == []


def test_a_later_or_back_filled_month_updates_links_not_pages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _publish(site, "ashcombe", "2025-11")
    _publish(site, "ashcombe", "2025-12")
    _build(site)
    page = site / "ashcombe" / "2025-12" / "violence.html"
    before = page.read_bytes()
    assert _goes_to(site, "ashcombe", "2025-12", "next", "violence.html") is None
    assert _build(site) == 0  # a re-run writes nothing: the same bytes are already there
    _publish(site, "ashcombe", "2026-01")
    _publish(site, "ashcombe", "2025-09")  # published afterwards, out of order
    _build(site)
    assert page.read_bytes() == before
    assert _goes_to(site, "ashcombe", "2025-12", "next", "violence.html") == \
        "ashcombe/2026-01/violence.html"
    assert _goes_to(site, "ashcombe", "2025-11", "previous", "violence.html") == \
        "ashcombe/2025-09/violence.html"
    # a bulletin withdrawn: its links go, its neighbours skip it
    for f in sorted((site / "ashcombe" / "2025-12").iterdir()):
        f.unlink()
    (site / "ashcombe" / "2025-12").rmdir()
    _build(site)
    assert not (site / links.HISTORY_DIR / "ashcombe" / "2025-12").exists()
    assert _goes_to(site, "ashcombe", "2025-11", "next", "index.html") == \
        "ashcombe/2026-01/index.html"
    assert check_site(site) == []


def test_partnerships_page_lists_every_month_by_partnership(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _publish(site, "ashcombe", "2025-11")
    _publish(site, "ashcombe", "2025-12")
    _publish(site, "corby", "2025-12", name="<b>Corby</b> & Co")
    _build(site)
    text = (site / links.PARTNERSHIPS_FILE).read_text(encoding="utf-8")
    assert f'id="{links.partnership_anchor("ashcombe")}"' in text
    ashcombe = text[text.index('id="p-ashcombe"'):text.index('id="p-corby"')] \
        if text.index('id="p-ashcombe"') < text.index('id="p-corby"') \
        else text[text.index('id="p-ashcombe"'):]
    assert ashcombe.index("December 2025") < ashcombe.index("November 2025")  # latest first
    assert 'href="ashcombe/2025-11/violence.html"' in ashcombe
    assert "9.9.9" in ashcombe  # the version that made it
    assert "&lt;b&gt;Corby&lt;/b&gt; &amp; Co" in text and "<b>Corby" not in text
    assert check_site(site) == []


def test_records_with_unsafe_names_or_no_pages_are_left_out(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _publish(site, "ashcombe", "2025-12")
    records = [*_records(site), {"partnership": "../x", "month": "2025-12"},
               {"partnership": "ashcombe", "month": "2025-13"},
               {"partnership": "corby", "month": "2025-12"}]  # no folder
    assert [(b.partnership, b.month) for b in published_bulletins(site, records)] == [
        ("ashcombe", "2025-12")]


def test_previous_link_takes_a_browser_to_last_months_page(tmp_path: Path) -> None:
    browser.require_browser()
    site = tmp_path / "site"
    _publish(site, "ashcombe", "2025-11")
    _publish(site, "ashcombe", "2025-12")
    _build(site)
    start = site / "ashcombe" / "2025-12" / "violence.html"
    href = links.history_href("ashcombe", "2025-12", links.PREVIOUS, "violence.html")
    assert f'href="{href}"' in start.read_text(encoding="utf-8")
    with browser.Browser() as b:
        where, fetched = b.run((start.parent / href).resolve().as_uri(), "location.pathname",
                               settle="location.pathname.endsWith('2025-11/violence.html')")
    assert where.endswith("/ashcombe/2025-11/violence.html")
    assert fetched == ()
