"""data.police.uk street-level crime files: discovery, validation and aggregation.

data.police.uk publishes one CSV per force per month, ``YYYY-MM-<force>-street.csv``,
in month folders inside a zip, and analysts also keep them flat or unzipped.  The
force and month come from the file name; the rows are validated against them.

Speed and memory matter because a national year is ~6 million rows: parsing,
validation and aggregation to LSOA x crime-type counts run in DuckDB's parallel CSV
reader, a batch of files at a time (bounded memory), never row by row in Python.
Python only reads each file's bytes once, for its sha256, its header and a UTF-8
check (DuckDB does not validate columns it does not project).  The rare file that
DuckDB cannot parse, or that holds bytes that are not UTF-8, goes through a slow
path that drops the bad records, reports each one, and hands DuckDB a clean copy.

File order: rows are loaded into a DuckDB table with insertion order preserved, so
``rowid`` is the position in the batch; a row's line is its offset from the file's
first row plus 2 (the header is line 1), or comes from an explicit line map when a
record spans lines.  "A Crime ID repeated within a month is one crime" keeps the
first such row in that order.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cdrp_lib.errors import Problem

if TYPE_CHECKING:  # duckdb is imported lazily: `cdrp --help` must not pay for it
    import duckdb

HEADER: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)

# Crime type names of all three category sets (methods section 10) -> data.police.uk slug.
# Dec 2010-Aug 2011 had 6 types, Sep 2011-Apr 2013 11, May 2013- 14.  Renamed types keep
# their slug (Violent crime -> violent-crime); Public disorder and weapons keeps the
# legacy slug, which the continuous-series measure joins to its two successors.
CRIME_TYPE_SLUGS: Mapping[str, str] = MappingProxyType({
    "Anti-social behaviour": "anti-social-behaviour",
    "Burglary": "burglary",
    "Robbery": "robbery",
    "Vehicle crime": "vehicle-crime",
    "Violent crime": "violent-crime",
    "Other crime": "other-crime",
    "Criminal damage and arson": "criminal-damage-arson",
    "Drugs": "drugs",
    "Other theft": "other-theft",
    "Public disorder and weapons": "public-disorder-weapons",
    "Shoplifting": "shoplifting",
    "Violence and sexual offences": "violent-crime",
    "Public order": "public-order",
    "Possession of weapons": "possession-of-weapons",
    "Bicycle theft": "bicycle-theft",
    "Theft from the person": "theft-from-the-person",
})
CURRENT_SLUGS: frozenset[str] = frozenset(CRIME_TYPE_SLUGS.values()) - {"public-disorder-weapons"}
LEGACY_SLUG = "public-disorder-weapons"

STREET_NAME = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9]+(?:-[a-z0-9]+)*)-street\.csv$")
# Published beside the street files; not crime counts, so skipped with a note.
OTHER_POLICE_NAME = re.compile(r"^\d{4}-\d{2}-[a-z0-9-]+-(?:outcomes|stop-and-search)\.csv$")
_MONTH_VALUE = r"[0-9]{4}-(0[1-9]|1[0-2])"
_MONTH_RE = re.compile(rf"^{_MONTH_VALUE}$")

# Rules, as they appear in the report and the store's data_quality table.
RULE_UNREADABLE = "unreadable file"
RULE_FILE_NAME = "unparseable month in file name"
RULE_MISSING_HEADER = "missing header"
RULE_WRONG_HEADER = "wrong header"
RULE_EMPTY = "empty file"
RULE_NOT_UTF8 = "bytes that are not UTF-8"
RULE_FIELDS = "wrong number of fields"
RULE_BAD_MONTH = "unparseable month"
RULE_OTHER_MONTH = "row claims another month"
RULE_UNKNOWN_TYPE = "unknown crime type"
RULE_DUPLICATE = "repeated Crime ID"
RULE_NO_LSOA = "rows with no LSOA"
RULE_SAME_FORCE_MONTH = "second file for one force and month"
REJECT_RULES: tuple[str, ...] = (
    RULE_UNREADABLE, RULE_FILE_NAME, RULE_MISSING_HEADER, RULE_WRONG_HEADER, RULE_EMPTY,
    RULE_NOT_UTF8, RULE_FIELDS, RULE_BAD_MONTH, RULE_OTHER_MONTH, RULE_UNKNOWN_TYPE,
)

SEVERITY_ERROR = "error"      # a row or file was rejected
SEVERITY_WARNING = "warning"  # reported; the data was still used (repeats, gaps)
SEVERITY_INFO = "info"        # counted for the record (rows with no LSOA)

DEFAULT_BATCH_BYTES = 64 * 2**20  # CSV bytes per DuckDB batch: bounds memory, keeps both cores busy
_READ_CHUNK = 8 * 2**20
_FOUND_MAX = 60  # characters of a found value quoted in a problem


def _clip(value: str) -> str:
    return value if len(value) <= _FOUND_MAX else value[: _FOUND_MAX - 3] + "..."


# --------------------------------------------------------------------------- discovery

@dataclass(frozen=True)
class InputFile:
    """A CSV to ingest: ``name`` to report (``archive.zip::member`` in a zip), ``path`` to read."""

    name: str
    path: Path


@dataclass(frozen=True)
class StreetFile(InputFile):
    """A street-level file; ``force`` and ``month`` come from its name."""

    force: str = ""
    month: str = ""


@dataclass(frozen=True)
class Discovery:
    """What a set of input paths holds.

    ``other`` are CSVs that are not police files (local extracts, reference data),
    left for the caller to classify; ``ignored`` pairs a name with why it was skipped.
    """

    street: tuple[StreetFile, ...]
    other: tuple[InputFile, ...]
    ignored: tuple[tuple[str, str], ...]
    problems: tuple[Problem, ...]


def parse_street_name(name: str) -> tuple[str, str] | None:
    """``2019-01-kent-street.csv`` -> (``2019-01``, ``kent``); None when not a street file name."""
    m = STREET_NAME.match(name)
    if not m:
        return None
    return m.group("month"), m.group("force")


@dataclass
class _Found:
    street: list[StreetFile] = field(default_factory=list)
    other: list[InputFile] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add_csv(self, name: str, path: Path, base: str) -> None:
        parsed = parse_street_name(base)
        if parsed is not None:
            month, force = parsed
            if not _MONTH_RE.match(month):
                self.problems.append(Problem(name, RULE_FILE_NAME, "YYYY-MM-<force>-street.csv "
                                             "with a month 01-12", repr(base)))
                return
            self.street.append(StreetFile(name, path, force=force, month=month))
        elif OTHER_POLICE_NAME.match(base):
            self.ignored.append((name, "outcomes and stop-and-search files are not street crime"))
        else:
            self.other.append(InputFile(name, path))


def discover(paths: Iterable[Path | str], extract_dir: Path) -> Discovery:
    """Every input CSV under ``paths`` (files, folders at any depth, zip archives).

    Zip members are streamed to ``extract_dir`` (DuckDB reads files, and a member is
    never held in memory whole).  Files are returned in sorted order so that "first in
    file order" and "the later of two files" are reproducible.
    """
    found = _Found()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames.sort()
                for fname in sorted(filenames):
                    _add_path(found, Path(dirpath) / fname, extract_dir)
        elif path.exists():
            _add_path(found, path, extract_dir)
        else:
            found.problems.append(Problem(str(path), RULE_UNREADABLE, "a file, folder or zip",
                                          "nothing at that path"))
    return Discovery(tuple(found.street), tuple(found.other), tuple(found.ignored),
                     tuple(found.problems))


def _add_path(found: _Found, path: Path, extract_dir: Path) -> None:
    lower = path.name.lower()
    if lower.endswith(".zip"):
        _add_zip(found, path, extract_dir)
    elif lower.endswith(".csv"):
        found.add_csv(str(path), path, path.name)
    elif not path.name.startswith("."):
        found.ignored.append((str(path), "not a .csv or .zip file"))


def _add_zip(found: _Found, path: Path, extract_dir: Path) -> None:
    target = extract_dir / f"zip{len(list(extract_dir.glob('zip*')))}"
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                member = info.filename
                base = member.rsplit("/", 1)[-1]
                if info.is_dir() or not base or base.startswith("."):
                    continue
                name = f"{path}::{member}"
                if not base.lower().endswith(".csv"):
                    found.ignored.append((name, "not a .csv file"))
                    continue
                out = target / member
                if not out.resolve().is_relative_to(target.resolve()):
                    found.problems.append(Problem(name, RULE_UNREADABLE, "a member path inside the "
                                                  "archive", repr(member)))
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, _READ_CHUNK)
                found.add_csv(name, out, base)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        found.problems.append(Problem(str(path), RULE_UNREADABLE, "a readable zip archive",
                                      _clip(str(exc) or type(exc).__name__)))


# --------------------------------------------------------------------------- file checks

@dataclass(frozen=True)
class FileCheck:
    """One street file after reading its bytes once.

    ``usable`` is False when nothing in it can be read (unreadable, wrong or missing
    header): the caller counts that as an unreadable file.  ``read_path`` is what DuckDB
    reads: the file itself, or a clean copy without the records the slow path dropped,
    in which case ``line_map`` gives each remaining record's line.  ``lines`` is the
    number of physical lines after the header, to tell when rows and lines differ.
    """

    file: StreetFile
    sha256: str
    size: int
    usable: bool
    empty: bool
    read_path: Path
    lines: int
    problems: tuple[Problem, ...] = ()
    line_map: tuple[int, ...] | None = None
    dropped: int = 0


def check_street_file(sf: StreetFile, scratch: Path) -> FileCheck:
    """Hash, header, emptiness and UTF-8 checks of one street file (one read of its bytes)."""
    try:
        data = sf.path.read_bytes()
    except OSError as exc:
        return FileCheck(sf, "", 0, False, True, sf.path, 0,
                         (Problem(sf.name, RULE_UNREADABLE, "a readable file",
                                  _clip(exc.strerror or str(exc))),))
    sha = hashlib.sha256(data).hexdigest()
    header_end = data.find(b"\n")
    first = data if header_end < 0 else data[:header_end]
    body = b"" if header_end < 0 else data[header_end + 1:]
    lines = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
    if not data.strip():
        return FileCheck(sf, sha, len(data), True, True, sf.path, 0,
                         (Problem(sf.name, RULE_EMPTY, "a header and at least one row",
                                  "an empty file"),))
    header_problem = check_header(sf.name, first)
    if header_problem is not None:
        return FileCheck(sf, sha, len(data), False, False, sf.path, lines, (header_problem,))
    if not body.strip():
        return FileCheck(sf, sha, len(data), True, True, sf.path, 0,
                         (Problem(sf.name, RULE_EMPTY, "at least one row after the header",
                                  "a header only"),))
    if not data.isascii():
        try:
            codecs.decode(data, "utf-8")
        except UnicodeDecodeError:
            return _clean_copy(sf, sha, data, scratch)
    return FileCheck(sf, sha, len(data), True, False, sf.path, lines)


def check_header(name: str, first_line: bytes) -> Problem | None:
    """The header must be the 12 data.police.uk columns, in order."""
    text = first_line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    fields = next(csv.reader([text]), [])
    if tuple(fields) == HEADER:
        return None
    if len(fields) == len(HEADER) and _MONTH_RE.match(fields[1].strip()):
        return Problem(name, RULE_MISSING_HEADER, "the header line " + ",".join(HEADER),
                       "a data row: " + _clip(text), line=1)
    for i, expected in enumerate(HEADER):
        got = fields[i] if i < len(fields) else None
        if got != expected:
            return Problem(name, RULE_WRONG_HEADER,
                           f"column {i + 1} named {expected!r} (the 12 data.police.uk columns)",
                           "nothing" if got is None else repr(_clip(got)), line=1, column=expected)
    return Problem(name, RULE_WRONG_HEADER, f"{len(HEADER)} columns",
                   f"{len(fields)} columns (extra {_clip(', '.join(fields[len(HEADER):]))!r})",
                   line=1, column=fields[len(HEADER)])


def _clean_copy(sf: StreetFile, sha: str, data: bytes, scratch: Path) -> FileCheck:
    """The slow path: drop records DuckDB must not see, report each, write a clean copy.

    Used for bytes that are not UTF-8 and for records DuckDB cannot parse (a wrong
    number of fields, an unterminated quote).  ``surrogateescape`` keeps the bad bytes
    visible so the problem can name the column and the byte.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    problems: list[Problem] = []
    line_map: list[int] = []
    scratch.mkdir(parents=True, exist_ok=True)
    out_path = scratch / f"clean-{sha[:16]}-{sf.path.name}"
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        next(reader)
    except (csv.Error, StopIteration) as exc:
        return FileCheck(sf, sha, len(data), False, False, sf.path, 0,
                         (Problem(sf.name, RULE_UNREADABLE, "CSV text", _clip(str(exc))),))
    end = reader.line_num
    dropped = 0
    with out_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(Problem(sf.name, RULE_UNREADABLE, "CSV records",
                                        _clip(str(exc)), line=end + 1))
                dropped += 1
                break
            start, end = end + 1, reader.line_num
            if not record:
                continue
            if len(record) != len(HEADER):
                problems.append(Problem(sf.name, RULE_FIELDS, f"{len(HEADER)} fields",
                                        f"{len(record)} fields", line=start))
                dropped += 1
                continue
            bad = [i for i, value in enumerate(record) if _has_surrogate(value)]
            if bad:
                for i in bad:
                    problems.append(Problem(sf.name, RULE_NOT_UTF8, "UTF-8 text",
                                            _describe_bad_bytes(record[i]), line=start,
                                            column=HEADER[i]))
                dropped += 1
                continue
            writer.writerow(record)
            line_map.append(start)
    return FileCheck(sf, sha, len(data), True, not line_map, out_path, len(line_map),
                     tuple(problems), tuple(line_map), dropped)


