"""The SYNTHETIC national demo: a country of forces and partnerships, deterministic."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from cdrp_lib.areas import district_from_lsoa_name, slugify
from cdrp_lib.cli import main
from cdrp_lib.demo import DISTRICT_NAMES
from cdrp_lib.demo.common import digest
from cdrp_lib.demo.national import (
    DEFAULT_NATIONAL,
    LOOKUP_FILE,
    LOOKUP_HEADER,
    MAX_NATIONAL,
    NATIONAL_FORCES,
    NationalManifest,
    _country,
    district_names,
    force_shares,
    write_national,
)
from cdrp_lib.ingest.report import SYNTHETIC_FORCES

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> NationalManifest:
    """16 partnerships in two forces: 8 each, so each force has multi-district CSPs."""
    return write_national(tmp_path_factory.mktemp("national") / "demo", partnerships=16,
                          months=14, last_month="2024-06", seed=5)


def _lookup(manifest: NationalManifest) -> pd.DataFrame:
    raw = (manifest.out_dir / LOOKUP_FILE).read_bytes()
    assert raw.startswith("\ufeff".encode())  # as the ONS file has
    return pd.read_csv(manifest.out_dir / LOOKUP_FILE, encoding="utf-8-sig", dtype=str)


def test_the_default_country_has_at_least_300_partnerships_in_several_forces() -> None:
    import numpy as np

    by_force, csps = _country(DEFAULT_NATIONAL, np.random.default_rng([1, 0]))
    assert len(csps) == DEFAULT_NATIONAL >= 300
    assert len(by_force) >= 4
    assert sum(1 for p in csps if len(p.districts) > 1) >= 3 * len(by_force)
    assert len({p.id for p in csps}) == len(csps)
    codes = [d.lsoa_code(j) for ds in by_force for d in ds for j in range(1, d.lsoas + 1)]
    assert len(set(codes)) == len(codes) and all(re.fullmatch(r"E018\d{5}", c) for c in codes)


@pytest.mark.parametrize("partnerships", [4, 20, 41, 300, MAX_NATIONAL])
def test_partnerships_are_spread_over_forces(partnerships: int) -> None:
    shares = force_shares(partnerships)
    assert sum(shares) == partnerships
    assert 2 <= len(shares) <= len(NATIONAL_FORCES)
    assert max(shares) - min(shares) <= 1


def test_files_and_forces(country: NationalManifest) -> None:
    police = [f for f in country.files if f.startswith("police_uk/")]
    layout = [re.fullmatch(r"police_uk/(\d{4}-\d{2})/\1-([a-z]+)-street\.csv", f)
              for f in police]
    forces = {m.group(2) for m in layout if m}
    assert len(forces) and all(layout)
    assert forces == set(country.forces) and len(forces) == 2
    assert set(country.forces) <= SYNTHETIC_FORCES
    assert {f for f, _ in NATIONAL_FORCES} <= SYNTHETIC_FORCES  # every page marked SYNTHETIC
    # one force misses one month; every other force-month is there
    assert len(police) == len(forces) * 14 - 1
    gap_file = f"police_uk/{country.gap_month}/{country.gap_month}-{country.gap_force}-street.csv"
    assert gap_file not in police
    readme = (country.out_dir / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# SYNTHETIC") and country.gap_month in readme


def test_lookup_names_every_district_once_with_its_csp_and_force(
        country: NationalManifest) -> None:
    lookup = _lookup(country)
    assert ",".join(lookup.columns) == LOOKUP_HEADER
    assert sorted(lookup["LAD17NM"]) == sorted(country.districts)
    assert lookup["LAD17CD"].is_unique
    by_csp = lookup.groupby("CSP17NM")["LAD17NM"].apply(sorted).to_dict()
    assert by_csp == {p.name: sorted(p.districts) for p in country.partnerships}
    assert all(lookup.groupby("CSP17NM")["PFA17NM"].nunique() == 1)
    assert any(len(v) == 3 for v in by_csp.values())
    assert any(len(v) == 2 for v in by_csp.values())


def test_street_rows_name_districts_of_the_lookup_and_their_own_force(
        country: NationalManifest) -> None:
    lookup = _lookup(country)
    force_of = dict(zip(lookup["LAD17NM"], lookup["PFA17NM"], strict=True))
    names = dict(NATIONAL_FORCES)
    seen: Counter[str] = Counter()
    for relative in country.files:
        if not relative.startswith("police_uk/"):
            continue
        force = relative.rsplit("-", 2)[-2].split("/")[-1].removeprefix(relative[10:17] + "-")
        with (country.out_dir / relative).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert {r["Reported by"] for r in rows} == {names[force]}
        for r in rows:
            if r["LSOA name"]:
                district = district_from_lsoa_name(r["LSOA name"])
                assert district is not None and force_of[district] == names[force]
                seen[district] += 1
    assert set(seen) == set(country.districts)


def test_partner_files_use_partnership_ids(country: NationalManifest) -> None:
    survey = pd.read_csv(country.out_dir / "local" / "survey_responses.csv", dtype=str)
    assert set(survey["partnership"]) == set(country.partnership_ids)
    da = pd.read_csv(country.out_dir / "local" / "domestic_abuse.csv", dtype=str)
    named = set(da["partnership"].dropna())
    assert named and named <= set(country.partnership_ids)
    assert da["lsoa_code"].dropna().str.fullmatch(r"E018\d{5}").all()


def test_no_district_is_real_or_a_county_one() -> None:
    import numpy as np

    names = district_names(440, np.random.default_rng(0))
    assert len(set(names)) == 440 and len({slugify(n) for n in names}) == 440
    assert not set(names) & set(DISTRICT_NAMES)
    lookup = SHARED / "data" / "ons" / "lad-to-csp-to-pfa-2017.csv"
    if not lookup.is_file():
        pytest.skip(f"{lookup.parent} is absent: clone the shared data beside the repository")
    real = set(pd.read_csv(lookup, encoding="utf-8-sig")["LAD17NM"])
    assert not real & set(names)


def test_same_arguments_give_the_same_bytes(tmp_path: Path, country: NationalManifest) -> None:
    again = write_national(tmp_path / "again", partnerships=16, months=14,
                           last_month="2024-06", seed=5)
    assert again.files == country.files
    assert digest(again.out_dir, again.files) == digest(country.out_dir, country.files)
    other = write_national(tmp_path / "other", partnerships=16, months=14,
                           last_month="2024-06", seed=6)
    assert digest(other.out_dir, other.files) != digest(country.out_dir, country.files)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="partnerships"):
        write_national(tmp_path / "x", partnerships=MAX_NATIONAL + 1)
    with pytest.raises(ValueError, match="months"):
        write_national(tmp_path / "x", partnerships=4, months=12)


def test_cli_writes_the_country(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo-data", "--national", "--out", str(tmp_path / "cli"), "--partnerships",
                 "5", "--months", "13", "--last-month", "2024-12"])
    out = capsys.readouterr().out
    assert code == 0
    assert "SYNTHETIC national demo data: 5 fictional partnerships" in out
    assert "publication gap" in out


@pytest.fixture(scope="module")
def ingested(country: NationalManifest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The country ingested (its lookup with it) into a new store, with the repo's measures."""
    from cdrp_lib.ingest import ingest

    work = tmp_path_factory.mktemp("national-store")
    params = work / "params"
    params.mkdir()
    repo = Path(__file__).resolve().parents[1]
    (params / "measures.yaml").write_bytes((repo / "params" / "measures.yaml").read_bytes())
    report = ingest([country.out_dir], store=work / "s.duckdb", params_dir=params)
    assert report.gaps == ((country.gap_force, country.gap_month),)
    return work / "s.duckdb"


