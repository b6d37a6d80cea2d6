"""Reporting periods (issue 11): every form parses to its first and last month and its kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdrp_lib.periods import (
    PERIOD_FINANCIAL_YEAR,
    PERIOD_MONTH,
    PERIOD_QUARTER,
    Month,
    calendar_quarter,
    financial_quarter,
    parse_period,
)

months = st.builds(Month, st.integers(1900, 2098), st.integers(1, 12))


@given(months)
def test_a_month_round_trips(month: Month) -> None:
    period = parse_period(str(month))
    assert (period.first, period.last, period.kind) == (month, month, PERIOD_MONTH)
    assert str(period.last) == str(month)


@given(months)
def test_a_calendar_quarter_contains_its_months_and_ends_on_a_quarter_end(month: Month) -> None:
    period = parse_period(calendar_quarter(month))
    assert period.kind == PERIOD_QUARTER and period.months == 3
    assert period.first <= month <= period.last
    assert period.last.month in (3, 6, 9, 12)
    assert calendar_quarter(period.first) == calendar_quarter(period.last)


@given(months)
def test_a_financial_quarter_contains_its_months(month: Month) -> None:
    name = financial_quarter(month)
    period = parse_period(name)
    assert period.kind == PERIOD_QUARTER and period.months == 3
    assert period.first <= month <= period.last
    # Financial quarters are calendar quarters by another name: Q1 is April to June.
    assert parse_period(calendar_quarter(month)) == period
    assert financial_quarter(period.last) == name
    assert name.endswith(f"Q{(month.month - 4) % 12 // 3 + 1}")


@given(st.integers(1900, 2098), st.integers(1, 4))
def test_the_last_month_of_every_quarter(year: int, quarter: int) -> None:
    assert parse_period(f"{year}Q{quarter}").last == Month(year, quarter * 3)
    fy = f"{year}/{(year + 1) % 100:02d}"
    expected = Month(year, 6) + (quarter - 1) * 3
    assert parse_period(f"{fy} Q{quarter}").last == expected
    assert parse_period(f"{fy} Q4").last == Month(year + 1, 3)


@given(months)
def test_a_financial_year_runs_april_to_march(month: Month) -> None:
    period = parse_period(month.financial_year)
    assert period.kind == PERIOD_FINANCIAL_YEAR and period.months == 12
    assert period.first.month == 4 and period.last.month == 3
    assert period.first <= month <= period.last


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2009Q3", "2009-07", "2009-09"), ("2009/10 Q1", "2009-04", "2009-06"),
    ("2009/10 Q4", "2010-01", "2010-03"), ("2009/10", "2009-04", "2010-03"),
    (" 2009-12 ", "2009-12", "2009-12"), ("1999/00 Q4", "2000-01", "2000-03"),
])
def test_the_contract_examples(text: str, first: str, last: str) -> None:
    period = parse_period(text)
    assert (str(period.first), str(period.last)) == (first, last)


@pytest.mark.parametrize("text", ["2009Q5", "2009Q0", "2009-13", "2009/11", "2009/10Q1",
                                  "2009/10 Q5", "Q3 2009", "2009", "", "2009-1"])
def test_anything_else_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match="period must be a month 2009-07"):
        parse_period(text)
