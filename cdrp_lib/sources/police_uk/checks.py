"""One read of each street file's bytes: hash, header, emptiness, UTF-8; the slow path."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrp_lib.errors import Problem, clip_found

if TYPE_CHECKING:  # duckdb is imported lazily: `cdrp --help` must not pay for it
    pass
from cdrp_lib.sources.police_uk.discovery import StreetFile
from cdrp_lib.sources.police_uk.rules import (
    _MONTH_RE,
    HEADER,
    RULE_EMPTY,
    RULE_FIELDS,
    RULE_MISSING_HEADER,
    RULE_NOT_UTF8,
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


