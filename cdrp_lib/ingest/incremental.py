"""What changed since the last rebuild, so that a rebuild redoes only that.

The costly part of a rebuild is joining every police count (one row per force,
month, LSOA and crime type: millions for a few years of the whole country) to
the partnerships' member LSOAs.  Its result, ``member_counts`` (partnership,
force, month, crime type -> n), is kept between ingests in the schema
``rebuild_cache`` of the store, beside what it was made from:

* ``inputs`` and ``fm_rows``: the street files and the ``force_months`` rows as they
  were, so the force-months an ingest wrote are found from its new street files
  without reading the counts (:func:`police_changes`);
* ``lsoa_fm``: the LSOAs of each force-month with their count rows and totals, so
  the LSOAs in the data are listed without reading every count, and the totals
  check that nothing else wrote the counts;
* ``members``: the partnership -> LSOA membership it was joined with;
* ``spans``: each partnership's principal force and first and last month, which
  decide its series' months and gaps;
* ``state``: a digest of the measures' police categories and survey questions,
  and the fingerprint of what each source kind with one (cdrp_lib.sources.registry:
  the DA events, the partner agencies' rows) made its series from, as the last
  rebuild left it.

A rebuild whose measures are those of the cache recomputes ``member_counts`` only
for the force-months that changed, and for every month of the
partnerships whose member LSOAs changed (a new LSOA in the data, a params area
edited); it skips placing DA events and recomputing the DA series when
``da_events`` is as it left it and no member changed, and leaves the partner
series alone when their rows, measures and partnerships are as they were.  No cache yet, or another
measure or category, or counts written outside an ingest, rebuild ``member_counts``
from the whole store.  So an append reads the new month's counts and the small
cached tables, never the whole store.  The cache lives outside schema ``main``, so
the store digest that keys the bulletins (cdrp_lib.batch.plan) never sees it, and
the derived tables are identical either way (tests/test_ingest_incremental.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.params import Measure
from cdrp_lib.sources import registry
from cdrp_lib.sources.kind import Areas

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

CACHE = "rebuild_cache"
#: Bump when the cache's meaning changes: an older cache then forces a full rebuild.
CACHE_VERSION = 3
MEMBER_COUNTS = f"{CACHE}.member_counts"
def scope(alias: str) -> str:
    """SQL condition on the police series rows a rebuild rewrites (see :func:`plan_series`):
    every month of the partnerships in ``redo_p``, every partnership in the months of
    ``redo_m``, and the months a partnership's span gained (``redo_span``).  ``alias``
    qualifies the columns (``"c."``)."""
    p, m = f"{alias}partnership", f"{alias}month"
    return (f"({p} IN (SELECT partnership FROM redo_p) OR {m} IN (SELECT month FROM redo_m) "
            f"OR EXISTS (SELECT 1 FROM redo_span r WHERE r.partnership = {p} AND "
            f"(({m} > r.old_last AND {m} <= r.new_last) "
            f"OR ({m} >= r.new_first AND {m} < r.old_first))))")


_FM_ROWS = "SELECT force, month, max(rows) AS rows FROM force_months GROUP BY ALL"
LSOA_FM = f"{CACHE}.lsoa_fm"
# Per force-month and LSOA (code '' too): its count rows and their total.
_LSOA_FM_SELECT = ("SELECT c.force, c.month, c.lsoa_code, c.lsoa_name, count(*) AS rows, "
                   "sum(c.n) AS total FROM police_counts c")
_MEMBER_COUNTS_SELECT = ("SELECT m.partnership, c.force, c.month, c.crime_type, sum(c.n) AS n "
                         "FROM police_counts c JOIN members m USING (lsoa_code, lsoa_name)")


@dataclass(frozen=True)
class Changes:
    """What a rebuild must redo: everything (``full``), or the listed force-months."""

    full: bool
    force_months: tuple[tuple[str, str], ...]
    #: Source kinds whose series are written again (every kind with no fingerprint).
    redo: tuple[str, ...]
    why: str
    #: Partnerships whose member LSOAs changed (a new LSOA, a params area): all their months.
    partnerships: tuple[str, ...] = ()

    @property
    def da(self) -> bool:
        """Whether the DA events are placed and their series made again."""
        from cdrp_lib.sources.domestic_abuse import KIND_DOMESTIC_ABUSE

        return KIND_DOMESTIC_ABUSE in self.redo


def settings_digest(measures: Mapping[str, Measure]) -> str:
    """A digest of what the series are made of: police categories and survey questions."""
    police = sorted((mid, sorted(m.categories)) for mid, m in measures.items()
                    if m.source == "police")
    survey = sorted((mid, m.question or "") for mid, m in measures.items()
                    if m.source == "survey")
    text = json.dumps([CACHE_VERSION, police, survey])
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprints(con: duckdb.DuckDBPyConnection, measures: Mapping[str, Measure],
                 areas: Areas) -> dict[str, str]:
    """Each fingerprinted source kind's digest of what its series are made from."""
    return {k.kind: k.fingerprint(con, measures, areas) for k in registry.KINDS
            if k.fingerprint is not None}


