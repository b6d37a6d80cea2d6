"""A district -> CSP -> police force lookup of the user's own, read by ingest.

The shipped reference (``cdrp_lib/data/districts.csv``) knows the real districts
of England and Wales as they are today.  A partnership whose grouping it does not
know (a new merger, a country of fictional districts such as the national demo's)
gives its own lookup in the ONS "LAD to CSP to PFA" format, as ONS publishes it::

    LAD17CD,LAD17NM,CSP17CD,CSP17NM,PFA17CD,PFA17NM,FID

(a byte-order mark, any two-digit vintage ``LAD22CD``..., ``FID`` and other
columns ignored), saved as ``data/raw/reference/lad-to-csp-to-pfa*.csv``.  Ingest
keeps its rows in the store's ``csp_lookup`` table, so a later ingest of street
files alone still groups the districts; and the rebuild lays them over the shipped
reference for the districts they name (:func:`cdrp_lib.coverage.store_reference`).

Every row is checked as every input is: a row with an empty name, a code that is
not a GSS code, or a district already listed is reported with its file, line,
column, what was expected and what was found, and left out; the other rows are kept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cdrp_lib.areas import force_id
from cdrp_lib.errors import Problem
from cdrp_lib.sources.kind import ReadContext, SourceKind
from cdrp_lib.sources.local_csv import LINE, problems_where, read_records, table_from_records

if TYPE_CHECKING:
    import duckdb

#: The ingest kind, and the start of the file names ingest reads as this kind.
KIND_CSP_LOOKUP = "csp-lookup"
FILE_PREFIX = "lad-to-csp-to-pfa"
#: The store table (cdrp_lib.store.SCHEMA) and the columns of a read lookup, in order.
TABLE = "csp_lookup"
COLUMNS = ("district", "district_code", "csp", "csp_code", "force_area", "force_area_code",
           "force")
#: The ONS columns by what they hold (``17`` is the vintage; the header may give another).
_ONS = (("lad", "cd", "district_code"), ("lad", "nm", "district"), ("csp", "cd", "csp_code"),
        ("csp", "nm", "csp"), ("pfa", "cd", "force_area_code"), ("pfa", "nm", "force_area"))
_VINTAGE = re.compile(r"^lad(\d\d)cd$")
DEFAULT_VINTAGE = "17"
GSS_CODE_PATTERN = r"^[EWSNK]\d{8}$"
RULE_CODE, RULE_MISSING, RULE_DUPLICATE = "invalid code", "missing value", "duplicate district"


def ons_columns(vintage: str = DEFAULT_VINTAGE) -> tuple[str, ...]:
    """The six ONS columns of a vintage, as headers are normalised: ``lad17cd``..."""
    return tuple(f"{area}{vintage}{part}" for area, part, _ in _ONS)


def _vintage(records: list[tuple[int, list[str]]]) -> str:
    """The two digits of the header's ``LADyyCD`` (ONS renames the columns every vintage)."""
    if records:
        for cell in records[0][1]:
            found = _VINTAGE.match(cell.strip().lstrip("\ufeff").lower())
            if found:
                return found.group(1)
    return DEFAULT_VINTAGE


def read_csp_lookup(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """The lookup's valid rows as :data:`COLUMNS` (``force``: the data.police.uk id of the
    row's force area), and a problem for each row left out or column ignored.

    A district is one row: a second row with the same district code or name is a
    problem, and the first is kept.  Raises OSError when the file cannot be read.
    """
    records, problems = read_records(path)
    wanted = ons_columns(_vintage(records))
    table, problems = table_from_records(path, records, problems, wanted, ("fid",))
    if table is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}), problems
    frame = table.rows
    bad = pd.Series(False, index=frame.index)
    for column in wanted:
        if column.endswith("cd"):
            mask = ~frame[column].str.match(GSS_CODE_PATTERN)
            problems += problems_where(table, frame, mask, column, RULE_CODE,
                                       "a GSS code such as E07000153")
        else:
            mask = frame[column] == ""
            problems += problems_where(table, frame, mask, column, RULE_MISSING, "a name")
        bad |= mask
    for column in wanted[:2]:  # the district's code, then its name
        dup = frame[column].duplicated(keep="first") & ~bad
        problems += problems_where(table, frame, dup, column, RULE_DUPLICATE,
                                   "each district once")
        bad |= dup
    kept = frame.loc[~bad].rename(columns={c: name for c, (_, _, name)
                                           in zip(wanted, _ONS, strict=True)})
    kept["force"] = kept["force_area"].map(force_id)
    out = kept[[*COLUMNS, LINE]].astype({c: str for c in COLUMNS}).reset_index(drop=True)
    return out, sorted(problems, key=lambda p: (p.line or 0, p.column or ""))


def write_csp_lookup(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Keep a lookup's rows in the store: each replaces the row held for its district
    (by name or code), so a later lookup corrects an earlier one district by district."""
    if frame.empty:
        return
    con.register("run_csp_lookup", frame[list(COLUMNS)])
    try:
        con.execute(f"DELETE FROM {TABLE} USING run_csp_lookup r WHERE {TABLE}.district = "
                    f"r.district OR {TABLE}.district_code = r.district_code")
        con.execute(f"INSERT INTO {TABLE} SELECT {', '.join(COLUMNS)} FROM run_csp_lookup")
    finally:
        con.unregister("run_csp_lookup")


def _read(path: Path, ctx: ReadContext) -> tuple[pd.DataFrame, list[Problem]]:
    return read_csp_lookup(path)


def _store(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str) -> None:
    write_csp_lookup(con, frame)


#: No series of its own: the rebuild reads the table (cdrp_lib.coverage.store_reference).
KIND = SourceKind(kind=KIND_CSP_LOOKUP, prefixes=(FILE_PREFIX,), table=TABLE, read=_read,
                  store=_store, series=None)
