"""The local domestic-abuse extract: one row per DA crime or non-crime incident.

No public source has a DA flag or a victim id (methods section 8), so each
partnership exports this from its police or MARAC systems; docs/data.md gives
the schema.  :func:`read_domestic_abuse` validates every row and reports each
bad one (file, line, column, expected, found) before dropping it;
:func:`monthly_series` turns the events into the store's monthly series:
counts of DA crimes, DA incidents and MARAC referrals, and the two repeat rates
of methods 8a and 8b.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cdrp_lib.areas import slugify
from cdrp_lib.errors import Problem
from cdrp_lib.params import Measure
from cdrp_lib.periods import Month, month_range
from cdrp_lib.sources.kind import (
    ReadContext,
    SeriesContext,
    SourceKind,
    sql_list,
    unknown_partnership_problems,
)
from cdrp_lib.sources.local_csv import (
    LINE,
    TextTable,
    by_unique,
    parse_days,
    parse_flags,
    problems_where,
    read_text_table,
    shown,
)
from cdrp_lib.sources.police_uk.rules import SEVERITY_WARNING
from cdrp_lib.sources.reference import LSOA_CODE_PATTERN
from cdrp_lib.stats.repeats import LOOKBACK_MONTHS, repeat_flags
from cdrp_lib.store import SERIES_COLUMNS

if TYPE_CHECKING:
    import duckdb

KIND_DOMESTIC_ABUSE = "domestic-abuse"
RULE_UNRESOLVED_EVENT = "DA events in no partnership"

REQUIRED_COLUMNS = ("event_id", "date", "kind", "victim_id", "marac_referral")
AREA_COLUMNS = ("lsoa_code", "partnership")
EVENT_COLUMNS = ("event_id", "date", "kind", "victim_id", "lsoa_code", "partnership",
                 "marac_referral")
KINDS = ("crime", "incident")

DA_CRIMES = "da-crimes"
DA_INCIDENTS = "da-incidents"
MARAC_REFERRALS = "marac-referrals"
DA_REPEAT_RATE = "da-repeat-rate"
MARAC_REPEAT_RATE = "marac-repeat-rate"
MEASURES = (DA_CRIMES, DA_INCIDENTS, MARAC_REFERRALS, DA_REPEAT_RATE, MARAC_REPEAT_RATE)


def empty_events() -> pd.DataFrame:
    """An events frame with no rows and the right dtypes."""
    return pd.DataFrame({
        "event_id": pd.Series(dtype=str), "date": pd.Series(dtype="datetime64[ns]"),
        "kind": pd.Series(dtype=str), "victim_id": pd.Series(dtype=str),
        "lsoa_code": pd.Series(dtype=str), "partnership": pd.Series(dtype=str),
        "marac_referral": pd.Series(dtype=bool),
    })


def _duplicate_problems(table: TextTable, frame: pd.DataFrame) -> tuple[pd.Series[bool],
                                                                        list[Problem]]:
    ids = frame["event_id"]
    dup = ids.duplicated(keep="first") & (ids != "")
    first_line = frame.loc[ids != ""].groupby("event_id")[LINE].min()
    problems = [
        Problem(str(table.path), "duplicate event_id", "each event_id once",
                f"{shown(value)} again (first on line {int(first_line[value])})",
                line=int(line), column="event_id")
        for line, value in zip(frame.loc[dup, LINE], frame.loc[dup, "event_id"], strict=True)
    ]
    return dup, problems


def read_domestic_abuse(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Validated DA events from ``path`` and every problem found.

    Columns of the result: ``event_id``, ``date`` (datetime64[ns], a day),
    ``kind`` (``crime`` or ``incident``), ``victim_id``, ``lsoa_code`` ('' if
    none), ``partnership`` (an id, '' if none) and ``marac_referral`` (bool).
    A row is dropped, with a problem naming its line and column, when:
    ``event_id`` is empty or repeats an earlier row's; ``date`` is not a real
    ``YYYY-MM-DD`` or ``DD/MM/YYYY`` date; ``kind`` is not crime/incident;
    ``victim_id`` is empty or contains spaces (it must be a pseudonym, never a
    name); ``lsoa_code`` is not E01/W01 and six digits; ``partnership`` has no
    letters or digits; neither an LSOA code nor a partnership is given; or
    ``marac_referral`` is not a yes/no word (empty means no).
    Raises OSError when the file cannot be read.
    """
    table, problems = read_text_table(path, REQUIRED_COLUMNS, AREA_COLUMNS)
    if table is None:
        return empty_events(), problems
    file = str(path)
    if not any(c in table.columns for c in AREA_COLUMNS):
        problems.append(Problem(file, "missing column", "an lsoa_code or a partnership column",
                                "neither in header " + ", ".join(table.columns), line=1))
        return empty_events(), problems
    frame = table.rows.copy()
    for column in AREA_COLUMNS:
        if column not in frame:
            frame[column] = ""

    dates = parse_days(frame["date"])
    kinds = frame["kind"].str.lower()
    flags = parse_flags(frame["marac_referral"], blank=False)
    partnerships = by_unique(frame["partnership"], lambda cells: cells.map(slugify))
    checks: list[tuple[pd.Series[bool], str, str, str]] = [
        (frame["event_id"] == "", "event_id", "missing value", "an event reference"),
        (dates.isna(), "date", "invalid date", "a date as YYYY-MM-DD or DD/MM/YYYY"),
        (~kinds.isin(KINDS), "kind", "invalid kind", "crime or incident"),
        (frame["victim_id"] == "", "victim_id", "missing value", "a pseudonymised victim id"),
        (frame["victim_id"].str.contains(r"\s", regex=True), "victim_id",
         "victim id not pseudonymised", "an id without spaces (a pseudonym, never a name)"),
        ((frame["lsoa_code"] != "") & ~frame["lsoa_code"].str.match(LSOA_CODE_PATTERN),
         "lsoa_code", "invalid LSOA code", "an LSOA code such as E01012345, or nothing"),
        ((frame["partnership"] != "") & (partnerships == ""), "partnership",
         "invalid partnership", "a partnership id or district name, or nothing"),
        ((frame["lsoa_code"] == "") & (frame["partnership"] == ""), "lsoa_code", "no area",
         "an LSOA code or a partnership"),
        (flags.isna(), "marac_referral", "invalid flag", "yes/no, y/n, 1/0, true/false or nothing"),
    ]
    bad = pd.Series(False, index=frame.index)
    for mask, column, rule, expected in checks:
        problems.extend(problems_where(table, frame, mask, column, rule, expected))
        bad |= mask
    dup, dup_problems = _duplicate_problems(table, frame)
    problems.extend(dup_problems)
    bad |= dup
    problems.sort(key=lambda p: (p.line or 0, EVENT_COLUMNS.index(p.column)
                                 if p.column in EVENT_COLUMNS else 0))

    good = ~bad
    events = pd.DataFrame({
        "event_id": frame.loc[good, "event_id"].astype(str),
        "date": dates[good],
        "kind": kinds[good].astype(str),
        "victim_id": frame.loc[good, "victim_id"].astype(str),
        "lsoa_code": frame.loc[good, "lsoa_code"].astype(str),
        "partnership": partnerships[good].astype(str),
        "marac_referral": flags[good].astype(bool),
    }).reset_index(drop=True)
    return events, problems


