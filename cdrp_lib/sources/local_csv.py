"""Reading the small local CSV extracts (domestic abuse, survey, population) line by line.

The police files are big and read by DuckDB; local extracts are small, hand
made or exported from spreadsheets, so their readers put correct line numbers
and forgiving headers first.  This module does the part every local reader
shares: bytes -> UTF-8 text (each bad line reported, not just the first) ->
records with the physical line each starts on (quoted cells may span lines) ->
a header matched to the expected columns -> a DataFrame of text cells plus a
``line`` column.  Validation of the cells is vectorised by the readers, which
turn boolean masks into :class:`Problem` rows with :func:`problems_where`.

Header names are matched after normalising: lowercase, runs of other
characters turned into ``_`` (``Event ID`` is ``event_id``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdrp_lib.errors import Problem, clip_found
from cdrp_lib.sources.encoding import not_text

# One rule for every CSV: a quote still open RECORD_MAX_LINES lines later was never closed.
from cdrp_lib.sources.police_uk.rules import RECORD_MAX_LINES, RULE_OPEN_QUOTE

#: Name of the column holding the 1-based physical line each record starts on.
LINE = "line"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ISO_DATE = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ][0-9:.]+)?$"
_UK_DATE = r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?: [0-9:.]+)?$"

TRUE_WORDS = frozenset({"1", "y", "yes", "true", "t"})
FALSE_WORDS = frozenset({"0", "n", "no", "false", "f"})


def normalise_name(name: str) -> str:
    """Header cell -> column name: ``" Event ID "`` -> ``event_id``."""
    return _NON_ALNUM.sub("_", name.strip().lower()).strip("_")


def shown(value: object) -> str:
    """A cell as a problem's *found* text: quoted, shortened, ``nothing`` when empty."""
    text = str(value)
    if text.strip() == "":
        return "nothing"
    return repr(clip_found(text))


@dataclass(frozen=True)
class TextTable:
    """The records of one CSV file as text, ready for vectorised checks.

    ``rows`` has one ``str`` column per expected column present in the header
    (cells stripped of surrounding spaces) and :data:`LINE`.  ``columns`` are
    the normalised header names in file order.
    """

    path: Path
    columns: tuple[str, ...]
    rows: pd.DataFrame


def _decode(path: Path, data: bytes) -> tuple[str, list[Problem]]:
    """UTF-8 text (BOM removed); every line with bytes that are not UTF-8 is reported."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    problems: list[Problem] = []
    good_lines: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            good_lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            bad = raw[exc.start]
            problems.append(Problem(str(path), "not UTF-8", "UTF-8 text",
                                    f"byte 0x{bad:02x} at character {exc.start + 1}",
                                    line=number))
            good_lines.append("")  # keep the numbering; the record is dropped
    text = "\n".join(good_lines)
    return text.removeprefix("\ufeff"), problems




class _OpenQuote(Exception):
    """Raised by :class:`_Lines` into the csv reader when a record runs past its line limit."""


class _Lines:
    """The text's lines, given to :func:`csv.reader` one at a time, at most
    :data:`RECORD_MAX_LINES` for one record: the reader can be restarted on any line, so a
    stray quote costs its own line, not the rest of the file, and reading stays linear."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.next = 0      # index of the next line to give
        self.start = 0     # index of the first line of the record being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            raise StopIteration
        if self.next - self.start >= RECORD_MAX_LINES:
            raise _OpenQuote
        self.next += 1
        return self.lines[self.next - 1]


