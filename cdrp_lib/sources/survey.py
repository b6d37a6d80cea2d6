"""Local perception surveys, per respondent or as weighted counts, to one row per wave.

Perception measures (feeling safe, confidence that the police and council deal
with the issues that matter, ASB seen as a problem) come from each
partnership's own survey.  Two shapes are accepted (docs/data.md):

* **per respondent**: ``partnership, question, response`` with ``date`` and/or
  ``wave``, optional ``weight`` and ``respondent_id``;
* **weighted counts**: ``wave, partnership, question, weighted_yes,
  weighted_n, respondents`` and optional ``deff`` (design effect).

Either becomes one row per partnership x question x wave with the effective
sample size the Wilson interval needs (methods section 6): Kish's
``n_eff = (sum w)^2 / sum w^2`` for responses, ``respondents / deff`` for counts.

**Waves.** A wave is a calendar quarter named ``2024Q3`` (July to September
2024) or, for monthly surveys, a month ``2024-09``.  Input may also write a
quarter as ``2024 Q3``, ``Q3 2024`` or as a financial-year quarter
``2024/25 Q2`` (Q1 = April to June), which is stored as its calendar name.  A
wave's ``month`` is its last month; a respondent with only a date belongs to
the calendar quarter of that date.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cdrp_lib.areas import slugify
from cdrp_lib.errors import Problem
from cdrp_lib.periods import PERIOD_MONTH, Month, calendar_quarter, parse_period
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
    first_lines,
    numbers,
    parse_days,
    parts_by_unique,
    problems_where,
    read_text_table,
    shown,
)

if TYPE_CHECKING:
    import duckdb

KIND_SURVEY = "survey"
RESPONSE_COLUMNS = ("date", "wave", "response", "weight", "respondent_id")
COUNT_COLUMNS = ("wave", "weighted_yes", "weighted_n", "respondents", "deff")
WAVE_COLUMNS = ("partnership", "question", "wave", "month", "respondents", "weighted_yes",
                "weighted_n", "n_eff")
QUESTION_PATTERN = r"^[a-z][a-z0-9_]*$"

#: Answers counted as "yes" (the measure's numerator) and as "no"; matched
#: case-insensitively after collapsing spaces.
YES_ANSWERS = frozenset({"1", "y", "yes", "true", "agree", "strongly agree", "tend to agree",
                         "agree strongly", "agree a little"})
NO_ANSWERS = frozenset({"0", "n", "no", "false", "disagree", "strongly disagree",
                        "tend to disagree", "disagree strongly", "disagree a little",
                        "neither agree nor disagree", "neither"})
#: Answers left out of the base (reported once per file as a warning).
EXCLUDED_ANSWERS = frozenset({"don't know", "dont know", "dk", "refused", "prefer not to say",
                              "not applicable", "n/a"})

_CALENDAR_QUARTER = re.compile(r"^(\d{4})\s*[-_ ]?\s*q([1-4])$|^q([1-4])\s*[-_ ]?\s*(\d{4})$")
_FINANCIAL_QUARTER = re.compile(r"^(\d{4})/(\d{2})\s*[-_ ]?\s*q([1-4])$")
_MONTH_WAVE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Wave:
    """A survey wave: its stored name and the months it covers."""

    name: str
    first: Month
    last: Month


def quarter_wave(month: Month) -> Wave:
    """The calendar-quarter wave containing ``month``: ``2024-08`` -> ``2024Q3``."""
    period = parse_period(calendar_quarter(month))
    return Wave(calendar_quarter(month), period.first, period.last)


def parse_wave(text: str) -> Wave:
    """Read a wave name in any accepted spelling; raises ValueError otherwise.

    The spellings are the survey's own (``Q3 2024``, ``2024-q3``...); what they mean
    is :func:`cdrp_lib.periods.parse_period`'s, the one parser of periods.

    >>> parse_wave("2024/25 Q2").name
    '2024Q3'
    """
    value = text.strip().lower()
    canonical = None
    m = _CALENDAR_QUARTER.match(value)
    if m:
        canonical = f"{m.group(1) or m.group(4)}Q{m.group(2) or m.group(3)}"
    m = _FINANCIAL_QUARTER.match(value)
    if m:
        canonical = f"{m.group(1)}/{m.group(2)} Q{m.group(3)}"
    if _MONTH_WAVE.match(value):
        canonical = value
    try:
        period = parse_period(canonical or "")
    except ValueError:
        raise ValueError(f"wave must be like 2024Q3, 2024/25 Q2 or 2024-09, got {text!r}") \
            from None
    if period.kind == PERIOD_MONTH:
        return Wave(str(period.first), period.first, period.last)
    return Wave(calendar_quarter(period.first), period.first, period.last)


def empty_waves() -> pd.DataFrame:
    """A waves frame with no rows and the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=int if c == "respondents" else
                                      float if c in ("weighted_yes", "weighted_n", "n_eff")
                                      else str) for c in WAVE_COLUMNS})