def _repeat_event_ids(events: pd.DataFrame) -> set[str]:
    """Event ids that are repeats, computed once per event even if it appears in two areas."""
    unique = events.drop_duplicates("event_id")
    if unique.empty:
        return set()
    flags = repeat_flags(unique["victim_id"].tolist(), unique["date"],
                         unique["event_id"].tolist(), LOOKBACK_MONTHS)
    return set(unique["event_id"][np.asarray(flags, dtype=bool)])


def monthly_series(events: pd.DataFrame) -> pd.DataFrame:
    """The DA measures by partnership and month, in the store's ``series`` shape.

    ``events`` are as :func:`read_domestic_abuse` returns them, with
    ``partnership`` resolved for every row that belongs to one (rows with ''
    count to no partnership but still serve as earlier events for repeats; an
    event listed under two partnerships, e.g. a town centre and its district,
    counts in both).  Every month from the first to the last month of the
    extract appears for every partnership: counts are 0 where nothing happened.
    Repeat rates (methods 8a for DA crimes, 8b for MARAC referrals, 12-month
    lookback over the whole extract, not only the partnership) carry the
    repeats in ``value`` and all in ``denominator``; in the first 12 months the
    lookback is incomplete, so both are NaN there.
    """
    missing = [c for c in EVENT_COLUMNS if c not in events]
    if missing:
        raise ValueError(f"events must have columns {', '.join(EVENT_COLUMNS)}; "
                         f"missing {', '.join(missing)}")
    if events.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "denominator") else str)
                             for c in SERIES_COLUMNS})
    months_of = events["date"].dt.strftime("%Y-%m")
    first, last = Month.parse(months_of.min()), Month.parse(months_of.max())
    months = [str(m) for m in month_range(first, last)]
    assessable_from = str(first + LOOKBACK_MONTHS)

    is_crime = events["kind"] == "crime"
    is_referral = events["marac_referral"].astype(bool)
    crime_repeats = _repeat_event_ids(events.loc[is_crime])
    referral_repeats = _repeat_event_ids(events.loc[is_referral])
    frame = pd.DataFrame({
        "partnership": events["partnership"].astype(str),
        "month": months_of,
        DA_CRIMES: is_crime.astype(int),
        DA_INCIDENTS: (events["kind"] == "incident").astype(int),
        MARAC_REFERRALS: is_referral.astype(int),
        "crime_repeat": (is_crime & events["event_id"].isin(crime_repeats)).astype(int),
        "referral_repeat": (is_referral & events["event_id"].isin(referral_repeats)).astype(int),
    })
    frame = frame.loc[frame["partnership"] != ""]
    partnerships = sorted(frame["partnership"].unique())
    grid = pd.MultiIndex.from_product([partnerships, months], names=["partnership", "month"])
    sums = frame.groupby(["partnership", "month"]).sum().reindex(grid, fill_value=0)
    not_assessable = np.asarray(grid.get_level_values("month") < assessable_from)

    pieces = []
    for measure, value_col, denominator_col in (
            (DA_CRIMES, DA_CRIMES, None), (DA_INCIDENTS, DA_INCIDENTS, None),
            (MARAC_REFERRALS, MARAC_REFERRALS, None),
            (DA_REPEAT_RATE, "crime_repeat", DA_CRIMES),
            (MARAC_REPEAT_RATE, "referral_repeat", MARAC_REFERRALS)):
        value = sums[value_col].to_numpy(dtype=float)
        denominator = np.full(len(grid), np.nan)
        if denominator_col is not None:
            denominator = sums[denominator_col].to_numpy(dtype=float)
            value = np.where(not_assessable, np.nan, value)
            denominator = np.where(not_assessable, np.nan, denominator)
        pieces.append(pd.DataFrame({
            "partnership": grid.get_level_values("partnership"), "measure": measure,
            "month": grid.get_level_values("month"), "value": value,
            "denominator": denominator}))
    out = pd.concat(pieces, ignore_index=True)
    return out.sort_values(["partnership", "measure", "month"], kind="stable").reset_index(
        drop=True)


