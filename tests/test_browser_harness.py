"""The browser harness works and can fail: axe-core in headless Chromium.

A deliberately bad page must yield serious or critical violations (and its
CDN script must show up as a fetch); pages from render_page and write_index
must yield none and fetch nothing.  Skips, saying what to install, when
chromium or npm is missing.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cdrp_lib.render import render_page
from cdrp_lib.site import BulletinEntry, write_index

browser_mod = pytest.importorskip("browser", reason="tests/browser.py must be importable")
pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
A4_POINTS = (595.28, 841.89)
BAD_PAGE = """<!DOCTYPE html>
<html><head><title>bad</title>
<script src="https://cdn.example.invalid/require.min.js"></script></head>
<body><img src="chart.png">
<p style="color:#c8c8c8;background:#ffffff">Low contrast text nobody can read.</p>
</body></html>
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[browser_mod.Browser]:
    browser_mod.require_browser()
    with browser_mod.Browser() as b:
        yield b


def _chart_png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot([1, 2, 3, 4], [40, 38, 35, 33], marker="o", color="#1d4f91")
    ax.set_title("Violence against the person, rolling 12 months")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _tiny_bulletin(path: Path) -> Path:
    table = (
        '<table><caption>Targets and RAG ratings</caption>'
        '<thead><tr><th scope="col">Measure</th><th scope="col">Rating</th></tr></thead>'
        '<tbody><tr><th scope="row">Violence</th><td class="rag-G">G Green</td></tr>'
        '<tr><th scope="row">Burglary</th><td class="rag-A">A Amber</td></tr>'
        '<tr><th scope="row">Robbery</th><td class="rag-R">R Red</td></tr>'
        '<tr><th scope="row">Perception</th><td class="rag-none">Not assessed</td></tr>'
        "</tbody></table>"
    )
    nb = new_notebook(cells=[
        new_markdown_cell("# Kettering: March 2025\n\nThe partnership's headline figures.\n\n"
                          "## Violence"),
        new_code_cell("show()", outputs=[
            new_output("display_data", data={"image/png": _chart_png()},
                       metadata={"image/png": {"alt": "Violence fell for three months "
                                               "and is below its trajectory"}}),
            new_output("display_data", data={"text/html": table}),
            new_output("stream", name="stderr", text="/home/x/warn.py:1: Warning\n"),
        ]),
    ])
    nbformat.write(nb, path)
    return path


def test_bad_page_has_serious_violations_and_a_cdn_fetch(
    browser: browser_mod.Browser, tmp_path: Path
) -> None:
    page = tmp_path / "bad.html"
    page.write_text(BAD_PAGE, encoding="utf-8")
    audit = browser.audit(page, screenshot=tmp_path / "bad.png")
    rules = {v["id"] for v in audit.serious()}
    assert {"image-alt", "color-contrast", "html-has-lang"} <= rules, audit.summary()
    assert audit.requests == ("https://cdn.example.invalid/require.min.js",)
    assert (tmp_path / "bad.png").read_bytes().startswith(PNG_SIGNATURE)


def test_rendered_bulletin_has_no_violations_and_fetches_nothing(
    browser: browser_mod.Browser, tmp_path: Path
) -> None:
    nb = _tiny_bulletin(tmp_path / "summary.ipynb")
    page = render_page(nb, tmp_path / "site" / "k" / "2025-03" / "index.html",
                       title="Kettering: March 2025",
                       nav=[("All bulletins", "../../index.html"), ("Summary", "index.html")]).path
    shot = tmp_path / "screenshots" / "summary.png"
    audit = browser.audit(page, screenshot=shot)
    assert audit.violations == (), audit.summary()
    assert audit.requests == ()
    assert audit.screenshot == shot
    png = shot.read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000


def test_rendered_bulletin_prints_on_a4(browser: browser_mod.Browser, tmp_path: Path) -> None:
    nb = _tiny_bulletin(tmp_path / "summary.ipynb")
    page = render_page(nb, tmp_path / "index.html", title="Kettering: March 2025").path
    pdf = browser.print_pdf(page, tmp_path / "summary.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert sizes, "no page size in the PDF"
    for width, height in sizes:  # A4 is 595.28 x 841.89 points
        assert abs(float(width) - A4_POINTS[0]) < 1 and abs(float(height) - A4_POINTS[1]) < 1


def test_site_index_has_no_violations(browser: browser_mod.Browser, tmp_path: Path) -> None:
    entries = [
        BulletinEntry("kettering", "Kettering", "2025-03", "ok",
                      {"G": 3, "A": 2, "R": 1, "none": 1}, synthetic=True),
        BulletinEntry("corby", "<script>alert(1)</script>", "2025-03", "failed",
                      error="KeyError: 'month'"),
    ]
    index = write_index(tmp_path / "site", entries)
    audit = browser.audit(index)
    assert audit.violations == (), audit.summary()
    assert audit.requests == ()


def test_missing_reason_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_mod.shutil, "which", lambda name: None)
    reason = browser_mod.missing_reason()
    assert reason is not None and "apt-get install chromium" in reason
    with pytest.raises(browser_mod.BrowserUnavailable, match="apt-get install chromium"):
        browser_mod.Browser()


def test_missing_npm_names_what_to_install(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(browser_mod.AXE_CACHE_ENV, str(tmp_path / "empty-cache"))
    monkeypatch.setattr(browser_mod.shutil, "which",
                        lambda name: "/usr/bin/chromium" if name == "chromium" else None)
    assert "apt-get install npm" in (browser_mod.missing_reason() or "")
    with pytest.raises(browser_mod.BrowserUnavailable, match="apt-get install npm"):
        browser_mod.axe_script()
