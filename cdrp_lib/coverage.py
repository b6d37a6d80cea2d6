"""Which partnerships the data can report on, and for which months.

A Community Safety Partnership is reportable for a month only when every police
force policing its districts published that month: a force's file locates a
few of its crimes in its neighbours' districts, and counting those as the
neighbours' series would publish "Barnet: 0 crimes" for every month.  So the
automatic partnerships are the CSPs (today's ONS grouping of districts, from
the shipped reference table, ``cdrp_lib/data/districts.csv``) whose forces
are all in the store; rows located in other districts are counted once, in the
ingest summary, and form no partnership.

A district the reference does not know (the demo's fictional county) is a
partnership of its own, policed by the force that located most rows in it, as
long as that force is not one the reference knows (a real force's stray rows
in an unknown name form nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from cdrp_lib.areas import PartnershipArea, district_area, slugify

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

SOURCE_AUTO = "auto"
SOURCE_PARAMS = "params"


@dataclass(frozen=True)
class DistrictRef:
    """One district name as LSOA names give it, and where it sits today."""

    district: str
    current: str
    csp: str
    force: str


@dataclass(frozen=True)
class Reference:
    """The shipped lookup: district name -> :class:`DistrictRef`; and every force it knows."""

    districts: Mapping[str, DistrictRef]

    @property
    def forces(self) -> frozenset[str]:
        return frozenset(d.force for d in self.districts.values())

    def csp_districts(self, csp: str) -> tuple[str, ...]:
        """Every district name (old and current) that lies in ``csp`` today."""
        return tuple(sorted(d.district for d in self.districts.values() if d.csp == csp))

    def current_districts(self, csp: str) -> tuple[str, ...]:
        """The districts of ``csp`` today: its population is theirs."""
        return tuple(sorted({d.current for d in self.districts.values() if d.csp == csp}))


@lru_cache(maxsize=1)
def reference() -> Reference:
    """The shipped district reference, read once per process."""
    from cdrp_lib.sources.reference import read_district_reference

    frame = read_district_reference()
    rows = zip(frame["district"], frame["current_district"], frame["csp"], frame["force"],
               strict=True)
    return Reference({d: DistrictRef(d, cur, csp, force) for d, cur, csp, force in rows})


def reference_population() -> pd.DataFrame:
    """``district, year, population`` of every district in the shipped table."""
    import pandas as pd

    from cdrp_lib.sources.reference import DISTRICT_POPULATION_FILE

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
