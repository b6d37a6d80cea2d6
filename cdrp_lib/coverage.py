"""Which partnerships the data can report on, and for which months.

A Community Safety Partnership is reportable for a month only when every police
force policing its districts published that month: a force's file locates a
few of its crimes in its neighbours' districts, and counting those as the
neighbours' series would publish "Barnet: 0 crimes" for every month.  So the
automatic partnerships are the CSPs (today's ONS grouping of districts, from
the shipped reference table, ``cdrp_lib/data/districts.csv``, overridden for the
districts it lists by a lookup of the user's own: :func:`store_reference`) whose
forces are all in the store; rows located in other districts are counted once, in the
ingest summary, and form no partnership.

A district the reference does not know (the demo's fictional county) is a
partnership of its own, policed by the force that located most rows in it, as
long as that force is not one the reference knows (a real force's stray rows
in an unknown name form nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.areas import PartnershipArea, Reference, district_area, reference, slugify

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

SOURCE_AUTO = "auto"
SOURCE_PARAMS = "params"


def store_reference(con: duckdb.DuckDBPyConnection) -> Reference:
    """The shipped reference with the store's own lookup laid over it (the ``csp_lookup``
    table: every ``lad-to-csp-to-pfa*.csv`` ingested, cdrp_lib.sources.csp_lookup).

    A district the lookup lists is today's district of its own name, in the lookup's
    CSP and force; so its CSP's districts form one partnership whose population is theirs.
    """
    from cdrp_lib.areas import DistrictRef

    rows = con.execute("SELECT district, csp, force FROM csp_lookup ORDER BY district"
                       ).fetchall()
    if not rows:
        return reference()
    return reference().overridden(DistrictRef(str(d), str(d), str(c), str(f))
                                  for d, c, f in rows)


def reference_population() -> pd.DataFrame:
    """``district, year, population`` of every district in the shipped table."""
    import pandas as pd

    from cdrp_lib.areas import DISTRICT_POPULATION_FILE

    frame = pd.read_csv(DISTRICT_POPULATION_FILE, dtype={"district": str})
    return frame[["district", "year", "population"]]


@dataclass(frozen=True)
class Partitioned:
    """The automatic partnerships, and what was left out of them."""

    areas: dict[str, tuple[str, PartnershipArea]]
    forces: dict[str, frozenset[str]]          # partnership -> forces policing it
    population_districts: dict[str, tuple[str, ...]]
    outside: frozenset[str]                     # districts whose force is not in the store


def auto_partnerships(districts: Iterable[str], forces_in_store: Iterable[str],
                      principal: Mapping[str, str], ref: Reference | None = None) -> Partitioned:
    """The CSPs (or unknown districts) the store can report on.

    ``districts`` are the district names read from LSOA names; ``principal`` maps an
    unknown district's name to the force that located most rows in it.
    """
    ref = ref or reference()
    present = set(forces_in_store)
    areas: dict[str, tuple[str, PartnershipArea]] = {}
    forces: dict[str, frozenset[str]] = {}
    population: dict[str, tuple[str, ...]] = {}
    outside: set[str] = set()
    for district in sorted(set(districts)):
        known = ref.districts.get(district)
        if known is None:
            force = principal.get(district, "")
            if not force or force in ref.forces:
                outside.add(district)
                continue
            area = district_area(district)
            areas[area.id] = (district, area)
            forces[area.id] = frozenset({force})
            population[area.id] = (district,)
            continue
        csp_forces = {ref.districts[d].force for d in ref.csp_districts(known.csp)}
        if not csp_forces <= present:
            outside.add(district)
            continue
        pid = slugify(known.csp)
        if pid not in areas:
            areas[pid] = (known.csp, PartnershipArea(
                id=pid, name=known.csp, districts=frozenset(ref.csp_districts(known.csp))))
            forces[pid] = frozenset(csp_forces)
            population[pid] = ref.current_districts(known.csp)
    return Partitioned(areas, forces, population, frozenset(outside))


def params_forces(area: PartnershipArea, principal: str | None,
                  ref: Reference | None = None) -> frozenset[str]:
    """Forces policing a params area: those of its known districts, else the principal force."""
    ref = ref or reference()
    found = {ref.districts[d].force for d in area.districts if d in ref.districts}
    if principal and (area.lsoas or not found or any(d not in ref.districts
                                                      for d in area.districts)):
        found.add(principal)
    return frozenset(found)


@dataclass(frozen=True)
class Coverage:
    """One partnership of the store: its districts, forces and the months it can report."""

    id: str
    name: str
    source: str
    districts: tuple[str, ...]
    forces: tuple[str, ...]
    months: tuple[str, ...]

    @property
    def span(self) -> str:
        """``2025-01 to 2025-12 (12 months)``, or ``none``."""
        if not self.months:
            return "none"
        first, last, n = self.months[0], self.months[-1], len(self.months)
        return first if n == 1 else f"{first} to {last} ({n} months)"


_COVERAGE_SQL = """
    WITH published AS (SELECT DISTINCT force, month FROM force_months WHERE rows > 0),
    needed AS (SELECT partnership, count(*) AS n FROM partnership_forces GROUP BY ALL),
    have AS (
        SELECT pf.partnership, p.month, count(*) AS n
        FROM partnership_forces pf JOIN published p USING (force) GROUP BY ALL)
    SELECT h.partnership, h.month FROM have h JOIN needed USING (partnership)
    WHERE h.n = needed.n ORDER BY 1, 2"""


def coverage(con: duckdb.DuckDBPyConnection, month: str | None = None) -> list[Coverage]:
    """Every partnership of the store with the months all its forces published.

    With ``month``, only the partnerships reportable in that month.
    """
    months: dict[str, list[str]] = {}
    for pid, m in con.execute(_COVERAGE_SQL).fetchall():
        months.setdefault(str(pid), []).append(str(m))
    forces: dict[str, list[str]] = {}
    for pid, force in con.execute("SELECT partnership, force FROM partnership_forces "
                                  "ORDER BY 1, 2").fetchall():
        forces.setdefault(str(pid), []).append(str(force))
    districts: dict[str, list[str]] = {}
    for pid, d in con.execute("SELECT partnership, district FROM partnership_districts "
                              "ORDER BY 1, 2").fetchall():
        districts.setdefault(str(pid), []).append(str(d))
    out = []
    for pid, name, source in con.execute(
            "SELECT id, name, source FROM partnerships ORDER BY id").fetchall():
        covered = tuple(months.get(str(pid), ()))
        if month is not None and month not in covered:
            continue
        out.append(Coverage(str(pid), str(name), str(source),
                            tuple(districts.get(str(pid), ())),
                            tuple(forces.get(str(pid), ())), covered))
    return out


def reportable(con: duckdb.DuckDBPyConnection, month: str) -> set[str]:
    """Ids of the partnerships every one of whose forces published ``month``."""
    return {c.id for c in coverage(con, month)}


def measures_missing_from_store(con: duckdb.DuckDBPyConnection,
                                police_measures: Iterable[str]) -> list[str]:
    """Police measures with no series although the store holds police series.

    They were added to measures.yaml after the last ingest, which is when series are
    made; without this every page would show them as "no data".
    """
    have = {str(r[0]) for r in con.execute("SELECT DISTINCT measure FROM series").fetchall()}
    police = con.execute("SELECT count(*) FROM force_months WHERE rows > 0").fetchone()
    if not police or not police[0]:
        return []
    return sorted(m for m in police_measures if m not in have)


def stale_measures_message(store: Path | str | None, params_dir: Path | str) -> str | None:
    """One line telling the user to ingest again, or None when every measure has series."""
    import duckdb

    from cdrp_lib.params import load_measures

    if store is None or not Path(store).is_file():
        return None
    police = [mid for mid, m in load_measures(params_dir).items() if m.source == "police"]
    with duckdb.connect(str(store), read_only=True) as con:
        missing = measures_missing_from_store(con, police)
    if not missing:
        return None
    return (f"{len(missing)} measure(s) in measures.yaml have no series in {store} "
            f"({', '.join(missing)}): they were added after the last ingest; run `cdrp ingest` "
            "again (with any of its files: a known file is skipped and every series is rebuilt)")


def default_peers(con: duckdb.DuckDBPyConnection, partnership: str) -> tuple[str, ...]:
    """The default comparator group: the other automatic partnerships (CSPs) policed by
    exactly the same forces, by id; empty for a force of one partnership (or a store
    written before coverage was recorded)."""
    import duckdb

    try:
        rows = con.execute(
            "WITH f AS (SELECT partnership, string_agg(force, ',' ORDER BY force) AS forces "
            "  FROM partnership_forces GROUP BY ALL) "
            "SELECT p.id FROM partnerships p JOIN f ON f.partnership = p.id "
            "WHERE p.source = ? AND p.id <> ? AND f.forces = "
            "  (SELECT forces FROM f WHERE partnership = ?) ORDER BY p.id",
            [SOURCE_AUTO, partnership, partnership]).fetchall()
    except duckdb.CatalogException:
        return ()
    return tuple(str(r[0]) for r in rows)


def population_years(con: duckdb.DuckDBPyConnection, year: int) -> list[int]:
    """The years to try for a rate in ``year``: it, then earlier years latest first, then
    later ones (the shipped estimates end in 2019, so a 2025 rate uses 2019's)."""
    held = sorted(int(r[0]) for r in con.execute(
        "SELECT DISTINCT year FROM population").fetchall())
    return ([year] if year in held else []) + [y for y in reversed(held) if y < year] \
        + [y for y in held if y > year]