def _wave_parts(text: str) -> tuple[str, str, str]:
    try:
        wave = parse_wave(text)
    except ValueError:
        return "", "", ""
    return wave.name, str(wave.first), str(wave.last)


def _waves(cells: pd.Series[str]) -> tuple[pd.Series[str], pd.Series[str], pd.Series[str]]:
    """Wave name, first and last month per cell ('' where the cell is not a wave)."""
    names, firsts, lasts = parts_by_unique(cells, _wave_parts, 3)
    return names, firsts, lasts


def _common_checks(table: TextTable, frame: pd.DataFrame,
                   problems: list[Problem]) -> tuple[pd.Series[bool], pd.Series[str],
                                                     pd.Series[str]]:
    partnerships = by_unique(frame["partnership"], lambda cells: cells.map(slugify))
    questions = frame["question"].str.lower()
    bad_partnership = partnerships == ""
    bad_question = ~questions.str.match(QUESTION_PATTERN)
    problems += problems_where(table, frame, bad_partnership, "partnership", "missing value",
                               "a partnership id or district name")
    problems += problems_where(table, frame, bad_question, "question", "invalid question id",
                               "an id such as feel_safe_night (letters, digits, _)")
    return bad_partnership | bad_question, partnerships, questions


def _from_responses(table: TextTable, problems: list[Problem]) -> pd.DataFrame:
    file = str(table.path)
    frame = table.rows
    bad, partnerships, questions = _common_checks(table, frame, problems)
    has_wave, has_date = "wave" in frame, "date" in frame
    if not (has_wave or has_date):
        problems.append(Problem(file, "missing column", "a date or a wave column",
                                "neither in header " + ", ".join(table.columns), line=1))
        return empty_waves()
    wave_cells = frame["wave"] if has_wave else pd.Series("", index=frame.index)
    names, firsts, lasts = _waves(wave_cells)
    bad_wave = (wave_cells != "") & (names == "")
    if not has_date:
        bad_wave |= wave_cells == ""
    if has_wave:
        problems += problems_where(table, frame, bad_wave, "wave", "invalid wave",
                                   "a wave like 2024Q3, 2024/25 Q2 or 2024-09")
    bad |= bad_wave
    if has_date:
        days = parse_days(frame["date"])
        bad_date = days.isna()
        problems += problems_where(table, frame, bad_date, "date", "invalid date",
                                   "a date as YYYY-MM-DD or DD/MM/YYYY")
        bad |= bad_date
        date_months = days.dt.strftime("%Y-%m").fillna("")
        given = names != ""
        outside = given & ~bad_date & ((date_months < firsts) | (date_months > lasts))
        problems += problems_where(table, frame, outside, "date", "date outside its wave",
                                   "a date within the row's wave")
        bad |= outside
        from_date = ~given & ~bad_date
        names = names.where(~from_date, by_unique(date_months, lambda u: u.map(
            lambda m: quarter_wave(Month.parse(m)).name if m else "")))
        lasts = lasts.where(~from_date, by_unique(date_months, lambda u: u.map(
            lambda m: str(quarter_wave(Month.parse(m)).last) if m else "")))

    answers = by_unique(frame["response"], lambda cells: cells.str.lower().str.replace(
        "\u2019", "'", regex=False).str.split().str.join(" "))
    yes = answers.isin(YES_ANSWERS)
    excluded = answers.isin(EXCLUDED_ANSWERS)
    bad_answer = ~(yes | answers.isin(NO_ANSWERS) | excluded)
    problems += problems_where(table, frame, bad_answer, "response", "invalid response",
                               "yes/no, 1/0, agree/disagree (or don't know, left out)")
    bad |= bad_answer
    if "weight" in frame:
        weights = numbers(frame["weight"])
        bad_weight = ~(weights > 0)
        problems += problems_where(table, frame, bad_weight, "weight", "invalid weight",
                                   "a positive number")
        bad |= bad_weight
    else:
        weights = pd.Series(1.0, index=frame.index)
    if "respondent_id" in frame:
        key = pd.DataFrame({"p": partnerships, "r": frame["respondent_id"], "q": questions,
                            "w": names})
        dup = key.duplicated(keep="first") & (frame["respondent_id"] != "")
        problems += problems_where(table, frame, dup, "respondent_id", "duplicate answer",
                                   "one answer per partnership, respondent, question and wave")
        bad |= dup
    left_out = excluded & ~bad
    if left_out.any():
        problems.append(Problem(file, "answers left out", "yes or no answers",
                                f"{int(left_out.sum())} don't know/refused answers on "
                                + first_lines(frame.loc[left_out, LINE]),
                                column="response", severity="warning"))
    keep = ~bad & ~excluded
    w = weights[keep].astype(float)
    parts = pd.DataFrame({
        "partnership": partnerships[keep], "question": questions[keep], "wave": names[keep],
        "month": lasts[keep], "respondents": 1, "weighted_yes": w * yes[keep].astype(float),
        "weighted_n": w, "w2": w * w})
    if parts.empty:
        return empty_waves()
    sums = parts.groupby(["partnership", "question", "wave", "month"], as_index=False).sum()
    sums["n_eff"] = sums["weighted_n"] ** 2 / sums["w2"]
    return sums.drop(columns="w2")


