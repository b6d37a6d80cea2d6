"""`cdrp ingest` and `cdrp export series` as an analyst runs them, on tiny files,
on the demo data and on every real data.police.uk zip in ../shared.

Real files are checked against an independent count made here with Python's csv
module (first row of each Crime ID per file kept, ASB rows all kept).
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from cdrp_lib.cli import main
from cdrp_lib.cli.export import format_value
from cdrp_lib.ingest import gap_ranges, ingest
from cdrp_lib.sources import police_uk as pu
from cdrp_lib.store import Store

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
POLICE_UK = SHARED / "data" / "police-uk"
HEADER_LINE = ",".join(pu.HEADER)


def crime_id_of(short: str) -> str:
    """A Crime ID as published (64 hex characters) standing for a short test name."""
    return hashlib.sha256(short.encode()).hexdigest() if short else ""


def row(crime_id: str, month: str, crime_type: str = "Burglary") -> str:
    crime_id = crime_id_of(crime_id)
    return (f"{crime_id},{month},Kent Police,Kent Police,0.8,51.1,On or near Park Road,"
            f"E01000001,Ashford 001A,{crime_type},Under investigation,")


def write_month(folder: Path, month: str, rows: list[str]) -> None:
    path = folder / month / f"{month}-kent-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER_LINE, *rows]) + "\n")


@pytest.fixture()
def measures_only(tmp_path: Path) -> Path:
    """params with the repo's measures and no partnership files (districts only)."""
    folder = tmp_path / "params"
    folder.mkdir()
    shutil.copy(PROJECT / "params" / "measures.yaml", folder / "measures.yaml")
    return folder


