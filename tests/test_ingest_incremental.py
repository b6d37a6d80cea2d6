"""An incremental rebuild leaves the store exactly as a rebuild from the whole store would.

A small SYNTHETIC county is ingested a few months at a time, then its partner
extracts, a replaced month, the month of its publication gap, a params
partnership and a measure change; after every step the store is copied, its
rebuild cache dropped, and rebuilt from scratch: every table of ``main`` must
be equal, row for row.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cdrp_lib.demo import DemoManifest, write_demo
from cdrp_lib.ingest import incremental, ingest, rebuild
from cdrp_lib.ingest.run import _params_areas
from cdrp_lib.params import load_measures

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return write_demo(tmp_path_factory.mktemp("county") / "demo", partnerships=2, months=24,
                      last_month="2024-12", seed=11)


@pytest.fixture
def params(tmp_path: Path) -> Path:
    out = tmp_path / "params"
    out.mkdir()
    shutil.copy(REPO / "params" / "measures.yaml", out / "measures.yaml")
    return out


def _main_tables(store: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(store), read_only=True) as con:
        tables = [str(r[0]) for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in tables}


def _full_rebuild(store: Path, params: Path, tmp: Path) -> Path:
    copy = tmp / "full.duckdb"
    shutil.copy(store, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(f"DROP SCHEMA IF EXISTS {incremental.CACHE} CASCADE")
        rebuild(con, load_measures(params), _params_areas(params))
    finally:
        con.close()
    return copy


def _assert_same_as_full(store: Path, params: Path, tmp: Path) -> None:
    ours, full = _main_tables(store), _main_tables(_full_rebuild(store, params, tmp))
    assert ours.keys() == full.keys()
    for table in ours:
        assert ours[table] == full[table], table
    assert ours["series"], "a series was made"


def _changes(store: Path, params: Path) -> incremental.Changes:
    """What the next rebuild of ``store`` would redo (found by rebuilding a copy)."""
    copy = store.with_suffix(".probe.duckdb")
    shutil.copy(store, copy)
    seen: list[incremental.Changes] = []
    plan = incremental.plan_changes

    def spy(*args: Any) -> incremental.Changes:
        seen.append(plan(*args))
        return seen[-1]

    con = duckdb.connect(str(copy))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(incremental, "plan_changes", spy)
            rebuild(con, load_measures(params), _params_areas(params))
    finally:
        con.close()
        copy.unlink()
    return seen[0]


def _months(county: DemoManifest, tmp: Path, name: str, months: list[str]) -> Path:
    """A folder holding the county's street files for ``months``."""
    out = tmp / name
    for relative in county.files:
        if relative.startswith("police_uk/") and relative.split("/")[1] in months:
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(county.out_dir / relative, target)
    return out


def _with_month(source: Path, month: str, target: Path, drop_every: int = 0) -> Path:
    """``source``'s street file rewritten as ``month`` (every ``drop_every``th row left out)."""
    old = source.name[:7]
    lines = source.read_text(encoding="utf-8").splitlines()
    body = [line.replace(f",{old},", f",{month},", 1) for line in lines[1:]]
    if drop_every:
        body = [line for i, line in enumerate(body) if i % drop_every]
    path = target / month / f"{month}-{source.name[8:]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    return path


