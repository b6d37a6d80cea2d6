"""LSOA code -> district lookups: how a partnership keeps its area across a boundary change.

A lookup is a small CSV in ``params/reference/`` that a partnership names as
``area.lsoa_lookup``; its every bad row is a Problem with its line, reported
with the partnership file's own problems.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cdrp_lib.errors import Problem
from cdrp_lib.params.fields import LSOA_RE

LOOKUP_HEADER = ("lsoa_code", "district")
LOOKUP_COMMENT = "#"


def read_lsoa_lookup(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """Read an LSOA code -> district CSV (``lsoa_code,district``; ``#`` lines are comments).

    Returns the mapping of every good row and a Problem for every bad one
    (line numbers as an editor shows them).
    """
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return {}, [Problem(str(path), "cannot read the LSOA lookup", "a readable CSV file",
                            exc.strerror or type(exc).__name__)]
    except UnicodeDecodeError as exc:
        return {}, [Problem(str(path), "not UTF-8", "UTF-8 text", f"byte {exc.start}")]
    lookup: dict[str, str] = {}
    header_seen = False
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (row[0].startswith(LOOKUP_COMMENT)):
            continue
        cells = tuple(c.strip() for c in row)
        if not header_seen:
            header_seen = True
            if cells != LOOKUP_HEADER:
                problems.append(Problem(str(path), "wrong header", ",".join(LOOKUP_HEADER),
                                        ",".join(cells), line=number))
            continue
        if len(cells) != len(LOOKUP_HEADER):
            problems.append(Problem(str(path), "wrong number of fields",
                                    f"{len(LOOKUP_HEADER)} fields", f"{len(cells)} fields",
                                    line=number))
            continue
        code, district = cells
        if not LSOA_RE.match(code):
            problems.append(Problem(str(path), "not an LSOA code", "'E01' or 'W01' and six digits",
                                    repr(code), line=number, column="lsoa_code"))
        elif not district:
            problems.append(Problem(str(path), "empty district", "a district name", "''",
                                    line=number, column="district"))
        elif lookup.get(code, district) != district:
            problems.append(Problem(str(path), "LSOA code given two districts",
                                    f"one district ({lookup[code]!r})", repr(district),
                                    line=number, column="lsoa_code"))
        else:
            lookup[code] = district
    if not header_seen:
        problems.append(Problem(str(path), "empty LSOA lookup", ",".join(LOOKUP_HEADER),
                                "no rows"))
    return lookup, problems
