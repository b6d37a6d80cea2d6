"""Reference lookups: ONS district -> CSP -> police force, and LSOA -> district.

The ONS LAD->CSP->PFA lookup says which Community Safety Partnerships are one
district and which join several (Dartford and Gravesham, South Worcester...),
which is what params need to group districts into a partnership.  The LSOA
lookup (``lsoa_code,district``) carries a series across a boundary change: 2021
LSOAs in Northamptonshire are named "North Northamptonshire 001A", so the old
district (Kettering) must come from a code lookup built from 2011-vintage
files.  Both are small, so problems raise at once (:class:`InputError` with
every problem) except where a reader returns them like the other sources.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdrp_lib.errors import InputError, Problem
from cdrp_lib.sources.csp_lookup import read_csp_lookup
from cdrp_lib.sources.local_csv import LINE, problems_where, read_text_table, shown

LAD_CSP_COLUMNS = ("LAD17CD", "LAD17NM", "CSP17CD", "CSP17NM", "PFA17CD", "PFA17NM")
#: An LSOA (2011 or 2021) code in England (E01) or Wales (W01).
LSOA_CODE_PATTERN = r"^[EW]01\d{6}$"
LSOA_LOOKUP_COLUMNS = ("lsoa_code", "district")


def read_lad_csp_lookup(path: Path) -> pd.DataFrame:
    """The ONS lookup with columns LAD17CD, LAD17NM, CSP17CD, CSP17NM, PFA17CD, PFA17NM.

    The UTF-8 byte-order mark ONS files start with is removed; other columns
    (``FID``) are dropped.  Raises :class:`InputError` listing every problem
    (missing column, empty cell, a code that is not a 9-character GSS code, a
    district listed twice) and OSError when the file cannot be read.  Ingest reads
    the same file row by row (:func:`cdrp_lib.sources.csp_lookup.read_csp_lookup`).
    """
    frame, problems = read_csp_lookup(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InputError(errors)
    names = dict(zip(("district_code", "district", "csp_code", "csp", "force_area_code",
                      "force_area"), LAD_CSP_COLUMNS, strict=True))
    return frame[list(names)].rename(columns=names).reset_index(drop=True)


def csps_spanning_several_districts(lookup: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """CSP name -> its district names (in file order), for CSPs of two or more districts.

    >>> df = pd.DataFrame({"LAD17NM": ["Dartford", "Gravesham", "Corby"],
    ...                    "CSP17NM": ["Dartford and Gravesham"] * 2 + ["Corby"]})
    >>> csps_spanning_several_districts(df)
    {'Dartford and Gravesham': ('Dartford', 'Gravesham')}
    """
    out: dict[str, tuple[str, ...]] = {}
    for csp, group in lookup.groupby("CSP17NM", sort=True):
        districts = tuple(dict.fromkeys(group["LAD17NM"].astype(str)))
        if len(districts) > 1:
            out[str(csp)] = districts
    return out


def read_lsoa_lookup(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """``lsoa_code, district`` rows mapping an LSOA code to the district it belonged to.

    A row is dropped with a problem when the code is not an E01/W01 LSOA code,
    the district is empty, or the code was already mapped (to the same or
    another district).  Raises OSError when the file cannot be read.
    """
    table, problems = read_text_table(path, LSOA_LOOKUP_COLUMNS)
    empty = pd.DataFrame({c: pd.Series(dtype=str) for c in LSOA_LOOKUP_COLUMNS})
    if table is None:
        return empty, problems
    frame = table.rows
    bad_code = ~frame["lsoa_code"].str.match(LSOA_CODE_PATTERN)
    bad_district = frame["district"] == ""
    problems += problems_where(table, frame, bad_code, "lsoa_code", "invalid LSOA code",
                               "an LSOA code such as E01027055")
    problems += problems_where(table, frame, bad_district, "district", "missing value",
                               "a district name")
    ok = ~bad_code & ~bad_district
    dup = frame["lsoa_code"].duplicated(keep="first") & ok
    first_district = frame.loc[ok].drop_duplicates("lsoa_code").set_index("lsoa_code")["district"]
    for line, code, district in zip(frame.loc[dup, LINE], frame.loc[dup, "lsoa_code"],
                                    frame.loc[dup, "district"], strict=True):
        problems.append(Problem(str(path), "duplicate LSOA code", "each LSOA code once",
                                f"{shown(code)} -> {shown(district)}, already -> "
                                f"{shown(first_district[code])}", line=int(line),
                                column="lsoa_code"))
    keep = ok & ~dup
    out = frame.loc[keep, list(LSOA_LOOKUP_COLUMNS)].astype(str).reset_index(drop=True)
    return out, problems