@pytest.fixture()
def kent(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    write_month(data, "2025-01", [row("a", "2025-01"), row("b", "2025-01")])
    write_month(data, "2025-03", [row("c", "2025-03"), row("", "2025-03", "Drugs")])
    return data


def real_zip(name: str) -> Path:
    path = POLICE_UK / name
    if not path.exists():
        pytest.skip(f"{path} is absent: clone the shared reference data beside the repository")
    return path


def independent_counts(archive: Path) -> Counter[tuple[str, str, str, str, str]]:
    """(force, month, lsoa_code, lsoa_name, slug) -> rows, counted with the csv module."""
    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    with zipfile.ZipFile(archive) as z:
        for member in sorted(z.namelist()):
            parsed = pu.parse_street_name(member.rsplit("/", 1)[-1])
            if parsed is None:
                continue
            month, force = parsed
            seen: set[str] = set()
            with z.open(member) as raw:
                for rec in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
                    if rec["Crime ID"]:
                        if rec["Crime ID"] in seen:
                            continue
                        seen.add(rec["Crime ID"])
                    counts[(force, month, rec["LSOA code"], rec["LSOA name"],
                            pu.CRIME_TYPE_SLUGS[rec["Crime type"]])] += 1
    return counts


def stored_counts(store: Path) -> Counter[tuple[str, str, str, str, str]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return Counter({(f, m, c, n, t): int(k) for f, m, c, n, t, k in con.execute(
            "SELECT force, month, lsoa_code, lsoa_name, crime_type, sum(n) "
            "FROM police_counts GROUP BY ALL").fetchall()})
    finally:
        con.close()


# --------------------------------------------------------------------------- cdrp ingest

def test_cdrp_ingest_prints_the_quality_report(tmp_path: Path, kent: Path, measures_only: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.duckdb"
    code = main(["ingest", str(kent), "--store", str(store), "--params", str(measures_only)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Files: 2 street files read" in out
    assert "Rows: 4 read, 4 kept, 0 rejected" in out
    assert "Publication gaps: kent 2025-02" in out
    assert "Partnerships: 1 (1 found in the data, 0 from params): ashford" in out


def test_cdrp_ingest_strict_stops_on_a_reject(tmp_path: Path, kent: Path, measures_only: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write_month(kent, "2025-04", [row("x", "2025-05")])
    store = tmp_path / "s.duckdb"
    args = ["ingest", str(kent), "--store", str(store), "--params", str(measures_only)]
    assert main([*args, "--strict"]) == 1
    out = capsys.readouterr().out
    assert "NOT written" in out and "row claims another month 1" in out
    assert "line 2, column 'Month'" in out
    assert main(args) == 0  # the default keeps the good rows


def test_cdrp_ingest_unreadable_file_exits_1(tmp_path: Path, kent: Path, measures_only: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (kent / "2025-01" / "2025-01-essex-street.csv").write_text("not,a,street,file\n")
    code = main(["ingest", str(kent), "--store", str(tmp_path / "s.duckdb"),
                 "--params", str(measures_only)])
    assert code == 1
    assert "wrong header" in capsys.readouterr().out


def test_cdrp_ingest_reports_a_malformed_row_and_keeps_the_rest(
        tmp_path: Path, kent: Path, measures_only: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A record DuckDB cannot parse must not abort the store's transaction."""
    write_month(kent, "2025-04", [row("x", "2025-04"), row("y", "2025-04") + ",extra",
                                  row("z", "2025-04")])
    store = tmp_path / "s.duckdb"
    code = main(["ingest", str(kent), "--store", str(store), "--params", str(measures_only)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Rows: 7 read, 6 kept, 1 rejected" in out
    assert "wrong number of fields 1" in out and "line 3" in out
    assert stored_counts(store)[("kent", "2025-04", "E01000001", "Ashford 001A", "burglary")] == 2


def test_cdrp_ingest_bad_params_is_one_line_error(tmp_path: Path, kent: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", str(kent), "--store", str(tmp_path / "s.duckdb"),
                 "--params", str(tmp_path / "no-params")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("cdrp ingest: error:") and err.count("\n") == 1


def test_gap_ranges_collapse_consecutive_months() -> None:
    assert gap_ranges([("n", "2019-03"), ("n", "2019-04"), ("n", "2019-06"), ("k", "2025-02")]) \
        == ["n 2019-03 to 2019-04 (2 months)", "n 2019-06", "k 2025-02"]


# --------------------------------------------------------------------------- cdrp export series

def test_cdrp_export_series_csv(tmp_path: Path, kent: Path, measures_only: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.duckdb"
    ingest([kent], store, measures_only)
    capsys.readouterr()
    assert main(["export", "series", "--store", str(store), "--partnership", "ashford",
                 "--measure", "burglary"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "partnership,measure,month,value",
        "ashford,burglary,2025-01,2",
        "ashford,burglary,2025-02,",   # a publication gap: empty, never 0
        "ashford,burglary,2025-03,1",
    ]
    assert main(["export", "series", "--store", str(store), "--measure", "drugs",
                 "--from", "2025-02", "--to", "2025-03"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "ashford,drugs,2025-02,", "ashford,drugs,2025-03,1"]


def test_cdrp_export_series_unknown_ids_are_one_line_errors(
        tmp_path: Path, kent: Path, measures_only: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.duckdb"
    ingest([kent], store, measures_only)
    capsys.readouterr()
    assert main(["export", "series", "--store", str(store), "--partnership", "kent"]) == 2
    assert "no partnership 'kent'" in capsys.readouterr().err
    assert main(["export", "series", "--store", str(store), "--measure", "arson"]) == 2
    assert "no series for measure 'arson'" in capsys.readouterr().err
    assert main(["export", "series", "--store", str(tmp_path / "none.duckdb")]) == 2
    assert "run `cdrp ingest` first" in capsys.readouterr().err


def test_export_values_print_whole_numbers_without_a_decimal_point() -> None:
    assert [format_value(v) for v in (None, float("nan"), 0.0, 12.0, 2.5, 1 / 3)] == [
        "", "", "0", "12", "2.5", repr(1 / 3)]


# --------------------------------------------------------------------------- demo data

def test_demo_data_ingests_and_exports(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from cdrp_lib.demo import write_demo

    manifest = write_demo(tmp_path / "demo", partnerships=2, months=24)
    store = tmp_path / "demo.duckdb"
    assert main(["ingest", str(tmp_path / "demo"), "--store", str(store),
                 "--params", str(PROJECT / "params")]) == 0
    out = capsys.readouterr().out
    assert f"Publication gaps: {manifest.force} {manifest.gap_month}" in out
    assert main(["export", "series", "--store", str(store), "--partnership", "ashcombe",
                 "--measure", "all-crime"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 24
    assert f"ashcombe,all-crime,{manifest.gap_month}," in lines
    with Store(store) as st:
        assert st.series("ashcombe-town-centre", "violent-crime").notna().sum() == 23
        assert st.series("ashcombe", "da-crimes").sum() > 0
        assert not st.series("brackenford", "survey-deal-with-issues").empty
        synthetic = st.con.execute("SELECT id FROM partnerships WHERE synthetic "
                                   "ORDER BY id").fetchall()
        # Demoshire's, and the Kettering 2009 replica's (params say synthetic; no data here)
        assert [r[0] for r in synthetic] == ["ashcombe", "ashcombe-town-centre", "brackenford",
                                             "calder-vale", "dunmore", "eastwick-and-fenby",
                                             "greyhaven", "kettering-2009",
                                             "kettering-2009-town-centre"]


# --------------------------------------------------------------------------- real data

@pytest.mark.parametrize("name", ["northamptonshire-2025.zip",
                                  "northamptonshire-2018-10-to-2019-02.zip",
                                  "city-of-london-2017-2021-flat.zip"])
def test_real_zip_counts_match_an_independent_count(tmp_path: Path, measures_only: Path,
                                                    name: str) -> None:
    archive = real_zip(name)
    store = tmp_path / "real.duckdb"
    report = ingest([archive], store, measures_only)
    assert report.exit_code == 0 and not report.rejects_by_rule
    expected = independent_counts(archive)
    assert stored_counts(store) == expected
    assert sum(s.kept for s in report.street) == sum(expected.values())


@pytest.mark.slow
def test_all_forces_zip_counts_match_an_independent_count(tmp_path: Path,
                                                          measures_only: Path) -> None:
    archive = real_zip("all-forces-2019-01.zip")
    store = tmp_path / "real.duckdb"
    report = ingest([archive], store, measures_only)
    assert len(report.street) == 41 and report.exit_code == 0
    assert stored_counts(store) == independent_counts(archive)


def test_kettering_series_spans_the_2021_boundary_change(tmp_path: Path) -> None:
    """2021 LSOAs say "North Northamptonshire"; params' lookup carries them to Kettering."""
    old = real_zip("northamptonshire-2018-10-to-2019-02.zip")
    new = real_zip("northamptonshire-2025.zip")
    store = tmp_path / "real.duckdb"
    report = ingest([old, new], store, PROJECT / "params")
    assert "northamptonshire 2019-03 to 2024-12 (70 months)" in gap_ranges(report.gaps)
    with Store(store) as st:
        kettering = st.series("kettering", "all-crime")
        assert kettering["2019-01"] > 0 and kettering["2025-06"] > 0
        assert kettering[["2020-06", "2023-01"]].isna().all()
        assert st.series("north-northamptonshire", "all-crime")["2025-06"] > \
            kettering["2025-06"]
