"""The store as ingest writes it and as everything downstream reads it.

Each test ingests a few tiny street files (and local extracts) written in
tmp_path with a small params folder, then reads through :class:`Store`: series
run from a force's first to last published month, a gap is NaN (never 0), a
month the force published with nothing in the area is 0, re-ingesting changes
nothing, new months append, and --strict writes nothing when a row is rejected.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cdrp_lib.errors import NotFoundError, StoreError
from cdrp_lib.ingest import RULE_GAP, RULE_REPLACED, RULE_UNKNOWN_PARTNERSHIP, ingest
from cdrp_lib.sources import police_uk as pu
from cdrp_lib.store import SCHEMA, Store

PROJECT = Path(__file__).resolve().parents[1]
HEADER_LINE = ",".join(pu.HEADER)


def crime_id_of(short: str) -> str:
    """A Crime ID as published (64 hex characters) standing for a short test name."""
    return hashlib.sha256(short.encode()).hexdigest() if short else ""


def row(crime_id: str = "", month: str = "2025-01", lsoa: str = "E01000001",
        name: str = "Ashford 001A", crime_type: str = "Burglary") -> str:
    crime_id = crime_id_of(crime_id)
    return (f"{crime_id},{month},Kent Police,Kent Police,0.8,51.1,On or near Park Road,"
            f"{lsoa},{name},{crime_type},Under investigation,")


def street(folder: Path, force: str, month: str, rows: Sequence[str]) -> Path:
    path = folder / month / f"{month}-{force}-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER_LINE, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def params(tmp_path: Path) -> Path:
    """The repo's measures, and two params partnerships: a grouping and a sub-area."""
    folder = tmp_path / "params"
    (folder / "partnerships").mkdir(parents=True)
    shutil.copy(PROJECT / "params" / "measures.yaml", folder / "measures.yaml")
    (folder / "partnerships" / "east-kent.yaml").write_text(
        "id: east-kent\nname: East Kent\narea:\n  districts: [Ashford, Canterbury]\n")
    (folder / "partnerships" / "ashford-centre.yaml").write_text(
        "id: ashford-centre\nname: Ashford Centre\narea:\n  lsoas: [E01000001]\n"
        "  parent: east-kent\npopulation:\n  2025: 5000\n")
    return folder


@pytest.fixture()
def kent(tmp_path: Path) -> Path:
    """Kent publishes January, nothing for February, an empty file for March, then April."""
    data = tmp_path / "data"
    street(data, "kent", "2025-01", [
        row("a"), row("b"), row("c", crime_type="Anti-social behaviour"),
        row("d", lsoa="E01000002", name="Canterbury 002B", crime_type="Public order"),
        row("e", lsoa="E01000002", name="Canterbury 002B", crime_type="Possession of weapons"),
    ])
    path = data / "2025-03" / "2025-03-kent-street.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER_LINE + "\n")
    street(data, "kent", "2025-04", [row("f", month="2025-04", lsoa="E01000005",
                                         name="Ashford 005C")])
    return data


