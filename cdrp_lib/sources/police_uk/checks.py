"""One read of each street file's bytes: hash, header, emptiness, UTF-8; the slow path."""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cdrp_lib.errors import Problem, ProblemLog, clip_found
from cdrp_lib.sources.encoding import not_text
from cdrp_lib.sources.police_uk.discovery import StreetFile
from cdrp_lib.sources.police_uk.rules import (
    _MONTH_RE,
    HEADER,
    RECORD_MAX_LINES,
    RULE_EMPTY,
    RULE_FIELDS,
    RULE_LONG_LINE,
    RULE_MISSING_HEADER,
    RULE_NOT_UTF8,
    RULE_OPEN_QUOTE,
    RULE_UNREADABLE,
    RULE_WRONG_HEADER,
)

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
    header = data[:header_end] if header_end >= 0 else data[:_HEADER_MAX]
    wrong = not_text(data)
    if wrong is not None:  # its lines are counted as unread, as best they can be
        return FileCheck(sf, sha, len(data), False, False, sf.path,
                         _count_lines(data, body_start), (Problem(sf.name, *wrong),))
    header_problem = check_header(sf.name, header)
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
    if not _fields_balance(data, body_start, lines):
        return _clean_copy(sf, sha, data, scratch)
    last_line = data.rfind(b"\n", 0, len(data) - 1) + 1
    return FileCheck(sf, sha, len(data), True, False, sf.path, lines,
                     unterminated=data.count(b'"', last_line) % 2 == 1)


# Any byte bytes.strip() would keep: a file without one is blank.
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")
_LF, _COMMA, _QUOTE = 10, 44, 34
_HEADER_MAX = 4096  # bytes of a file without a newline quoted as its header


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


def _fields_balance(data: bytes, start: int, lines: int) -> bool:
    """True when the records from ``start`` have 12 fields on average (commas = 11 x records).

    DuckDB reads a 13th field silently when it is empty, as an unquoted comma in a
    text column makes it (data.police.uk rows end in an empty Context), so the field
    count is checked here, where the bytes already are: a record with too few fields
    DuckDB rejects itself, so any record with too many unbalances the total.  Commas
    and newlines inside quotes do not count (quotes are rare: the cumulative count is
    only taken for a file that has one).  A file that fails goes to the slow path,
    which names each line.
    """
    import numpy as np

    body = np.frombuffer(data, np.uint8, offset=start)
    if data.find(b'"', start) < 0:
        commas, records = int(np.count_nonzero(body == _COMMA)), lines
    else:
        outside = (np.cumsum(body == _QUOTE, dtype=np.uint8) & 1) == 0
        commas = int(np.count_nonzero((body == _COMMA) & outside))
        records = int(np.count_nonzero((body == _LF) & outside)) + (
            0 if data.endswith(b"\n") else 1)
    return commas == (len(HEADER) - 1) * records


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

    Used for bytes that are not UTF-8, for a wrong number of fields and for records
    DuckDB cannot parse.  ``surrogateescape`` keeps the bad bytes visible so the
    problem can name the column and the byte.  Reading never stops early: a quote
    that is never closed, or a line too long to be a record, rejects that line and
    reading goes on at the next (:func:`_records`), so every line is accounted for.
    Problems are held up to :data:`~cdrp_lib.errors.PROBLEMS_PER_RULE` per rule.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    log = ProblemLog()
    line_map: list[int] = []
    scratch.mkdir(parents=True, exist_ok=True)
    # A name of its own: files are checked in parallel, and two inputs may share
    # content and name (the second is skipped as known only after both are checked).
    handle, temp_name = tempfile.mkstemp(prefix=f"clean-{sha[:16]}-", suffix=f"-{sf.path.name}",
                                         dir=scratch)
    os.close(handle)
    out_path = Path(temp_name)
    dropped = 0
    with out_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for start, record, problem in _records(sf.name, text):
            if problem is not None:
                log.add(problem)
                dropped += 1
                continue
            if len(record) <= 1 and not "".join(record).strip():
                continue  # a blank line is not a row (",,,": 12 empty fields, is one)
            if len(record) != len(HEADER):
                hint = " (an unquoted comma in a text column?)" if len(record) > len(HEADER) \
                    else ""
                log.add(Problem(sf.name, RULE_FIELDS, f"{len(HEADER)} fields",
                                f"{len(record)} fields{hint}", line=start))
                dropped += 1
                continue
            bad = [i for i, value in enumerate(record) if _has_surrogate(value)]
            if bad:
                for i in bad:
                    log.add(Problem(sf.name, RULE_NOT_UTF8, "UTF-8 text",
                                    _describe_bad_bytes(record[i]), line=start,
                                    column=HEADER[i]))
                dropped += 1
                continue
            writer.writerow(record)
            line_map.append(start)
    # A file whose every row was rejected is not empty: its rows are reported.
    return FileCheck(sf, sha, len(data), True, not line_map and not dropped, out_path,
                     len(line_map), tuple(log.problems()), tuple(line_map), dropped)


