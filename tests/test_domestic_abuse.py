"""The DA extract reader (every validation rule fires) and its monthly series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdrp_lib.errors import Problem
from cdrp_lib.sources.domestic_abuse import monthly_series, read_domestic_abuse

HEADER = "event_id,date,kind,victim_id,lsoa_code,partnership,marac_referral"
GOOD_ROW = "E1,2024-03-05,crime,V001,E01012345,,N"


def _write(tmp_path: Path, text: str | bytes, name: str = "domestic_abuse.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _read(tmp_path: Path, text: str) -> tuple[pd.DataFrame, list[Problem]]:
    return read_domestic_abuse(_write(tmp_path, text))


def test_reads_a_valid_extract_with_types(tmp_path: Path) -> None:
    events, problems = _read(tmp_path, "\n".join([
        HEADER,
        GOOD_ROW,
        "E2,06/03/2024,Incident,V002,,Calder Vale,yes",
        "E3,2024-03-07T22:15:00,CRIME,V001,E01012345,,",
    ]) + "\n")
    assert problems == []
    assert events["event_id"].tolist() == ["E1", "E2", "E3"]
    assert str(events["date"].dtype) == "datetime64[ns]"
    assert events["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-05", "2024-03-06", "2024-03-07"]
    assert events["kind"].tolist() == ["crime", "incident", "crime"]
    assert events["lsoa_code"].tolist() == ["E01012345", "", "E01012345"]
    assert events["partnership"].tolist() == ["", "calder-vale", ""]  # names become ids
    assert events["marac_referral"].tolist() == [False, True, False]  # empty flag means no
    assert events["marac_referral"].dtype == bool


def test_crlf_bom_and_header_spelling_are_accepted(tmp_path: Path) -> None:
    text = "\ufeffEvent ID,Date,Kind,Victim ID,LSOA code,Partnership,MARAC referral\r\n"
    events, problems = _read(tmp_path, text + GOOD_ROW + "\r\n")
    assert problems == [] and len(events) == 1


def test_only_one_area_column_is_enough(tmp_path: Path) -> None:
    events, problems = _read(tmp_path, "event_id,date,kind,victim_id,partnership,marac_referral\n"
                             "E1,2024-03-05,crime,V1,dunmore,N\n")
    assert problems == [] and events["lsoa_code"].tolist() == [""]


@pytest.mark.parametrize(("row", "column", "rule"), [
    (",2024-03-05,crime,V1,E01012345,,N", "event_id", "missing value"),
    ("E9,2024-02-30,crime,V1,E01012345,,N", "date", "invalid date"),
    ("E9,yesterday,crime,V1,E01012345,,N", "date", "invalid date"),
    ("E9,2024-03-05,fraud,V1,E01012345,,N", "kind", "invalid kind"),
    ("E9,2024-03-05,crime,,E01012345,,N", "victim_id", "missing value"),
    ("E9,2024-03-05,crime,Jane Smith,E01012345,,N", "victim_id", "victim id not pseudonymised"),
    ("E9,2024-03-05,crime,V1,E0101234,,N", "lsoa_code", "invalid LSOA code"),
    ("E9,2024-03-05,crime,V1,,---,N", "partnership", "invalid partnership"),
    ("E9,2024-03-05,crime,V1,,,N", "lsoa_code", "no area"),
    ("E9,2024-03-05,crime,V1,E01012345,,maybe", "marac_referral", "invalid flag"),
    ("E1,2024-03-06,crime,V1,E01012345,,N", "event_id", "duplicate event_id"),
])
def test_each_row_rule_fires_and_drops_only_that_row(tmp_path: Path, row: str, column: str,
                                                     rule: str) -> None:
    events, problems = _read(tmp_path, f"{HEADER}\n{GOOD_ROW}\n{row}\n")
    assert [(p.line, p.column, p.rule) for p in problems] == [(3, column, rule)]
    assert str(tmp_path / "domestic_abuse.csv") == problems[0].file
    assert problems[0].expected and problems[0].found
    assert events["event_id"].tolist() == ["E1"]


def test_duplicate_names_the_first_line(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW}\n")
    assert "first on line 2" in problems[0].found


def test_every_problem_of_a_row_is_reported_at_once(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, f"{HEADER}\nE9,2024-13-01,fraud,Jane Smith,E0,,maybe\n")
    assert {p.column for p in problems} == {"date", "kind", "victim_id", "lsoa_code",
                                            "marac_referral"}


@pytest.mark.parametrize(("text", "rule"), [
    ("", "empty file"),
    (HEADER + "\n", "no rows"),
    ("event_id,date,kind,lsoa_code,marac_referral\nE1,2024-03-05,crime,E01012345,N\n",
     "missing column"),
    ("event_id,date,kind,victim_id,marac_referral\nE1,2024-03-05,crime,V1,N\n",
     "missing column"),
    (f"{HEADER},event_id\n{GOOD_ROW},x\n", "duplicate column"),
])
def test_file_rules_fire(tmp_path: Path, text: str, rule: str) -> None:
    events, problems = _read(tmp_path, text)
    assert rule in [p.rule for p in problems]
    if rule != "duplicate column":
        assert events.empty


def test_wrong_number_of_cells(tmp_path: Path) -> None:
    events, problems = _read(tmp_path, f"{HEADER}\n{GOOD_ROW}\nE2,2024-03-05,crime\n")
    assert [(p.line, p.rule) for p in problems] == [(3, "wrong number of cells")]
    assert len(events) == 1


def test_spare_empty_cells_at_the_end_are_fine(tmp_path: Path) -> None:
    events, problems = _read(tmp_path, f"{HEADER},\n{GOOD_ROW},,\n")
    assert problems == [] and len(events) == 1


def test_unknown_column_is_a_warning(tmp_path: Path) -> None:
    events, problems = _read(tmp_path, f"{HEADER},notes\n{GOOD_ROW},free text\n")
    assert [(p.rule, p.severity, p.column) for p in problems] == [
        ("unknown column", "warning", "notes")]
    assert len(events) == 1


def test_bytes_that_are_not_utf8_are_reported_per_line(tmp_path: Path) -> None:
    data = (f"{HEADER}\n{GOOD_ROW}\n".encode() + b"E2,2024-03-05,crime,V\xe9,E01012345,,N\n"
            + b"E3,2024-03-05,crime,V3,E01012345,,N\n")
    events, problems = read_domestic_abuse(_write(tmp_path, data))
    assert [(p.line, p.rule) for p in problems] == [(3, "not UTF-8")]
    assert "0xe9" in problems[0].found
    assert events["event_id"].tolist() == ["E1", "E3"]


def test_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    text = f'{HEADER},notes\n{GOOD_ROW},"two\nlines"\nE2,2024-03-05,fraud,V2,E01012345,,N,\n'
    _, problems = _read(tmp_path, text)
    assert [(p.line, p.rule) for p in problems if p.severity == "error"] == [(4, "invalid kind")]


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_domestic_abuse(tmp_path / "absent.csv")


# --- monthly series -------------------------------------------------------------------------

def _events(rows: list[tuple[str, str, str, str, str, bool]]) -> pd.DataFrame:
    """(event_id, date, kind, victim_id, partnership, marac_referral) -> an events frame."""
    return pd.DataFrame({
        "event_id": [r[0] for r in rows], "date": pd.to_datetime([r[1] for r in rows]),
        "kind": [r[2] for r in rows], "victim_id": [r[3] for r in rows], "lsoa_code": "",
        "partnership": [r[4] for r in rows], "marac_referral": [r[5] for r in rows]})


# The methods 8a example, all in one partnership, with the extract starting 2022-03.
EXAMPLE = _events([
    ("c0b", "2022-03-01", "crime", "B", "p", False),
    ("c0a", "2022-11-01", "crime", "A", "p", True),
    ("c1", "2023-05-10", "crime", "A", "p", True),
    ("c2", "2023-06-01", "crime", "B", "p", False),
    ("c3", "2023-09-15", "crime", "A", "p", False),
    ("c4", "2024-01-20", "crime", "C", "p", False),
    ("c5", "2024-02-01", "crime", "B", "p", False),
    ("i1", "2024-02-03", "incident", "C", "p", False),
])


def _value(series: pd.DataFrame, measure: str, month: str) -> tuple[float, float]:
    row = series[(series["measure"] == measure) & (series["month"] == month)]
    assert len(row) == 1
    return float(row["value"].iloc[0]), float(row["denominator"].iloc[0])


def test_series_covers_every_month_and_measure() -> None:
    series = monthly_series(EXAMPLE)
    assert list(series.columns) == ["partnership", "measure", "month", "value", "denominator"]
    months = sorted(series["month"].unique())
    assert months[0] == "2022-03" and months[-1] == "2024-02" and len(months) == 24
    assert series.groupby("measure").size().to_dict() == {
        m: 24 for m in ("da-crimes", "da-incidents", "da-repeat-rate", "marac-referrals",
                        "marac-repeat-rate")}


def test_counts_are_zero_where_nothing_happened() -> None:
    series = monthly_series(EXAMPLE)
    assert _value(series, "da-crimes", "2023-07")[0] == 0
    assert np.isnan(_value(series, "da-crimes", "2023-07")[1])
    assert _value(series, "da-crimes", "2024-02")[0] == 1
    assert _value(series, "da-incidents", "2024-02")[0] == 1
    assert _value(series, "marac-referrals", "2023-05")[0] == 1


def test_repeat_rate_follows_the_worked_example() -> None:
    series = monthly_series(EXAMPLE)
    by_month = {m: _value(series, "da-repeat-rate", m) for m in
                ("2023-05", "2023-06", "2023-09", "2024-01", "2024-02", "2023-07")}
    assert by_month == {"2023-05": (1, 1), "2023-06": (0, 1), "2023-09": (1, 1),
                        "2024-01": (0, 1), "2024-02": (1, 1), "2023-07": (0, 0)}
    rate = series[(series["measure"] == "da-repeat-rate")
                  & series["month"].between("2023-04", "2024-03")]
    assert (rate["value"].sum(), rate["denominator"].sum()) == (3, 5)


def test_rates_are_not_assessable_in_the_first_12_months() -> None:
    series = monthly_series(EXAMPLE)
    early = series[series["month"] < "2023-03"]
    for measure in ("da-repeat-rate", "marac-repeat-rate"):
        rows = early[early["measure"] == measure]
        assert len(rows) == 12 and rows["value"].isna().all() and rows["denominator"].isna().all()
    assert not early[early["measure"] == "da-crimes"]["value"].isna().any()
    assert _value(series, "da-repeat-rate", "2023-03") == (0, 0)


def test_marac_repeat_rate_counts_re_referrals_within_12_months() -> None:
    series = monthly_series(EXAMPLE)
    assert _value(series, "marac-repeat-rate", "2023-05") == (1, 1)  # A: 2022-11 then 2023-05


def test_an_event_in_two_partnerships_counts_in_both_and_is_not_its_own_repeat() -> None:
    twice = pd.concat([EXAMPLE, EXAMPLE.assign(partnership="q")], ignore_index=True)
    series = monthly_series(twice)
    for p in ("p", "q"):
        mine = series[series["partnership"] == p]
        assert _value(mine, "da-repeat-rate", "2023-06") == (0, 1)
        assert _value(mine, "da-repeat-rate", "2023-05") == (1, 1)


def test_events_without_a_partnership_still_serve_as_history() -> None:
    events = EXAMPLE.copy()
    events.loc[events["event_id"] == "c1", "partnership"] = ""
    series = monthly_series(events)
    assert _value(series, "da-crimes", "2023-05")[0] == 0  # counted to no partnership
    assert _value(series, "da-repeat-rate", "2023-09") == (1, 1)  # c3 repeats c1
    assert set(series["partnership"]) == {"p"}


def test_series_does_not_mutate_its_input() -> None:
    before = EXAMPLE.copy(deep=True)
    monthly_series(EXAMPLE)
    pd.testing.assert_frame_equal(EXAMPLE, before)


def test_series_of_no_events_is_empty_and_missing_columns_are_refused() -> None:
    assert monthly_series(EXAMPLE.iloc[0:0]).empty
    with pytest.raises(ValueError, match="victim_id"):
        monthly_series(EXAMPLE.drop(columns="victim_id"))


def test_reader_output_feeds_the_series(tmp_path: Path) -> None:
    events, _ = _read(tmp_path, f"{HEADER}\n{GOOD_ROW}\nE2,2024-04-02,crime,V001,,ashcombe,N\n")
    events = events.assign(partnership="ashcombe")
    series = monthly_series(events)
    value, denominator = _value(series, "da-crimes", "2024-04")
    assert value == 1 and np.isnan(denominator)


def test_an_unclosed_quote_rejects_its_line_and_every_other_row_is_read(tmp_path: Path) -> None:
    rows = "\n".join(f"E{i},2024-03-05,crime,V{i},E01012345,,N" for i in range(2, 6000))
    events, problems = _read(tmp_path, f'{HEADER}\n{GOOD_ROW}\nE1b,"2024-03-05,crime\n{rows}\n')
    assert [(p.line, p.rule) for p in problems] == [(3, "quote never closed")]
    assert problems[0].found.startswith("a quote still open 20 lines later: 'E1b,")
    assert events["event_id"].tolist() == ["E1", *(f"E{i}" for i in range(2, 6000))]


def test_a_quote_left_open_at_the_end_of_the_file_rejects_only_its_line(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, f'{HEADER}\n{GOOD_ROW}\nE9,"2024-03-05,crime,V9,,,N\n')
    assert [(p.line, p.rule, p.found) for p in problems] == [
        (3, "quote never closed", "a quote opened and never closed: "
         "'E9,\"2024-03-05,crime,V9,,,N'")]
