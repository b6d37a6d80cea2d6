"""series*.csv, the partner agencies' figures (issue 11): every rule fires on its own line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdrp_lib.errors import PROBLEMS_PER_RULE, Problem
from cdrp_lib.params import Measure
from cdrp_lib.sources import partner_series as ps


def measure(mid: str, source: str, **extra: object) -> Measure:
    return Measure.model_validate({"id": mid, "name": mid.title(), "theme": "summary",
                                   "source": source, "polarity": "lower_is_better", **extra})


MEASURES = {m.id: m for m in (
    measure("primary-fires", "fire"),
    measure("ksi", "road-safety", unit="mean_12_months"),
    measure("fte", "youth-justice", frequency="quarterly"),
    measure("yj-reoffending", "youth-justice", kind="proportion", frequency="quarterly"),
    measure("fire-casualties", "fire", unit="per_100000"),
    measure("cohort-reoffending", "probation", unit="cohort_offences", frequency="annual"),
    measure("burglary", "police", categories=["burglary"]),
    measure("da-crimes", "domestic_abuse"),
    measure("feel-safe", "survey", kind="proportion", question="feel_safe"),
)}


def read(tmp_path: Path, text: str, name: str = "series-x.csv"
         ) -> tuple[pd.DataFrame, list[Problem]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return ps.read_partner_series(path, MEASURES)


def errors(problems: list[Problem]) -> list[tuple[str, int | None, str | None]]:
    return [(p.rule, p.line, p.column) for p in problems if p.severity == "error"]


GOOD = """\
partnership,measure,period,value,denominator,cohort
Kettering,primary-fires,2009-11,21,,
kettering,primary-fires,2009-12,19,,
kettering,fte,2009/10 Q2,14,,
kettering,fte,2009Q4,11,,
kettering,yj-reoffending,2009Q3,12,40,
kettering,cohort-reoffending,2009/10,290,,371
kettering,fire-casualties,2009-12,3,,
kettering,ksi,2009-12,"1,204",,
"""


def test_good_rows_are_kept_with_their_periods_and_lines(tmp_path: Path) -> None:
    rows, problems = read(tmp_path, GOOD)
    assert problems == []
    assert rows["line"].tolist() == list(range(2, 10))
    assert set(rows["area"]) == {"kettering"} and set(rows["area_kind"]) == {"partnership"}
    fte = rows[rows["measure"] == "fte"]
    assert fte[["first_month", "month"]].values.tolist() == [["2009-07", "2009-09"],
                                                            ["2009-10", "2009-12"]]
    cohort = rows[rows["measure"] == "cohort-reoffending"].iloc[0]
    assert (cohort["month"], cohort["value"], cohort["cohort"]) == ("2010-03", 290.0, 371.0)
    assert pd.isna(cohort["denominator"])
    pct = rows[rows["measure"] == "yj-reoffending"].iloc[0]
    assert (pct["value"], pct["denominator"], pct["month"]) == (12.0, 40.0, "2009-09")
    assert rows[rows["measure"] == "ksi"]["value"].tolist() == [1204.0]
    assert rows.set_index("measure")["source"].to_dict()["fte"] == "youth-justice"


@pytest.mark.parametrize(("line", "rule", "column", "expected"), [
    ("kettering,primary-firez,2009-12,1,,", ps.RULE_UNKNOWN_MEASURE, "measure",
     "nearest: primary-fires"),
    ("kettering,burglary,2009-12,1,,", ps.RULE_OWN_FILE, "measure", "street files"),
    ("kettering,da-crimes,2009-12,1,,", ps.RULE_OWN_FILE, "measure", "domestic_abuse*.csv"),
    ("kettering,feel-safe,2009-12,1,2,", ps.RULE_OWN_FILE, "measure", "survey*.csv"),
    ("kettering,primary-fires,Dec 2009,1,,", ps.RULE_PERIOD, "period", "2009/10 Q2"),
    ("kettering,primary-fires,2009Q4,1,,", ps.RULE_PERIOD_KIND, "period", "monthly measure"),
    ("kettering,fte,2009-12,1,,", ps.RULE_PERIOD_KIND, "period", "quarterly measure"),
    ("kettering,fte,2009/10,1,,", ps.RULE_PERIOD_KIND, "period", "quarterly measure"),
    ("kettering,cohort-reoffending,2009/10 Q1,1,,300", ps.RULE_PERIOD_KIND, "period",
     "annual measure"),
    ("kettering,primary-fires,2009-12,many,,", ps.RULE_VALUE, "value", "a number"),
    ("kettering,primary-fires,2009-12,,,", ps.RULE_VALUE, "value", "a number"),
    ("kettering,primary-fires,2009-12,-1,,", ps.RULE_NEGATIVE, "value", "at least 0"),
    ("kettering,yj-reoffending,2009Q3,12,,", ps.RULE_DENOMINATOR, "denominator",
     "numerator"),
    ("kettering,yj-reoffending,2009Q3,12,ten,", ps.RULE_DENOMINATOR, "denominator",
     "numerator"),
    ("kettering,yj-reoffending,2009Q3,12,10,", ps.RULE_DENOMINATOR_BELOW, "denominator",
     "at least the value"),
    ("kettering,fire-casualties,2009-12,3,0,", ps.RULE_DENOMINATOR, "denominator",
     "population"),
    ("kettering,cohort-reoffending,2009/10,290,,", ps.RULE_COHORT, "cohort", "cohort's size"),
    ("kettering,cohort-reoffending,2009/10,290,,37.5", ps.RULE_COHORT, "cohort",
     "whole number"),
    (",primary-fires,2009-12,1,,", ps.RULE_AREA, "partnership", "a partnership"),
])
def test_each_rule_rejects_its_row_on_its_line(tmp_path: Path, line: str, rule: str,
                                               column: str, expected: str) -> None:
    rows, problems = read(tmp_path, GOOD + line + "\n")
    assert errors(problems) == [(rule, 10, column)], [str(p) for p in problems]
    assert expected in problems[0].expected
    assert str(tmp_path / "series-x.csv") == problems[0].file
    assert len(rows) == 8 and 10 not in set(rows["line"])


def test_the_same_area_measure_and_period_twice_names_both_lines(tmp_path: Path) -> None:
    # 2009/10 Q2 and 2009Q3 are the same three months: the same period.
    rows, problems = read(tmp_path, GOOD + "kettering,fte,2009Q3,15,,\n"
                          "Kettering,primary-fires,2009-12,20,,\n")
    assert errors(problems) == [(ps.RULE_DUPLICATE, 10, "period"),
                                (ps.RULE_DUPLICATE, 11, "period")]
    assert "first on line 4" in problems[0].found and "'2009Q3'" in problems[0].found
    assert "first on line 3" in problems[1].found
    assert rows[rows["measure"] == "fte"]["value"].tolist() == [14.0, 11.0]


def test_a_denominator_of_a_count_is_a_warning_and_not_kept(tmp_path: Path) -> None:
    rows, problems = read(tmp_path, GOOD + "kettering,primary-fires,2009-10,4,100,\n")
    assert [(p.rule, p.line, p.severity) for p in problems] == [
        (ps.RULE_DENOMINATOR_IGNORED, 10, "warning")]
    assert pd.isna(rows[rows["line"] == 10]["denominator"]).all() and len(rows) == 9


@pytest.mark.parametrize(("header", "found"), [
    ("measure,period,value", "none of them"),
    ("partnership,district,measure,period,value", "partnership; district"),
    ("district,lsoa_code,measure,period,value", "district; lsoa_code"),
])
def test_none_or_more_than_one_area_column_rejects_the_file(tmp_path: Path, header: str,
                                                            found: str) -> None:
    cells = ",".join(["x"] * (header.count(",") - 2) + ["primary-fires", "2009-12", "1"])
    rows, problems = read(tmp_path, f"{header}\n{cells}\n")
    assert rows.empty and [(p.rule, p.line) for p in problems] == [(ps.RULE_AREA_COLUMNS, 1)]
    assert problems[0].found.startswith(found)


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    rows, problems = read(tmp_path, "partnership,measure,value\nk,primary-fires,1\n")
    assert rows.empty and [(p.rule, p.line) for p in problems] == [("missing column", 1)]
    assert "no period" in problems[0].found
    rows, problems = read(tmp_path, "district,measure,period,value,note\n"
                          "Kettering,primary-fires,2009-12,1,hello\n")
    assert [(p.rule, p.column, p.severity) for p in problems] == [
        ("unknown column", "note", "warning")]
    assert rows[["area_kind", "area"]].values.tolist() == [["district", "Kettering"]]


def test_lsoa_codes_are_checked(tmp_path: Path) -> None:
    rows, problems = read(tmp_path, "lsoa_code,measure,period,value\n"
                          "e01027393,primary-fires,2009-12,1\nE0102739,primary-fires,2009-12,1\n")
    assert errors(problems) == [(ps.RULE_LSOA, 3, "lsoa_code")]
    assert rows["area"].tolist() == ["E01027393"]


def test_a_file_of_bad_rows_holds_a_bounded_number_of_problems(tmp_path: Path) -> None:
    n = PROBLEMS_PER_RULE + 50
    body = "".join(f"kettering,primary-fires,2009-12,x{i},,\n" for i in range(n))
    rows, problems = read(tmp_path, GOOD.splitlines(keepends=True)[0] + body)
    assert rows.empty
    assert len(problems) == PROBLEMS_PER_RULE + 1
    assert sum(p.count for p in problems) == n
    (summary,) = [p for p in problems if p.count > 1]
    assert summary.count == 50 and f"the last at line {n + 1}" in summary.found


def test_every_row_is_kept_or_reported(tmp_path: Path) -> None:
    text = GOOD + "".join(f"kettering,fte,2010Q{q},x,,\n" for q in (1, 2)) + \
        "kettering,fte,2009Q3,3,,\nnobody,primary-fires,2010-01,1,,\n"
    rows, problems = read(tmp_path, text)
    rejected = {p.line for p in problems if p.severity == "error"}
    assert set(rows["line"]) | rejected == set(range(2, 14))
    assert not set(rows["line"]) & rejected
