"""The second pass: files with a rejected row or a repeated Crime ID read again in order."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cdrp_lib.errors import InputError, Problem, clip_found

if TYPE_CHECKING:  # duckdb is imported lazily: `cdrp --help` must not pay for it
    import duckdb
from cdrp_lib.sources.police_uk.checks import FileCheck
from cdrp_lib.sources.police_uk.discovery import StreetFile
from cdrp_lib.sources.police_uk.rules import (
    _MONTH_RE,
    RULE_BAD_MONTH,
    RULE_OTHER_MONTH,
    RULE_UNKNOWN_TYPE,
    RULE_UNREADABLE,
)
from cdrp_lib.sources.police_uk.sql import (
    _BAD_LSOA,
    _ODD,
    _SLUG_CODE,
    LSOA_PATTERN,
    ODD_CRIME_ID,
    ODD_LATITUDE,
    ODD_ROW,
    _read_csv_sql,
    _Scanned,
    _slug_code,
)

_GroupKey = tuple[str, str, int]  # lsoa_code, lsoa_name, slug_code of a counted group


@dataclass(frozen=True)
class _SecondPass:
    """What the second pass found in one file, by row index (0 = first row after the header).

    ``bad``: (index, wrong month or None, unknown crime type or None) of each rejected
    row; ``dropped``: (index, index of the row kept, its group) of each repeat.
    """

    bad: tuple[tuple[int, str | None, str | None], ...] = ()
    dropped: tuple[tuple[int, int, _GroupKey], ...] = ()
    odd: tuple[tuple[int, str, str], ...] = ()  # (index, column, value): kept, with a warning


def _second_pass(con: duckdb.DuckDBPyConnection, files: Sequence[_Scanned],
                 rows: Mapping[int, int],
                 repeats_only: Collection[int] = (),
                 every_id: Collection[int] = ()) -> dict[int, _SecondPass]:
    """Read ``files`` again in file order; the rows that break a rule or repeat a Crime ID.

    Rows are numbered as they are read (``row_number() OVER ()`` streams, in one
    thread per scan, in file order), so nothing is kept per row: only the rows of
    interest come back.  The files are split into as many scans as DuckDB has
    threads, run side by side on cursors of ``con`` (they read files, no tables).
    A row's index in its file is its number less the rows of the files before it,
    which the first pass counted (``rows``); an index outside its file would mean
    the two passes read a file differently, which is reported rather than guessed
    at.  Repeats are told apart by the Crime ID itself, not its hash.

    Files in ``repeats_only`` (positions ``f`` the first pass found no rejected or
    odd row in: the usual reason to read a file again) are read by a leaner query
    that looks at each row's Crime ID and position only, and works out the rest
    for the few rows that repeat one: half the cost of the full checks on every row.
    In files in ``every_id`` (those with a row the first pass hashed as
    :data:`ODD_ROW`) every row with a Crime ID comes back, so repeats are found
    among all of them.
    """
    if not files:
        return {}
    candidates = con.execute("SELECT f, h FROM street_groups WHERE NOT counted "
                             f"AND h IS NOT NULL AND h <> {ODD_ROW} AND n > 1").fetchall()
    known = {"cf": [int(f) for f, _ in candidates], "ch": [int(h) for _, h in candidates]}

    def scan(job: tuple[bool, Sequence[_Scanned]]) -> list[tuple[Any, ...]]:
        lean, part = job
        params = known | {
            "files": [str(s.check.read_path) for s in part], "f": [s.f for s in part],
            "before": [sum(rows[s.f] for s in part[:i]) for i in range(len(part))],
            "rows": [rows[s.f] for s in part]}
        if not lean:  # the full query also checks months and may read back every ID
            params["months"] = [s.check.file.month for s in part]
            params["every"] = sorted(s.f for s in part if s.f in every_id)
        cursor = con.cursor()
        try:
            return cursor.execute(_REPEATS_PASS if lean else _SECOND_PASS, params).fetchall()
        finally:
            cursor.close()

    jobs = [(lean, part) for lean in (False, True)
            for part in _split(con, [s for s in files if (s.f in repeats_only) == lean])]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        found = sorted((r for part in pool.map(scan, jobs) for r in part),
                       key=lambda r: (r[0], r[1]))
    by_file = {s.f: s for s in files}
    outside = sorted({f for f, idx, *_ in found if not 0 <= idx < rows[f]})
    if outside:
        raise InputError([Problem(by_file[f].check.file.name, RULE_UNREADABLE,
                                  f"{rows[f]} rows, as the first pass read",
                                  "another number of rows in the second pass") for f in outside])
    bad: dict[int, list[tuple[int, str | None, str | None]]] = defaultdict(list)
    seen: dict[tuple[int, str], int] = {}
    dropped: dict[int, list[tuple[int, int, _GroupKey]]] = defaultdict(list)
    odd: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for f, idx, crime_id, bad_month, unknown_type, code, name, slug, flags, lat in found:
        if bad_month is not None or slug is None:
            bad[f].append((idx, bad_month, unknown_type))
            continue
        if flags & ODD_CRIME_ID:
            odd[f].append((idx, "Crime ID", crime_id))
        if flags & ODD_LATITUDE:
            odd[f].append((idx, "Latitude", lat))
        if code and not _LSOA_RE.fullmatch(code):
            odd[f].append((idx, "LSOA code", code))
        if (f, crime_id) in seen:
            dropped[f].append((idx, seen[(f, crime_id)], (code, name, slug)))
        elif crime_id:
            seen[(f, crime_id)] = idx
    return {f: _SecondPass(tuple(bad[f]), tuple(dropped[f]), tuple(odd[f]))
            for f in set(bad) | set(dropped) | set(odd)}


_LSOA_RE = re.compile(LSOA_PATTERN)


def _split(con: duckdb.DuckDBPyConnection, files: Sequence[_Scanned]) -> list[list[_Scanned]]:
    """``files`` in as many consecutive parts of about equal size as DuckDB has threads."""
    if not files:
        return []
    row = con.execute("SELECT current_setting('threads')").fetchone()
    parts = max(1, min(len(files), int(row[0]) if row else 1))
    total = sum(s.check.size for s in files)
    out: list[list[_Scanned]] = [[] for _ in range(parts)]
    done = 0
    for s in files:
        out[min(parts - 1, done * parts // max(total, 1))].append(s)
        done += s.check.size
    return [part for part in out if part]


# A row whose file and Crime ID hash are a candidate repeat of the first pass ($cf, $ch).
_CANDIDATE = ("EXISTS (SELECT 1 FROM (SELECT unnest(CAST($cf AS INTEGER[])) AS f, "
              "unnest(CAST($ch AS UBIGINT[])) AS h) c WHERE c.f = r.f AND c.h = r.h)")

# One scan of the second pass: its files' rows numbered in file order, and of those
# only the rows that break a rule, repeat a candidate Crime ID (``$cf``, ``$ch``: file
# and hash, from the first pass) or fall outside their file's count (``$rows``).
_SECOND_PASS = (
    "SELECT f, idx, crime_id, bad_month, unknown_type, lsoa_code, lsoa_name, slug_code, odd, "
    "latitude FROM ("
    "  SELECT $f[i] AS f, rn - $before[i] - 1 AS idx, $rows[i] AS n_rows, "
    "  \"Crime ID\" AS crime_id, CASE WHEN \"Month\" IS DISTINCT FROM $months[i] "
    "  THEN coalesce(\"Month\", '') END AS bad_month, CASE WHEN slug_code IS NULL "
    "  THEN coalesce(\"Crime type\", '') END AS unknown_type, lsoa_code, lsoa_name, slug_code, h, "
    "  odd, latitude "
    "  FROM (SELECT CAST(file_index AS BIGINT) + 1 AS i, row_number() OVER () AS rn, "
    "    \"Crime ID\", \"Month\", \"Crime type\", coalesce(\"LSOA code\", '') AS lsoa_code, "
    f"    coalesce(\"LSOA name\", '') AS lsoa_name, {_SLUG_CODE} AS slug_code, "
    "    CASE WHEN \"Crime ID\" <> '' THEN hash(\"Crime ID\") END AS h, "
    f"    {_ODD} AS odd, \"Latitude\" AS latitude "
    f"    FROM {_read_csv_sql('files', 'skip')})) r "
    f"WHERE bad_month IS NOT NULL OR slug_code IS NULL OR idx < 0 OR idx >= n_rows "
    f"OR odd <> 0 OR {_BAD_LSOA} "
    "OR (crime_id <> '' AND list_contains(CAST($every AS INTEGER[]), f)) "
    f"OR {_CANDIDATE}")


# The second pass of a file with nothing but repeats: each row's Crime ID hash and
# position, and only for the rows that repeat a candidate (or fall outside their
# file's count) the columns a repeat is reported and taken off its group by.  Same
# columns as _SECOND_PASS; the outer projection runs on those rows alone.
_REPEATS_PASS = (
    "SELECT f, idx, crime_id, NULL AS bad_month, NULL AS unknown_type, "
    "coalesce(lsoa_code, '') AS lsoa_code, coalesce(lsoa_name, '') AS lsoa_name, "
    f"{_slug_code('crime_type')} AS slug_code, "
    "0 AS odd, NULL AS latitude FROM ("
    "  SELECT $f[i] AS f, rn - $before[i] - 1 AS idx, $rows[i] AS n_rows, "
    "  \"Crime ID\" AS crime_id, \"LSOA code\" AS lsoa_code, \"LSOA name\" AS lsoa_name, "
    "  \"Crime type\" AS crime_type, "
    "  CASE WHEN \"Crime ID\" <> '' THEN hash(\"Crime ID\") END AS h "
    "  FROM (SELECT CAST(file_index AS BIGINT) + 1 AS i, row_number() OVER () AS rn, "
    "    \"Crime ID\", \"LSOA code\", \"LSOA name\", \"Crime type\" "
    f"    FROM {_read_csv_sql('files', 'skip')})) r "
    "WHERE idx < 0 OR idx >= n_rows "
    f"OR {_CANDIDATE}")


def _drop_repeats(con: duckdb.DuckDBPyConnection, second: Mapping[int, _SecondPass]) -> None:
    """Temp table ``street_dropped``: repeats to take off each group's count."""
    dropped = Counter((f, *key) for f, read in second.items() for _, _, key in read.dropped)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE street_dropped AS SELECT "
        "unnest(CAST($f AS INTEGER[])) AS f, unnest(CAST($code AS VARCHAR[])) AS lsoa_code, "
        "unnest(CAST($name AS VARCHAR[])) AS lsoa_name, "
        "unnest(CAST($slug AS UTINYINT[])) AS slug_code, unnest(CAST($n AS BIGINT[])) AS n",
        {"f": [k[0] for k in dropped], "code": [k[1] for k in dropped],
         "name": [k[2] for k in dropped], "slug": [k[3] for k in dropped],
         "n": list(dropped.values())})


