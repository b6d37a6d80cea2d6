"""Demoshire's partner-agency files, and every kind of measure in the demo bulletin.

The demo writes ``local/series-*.csv`` for the fire service, road safety, youth justice
and probation (cdrp_lib/demo/agencies.py); each must end where its source's lag in
params says, and the published Ashcombe bulletin must show every source and every unit
the demo feeds: counts, percentages, rates per 100,000, a twelve-month mean and a cohort
ceiling, monthly and quarterly, one source six months behind.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, DemoSite
from test_pages import _text as words

from cdrp_lib.demo import write_demo
from cdrp_lib.demo.agencies import LAGS
from cdrp_lib.params import load_bulletin, load_measures
from cdrp_lib.periods import Month, parse_period

PROJECT = Path(__file__).resolve().parents[1]
PARAMS = PROJECT / "params"
PARTNER_FILES = ("local/series-fire.csv", "local/series-road-safety.csv",
                 "local/series-youth-justice.csv", "local/series-probation.csv")
#: Every source and unit the demo feeds, and the frequencies it reports in.
SOURCES = {"police", "domestic_abuse", "survey", "fire", "road-safety", "youth-justice",
           "probation"}
UNITS = {"count", "percent", "per_100000", "mean_12_months", "cohort_offences"}
FREQUENCIES = {"monthly", "quarterly"}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    demo = write_demo(tmp_path_factory.mktemp("agencies") / "demo")
    assert set(PARTNER_FILES) <= set(demo.files)
    out = {}
    for relative in PARTNER_FILES:
        with (demo.out_dir / relative).open(encoding="utf-8", newline="") as f:
            out[relative] = list(csv.DictReader(f))
    return out


def test_each_partner_file_ends_at_its_sources_lag(
        rows: dict[str, list[dict[str, str]]]) -> None:
    measures = load_measures(PARAMS)
    sources = load_bulletin(PARAMS).sources
    last = Month.parse(DEMO_MONTH)
    for relative, found in rows.items():
        assert found, relative
        for measure in {r["measure"] for r in found}:
            m = measures[measure]
            lag = m.lag_months if m.lag_months is not None else sources[m.source].lag_months
            assert lag == LAGS[relative], (relative, measure)
            ends = [parse_period(r["period"]).last for r in found if r["measure"] == measure]
            # the last whole period published by then: within one period of the lag
            behind = last.minus(max(ends))
            step = parse_period(found[-1]["period"]).months
            assert lag <= behind < lag + step, (measure, max(ends), lag)


def test_partner_files_use_each_period_form_and_the_cohort(
        rows: dict[str, list[dict[str, str]]]) -> None:
    kinds = {relative: {parse_period(r["period"]).kind for r in found}
             for relative, found in rows.items()}
    assert kinds["local/series-fire.csv"] == {"month"}
    assert kinds["local/series-youth-justice.csv"] == {"quarter"}
    assert all("Q" in r["period"] and " " not in r["period"]
               for r in rows["local/series-youth-justice.csv"])  # calendar quarters
    probation = rows["local/series-probation.csv"]
    assert all("/" in r["period"] for r in probation)  # financial quarters
    by_year: dict[tuple[str, str], set[str]] = {}
    for r in probation:
        by_year.setdefault((r["partnership"], r["period"].split()[0]), set()).add(r["cohort"])
    assert all(len(sizes) == 1 for sizes in by_year.values())  # one cohort a year
    assert all(0 < int(r["value"]) < int(r["cohort"]) for r in probation)


@pytest.mark.slow
def test_every_source_kind_and_unit_is_in_the_published_bulletin(demo_site: DemoSite) -> None:
    assert demo_site.returncode == 0, demo_site.stderr[-3000:]
    folder = demo_site.site / "ashcombe" / DEMO_MONTH
    records = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    targets = [r for r in records if r.get("target_id")]
    assert {r["source"] for r in targets} >= SOURCES
    assert {r["unit"] for r in targets} >= UNITS
    assert {r["frequency"] for r in targets} >= FREQUENCIES
    lagged = [r for r in targets if r["source"] == "probation"]
    assert lagged and all(Month.parse(DEMO_MONTH).minus(Month.parse(r["data_to"])) == 6
                          for r in lagged)
    pages: dict[str, str] = {}
    for r in targets:
        if r["source"] in SOURCES - {"police", "domestic_abuse", "survey"}:
            html = (folder / f"{r['theme']}.html").read_text(encoding="utf-8")
            page = pages.setdefault(r["theme"], words(html))
            assert r["narrative"] and r["narrative"][0] in page, (r["target_id"], r["theme"])
            assert r["rag"] is not None or r["not_assessed_reason"], r["target_id"]