def read_records(path: Path) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """Every non-blank CSV record with the line it starts on (LF or CRLF).

    A record whose cells are all empty (``,,,`` as spreadsheets export) counts
    as blank; lines starting ``#`` above the header are comments.  A quote that is
    never closed (within :data:`RECORD_MAX_LINES`, or by the end of the file) rejects
    its own line and reading goes on at the next, so every row is kept or reported.
    Raises OSError when the file cannot be read.
    """
    data = path.read_bytes()
    if not data.strip():
        return [], [Problem(str(path), "empty file", "a header line and rows",
                            "an empty file")]
    wrong = not_text(data)
    if wrong is not None:
        return [], [Problem(str(path), *wrong)]
    text, problems = _decode(path, data)
    src = _Lines(text.splitlines(keepends=True))
    records: list[tuple[int, list[str]]] = []
    while src.next < len(src.lines):
        bad: tuple[str, str, str] | None = None  # rule, expected, found
        try:
            for record in csv.reader(src):
                if "".join(src.lines[src.start:src.next]).count('"') % 2:
                    bad = (RULE_OPEN_QUOTE, "a closing quote",  # read on to the end of the file
                           "a quote opened and never closed")
                    break
                if any(cell.strip() for cell in record):
                    records.append((src.start + 1, record))
                src.start = src.next
        except _OpenQuote:
            bad = (RULE_OPEN_QUOTE, f"a closing quote within {RECORD_MAX_LINES} lines",
                   f"a quote still open {RECORD_MAX_LINES} lines later")
        except csv.Error as exc:
            bad = ("not valid CSV", "comma-separated values", str(exc))
        if bad is None:
            break
        rule, expected, found = bad
        line = src.lines[src.start].rstrip("\r\n")
        problems.append(Problem(str(path), rule, expected, f"{found}: {clip_found(line)!r}",
                                line=src.start + 1))
        src.start = src.next = src.start + 1
    while records and records[0][1][0].lstrip().startswith("#"):
        records.pop(0)  # comment lines above the header (attribution, provenance)
    return records, problems