def _has_surrogate(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _describe_bad_bytes(value: str) -> str:
    raw = value.encode("utf-8", errors="surrogateescape")
    bad = [f"0x{ord(ch) - 0xDC00:02x}" for ch in value if "\udc80" <= ch <= "\udcff"]
    return f"byte {bad[0]} in {_clip(raw.decode('utf-8', errors='replace'))!r}"


def record_lines(path: Path) -> tuple[int, ...]:
    """Line on which each record starts, for files where a quoted field spans lines.

    Blank lines are skipped, as DuckDB skips them.
    """
    starts: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        end = reader.line_num
        for record in reader:
            start, end = end + 1, reader.line_num
            if record:
                starts.append(start)
    return tuple(starts)


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


@dataclass(frozen=True)
class StreetRead:
    """Result of reading a set of checked street files into the ``table`` of counts."""

    stats: tuple[FileStats, ...]
    problems: tuple[Problem, ...]
    table: str


def _read_csv_sql(parameter: str) -> str:
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in HEADER) + "}"
    return (f"read_csv(${parameter}, header = true, columns = {columns}, auto_detect = false, "
            "delim = ',', quote = '\"', escape = '\"', filename = true)")


def _batches(checks: Iterable[tuple[int, FileCheck]],
             batch_bytes: int) -> Iterator[list[tuple[int, FileCheck]]]:
    """Consecutive files of one month, up to ``batch_bytes`` of CSV per batch.

    One month per batch lets a row's month be checked against a constant, so good
    rows need not keep it.
    """
    batch: list[tuple[int, FileCheck]] = []
    size = 0
    for item in checks:
        if batch and (size >= batch_bytes or item[1].file.month != batch[0][1].file.month):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item[1].size
    if batch:
        yield batch