def test_ingested_country_flags_every_partnership_synthetic(ingested: Path) -> None:
    import duckdb

    with duckdb.connect(str(ingested), read_only=True) as con:
        rows = con.execute("SELECT id, synthetic FROM partnerships").fetchall()
    assert rows and all(synthetic for _, synthetic in rows)


def test_the_default_country_has_32_multi_district_csps() -> None:
    import numpy as np

    _, csps = _country(DEFAULT_NATIONAL, np.random.default_rng([1, 0]))
    assert sum(1 for p in csps if len(p.districts) > 1) == 32


def test_ingest_groups_every_multi_district_csp_with_its_summed_population(
        country: NationalManifest, ingested: Path) -> None:
    """The lookup the demo writes is read by ingest: each CSP is one partnership, whose
    districts, force and population (the sum of its districts') are the lookup's."""
    import duckdb

    from cdrp_lib.store import Store

    with duckdb.connect(str(ingested), read_only=True) as con:
        ids = {str(r[0]) for r in con.execute(
            "SELECT id FROM partnerships WHERE source = 'auto'").fetchall()}
        districts = con.execute("SELECT partnership, district FROM partnership_districts"
                                ).fetchall()
        forces = dict(con.execute("SELECT partnership, force FROM partnership_forces"
                                  ).fetchall())
        series = {str(r[0]) for r in con.execute("SELECT DISTINCT partnership FROM series "
                                                 "WHERE measure = 'burglary'").fetchall()}
    assert ids == set(country.partnership_ids)
    population = pd.read_csv(country.out_dir / "reference" / "population.csv")
    year = int(country.last_month[:4])
    by_district = dict(zip(population.loc[population["year"] == year, "district"],
                           population.loc[population["year"] == year, "population"],
                           strict=True))
    multi = [p for p in country.partnerships if len(p.districts) > 1]
    assert len(multi) == 8
    with Store(ingested) as store:
        for p in multi:
            assert sorted(d for pid, d in districts if pid == p.id) == sorted(p.districts)
            assert forces[p.id] == p.force and p.id in series
            assert store.population(p.id, year) == sum(by_district[d] for d in p.districts)
            assert all(slugify(d) not in ids for d in p.districts)