def _from_counts(table: TextTable, problems: list[Problem]) -> pd.DataFrame:
    file = str(table.path)
    frame = table.rows
    missing = [c for c in ("wave", "weighted_yes", "weighted_n", "respondents")
               if c not in frame]
    if missing:
        problems.append(Problem(file, "missing column",
                                "wave, weighted_yes, weighted_n and respondents",
                                "no " + ", ".join(missing), line=1))
        return empty_waves()
    bad, partnerships, questions = _common_checks(table, frame, problems)
    names, _, lasts = _waves(frame["wave"])
    yes, n, respondents = (numbers(frame[c]) for c in ("weighted_yes", "weighted_n",
                                                        "respondents"))
    deff = numbers(frame["deff"].replace("", "1")) if "deff" in frame else pd.Series(
        1.0, index=frame.index)
    checks: list[tuple[pd.Series[bool], str, str, str]] = [
        (names == "", "wave", "invalid wave", "a wave like 2024Q3, 2024/25 Q2 or 2024-09"),
        (~(n > 0), "weighted_n", "invalid weighted base", "a positive number"),
        (~((yes >= 0) & (yes <= n.where(n > 0, math.inf))), "weighted_yes",
         "invalid weighted count",
         "a number from 0 to weighted_n"),
        (~((respondents >= 1) & (respondents % 1 == 0)), "respondents",
         "invalid respondents", "a whole number of at least 1"),
        (~(deff > 0), "deff", "invalid design effect", "a positive number (1 if empty)"),
    ]
    for mask, column, rule, expected in checks:
        if column in frame:
            problems.extend(problems_where(table, frame, mask, column, rule, expected))
        bad |= mask
    key = pd.DataFrame({"p": partnerships, "q": questions, "w": names})
    dup = key.duplicated(keep="first") & ~bad
    for line, p, q, w in zip(frame.loc[dup, LINE], partnerships[dup], questions[dup],
                             names[dup], strict=True):
        problems.append(Problem(file, "duplicate wave", "one row per partnership, question "
                                "and wave", f"{shown(p)}, {shown(q)}, {shown(w)} again",
                                line=int(line), column="wave"))
    keep = ~bad & ~dup
    if not keep.any():
        return empty_waves()
    return pd.DataFrame({
        "partnership": partnerships[keep], "question": questions[keep], "wave": names[keep],
        "month": lasts[keep], "respondents": respondents[keep].astype(int),
        "weighted_yes": yes[keep], "weighted_n": n[keep],
        "n_eff": respondents[keep] / deff[keep]})


