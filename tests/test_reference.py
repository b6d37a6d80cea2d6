"""Reference lookups: ONS LAD -> CSP -> PFA and LSOA -> district."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdrp_lib.errors import InputError
from cdrp_lib.sources.reference import (
    LAD_CSP_COLUMNS,
    csps_spanning_several_districts,
    read_lad_csp_lookup,
    read_lsoa_lookup,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LOOKUP = SHARED / "data" / "ons" / "lad-to-csp-to-pfa-2017.csv"
HEADER = "\ufeffLAD17CD,LAD17NM,CSP17CD,CSP17NM,PFA17CD,PFA17NM,FID"


def _write(tmp_path: Path, text: str, name: str = "lookup.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_a_lookup_with_a_byte_order_mark(tmp_path: Path) -> None:
    df = read_lad_csp_lookup(_write(tmp_path, f"{HEADER}\n"
                                    "E07000107,Dartford,E22000352,Dartford and Gravesham,"
                                    "E23000032,Kent,1\n"
                                    "E07000109,Gravesham,E22000352,Dartford and Gravesham,"
                                    "E23000032,Kent,2\n"))
    assert tuple(df.columns) == LAD_CSP_COLUMNS
    assert df["LAD17NM"].tolist() == ["Dartford", "Gravesham"]


@pytest.mark.parametrize(("row", "column", "rule"), [
    ("E0700010,Dartford,E22000352,Dartford and Gravesham,E23000032,Kent,1", "lad17cd",
     "invalid code"),
    ("E07000107,,E22000352,Dartford and Gravesham,E23000032,Kent,1", "lad17nm", "missing value"),
    ("E07000107,Dartford,E22000352,Dartford and Gravesham,23000032,Kent,1", "pfa17cd",
     "invalid code"),
    ("E07000150,Corby,E22000233,Corby,E23000022,Northamptonshire,9", "lad17cd",
     "duplicate district"),
])
def test_each_lookup_rule_raises_with_every_problem(tmp_path: Path, row: str, column: str,
                                                    rule: str) -> None:
    good = "E07000150,Corby,E22000233,Corby,E23000022,Northamptonshire,1"
    bad_too = "E07000153,Kettering,E22000236,,E23000022,Northamptonshire,2"
    with pytest.raises(InputError) as caught:
        read_lad_csp_lookup(_write(tmp_path, f"{HEADER}\n{good}\n{bad_too}\n{row}\n"))
    found = [(p.line, p.column, p.rule) for p in caught.value.problems]
    assert found == [(3, "csp17nm", "missing value"), (4, column, rule)]


def test_lookup_missing_a_column_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing column"):
        read_lad_csp_lookup(_write(tmp_path, "LAD17CD,LAD17NM\nE07000150,Corby\n"))


def test_csps_spanning_several_districts_on_a_tiny_table() -> None:
    df = pd.DataFrame({"LAD17NM": ["Stratford-on-Avon", "Corby", "Warwick"],
                       "CSP17NM": ["South Warwickshire", "Corby", "South Warwickshire"]})
    assert csps_spanning_several_districts(df) == {
        "South Warwickshire": ("Stratford-on-Avon", "Warwick")}


def test_real_ons_lookup() -> None:
    if not LOOKUP.is_file():
        pytest.skip(f"{LOOKUP} is absent: clone the shared reference data beside the repository")
    df = read_lad_csp_lookup(LOOKUP)
    assert tuple(df.columns) == LAD_CSP_COLUMNS  # the BOM did not stick to LAD17CD
    assert len(df) == 348
    by_lad = df.set_index("LAD17NM")
    assert by_lad.loc["Corby", "CSP17NM"] == "Corby"
    assert by_lad.loc["Kettering", "CSP17NM"] == "Kettering"
    assert by_lad.loc["Kettering", "PFA17NM"] == "Northamptonshire"
    spanning = csps_spanning_several_districts(df)
    assert spanning["Dartford and Gravesham"] == ("Dartford", "Gravesham")
    assert spanning["Daventry and South Northamptonshire"] == ("Daventry",
                                                              "South Northamptonshire")
    assert "Corby" not in spanning and len(spanning) == 15


def test_lsoa_lookup(tmp_path: Path) -> None:
    frame, problems = read_lsoa_lookup(_write(tmp_path, "lsoa_code,district\n"
                                              "E01027055,East Northamptonshire\n"
                                              "E01026957,Corby\n"))
    assert problems == []
    assert frame.values.tolist() == [["E01027055", "East Northamptonshire"],
                                     ["E01026957", "Corby"]]


@pytest.mark.parametrize(("row", "column", "rule"), [
    ("E0102695,Corby", "lsoa_code", "invalid LSOA code"),
    ("E02000001,Corby", "lsoa_code", "invalid LSOA code"),
    ("E01026958,", "district", "missing value"),
    ("E01026957,Kettering", "lsoa_code", "duplicate LSOA code"),
])
def test_each_lsoa_lookup_rule_fires(tmp_path: Path, row: str, column: str, rule: str) -> None:
    frame, problems = read_lsoa_lookup(_write(tmp_path, f"lsoa_code,district\nE01026957,Corby\n"
                                              f"{row}\n"))
    assert [(p.line, p.column, p.rule) for p in problems] == [(3, column, rule)]
    assert frame.values.tolist() == [["E01026957", "Corby"]]


def test_duplicate_lsoa_names_both_districts(tmp_path: Path) -> None:
    _, problems = read_lsoa_lookup(_write(tmp_path, "lsoa_code,district\nE01026957,Corby\n"
                                          "E01026957,Kettering\n"))
    assert "'Kettering', already -> 'Corby'" in problems[0].found


def test_comment_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    frame, problems = read_lsoa_lookup(_write(tmp_path, "# Contains public sector information\n"
                                              "# (OGL v3.0), see README.md\n"
                                              "lsoa_code,district\nE01026957,Corby\n"))
    assert problems == [] and frame.values.tolist() == [["E01026957", "Corby"]]


def test_shipped_northamptonshire_lookup_reads_cleanly() -> None:
    path = (Path(__file__).resolve().parents[1] / "params" / "reference"
            / "northamptonshire-lsoa-2011-districts.csv")
    if not path.is_file():
        pytest.skip(f"{path} not shipped")
    frame, problems = read_lsoa_lookup(path)
    assert problems == []
    counts = frame["district"].value_counts()
    assert counts["Kettering"] == 57 and counts["Corby"] == 41
