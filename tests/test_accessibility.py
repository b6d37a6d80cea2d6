"""axe-core in headless Chromium over the demo site: no serious or critical violation.

Uses the session's batch run (tests/conftest.py ``demo_site``) and F's harness
(tests/browser.py).  Skips, saying what to install, when chromium or npm is
missing.  A screenshot of a summary page is kept as an artefact under
outputs/artefacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO_MONTH, PROJECT, DemoSite

browser = pytest.importorskip("browser", reason="tests/browser.py must be importable")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PARTNERSHIP = "ashcombe"
PAGES = ("index", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")
ARTEFACTS = PROJECT / "outputs" / "artefacts"
SCREENSHOT = ARTEFACTS / "summary-page.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _pages(site: Path) -> list[Path]:
    bulletin = site / PARTNERSHIP / DEMO_MONTH
    return [site / "index.html", *(bulletin / f"{name}.html" for name in PAGES)]


def test_demo_site_has_no_serious_or_critical_violation(demo_site: DemoSite) -> None:
    browser.require_browser()
    assert demo_site.returncode == 0, demo_site.stdout[-4000:] + demo_site.stderr[-4000:]
    found: dict[str, str] = {}
    fetched: dict[str, tuple[str, ...]] = {}
    with browser.Browser() as b:
        for page in _pages(demo_site.site):
            shot = SCREENSHOT if page.name == "index.html" and page.parent.name == DEMO_MONTH \
                else None
            audit = b.audit(page, screenshot=shot)
            name = page.relative_to(demo_site.site).as_posix()
            if audit.serious():
                found[name] = audit.summary()
            if audit.requests:
                fetched[name] = audit.requests
    assert not found, "\n".join(f"{name}:\n{summary}" for name, summary in found.items())
    assert not fetched, f"pages fetched something: {fetched}"
    assert SCREENSHOT.read_bytes()[:8] == PNG_SIGNATURE