def table_contents(store: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table sorted, ingest times left out, to compare two states of a store."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        out = {}
        for table in SCHEMA:
            cols = [c for c in con.execute(f"SELECT * FROM {table} LIMIT 0").df().columns
                    if c != "ingested_at"]
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(con.execute(f"SELECT {quoted} FROM {table}").fetchall(), key=repr)
        return out
    finally:
        con.close()


# --------------------------------------------------------------------------- series

def test_series_run_over_published_months_with_gaps_missing_not_zero(
        tmp_path: Path, kent: Path, params: Path) -> None:
    store = tmp_path / "store.duckdb"
    report = ingest([kent], store, params)
    assert report.gaps == (("kent", "2025-02"), ("kent", "2025-03"))
    with Store(store) as st:
        burglary = st.series("ashford", "burglary")
        assert list(burglary.index) == ["2025-01", "2025-02", "2025-03", "2025-04"]
        assert burglary.dtype == float
        assert burglary["2025-01"] == 2 and burglary["2025-04"] == 1
        assert math.isnan(burglary["2025-02"]) and math.isnan(burglary["2025-03"])
        canterbury = st.series("canterbury", "burglary")
        assert canterbury["2025-04"] == 0  # Kent published; none fell in Canterbury
        assert st.series("ashford", "all-crime")["2025-01"] == 2  # ASB is not crime
        assert st.series("ashford", "anti-social-behaviour")["2025-01"] == 1
        assert st.series("canterbury", "public-disorder-weapons")["2025-01"] == 2
        quality = st.quality_report()
        gaps = quality[quality["rule"] == RULE_GAP]
        assert sorted(gaps["found"]) == ["an empty file", "no file"]


def test_params_partnerships_group_districts_and_define_sub_areas(
        tmp_path: Path, kent: Path, params: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([kent], store, params)
    with Store(store) as st:
        ids = dict(st.partnerships())
        assert {"ashford", "canterbury", "east-kent", "ashford-centre"} <= set(ids)
        assert ids["east-kent"] == "East Kent"
        assert st.series("east-kent", "all-crime")["2025-01"] == 4
        assert st.series("ashford-centre", "all-crime").tolist()[0] == 2  # E01000001 only
        assert st.series("ashford-centre", "all-crime")["2025-04"] == 0


def test_auto_partnership_ids_are_slugs_of_district_names(tmp_path: Path, params: Path) -> None:
    data = tmp_path / "data"
    street(data, "leicestershire", "2025-01",
           [row("a", name="Hinckley and Bosworth 001A", lsoa="E01025600")])
    ingest([data], tmp_path / "s.duckdb", params)
    with Store(tmp_path / "s.duckdb") as st:
        assert ("hinckley-and-bosworth", "Hinckley and Bosworth") in st.partnerships()


def test_principal_force_gap_is_missing_for_the_partnership(tmp_path: Path,
                                                            params: Path) -> None:
    """Bedford's rows come mostly from Bedfordshire: its gap is Bedford's gap. Corby is a
    district of today's North Northamptonshire CSP (the shipped lookup), all of whose rows
    come from Northamptonshire."""
    data = tmp_path / "data"
    bed = "Bedford 001A"
    for month in ("2025-01", "2025-03"):
        street(data, "bedfordshire", month, [row(f"b{month}{i}", month=month, lsoa="E01017500",
                                                 name=bed) for i in range(3)])
    for month in ("2025-01", "2025-02", "2025-03", "2025-04"):
        street(data, "northamptonshire", month, [
            row(f"n{month}", month=month, lsoa="E01017500", name=bed),
            row(f"m{month}", month=month, lsoa="E01027000", name="Corby 001A")])
    ingest([data], tmp_path / "s.duckdb", params)
    with Store(tmp_path / "s.duckdb") as st:
        bedford = st.series("bedford", "burglary")
        assert list(bedford.index) == ["2025-01", "2025-02", "2025-03", "2025-04"]
        assert bedford["2025-01"] == 4 and bedford["2025-03"] == 4
        assert math.isnan(bedford["2025-02"]) and math.isnan(bedford["2025-04"])
        assert st.series("north-northamptonshire", "burglary").tolist() == [1, 1, 1, 1]


def test_series_filters_and_frame(tmp_path: Path, kent: Path, params: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([kent], store, params)
    with Store(store) as st:
        assert list(st.series("ashford", "burglary", first="2025-02", last="2025-03").index) == [
            "2025-02", "2025-03"]
        frame = st.series_frame(partnership="ashford", first="2025-04")
        assert list(frame.columns) == ["partnership", "measure", "month", "value", "denominator"]
        assert set(frame["month"]) == {"2025-04"}
        assert frame["denominator"].isna().all()
        with pytest.raises(ValueError, match="YYYY-MM"):
            st.series_frame(first="April")


def test_unknown_partnership_or_measure_raises_not_found(tmp_path: Path, kent: Path,
                                                         params: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([kent], store, params)
    with Store(store) as st:
        with pytest.raises(NotFoundError, match="'ashfrod'"):
            st.series("ashfrod", "burglary")
        with pytest.raises(NotFoundError, match="'burgalry'"):
            st.series("ashford", "burgalry")
        with pytest.raises(NotFoundError):
            st.da_events("nowhere")


def test_missing_store_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="cdrp ingest"):
        Store(tmp_path / "none.duckdb")


def test_many_readers_at_once(tmp_path: Path, kent: Path, params: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([kent], store, params)
    with Store(store) as a, Store(store) as b:
        assert a.latest_month() == b.latest_month() == "2025-04"


# --------------------------------------------------------------------------- idempotence, appends

def test_reingesting_the_same_files_changes_nothing(tmp_path: Path, kent: Path,
                                                    params: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([kent], store, params)
    before = table_contents(store)
    report = ingest([kent], store, params)
    assert table_contents(store) == before
    assert len(report.known) == 2 and not report.street  # the empty file is re-checked
    with Store(store) as st:
        assert len(st.input_files()) == 2


def test_new_months_append_and_a_republished_month_replaces(tmp_path: Path, kent: Path,
                                                            params: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([kent], store, params)
    more = tmp_path / "more"
    street(more, "kent", "2025-05", [row("g", month="2025-05")])
    street(more, "kent", "2025-01", [row("a")])  # January republished: one crime, not two
    report = ingest([more], store, params)
    assert [p.rule for p in report.problems if p.rule == RULE_REPLACED] == [RULE_REPLACED]
    with Store(store) as st:
        burglary = st.series("ashford", "burglary")
        assert burglary.index[-1] == "2025-05" and burglary["2025-05"] == 1
        assert burglary["2025-01"] == 1
        assert st.latest_month("police") == "2025-05"
        assert len(st.input_files()) == 4


# --------------------------------------------------------------------------- strict and exit codes

def test_strict_writes_nothing_when_a_row_is_rejected(tmp_path: Path, kent: Path,
                                                      params: Path) -> None:
    street(kent, "kent", "2025-06", [row("z", month="2025-06", crime_type="Littering")])
    store = tmp_path / "store.duckdb"
    report = ingest([kent], store, params, strict=True)
    assert report.exit_code == 1 and not report.written
    assert report.rejects_by_rule[pu.RULE_UNKNOWN_TYPE] == 1
    assert all(not rows for rows in table_contents(store).values())
    relaxed = ingest([kent], store, params)
    assert relaxed.exit_code == 0 and relaxed.written
    with Store(store) as st:
        assert st.latest_month() == "2025-04"  # June's only row was rejected
        rejected = st.quality_report().query("severity == 'error'")
        assert sorted(rejected["rule"]) == sorted([pu.RULE_UNKNOWN_TYPE, pu.RULE_EMPTY])


def test_unreadable_file_exits_non_zero_but_good_files_are_written(
        tmp_path: Path, kent: Path, params: Path) -> None:
    bad = kent / "2025-05" / "2025-05-kent-street.csv"
    bad.parent.mkdir()
    bad.write_text("Crime ID,Month\n1,2025-05\n")
    store = tmp_path / "store.duckdb"
    report = ingest([kent], store, params)
    assert report.exit_code == 1 and report.unreadable == (str(bad),)
    with Store(store) as st:
        assert st.latest_month() == "2025-04"


# --------------------------------------------------------------------------- local extracts

def test_domestic_abuse_events_go_to_every_area_containing_their_lsoa(
        tmp_path: Path, kent: Path, params: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "domestic_abuse.csv").write_text(
        "event_id,date,kind,victim_id,lsoa_code,partnership,marac_referral\n"
        "E1,2025-01-03,crime,V1,E01000001,,Y\n"
        "E2,2025-01-09,incident,V2,,canterbury,N\n"
        "E3,2025-02-11,crime,V1,E01000005,,N\n")
    store = tmp_path / "store.duckdb"
    ingest([kent, local], store, params)
    with Store(store) as st:
        assert list(st.da_events("ashford-centre")["event_id"]) == ["E1"]
        assert list(st.da_events("ashford")["event_id"]) == ["E1", "E3"]
        assert list(st.da_events("east-kent")["event_id"]) == ["E1", "E3"]
        assert list(st.da_events("canterbury")["event_id"]) == ["E2"]
        assert st.series("ashford", "da-crimes").tolist() == [1, 1]
        assert st.series("ashford", "marac-referrals").tolist() == [1, 0]
        assert st.latest_month("domestic_abuse") == "2025-02"


def test_survey_waves_become_proportion_series(tmp_path: Path, kent: Path,
                                               params: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "survey_counts.csv").write_text(
        "wave,partnership,question,weighted_yes,weighted_n,respondents,deff\n"
        "2025Q1,ashford,feel_safe_night,60,100,100,2\n"
        "2025Q1,atlantis,feel_safe_night,6,10,10,1\n")
    store = tmp_path / "store.duckdb"
    report = ingest([kent, local], store, params)
    assert [(p.rule, p.found) for p in report.problems if p.file == "survey waves"] == [
        (RULE_UNKNOWN_PARTNERSHIP, "atlantis")]
    with Store(store) as st:
        (wave,) = st.survey_waves("ashford").itertuples()
        assert (wave.month, wave.n_eff) == ("2025-03", 50)
        frame = st.series_frame("ashford", "survey-feel-safe-night")
        assert frame[["month", "value", "denominator"]].values.tolist() == [["2025-03", 30, 50]]
        assert st.latest_month("survey") == "2025-03"
        assert st.series("canterbury", "survey-feel-safe-night").empty  # known, none here
        assert st.latest_month("fire") is None  # a partner agency's source with no rows yet


def test_population_of_districts_and_partnerships(tmp_path: Path, kent: Path,
                                                  params: Path) -> None:
    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "population.csv").write_text(
        "district,year,population\nAshford,2025,130000\nCanterbury,2025,157000\n"
        "Ashford,2024,129000\n")
    store = tmp_path / "store.duckdb"
    ingest([kent, ref], store, params)
    with Store(store) as st:
        assert st.population("Ashford", 2025) == 130_000
        assert st.population("ashford", 2025) == 130_000
        assert st.population("east-kent", 2025) == 287_000
        assert st.population("east-kent", 2024) is None  # Canterbury 2024 is missing
        assert st.population("ashford-centre", 2025) is None  # a sub-area states its own


def test_population_tables_are_read_once_only_by_a_read_only_store(
        tmp_path: Path, kent: Path, params: Path) -> None:
    """A bulletin asks for populations hundreds of times: a read-only store reads each
    year's table once; a writable one reads it afresh, so it sees its own writes."""
    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "population.csv").write_text("district,year,population\nAshford,2025,130000\n"
                                        "Canterbury,2025,157000\n")
    store = tmp_path / "store.duckdb"
    ingest([kent, ref], store, params)
    with Store(store, read_only=False) as st:
        assert st.population("east-kent", 2025) == 287_000
        st.con.execute("UPDATE population SET population = 140000 WHERE district = 'Ashford'")
        assert st.population("east-kent", 2025) == 297_000
        assert st.population("Ashford", 2025) == 140_000
    with Store(store) as st:
        queries = 0
        real = st.con

        class Counting:
            def execute(self, *args: object) -> object:
                nonlocal queries
                queries += 1
                return real.execute(*args)

        st._con = Counting()  # type: ignore[assignment]
        for _ in range(3):
            assert st.population("east-kent", 2025) == 297_000
            assert st.population("Canterbury", 2025) == 157_000
        assert queries == 2  # the 2025 table and east-kent's districts, once each
        st._con = real


def test_quality_report_and_input_files_are_frames(tmp_path: Path, kent: Path,
                                                   params: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([kent], store, params)
    with Store(store) as st:
        assert isinstance(st.quality_report(), pd.DataFrame)
        files = st.input_files()
        assert list(files.columns) == ["sha256", "path", "kind", "rows", "ingested_at"]
        assert set(files["kind"]) == {"police-street"}
        assert sorted(files["rows"]) == [1, 5]


# --------------------------------------------------------------------------- damaged stores

def _ingested(tmp_path: Path, kent: Path, params: Path) -> Path:
    store = tmp_path / "store.duckdb"
    ingest([kent], store=store, params_dir=params)
    return store


def test_a_truncated_store_is_one_store_error_before_any_query(
        tmp_path: Path, kent: Path, params: Path) -> None:
    """DuckDB opens a truncated file and fails only at the first query reaching a lost block."""
    store = _ingested(tmp_path, kent, params)
    size = store.stat().st_size
    store.write_bytes(store.read_bytes()[: size // 2])
    with pytest.raises(StoreError, match=f"truncated \\({size // 2:,} bytes of the "):
        Store(store)
    with pytest.raises(StoreError, match="truncated"):
        ingest([kent], store=store, params_dir=params)


def test_a_duckdb_file_that_is_not_a_cdrp_store_is_refused_and_left_alone(
        tmp_path: Path, kent: Path, params: Path) -> None:
    store = tmp_path / "other.duckdb"
    con = duckdb.connect(str(store))
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.close()
    before = store.read_bytes()
    with pytest.raises(StoreError, match="not a cdrp store: a DuckDB database with orders"):
        ingest([kent], store=store, params_dir=params)
    with pytest.raises(StoreError, match="not a cdrp store"):
        Store(store)
    assert store.read_bytes() == before  # no cdrp table added to someone else's database


def test_a_store_without_a_column_it_needs_is_refused(tmp_path: Path, kent: Path,
                                                      params: Path) -> None:
    store = _ingested(tmp_path, kent, params)
    con = duckdb.connect(str(store))
    con.execute("ALTER TABLE series DROP COLUMN denominator")
    con.close()
    with pytest.raises(StoreError, match="its table series lacks the columns denominator"):
        Store(store)


@pytest.mark.parametrize("command", [
    ["export", "series"],
    ["assess", "--partnership", "ashford", "--measure", "burglary", "--month", "2025-03"],
    ["run", "--month", "2025-03", "--partnership", "ashford"],
])
def test_every_command_gives_a_damaged_store_exit_3_in_one_line(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from cdrp_lib.cli import EXIT_STORE, main

    store = tmp_path / "store.duckdb"
    store.write_bytes(b"not a database\n" * 100)
    assert main([*command, "--store", str(store)]) == EXIT_STORE
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "not a valid DuckDB database file" in err