def test_incremental_rebuild_equals_a_full_one(county: DemoManifest, params: Path,
                                               tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    police = sorted({f.split("/")[1] for f in county.files if f.startswith("police_uk/")})
    ingest([_months(county, tmp_path, "a", police[:18])], store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)

    # two new months: only they are recomputed
    new = _months(county, tmp_path, "b", police[18:20])
    ingest([new], store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)

    # the partner extracts and populations: DA series made once, then left alone
    local = [county.out_dir / "local", county.out_dir / "reference"]
    ingest(local, store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)
    nothing = _changes(store, params)
    assert (nothing.full, nothing.force_months, nothing.partnerships, nothing.da) == (
        False, (), (), False)

    # a replaced month (fewer rows) and the rest of the months
    replaced = police[5]
    source = county.out_dir / f"police_uk/{replaced}/{replaced}-demoshire-street.csv"
    fix = tmp_path / "fix"
    _with_month(source, replaced, fix, drop_every=7)
    for month in police[20:]:
        shutil.copytree(_months(county, tmp_path, f"m{month}", [month]), fix,
                        dirs_exist_ok=True)
    ingest([fix], store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)

    # the publication gap filled late: gaps and the NULL month change
    gap = county.gap_month
    before = sorted(police)[police.index(str(gap)) - 1] if gap in police else None
    assert before is None  # the gap month has no file
    previous = [m for m in police if m < gap][-1]
    _with_month(county.out_dir / f"police_uk/{previous}/{previous}-demoshire-street.csv", gap,
                tmp_path / "gap")
    ingest([tmp_path / "gap"], store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)
    with duckdb.connect(str(store), read_only=True) as con:
        assert not con.execute("SELECT count(*) FROM series WHERE measure = 'burglary' "
                               "AND value IS NULL").fetchone()[0]  # type: ignore[index]

    # a neighbouring force, months later, with a few crimes in the county's LSOAs: the
    # partnerships' spans reach its month, and the months between are NULL
    last = police[-1]
    later = f"{int(last[:4]) + 1}-{last[5:]}"
    source = county.out_dir / f"police_uk/{last}/{last}-demoshire-street.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    lines = [lines[0], *(line.replace("Demoshire Police", "Neighbour Police")
                         for line in lines[1:40])]
    (tmp_path / "neighbour" / later).mkdir(parents=True)
    (tmp_path / "neighbour" / later / f"{later}-neighbour-street.csv").write_text(
        "\n".join(line.replace(f",{last},", f",{later},", 1) for line in lines) + "\n",
        encoding="utf-8")
    ingest([tmp_path / "neighbour"], store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM series WHERE measure = 'burglary' "
                           "AND value IS NULL").fetchone()[0] > 0  # type: ignore[index]


def test_new_month_recomputes_only_its_force_month(county: DemoManifest, params: Path,
                                                   tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    police = sorted({f.split("/")[1] for f in county.files if f.startswith("police_uk/")})
    ingest([_months(county, tmp_path, "a", police[:-1])], store=store, params_dir=params)
    last = _months(county, tmp_path, "b", police[-1:])
    seen: list[incremental.Changes] = []
    plan = incremental.plan_changes

    def spy(*args: Any) -> incremental.Changes:
        seen.append(plan(*args))
        return seen[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(incremental, "plan_changes", spy)
        ingest([last], store=store, params_dir=params)
    (changes,) = seen
    assert not changes.full and changes.force_months == (("demoshire", police[-1]),)
    assert not changes.da and not changes.partnerships
    _assert_same_as_full(store, params, tmp_path)


def test_counts_written_outside_an_ingest_rebuild_everything(
        county: DemoManifest, params: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([county.out_dir], store=store, params_dir=params)
    with duckdb.connect(str(store)) as con:
        con.execute("UPDATE police_counts SET n = n + 1 WHERE rowid = 0")
    assert _changes(store, params).full
    with duckdb.connect(str(store)) as con:
        rebuild(con, load_measures(params), _params_areas(params))
    _assert_same_as_full(store, params, tmp_path)


def test_params_changes_redo_their_partnerships_and_measures_everything(
        county: DemoManifest, params: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    ingest([county.out_dir], store=store, params_dir=params)
    # a params partnership (the town centre): its months only, and the DA events again
    (params / "partnerships").mkdir()
    shutil.copy(REPO / "params" / "partnerships" / "ashcombe-town-centre.yaml",
                params / "partnerships")
    shutil.copy(REPO / "params" / "partnerships" / "ashcombe.yaml", params / "partnerships")
    changes = _changes(store, params)
    assert not changes.full and changes.partnerships == ("ashcombe-town-centre",)
    assert changes.da and not changes.force_months
    ingest([county.out_dir], store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)
    assert not _changes(store, params).full

    # a measure with another category: a full rebuild
    text = (params / "measures.yaml").read_text(encoding="utf-8")
    assert "categories: [shoplifting]" in text
    (params / "measures.yaml").write_text(text.replace(
        "categories: [shoplifting]", "categories: [shoplifting, other-theft]", 1),
        encoding="utf-8")
    if load_measures(params) == load_measures(REPO / "params"):
        pytest.fail("the measure edit did not take: measures.yaml's layout changed")
    assert _changes(store, params).full
    ingest([county.out_dir], store=store, params_dir=params)
    _assert_same_as_full(store, params, tmp_path)
