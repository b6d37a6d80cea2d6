"""The local store: one DuckDB file of tidy monthly series that every bulletin reads.

Ingest once, report many times: notebooks and the batch read this small file,
never the raw CSVs.  The schema is fixed in ARCHITECTURE.md; months are
``VARCHAR`` ``YYYY-MM`` everywhere.  ``series`` holds one row per partnership x
measure x month from the first to the last month the partnership's force
published, with ``value`` NULL in a publication gap (missing, never zero).

One table is added to the ARCHITECTURE.md schema: ``partnership_districts``
(``partnership, district``), which districts make each partnership, so that a
partnership's population is the sum of its districts' without reading params.

:class:`Store` is the read API (read-only by default, so many bulletin processes
can read at once); :func:`connect_for_write` is what ingest writes through.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cdrp_lib.areas import slugify
from cdrp_lib.errors import NotFoundError, StoreError
from cdrp_lib.periods import Month

if TYPE_CHECKING:  # heavy imports stay out of `cdrp --help`
    import duckdb
    import pandas as pd

DEFAULT_STORE = Path("outputs/store.duckdb")

SCHEMA: dict[str, str] = {
    "input_files": "sha256 VARCHAR PRIMARY KEY, path VARCHAR NOT NULL, kind VARCHAR NOT NULL, "
                   "rows BIGINT NOT NULL, ingested_at TIMESTAMP NOT NULL",
    "police_counts": "force VARCHAR NOT NULL, month VARCHAR NOT NULL, lsoa_code VARCHAR NOT NULL, "
                     "lsoa_name VARCHAR NOT NULL, crime_type VARCHAR NOT NULL, n BIGINT NOT NULL",
    "force_months": "force VARCHAR NOT NULL, month VARCHAR NOT NULL, rows BIGINT NOT NULL",
    "data_quality": "sha256 VARCHAR, file VARCHAR, line INTEGER, \"column\" VARCHAR, "
                    "rule VARCHAR, expected VARCHAR, found VARCHAR, severity VARCHAR",
    "partnerships": "id VARCHAR NOT NULL, name VARCHAR NOT NULL, source VARCHAR NOT NULL, "
                    "synthetic BOOLEAN NOT NULL",
    "partnership_districts": "partnership VARCHAR NOT NULL, district VARCHAR NOT NULL",
    "partnership_forces": "partnership VARCHAR NOT NULL, force VARCHAR NOT NULL",
    "series": "partnership VARCHAR NOT NULL, measure VARCHAR NOT NULL, month VARCHAR NOT NULL, "
              "value DOUBLE, denominator DOUBLE",
    "da_events": "event_id VARCHAR NOT NULL, date DATE NOT NULL, kind VARCHAR NOT NULL, "
                 "victim_id VARCHAR NOT NULL, lsoa_code VARCHAR NOT NULL, "
                 "partnership VARCHAR NOT NULL, marac_referral BOOLEAN NOT NULL",
    "survey": "partnership VARCHAR NOT NULL, question VARCHAR NOT NULL, wave VARCHAR NOT NULL, "
              "month VARCHAR NOT NULL, respondents DOUBLE, weighted_yes DOUBLE, "
              "weighted_n DOUBLE, n_eff DOUBLE",
    "population": "district VARCHAR NOT NULL, year INTEGER NOT NULL, population DOUBLE NOT NULL",
    "partner_values": "file VARCHAR NOT NULL, line INTEGER, area_kind VARCHAR NOT NULL, "
                      "area VARCHAR NOT NULL, measure VARCHAR NOT NULL, source VARCHAR NOT NULL, "
                      "period VARCHAR NOT NULL, first_month VARCHAR NOT NULL, "
                      "month VARCHAR NOT NULL, value DOUBLE NOT NULL, denominator DOUBLE, "
                      "cohort DOUBLE",
    "csp_lookup": "district VARCHAR NOT NULL, district_code VARCHAR NOT NULL, "
                  "csp VARCHAR NOT NULL, csp_code VARCHAR NOT NULL, "
                  "force_area VARCHAR NOT NULL, force_area_code VARCHAR NOT NULL, "
                  "force VARCHAR NOT NULL",
}

SERIES_COLUMNS = ("partnership", "measure", "month", "value", "denominator")
# Which table dates each source for latest_month(); DA events carry dates, not months.
_LATEST_MONTH_SQL: dict[str, str] = {
    "police": "SELECT max(month) FROM force_months WHERE rows > 0",
    "domestic_abuse": "SELECT strftime(max(date), '%Y-%m') FROM da_events",
    "survey": "SELECT max(month) FROM survey",
}


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that is not there yet (an existing store is left as it is)."""
    for table, columns in SCHEMA.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")


