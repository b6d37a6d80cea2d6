"""Partner agencies' figures: ``data/raw/local/series*.csv``, one row per area, measure and period.

Fire and rescue, road safety, youth justice, probation and any other agency send
figures the police data cannot give (issue 11).  Each row is one value of one
measure of ``params/measures.yaml`` for one area and one reporting period:

``partnership`` | ``district`` | ``lsoa_code`` (exactly one of them), ``measure``,
``period`` (``2009-07``, ``2009Q3``, ``2009/10 Q2`` or ``2009/10``), ``value``, and
optionally ``denominator`` (percent measures; a rate's own population) and
``cohort`` (cohort-offences measures: the cohort's size).

:func:`read_partner_series` checks everything a file can say about itself (docs/data.md
lists every rule) and reports each bad row with its line; the rows kept go to the
store's ``partner_values`` table.  Which partnership a district or LSOA belongs to is
only known once the police data and params are read, so the rebuild places the rows
(:func:`partner_series`) and writes their series; a row in no partnership yet stays in
the table, reported with its file and line, until a later ingest makes its area known.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cdrp_lib.areas import slugify
from cdrp_lib.errors import PROBLEMS_PER_RULE, Problem, ProblemLog
from cdrp_lib.params import Measure
from cdrp_lib.params.checks import nearest_ids
from cdrp_lib.periods import (
    MONTHS_IN,
    PERIOD_FINANCIAL_YEAR,
    PERIOD_FORMS,
    PERIOD_MONTH,
    PERIOD_QUARTER,
    Month,
    parse_period,
)
from cdrp_lib.sources.kind import Areas, ReadContext, SeriesContext, SourceKind, digest, sql_list
from cdrp_lib.sources.local_csv import (
    LINE,
    TextTable,
    by_unique,
    numbers,
    parts_by_unique,
    problems_where,
    read_text_table,
    shown,
)
from cdrp_lib.sources.reference import LSOA_CODE_PATTERN

if TYPE_CHECKING:
    import duckdb

KIND_PARTNER = "partner-series"
AREA_COLUMNS = ("partnership", "district", "lsoa_code")
REQUIRED_COLUMNS = ("measure", "period", "value")
OPTIONAL_COLUMNS = ("denominator", "cohort")
#: Sources with files of their own: their measures never come from series*.csv.
OWN_FILE_SOURCES = {"police": "data.police.uk street files",
                    "domestic_abuse": "domestic_abuse*.csv", "survey": "survey*.csv"}
#: The period kind each measure frequency takes.
PERIOD_FOR_FREQUENCY = {"monthly": PERIOD_MONTH, "quarterly": PERIOD_QUARTER,
                        "annual": PERIOD_FINANCIAL_YEAR}
PERIOD_WORDS = {PERIOD_MONTH: "a month such as 2009-07",
                PERIOD_QUARTER: "a quarter such as 2009Q3 or 2009/10 Q2",
                PERIOD_FINANCIAL_YEAR: "a financial year such as 2009/10"}
#: Units whose denominator is the file's: a percentage's base, or a rate's own population.
DENOMINATOR_UNITS = frozenset({"percent", "per_1000", "per_100000"})
COHORT_UNIT = "cohort_offences"
#: Columns of the rows kept, as ``partner_values`` holds them (less the file name).
VALUE_COLUMNS = ("area_kind", "area", "measure", "source", "period", "first_month", "month",
                 "value", "denominator", "cohort", "line")

RULE_AREA_COLUMNS = "area columns"
RULE_UNKNOWN_MEASURE = "unknown measure"
RULE_OWN_FILE = "measure with its own files"
RULE_PERIOD = "invalid period"
RULE_PERIOD_KIND = "period not the measure's frequency"
RULE_VALUE = "invalid value"
RULE_NEGATIVE = "negative value"
RULE_DENOMINATOR = "invalid denominator"
RULE_DENOMINATOR_BELOW = "denominator below value"
RULE_DENOMINATOR_IGNORED = "denominator ignored"
RULE_COHORT = "invalid cohort"
RULE_DUPLICATE = "duplicate period"
RULE_AREA = "missing area"
RULE_LSOA = "invalid LSOA code"
# Found when the rows are placed in partnerships (every rebuild, store-wide).
RULE_NO_PARTNERSHIP = "no such partnership"
RULE_NO_DISTRICT = "district in no partnership"
RULE_LSOA_OUTSIDE = "LSOA outside every partnership"
#: Which area column wins when a partnership's rows for a measure come from several:
#: its own figures, else its districts' summed, else its LSOAs' summed.
AREA_PRECEDENCE = {"partnership": 0, "district": 1, "lsoa_code": 2}


def empty_values() -> pd.DataFrame:
    """A frame of kept rows with no rows and the right dtypes."""
    floats = ("value", "denominator", "cohort")
    return pd.DataFrame({c: pd.Series(dtype=float if c in floats else
                                      "int64" if c == LINE else object) for c in VALUE_COLUMNS})


def read_partner_series(path: Path, measures: Mapping[str, Measure]
                        ) -> tuple[pd.DataFrame, list[Problem]]:
    """The valid rows of one ``series*.csv`` and every problem found.

    Columns of the result: :data:`VALUE_COLUMNS`: ``area_kind`` (which area column
    the file has), ``area`` (a partnership id, a district name or an LSOA code),
    ``measure``, ``source`` (the measure's), ``period`` (as written), ``first_month``
    and ``month`` (its first and last month, ``YYYY-MM``), ``value``, ``denominator``
    and ``cohort`` (floats, NaN when not given) and ``line``.  A file whose header
    is unusable is one problem and no rows; otherwise each bad row is one problem
    per broken rule (at most :data:`~cdrp_lib.errors.PROBLEMS_PER_RULE` per rule,
    then a count) and is left out.  Raises OSError when the file cannot be read.
    """
    file = str(path)
    table, problems = read_text_table(path, REQUIRED_COLUMNS, AREA_COLUMNS + OPTIONAL_COLUMNS)
    if table is None:
        return empty_values(), problems
    areas = [c for c in AREA_COLUMNS if c in table.columns]
    if len(areas) != 1:
        problems.append(Problem(
            file, RULE_AREA_COLUMNS, "exactly one of the columns partnership, district, "
            "lsoa_code", ("none of them" if not areas else "; ".join(areas))
            + " in header " + ", ".join(table.columns), line=1))
        return empty_values(), problems
    log = ProblemLog()
    log.extend(problems)
    kept = _checked(table, areas[0], measures, log)
    found = sorted(log.problems(), key=lambda p: p.line or 0)
    return kept, found


def _checked(table: TextTable, area_kind: str, measures: Mapping[str, Measure],
             log: ProblemLog) -> pd.DataFrame:
    frame = table.rows
    bad = pd.Series(False, index=frame.index)

    def reject(mask: pd.Series[bool], column: str, rule: str, expected: str) -> None:
        nonlocal bad
        mask = mask & ~bad  # one problem per row: the first rule it breaks
        _bounded(log, table, frame, mask, column, rule, expected)
        bad = bad | mask

    area = _area_cells(frame[area_kind], area_kind)
    reject(area == "", area_kind, RULE_AREA, f"a {area_kind.replace('_', ' ')}")
    if area_kind == "lsoa_code":
        reject(~area.str.match(LSOA_CODE_PATTERN), area_kind, RULE_LSOA,
               "an LSOA code such as E01027393")

    ids = frame["measure"].str.lower()
    known = ids.isin(list(measures))
    unknowns = sorted(set(ids[~known & ~bad]))
    for unknown in unknowns[:PROBLEMS_PER_RULE]:  # the nearest ids of as many as are shown
        near = nearest_ids(unknown, list(measures))
        hint = f" (nearest: {', '.join(near)})" if near else ""
        reject(ids == unknown, "measure", RULE_UNKNOWN_MEASURE,
               f"a measure id of measures.yaml{hint}")
    reject(~known, "measure", RULE_UNKNOWN_MEASURE, "a measure id of measures.yaml")
    source = ids.map({k: m.source for k, m in measures.items()}).fillna("")
    for own, files in OWN_FILE_SOURCES.items():
        reject(source == own, "measure", RULE_OWN_FILE,
               f"a partner agency's measure ({own} measures are read from {files})")

    first, last, kind = _periods(frame["period"])
    reject(kind == "", "period", RULE_PERIOD, PERIOD_FORMS)
    wanted = ids.map({k: PERIOD_FOR_FREQUENCY[m.frequency] for k, m in measures.items()})
    for period_kind, words in PERIOD_WORDS.items():
        frequency = next(f for f, k in PERIOD_FOR_FREQUENCY.items() if k == period_kind)
        reject((wanted == period_kind) & (kind != period_kind), "period", RULE_PERIOD_KIND,
               f"{words} ({frequency} measure)")

    value = numbers(frame["value"])
    reject(value.isna(), "value", RULE_VALUE, "a number")
    reject(value < 0, "value", RULE_NEGATIVE, "a number of at least 0")

    unit = ids.map({k: m.value_unit for k, m in measures.items()}).fillna("")
    denominator = _optional(frame, "denominator")
    given = frame["denominator"] != "" if "denominator" in frame else pd.Series(
        False, index=frame.index)
    percent = unit == "percent"
    reject(percent & denominator.isna(), "denominator", RULE_DENOMINATOR,
           "a number: a percent measure's value is the numerator of its denominator")
    reject(given & ~percent & unit.isin(DENOMINATOR_UNITS) & ~(denominator > 0),
           "denominator", RULE_DENOMINATOR, "a positive number (the rate's population)")
    reject(given & denominator.isna(), "denominator", RULE_DENOMINATOR, "a number or nothing")
    reject(denominator < value, "denominator", RULE_DENOMINATOR_BELOW,
           "a denominator of at least the value")
    ignored = given & ~bad & ~unit.isin(DENOMINATOR_UNITS)
    if ignored.any():
        _bounded(log, table, frame, ignored, "denominator", RULE_DENOMINATOR_IGNORED,
                 "no denominator for a count, a twelve-month mean or cohort offences "
                 "(the value is used; the denominator is not)", severity="warning")
    denominator = denominator.where(unit.isin(DENOMINATOR_UNITS))

    cohort = _optional(frame, "cohort")
    cohort_unit = unit == COHORT_UNIT
    reject(cohort_unit & ~((cohort >= 1) & (cohort % 1 == 0)), "cohort", RULE_COHORT,
           "a whole number of at least 1 (the cohort's size) for a cohort_offences measure")
    cohort = cohort.where(cohort_unit)

    key = pd.DataFrame({"a": area, "m": ids, "p": last})
    ok = ~bad
    dup = key.duplicated(keep="first") & ok
    if dup.any():
        first_line = frame.loc[ok].groupby([area[ok], ids[ok], last[ok]])[LINE].min()
        rows = np.flatnonzero(dup.to_numpy(dtype=bool))

        def again(i: int, count: int = 1) -> Problem:
            a, m, p = area.iloc[i], ids.iloc[i], last.iloc[i]
            return Problem(str(table.path), RULE_DUPLICATE, f"one row per {area_kind}, "
                           "measure and period", f"{shown(a)}, {shown(m)}, "
                           f"{shown(frame['period'].iloc[i])} again (first on line "
                           f"{int(first_line[(a, m, p)])})", line=int(frame[LINE].iloc[i]),
                           column="period", count=count)

        log.extend(again(i) for i in rows[:PROBLEMS_PER_RULE])
        if len(rows) > PROBLEMS_PER_RULE:  # the rest as one count, as _bounded does
            log.add(again(rows[-1], len(rows) - PROBLEMS_PER_RULE))
        bad = bad | dup

    ok = ~bad
    out = pd.DataFrame({
        "area_kind": area_kind, "area": area[ok], "measure": ids[ok], "source": source[ok],
        "period": frame.loc[ok, "period"], "first_month": first[ok], "month": last[ok],
        "value": value[ok].astype(float), "denominator": denominator[ok].astype(float),
        "cohort": cohort[ok].astype(float), LINE: frame.loc[ok, LINE].astype("int64")})
    return out.reset_index(drop=True)[list(VALUE_COLUMNS)]


def _bounded(log: ProblemLog, table: TextTable, frame: pd.DataFrame, mask: pd.Series[bool],
             column: str, rule: str, expected: str, severity: str = "error") -> None:
    """Problems for the rows of ``mask``: the first :data:`PROBLEMS_PER_RULE` made, the rest
    one summary, so a file of a million bad rows makes a hundred messages, not a million."""
    hits = np.flatnonzero(mask.to_numpy(dtype=bool))
    if not len(hits):
        return
    head = frame.iloc[hits[:PROBLEMS_PER_RULE]]
    log.extend(problems_where(table, head, pd.Series(True, index=head.index), column, rule,
                              expected, severity=severity))
    rest = hits[PROBLEMS_PER_RULE:]
    if len(rest):
        last = frame.iloc[rest[-1]]
        log.add(Problem(str(table.path), rule, expected, shown(last[column]),
                        line=int(last[LINE]), column=column, severity=severity,
                        count=len(rest)))


def _area_cells(cells: pd.Series[str], area_kind: str) -> pd.Series[str]:
    """A partnership as its id (``Kettering CSP`` -> ``kettering-csp``), a district as
    written, an LSOA code in capitals."""
    if area_kind == "partnership":
        return by_unique(cells, lambda u: u.map(slugify))
    if area_kind == "lsoa_code":
        return cells.str.upper()
    return cells.str.split().str.join(" ")


def _periods(cells: pd.Series[str]) -> tuple[pd.Series[str], pd.Series[str], pd.Series[str]]:
    """First month, last month and kind of each period cell ('' where it does not parse)."""
    def parts(text: str) -> tuple[str, str, str]:
        try:
            period = parse_period(text)
        except ValueError:
            return "", "", ""
        return str(period.first), str(period.last), period.kind

    first, last, kind = parts_by_unique(cells, parts, 3)
    return first, last, kind


def _optional(frame: pd.DataFrame, column: str) -> pd.Series[float]:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return numbers(frame[column])


# --------------------------------------------------------------------------- the source kind


def partner_measures(measures: Mapping[str, Measure]) -> dict[str, Measure]:
    """The measures read from series*.csv: every one whose source has no files of its own."""
    return {mid: m for mid, m in measures.items() if m.source not in OWN_FILE_SOURCES}


def store_values(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str) -> None:
    """Upsert a file's rows (registered as ``run_local``): a row for an area, measure and
    period already held is replaced by the newer file's."""
    con.execute("DELETE FROM partner_values USING run_local r WHERE "
                "partner_values.area_kind = r.area_kind AND partner_values.area = r.area "
                "AND partner_values.measure = r.measure AND partner_values.month = r.month")
    con.execute("INSERT INTO partner_values SELECT ?, CAST(line AS INTEGER), area_kind, area, "
                "measure, source, period, first_month, month, CAST(value AS DOUBLE), "
                "CAST(denominator AS DOUBLE), CAST(cohort AS DOUBLE) FROM run_local", [file])


def values_fingerprint(con: duckdb.DuckDBPyConnection, measures: Mapping[str, Measure],
                       areas: Areas) -> str:
    """What the partner series are made of: the rows held, the partner measures' ids,
    units and frequencies, and the partnerships with their districts (a row names one)."""
    count, total = con.execute("SELECT count(*), coalesce(sum(hash(v)::HUGEINT), 0) "
                               "FROM partner_values AS v").fetchall()[0]
    shapes = sorted((mid, m.source, m.value_unit, m.frequency)
                    for mid, m in partner_measures(measures).items())
    places = sorted((pid, sorted(area.districts)) for pid, (_, area, _) in areas.items())
    return digest(int(count), str(total), shapes, places)


def partner_series(ctx: SeriesContext) -> list[Problem]:
    """Place every held row in its partnerships and (when ``ctx.redo``) write the series.

    A ``partnership`` row is that partnership's; a ``district`` row belongs to every
    partnership whose area lists the district; an ``lsoa_code`` row to every one whose
    area contains the LSOA.  Each series runs from the first to the last period held,
    one row per period at its last month, ``value`` NULL for a period missing between
    them (and for a period some district of the partnership did not give).
    """
    measures = partner_measures(ctx.measures)
    rows = ctx.con.execute(
        "SELECT file, line, area_kind, area, measure, month, value, denominator, cohort "
        "FROM partner_values ORDER BY file, line").df()
    rows = rows[rows["measure"].isin(list(measures))]
    placed, problems = _place(rows, ctx)
    if not ctx.redo:
        return problems
    held = [str(r[0]) for r in ctx.con.execute(
        "SELECT DISTINCT measure FROM partner_values").fetchall()]
    ids = sorted(set(held) | set(measures))
    if ids:
        ctx.con.execute(f"DELETE FROM series WHERE measure IN {sql_list(ids)}", ids)
    series = _series(placed, measures)
    if not series.empty:
        ctx.con.register("run_series", series)
        ctx.con.execute("INSERT INTO series SELECT partnership, measure, month, "
                        "CAST(value AS DOUBLE), CAST(denominator AS DOUBLE) FROM run_series "
                        "ORDER BY 1, 2, 3")
        ctx.con.unregister("run_series")
    return problems


def _place(rows: pd.DataFrame, ctx: SeriesContext) -> tuple[pd.DataFrame, list[Problem]]:
    """``rows`` with a ``partnership`` each (a row in two partnerships twice), and a
    problem for each row in none (at most PROBLEMS_PER_RULE per file and rule)."""
    by_district: dict[str, list[str]] = {}
    for pid, (_, area, _) in sorted(ctx.areas.items()):
        for district in area.districts:
            by_district.setdefault(slugify(district), []).append(pid)
    names = dict(ctx.lsoas)
    codes = sorted(set(rows.loc[rows["area_kind"] == "lsoa_code", "area"]))
    by_code: dict[str, list[str]] = {}
    for pid, code, _ in ctx.place([(code, names.get(code, "")) for code in codes]):
        by_code.setdefault(code, []).append(pid)
    districts = sorted({d for _, area, _ in ctx.areas.values() for d in area.districts})

    log = ProblemLog()
    pids: list[list[str]] = []
    for file, line, kind, area in zip(rows["file"], rows["line"], rows["area_kind"],
                                      rows["area"], strict=True):
        if kind == "partnership":
            found = [area] if area in ctx.areas else []
        elif kind == "district":
            found = by_district.get(slugify(area), [])
        else:
            found = sorted(set(by_code.get(area, [])))
        pids.append(found)
        if not found:
            log.add(_unplaced(str(file), int(line), str(kind), str(area), list(ctx.areas),
                              districts))
    placed = rows.assign(partnership=pd.Series(pids, index=rows.index, dtype=object))
    placed = placed.explode("partnership")
    return placed.dropna(subset=["partnership"]), log.problems()


def _unplaced(file: str, line: int, kind: str, area: str, ids: list[str],
              districts: list[str]) -> Problem:
    if kind == "partnership":
        near = nearest_ids(area, ids)
        return Problem(file, RULE_NO_PARTNERSHIP, "a partnership of the store or the params"
                       + (f" (nearest: {', '.join(near)})" if near else ""), shown(area),
                       line=line, column=kind)
    if kind == "district":
        near = nearest_ids(area, districts)
        return Problem(file, RULE_NO_DISTRICT, "a district of a partnership of the store or "
                       "the params" + (f" (nearest: {', '.join(near)})" if near else ""),
                       shown(area), line=line, column=kind)
    return Problem(file, RULE_LSOA_OUTSIDE, "an LSOA inside a partnership's area (in the "
                   "police data or a params area)", shown(area), line=line, column=kind)


def _series(placed: pd.DataFrame, measures: Mapping[str, Measure]) -> pd.DataFrame:
    """The placed rows summed by partnership, measure and period, on every period's month."""
    columns = ["partnership", "measure", "month", "value", "denominator"]
    if placed.empty:
        return pd.DataFrame(columns=columns)
    placed = placed.assign(rank=placed["area_kind"].map(AREA_PRECEDENCE))
    best = placed.groupby(["partnership", "measure"])["rank"].transform("min")
    placed = placed[placed["rank"] == best]
    pieces = []
    for (pid, mid), group in placed.groupby(["partnership", "measure"], sort=True):
        m = measures[str(mid)]
        areas = group["area"].nunique()
        sums = group.groupby("month").agg(
            value=("value", "sum"), areas=("area", "nunique"),
            denominator=("denominator", _whole_sum), cohort=("cohort", _whole_sum))
        if group["area_kind"].iloc[0] == "district":  # a district missing: no total
            sums.loc[sums["areas"] < areas, ["value", "denominator", "cohort"]] = np.nan
        first, last = Month.parse(sums.index.min()), Month.parse(sums.index.max())
        step = MONTHS_IN[PERIOD_FOR_FREQUENCY[m.frequency]]
        grid = [str(first + i) for i in range(0, last.minus(first) + 1, step)]
        sums = sums.reindex(grid)
        denominator = sums["cohort"] if m.value_unit == COHORT_UNIT else sums["denominator"]
        pieces.append(pd.DataFrame({"partnership": pid, "measure": mid, "month": grid,
                                    "value": sums["value"].to_numpy(dtype=float),
                                    "denominator": denominator.to_numpy(dtype=float)}))
    return pd.concat(pieces, ignore_index=True)[columns]


def _whole_sum(values: pd.Series[float]) -> float:
    """The sum when every area gave one, else NaN (a partial base would mislead)."""
    return float(values.sum()) if values.notna().all() else float("nan")


def _read(path: Path, ctx: ReadContext) -> tuple[pd.DataFrame, list[Problem]]:
    return read_partner_series(path, ctx.measures)


KIND = SourceKind(kind=KIND_PARTNER, prefixes=("series",), table="partner_values", read=_read,
                  store=store_values, series=partner_series, fingerprint=values_fingerprint,
                  accounts=True,
                  rebuilt_rules=(RULE_NO_PARTNERSHIP, RULE_NO_DISTRICT, RULE_LSOA_OUTSIDE))
