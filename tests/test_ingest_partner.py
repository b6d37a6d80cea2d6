"""Partner agencies' series end to end: series*.csv -> `cdrp ingest` -> the store's series.

Four sources as the model bulletin has them: fire (monthly), road safety (monthly, a
twelve-month mean), youth justice (financial quarters) and probation (a cohort by
financial year).  Every series row is asserted, the gaps NULL, each period at its
last month; then the partner series are rebuilt only when their files change, and
equal to a rebuild from the whole store.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cdrp_lib.cli import main
from cdrp_lib.ingest import KIND_PARTNER, format_report, incremental, ingest, rebuild
from cdrp_lib.ingest.run import _params_areas
from cdrp_lib.params import load_measures
from cdrp_lib.sources import partner_series as ps
from cdrp_lib.store import Store

REPO = Path(__file__).resolve().parents[1]

#: Added to the real measures.yaml, which already has primary-fires and secondary-fires.
MEASURES = """
  - {id: ksi, name: People killed or seriously injured, theme: summary, source: road-safety,
     polarity: lower_is_better, unit: mean_12_months}
  - {id: fte, name: First-time entrants, theme: summary, source: youth-justice,
     polarity: lower_is_better, frequency: quarterly}
  - {id: yj-reoffending, name: Youth reoffending, theme: summary, source: youth-justice,
     kind: proportion, polarity: lower_is_better, frequency: quarterly}
  - {id: cohort-reoffending, name: Cohort reoffending, theme: summary, source: probation,
     polarity: lower_is_better, unit: cohort_offences, frequency: annual}