def read_text_table(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> tuple[TextTable | None, list[Problem]]:
    """Read ``path`` and match its header against the expected columns.

    Returns ``None`` (with the problems) when the file is empty, has no rows
    after the header or lacks a required column.  Columns neither required nor
    optional are reported as warnings and ignored.  Rows with more or fewer
    cells than the header are rejected; spare empty cells at the end are fine.
    """
    records, problems = read_records(path)
    return table_from_records(path, records, problems, required, optional)


def table_from_records(
    path: Path,
    records: list[tuple[int, list[str]]],
    problems: list[Problem],
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> tuple[TextTable | None, list[Problem]]:
    """:func:`read_text_table` on records already read (the first is the header)."""
    file = str(path)
    problems = list(problems)
    if not records:
        if not problems:
            problems.append(Problem(file, "empty file", "a header line and rows",
                                    "no records"))
        return None, problems
    header_line, header_cells = records[0]
    names = [normalise_name(c) for c in header_cells]
    while names and names[-1] == "":
        names.pop()
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            problems.append(Problem(file, "duplicate column", "each column once",
                                    f"{header_cells[i]!r} twice", line=header_line,
                                    column=name))
        seen.setdefault(name, i)
    missing = [c for c in required if c not in seen]
    if missing:
        problems.append(Problem(
            file, "missing column", "columns " + ", ".join(required),
            "no " + ", ".join(missing) + " in header " + ", ".join(repr(c) for c in header_cells),
            line=header_line))
        return None, problems
    expected = list(dict.fromkeys([*required, *optional]))
    for name in names:
        if name not in expected:
            problems.append(Problem(file, "unknown column", "one of " + ", ".join(expected),
                                    shown(name), line=header_line, column=name,
                                    severity="warning"))
    if len(records) == 1:
        problems.append(Problem(file, "no rows", "at least one row after the header",
                                "only a header", line=header_line))
        return None, problems
    width = len(names)
    present = [c for c in expected if c in seen]
    kept: list[list[str]] = []
    lines: list[int] = []
    for line, record in records[1:]:
        if len(record) != width and not (
                len(record) > width and not any(x.strip() for x in record[width:])):
            problems.append(Problem(file, "wrong number of cells", f"{width} cells as the header",
                                    f"{len(record)} cells", line=line))
            continue
        lines.append(line)
        kept.append(record)
    columns = list(zip(*kept, strict=False)) if kept else [() for _ in range(width)]
    frame = pd.DataFrame({c: pd.Series(columns[seen[c]], dtype=object).str.strip()
                          for c in present})
    frame[LINE] = pd.Series(lines, dtype="int64")
    return TextTable(path, tuple(names), frame), problems


def problems_where(
    table: TextTable,
    frame: pd.DataFrame,
    mask: pd.Series[bool],
    column: str,
    rule: str,
    expected: str,
    severity: str = "error",
) -> list[Problem]:
    """One problem per row of ``frame`` where ``mask`` holds, quoting the row's ``column`` cell."""
    selected = mask.to_numpy(dtype=bool)
    if not selected.any():
        return []
    hits = frame.loc[selected, [LINE, column]]
    return [
        Problem(str(table.path), rule, expected, shown(value), line=int(line), column=column,
                severity=severity)
        for line, value in zip(hits[LINE], hits[column], strict=True)
    ]


def by_unique(text: pd.Series[str], convert: Callable[[pd.Series[str]], pd.Series[Any]]
              ) -> pd.Series[Any]:
    """Apply a column conversion once per distinct cell: extracts repeat dates and names a lot."""
    codes, uniques = pd.factorize(text)
    converted = convert(pd.Series(uniques, dtype=object)).to_numpy()
    return pd.Series(converted[codes], index=text.index)


def parts_by_unique(cells: pd.Series[str], parts: Callable[[str], tuple[str, ...]], width: int
                    ) -> tuple[pd.Series[str], ...]:
    """``width`` text columns from one parse per distinct cell ('' columns where ``parts`` says).

    Periods and survey waves repeat on every row of a file: each is parsed once.
    """
    codes, uniques = pd.factorize(cells)
    table = np.array([parts(str(u)) for u in uniques] or [("",) * width], dtype=object)
    return tuple(pd.Series(table[codes, i], index=cells.index, dtype=object)
                 for i in range(width))


def numbers(cells: pd.Series[str]) -> pd.Series[float]:
    """Numbers, thousands separators allowed; NaN where not a finite number."""
    values = pd.to_numeric(cells.str.replace(",", "", regex=False), errors="coerce")
    return values.where(np.isfinite(values))


def parse_days(text: pd.Series[str]) -> pd.Series[pd.Timestamp]:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY`` (a time after the date is dropped) -> day timestamps.

    Cells that are neither, or not a real calendar date, are NaT.
    """
    return by_unique(text, _parse_days).astype("datetime64[ns]")


def _parse_days(text: pd.Series[str]) -> pd.Series[pd.Timestamp]:
    iso = text.str.extract(_ISO_DATE)
    uk = text.str.extract(_UK_DATE)
    parts = iso.fillna(uk)
    numbers = parts.apply(pd.to_numeric, errors="coerce")
    stamps = pd.to_datetime(
        pd.DataFrame({"year": numbers["y"], "month": numbers["m"], "day": numbers["d"]}),
        errors="coerce")
    return stamps.astype("datetime64[ns]")


def parse_flags(text: pd.Series[str], blank: bool | None = None) -> pd.Series[Any]:
    """Yes/no words (``1/0``, ``y/n``, ``yes/no``, ``true/false``) -> True/False, else None.

    ``blank`` is what an empty cell means (``None``: an empty cell is invalid).
    """
    lower = text.str.lower()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    out[lower.isin(TRUE_WORDS)] = True
    out[lower.isin(FALSE_WORDS)] = False
    if blank is not None:
        out[lower == ""] = blank
    return out


def first_lines(lines: Iterable[int], limit: int = 5) -> str:
    """``lines 3, 7, 9 and 2 more`` for a summary problem."""
    values = list(lines)
    head = ", ".join(str(x) for x in values[:limit])
    more = len(values) - limit
    tail = f" and {more} more" if more > 0 else ""
    return f"line{'s' if len(values) > 1 else ''} {head}{tail}"