# --------------------------------------------------------------------------- the source kind


def store_events(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str) -> None:
    """Upsert events (registered as ``run_local``): an event id already held is replaced."""
    con.execute("DELETE FROM da_events WHERE event_id IN (SELECT event_id FROM run_local)")
    con.execute("INSERT INTO da_events SELECT CAST(event_id AS VARCHAR), "
                "CAST(date AS DATE), kind, victim_id, coalesce(lsoa_code, ''), "
                "coalesce(partnership, ''), CAST(marac_referral AS BOOLEAN) FROM run_local")


def events_fingerprint(con: duckdb.DuckDBPyConnection, measures: Mapping[str, Measure],
                       areas: object) -> str:
    """Row count and hash sum of ``da_events``: equal means untouched since it was taken.

    Taken after the rebuild placed the events, so an ingest that adds none finds it
    unchanged (a change of the partnerships' members redoes them anyway).
    """
    count, total = con.execute("SELECT count(*), coalesce(sum(hash(e)::HUGEINT), 0) "
                               "FROM da_events AS e").fetchall()[0]
    return f"{count}:{total}"


def da_series(ctx: SeriesContext) -> list[Problem]:
    """Resolve DA events located by LSOA to every partnership containing it; write DA series.

    An event given only a partnership keeps it.  An event with an LSOA code belongs to
    every partnership whose area contains that LSOA (a town centre and its district);
    when none does (yet), it keeps what it had, so a later police ingest can place it.
    ``ctx.redo`` False: the events and the members are as the last rebuild left them,
    so placing them again changes nothing and their series stand; only the problems
    are found again.
    """
    con = ctx.con
    if ctx.redo:
        _place_events(ctx)
    problems: list[Problem] = []
    unplaced = con.execute("SELECT count(DISTINCT event_id) FROM da_events "
                           "WHERE partnership = ''").fetchone()
    if unplaced and unplaced[0]:
        problems.append(Problem("domestic abuse events", RULE_UNRESOLVED_EVENT,
                                "an LSOA inside a partnership, or a partnership id",
                                f"{unplaced[0]} events in no known area (counted nowhere)",
                                column="lsoa_code", severity=SEVERITY_WARNING))
    ids = [str(r[0]) for r in con.execute(
        "SELECT DISTINCT partnership FROM da_events ORDER BY 1").fetchall()]
    problems += unknown_partnership_problems(ids, ctx.areas, "domestic abuse events")
    if not ctx.redo:
        return problems
    con.execute(f"DELETE FROM series WHERE measure IN {sql_list(MEASURES)}", list(MEASURES))
    events = con.execute("SELECT event_id, CAST(date AS TIMESTAMP) AS date, kind, victim_id, "
                         "lsoa_code, partnership, marac_referral FROM da_events "
                         "ORDER BY date, event_id").df()
    if events.empty:
        return problems
    events["date"] = events["date"].astype("datetime64[ns]")
    con.register("run_series", monthly_series(events))
    con.execute("INSERT INTO series SELECT partnership, measure, month, CAST(value AS DOUBLE), "
                "CAST(denominator AS DOUBLE) FROM run_series")
    con.unregister("run_series")
    return problems