def connect_for_write(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store for ingest, with the schema in place.

    Raises :class:`StoreError` for a file that is not a usable cdrp store, before
    anything is written to it (tables are never added to someone else's database).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = open_store(path, read_only=False)
    try:
        create_schema(con)
    except Exception:
        con.close()
        raise
    return con


#: Bytes before a DuckDB file's first block: its main header and two database headers.
_DUCKDB_HEADER_BYTES = 3 * 4096


def open_store(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to the store at ``path``, checked to be a whole cdrp store.

    One :class:`StoreError` line, whatever is wrong: not a DuckDB file, truncated
    (fewer bytes than its blocks need, which DuckDB only notices when a query
    reaches the missing block), or a DuckDB database that is not a cdrp store.
    A new or empty file is fine when writing.
    """
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise StoreError(_store_message(path, exc)) from None
    try:
        check_store(con, path, allow_new=not read_only)
    except BaseException:
        con.close()
        raise
    return con


def check_store(con: duckdb.DuckDBPyConnection, path: Path, allow_new: bool) -> None:
    """Raise :class:`StoreError` unless ``con`` holds a whole cdrp store (or, when
    ``allow_new``, an empty database a first ingest will fill)."""
    import duckdb

    try:
        # used, not total, blocks: DuckDB trims free blocks off the end of the file,
        # and the used ones each need their own bytes wherever they are
        size_row = con.execute("SELECT block_size, used_blocks FROM pragma_database_size() "
                               "WHERE database_name = current_database()").fetchone()
        rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = 'main' AND table_catalog = current_database()"
                           ).fetchall()
    except duckdb.Error as exc:
        raise StoreError(_store_message(path, exc)) from None
    if size_row and path.exists():
        need = int(size_row[0]) * int(size_row[1]) + _DUCKDB_HEADER_BYTES
        have = path.stat().st_size
        if have < need:
            raise StoreError(f"the store {path} is truncated ({have:,} bytes of the {need:,} "
                             "its used blocks need): restore it from a backup or ingest into a new "
                             "--store")
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(str(table), set()).add(str(column))
    if not tables and allow_new:
        return
    ours = [name for name in SCHEMA if name in tables]
    if "input_files" not in tables or len(ours) < len(SCHEMA) // 2:
        found = ", ".join(sorted(tables)[:5]) or "no tables"
        raise StoreError(f"{path} is not a cdrp store: a DuckDB database with {found}; "
                         f"expected the tables {', '.join(SCHEMA)} (pass another --store)")
    missing = [name for name in SCHEMA if name not in tables]
    if missing and not allow_new:
        raise StoreError(f"the store {path} lacks the tables {', '.join(missing)}: "
                         "run `cdrp ingest` to add them")
    for name in ours:
        expected = {c.split()[0].strip('"') for c in SCHEMA[name].split(", ")}
        if not expected <= tables[name]:
            lacking = ", ".join(sorted(expected - tables[name]))
            raise StoreError(f"{path} is not a cdrp store of this version: its table {name} "
                             f"lacks the columns {lacking}")


def _store_message(path: Path, exc: Exception) -> str:
    """One line for a DuckDB error opening or reading the store."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()),
                 type(exc).__name__)
    return (f"cannot use the store {path}: {first} (a corrupt or truncated store: restore "
            "it from a backup or ingest into a new --store)")


class Store:
    """Read access to the store for assessment, notebooks and the batch.

    Use as a context manager: ``with Store(path) as store: store.series("corby", "burglary")``.
    Opening is read-only by default, so any number of processes can read at once.
    """

    def __init__(self, path: Path | str = DEFAULT_STORE, read_only: bool = True) -> None:

        self.path = Path(path)
        if read_only and not self.path.exists():
            raise NotFoundError(f"no store at {self.path}: run `cdrp ingest` first")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con: duckdb.DuckDBPyConnection | None = open_store(self.path, read_only)
        self.read_only = read_only
        # Read-only, the population tables cannot change under us: each year's table and
        # each partnership's districts are read once (a bulletin asks for them hundreds
        # of times, for every peer of every measure).
        self._populations: dict[int, dict[str, float]] = {}
        self._districts: dict[str, list[str]] = {}
        if not read_only:
            create_schema(self._con)

    # -- lifecycle
    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, for queries the methods below do not cover."""
        if self._con is None:
            raise NotFoundError(f"the store {self.path} is closed")
        return self._con

    def _frame(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        frame: pd.DataFrame = self.con.execute(sql, params or []).df()
        return frame

    # -- partnerships and measures
    def partnerships(self) -> list[tuple[str, str]]:
        """Every partnership as ``(id, name)``, sorted by id."""
        rows = self.con.execute("SELECT id, name FROM partnerships ORDER BY id").fetchall()
        return [(str(i), str(n)) for i, n in rows]

    def measures(self, partnership: str | None = None) -> list[str]:
        """Measures with a series (for one partnership, or any), sorted."""
        if partnership is None:
            rows = self.con.execute("SELECT DISTINCT measure FROM series ORDER BY 1").fetchall()
        else:
            self._require_partnership(partnership)
            rows = self.con.execute("SELECT DISTINCT measure FROM series WHERE partnership = ? "
                                    "ORDER BY 1", [partnership]).fetchall()
        return [str(r[0]) for r in rows]

    def _require_partnership(self, partnership: str) -> None:
        found = self.con.execute("SELECT count(*) FROM partnerships WHERE id = ?",
                                 [partnership]).fetchone()
        if not found or not found[0]:
            ids = [i for i, _ in self.partnerships()]
            near = [i for i in ids if partnership.split("-")[0] in i][:5]
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise NotFoundError(f"no partnership {partnership!r} in the store {self.path}{hint}")

    def _require_measure(self, measure: str) -> None:
        found = self.con.execute("SELECT count(*) FROM (SELECT 1 FROM series WHERE measure = ? "
                                 "LIMIT 1)", [measure]).fetchone()
        if not found or not found[0]:
            raise NotFoundError(f"no series for measure {measure!r} in the store {self.path} "
                                f"(has {', '.join(self.measures()) or 'none'})")

    # -- series
    def series(self, partnership: str, measure: str, first: str | None = None,
               last: str | None = None) -> pd.Series:
        """One monthly series: index ``YYYY-MM`` strings, float values, NaN in a gap.

        Raises NotFoundError for a partnership or measure the store does not hold;
        a known measure with no rows for this partnership gives an empty series.
        """
        import pandas as pd

        self._require_partnership(partnership)
        self._require_measure(measure)
        frame = self.series_frame(partnership, measure, first, last)
        values = pd.Series(frame["value"].to_numpy(dtype=float), index=pd.Index(
            frame["month"].astype(str).tolist(), name="month", dtype=object), name=measure,
            dtype=float)
        return values

    def series_frame(self, partnership: str | None = None, measure: str | None = None,
                     first: str | None = None, last: str | None = None,
                     measures: Collection[str] | None = None) -> pd.DataFrame:
        """Series rows ``partnership, measure, month, value, denominator``, filtered and sorted.

        ``measures`` keeps the rows of those measures only (with ``measure``: of both).
        """
        where, params = [], []
        for column, value in (("partnership", partnership), ("measure", measure)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if measures is not None:
            wanted = sorted(measures)
            where.append(f"measure IN ({', '.join('?' * len(wanted))})" if wanted else "FALSE")
            params.extend(wanted)
        if first is not None:
            where.append("month >= ?")
            params.append(str(Month.parse(first)))
        if last is not None:
            where.append("month <= ?")
            params.append(str(Month.parse(last)))
        sql = ("SELECT partnership, measure, month, value, denominator FROM series"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY partnership, measure, month")
        return self._frame(sql, params)

    def latest_month(self, source: str = "police") -> str | None:
        """The latest month with data from ``source``: police, domestic_abuse, survey, or a
        partner agency's (the last month of the latest period its series*.csv gave)."""
        if source in _LATEST_MONTH_SQL:
            row = self.con.execute(_LATEST_MONTH_SQL[source]).fetchone()
        else:
            row = self.con.execute("SELECT max(month) FROM partner_values WHERE source = ?",
                                   [source]).fetchone()
        return str(row[0]) if row and row[0] is not None else None

    # -- population
    def population(self, district_or_partnership: str, year: int) -> float | None:
        """Mid-year population of a district (by name) or a partnership (sum of its districts).

        None when the year, the district or any of the partnership's districts is missing
        (a partial sum would understate the rate).  Names match case- and
        punctuation-insensitively, as partnership ids are made from them.
        """
        key = slugify(district_or_partnership)
        by_slug = self._populations.get(year)
        if by_slug is None:
            rows = self.con.execute("SELECT district, population FROM population "
                                    "WHERE year = ?", [year]).fetchall()
            by_slug = {slugify(str(d)): float(p) for d, p in rows}
            if self.read_only:
                self._populations[year] = by_slug
        if key in by_slug:
            return by_slug[key]
        districts = self._districts.get(district_or_partnership)
        if districts is None:
            districts = [str(r[0]) for r in self.con.execute(
                "SELECT district FROM partnership_districts WHERE partnership = ?",
                [district_or_partnership]).fetchall()]
            if self.read_only:
                self._districts[district_or_partnership] = districts
        if not districts:
            return None
        values = [by_slug.get(slugify(d)) for d in districts]
        if any(v is None or math.isnan(v) for v in values):
            return None
        return float(sum(v for v in values if v is not None))

    # -- provenance and local data
    def quality_report(self) -> pd.DataFrame:
        """Every problem found at ingest (rejects, repeats, rows with no LSOA, gaps)."""
        return self._frame("SELECT sha256, file, line, \"column\", rule, expected, found, severity "
                           "FROM data_quality ORDER BY severity, file, line NULLS FIRST, rule")

    def input_files(self) -> pd.DataFrame:
        """Every input file ingested, with its sha256, kind and row count."""
        return self._frame("SELECT sha256, path, kind, rows, ingested_at FROM input_files "
                           "ORDER BY ingested_at, path")

    def da_events(self, partnership: str) -> pd.DataFrame:
        """The domestic-abuse events in a partnership's area, in date order."""
        self._require_partnership(partnership)
        return self._frame("SELECT event_id, date, kind, victim_id, lsoa_code, partnership, "
                           "marac_referral FROM da_events WHERE partnership = ? "
                           "ORDER BY date, event_id", [partnership])

    def survey_waves(self, partnership: str, question: str | None = None) -> pd.DataFrame:
        """Survey waves of a partnership (optionally one question), in month order."""
        self._require_partnership(partnership)
        sql = ("SELECT partnership, question, wave, month, respondents, weighted_yes, "
               "weighted_n, n_eff FROM survey WHERE partnership = ?")
        params: list[Any] = [partnership]
        if question is not None:
            sql += " AND question = ?"
            params.append(question)
        return self._frame(sql + " ORDER BY question, month", params)