COUNTS_COLUMNS = ("force VARCHAR NOT NULL, month VARCHAR NOT NULL, lsoa_code VARCHAR NOT NULL, "
                  "lsoa_name VARCHAR NOT NULL, crime_type VARCHAR NOT NULL, n BIGINT NOT NULL")


def read_street_files(con: duckdb.DuckDBPyConnection, checks: Iterable[FileCheck],
                      scratch: Path, table: str = "street_counts",
                      batch_bytes: int = DEFAULT_BATCH_BYTES) -> StreetRead:
    """Validate usable, non-empty checked files and count their rows into ``table``.

    ``table`` (created if absent) holds ``force, month, lsoa_code, lsoa_name,
    crime_type, n``: deduplicated rows counted by LSOA and crime-type slug.  A file
    replaces whatever ``table`` held for its force and month, so of two files for one
    force and month the later wins.  ``checks`` may be a lazy iterator: files are read
    a batch at a time as they arrive, so hashing the next files overlaps DuckDB's
    work.  ``scratch`` receives clean copies of files that need the slow path.
    """
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({COUNTS_COLUMNS})")
    con.execute("CREATE OR REPLACE TEMP TABLE street_slugs AS SELECT CAST(i - 1 AS UTINYINT) "
                "AS slug_code, slug FROM unnest(CAST(? AS VARCHAR[])) WITH ORDINALITY t(slug, i)",
                [list(_SLUGS)])
    stats: list[FileStats] = []
    problems: list[Problem] = []
    numbered = ((no, c) for no, c in enumerate(checks) if c.usable and not c.empty)
    for batch in _batches(numbered, batch_bytes):
        _read_batch(con, batch, table, scratch, stats, problems)
    return StreetRead(tuple(stats), tuple(problems), table)


