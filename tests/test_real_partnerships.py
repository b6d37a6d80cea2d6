"""Partnerships and coverage on the real data.police.uk files, checked against the raw rows.

With no params, the partnerships must be exactly the CSPs of the forces whose files
were ingested (ONS grouping, today's districts), and every series must equal a count
made independently from the zip with the csv module and the shipped lookup read as
plain CSV.  Each test ingests one zip (a few seconds).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cdrp_lib.cli import main

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
REAL = PROJECT.parent / "shared" / "data" / "police-uk"
DISTRICTS = PROJECT / "cdrp_lib" / "data" / "districts.csv"
LOOKUP_2011 = PROJECT / "params" / "reference" / "northamptonshire-lsoa-2011-districts.csv"
ASB = "Anti-social behaviour"
_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")


def _zip(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"real data not found at {path}: clone the repo with shared/ beside it")
    return path


def reference_rows() -> list[dict[str, str]]:
    with DISTRICTS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def raw_rows(path: Path) -> Iterator[tuple[str, str, str, str, str]]:
    """(force, month, lsoa code, lsoa name, crime type) of every row kept at ingest.

    A Crime ID repeated within a force's month is kept once (the first), as ingest does.
    """
    seen: set[tuple[str, str, str]] = set()
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            m = re.search(r"(\d{4}-\d{2})-(.+)-street\.csv$", name)
            if not m:
                continue
            month, force = m.groups()
            with archive.open(name) as raw:
                for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
                    crime = row["Crime ID"]
                    if crime:
                        if (force, month, crime) in seen:
                            continue
                        seen.add((force, month, crime))
                    yield force, month, row["LSOA code"], row["LSOA name"], row["Crime type"]


def district(lsoa_name: str) -> str:
    return _SUFFIX.sub("", lsoa_name.strip()) if _SUFFIX.search(lsoa_name.strip()) else ""


@pytest.fixture(scope="module")
def measures_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Params with the project's measures and no partnership: what a new user has."""
    params = tmp_path_factory.mktemp("params")
    shutil.copy(PROJECT / "params" / "measures.yaml", params / "measures.yaml")
    return params


def ingest(zip_path: Path, store: Path, params: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["ingest", str(zip_path), "--store", str(store), "--params", str(params)]) == 0
    return capsys.readouterr().out


