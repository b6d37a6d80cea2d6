"""A district -> CSP -> force lookup of the user's own (ONS LAD to CSP to PFA columns), read
by ingest from data/raw/reference/ and laid over the shipped reference for its districts."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from cdrp_lib.areas import DistrictRef, force_id, reference
from cdrp_lib.cli import main
from cdrp_lib.coverage import store_reference
from cdrp_lib.sources import police_uk as pu
from cdrp_lib.sources.csp_lookup import COLUMNS, read_csp_lookup

PROJECT = Path(__file__).resolve().parents[1]
HEADER = "\ufeffLAD17CD,LAD17NM,CSP17CD,CSP17NM,PFA17CD,PFA17NM,FID"
ASHFORD = "E07000105,Ashford,E22000101,Ashford and Canterbury,E23000032,Kent,1"
CANTERBURY = "E07000106,Canterbury,E22000101,Ashford and Canterbury,E23000032,Kent,2"


def _street(folder: Path, month: str, districts: tuple[str, ...]) -> None:
    rows = [f"{hashlib.sha256(f'{month}{d}'.encode()).hexdigest()},{month},Kent Police,"
            f"Kent Police,0.8,51.1,On or near Park Road,E0100000{i},{d} 001A,Burglary,"
            "Under investigation," for i, d in enumerate(districts, start=1)]
    path = folder / "police_uk" / month / f"{month}-kent-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([",".join(pu.HEADER), *rows]) + "\n", encoding="utf-8")


def _lookup(folder: Path, *rows: str, name: str = "lad-to-csp-to-pfa.csv") -> Path:
    path = folder / "reference" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def params(tmp_path: Path) -> Path:
    """The repo's measures and no partnership files: the partnerships are the CSPs."""
    folder = tmp_path / "params"
    folder.mkdir()
    shutil.copy(PROJECT / "params" / "measures.yaml", folder / "measures.yaml")
    return folder


def _partnerships(store: Path) -> dict[str, tuple[str, ...]]:
    with duckdb.connect(str(store), read_only=True) as con:
        rows = con.execute("SELECT partnership, district FROM partnership_districts "
                           "ORDER BY 1, 2").fetchall()
    out: dict[str, tuple[str, ...]] = {}
    for pid, district in rows:
        out[pid] = (*out.get(pid, ()), district)
    return out


def test_force_ids_from_area_and_force_names() -> None:
    assert force_id("Northamptonshire") == "northamptonshire"
    assert force_id("Devon & Cornwall") == "devon-and-cornwall"
    assert force_id("Metropolitan Police") == "metropolitan"
    assert force_id("Kent Police") == "kent"
    assert force_id("Aldermoor Constabulary") == "aldermoor"
    # the shipped reference's forces are what its areas give
    assert {force_id(d.force) for d in reference().districts.values()} == reference().forces


def test_a_lookup_overrides_only_the_districts_it_names() -> None:
    ref = reference()
    moved = ref.overridden([DistrictRef("Ashford", "Ashford", "Ashford and Canterbury", "kent"),
                            DistrictRef("Canterbury", "Canterbury", "Ashford and Canterbury",
                                        "kent")])
    assert moved.csp_districts("Ashford and Canterbury") == ("Ashford", "Canterbury")
    assert ref.districts["Ashford"].csp == "Ashford"  # the shipped one is unchanged
    assert moved.districts["Dover"] == ref.districts["Dover"]
    assert len(moved.districts) == len(ref.districts)


def test_ingest_groups_the_districts_a_lookup_puts_in_one_csp(tmp_path: Path,
                                                              params: Path) -> None:
    raw, store = tmp_path / "raw", tmp_path / "s.duckdb"
    _street(raw, "2025-01", ("Ashford", "Canterbury", "Dover"))
    args = ["--store", str(store), "--params", str(params)]
    assert main(["ingest", str(raw), *args]) == 0
    before = _partnerships(store)
    assert before["ashford"] == ("Ashford",) and before["canterbury"] == ("Canterbury",)

    # the lookup alone, ingested later: the street rows already in the store are regrouped
    assert main(["ingest", str(_lookup(tmp_path / "more", ASHFORD, CANTERBURY)), *args]) == 0
    after = _partnerships(store)
    assert after["ashford-and-canterbury"] == ("Ashford", "Canterbury")
    assert "ashford" not in after and "canterbury" not in after
    assert after["dover"] == before["dover"]
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT force FROM partnership_forces WHERE partnership = "
                           "'ashford-and-canterbury'").fetchall() == [("kent",)]
        value = con.execute("SELECT value FROM series WHERE partnership = "
                            "'ashford-and-canterbury' AND measure = 'burglary'").fetchall()
        assert value == [(2.0,)]  # one burglary in each district

    # a later month's street files alone keep the stored lookup's grouping
    _street(tmp_path / "feb", "2025-02", ("Ashford",))
    assert main(["ingest", str(tmp_path / "feb"), *args]) == 0
    assert _partnerships(store) == after


def test_a_malformed_lookup_row_is_one_line_and_the_rest_is_kept(
        tmp_path: Path, params: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "raw"
    _street(raw, "2025-01", ("Ashford", "Canterbury", "Dover"))
    bad = "E07000108,Dover,E2200010,Ashford and Canterbury,E23000032,Kent,3"
    path = _lookup(raw, ASHFORD, bad, CANTERBURY)
    code = main(["ingest", str(raw), "--store", str(tmp_path / "s.duckdb"),
                 "--params", str(params)])
    out = capsys.readouterr().out
    assert code == 0
    said = [line for line in out.splitlines() if path.name in line and "line" in line]
    assert said == [f"  {path}, line 3, column 'csp17cd': invalid code: expected a GSS code "
                    "such as E07000153, found 'E2200010'"]
    grouped = _partnerships(tmp_path / "s.duckdb")
    assert grouped["ashford-and-canterbury"] == ("Ashford", "Canterbury")
    assert grouped["dover"] == ("Dover",)  # its row was left out: the shipped CSP stands


def test_reader_rules_and_vintages(tmp_path: Path) -> None:
    path = _lookup(tmp_path, ASHFORD, ASHFORD.replace("E07000105", "E07000999"),
                   "E07000107,,E22000101,X,E23000032,Kent,3", CANTERBURY)
    frame, problems = read_csp_lookup(path)
    assert [(p.line, p.column, p.rule) for p in problems] == [
        (3, "lad17nm", "duplicate district"), (4, "lad17nm", "missing value")]
    assert list(frame.columns[:len(COLUMNS)]) == list(COLUMNS)
    assert frame["district"].tolist() == ["Ashford", "Canterbury"]
    assert set(frame["force"]) == {"kent"}
    # another ONS vintage names its columns by its year
    later = tmp_path / "later.csv"
    later.write_text(HEADER.replace("17", "23") + "\n" + ASHFORD + "\n", encoding="utf-8")
    frame, problems = read_csp_lookup(later)
    assert problems == [] and frame["csp"].tolist() == ["Ashford and Canterbury"]
    missing = tmp_path / "missing.csv"
    missing.write_text("LAD17CD,LAD17NM\nE07000105,Ashford\n", encoding="utf-8")
    frame, problems = read_csp_lookup(missing)
    assert frame.empty and [p.rule for p in problems] == ["missing column"]


def test_a_store_without_a_lookup_uses_the_shipped_reference(tmp_path: Path) -> None:
    from cdrp_lib.store import connect_for_write

    con = connect_for_write(tmp_path / "s.duckdb")
    try:
        assert store_reference(con) is reference()
    finally:
        con.close()
