"""Population by district and year, for rates per 1,000 residents (methods section 5).

Three layouts are recognised from their header, so analysts can drop in what
they have:

* **ours**: ``district,year,population`` (optionally ``district_code``), one
  row per district and year;
* **ONS mid-year estimates** exported from the MYE spreadsheets (e.g.
  "MYE3: Components of population change ... mid-2019"): preamble rows, a
  header row beginning ``Code,Name,Geography1`` (row 6 of the sheet), numbers
  with thousands separators in quotes.  Every ``Estimated Population mid-YYYY``
  column becomes a year (the mid-2019 file gives 2018 and 2019); only
  district-level rows are kept (not countries, regions or counties);
* **2011 Census** ``Local Authority,Population`` (year 2011).  Its unitary
  authorities carry a `` UA`` suffix ("Bedford UA"), dropped so that the names
  match the district names of LSOA names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cdrp_lib.errors import Problem
from cdrp_lib.sources.kind import ReadContext, SourceKind
from cdrp_lib.sources.local_csv import (
    normalise_name,
    problems_where,
    read_records,
    shown,
    table_from_records,
)

if TYPE_CHECKING:
    import duckdb

KIND_POPULATION = "population"
POPULATION_COLUMNS = ("district", "year", "population")
CENSUS_2011_YEAR = 2011
FIRST_YEAR, LAST_YEAR = 1801, 2100
#: Geography types of the ONS MYE files that are districts (lowest-tier authorities).
ONS_DISTRICT_GEOGRAPHIES = frozenset({
    "Non-metropolitan District", "Unitary Authority", "Metropolitan District",
    "London Borough", "Council Area", "Local Government District",
})
DISTRICT_CODE_PATTERN = r"^[EWSN]\d{8}$"
_ONS_POPULATION_HEADER = re.compile(r"^estimated population\s+mid-(\d{4})$", re.IGNORECASE)
_UA_SUFFIX = re.compile(r"\s+UA$")
_HEADER_SEARCH_ROWS = 20


def empty_population() -> pd.DataFrame:
    return pd.DataFrame({"district": pd.Series(dtype=str), "year": pd.Series(dtype="int64"),
                         "population": pd.Series(dtype="int64")})


def _counts(cells: pd.Series[str]) -> pd.Series[float]:
    """Whole numbers, thousands separators allowed; NaN otherwise."""
    plain = cells.str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(plain.where(plain.str.fullmatch(r"\d+"), None), errors="coerce")


def _finish(frame: pd.DataFrame, path: Path, lines: pd.Series[int],
            problems: list[Problem]) -> pd.DataFrame:
    """Drop repeated district-years (reported) and give the result its dtypes."""
    dup = frame.duplicated(["district", "year"], keep="first")
    for line, district, year in zip(lines[dup], frame.loc[dup, "district"],
                                    frame.loc[dup, "year"], strict=True):
        problems.append(Problem(str(path), "duplicate district and year",
                                "one row per district and year",
                                f"{shown(district)} {int(year)} again", line=int(line),
                                column="district"))
    out = frame.loc[~dup].astype({"district": str, "year": "int64", "population": "int64"})
    return out.sort_values(["district", "year"], kind="stable").reset_index(drop=True)


def _read_ours(path: Path, records: list[tuple[int, list[str]]],
               problems: list[Problem]) -> pd.DataFrame:
    table, found = table_from_records(path, records, [], POPULATION_COLUMNS, ("district_code",))
    problems.extend(found)
    if table is None:
        return empty_population()
    frame = table.rows
    years = _counts(frame["year"])
    population = _counts(frame["population"])
    checks: list[tuple[pd.Series[bool], str, str, str]] = [
        (frame["district"] == "", "district", "missing value", "a district name"),
        (~years.between(FIRST_YEAR, LAST_YEAR), "year", "invalid year",
         f"a year from {FIRST_YEAR} to {LAST_YEAR}"),
        (population.isna(), "population", "invalid population", "a whole number of people"),
    ]
    if "district_code" in frame:
        checks.append(((frame["district_code"] != "")
                       & ~frame["district_code"].str.match(DISTRICT_CODE_PATTERN),
                       "district_code", "invalid district code",
                       "an ONS code such as E07000153, or nothing"))
    bad = pd.Series(False, index=frame.index)
    for mask, column, rule, expected in checks:
        problems.extend(problems_where(table, frame, mask, column, rule, expected))
        bad |= mask
    good = ~bad
    result = pd.DataFrame({"district": frame.loc[good, "district"], "year": years[good],
                           "population": population[good]})
    return _finish(result, path, frame.loc[good, "line"], problems)


def _read_census_2011(path: Path, records: list[tuple[int, list[str]]],
                      problems: list[Problem]) -> pd.DataFrame:
    table, found = table_from_records(path, records, [], ("local_authority", "population"))
    problems.extend(found)
    if table is None:
        return empty_population()
    frame = table.rows
    population = _counts(frame["population"])
    checks = [
        (frame["local_authority"] == "", "local_authority", "missing value", "a district name"),
        (population.isna(), "population", "invalid population", "a whole number of people"),
    ]
    bad = pd.Series(False, index=frame.index)
    for mask, column, rule, expected in checks:
        problems.extend(problems_where(table, frame, mask, column, rule, expected))
        bad |= mask
    good = ~bad
    result = pd.DataFrame({
        "district": frame.loc[good, "local_authority"].str.replace(_UA_SUFFIX, "", regex=True),
        "year": CENSUS_2011_YEAR, "population": population[good]})
    return _finish(result, path, frame.loc[good, "line"], problems)


def _ons_header(records: list[tuple[int, list[str]]]) -> int | None:
    """Index of the MYE header record (``Code, Name, Geography...``) near the top, if any."""
    for i, (_, cells) in enumerate(records[:_HEADER_SEARCH_ROWS]):
        names = [normalise_name(c) for c in cells[:3]]
        if names[:2] == ["code", "name"] and any(
                _ONS_POPULATION_HEADER.match(" ".join(c.split())) for c in cells):
            return i
    return None


def _read_ons_mye(path: Path, records: list[tuple[int, list[str]]], header_at: int,
                  problems: list[Problem]) -> pd.DataFrame:
    file = str(path)
    header = [" ".join(c.split()) for c in records[header_at][1]]
    geography = next((i for i, c in enumerate(header) if c.lower().startswith("geography")), None)
    years = {i: int(m.group(1)) for i, c in enumerate(header)
             if (m := _ONS_POPULATION_HEADER.match(c))}
    rows: list[tuple[str, int, int]] = []
    lines: list[int] = []
    for line, cells in records[header_at + 1:]:
        code = cells[0].strip()
        if not re.fullmatch(r"[A-Z]\d{8}", code):
            continue  # notes and footers below the table
        if geography is not None and cells[geography].strip() not in ONS_DISTRICT_GEOGRAPHIES:
            continue
        name = cells[1].strip()
        for column, year in years.items():
            value = cells[column].replace(",", "").strip() if column < len(cells) else ""
            if not value.isdigit():
                problems.append(Problem(file, "invalid population", "a whole number of people",
                                        shown(cells[column] if column < len(cells) else ""),
                                        line=line, column=header[column]))
                continue
            rows.append((name, year, int(value)))
            lines.append(line)
    if not rows:
        problems.append(Problem(file, "no rows", "district rows below the ONS header",
                                "none", line=records[header_at][0]))
        return empty_population()
    frame = pd.DataFrame(rows, columns=list(POPULATION_COLUMNS))
    return _finish(frame, path, pd.Series(lines), problems)


def read_population(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """``district, year, population`` (int) from any of the three layouts.

    Bad rows are reported (file, line, column, expected, found) and left out;
    a district and year given twice keeps the first.  A file of none of the
    layouts is one problem and an empty result.  Raises OSError when the file
    cannot be read.
    """
    records, problems = read_records(path)
    if not records:
        return empty_population(), problems
    first = {normalise_name(c) for c in records[0][1]} - {""}
    if set(POPULATION_COLUMNS) <= first:
        return _read_ours(path, records, problems), problems
    if first == {"local_authority", "population"}:
        return _read_census_2011(path, records, problems), problems
    header_at = _ons_header(records)
    if header_at is not None:
        return _read_ons_mye(path, records, header_at, problems), problems
    problems.append(Problem(
        str(path), "unknown population layout",
        "a header district,year,population; Local Authority,Population (Census 2011); "
        "or an ONS mid-year estimates table (Code,Name,Geography...)",
        ", ".join(repr(c) for c in records[0][1][:6]), line=records[0][0]))
    return empty_population(), problems


# --------------------------------------------------------------------------- the source kind


def store_population(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str) -> None:
    """Upsert populations (registered as ``run_local``): a district and year held already
    is replaced.  No series of their own: rates read them at assess time."""
    con.execute("DELETE FROM population USING run_local r WHERE "
                "population.district = r.district AND population.year = r.year")
    con.execute("INSERT INTO population SELECT district, year, population FROM run_local")


def _read(path: Path, ctx: ReadContext) -> tuple[pd.DataFrame, list[Problem]]:
    return read_population(path)


KIND = SourceKind(kind=KIND_POPULATION, prefixes=("population",), table="population",
                  read=_read, store=store_population, series=None)
