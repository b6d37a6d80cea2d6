"""Rebuild the derived tables (partnerships, publication gaps, series) from the whole store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdrp_lib.areas import PartnershipArea, Reference, district_from_lsoa_name
from cdrp_lib.coverage import (
    SOURCE_AUTO,
    SOURCE_PARAMS,
    Partitioned,
    auto_partnerships,
    params_forces,
    reference_population,
    store_reference,
)
from cdrp_lib.errors import Problem
from cdrp_lib.params import Measure
from cdrp_lib.sources import registry
from cdrp_lib.sources.kind import SeriesContext
from cdrp_lib.sources.police_uk import (
    SEVERITY_WARNING,
)
from cdrp_lib.sources.police_uk.series import MONTH_GRID

if TYPE_CHECKING:
    import duckdb

from cdrp_lib.ingest import incremental
from cdrp_lib.ingest.report import (
    _REBUILT_RULES,
    RULE_GAP,
    SYNTHETIC_FORCES,
)

# --------------------------------------------------------------------------- rebuild

@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild of the derived tables found across the whole store."""

    gaps: tuple[tuple[str, str], ...]
    partnerships: tuple[tuple[str, str, str], ...]
    problems: tuple[Problem, ...]
    outside: tuple[int, int] = (0, 0)  # rows, districts policed by forces not in the store


# police_counts by partnership instead of LSOA (``member_counts``, kept up to date by
# cdrp_lib.ingest.incremental): the series and the principal forces read it rather than
# joining ~10^7 counts to the members again.
# Rows each force contributes to each partnership; the principal force contributes most
# (ties go to the first force name, so the choice is reproducible).
_PARTNERSHIP_FORCES = "SELECT partnership, force, sum(n) AS n FROM member_counts GROUP BY ALL"
_PRINCIPAL_SELECT = ("SELECT partnership, first(force ORDER BY n DESC, force) AS force "
                     "FROM pf GROUP BY ALL")
# Each partnership's principal force and the first and last month its forces published:
# what decides the months of its police series and which of them are NULL.
_SPANS = f"""
    WITH pf AS ({_PARTNERSHIP_FORCES}),
    principal AS ({_PRINCIPAL_SELECT}),
    span AS (
        SELECT pf.partnership, min(fm.month) AS first, max(fm.month) AS last
        FROM pf JOIN force_months fm ON fm.force = pf.force AND fm.rows > 0 GROUP BY ALL)
    SELECT p.partnership, p.force, s.first, s.last
    FROM principal p LEFT JOIN span s USING (partnership)"""


def rebuild(con: duckdb.DuckDBPyConnection, measures: Mapping[str, Measure],
            params: Mapping[str, tuple[str, PartnershipArea]]) -> Rebuilt:
    """Rebuild partnerships, publication gaps, DA areas and every series from the store.

    Only what changed since the last rebuild is recomputed (cdrp_lib.ingest.incremental):
    the police counts of changed force-months, the DA series when the DA events changed;
    the result is the same as rebuilding from the whole store.
    """
    import pandas as pd

    police_changed = incremental.police_changes(con)
    lsoas = incremental.police_lsoas(con, police_changed)
    districts = {name: district_from_lsoa_name(name) for name in {n for _, n in lsoas}}
    by_district = _district_force_rows(con, districts)
    ref = store_reference(con)  # the shipped reference, with the user's own lookup over it
    auto = auto_partnerships(by_district, _forces_in_store(con), _principal_by_district(
        by_district), ref)
    areas = _all_areas(auto, params)
    members = _members(areas, lsoas, districts)
    con.register("members", pd.DataFrame(members, columns=["partnership", "lsoa_code",
                                                           "lsoa_name"], dtype=object))
    settings = incremental.settings_digest(measures)
    try:
        changes = incremental.plan_changes(con, settings, police_changed,
                                           incremental.fingerprints(con, measures, areas))
        incremental.update_member_counts(con, changes)
        incremental.plan_series(con, changes, _SPANS)
        principal = dict(con.execute(
            "SELECT partnership, force FROM spans_now").fetchall())
        gaps = _rebuild_gaps(con)
        _rebuild_partnerships(con, areas, principal, auto, ref)
        if changes.full:
            con.execute("DELETE FROM series")
        problems = list(gaps[1])
        for kind in registry.KINDS:  # each kind rewrites its own measures' rows
            if kind.series is not None:
                problems += kind.series(SeriesContext(
                    con, measures, areas, lsoas, lambda pairs: _members(areas, pairs),
                    redo=kind.kind in changes.redo, police_scope=incremental.scope))
        incremental.remember(con, changes, settings,
                             incremental.fingerprints(con, measures, areas))
    finally:
        con.execute("DROP VIEW IF EXISTS member_counts")
        con.unregister("members")
    _store_rebuilt_problems(con, problems)
    _add_reference_population(con)
    partnerships = tuple((pid, name, source) for pid, (name, _, source) in sorted(areas.items()))
    outside = (sum(sum(by_district[d].values()) for d in auto.outside), len(auto.outside))
    return Rebuilt(gaps[0], partnerships, tuple(problems), outside)


