"""What changed since the last rebuild, so that a rebuild redoes only that.

The costly part of a rebuild is joining every police count (one row per force,
month, LSOA and crime type: millions for a few years of the whole country) to
the partnerships' member LSOAs.  Its result, ``member_counts`` (partnership,
force, month, crime type -> n), is kept between ingests in the schema
``rebuild_cache`` of the store, beside what it was made from:

* ``force_months``: a fingerprint of each force-month of ``police_counts`` (row
  count and the sum of DuckDB's row hashes), so any month added, replaced or
  removed by any writer is found by comparison, not by trusting the caller;
* ``members``: the partnership -> LSOA membership it was joined with;
* ``state``: a digest of the measures' police categories and survey questions,
  and the fingerprint of ``da_events`` as the last rebuild left it.

A rebuild whose measures are those of the cache recomputes ``member_counts`` only
for the force-months whose fingerprint changed, and for every month of the
partnerships whose member LSOAs changed (a new LSOA in the data, a params area
edited); it skips placing DA events and recomputing the DA series when
``da_events`` is as it left it and no member changed.  No cache yet, or another
measure or category, rebuilds ``member_counts`` from the whole store.
The cache lives outside schema ``main``, so the store digest that keys the
bulletins (cdrp_lib.batch.plan) never sees it, and the derived tables are
identical either way (tests/test_ingest_incremental.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdrp_lib.params import Measure

if TYPE_CHECKING:
    import duckdb

CACHE = "rebuild_cache"
#: Bump when the cache's meaning changes: an older cache then forces a full rebuild.
CACHE_VERSION = 1
MEMBER_COUNTS = f"{CACHE}.member_counts"
_FINGERPRINT = ("SELECT force, month, count(*) AS n, "
                "sum(hash(lsoa_code, lsoa_name, crime_type, n)::HUGEINT) AS h "
                "FROM police_counts GROUP BY ALL")
_MEMBER_COUNTS_SELECT = ("SELECT m.partnership, c.force, c.month, c.crime_type, sum(c.n) AS n "
                         "FROM police_counts c JOIN members m USING (lsoa_code, lsoa_name)")


@dataclass(frozen=True)
class Changes:
    """What a rebuild must redo: everything (``full``), or the listed force-months."""

    full: bool
    force_months: tuple[tuple[str, str], ...]
    da: bool
    why: str
    #: Partnerships whose member LSOAs changed (a new LSOA, a params area): all their months.
    partnerships: tuple[str, ...] = ()


def settings_digest(measures: Mapping[str, Measure]) -> str:
    """A digest of what the series are made of: police categories and survey questions."""
    police = sorted((mid, sorted(m.categories)) for mid, m in measures.items()
                    if m.source == "police")
    survey = sorted((mid, m.question or "") for mid, m in measures.items()
                    if m.source == "survey")
    text = json.dumps([CACHE_VERSION, police, survey])
    return hashlib.sha256(text.encode()).hexdigest()


def da_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Row count and hash sum of ``da_events``: equal means untouched since it was taken."""
    count, total = con.execute("SELECT count(*), coalesce(sum(hash(e)::HUGEINT), 0) "
                               "FROM da_events AS e").fetchall()[0]
    return f"{count}:{total}"


def plan_changes(con: duckdb.DuckDBPyConnection, settings: str) -> Changes:
    """Compare the store (and the registered ``members``) with the cache.

    Leaves the temporary table ``fm_now`` (this store's force-month fingerprints)
    for :func:`remember`.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE fm_now AS {_FINGERPRINT}")
    if not _cache_exists(con):
        return Changes(True, (), True, "no cache")
    state = dict(con.execute(f"SELECT key, value FROM {CACHE}.state").fetchall())
    if state.get("settings") != settings:
        return Changes(True, (), True, "measures changed")
    moved = tuple(str(r[0]) for r in con.execute(
        f"SELECT DISTINCT partnership FROM ((SELECT * FROM members EXCEPT ALL "
        f"SELECT * FROM {CACHE}.members) UNION ALL (SELECT * FROM {CACHE}.members "
        f"EXCEPT ALL SELECT * FROM members)) ORDER BY 1").fetchall())
    changed = tuple((str(f), str(m)) for f, m in con.execute(
        f"SELECT force, month FROM (SELECT * FROM fm_now EXCEPT "
        f"SELECT * FROM {CACHE}.force_months) UNION SELECT force, month FROM "
        f"(SELECT * FROM {CACHE}.force_months EXCEPT SELECT * FROM fm_now) "
        f"ORDER BY 1, 2").fetchall())
    # DA events are placed by membership, so new members may move them.
    da = bool(moved) or state.get("da") != da_fingerprint(con)
    return Changes(False, changed, da, f"{len(changed)} force-months and the members of "
                   f"{len(moved)} partnerships changed", moved)


def _cache_exists(con: duckdb.DuckDBPyConnection) -> bool:
    tables = {str(r[0]) for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
        [CACHE]).fetchall()}
    return {"member_counts", "force_months", "members", "state"} <= tables


def update_member_counts(con: duckdb.DuckDBPyConnection, changes: Changes) -> None:
    """Bring ``rebuild_cache.member_counts`` up to date; ``member_counts`` then reads it."""
    if changes.full:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {CACHE}")
        con.execute(f"CREATE OR REPLACE TABLE {MEMBER_COUNTS} AS {_MEMBER_COUNTS_SELECT} "
                    "GROUP BY ALL")
    elif changes.force_months or changes.partnerships:
        import pandas as pd

        con.register("changed_fm", pd.DataFrame(list(changes.force_months),
                                                columns=["force", "month"], dtype=object))
        con.register("changed_p", pd.DataFrame({"partnership": list(changes.partnerships)},
                                               dtype=object))
        try:
            con.execute(f"DELETE FROM {MEMBER_COUNTS} WHERE partnership IN "
                        "(SELECT partnership FROM changed_p) OR (force, month) IN "
                        "(SELECT (force, month) FROM changed_fm)")
            # every month of the partnerships whose members changed...
            con.execute(f"INSERT INTO {MEMBER_COUNTS} {_MEMBER_COUNTS_SELECT} "
                        "WHERE m.partnership IN (SELECT partnership FROM changed_p) "
                        "GROUP BY ALL")
            # ...and the changed force-months of every other partnership
            con.execute(f"INSERT INTO {MEMBER_COUNTS} {_MEMBER_COUNTS_SELECT} "
                        "JOIN changed_fm x ON x.force = c.force AND x.month = c.month "
                        "WHERE m.partnership NOT IN (SELECT partnership FROM changed_p) "
                        "GROUP BY ALL")
        finally:
            con.unregister("changed_fm")
            con.unregister("changed_p")
    con.execute(f"CREATE OR REPLACE TEMP VIEW member_counts AS SELECT * FROM {MEMBER_COUNTS}")


def remember(con: duckdb.DuckDBPyConnection, changes: Changes, settings: str) -> None:
    """Record what ``member_counts`` now reflects, for the next rebuild to compare with."""
    con.execute(f"CREATE OR REPLACE TABLE {CACHE}.force_months AS SELECT * FROM fm_now")
    if changes.full or changes.partnerships:
        con.execute(f"CREATE OR REPLACE TABLE {CACHE}.members AS SELECT * FROM members")
    con.execute(f"CREATE OR REPLACE TABLE {CACHE}.state (key VARCHAR, value VARCHAR)")
    con.execute(f"INSERT INTO {CACHE}.state VALUES ('settings', ?), ('da', ?)",
                [settings, da_fingerprint(con)])
    con.execute("DROP TABLE IF EXISTS fm_now")
