"""End to end: ``cdrp run --all`` with real Papermill on the demo county, then the site.

The batch runs once per session (tests/conftest.py ``demo_site``) on a copy of
params/ in which one demo partnership is named ``<script>alert(1)</script> &
Greyhaven``, so every page proves it escapes what params say.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import DEMO_MONTH, HOSTILE_NAME, HOSTILE_PARTNERSHIP, PROJECT, DemoSite
from test_pages import parse, row, table

from cdrp_lib.assess import assess_partnership
from cdrp_lib.public import public_view
from cdrp_lib.site import check_site
from cdrp_lib.stats.rounding import fmt_signed_pct
from cdrp_lib.stats.units import fmt_level
from cdrp_lib.store import Store

pytestmark = pytest.mark.slow

PAGES = ("index", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")
FLOAT_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def site(demo_site: DemoSite) -> DemoSite:
    assert demo_site.returncode == 0, demo_site.stdout[-4000:] + demo_site.stderr[-4000:]
    return demo_site


@pytest.fixture(scope="module")
def partnerships(site: DemoSite) -> list[tuple[str, str]]:
    with Store(site.demo.store) as st:
        return st.partnerships()


def _bulletin(site: DemoSite, pid: str) -> Path:
    return site.site / pid / DEMO_MONTH


def _close(a: Any, b: Any, where: str = "") -> None:
    """Equal JSON, floats within a relative tolerance."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), where
        assert math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_the_batch_makes_every_bulletin(site: DemoSite,
                                        partnerships: list[tuple[str, str]]) -> None:
    n = len(partnerships)
    assert f"{n} bulletins: {n} made, 0 unchanged, 0 failed" in site.stdout


def test_the_run_says_which_rating_overrides_have_expired(site: DemoSite) -> None:
    # params/partnerships/dunmore.yaml: its repeat-rate override ran until November 2025
    assert ("dunmore 2025-12: dunmore, target da-repeat-rate, December 2025 bulletin: the "
            "partnership's rating (Amber, set by Dunmore Domestic Abuse Forum chair) applied "
            "until November 2025 and has expired") in site.stdout
    front = (_bulletin(site, "dunmore") / "index.html").read_text(encoding="utf-8")
    assert "applied until November 2025 and has expired" in front


def test_every_page_exists_for_every_partnership(site: DemoSite,
                                                 partnerships: list[tuple[str, str]]) -> None:
    assert (site.site / "index.html").is_file()
    for pid, _ in partnerships:
        folder = _bulletin(site, pid)
        for name in PAGES:
            assert (folder / f"{name}.html").is_file(), f"{pid}/{name}.html"
        assert (folder / "figures.json").is_file()
        assert any((folder / "data").glob("*.csv")), f"{pid}: no CSV downloads"
        for theme in ("summary", *PAGES[1:]):
            assert (site.outputs / "runs" / pid / DEMO_MONTH / f"{theme}.ipynb").is_file()


def test_the_site_check_finds_nothing(site: DemoSite) -> None:
    assert check_site(site.site) == []


def test_no_src_or_href_points_outside_the_site(site: DemoSite) -> None:
    root = site.site.resolve()
    for page in site.site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for src in re.findall(r'\ssrc="([^"]*)"', text):
            if page.name == "search.html" and page.parent == site.site:  # the search scripts
                assert not urlsplit(src).scheme and not src.startswith("/"), src
                assert (site.site / src).resolve().is_relative_to(root), src
                continue
            assert src.startswith("data:"), f"{page}: src {src[:60]}"
        for href in re.findall(r'\shref="([^"]*)"', text):
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc and not href.startswith("/"), href
            if parts.path:
                target = (page.parent / parts.path).resolve()
                assert root in target.parents and target.is_file(), f"{page}: {href}"