def _line_numbering(check: FileCheck) -> Callable[[int], int]:
    """Row index -> line in the original file (header is line 1).

    A file read directly has one record per line (:func:`_unread` sent any other to
    the slow path); a clean copy maps its records to their lines.
    """
    line_map = check.line_map

    def to_line(idx: int) -> int:
        if line_map is not None and 0 <= idx < len(line_map):
            return line_map[idx]
        return idx + 2

    return to_line


def _row_problems(sf: StreetFile, line: int, bad_month: str | None,
                  unknown_type: str | None) -> list[Problem]:
    """Every rule one rejected row breaks (its month, its crime type, or both).

    ``bad_month`` is the row's Month when it is not the file's ('' when empty);
    ``unknown_type`` the Crime type when it is not a known one ('' when empty).
    """
    out: list[Problem] = []
    if bad_month is not None:
        if _MONTH_RE.match(bad_month):
            out.append(Problem(sf.name, RULE_OTHER_MONTH,
                               f"{sf.month} (the month in the file name)", repr(bad_month),
                               line=line, column="Month"))
        else:
            found = repr(clip_found(bad_month)) if bad_month else "nothing"
            out.append(Problem(sf.name, RULE_BAD_MONTH, "a month YYYY-MM", found, line=line,
                               column="Month"))
    if unknown_type is not None:
        found = repr(clip_found(unknown_type)) if unknown_type else "nothing"
        out.append(Problem(sf.name, RULE_UNKNOWN_TYPE,
                           "a data.police.uk crime type (any of the 2010, 2011 and 2013 sets)",
                           found, line=line, column="Crime type"))
    return out