def police_changes(con: duckdb.DuckDBPyConnection) -> tuple[tuple[str, str], ...] | None:
    """The force-months whose police counts may have changed since the last rebuild.

    ``police_counts`` is written only by ingesting street files, each recorded in
    ``input_files`` under its name, ``YYYY-MM-<force>-street.csv``: the force-months
    of the street files that are new since the last rebuild, and of the
    ``force_months`` rows that differ, are the ones to redo, found without reading
    the counts.  Their LSOAs, rows and totals in ``rebuild_cache.lsoa_fm`` are made
    again; as a check against any other writer, the row count and total of
    ``police_counts`` must then equal those of ``lsoa_fm``.  None (rebuild
    everything) when there is no cache, a file name does not say its force-month, or
    the check fails.
    """
    from cdrp_lib.ingest.report import KIND_STREET
    from cdrp_lib.sources.police_uk import parse_street_name

    if not _cache_exists(con):
        return None
    names = [str(r[0]) for r in con.execute(
        f"SELECT path FROM input_files WHERE kind = ? AND sha256 NOT IN "
        f"(SELECT sha256 FROM {CACHE}.inputs) ORDER BY 1", [KIND_STREET]).fetchall()]
    gone = con.execute(f"SELECT count(*) FROM {CACHE}.inputs WHERE sha256 NOT IN "
                       "(SELECT sha256 FROM input_files)").fetchall()[0][0]
    parsed = [parse_street_name(Path(name).name) for name in names]
    if gone or any(p is None for p in parsed):
        return None
    changed = {(force, month) for month, force in (p for p in parsed if p)}
    changed |= {(str(f), str(m)) for f, m in con.execute(
        f"SELECT force, month FROM ({_FM_ROWS} EXCEPT SELECT * FROM {CACHE}.fm_rows) UNION "
        f"SELECT force, month FROM (SELECT * FROM {CACHE}.fm_rows EXCEPT {_FM_ROWS})"
    ).fetchall()}
    ordered = tuple(sorted(changed))
    if ordered:
        months = sorted({m for _, m in ordered})
        con.register("candidates", pd_frame(ordered))
        con.execute(f"DELETE FROM {LSOA_FM} WHERE {_in(months)} AND (force, month) IN "
                    "(SELECT (force, month) FROM candidates)", months)
        con.execute(f"INSERT INTO {LSOA_FM} {_LSOA_FM_SELECT} JOIN candidates x "
                    f"ON x.force = c.force AND x.month = c.month WHERE c.{_in(months)} "
                    "GROUP BY ALL", months)
        con.unregister("candidates")
    held = con.execute("SELECT count(*), coalesce(sum(n), 0) FROM police_counts").fetchall()[0]
    cached = con.execute(f"SELECT coalesce(sum(rows), 0), coalesce(sum(total), 0) "
                         f"FROM {LSOA_FM}").fetchall()[0]
    if tuple(held) != tuple(cached):
        return None
    return ordered


def police_lsoas(con: duckdb.DuckDBPyConnection,
                 changed: tuple[tuple[str, str], ...] | None) -> list[tuple[str, str]]:
    """Every (LSOA code, name) in the police counts, from ``rebuild_cache.lsoa_fm``.

    :func:`police_changes` brought the LSOAs of the changed force-months up to date;
    ``changed`` None (no cache, or a failed check) makes them again from every count.
    """
    if changed is None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {CACHE}")
        con.execute(f"CREATE OR REPLACE TABLE {LSOA_FM} AS {_LSOA_FM_SELECT} GROUP BY ALL")
    return [(str(c), str(n)) for c, n in con.execute(
        f"SELECT DISTINCT lsoa_code, lsoa_name FROM {LSOA_FM} WHERE lsoa_code <> '' "
        "ORDER BY 1, 2").fetchall()]