def test_figures_json_equals_the_library(site: DemoSite,
                                         partnerships: list[tuple[str, str]]) -> None:
    with Store(site.demo.store) as st:
        for pid, _ in partnerships:
            written = json.loads((_bulletin(site, pid) / "figures.json").read_text("utf-8"))
            keys = [(d["target_id"], d["measure"]) for d in written]
            assert len(keys) == len(set(keys)), f"{pid}: an Assessment is listed twice"
            expected = {(a.target_id, a.measure): public_view(a).to_json()
                        for a in assess_partnership(st, site.demo.params, pid, DEMO_MONTH)}
            assert set(keys) == set(expected), pid
            for doc in written:
                # the month's commentary (params/commentary) is recorded beside the figures
                notes = doc.pop("commentary", None)
                assert (notes is not None) == (pid == "ashcombe" and doc["theme"] == "violence")
                # a target records last month's rating beside it (tests/test_movements.py)
                for key in ("rating_last_month", "rating_movement"):
                    assert (key in doc) == (doc["target_id"] is not None)
                    doc.pop(key, None)
                _close(doc, expected[(doc["target_id"], doc["measure"])],
                       f"{pid}:{doc['target_id'] or doc['measure']}")


def test_figures_in_the_html_equal_the_library(site: DemoSite) -> None:
    pid = "ashcombe"
    with Store(site.demo.store) as st:
        found = assess_partnership(st, site.demo.params, pid, DEMO_MONTH)
    front = parse((_bulletin(site, pid) / "index.html").read_text(encoding="utf-8"))
    targets = table(front, "All targets")
    checked = 0
    for a in found:
        if a.target_id is None or a.rolling_12 is None or a.baseline_value is None:
            continue
        cells = row(targets, f"{a.measure_name} {a.target_title}")
        unit = a.unit

        def shown(x: float, unit: str = unit) -> str:
            """As the table prints a level in its unit (a rate with one decimal)."""
            return fmt_level(unit, x).split()[0]

        assert cells[2].split()[0] == shown(a.baseline_value), a.target_id
        assert cells[3].split()[0] == shown(a.rolling_12), a.target_id
        assert cells[5].startswith(a.rag.label if a.rag else "–"), a.target_id
        checked += 1
    assert checked >= 5
    violence = parse((_bulletin(site, pid) / "violence.html").read_text(encoding="utf-8"))
    a = next(x for x in found if x.target_id == "violent-crime")
    perf = table(violence, f"{a.measure_name}: performance summary")
    assert row(perf, "Comparative performance")[1].startswith(fmt_signed_pct(a.change_12m_pct))
    assert a.past_month is not None
    assert row(perf, "Performance over the past month")[1].startswith(a.past_month.words)


def test_the_index_counts_the_ratings_in_figures_json(
        site: DemoSite, partnerships: list[tuple[str, str]]) -> None:
    index = parse((site.site / "index.html").read_text(encoding="utf-8"))
    month = index.tables[0]
    header = month["rows"][0]
    assert len(month["rows"]) - 1 == len(partnerships)
    for r in month["rows"][1:]:
        pid = max((p for p, name in partnerships if r[0].startswith(name)),
                  key=lambda p: len(dict(partnerships)[p]))
        written = json.loads((_bulletin(site, pid) / "figures.json").read_text("utf-8"))
        counts = Counter(d["rag"] or "none" for d in written if d["target_id"] is not None)
        for code, label in (("G", "G Green"), ("A", "A Amber"), ("R", "R Red"),
                            ("none", "Not assessed")):
            assert r[header.index(label)] == str(counts[code]), (pid, code)


def _name(site: DemoSite, pid: str) -> str:
    record = json.loads((_bulletin(site, pid) / "bulletin.json").read_text(encoding="utf-8"))
    return str(record["partnership_name"])


def test_a_hostile_partnership_name_renders_as_text(site: DemoSite) -> None:
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Greyhaven"
    assert _name(site, HOSTILE_PARTNERSHIP) == HOSTILE_NAME
    for page in [site.site / "index.html",
                 *(_bulletin(site, HOSTILE_PARTNERSHIP) / f"{n}.html" for n in PAGES)]:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page
        assert escaped in text, page


def test_pages_hold_no_absolute_paths_user_or_host_names(site: DemoSite) -> None:
    needles = {str(site.demo.root), str(site.demo.root.resolve()), str(PROJECT),
               str(Path.home())}
    for path in site.site.rglob("*"):
        if path.suffix not in (".html", ".csv", ".json"):
            continue
        text = path.read_text(encoding="utf-8")
        for needle in needles:
            assert needle not in text, f"{path.name} holds {needle}"
        assert not re.search(r"(?<![\w.])/(?:tmp|home|root|work)/", text), path.name
