"""Population reader: our layout, the ONS mid-year export and the 2011 Census file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdrp_lib.errors import Problem
from cdrp_lib.sources.population import read_population

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ONS = SHARED / "data" / "ons"


def _read(tmp_path: Path, text: str) -> tuple[pd.DataFrame, list[Problem]]:
    path = tmp_path / "population.csv"
    path.write_text(text, encoding="utf-8")
    return read_population(path)


def _ons(name: str) -> Path:
    path = ONS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: clone the shared reference data beside the repository")
    return path


def test_our_layout(tmp_path: Path) -> None:
    frame, problems = _read(tmp_path, 'district,year,population\nAshcombe,2024,"128,400"\n'
                            "Ashcombe,2023,127349\nBrackenford,2024,94300\n")
    assert problems == []
    assert frame.values.tolist() == [["Ashcombe", 2023, 127349], ["Ashcombe", 2024, 128400],
                                     ["Brackenford", 2024, 94300]]
    assert frame["year"].dtype == "int64" and frame["population"].dtype == "int64"


def test_our_layout_with_district_code_in_any_order(tmp_path: Path) -> None:
    frame, problems = _read(tmp_path, "District Code,Population,Year,District\n"
                            "E07000153,101776,2019,Kettering\n")
    assert problems == []
    assert list(frame.columns) == ["district", "year", "population"]
    assert frame.values.tolist() == [["Kettering", 2019, 101776]]


@pytest.mark.parametrize(("row", "column", "rule"), [
    (",2024,1000", "district", "missing value"),
    ("Dunmore,24,1000", "year", "invalid year"),
    ("Dunmore,next,1000", "year", "invalid year"),
    ("Dunmore,2024,12.5", "population", "invalid population"),
    ("Dunmore,2024,-3", "population", "invalid population"),
    ("Dunmore,2024,", "population", "invalid population"),
    ("Ashcombe,2024,5", "district", "duplicate district and year"),
])
def test_each_rule_of_our_layout_fires(tmp_path: Path, row: str, column: str, rule: str) -> None:
    frame, problems = _read(tmp_path, f"district,year,population\nAshcombe,2024,128400\n{row}\n")
    assert [(p.line, p.column, p.rule) for p in problems] == [(3, column, rule)]
    assert frame.values.tolist() == [["Ashcombe", 2024, 128400]]


def test_bad_district_code_fires(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "district,year,population,district_code\nA,2024,1,X123\n")
    assert [(p.column, p.rule) for p in problems] == [("district_code", "invalid district code")]


def test_census_2011_layout_drops_the_ua_suffix(tmp_path: Path) -> None:
    frame, problems = _read(tmp_path, "Local Authority,Population,\nBedford UA,157479,\n"
                            '"Bristol, City of UA",428234,\nCorby,61255,\nBad,n/a,\n')
    assert [(p.line, p.rule) for p in problems] == [(5, "invalid population")]
    assert frame.values.tolist() == [["Bedford", 2011, 157479],
                                     ["Bristol, City of", 2011, 428234],
                                     ["Corby", 2011, 61255]]


MYE = "\n".join([
    "\ufeffContents,,,,",
    ",,,,",
    '"MYE3: Components, mid-2019",,"Please click to\ne-mail us",,',
    ",,,,",
    "Code,Name,Geography1,Estimated Population  mid-2018,Births,Estimated Population  mid-2019",
    'K02000001,UNITED KINGDOM,Country,"66,435,550","721,685","66,796,807"',
    'E10000021,Northamptonshire,County,"747,622","8,873","753,278"',
    'E07000150,Corby,Non-metropolitan District,"70,827",917,"72,218"',
    'E06000055,Bedford,Unitary Authority,"171,623","2,063",x',
    ",,,,",
    '"1. Further information, see the notes tab.",,,,',
]) + "\n"


def test_ons_mid_year_layout_keeps_districts_and_every_year(tmp_path: Path) -> None:
    frame, problems = _read(tmp_path, MYE)
    assert frame.values.tolist() == [["Bedford", 2018, 171623], ["Corby", 2018, 70827],
                                     ["Corby", 2019, 72218]]
    assert [(p.line, p.column, p.rule) for p in problems] == [
        (10, "Estimated Population mid-2019", "invalid population")]


def test_unknown_layout_and_empty_file(tmp_path: Path) -> None:
    frame, problems = _read(tmp_path, "name,people\nAshcombe,3\n")
    assert [p.rule for p in problems] == ["unknown population layout"] and frame.empty
    frame, problems = _read(tmp_path, "")
    assert [p.rule for p in problems] == ["empty file"] and frame.empty


def test_real_ons_mid_2019_file() -> None:
    frame, problems = read_population(_ons("population-mid2019-lad.csv"))
    assert problems == []
    by = frame.set_index(["district", "year"])["population"]
    assert by[("Kettering", 2019)] == 101_776
    assert by[("Corby", 2019)] == 72_218
    assert by[("Kettering", 2018)] == 101_266
    assert "ENGLAND" not in set(frame["district"])  # countries, regions, counties left out
    assert "Northamptonshire" not in set(frame["district"])
    assert sorted(frame["year"].unique().tolist()) == [2018, 2019]
    assert frame.groupby("year").size().tolist() == [379, 379]


def test_real_census_2011_file() -> None:
    frame, problems = read_population(_ons("population-census2011-lad.csv"))
    assert problems == []
    by = frame.set_index("district")["population"]
    assert by["Kettering"] == 93_475 and by["Corby"] == 61_255
    assert by["Bedford"] == 157_479  # "Bedford UA" in the file
    assert set(frame["year"]) == {2011}
