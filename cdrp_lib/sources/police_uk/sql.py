"""The DuckDB pieces both passes share: the CSV reader, crime-type codes, scanned files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdrp_lib.sources.police_uk.checks import FileCheck
from cdrp_lib.sources.police_uk.rules import CRIME_TYPE_SLUGS, HEADER


def _read_csv_sql(parameter: str, errors: Literal["fail", "skip", "record"] = "fail") -> str:
    """DuckDB's reader over the files in ``$parameter``, every column as text.

    A record it cannot parse fails the statement (``"fail"``), is skipped
    (``"skip"``), or is skipped and set aside in ``street_rejects`` with its file,
    line and why (``"record"``).  Recording costs a tenth of a large scan, so it is
    kept for the scan whose reasons are reported (reading._group_rows).
    """
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in HEADER) + "}"
    aside = {"fail": "", "skip": ", ignore_errors = true",
             "record": f", ignore_errors = true, store_rejects = true, "
                       f"rejects_table = '{_REJECTS}', rejects_scan = '{_REJECT_SCANS}', "
                       f"rejects_limit = {_REJECTS_HELD}"}[errors]
    return (f"read_csv(${parameter}, header = true, columns = {columns}, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"'{aside})")



# Crime type name -> a small code per slug, so rows group by one byte, not a string.
_SLUGS: tuple[str, ...] = tuple(sorted(set(CRIME_TYPE_SLUGS.values())))


def _slug_code(column: str) -> str:
    """The slug code of the crime type in ``column``; NULL for a type not known."""
    return (f"CAST(CASE {column} "
            + " ".join(f"WHEN '{name}' THEN {_SLUGS.index(slug)}"
                       for name, slug in CRIME_TYPE_SLUGS.items())
            + " END AS UTINYINT)")


_SLUG_CODE = _slug_code('"Crime type"')
_REJECTS = "street_rejects"
# Records DuckDB sets aside per file: only the first is quoted (the slow path then
# names every line), and each costs a copy of its line and a long message.
_REJECTS_HELD = 20
_REJECT_SCANS = "street_reject_scans"


@dataclass(frozen=True)
class _Scanned:
    """A file in a scan: ``f`` its position there, ``no`` among all files read.

    ``latest`` is False when a later file of the batch has the same force and month.
    """

    f: int
    no: int
    check: FileCheck
    latest: bool




# Row warnings (the row is kept): bit 1 a Crime ID that is not 64 bytes or does not
# start with a hex digit (ASB rows have none, which is fine), bit 2 a latitude that
# is not a number.  Free per row: a length, a comparison and a cast.  A full hex check of
# every character (unhex, a regex, ltrim) cost 7-30% of the scan, more than the few
# percent this warning may cost; real malformations (truncated, scientific notation,
# spaces, quotes, a character outside ASCII) change the length anyway.  LSOA codes are
# checked on the groups.  The first pass asks only whether a row has either (_ODD_ANY,
# a third cheaper than adding up the bits); the second says which (_ODD).
ODD_CRIME_ID, ODD_LATITUDE = 1, 2
_ODD_CRIME_ID_SQL = ("(\"Crime ID\" <> '' AND (strlen(\"Crime ID\") <> 64 "
                     "OR \"Crime ID\" < '0' OR \"Crime ID\" >= 'g'))")
_ODD_LATITUDE_SQL = "(\"Latitude\" <> '' AND TRY_CAST(\"Latitude\" AS DOUBLE) IS NULL)"
_ODD = (f"(CASE WHEN {_ODD_CRIME_ID_SQL} THEN {ODD_CRIME_ID} ELSE 0 END) + "
        f"(CASE WHEN {_ODD_LATITUDE_SQL} THEN {ODD_LATITUDE} ELSE 0 END)")
_ODD_ANY = f"({_ODD_CRIME_ID_SQL} OR {_ODD_LATITUDE_SQL})"
# The Crime ID hash the first pass gives a row with a warning bit (see
# reading._group_rows): a file with one is read again, every Crime ID looked at.
ODD_ROW = 0
# An LSOA code as data.police.uk publishes them (England E01, Wales W01), or none.
LSOA_PATTERN = "[EW]01[0-9]{6}"
_BAD_LSOA = f"(lsoa_code <> '' AND NOT regexp_full_match(lsoa_code, '{LSOA_PATTERN}'))"