def listed(store: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, list[str]]:
    """``cdrp partnerships`` as id -> its cells."""
    assert main(["partnerships", "--store", str(store), *extra]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "partnership"
    return {line.split()[0]: re.split(r"\s{2,}", line.strip()) for line in lines[1:]}


def series(store: Path, partnership: str, measure: str) -> dict[str, float]:
    with duckdb.connect(str(store), read_only=True) as con:
        return {str(m): float(v) for m, v in con.execute(
            "SELECT month, value FROM series WHERE partnership = ? AND measure = ?",
            [partnership, measure]).fetchall()}


def test_northamptonshire_2025_is_its_two_unitary_csps(
        tmp_path: Path, measures_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip("northamptonshire-2025.zip")
    store = tmp_path / "s.duckdb"
    out = ingest(path, store, measures_only, capsys)
    found = listed(store, capsys)
    assert sorted(found) == ["north-northamptonshire", "west-northamptonshire"]
    assert found["north-northamptonshire"][1:4] == [
        "North Northamptonshire", "northamptonshire", "2025-01 to 2025-12 (12 months)"]
    ours = {"North Northamptonshire", "West Northamptonshire"}
    asb: Counter[tuple[str, str]] = Counter()
    elsewhere: Counter[str] = Counter()
    for _, month, code, name, kind in raw_rows(path):
        d = district(name)
        if d in ours and kind == ASB:
            asb[(d, month)] += 1
        elif code and d not in ours:
            elsewhere[d] += 1
    got = series(store, "north-northamptonshire", "anti-social-behaviour")
    assert got == {m: float(asb[("North Northamptonshire", m)]) for m in got}
    assert len(got) == 12
    assert (f"{sum(elsewhere.values()):,} rows located in {len(elsewhere)} districts policed by "
            "forces not in the store") in out


def test_kettering_and_corby_come_through_the_2011_lookup(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The project's params define Kettering and Corby; 2021 LSOA codes map back to them."""
    path = _zip("northamptonshire-2025.zip")
    store = tmp_path / "s.duckdb"
    # The project's params less the Kettering 2009 replica: its params are for its synthetic
    # replica dataset (`cdrp demo-data --replica`), and over real Kettering files it would be
    # one more partnership labelled SYNTHETIC.
    params = tmp_path / "params"
    shutil.copytree(PROJECT / "params", params,
                    ignore=shutil.ignore_patterns("kettering-2009*.yaml"))
    ingest(path, store, params, capsys)
    found = listed(store, capsys, "--month", "2025-06")
    assert {"corby", "kettering", "north-northamptonshire", "west-northamptonshire"} == set(found)
    with LOOKUP_2011.open(encoding="utf-8") as f:
        old = {r["lsoa_code"]: r["district"]
               for r in csv.DictReader(line for line in f if not line.startswith("#"))}
    kettering: Counter[str] = Counter()
    for _, month, code, _, kind in raw_rows(path):
        if old.get(code) == "Kettering" and kind == ASB:
            kettering[month] += 1
    got = series(store, "kettering", "anti-social-behaviour")
    assert got == {m: float(kettering[m]) for m in got} and sum(got.values()) > 0


def test_city_of_london_is_one_partnership_and_its_neighbours_none(
        tmp_path: Path, measures_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip("city-of-london-2017-2021-flat.zip")
    store = tmp_path / "s.duckdb"
    out = ingest(path, store, measures_only, capsys)
    found = listed(store, capsys)
    assert list(found) == ["city-of-london"]
    assert found["city-of-london"][3] == "2017-01 to 2021-12 (60 months)"
    elsewhere = {district(name) for _, _, code, name, _ in raw_rows(path)
                 if code and district(name) != "City of London"}
    assert f"located in {len(elsewhere)} districts policed by forces not in the store" in out


def test_all_forces_2019_01_lists_every_csp_of_the_forces_present(
        tmp_path: Path, measures_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip("all-forces-2019-01.zip")
    store = tmp_path / "s.duckdb"
    ingest(path, store, measures_only, capsys)
    found = listed(store, capsys, "--month", "2019-01")
    with zipfile.ZipFile(path) as archive:
        present = {m.group(1) for n in archive.namelist()
                   if (m := re.search(r"2019-01-(.+)-street\.csv$", n))}
    refs = reference_rows()
    slug = {r["csp"]: re.sub(r"[^a-z0-9]+", "-", r["csp"].lower()).strip("-") for r in refs}
    expected = {slug[r["csp"]] for r in refs if r["force"] in present}
    assert set(found) == expected
    assert not {slug[r["csp"]] for r in refs if r["force"] == "metropolitan"} & set(found)
    # A CSP of several districts is one partnership, counted over all of them.
    yorks = {r["district"] for r in refs if r["csp"] == "North Yorkshire"}
    assert {"Craven", "Harrogate", "Selby"} <= yorks
    total = sum(1 for _, _, code, name, kind in raw_rows(path)
                if code and district(name) in yorks and kind == ASB)
    assert series(store, "north-yorkshire", "anti-social-behaviour") == {"2019-01": float(total)}


def test_a_measure_added_after_the_last_ingest_says_ingest_again(
        tmp_path: Path, measures_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _zip("city-of-london-2017-2021-flat.zip")
    store = tmp_path / "s.duckdb"
    ingest(path, store, measures_only, capsys)
    params = tmp_path / "params"
    shutil.copytree(measures_only, params)
    with (params / "measures.yaml").open("a", encoding="utf-8") as f:
        f.write("  - {id: thefts-new, name: Thefts, theme: acquisitive_crime, source: police,\n"
                "     polarity: lower_is_better, categories: [other-theft]}\n")
    main(["assess", "--store", str(store), "--params", str(params), "--partnership",
          "city-of-london", "--measure", "all-crime", "--month", "2021-12"])
    err = capsys.readouterr().err
    assert err.count("run `cdrp ingest` again") == 1 and "(thefts-new)" in err
    ingest(path, store, params, capsys)
    main(["assess", "--store", str(store), "--params", str(params), "--partnership",
          "city-of-london", "--measure", "thefts-new", "--month", "2021-12"])
    assert "cdrp ingest" not in capsys.readouterr().err
