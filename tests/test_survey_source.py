"""The survey reader: both shapes, wave names, Kish n_eff, and every validation rule."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdrp_lib.errors import Problem
from cdrp_lib.periods import Month
from cdrp_lib.sources.survey import parse_wave, quarter_wave, read_survey

RESP_HEADER = "respondent_id,date,wave,partnership,question,response,weight"
COUNT_HEADER = "wave,partnership,question,weighted_yes,weighted_n,respondents,deff"


def _read(tmp_path: Path, text: str) -> tuple[pd.DataFrame, list[Problem]]:
    path = tmp_path / "survey.csv"
    path.write_text(text, encoding="utf-8")
    return read_survey(path)


@pytest.mark.parametrize(("text", "name", "first", "last"), [
    ("2024Q3", "2024Q3", "2024-07", "2024-09"),
    ("2024 q3", "2024Q3", "2024-07", "2024-09"),
    ("Q3 2024", "2024Q3", "2024-07", "2024-09"),
    ("2024-Q1", "2024Q1", "2024-01", "2024-03"),
    ("2024/25 Q2", "2024Q3", "2024-07", "2024-09"),  # financial Q2 = July-September
    ("2024/25 Q4", "2025Q1", "2025-01", "2025-03"),
    ("2024-09", "2024-09", "2024-09", "2024-09"),    # a monthly wave
])
def test_wave_names(text: str, name: str, first: str, last: str) -> None:
    wave = parse_wave(text)
    assert (wave.name, str(wave.first), str(wave.last)) == (name, first, last)


@pytest.mark.parametrize("text", ["2024Q5", "2024/26 Q1", "2024-13", "autumn", ""])
def test_bad_wave_names_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="wave"):
        parse_wave(text)


def test_quarter_of_a_month() -> None:
    assert quarter_wave(Month(2025, 12)).name == "2025Q4"
    assert str(quarter_wave(Month(2025, 1)).last) == "2025-03"


def test_responses_become_weighted_waves_with_kish_n_eff(tmp_path: Path) -> None:
    waves, problems = _read(tmp_path, "\n".join([
        RESP_HEADER,
        "r1,2024-07-03,2024Q3,Calder Vale,feel_safe_night,Yes,2",
        "r2,2024-08-03,2024Q3,calder-vale,feel_safe_night,no,1",
        "r3,2024-09-03,2024Q3,calder-vale,feel_safe_night,1,1",
        "r1,2024-07-03,2024Q3,Calder Vale,deal_with_issues,Tend to agree,2",
        "r2,2024-08-03,2024Q3,calder-vale,deal_with_issues,Neither agree nor disagree,1",
    ]) + "\n")
    assert problems == []
    assert list(waves.columns) == ["partnership", "question", "wave", "month", "respondents",
                                   "weighted_yes", "weighted_n", "n_eff"]
    row = waves[waves["question"] == "feel_safe_night"].iloc[0]
    assert (row["partnership"], row["wave"], row["month"]) == ("calder-vale", "2024Q3", "2024-09")
    assert row["respondents"] == 3
    assert row["weighted_yes"] == pytest.approx(3.0)
    assert row["weighted_n"] == pytest.approx(4.0)
    assert row["n_eff"] == pytest.approx(16 / 6)  # (2+1+1)^2 / (4+1+1)
    agree = waves[waves["question"] == "deal_with_issues"].iloc[0]
    assert agree["weighted_yes"] == pytest.approx(2.0) and agree["weighted_n"] == pytest.approx(3)


def test_without_weights_n_eff_is_the_count_and_waves_come_from_dates(tmp_path: Path) -> None:
    waves, problems = _read(tmp_path, "date,partnership,question,response\n"
                            "2024-11-30,ashcombe,asb_problem,0\n"
                            "2024-10-01,ashcombe,asb_problem,1\n"
                            "2025-01-02,ashcombe,asb_problem,1\n")
    assert problems == []
    assert waves[["wave", "month", "respondents", "n_eff"]].values.tolist() == [
        ["2024Q4", "2024-12", 2, 2.0], ["2025Q1", "2025-03", 1, 1.0]]


def test_dont_know_is_left_out_with_one_warning(tmp_path: Path) -> None:
    waves, problems = _read(tmp_path, "wave,partnership,question,response\n"
                            "2024Q3,ashcombe,asb_problem,yes\n"
                            "2024Q3,ashcombe,asb_problem,Don\u2019t know\n"
                            "2024Q3,ashcombe,asb_problem,refused\n")
    assert [(p.rule, p.severity) for p in problems] == [("answers left out", "warning")]
    assert "2 don't know" in problems[0].found and "lines 3, 4" in problems[0].found
    assert waves["respondents"].tolist() == [1]


@pytest.mark.parametrize(("row", "column", "rule"), [
    ("r9,2024-07-03,2024Q7,ashcombe,asb_problem,yes,1", "wave", "invalid wave"),
    ("r9,2024-07-32,2024Q3,ashcombe,asb_problem,yes,1", "date", "invalid date"),
    ("r9,2024-10-01,2024Q3,ashcombe,asb_problem,yes,1", "date", "date outside its wave"),
    ("r9,2024-07-03,2024Q3,,asb_problem,yes,1", "partnership", "missing value"),
    ("r9,2024-07-03,2024Q3,ashcombe,Feel safe?,yes,1", "question", "invalid question id"),
    ("r9,2024-07-03,2024Q3,ashcombe,asb_problem,perhaps,1", "response", "invalid response"),
    ("r9,2024-07-03,2024Q3,ashcombe,asb_problem,,1", "response", "invalid response"),
    ("r9,2024-07-03,2024Q3,ashcombe,asb_problem,yes,0", "weight", "invalid weight"),
    ("r9,2024-07-03,2024Q3,ashcombe,asb_problem,yes,heavy", "weight", "invalid weight"),
    ("r1,2024-07-09,2024Q3,ashcombe,asb_problem,no,1", "respondent_id", "duplicate answer"),
])
def test_each_response_rule_fires(tmp_path: Path, row: str, column: str, rule: str) -> None:
    good = "r1,2024-07-03,2024Q3,ashcombe,asb_problem,yes,1"
    waves, problems = _read(tmp_path, f"{RESP_HEADER}\n{good}\n{row}\n")
    assert [(p.line, p.column, p.rule) for p in problems] == [(3, column, rule)]
    assert waves["respondents"].tolist() == [1]


def test_empty_wave_with_no_date_column_is_invalid(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "wave,partnership,question,response\n,ashcombe,asb_problem,1\n")
    assert [(p.column, p.rule) for p in problems] == [("wave", "invalid wave")]


def test_counts_give_n_eff_from_the_design_effect(tmp_path: Path) -> None:
    waves, problems = _read(tmp_path, f"{COUNT_HEADER}\n"
                            '2024/25 Q2,Greyhaven,feel_safe_night,"1,200.5",2000,2100,1.5\n'
                            "2024Q4,greyhaven,feel_safe_night,600,1000,1000,\n")
    assert problems == []
    assert waves["wave"].tolist() == ["2024Q3", "2024Q4"]
    assert waves["n_eff"].tolist() == pytest.approx([1400.0, 1000.0])
    assert waves["weighted_yes"].tolist() == pytest.approx([1200.5, 600.0])
    assert waves["respondents"].dtype == "int64"


@pytest.mark.parametrize(("row", "column", "rule"), [
    ("2024Q9,ashcombe,asb_problem,1,2,2,1", "wave", "invalid wave"),
    ("2024Q4,ashcombe,asb_problem,1,0,2,1", "weighted_n", "invalid weighted base"),
    ("2024Q4,ashcombe,asb_problem,3,2,2,1", "weighted_yes", "invalid weighted count"),
    ("2024Q4,ashcombe,asb_problem,-1,2,2,1", "weighted_yes", "invalid weighted count"),
    ("2024Q4,ashcombe,asb_problem,1,2,2.5,1", "respondents", "invalid respondents"),
    ("2024Q4,ashcombe,asb_problem,1,2,0,1", "respondents", "invalid respondents"),
    ("2024Q4,ashcombe,asb_problem,1,2,2,0", "deff", "invalid design effect"),
    ("2024Q4,,asb_problem,1,2,2,1", "partnership", "missing value"),
    ("2024Q3,ashcombe,asb_problem,1,2,2,1", "wave", "duplicate wave"),
])
def test_each_count_rule_fires(tmp_path: Path, row: str, column: str, rule: str) -> None:
    good = "2024Q3,ashcombe,asb_problem,10,20,20,1"
    waves, problems = _read(tmp_path, f"{COUNT_HEADER}\n{good}\n{row}\n")
    assert [(p.line, p.column, p.rule) for p in problems] == [(3, column, rule)]
    assert waves["wave"].tolist() == ["2024Q3"]


@pytest.mark.parametrize(("text", "rule"), [
    ("partnership,question,response\nashcombe,asb_problem,1\n", "missing column"),
    ("wave,partnership,question,weighted_yes\n2024Q3,ashcombe,asb_problem,1\n", "missing column"),
    ("wave,partnership,question,score\n2024Q3,ashcombe,asb_problem,1\n", "unknown survey shape"),
    ("wave,partnership,question,response,weighted_yes,weighted_n\n"
     "2024Q3,ashcombe,asb_problem,1,1,1\n", "unknown survey shape"),
    ("wave,question,response\n2024Q3,asb_problem,1\n", "missing column"),
    ("", "empty file"),
])
def test_file_rules_fire(tmp_path: Path, text: str, rule: str) -> None:
    waves, problems = _read(tmp_path, text)
    assert rule in [p.rule for p in problems if p.severity == "error"]
    assert waves.empty