def read_survey(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """One row per partnership x question x wave from a survey file of either shape.

    Columns: ``partnership`` (id), ``question``, ``wave`` (stored name),
    ``month`` (the wave's last month, ``YYYY-MM``), ``respondents`` (int),
    ``weighted_yes``, ``weighted_n``, ``n_eff`` (floats).  The shape is told
    from the header (a ``response`` column, or ``weighted_yes``/``weighted_n``).
    Bad rows are reported and left out; see docs/data.md for every rule.
    Raises OSError when the file cannot be read.
    """
    table, problems = read_text_table(path, ("partnership", "question"),
                                      RESPONSE_COLUMNS + COUNT_COLUMNS)
    if table is None:
        return empty_waves(), problems
    is_responses = "response" in table.columns
    is_counts = "weighted_yes" in table.columns or "weighted_n" in table.columns
    if is_responses == is_counts:
        problems.append(Problem(
            str(path), "unknown survey shape",
            "a response column (one row per answer) or weighted_yes and weighted_n (counts)",
            "both" if is_responses else "neither", line=1))
        return empty_waves(), problems
    waves = _from_responses(table, problems) if is_responses else _from_counts(table, problems)
    waves = waves.astype({"partnership": str, "question": str, "wave": str, "month": str,
                          "respondents": "int64", "weighted_yes": float, "weighted_n": float,
                          "n_eff": float})
    problems.sort(key=lambda p: p.line or 0)
    return (waves.sort_values(["partnership", "question", "month"], kind="stable")
            .reset_index(drop=True)[list(WAVE_COLUMNS)], problems)


# --------------------------------------------------------------------------- the source kind


def store_waves(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str) -> None:
    """Upsert waves (registered as ``run_local``): a partnership, question and wave held
    already is replaced."""
    con.execute("DELETE FROM survey USING run_local r WHERE survey.partnership = "
                "r.partnership AND survey.question = r.question AND survey.wave = r.wave")
    con.execute("INSERT INTO survey SELECT partnership, question, wave, month, "
                "respondents, weighted_yes, weighted_n, n_eff FROM run_local")


def survey_series(ctx: SeriesContext) -> list[Problem]:
    """Survey measures at each wave's month: numerator p * n_eff, denominator n_eff.

    Made again on every rebuild: the ``survey`` table is small.
    """
    con = ctx.con
    ids = [str(r[0]) for r in con.execute("SELECT DISTINCT partnership FROM survey").fetchall()]
    problems = unknown_partnership_problems(ids, ctx.areas, "survey waves")
    measures = [mid for mid, m in ctx.measures.items() if m.source == "survey"]
    if measures:
        con.execute(f"DELETE FROM series WHERE measure IN {sql_list(measures)}", measures)
    pairs = [(mid, m.question) for mid, m in ctx.measures.items()
             if m.source == "survey" and m.question]
    if not pairs:
        return problems
    con.register("survey_measures", pd.DataFrame(pairs, columns=["measure", "question"],
                                                 dtype=object))
    con.execute("INSERT INTO series SELECT s.partnership, m.measure, s.month, "
                "s.weighted_yes / s.weighted_n * s.n_eff, s.n_eff FROM survey s "
                "JOIN survey_measures m USING (question) WHERE s.weighted_n > 0 "
                "ORDER BY 1, 2, 3")
    con.unregister("survey_measures")
    return problems


def _read(path: Path, ctx: ReadContext) -> tuple[pd.DataFrame, list[Problem]]:
    return read_survey(path)


KIND = SourceKind(kind=KIND_SURVEY, prefixes=("survey",), table="survey", read=_read,
                  store=store_waves, series=survey_series)