def _read_batch(con: duckdb.DuckDBPyConnection, batch: list[tuple[int, FileCheck]], table: str,
                scratch: Path, stats: list[FileStats], problems: list[Problem]) -> None:
    import duckdb

    paths = [str(c.read_path) for _, c in batch]
    if len(batch) > 1 and _distinct_hashes(con, paths) < len(batch):
        for item in batch:  # two paths with one 64-bit hash: read them apart
            _read_batch(con, [item], table, scratch, stats, problems)
        return
    month = batch[0][1].file.month
    try:
        _load_rows(con, paths, month)
    except duckdb.Error:
        if len(batch) > 1:  # find the file DuckDB cannot parse; the others go on as usual
            for item in batch:
                _read_batch(con, [item], table, scratch, stats, problems)
            return
        no, check = batch[0]
        cleaned = _clean_copy(check.file, check.sha256, check.file.path.read_bytes(), scratch)
        if not cleaned.usable or cleaned.empty:
            problems.extend(cleaned.problems)
            stats.append(FileStats(check.file.name, check.file.force, check.file.month,
                                   check.sha256, cleaned.dropped, 0, cleaned.dropped, 0, 0))
            return
        batch = [(no, cleaned)]
        _load_rows(con, [str(cleaned.read_path)], month)
    _summarise_batch(con, batch, table, stats, problems)