#: Characters one record may have: DuckDB's own limit (``max_line_size``, 2 MiB).
RECORD_MAX_CHARS = 2**21

_Record = tuple[int, list[str], Problem | None]


def _records(name: str, text: str) -> Iterator[_Record]:
    """``(line, fields, None)`` per record after the header, or ``(line, [], problem)``.

    Records are taken a physical line at a time; a line whose quotes do not balance
    is joined to the next (a quoted field may span lines) up to
    :data:`RECORD_MAX_LINES`.  If they never balance, or the record is too long,
    only its first line is rejected and reading resumes on the line after it:
    the rows after a stray quote are read, not swallowed into one field.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 1  # line 1 is the header
    while i < len(lines):
        chunk = lines[i].removesuffix("\r")
        end = i + 1
        if chunk.count('"') % 2:
            while end < len(lines) and end - i < RECORD_MAX_LINES \
                    and len(chunk) <= RECORD_MAX_CHARS:
                chunk += "\n" + lines[end].removesuffix("\r")
                end += 1
                if chunk.count('"') % 2 == 0:
                    break
            fields = _fields(chunk) if chunk.count('"') % 2 == 0 else None
            if fields is None or len(fields) != len(HEADER):
                yield i + 1, [], Problem(
                    name, RULE_OPEN_QUOTE, "a closing quote on the same line",
                    "a quote opened and never closed: "
                    + repr(clip_found(lines[i][lines[i].index('"'):].rstrip("\r"))), line=i + 1)
                i += 1
                continue
            yield i + 1, fields, None
            i = end
            continue
        fields = _fields(chunk) if len(chunk) <= RECORD_MAX_CHARS else None
        if fields is None:
            expected = (f"a record of at most {RECORD_MAX_CHARS:,} characters"
                        if len(chunk) > RECORD_MAX_CHARS else
                        f"a quoted field of at most {csv.field_size_limit():,} characters")
            yield i + 1, [], Problem(name, RULE_LONG_LINE, expected,
                                     f"{len(chunk):,} characters", line=i + 1)
        else:
            yield i + 1, fields, None
        i = end


def _fields(chunk: str) -> list[str] | None:
    """The fields of one record, or None when a field is over the csv module's limit.

    An unquoted record is split on commas, which is what CSV means by it, so a long
    unquoted field is read as DuckDB reads it.  The csv module's limit (128 KiB per
    field) is process-wide: raising it here would change every other reader, such
    as the local extracts, which rely on it to stop at a quote never closed.
    """
    if '"' not in chunk:
        return chunk.split(",")
    try:
        return next(csv.reader([chunk]), [])
    except csv.Error:
        return None


def _has_surrogate(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _describe_bad_bytes(value: str) -> str:
    raw = value.encode("utf-8", errors="surrogateescape")
    bad = [f"0x{ord(ch) - 0xDC00:02x}" for ch in value if "\udc80" <= ch <= "\udcff"]
    return f"byte {bad[0]} in {clip_found(raw.decode('utf-8', errors='replace'))!r}"


