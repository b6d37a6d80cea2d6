"""data.police.uk street-level crime files: discovery, validation and aggregation.

data.police.uk publishes one CSV per force per month, ``YYYY-MM-<force>-street.csv``,
in month folders inside a zip, and analysts also keep them flat or unzipped.  The
force and month come from the file name; the rows are validated against them.

Speed and memory matter because a national year is ~6 million rows: parsing,
validation and aggregation to LSOA x crime-type counts run in DuckDB's parallel CSV
reader, up to a GiB of files per scan (bounded memory), never row by row in Python.
Python only reads each file's bytes once, for its sha256, its header, its line
count and a UTF-8 check (DuckDB does not validate columns it does not project).  The
rare file that DuckDB cannot parse, or that holds bytes that are not UTF-8, goes
through a slow path that drops the bad records, reports each one, and hands DuckDB
a clean copy.

Two passes, the second over few files: one scan counts every file's rows by LSOA and
crime type and finds the Crime IDs that occur more than once in a file, keeping
nothing per row.  A file with a rejected row or a repeated Crime ID (a fifth of the
files in a national month) is read again in file order, its rows numbered as they
stream past, and only the rows of interest come back; a row's line is its index
plus 2 (the header is line 1), or comes from a line map for a clean copy.  "A
Crime ID repeated within a month is one crime" keeps the first valid such row in
that order, and the repeats are taken off the first scan's counts.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cdrp_lib.errors import InputError, Problem, clip_found

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

# CSV bytes per DuckDB scan.  It bounds memory (peak 0.56 GB measured for a 977 MB
# scan, whatever the input), and larger scans keep every core busy for longer
# between the serial steps.
DEFAULT_BATCH_BYTES = 2**30
_READ_CHUNK = 8 * 2**20


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
                                      clip_found(str(exc) or type(exc).__name__)))


# --------------------------------------------------------------------------- file checks

@dataclass(frozen=True)
class FileCheck:
    """One street file after reading its bytes once.

    ``usable`` is False when nothing in it can be read (unreadable, wrong or missing
    header): the caller counts that as an unreadable file.  ``read_path`` is what DuckDB
    reads: the file itself, or a clean copy without the records the slow path dropped,
    in which case ``line_map`` gives each remaining record's line.  ``lines`` is the
    number of physical lines after the header (of records in a clean copy), to tell
    when rows and lines differ.  ``unterminated`` is True when the last line opens a
    quote it never closes, which DuckDB reads one way or another depending on the
    other files of its scan.
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
    unterminated: bool = False


def check_street_file(sf: StreetFile, scratch: Path) -> FileCheck:
    """Hash, header, emptiness and UTF-8 checks of one street file (one read of its bytes).

    The bytes are never copied (no slices, no strip()): at national scale each
    whole-file copy costs as much as a third of the hashing.
    """
    try:
        data = sf.path.read_bytes()
    except OSError as exc:
        return FileCheck(sf, "", 0, False, True, sf.path, 0,
                         (Problem(sf.name, RULE_UNREADABLE, "a readable file",
                                  clip_found(exc.strerror or str(exc))),))
    sha = hashlib.sha256(data).hexdigest()
    header_end = data.find(b"\n")
    body_start = len(data) if header_end < 0 else header_end + 1
    if _NOT_BLANK.search(data) is None:
        return FileCheck(sf, sha, len(data), True, True, sf.path, 0,
                         (Problem(sf.name, RULE_EMPTY, "a header and at least one row",
                                  "an empty file"),))
    header_problem = check_header(sf.name, data[:header_end] if header_end >= 0 else data)
    lines = _count_lines(data, body_start)
    if header_problem is not None:
        return FileCheck(sf, sha, len(data), False, False, sf.path, lines, (header_problem,))
    if _NOT_BLANK.search(data, body_start) is None:
        return FileCheck(sf, sha, len(data), True, True, sf.path, 0,
                         (Problem(sf.name, RULE_EMPTY, "at least one row after the header",
                                  "a header only"),))
    if not data.isascii():
        try:
            codecs.decode(data, "utf-8")
        except UnicodeDecodeError:
            return _clean_copy(sf, sha, data, scratch)
    last_line = data.rfind(b"\n", 0, len(data) - 1) + 1
    return FileCheck(sf, sha, len(data), True, False, sf.path, lines,
                     unterminated=data.count(b'"', last_line) % 2 == 1)


# Any byte bytes.strip() would keep: a file without one is blank.
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")
_LF = 10