def _district_force_rows(con: duckdb.DuckDBPyConnection, districts: Mapping[str, str | None]
                         ) -> dict[str, dict[str, int]]:
    """district -> force -> rows located there (districts read from the LSOA names).

    Summed in DuckDB: the LSOA-force pairs are a row per LSOA and force (~10^5 where
    forces share LSOAs), which cost more to bring into Python than the sum itself.
    """
    import pandas as pd

    named = [(name, d) for name, d in districts.items() if d]
    con.register("lsoa_districts", pd.DataFrame(named, columns=["lsoa_name", "district"],
                                                dtype=object))
    try:
        rows = con.execute(
            f"SELECT d.district, c.force, sum(c.total) FROM {incremental.LSOA_FM} c "
            "JOIN lsoa_districts d USING (lsoa_name) WHERE c.lsoa_code <> '' "
            "GROUP BY ALL ORDER BY 1, 2").fetchall()
    finally:
        con.unregister("lsoa_districts")
    out: dict[str, dict[str, int]] = {}
    for district, force, n in rows:
        out.setdefault(str(district), {})[str(force)] = int(n)
    return out


def _principal_by_district(by_district: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
    """The force that located most rows in each district (ties: the first force name)."""
    return {d: min(forces.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            for d, forces in by_district.items() if forces}


def _forces_in_store(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(r[0]) for r in con.execute(
        "SELECT DISTINCT force FROM force_months WHERE rows > 0").fetchall()}


def _all_areas(auto: Partitioned, params: Mapping[str, tuple[str, PartnershipArea]]
               ) -> dict[str, tuple[str, PartnershipArea, str]]:
    """The reportable CSPs (auto, :func:`cdrp_lib.coverage.auto_partnerships`) plus the
    params partnerships, which win over an automatic one of the same id."""
    out: dict[str, tuple[str, PartnershipArea, str]] = {
        pid: (name, area, SOURCE_AUTO) for pid, (name, area) in auto.areas.items()
        if pid not in params}
    for pid, (name, area) in params.items():
        out[pid] = (name, area, SOURCE_PARAMS)
    return out


def _add_reference_population(con: duckdb.DuckDBPyConnection) -> None:
    """The shipped district populations, for every district and year no local file gave."""
    con.register("ref_population", reference_population())
    con.execute("INSERT INTO population SELECT district, year, population FROM ref_population r "
                "WHERE NOT EXISTS (SELECT 1 FROM population p WHERE p.district = r.district "
                "AND p.year = r.year)")
    con.unregister("ref_population")


def _members(areas: Mapping[str, tuple[str, PartnershipArea, str]],
             lsoas: Sequence[tuple[str, str]],
             districts: Mapping[str, str | None] | None = None) -> list[tuple[str, str, str]]:
    """``(partnership, lsoa_code, lsoa_name)`` for every LSOA in every area.

    An auto district's LSOAs are those named after it (one name parse per LSOA,
    none for names already in ``districts``).
    A params area is only asked about its candidates (LSOAs of its districts by
    name, its listed codes, codes its lookup puts in its districts), and
    :meth:`PartnershipArea.contains` decides, so membership is exactly what
    areas.py defines without asking every area about all ~35,000 LSOAs.
    """
    by_district: dict[str, list[tuple[str, str]]] = {}
    by_code: dict[str, list[tuple[str, str]]] = {}
    known = districts or {}
    for code, name in lsoas:
        district = known[name] if name in known else district_from_lsoa_name(name)
        by_district.setdefault(district or "", []).append((code, name))
        by_code.setdefault(code, []).append((code, name))
    out: list[tuple[str, str, str]] = []
    for pid, (_, area, source) in areas.items():
        candidates: set[tuple[str, str]] = set()
        for district in area.districts:
            candidates.update(by_district.get(district, ()))
        for code in area.lsoas:
            candidates.update(by_code.get(code, ()))
        for code, district in area.lookup.items():
            if district in area.districts:
                candidates.update(by_code.get(code, ()))
        out.extend((pid, code, name) for code, name in sorted(candidates)
                   if source == "auto" or area.contains(code, name))
    return out


def _rebuild_partnerships(con: duckdb.DuckDBPyConnection,
                          areas: Mapping[str, tuple[str, PartnershipArea, str]],
                          principal: Mapping[str, str], auto: Partitioned,
                          ref: Reference | None = None) -> None:
    """The partnerships, the districts whose population is theirs, and their forces.

    An automatic CSP's population districts are today's districts only (its area also
    lists the former ones its LSOA names may give, whose people those already count).
    """
    import pandas as pd

    rows = [(pid, name, source, bool(area.synthetic or principal.get(pid) in SYNTHETIC_FORCES))
            for pid, (name, area, source) in sorted(areas.items())]
    districts = [(pid, d) for pid, (_, area, source) in sorted(areas.items())
                 for d in (auto.population_districts[pid] if source == SOURCE_AUTO
                           else sorted(area.districts))]
    forces = [(pid, f) for pid, (_, area, source) in sorted(areas.items())
              for f in sorted(auto.forces[pid] if source == SOURCE_AUTO
                              else params_forces(area, principal.get(pid), ref))]
    con.execute("DELETE FROM partnerships")
    con.execute("DELETE FROM partnership_districts")
    con.execute("DELETE FROM partnership_forces")
    if forces:
        con.register("run_f", pd.DataFrame(forces, columns=["partnership", "force"]))
        con.execute("INSERT INTO partnership_forces SELECT * FROM run_f")
        con.unregister("run_f")
    if rows:
        con.register("run_p", pd.DataFrame(rows, columns=["id", "name", "source", "synthetic"]))
        con.execute("INSERT INTO partnerships SELECT * FROM run_p")
        con.unregister("run_p")
    if districts:
        con.register("run_d", pd.DataFrame(districts, columns=["partnership", "district"]))
        con.execute("INSERT INTO partnership_districts SELECT * FROM run_d")
        con.unregister("run_d")


def _rebuild_gaps(con: duckdb.DuckDBPyConnection
                  ) -> tuple[tuple[tuple[str, str], ...], list[Problem]]:
    """Months with no file or no rows between a force's first and last published month."""
    rows = con.execute(
        f"WITH r AS (SELECT force, min(month) AS first, max(month) AS last FROM force_months "
        f"  WHERE rows > 0 GROUP BY force), "
        f"g AS (SELECT force, {MONTH_GRID} AS month FROM r) "
        "SELECT g.force, g.month, fm.rows FROM g LEFT JOIN (SELECT force, month, max(rows) AS rows "
        "  FROM force_months GROUP BY ALL) fm USING (force, month) "
        "WHERE coalesce(fm.rows, 0) = 0 ORDER BY 1, 2").fetchall()
    gaps = tuple((str(f), str(m)) for f, m, _ in rows)
    problems = [Problem(f"force {f}", RULE_GAP,
                        f"a street file with rows for {f} in {m} (it published before and after)",
                        "no file" if n is None else "an empty file", severity=SEVERITY_WARNING)
                for f, m, n in rows]
    return gaps, problems


def _store_rebuilt_problems(con: duckdb.DuckDBPyConnection, problems: Sequence[Problem]) -> None:
    con.execute("DELETE FROM data_quality WHERE rule IN ("
                + ", ".join("?" for _ in _REBUILT_RULES) + ")", list(_REBUILT_RULES))
    if problems:
        con.executemany("INSERT INTO data_quality VALUES ('', ?, ?, ?, ?, ?, ?, ?)",
                        [(p.file, p.line, p.column, p.rule, p.expected, p.found, p.severity)
                         for p in problems])


