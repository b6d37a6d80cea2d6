"""The reading guide and methods published with the site (cdrp_lib.site.guide)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from cdrp_lib.pages import links
from cdrp_lib.params import load_bulletin, load_measures
from cdrp_lib.site import check_site
from cdrp_lib.site.guide import write_guide
from cdrp_lib.site.history import Published

browser = pytest.importorskip("browser", reason="tests/browser.py must be importable")

PARAMS = Path(__file__).resolve().parents[1] / "params"
BULLETINS = (Published("ashcombe", "Ashcombe", "2025-11", ("index.html",), "1.2.0", "", False),
             Published("ashcombe", "Ashcombe", "2025-12", ("index.html",), "1.3.0", "", False))


def _guide(tmp_path: Path, params: Path = PARAMS) -> str:
    site = tmp_path / "site"
    return write_guide(site, params, BULLETINS).read_text(encoding="utf-8")


def _ids(text: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', text))


def test_every_section_a_page_links_to_is_in_the_guide(tmp_path: Path) -> None:
    ids = _ids(_guide(tmp_path))
    linked = {*links.GUIDE_FOR_FIGURE.values(), links.GUIDE_RATINGS, links.GUIDE_METHODS,
              links.GUIDE_SOURCES, links.GUIDE_MOVEMENTS}
    assert linked <= ids
    # the methods in plain English: each rule behind a label has its section
    assert {"method-trajectory", "method-expected", "method-control", "method-trend",
            "method-peers", "method-suppression", "definitions", "versions"} <= ids


def test_the_numbers_in_the_methods_come_from_the_sites_settings(tmp_path: Path) -> None:
    default = _guide(tmp_path / "a")
    assert "tolerance band is 10% of the required change" in default
    assert "previous 12 months" in default and "more than 2 standard errors" in default
    assert "shown as \u201c&lt;5\u201d" in default
    params = tmp_path / "params"
    shutil.copytree(PARAMS, params)
    path = params / "bulletin.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["settings"].update({"tolerance": 0.2, "z_threshold": 3.0, "suppression_threshold": 10})
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    changed = _guide(tmp_path / "b", params)
    assert "tolerance band is 20% of the required change" in changed
    assert "more than 3 standard errors" in changed
    assert "shown as \u201c&lt;10\u201d" in changed and "from 1 to 9" in changed


def test_sources_definitions_and_versions_are_listed(tmp_path: Path) -> None:
    text = _guide(tmp_path)
    import html

    for source in load_bulletin(PARAMS).sources.values():
        row = text[text.index(html.escape(source.name)):]
        lag = f"{source.lag_months} month{'s' if source.lag_months != 1 else ''}"
        assert row.index(lag) < row.index("</tr>")
    for measure in load_measures(PARAMS).values():
        assert html.escape(measure.name) in text
    versions = text[text.index('id="versions"'):]
    assert "1.2.0" in versions and "1.3.0" in versions


def test_the_guide_is_a_clean_accessible_page(tmp_path: Path) -> None:
    text = _guide(tmp_path)
    site = tmp_path / "site"
    for name in (links.PARTNERSHIPS_FILE, links.SEARCH_FILE, "index.html"):
        (site / name).write_text("<!DOCTYPE html><html lang=\"en\"><title>x</title><h1>x</h1>",
                                 encoding="utf-8")
    assert check_site(site) == []
    # the annotated examples: each SVG has a title and description, each number a key
    assert text.count('<svg class="guide-example" role="img"') == 2
    assert text.count("<desc id=") == 2
    browser.require_browser()
    audit = browser.audit_page(site / links.GUIDE_FILE)
    assert audit.serious() == [], audit.summary()
    assert audit.requests == ()