def _count_lines(data: bytes, start: int) -> int:
    """Physical lines from ``start`` on (a last line without its newline counts).

    numpy counts several times faster than bytes.count, and releases the GIL, so
    the checks of several files run side by side.
    """
    import numpy as np

    if start >= len(data):
        return 0
    newlines = int(np.count_nonzero(np.frombuffer(data, np.uint8, offset=start) == _LF))
    return newlines + (0 if data.endswith(b"\n") else 1)


def check_header(name: str, first_line: bytes) -> Problem | None:
    """The header must be the 12 data.police.uk columns, in order."""
    text = first_line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    fields = next(csv.reader([text]), [])
    if tuple(fields) == HEADER:
        return None
    if len(fields) == len(HEADER) and _MONTH_RE.match(fields[1].strip()):
        return Problem(name, RULE_MISSING_HEADER, "the header line " + ",".join(HEADER),
                       "a data row: " + clip_found(text), line=1)
    for i, expected in enumerate(HEADER):
        got = fields[i] if i < len(fields) else None
        if got != expected:
            return Problem(name, RULE_WRONG_HEADER,
                           f"column {i + 1} named {expected!r} (the 12 data.police.uk columns)",
                           "nothing" if got is None else repr(clip_found(got)),
                           line=1, column=expected)
    return Problem(name, RULE_WRONG_HEADER, f"{len(HEADER)} columns",
                   f"{len(fields)} columns (extra {clip_found(', '.join(fields[len(HEADER):]))!r})",
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
    # A name of its own: files are checked in parallel, and two inputs may share
    # content and name (the second is skipped as known only after both are checked).
    handle, temp_name = tempfile.mkstemp(prefix=f"clean-{sha[:16]}-", suffix=f"-{sf.path.name}",
                                         dir=scratch)
    os.close(handle)
    out_path = Path(temp_name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        next(reader)
    except (csv.Error, StopIteration) as exc:
        return FileCheck(sf, sha, len(data), False, False, sf.path, 0,
                         (Problem(sf.name, RULE_UNREADABLE, "CSV text", clip_found(str(exc))),))
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
                                        clip_found(str(exc)), line=end + 1))
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
    return f"byte {bad[0]} in {clip_found(raw.decode('utf-8', errors='replace'))!r}"


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