"""

FIRE = """\
partnership,measure,period,value
kettering,primary-fires,2009-10,20
kettering,primary-fires,2009-12,18
nowhere,primary-fires,2009-12,1
kettering,primary-fires,2009-11,lots
"""
FIRE_DISTRICTS = """\
district,measure,period,value
Kettering,secondary-fires,2009-10,5
Corby,secondary-fires,2009-10,7
Kettering,secondary-fires,2009-11,6
Kettering,secondary-fires,2009-12,4
Corby,secondary-fires,2009-12,2
"""
ROADS = """\
lsoa_code,measure,period,value
E01027393,ksi,2009-11,1
E01027394,ksi,2009-11,2
E01027394,ksi,2010-01,1
"""
YOUTH = """\
partnership,measure,period,value,denominator
kettering,fte,2009/10 Q1,14,
kettering,fte,2009/10 Q3,11,
kettering,yj-reoffending,2009Q3,12,40
"""
PROBATION = """\
partnership,measure,period,value,cohort
kettering,cohort-reoffending,2008/09,560,380
kettering,cohort-reoffending,2009/10,290,371
"""
NAN = None
#: Every series row the files above make: (partnership, measure, month, value, denominator).
EXPECTED = sorted([
    ("kettering", "primary-fires", "2009-10", 20.0, NAN),
    ("kettering", "primary-fires", "2009-11", NAN, NAN),  # a gap between periods given
    ("kettering", "primary-fires", "2009-12", 18.0, NAN),
    ("kettering", "secondary-fires", "2009-10", 5.0, NAN),
    ("kettering", "secondary-fires", "2009-11", 6.0, NAN),
    ("kettering", "secondary-fires", "2009-12", 4.0, NAN),
    ("north-northants", "secondary-fires", "2009-10", 12.0, NAN),
    ("north-northants", "secondary-fires", "2009-11", NAN, NAN),  # Corby did not give it
    ("north-northants", "secondary-fires", "2009-12", 6.0, NAN),
    ("kettering", "ksi", "2009-11", 3.0, NAN),
    ("kettering", "ksi", "2009-12", NAN, NAN),
    ("kettering", "ksi", "2010-01", 1.0, NAN),
    ("kettering", "fte", "2009-06", 14.0, NAN),
    ("kettering", "fte", "2009-09", NAN, NAN),
    ("kettering", "fte", "2009-12", 11.0, NAN),
    ("kettering", "yj-reoffending", "2009-09", 12.0, 40.0),
    ("kettering", "cohort-reoffending", "2009-03", 560.0, 380.0),
    ("kettering", "cohort-reoffending", "2010-03", 290.0, 371.0),
], key=repr)


@pytest.fixture
def params(tmp_path: Path) -> Path:
    out = tmp_path / "params"
    (out / "partnerships").mkdir(parents=True)
    text = (REPO / "params" / "measures.yaml").read_text(encoding="utf-8")
    (out / "measures.yaml").write_text(text.rstrip("\n") + "\n" + MEASURES.lstrip("\n"),
                                       encoding="utf-8")
    shutil.copy(REPO / "params" / "bulletin.yaml", out / "bulletin.yaml")
    (out / "partnerships" / "kettering.yaml").write_text(
        "id: kettering\nname: Kettering CSP\n"
        "area: {districts: [Kettering], lsoas: [E01027393, E01027394]}\n", encoding="utf-8")
    (out / "partnerships" / "north-northants.yaml").write_text(
        "id: north-northants\nname: North Northamptonshire\n"
        "area: {districts: [Kettering, Corby]}\n", encoding="utf-8")
    return out


@pytest.fixture
def data(tmp_path: Path) -> Path:
    local = tmp_path / "data" / "local"
    local.mkdir(parents=True)
    for name, text in (("series-fire.csv", FIRE), ("series-fire-districts.csv", FIRE_DISTRICTS),
                       ("series-roads.csv", ROADS), ("series-youth.csv", YOUTH),
                       ("series-probation.csv", PROBATION)):
        (local / name).write_text(text, encoding="utf-8")
    return tmp_path / "data"


def _series(store: Path) -> list[tuple[Any, ...]]:
    measures = sorted({m for m, in _rows(store, "SELECT DISTINCT measure FROM partner_values")})
    rows = _rows(store, "SELECT partnership, measure, month, value, denominator FROM series "
                 f"WHERE measure IN ({', '.join(repr(m) for m in measures)})")
    return sorted((tuple(None if isinstance(x, float) and math.isnan(x) else x for x in r)
                   for r in rows), key=repr)


def _rows(store: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_cdrp_ingest_makes_every_series_row(params: Path, data: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store.duckdb"
    code = main(["ingest", str(data), "--store", str(store), "--params", str(params)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert _series(store) == EXPECTED
    # every row accounted for: 17 read, 16 kept, 1 rejected; the kept row of 'nowhere'
    # is held in the store, in no partnership, and said to be
    assert f"{KIND_PARTNER} rows: 17 read, 16 kept, 1 rejected; 1 held in the store are in " \
           "no partnership" in out
    assert "series-fire.csv, line 5, column 'value': invalid value" in out
    assert "series-fire.csv, line 4, column 'partnership': no such partnership" in out
    quality = _rows(store, "SELECT file, line, rule, severity FROM data_quality "
                    "WHERE file LIKE '%series-fire.csv' ORDER BY line")
    assert [(line, rule) for _, line, rule, _ in quality] == [
        (4, ps.RULE_NO_PARTNERSHIP), (5, ps.RULE_VALUE)]
    with Store(store) as st:
        fte = st.series("kettering", "fte")
        assert fte.index.tolist() == ["2009-06", "2009-09", "2009-12"]
        assert fte.tolist()[0] == 14.0 and math.isnan(fte.tolist()[1])
        assert st.latest_month("probation") == "2010-03"
        assert st.latest_month("youth-justice") == "2009-12"
        assert st.latest_month("council") is None


def test_strict_writes_nothing_when_a_row_is_in_no_partnership(params: Path, data: Path,
                                                                tmp_path: Path) -> None:
    (data / "local" / "series-fire.csv").write_text(
        "\n".join(FIRE.splitlines()[:4]) + "\n", encoding="utf-8")  # no bad value left
    report = ingest([data], store=tmp_path / "s.duckdb", params_dir=params, strict=True)
    assert not report.written and report.exit_code == 1
    assert report.rejects_by_rule == {ps.RULE_NO_PARTNERSHIP: 1}


def test_a_later_file_replaces_its_periods(params: Path, data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([data], store=store, params_dir=params)
    fix = tmp_path / "fix"
    fix.mkdir()
    (fix / "series-fire-nov.csv").write_text(
        "partnership,measure,period,value\nkettering,primary-fires,2009-11,9\n", encoding="utf-8")
    ingest([fix], store=store, params_dir=params)
    expected = [r if r[:3] != ("kettering", "primary-fires", "2009-11")
                else (*r[:3], 9.0, None) for r in EXPECTED]
    assert _series(store) == expected
    _assert_same_as_full(store, params, tmp_path)


def _full_rebuild_tables(store: Path, params: Path, tmp: Path) -> dict[str, list[Any]]:
    copy = tmp / "full.duckdb"
    shutil.copy(store, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {incremental.CACHE} CASCADE")
        rebuild(con, load_measures(params), _params_areas(params))
    return _tables(copy)


def _tables(store: Path) -> dict[str, list[Any]]:
    tables = [t for t, in _rows(store, "SELECT table_name FROM information_schema.tables "
                                "WHERE table_schema = 'main' ORDER BY 1")]
    return {t: sorted(_rows(store, f"SELECT * FROM {t}"), key=repr) for t in tables}


def _assert_same_as_full(store: Path, params: Path, tmp: Path) -> None:
    ours, full = _tables(store), _full_rebuild_tables(store, params, tmp)
    assert ours.keys() == full.keys()
    for table in ours:
        assert ours[table] == full[table], table


def _redone(monkeypatch: pytest.MonkeyPatch) -> list[incremental.Changes]:
    seen: list[incremental.Changes] = []
    plan = incremental.plan_changes

    def spy(*args: Any) -> incremental.Changes:
        seen.append(plan(*args))
        return seen[-1]

    monkeypatch.setattr(incremental, "plan_changes", spy)
    return seen


def test_partner_series_are_rebuilt_only_when_their_inputs_change(
        params: Path, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store.duckdb"
    seen = _redone(monkeypatch)
    ingest([data], store=store, params_dir=params)
    assert KIND_PARTNER in seen[-1].redo
    _assert_same_as_full(store, params, tmp_path)

    # another kind's file: the partner series are left as they are
    other = tmp_path / "other"
    other.mkdir()
    (other / "population-2009.csv").write_text("district,year,population\nKettering,2009,"
                                               "90000\n", encoding="utf-8")
    before = _series(store)
    ingest([other], store=store, params_dir=params)
    assert KIND_PARTNER not in seen[-1].redo and not seen[-1].full
    assert _series(store) == before
    _assert_same_as_full(store, params, tmp_path)

    # a new partner file: they are made again
    more = tmp_path / "more"
    more.mkdir()
    (more / "series-probation-2010.csv").write_text(
        "partnership,measure,period,value,cohort\n"
        "kettering,cohort-reoffending,2011/12,250,360\n", encoding="utf-8")
    ingest([more], store=store, params_dir=params)
    assert KIND_PARTNER in seen[-1].redo
    rows = [r for r in _series(store) if r[1] == "cohort-reoffending"]
    assert [r[2:] for r in rows] == [("2009-03", 560.0, 380.0), ("2010-03", 290.0, 371.0),
                                     ("2011-03", None, None), ("2012-03", 250.0, 360.0)]
    _assert_same_as_full(store, params, tmp_path)

    # a params partnership gained: the district rows are placed in it too
    (params / "partnerships" / "corby.yaml").write_text(
        "id: corby\nname: Corby CSP\narea: {districts: [Corby]}\n", encoding="utf-8")
    ingest([more], store=store, params_dir=params)
    assert KIND_PARTNER in seen[-1].redo
    assert ("corby", "secondary-fires", "2009-12", 2.0, None) in _series(store)
    _assert_same_as_full(store, params, tmp_path)


def test_the_report_counts_every_partner_row(params: Path, data: Path, tmp_path: Path) -> None:
    report = ingest([data], store=tmp_path / "s.duckdb", params_dir=params)
    files = [r for r in report.local if r.kind == KIND_PARTNER]
    assert sorted((Path(r.name).name, r.rows, r.rejected) for r in files) == [
        ("series-fire-districts.csv", 5, 0), ("series-fire.csv", 3, 1),
        ("series-probation.csv", 2, 0), ("series-roads.csv", 3, 0), ("series-youth.csv", 3, 0)]
    assert "series-fire.csv: 3 rows kept, 1 rejected" in format_report(report)


def test_rows_in_no_partnership_name_their_line_and_the_nearest(params: Path, tmp_path: Path
                                                                ) -> None:
    local = tmp_path / "nowhere"
    local.mkdir()
    (local / "series-a.csv").write_text("partnership,measure,period,value\n"
                                        "ketterin,primary-fires,2009-12,1\n", encoding="utf-8")
    (local / "series-b.csv").write_text("district,measure,period,value\n"
                                        "Ketering,primary-fires,2009-12,1\n"
                                        "Kettering,primary-fires,2009-12,2\n", encoding="utf-8")
    (local / "series-c.csv").write_text("lsoa_code,measure,period,value\n"
                                        "E01099999,ksi,2009-12,1\n"
                                        "E01027393,ksi,2009-12,1\n", encoding="utf-8")
    report = ingest([local], store=tmp_path / "s.duckdb", params_dir=params)
    found = sorted(((Path(p.file).name, p.line, p.column, p.rule, p.expected, p.found)
                    for p in report.problems if p.severity == "error"), key=repr)
    assert found == [
        ("series-a.csv", 2, "partnership", ps.RULE_NO_PARTNERSHIP,
         "a partnership of the store or the params (nearest: kettering)", "'ketterin'"),
        ("series-b.csv", 2, "district", ps.RULE_NO_DISTRICT,
         "a district of a partnership of the store or the params (nearest: Kettering)",
         "'Ketering'"),
        ("series-c.csv", 2, "lsoa_code", ps.RULE_LSOA_OUTSIDE,
         "an LSOA inside a partnership's area (in the police data or a params area)",
         "'E01099999'"),
    ]
    with Store(tmp_path / "s.duckdb") as st:  # the rows placed make their series
        assert st.series("kettering", "primary-fires").tolist() == [2.0]
        assert st.series("kettering", "ksi").tolist() == [1.0]
        assert st.series("north-northants", "primary-fires").tolist() == [2.0]