def _in(months: list[str]) -> str:
    """``month IN (?, ...)``: constants, so DuckDB skips row groups that cannot match."""
    return "month IN (" + ", ".join("?" for _ in months) + ")"


def pd_frame(force_months: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(list(force_months), columns=["force", "month"], dtype=object)


def plan_changes(con: duckdb.DuckDBPyConnection, settings: str,
                 police: tuple[tuple[str, str], ...] | None,
                 prints: Mapping[str, str] | None = None) -> Changes:
    """What to redo, given the police changes, the registered ``members`` and each source
    kind's fingerprint now (``prints``, from :func:`fingerprints`)."""
    every = tuple(k.kind for k in registry.KINDS)
    if police is None:
        return Changes(True, (), every, "no cache, or police counts changed outside an ingest")
    state = dict(con.execute(f"SELECT key, value FROM {CACHE}.state").fetchall())
    if state.get("settings") != settings:
        return Changes(True, (), every, "measures changed")
    moved = tuple(str(r[0]) for r in con.execute(
        f"SELECT DISTINCT partnership FROM ((SELECT * FROM members EXCEPT ALL "
        f"SELECT * FROM {CACHE}.members) UNION ALL (SELECT * FROM {CACHE}.members "
        f"EXCEPT ALL SELECT * FROM members)) ORDER BY 1").fetchall())
    # Rows placed by membership (DA events, partner rows by LSOA) may move with new members.
    prints = prints or {}
    redo = tuple(k.kind for k in registry.KINDS if k.fingerprint is None or moved
                 or state.get(f"fingerprint:{k.kind}") != prints.get(k.kind))
    return Changes(False, police, redo, f"{len(police)} force-months and the members of "
                   f"{len(moved)} partnerships changed", moved)


def _cache_exists(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds a cache of this version (an older one is remade)."""
    tables = {str(r[0]) for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
        [CACHE]).fetchall()}
    if not {"member_counts", "members", "spans", "state", "inputs", "fm_rows",
            "lsoa_fm"} <= tables:
        return False
    version = con.execute(f"SELECT value FROM {CACHE}.state WHERE key = 'version'").fetchall()
    return version == [(str(CACHE_VERSION),)]


def update_member_counts(con: duckdb.DuckDBPyConnection, changes: Changes) -> None:
    """Bring ``rebuild_cache.member_counts`` up to date; ``member_counts`` then reads it."""
    if changes.full:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {CACHE}")
        con.execute(f"CREATE OR REPLACE TABLE {MEMBER_COUNTS} AS {_MEMBER_COUNTS_SELECT} "
                    "GROUP BY ALL")
    else:
        _update_partnerships(con, changes.partnerships)
        _update_force_months(con, changes.force_months, changes.partnerships)
    con.execute(f"CREATE OR REPLACE TEMP VIEW member_counts AS SELECT * FROM {MEMBER_COUNTS}")


def _update_partnerships(con: duckdb.DuckDBPyConnection, partnerships: tuple[str, ...]) -> None:
    """Every month of the partnerships whose members changed."""
    if not partnerships:
        return
    con.register("changed_p", _frame(list(partnerships), "partnership"))
    try:
        con.execute(f"DELETE FROM {MEMBER_COUNTS} WHERE partnership IN "
                    "(SELECT partnership FROM changed_p)")
        con.execute(f"INSERT INTO {MEMBER_COUNTS} {_MEMBER_COUNTS_SELECT} "
                    "WHERE m.partnership IN (SELECT partnership FROM changed_p) GROUP BY ALL")
    finally:
        con.unregister("changed_p")


def _update_force_months(con: duckdb.DuckDBPyConnection,
                         force_months: tuple[tuple[str, str], ...],
                         done: tuple[str, ...]) -> None:
    """The changed force-months of every partnership not in ``done``.

    The months are given as constants, so DuckDB reads only the row groups of
    ``police_counts`` that can hold them (a new month is appended at the end).
    """
    if not force_months:
        return
    months = sorted({m for _, m in force_months})
    in_months = _in(months)
    con.register("changed_fm", pd_frame(force_months))
    con.register("done_p", _frame(list(done), "partnership"))
    try:
        con.execute(f"DELETE FROM {MEMBER_COUNTS} WHERE {in_months} AND (force, month) IN "
                    "(SELECT (force, month) FROM changed_fm) AND partnership NOT IN "
                    "(SELECT partnership FROM done_p)", months)
        con.execute(
            f"INSERT INTO {MEMBER_COUNTS} SELECT m.partnership, c.force, c.month, c.crime_type, "
            f"sum(c.n) AS n FROM (SELECT * FROM police_counts WHERE {in_months}) c "
            "JOIN changed_fm x ON x.force = c.force AND x.month = c.month "
            "JOIN members m ON m.lsoa_code = c.lsoa_code AND m.lsoa_name = c.lsoa_name "
            "WHERE m.partnership NOT IN (SELECT partnership FROM done_p) GROUP BY ALL", months)
    finally:
        con.unregister("changed_fm")
        con.unregister("done_p")


def plan_series(con: duckdb.DuckDBPyConnection, changes: Changes, spans_sql: str) -> None:
    """Which police series rows to rewrite: the temporary tables ``redo_p`` and ``redo_m``.

    ``spans_sql`` gives each partnership's principal force and first and last month.
    A partnership is redone whole when its members or principal force changed, its
    span changed other than by growing, or it appeared or went; a span that grew
    redoes the months gained (``redo_span``); a changed force-month redoes its month
    for everyone.
    After a full change every partnership is redone.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE spans_now AS {spans_sql}")
    con.execute("CREATE OR REPLACE TEMP TABLE redo_span (partnership VARCHAR, old_first VARCHAR, "
                "old_last VARCHAR, new_first VARCHAR, new_last VARCHAR)")
    if changes.full:
        con.execute("CREATE OR REPLACE TEMP TABLE redo_p AS SELECT DISTINCT partnership "
                    "FROM spans_now")
    else:
        # A span that only grew (a new month, most often) redoes the months it gained;
        # any other change of span or principal force redoes the partnership.
        con.execute(
            "INSERT INTO redo_span SELECT n.partnership, o.first, o.last, n.first, n.last "
            f"FROM spans_now n JOIN {CACHE}.spans o USING (partnership) "
            "WHERE n.force = o.force AND (n.first, n.last) <> (o.first, o.last) "
            "AND n.first <= o.first AND n.last >= o.last")
        con.register("moved_p", _frame(list(changes.partnerships), "partnership"))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE redo_p AS SELECT partnership FROM moved_p UNION "
            f"(SELECT partnership FROM (SELECT * FROM spans_now EXCEPT "
            f"SELECT * FROM {CACHE}.spans) UNION SELECT partnership FROM "
            f"(SELECT * FROM {CACHE}.spans EXCEPT SELECT * FROM spans_now) "
            "EXCEPT SELECT partnership FROM redo_span)")
        con.unregister("moved_p")
    con.register("changed_months", _frame(sorted({m for _, m in changes.force_months}),
                                          "month"))
    con.execute("CREATE OR REPLACE TEMP TABLE redo_m AS SELECT month FROM changed_months")
    con.unregister("changed_months")


def _frame(values: list[str], column: str) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({column: values}, dtype=object)


def remember(con: duckdb.DuckDBPyConnection, changes: Changes, settings: str,
             prints: Mapping[str, str]) -> None:
    """Record what ``member_counts`` now reflects, for the next rebuild to compare with."""
    from cdrp_lib.ingest.report import KIND_STREET

    con.execute(f"CREATE OR REPLACE TABLE {CACHE}.inputs AS SELECT sha256 FROM input_files "
                "WHERE kind = ?", [KIND_STREET])
    con.execute(f"CREATE OR REPLACE TABLE {CACHE}.fm_rows AS {_FM_ROWS}")
    con.execute(f"CREATE OR REPLACE TABLE {CACHE}.spans AS SELECT * FROM spans_now")
    if changes.full or changes.partnerships:
        con.execute(f"CREATE OR REPLACE TABLE {CACHE}.members AS SELECT * FROM members")
    con.execute(f"CREATE OR REPLACE TABLE {CACHE}.state (key VARCHAR, value VARCHAR)")
    con.execute(f"INSERT INTO {CACHE}.state VALUES ('version', ?), ('settings', ?)",
                [str(CACHE_VERSION), settings])
    for kind, fingerprint in sorted(prints.items()):
        con.execute(f"INSERT INTO {CACHE}.state VALUES (?, ?)",
                    [f"fingerprint:{kind}", fingerprint])
    for table in ("spans_now", "redo_p", "redo_m", "redo_span"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