def _distinct_hashes(con: duckdb.DuckDBPyConnection, paths: list[str]) -> int:
    """How many distinct 64-bit hashes (as street_rows stores file names) ``paths`` have."""
    row = con.execute("SELECT count(DISTINCT hash(p)) FROM unnest(CAST(? AS VARCHAR[])) t(p)",
                      [paths]).fetchone()
    return int(row[0]) if row else 0


# Crime type name -> a small code per slug, so rows group by one byte, not a string.
_SLUGS: tuple[str, ...] = tuple(sorted(set(CRIME_TYPE_SLUGS.values())))
_SLUG_CODE = ("CAST(CASE \"Crime type\" "
              + " ".join(f"WHEN '{name}' THEN {_SLUGS.index(slug)}"
                         for name, slug in CRIME_TYPE_SLUGS.items())
              + " END AS UTINYINT)")


def _load_rows(con: duckdb.DuckDBPyConnection, paths: list[str], month: str) -> None:
    """One parallel pass over a batch of one month into ``street_rows``.

    Insertion order is preserved, so ``rowid`` is file order.  Only 64-bit hashes of
    the file name and of file name + Crime ID are kept, not the strings, and a row's
    month and crime type text only when they are wrong: what every row keeps is small.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE street_rows AS SELECT hash(filename) AS fh, "
        "CASE WHEN \"Crime ID\" <> '' THEN hash(filename, \"Crime ID\") END AS h, "
        "CASE WHEN \"Month\" IS DISTINCT FROM $month THEN coalesce(\"Month\", '') END "
        "AS bad_month, coalesce(\"LSOA code\", '') AS lsoa_code, "
        f"coalesce(\"LSOA name\", '') AS lsoa_name, {_SLUG_CODE} AS slug_code, "
        "CASE WHEN slug_code IS NULL THEN coalesce(\"Crime type\", '') END AS unknown_type "
        f"FROM {_read_csv_sql('files')}",
        {"files": paths, "month": month},
    )


def _register_batch(con: duckdb.DuckDBPyConnection,
                    batch: Sequence[tuple[int, FileCheck]]) -> dict[int, tuple[int, FileCheck]]:
    """``batch_files`` for the batch's queries; returns file-name hash -> (file_no, check).

    ``latest`` marks, of two files in the batch for one force and month, the later.
    """
    import pandas as pd

    con.register("batch_files_in", pd.DataFrame({
        "path": [str(c.read_path) for _, c in batch],
        "file_no": [no for no, _ in batch],
        "force": [c.file.force for _, c in batch],
        "file_month": [c.file.month for _, c in batch],
    }))
    con.execute("CREATE OR REPLACE TEMP TABLE batch_files AS SELECT hash(path) AS fh, *, "
                "file_no = max(file_no) OVER (PARTITION BY force, file_month) AS latest "
                "FROM batch_files_in")
    con.unregister("batch_files_in")
    by_no = dict(batch)
    return {int(fh): (int(no), by_no[int(no)]) for fh, no in
            con.execute("SELECT fh, file_no FROM batch_files").fetchall()}


_KEPT = ("bad_month IS NULL AND slug_code IS NOT NULL "
         "AND rowid NOT IN (SELECT rid FROM street_dropped)")


def _summarise_batch(con: duckdb.DuckDBPyConnection, batch: Sequence[tuple[int, FileCheck]],
                     table: str, stats: list[FileStats], problems: list[Problem]) -> None:
    """Problems, repeats and counts of the batch now in ``street_rows``.

    A Crime ID's repeats are found by a 64-bit hash of file and ID (a collision
    among a force-month's ~10^5 IDs has probability ~10^-9); the first row is kept.
    """
    by_hash = _register_batch(con, batch)
    per_file = {int(fh): (int(n), int(first), int(no_lsoa)) for fh, n, first, no_lsoa in
                con.execute("SELECT fh, count(*), min(rowid), count(*) FILTER (lsoa_code = '' "
                            "AND bad_month IS NULL AND slug_code IS NOT NULL) "
                            "FROM street_rows GROUP BY fh").fetchall()}
    bad = con.execute(
        "SELECT fh, rowid, bad_month, unknown_type FROM street_rows "
        "WHERE bad_month IS NOT NULL OR slug_code IS NULL ORDER BY rowid").fetchall()
    con.execute("CREATE OR REPLACE TEMP TABLE street_repeated AS SELECT h FROM street_rows "
                "WHERE h IS NOT NULL GROUP BY h HAVING count(*) > 1")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE street_dropped AS SELECT fh, rowid AS rid, lsoa_code, "
        "min(rowid) OVER (PARTITION BY h) AS first_rid FROM street_rows "
        "WHERE h IN (SELECT h FROM street_repeated) AND bad_month IS NULL "
        "AND slug_code IS NOT NULL QUALIFY rid > first_rid")
    dropped = con.execute(
        "SELECT fh, rid, first_rid, lsoa_code = '' FROM street_dropped ORDER BY rid").fetchall()
    con.execute(f"DELETE FROM {table} USING batch_files f "
                f"WHERE {table}.force = f.force AND {table}.month = f.file_month")
    con.execute(
        f"INSERT INTO {table} SELECT f.force, f.file_month, a.lsoa_code, a.lsoa_name, s.slug, "
        f"a.n FROM (SELECT fh, lsoa_code, lsoa_name, slug_code, count(*) AS n "
        f"  FROM street_rows WHERE {_KEPT} GROUP BY ALL) a "
        "JOIN batch_files f ON a.fh = f.fh AND f.latest JOIN street_slugs s USING (slug_code)")

    bad_by_file: dict[int, list[tuple[int, str | None, str | None]]] = defaultdict(list)
    for fh, rid, month, unknown_type in bad:
        bad_by_file[int(fh)].append((int(rid), month, unknown_type))
    dup_by_file: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    for fh, rid, first_rid, no_lsoa in dropped:
        dup_by_file[int(fh)].append((int(rid), int(first_rid), bool(no_lsoa)))
    for fh, (_, check) in sorted(by_hash.items(), key=lambda kv: kv[1][0]):
        rows, first_rowid, no_lsoa = per_file.get(fh, (0, 0, 0))
        to_line = _line_numbering(check, rows, first_rowid,
                                  needed=bool(bad_by_file[fh] or dup_by_file[fh]))
        problems.extend(check.problems)
        for rid, month, unknown_type in bad_by_file[fh]:
            problems.extend(_row_problems(check.file, to_line(rid), month, unknown_type))
        for rid, first_rid, _ in dup_by_file[fh]:
            problems.append(Problem(check.file.name, RULE_DUPLICATE,
                                    f"one row per Crime ID (kept line {to_line(first_rid)})",
                                    "a repeat", line=to_line(rid), column="Crime ID",
                                    severity=SEVERITY_WARNING))
        n_bad, n_dup = len(bad_by_file[fh]), len(dup_by_file[fh])
        lsoa_missing = no_lsoa - sum(1 for d in dup_by_file[fh] if d[2])
        if lsoa_missing:
            problems.append(Problem(check.file.name, RULE_NO_LSOA, "an LSOA code",
                                    f"{lsoa_missing} rows with none (counted to the force only)",
                                    column="LSOA code", severity=SEVERITY_INFO))
        stats.append(FileStats(check.file.name, check.file.force, check.file.month,
                               check.sha256, rows + check.dropped, rows - n_bad - n_dup,
                               n_bad + check.dropped, n_dup, lsoa_missing))


def _line_numbering(check: FileCheck, rows: int, first_rowid: int,
                    needed: bool) -> Callable[[int], int]:
    """rowid -> line in the original file (header is line 1)."""
    line_map = check.line_map
    if line_map is None and needed and rows != check.lines:
        line_map = record_lines(check.read_path)  # a quoted field spans lines, or blank lines

    def to_line(rowid: int) -> int:
        offset = rowid - first_rowid
        if line_map is not None and 0 <= offset < len(line_map):
            return line_map[offset]
        return offset + 2

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
            found = repr(_clip(bad_month)) if bad_month else "nothing"
            out.append(Problem(sf.name, RULE_BAD_MONTH, "a month YYYY-MM", found, line=line,
                               column="Month"))
    if unknown_type is not None:
        found = repr(_clip(unknown_type)) if unknown_type else "nothing"
        out.append(Problem(sf.name, RULE_UNKNOWN_TYPE,
                           "a data.police.uk crime type (any of the 2010, 2011 and 2013 sets)",
                           found, line=line, column="Crime type"))
    return out
