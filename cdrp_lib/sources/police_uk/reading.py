"""The first pass: every batch of files counted in one DuckDB scan; each file's figures."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cdrp_lib.errors import Problem, ProblemLog, clip_found

if TYPE_CHECKING:  # duckdb is imported lazily: `cdrp --help` must not pay for it
    import duckdb
from cdrp_lib.sources.police_uk.checks import FileCheck, _clean_copy
from cdrp_lib.sources.police_uk.discovery import StreetFile
from cdrp_lib.sources.police_uk.rules import (
    DEFAULT_BATCH_BYTES,
    RULE_BAD_CRIME_ID,
    RULE_BAD_LATITUDE,
    RULE_BAD_LSOA,
    RULE_DUPLICATE,
    RULE_NO_LSOA,
    RULE_UNREADABLE,
    SEVERITY_INFO,
    SEVERITY_WARNING,
)
from cdrp_lib.sources.police_uk.second_pass import (
    _drop_repeats,
    _line_numbering,
    _row_problems,
    _second_pass,
    _SecondPass,
)
from cdrp_lib.sources.police_uk.sql import (
    _BAD_LSOA,
    _ODD_ANY,
    _REJECT_SCANS,
    _REJECTS,
    _SLUG_CODE,
    _SLUGS,
    ODD_ROW,
    _read_csv_sql,
    _Scanned,
)

# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class FileStats:
    """What one street file contributed (the report's per-file line)."""

    name: str
    force: str
    month: str
    sha256: str
    rows: int          # data rows read (after any dropped by the slow path)
    kept: int          # rows counted
    rejected: int      # rows rejected by a rule (including records dropped unread)
    duplicates: int    # repeats of a Crime ID already seen in the file
    no_lsoa: int       # kept rows with no LSOA (counted to the force only)
    unread: int = 0    # rows that could not be read at all (a problem gives their lines)
    superseded: int = 0  # rows not counted: a later file for its force and month is used

    @property
    def accounted(self) -> int:
        """Rows kept, rejected, dropped as repeats, superseded or unread: always ``rows``."""
        return self.kept + self.rejected + self.duplicates + self.unread + self.superseded


@dataclass(frozen=True)
class StreetRead:
    """Result of reading a set of checked street files into the ``table`` of counts."""

    stats: tuple[FileStats, ...]
    problems: tuple[Problem, ...]
    table: str



def _batches(checks: Iterable[tuple[int, FileCheck]],
             batch_bytes: int) -> Iterator[list[tuple[int, FileCheck]]]:
    """Consecutive files, up to ``batch_bytes`` of CSV per batch (at least one file).

    Any mix of forces and months: each row's month is checked against its own
    file's, so one scan can cover a whole national download.
    """
    batch: list[tuple[int, FileCheck]] = []
    size = 0
    for item in checks:
        if batch and size >= batch_bytes:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item[1].size
    if batch:
        yield batch


COUNTS_COLUMNS = ("force VARCHAR NOT NULL, month VARCHAR NOT NULL, lsoa_code VARCHAR NOT NULL, "
                  "lsoa_name VARCHAR NOT NULL, crime_type VARCHAR NOT NULL, n BIGINT NOT NULL")


@dataclass(frozen=True)
class _FileResult:
    """One file's figures and problems; ``no`` is its position among all files read."""

    no: int
    stats: FileStats
    problems: tuple[Problem, ...]


def read_street_files(con: duckdb.DuckDBPyConnection, checks: Iterable[FileCheck],
                      scratch: Path, table: str = "street_counts",
                      batch_bytes: int = DEFAULT_BATCH_BYTES) -> StreetRead:
    """Validate usable, non-empty checked files and count their rows into ``table``.

    ``table`` (created if absent) holds ``force, month, lsoa_code, lsoa_name,
    crime_type, n``: deduplicated rows counted by LSOA and crime-type slug.  A file
    replaces whatever ``table`` held for its force and month, so of two files for one
    force and month the later wins.  ``checks`` may be a lazy iterator: files are read
    a batch at a time as they arrive.  ``scratch`` receives clean copies of files
    that need the slow path.  Stats and problems come in file order.
    """
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({COUNTS_COLUMNS})")
    con.execute("CREATE OR REPLACE TEMP TABLE street_slugs AS SELECT CAST(i - 1 AS UTINYINT) "
                "AS slug_code, slug FROM unnest(CAST(? AS VARCHAR[])) WITH ORDINALITY t(slug, i)",
                [list(_SLUGS)])
    numbered = ((no, c) for no, c in enumerate(checks) if c.usable and not c.empty)
    results = sorted((r for batch in _batches(numbered, batch_bytes)
                      for r in _read_batch(con, batch, table, scratch)), key=lambda r: r.no)
    return StreetRead(tuple(r.stats for r in results),
                      tuple(p for r in results for p in r.problems), table)


def _read_batch(con: duckdb.DuckDBPyConnection, batch: list[tuple[int, FileCheck]], table: str,
                scratch: Path) -> list[_FileResult]:
    """Count one batch into ``table``; each file's figures and problems.

    A file DuckDB cannot read whole (a wrong number of fields, an unterminated
    quote) goes through the slow path (:func:`_clean_copy`) and is counted from its
    clean copy.  DuckDB is told to skip such records rather than fail, because a
    failed statement would abort the caller's transaction; a skipped record leaves
    its file with fewer rows than lines, which :func:`_unread` finds.
    """
    scan: _Scan = list(enumerate(batch))
    broken = _unread(con, scan, _group_rows(con, [c for _, c in batch]))
    results: list[_FileResult] = []
    if broken:
        con.execute("DELETE FROM street_groups WHERE list_contains($f, f)", {"f": sorted(broken)})
        repaired: _Scan = []
        for f in sorted(broken):
            no, check = batch[f]
            cleaned = _clean_copy(check.file, check.sha256, check.file.path.read_bytes(), scratch)
            if not cleaned.usable or cleaned.empty:
                results.append(_unusable(no, check, cleaned))
            else:
                repaired.append((f, (no, cleaned)))
        still = _unread(con, repaired, _group_rows(con, [c for _, (_, c) in repaired],
                                                   [f for f, _ in repaired]))
        for f, (no, cleaned) in repaired:
            if f in still:  # DuckDB and the csv module disagree even on the clean copy
                con.execute("DELETE FROM street_groups WHERE f = ?", [f])
                results.append(_unusable(no, batch[f][1], cleaned, still[f]))
        scan = sorted([item for item in scan if item[0] not in broken]
                      + [item for item in repaired if item[0] not in still])
    return results + _summarise_batch(con, scan, table)


_Scan = list[tuple[int, tuple[int, FileCheck]]]  # (f, (file_no, check)) in scan order


def _unread(con: duckdb.DuckDBPyConnection, scan: _Scan,
            rejected: dict[int, str]) -> dict[int, str]:
    """Files of ``scan`` that DuckDB did not read one record per line: why, by position ``f``.

    Those it set records aside from (``rejected``); those where its rows differ from
    the file's lines (a quoted field spanning lines, a blank line, or a record DuckDB
    dropped without a word, as it may an unterminated quote at the end of a file);
    and those ending in an unterminated quote.  Sending them all through the slow
    path, whose clean copy Python's csv module writes, means DuckDB only ever counts
    files it reads the same way in every scan, so the second pass finds the same rows.
    """
    rows = {int(f): int(n) for f, n in con.execute(
        "SELECT f, sum(n) FROM street_groups WHERE counted GROUP BY f").fetchall()}
    out = dict(rejected)
    for f, (_, check) in scan:
        read = rows.get(f, 0)
        if f not in out and (read != check.lines or check.unterminated):
            out[f] = f"{check.lines} records, {read} read by DuckDB"
    return out


def _unusable(no: int, check: FileCheck, cleaned: FileCheck,
              unread: str | None = None) -> _FileResult:
    """A file of which nothing could be counted, even after the slow path."""
    sf = check.file
    problems = cleaned.problems
    lines = cleaned.line_map or ()
    if unread is not None:
        where = f"lines {lines[0]}-{lines[-1]} ({len(lines):,} rows) not read: " if lines else ""
        problems += (Problem(sf.name, RULE_UNREADABLE, "CSV records DuckDB can read",
                             where + clip_found(unread)),)
    return _FileResult(no, FileStats(sf.name, sf.force, sf.month, check.sha256,
                                     cleaned.dropped + len(lines), 0, cleaned.dropped, 0, 0,
                                     unread=len(lines)), problems)



def _group_rows(con: duckdb.DuckDBPyConnection, checks: Sequence[FileCheck],
                positions: Sequence[int] | None = None) -> dict[int, str]:
    """One parallel pass over ``checks`` into ``street_groups``, nothing kept per row.

    Two grouping sets in one scan: rows counted by file, month, LSOA and crime-type
    slug (``counted``; ``slug_code`` NULL for an unknown type), and every Crime ID
    that occurs more than once in its file, by a 64-bit hash of the ID.  A row with a
    value to warn about (:data:`_ODD_ANY`) takes the hash :data:`ODD_ROW` instead of its
    ID's, so its file shows a group with that hash: cheaper than carrying a flag
    aggregate in both grouping sets (0.2 of 2.4 CPU-s on 3.2 million rows), and the
    second pass of such a file looks at every Crime ID, so no repeat goes unseen.
    Those candidates, and any row breaking a rule, are rare; the files that have them
    are read again in file order (:func:`_second_pass`) to name the lines, so a hash
    collision costs time, never a wrong count.

    ``f`` is a file's position in ``checks``, or ``positions[i]`` when given, in which
    case the groups are added to the table rather than replacing it: the scan of
    the slow path's clean copies, which returns, for each file with records DuckDB
    could not parse, why (its first such line), the reason reported if even the
    clean copy cannot be read.  The first scan returns nothing: its files with a
    record skipped have fewer rows than lines, and go to the slow path, which
    names each line.
    """
    if not checks:
        return {}
    f = ("CAST(file_index AS INTEGER)" if positions is None
         else "CAST($positions[CAST(file_index AS BIGINT) + 1] AS INTEGER)")
    into = ("CREATE OR REPLACE TEMP TABLE street_groups AS" if positions is None
            else "INSERT INTO street_groups")
    record = positions is not None
    if record:
        con.execute(f"DROP TABLE IF EXISTS {_REJECTS}")
        con.execute(f"DROP TABLE IF EXISTS {_REJECT_SCANS}")
    con.execute(
        f"{into} SELECT {f} AS f, \"Month\" AS month, "
        "coalesce(\"LSOA code\", '') AS lsoa_code, coalesce(\"LSOA name\", '') AS lsoa_name, "
        f"{_SLUG_CODE} AS slug_code, "
        f"CASE WHEN {_ODD_ANY} THEN CAST({ODD_ROW} AS UBIGINT) "
        "WHEN \"Crime ID\" <> '' THEN hash(\"Crime ID\") END AS h, "
        "count(*) AS n, grouping(h) = 1 AS counted "
        f"FROM {_read_csv_sql('files', 'record' if record else 'skip')} "
        "GROUP BY GROUPING SETS ((f, month, lsoa_code, lsoa_name, slug_code), (f, h)) "
        f"HAVING grouping(h) = 1 OR (h IS NOT NULL AND (count(*) > 1 OR h = {ODD_ROW}))",
        {"files": [str(c.read_path) for c in checks]}
        | ({} if positions is None else {"positions": list(positions)}))
    if positions is None:  # the first scan: nothing recorded
        return {}
    rejected = con.execute(
        f"SELECT CAST(file_id AS INTEGER), min(line), first(error_message ORDER BY line) "
        f"FROM {_REJECTS} GROUP BY ALL").fetchall()
    return {positions[int(i)]: f"{message} (line {line})" for i, line, message in rejected}


def _register_files(con: duckdb.DuckDBPyConnection, name: str,
                    files: Sequence[_Scanned]) -> None:
    """Temp table ``name``: f, file_no, force, file_month, latest of each file."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest(CAST($f AS INTEGER[])) AS f, "
        "unnest(CAST($no AS BIGINT[])) AS file_no, unnest(CAST($force AS VARCHAR[])) AS force, "
        "unnest(CAST($month AS VARCHAR[])) AS file_month, "
        "unnest(CAST($latest AS BOOLEAN[])) AS latest",
        {"f": [s.f for s in files], "no": [s.no for s in files],
         "force": [s.check.file.force for s in files],
         "month": [s.check.file.month for s in files], "latest": [s.latest for s in files]})


class _Summary(NamedTuple):
    """One file's figures from its groups: what decides whether it is read again, and how."""

    rows: int       # rows DuckDB read
    rejected: int   # rows breaking a rule (another month, an unknown crime type)
    no_lsoa: int    # kept rows with no LSOA
    by_id: int      # Crime ID groups kept: repeated IDs, and rows hashed apart as ODD_ROW
    odd: int        # of those, the ODD_ROW group (a row with a warning)
    bad_lsoa: int   # counted groups with a malformed LSOA code

    @property
    def read_again(self) -> bool:
        """Some row needs its line: a rejected row, a repeat, a warning."""
        return bool(self.rejected or self.by_id or self.bad_lsoa)

    @property
    def repeats_only(self) -> bool:
        """Nothing but repeated Crime IDs: the lean second pass will do."""
        return not self.rejected and not self.odd and not self.bad_lsoa


_NOTHING = _Summary(0, 0, 0, 0, 0, 0)


def _summarise_batch(con: duckdb.DuckDBPyConnection,
                     scan: Sequence[tuple[int, tuple[int, FileCheck]]],
                     table: str) -> list[_FileResult]:
    """Figures, problems and counts of the files ``(f, (no, check))`` now in ``street_groups``.

    A file with no rejected row and no repeated Crime ID (nearly all) is done from
    its groups; the others are read again in file order by :func:`_second_pass`,
    and their counts are their groups less the repeats it drops.  Of two files in
    the batch for one force and month, only the later is counted.
    """
    last = {(c.file.force, c.file.month): no for _, (no, c) in scan}
    files = [_Scanned(f, no, c, last[(c.file.force, c.file.month)] == no)
             for f, (no, c) in scan]
    _register_files(con, "batch_files", files)
    summary = {int(f): _Summary(int(rows or 0), int(rejected), int(no_lsoa), int(by_id),
                                int(odd), int(bad_lsoa))
               for f, rows, rejected, no_lsoa, by_id, bad_lsoa, odd in con.execute(
        "SELECT f, sum(n) FILTER (counted), "
        "coalesce(sum(n) FILTER (counted AND NOT ok), 0), "
        "coalesce(sum(n) FILTER (counted AND ok AND lsoa_code = ''), 0), "
        "count(*) FILTER (NOT counted), "
        f"count(*) FILTER (counted AND {_BAD_LSOA}), "
        f"count(*) FILTER (NOT counted AND h = {ODD_ROW}) "
        "FROM (SELECT g.f, g.n, g.counted, g.lsoa_code, g.h, "
        "  g.month IS NOT DISTINCT FROM b.file_month AND g.slug_code IS NOT NULL AS ok "
        "  FROM street_groups g JOIN batch_files b USING (f)) GROUP BY f").fetchall()}
    rows = {s.f: summary.get(s.f, _NOTHING).rows for s in files}
    again = [s for s in files if summary.get(s.f, _NOTHING).read_again]
    second = _second_pass(con, again, rows,
                          repeats_only={s.f for s in again if summary[s.f].repeats_only},
                          every_id={s.f for s in again if summary[s.f].odd})
    _drop_repeats(con, second)
    con.execute(f"DELETE FROM {table} USING batch_files f "
                f"WHERE {table}.force = f.force AND {table}.month = f.file_month")
    con.execute(  # one group per file, month, LSOA and slug: nothing left to add up
        f"INSERT INTO {table} SELECT b.force, b.file_month, g.lsoa_code, g.lsoa_name, s.slug, "
        "g.n - coalesce(d.n, 0) FROM street_groups g JOIN batch_files b ON b.f = g.f AND b.latest "
        "JOIN street_slugs s USING (slug_code) LEFT JOIN street_dropped d ON d.f = g.f "
        "AND d.lsoa_code = g.lsoa_code AND d.lsoa_name = g.lsoa_name AND d.slug_code = g.slug_code "
        "WHERE g.counted AND g.month = b.file_month AND g.n > coalesce(d.n, 0)")
    out: list[_FileResult] = []
    for s in files:
        sf, check = s.check.file, s.check
        figures = summary.get(s.f, _NOTHING)
        n_rows, no_lsoa = figures.rows, figures.no_lsoa
        read = second.get(s.f, _SecondPass())
        to_line = _line_numbering(check)
        problems = ProblemLog()  # bounded: a file of bad rows holds 100 per rule
        problems.extend(check.problems)
        for idx, month, unknown_type in read.bad:
            problems.extend(_row_problems(sf, to_line(idx), month, unknown_type))
        for idx, first, _ in read.dropped:
            problems.add(Problem(sf.name, RULE_DUPLICATE,
                                    f"one row per Crime ID (kept line {to_line(first)})",
                                    "a repeat", line=to_line(idx), column="Crime ID",
                                    severity=SEVERITY_WARNING))
        for idx, kind, value in read.odd:
            problems.add(_odd_problem(sf, to_line(idx), kind, value))
        n_bad, n_dup = len(read.bad), len(read.dropped)
        lsoa_missing = no_lsoa - sum(1 for d in read.dropped if not d[2][0])
        if lsoa_missing:
            problems.add(_no_lsoa_problem(sf, lsoa_missing))
        out.append(_FileResult(s.no, FileStats(sf.name, sf.force, sf.month, check.sha256,
                                               n_rows + check.dropped, n_rows - n_bad - n_dup,
                                               n_bad + check.dropped, n_dup, lsoa_missing),
                               tuple(problems.problems())))
    return out


def _odd_problem(sf: StreetFile, line: int, kind: str, value: str) -> Problem:
    """A warning for a kept row whose value is not what data.police.uk publishes."""
    expected, rule = {
        "Crime ID": ("64 hex characters, or none (anti-social behaviour)", RULE_BAD_CRIME_ID),
        "Latitude": ("a number, or none", RULE_BAD_LATITUDE),
        "LSOA code": ("E01 or W01 and 6 digits, or none", RULE_BAD_LSOA),
    }[kind]
    return Problem(sf.name, rule, expected, repr(clip_found(value)), line=line, column=kind,
                   severity=SEVERITY_WARNING)


def _no_lsoa_problem(sf: StreetFile, rows: int) -> Problem:
    return Problem(sf.name, RULE_NO_LSOA, "an LSOA code",
                   f"{rows} rows with none (counted to the force only)",
                   column="LSOA code", severity=SEVERITY_INFO)