def _place_events(ctx: SeriesContext) -> None:
    """Give every DA event located by LSOA the partnerships containing it (one row each)."""
    con = ctx.con
    names = dict(ctx.lsoas)
    codes = [str(r[0]) for r in con.execute(
        "SELECT DISTINCT lsoa_code FROM da_events WHERE lsoa_code <> ''").fetchall()]
    placed = sorted({(code, pid) for pid, code, _ in
                     ctx.place([(code, names.get(code, "")) for code in codes])})
    if not placed:
        return
    con.register("da_places", pd.DataFrame(placed, columns=["lsoa_code", "partnership"],
                                           dtype=object))
    con.execute("CREATE OR REPLACE TEMP TABLE da_located AS SELECT DISTINCT ON (event_id) "
                "event_id, date, kind, victim_id, lsoa_code, marac_referral FROM da_events "
                "WHERE lsoa_code IN (SELECT lsoa_code FROM da_places) ORDER BY event_id")
    con.execute("DELETE FROM da_events WHERE lsoa_code IN (SELECT lsoa_code FROM da_places)")
    con.execute("INSERT INTO da_events SELECT e.event_id, e.date, e.kind, e.victim_id, "
                "e.lsoa_code, p.partnership, e.marac_referral FROM da_located e "
                "JOIN da_places p USING (lsoa_code)")
    con.unregister("da_places")
    con.execute("DROP TABLE da_located")


def _read(path: Path, ctx: ReadContext) -> tuple[pd.DataFrame, list[Problem]]:
    return read_domestic_abuse(path)


KIND = SourceKind(kind=KIND_DOMESTIC_ABUSE, prefixes=("domestic_abuse",), table="da_events",
                  read=_read, store=store_events, series=da_series,
                  fingerprint=events_fingerprint, rebuilt_rules=(RULE_UNRESOLVED_EVENT,))
