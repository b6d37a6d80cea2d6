"""A bulletin from real data.police.uk files, end to end, checked against the raw rows.

The demo proves every feature; this proves the path an analyst takes with real
data: `cdrp ingest` of the City of London Police archive as published (flat
layout, 60 months) and an ONS population export, then `cdrp run` with real
Papermill for the City of London partnership, which exists with no params file
because its district is named in the LSOA names.  The published all-crime
figure must equal a count made independently from the zip with the csv module.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cdrp_lib.site import check_site

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
ZIP = SHARED / "data" / "police-uk" / "city-of-london-2017-2021-flat.zip"
POPULATION = SHARED / "data" / "ons" / "population-mid2019-lad.csv"
CDRP = [sys.executable, "-m", "cdrp_lib"]
LATEST = "2021-12"


def independent_all_crime(months: set[str]) -> int:
    """Crimes (not ASB) in City of London LSOAs in ``months``, a Crime ID once per month."""
    seen: set[tuple[str, str]] = set()
    total = 0
    with zipfile.ZipFile(ZIP) as archive:
        for name in archive.namelist():
            month = Path(name).name[:7]
            if month not in months:
                continue
            with archive.open(name) as raw:
                for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
                    crime_id = row["Crime ID"]
                    if crime_id:
                        if (month, crime_id) in seen:
                            continue
                        seen.add((month, crime_id))
                    if row["Crime type"] == "Anti-social behaviour":
                        continue
                    if row["LSOA name"].startswith("City of London "):
                        total += 1
    return total


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not ZIP.is_file() or not POPULATION.is_file():
        pytest.skip(f"real data not found at {SHARED / 'data'}: clone the repo with shared/ "
                    "beside it to run this test")
    work = tmp_path_factory.mktemp("real")
    store = work / "store.duckdb"
    ingest = subprocess.run(
        [*CDRP, "ingest", str(ZIP), str(POPULATION), "--store", str(store),
         "--params", str(PROJECT / "params")],
        capture_output=True, text=True, cwd=PROJECT, check=False)
    assert ingest.returncode == 0, ingest.stderr
    run = subprocess.run(
        [*CDRP, "run", "--month", "latest", "--partnership", "city-of-london",
         "--store", str(store), "--params", str(PROJECT / "params"),
         "--outputs", str(work / "outputs"), "--workers", "1",
         "--produced-on", "2022-03-01"],
        capture_output=True, text=True, cwd=PROJECT, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return work / "outputs" / "site"


def test_the_real_bulletin_is_published_whole_and_clean(published: Path) -> None:
    folder = published / "city-of-london" / LATEST
    for page in ("index", "violence", "acquisitive_crime", "asb", "domestic_abuse",
                 "perception"):
        assert (folder / f"{page}.html").is_file(), page
    assert check_site(published) == []
    index = (published / "index.html").read_text(encoding="utf-8")
    assert "City of London" in index and f"city-of-london/{LATEST}/index.html" in index


def test_published_all_crime_equals_an_independent_count_of_the_raw_rows(
        published: Path) -> None:
    figures = json.loads(
        (published / "city-of-london" / LATEST / "figures.json").read_text(encoding="utf-8"))
    all_crime = next(f for f in figures if f["measure"] == "all-crime")
    last_12 = {f"2021-{m:02d}" for m in range(1, 13)}
    previous_12 = {f"2020-{m:02d}" for m in range(1, 13)}
    assert all_crime["rolling_12"] == independent_all_crime(last_12)
    assert all_crime["previous_rolling_12"] == independent_all_crime(previous_12)
    # No params file: the City of London is monitored, never given a made-up rating.
    assert all_crime["rag"] is None
    assert all_crime["not_assessed_reason"] == "no_target"