def _read_csv_sql(parameter: str, rejects: bool = False) -> str:
    """DuckDB's reader over the files in ``$parameter``, every column as text.

    With ``rejects``, records it cannot parse are set aside in ``street_rejects``
    (file, line, why) instead of failing the statement.
    """
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in HEADER) + "}"
    aside = (f", ignore_errors = true, store_rejects = true, rejects_table = '{_REJECTS}', "
             f"rejects_scan = '{_REJECT_SCANS}'" if rejects else "")
    return (f"read_csv(${parameter}, header = true, columns = {columns}, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"'{aside})")


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
    clean copy.  DuckDB is told to set such records aside rather than fail, because
    a failed statement would abort the caller's transaction.
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
    if unread is not None:
        problems += (Problem(sf.name, RULE_UNREADABLE, "CSV records DuckDB can read",
                             clip_found(unread)),)
    return _FileResult(no, FileStats(sf.name, sf.force, sf.month, check.sha256,
                                     cleaned.dropped, 0, cleaned.dropped, 0, 0), problems)


# Crime type name -> a small code per slug, so rows group by one byte, not a string.
_SLUGS: tuple[str, ...] = tuple(sorted(set(CRIME_TYPE_SLUGS.values())))
_SLUG_CODE = ("CAST(CASE \"Crime type\" "
              + " ".join(f"WHEN '{name}' THEN {_SLUGS.index(slug)}"
                         for name, slug in CRIME_TYPE_SLUGS.items())
              + " END AS UTINYINT)")
_REJECTS = "street_rejects"
_REJECT_SCANS = "street_reject_scans"


def _group_rows(con: duckdb.DuckDBPyConnection, checks: Sequence[FileCheck],
                positions: Sequence[int] | None = None) -> dict[int, str]:
    """One parallel pass over ``checks`` into ``street_groups``, nothing kept per row.

    Two grouping sets in one scan: rows counted by file, month, LSOA and crime-type
    slug (``counted``; ``slug_code`` NULL for an unknown type), and every Crime ID
    that occurs more than once in its file, by a 64-bit hash of the ID.  Those
    candidates, and any row breaking a rule, are rare; the files that have them are
    read again in file order (:func:`_second_pass`) to name the lines, so a hash
    collision costs time, never a wrong count.

    ``f`` is a file's position in ``checks``, or ``positions[i]`` when given, in which
    case the groups are added to the table rather than replacing it.  Returns, for
    each file with records DuckDB could not parse, why (its first such line).
    """
    if not checks:
        return {}
    f = ("CAST(file_index AS INTEGER)" if positions is None
         else "CAST($positions[CAST(file_index AS BIGINT) + 1] AS INTEGER)")
    into = ("CREATE OR REPLACE TEMP TABLE street_groups AS" if positions is None
            else "INSERT INTO street_groups")
    con.execute(f"DROP TABLE IF EXISTS {_REJECTS}")
    con.execute(f"DROP TABLE IF EXISTS {_REJECT_SCANS}")
    con.execute(
        f"{into} SELECT {f} AS f, \"Month\" AS month, "
        "coalesce(\"LSOA code\", '') AS lsoa_code, coalesce(\"LSOA name\", '') AS lsoa_name, "
        f"{_SLUG_CODE} AS slug_code, "
        "CASE WHEN \"Crime ID\" <> '' THEN hash(\"Crime ID\") END AS h, count(*) AS n, "
        "grouping(h) = 1 AS counted "
        f"FROM {_read_csv_sql('files', rejects=True)} "
        "GROUP BY GROUPING SETS ((f, month, lsoa_code, lsoa_name, slug_code), (f, h)) "
        "HAVING grouping(h) = 1 OR (h IS NOT NULL AND count(*) > 1)",
        {"files": [str(c.read_path) for c in checks]}
        | ({} if positions is None else {"positions": list(positions)}))
    rejected = con.execute(
        f"SELECT CAST(file_id AS INTEGER), min(line), first(error_message ORDER BY line) "
        f"FROM {_REJECTS} GROUP BY ALL").fetchall()
    return {(int(i) if positions is None else positions[int(i)]): f"{message} (line {line})"
            for i, line, message in rejected}


@dataclass(frozen=True)
class _Scanned:
    """A file in a scan: ``f`` its position there, ``no`` among all files read.

    ``latest`` is False when a later file of the batch has the same force and month.
    """

    f: int
    no: int
    check: FileCheck
    latest: bool


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
    summary = {int(f): (int(rows or 0), int(rejected), int(no_lsoa), int(repeated))
               for f, rows, rejected, no_lsoa, repeated in con.execute(
        "SELECT f, sum(n) FILTER (counted), "
        "coalesce(sum(n) FILTER (counted AND NOT ok), 0), "
        "coalesce(sum(n) FILTER (counted AND ok AND lsoa_code = ''), 0), "
        "count(*) FILTER (NOT counted) FROM (SELECT g.f, g.n, g.counted, g.lsoa_code, "
        "  g.month IS NOT DISTINCT FROM b.file_month AND g.slug_code IS NOT NULL AS ok "
        "  FROM street_groups g JOIN batch_files b USING (f)) GROUP BY f").fetchall()}
    rows = {s.f: summary.get(s.f, (0, 0, 0, 0))[0] for s in files}
    again = [s for s in files if s.f in summary
             and (summary[s.f][1] or summary[s.f][3])]  # rejected rows or repeated IDs
    second = _second_pass(con, again, rows)
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
        n_rows, _, no_lsoa, _ = summary.get(s.f, (0, 0, 0, 0))
        read = second.get(s.f, _SecondPass())
        to_line = _line_numbering(check)
        problems = list(check.problems)
        for idx, month, unknown_type in read.bad:
            problems.extend(_row_problems(sf, to_line(idx), month, unknown_type))
        for idx, first, _ in read.dropped:
            problems.append(Problem(sf.name, RULE_DUPLICATE,
                                    f"one row per Crime ID (kept line {to_line(first)})",
                                    "a repeat", line=to_line(idx), column="Crime ID",
                                    severity=SEVERITY_WARNING))
        n_bad, n_dup = len(read.bad), len(read.dropped)
        lsoa_missing = no_lsoa - sum(1 for d in read.dropped if not d[2][0])
        if lsoa_missing:
            problems.append(_no_lsoa_problem(sf, lsoa_missing))
        out.append(_FileResult(s.no, FileStats(sf.name, sf.force, sf.month, check.sha256,
                                               n_rows + check.dropped, n_rows - n_bad - n_dup,
                                               n_bad + check.dropped, n_dup, lsoa_missing),
                               tuple(problems)))
    return out


def _no_lsoa_problem(sf: StreetFile, rows: int) -> Problem:
    return Problem(sf.name, RULE_NO_LSOA, "an LSOA code",
                   f"{rows} rows with none (counted to the force only)",
                   column="LSOA code", severity=SEVERITY_INFO)


_GroupKey = tuple[str, str, int]  # lsoa_code, lsoa_name, slug_code of a counted group


@dataclass(frozen=True)
class _SecondPass:
    """What the second pass found in one file, by row index (0 = first row after the header).

    ``bad``: (index, wrong month or None, unknown crime type or None) of each rejected
    row; ``dropped``: (index, index of the row kept, its group) of each repeat.
    """

    bad: tuple[tuple[int, str | None, str | None], ...] = ()
    dropped: tuple[tuple[int, int, _GroupKey], ...] = ()


def _second_pass(con: duckdb.DuckDBPyConnection, files: Sequence[_Scanned],
                 rows: Mapping[int, int]) -> dict[int, _SecondPass]:
    """Read ``files`` again in file order; the rows that break a rule or repeat a Crime ID.

    Rows are numbered as they are read (``row_number() OVER ()`` streams, in one
    thread per scan, in file order), so nothing is kept per row: only the rows of
    interest come back.  The files are split into as many scans as DuckDB has
    threads, run side by side on cursors of ``con`` (they read files, no tables).
    A row's index in its file is its number less the rows of the files before it,
    which the first pass counted (``rows``); an index outside its file would mean
    the two passes read a file differently, which is reported rather than guessed
    at.  Repeats are told apart by the Crime ID itself, not its hash.
    """
    if not files:
        return {}
    candidates = con.execute("SELECT f, h FROM street_groups WHERE NOT counted").fetchall()
    known = {"cf": [int(f) for f, _ in candidates], "ch": [int(h) for _, h in candidates]}

    def scan(part: Sequence[_Scanned]) -> list[tuple[Any, ...]]:
        cursor = con.cursor()
        try:
            return cursor.execute(_SECOND_PASS, known | {
                "files": [str(s.check.read_path) for s in part], "f": [s.f for s in part],
                "before": [sum(rows[s.f] for s in part[:i]) for i in range(len(part))],
                "rows": [rows[s.f] for s in part],
                "months": [s.check.file.month for s in part]}).fetchall()
        finally:
            cursor.close()

    parts = _split(con, files)
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        found = sorted((r for part in pool.map(scan, parts) for r in part),
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
    for f, idx, crime_id, bad_month, unknown_type, code, name, slug in found:
        if bad_month is not None or slug is None:
            bad[f].append((idx, bad_month, unknown_type))
        elif (f, crime_id) in seen:
            dropped[f].append((idx, seen[(f, crime_id)], (code, name, slug)))
        else:
            seen[(f, crime_id)] = idx
    return {f: _SecondPass(tuple(bad[f]), tuple(dropped[f])) for f in set(bad) | set(dropped)}


def _split(con: duckdb.DuckDBPyConnection, files: Sequence[_Scanned]) -> list[list[_Scanned]]:
    """``files`` in as many consecutive parts of about equal size as DuckDB has threads."""
    row = con.execute("SELECT current_setting('threads')").fetchone()
    parts = max(1, min(len(files), int(row[0]) if row else 1))
    total = sum(s.check.size for s in files)
    out: list[list[_Scanned]] = [[] for _ in range(parts)]
    done = 0
    for s in files:
        out[min(parts - 1, done * parts // max(total, 1))].append(s)
        done += s.check.size
    return [part for part in out if part]


# One scan of the second pass: its files' rows numbered in file order, and of those
# only the rows that break a rule, repeat a candidate Crime ID (``$cf``, ``$ch``: file
# and hash, from the first pass) or fall outside their file's count (``$rows``).
_SECOND_PASS = (
    "SELECT f, idx, crime_id, bad_month, unknown_type, lsoa_code, lsoa_name, slug_code FROM ("
    "  SELECT $f[i] AS f, rn - $before[i] - 1 AS idx, $rows[i] AS n_rows, "
    "  \"Crime ID\" AS crime_id, CASE WHEN \"Month\" IS DISTINCT FROM $months[i] "
    "  THEN coalesce(\"Month\", '') END AS bad_month, CASE WHEN slug_code IS NULL "
    "  THEN coalesce(\"Crime type\", '') END AS unknown_type, lsoa_code, lsoa_name, slug_code, h "
    "  FROM (SELECT CAST(file_index AS BIGINT) + 1 AS i, row_number() OVER () AS rn, "
    "    \"Crime ID\", \"Month\", \"Crime type\", coalesce(\"LSOA code\", '') AS lsoa_code, "
    f"    coalesce(\"LSOA name\", '') AS lsoa_name, {_SLUG_CODE} AS slug_code, "
    "    CASE WHEN \"Crime ID\" <> '' THEN hash(\"Crime ID\") END AS h "
    f"    FROM {_read_csv_sql('files', rejects=True)})) r "
    "WHERE bad_month IS NOT NULL OR slug_code IS NULL OR idx < 0 OR idx >= n_rows "
    "OR EXISTS (SELECT 1 FROM (SELECT unnest(CAST($cf AS INTEGER[])) AS f, "
    "  unnest(CAST($ch AS UBIGINT[])) AS h) c WHERE c.f = r.f AND c.h = r.h)")


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
