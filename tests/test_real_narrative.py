"""Every sentence read back against its figures and against the chart beside it: real data
(City of London, 60 months with the 2020 lockdown's V) and the demo county.

check_figures (test_narrative) parses each sentence's numbers and directions back and
compares them with the Assessment; here the performance chart's CSV must agree too: the
projection a sentence states is the chart's projection point, its direction is the way
the drawn line goes from the last rolling total, and a "has risen / fallen" is what the
chart's rolling totals did over the last 12 months.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from conftest import Demo
from test_narrative import NUM, check_figures

from cdrp_lib.assess import assess_partnership
from cdrp_lib.charts import performance_chart
from cdrp_lib.cli import main
from cdrp_lib.narrative import Fact, sentences
from cdrp_lib.periods import Month
from cdrp_lib.public import public_view
from cdrp_lib.store import Store

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
CITY = PROJECT.parent / "shared" / "data" / "police-uk" / "city-of-london-2017-2021-flat.zip"


def check_against_chart(a: object) -> int:
    """The projection sentence of ``a`` against its performance chart; 1 if there was one."""
    v = public_view(a)  # type: ignore[arg-type]
    said = [s.text for s in sentences(v) if s.fact is Fact.PROJECTION]
    if not said:
        return 0
    (text,) = said
    rows = list(csv.DictReader(io.StringIO(performance_chart(v).csv)))
    by_month = {r["month"]: r for r in rows}
    m = re.search(rf"(?:projected to|trend projects an?) (fall|rise|stay level)"
                  rf"(?: (?:to|at) ({NUM})%?)? ", text)
    assert m, text
    if m[2] is None:  # withheld: no line drawn either
        assert not any(r["trend_line"] for r in rows), text
        return 1
    end = v.data_to or v.month
    projected = [r for r in rows if r["month"] > end and r["trend_line"]]
    assert len(projected) == 1, (text, rows[-3:])
    point = float(projected[0]["trend_line"])
    assert f"{point:,.{1 if v.is_proportion else 0}f}" == m[2] or \
        abs(point - float(m[2].replace(",", ""))) < 1, (text, point)
    shown = by_month[end]["rolling_12"]
    now = float(shown) if re.fullmatch(r"[\d.]+", shown) else v.rolling_12
    if now is None:  # the total is withheld: nothing on the chart to compare with
        return 1
    if m[1] == "fall":
        assert point < now, (text, now, point)
    elif m[1] == "rise":
        assert point > now, (text, now, point)
    change = re.search(rf"has (risen|fallen) ({NUM})", text)
    before = by_month.get(str(Month.parse(end) - 12))
    if change and before and before["rolling_12"] not in ("", "<5", "[c]"):
        assert (change[1] == "risen") == (now > float(before["rolling_12"])), (text, now)
    return 1


def check_partnership(store: Path, params: Path, partnership: str, month: str) -> int:
    with Store(store) as st:
        found = assess_partnership(st, params, partnership, month)
    assert found
    projections = 0
    for a in found:
        check_figures(a)
        projections += check_against_chart(a)
    return projections


def test_real_city_of_london_sentences_match_figures_and_charts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not CITY.is_file():
        pytest.skip(f"real data not found at {CITY}: clone the repo with shared/ beside it")
    params = tmp_path / "params"
    params.mkdir()
    shutil.copy(PROJECT / "params" / "measures.yaml", params / "measures.yaml")
    store = tmp_path / "s.duckdb"
    assert main(["ingest", str(CITY), "--store", str(store), "--params", str(params)]) == 0
    capsys.readouterr()
    said = 0
    for month in ("2020-06", "2021-06", "2021-12"):  # into the trough, out of it, after
        said += check_partnership(store, params, "city-of-london", month)
    assert said > 0


def test_demo_sentences_match_figures_and_charts(demo: Demo) -> None:
    with Store(demo.store) as st:
        ids = [pid for pid, _ in st.partnerships()][:3]
        month = st.latest_month() or ""
    said = sum(check_partnership(demo.store, demo.params, pid, month) for pid in ids)
    assert said > 0
