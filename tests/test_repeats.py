"""Repeat victimisation (methods 8): the worked examples exactly, edges, and invariants."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdrp_lib.stats.repeats import (
    RepeatRate,
    crime_repeat_rate,
    marac_repeat_rate,
    person_repeat_rate,
    rate_from_counts,
    repeat_flags,
    shift_months,
)

P_START, P_END = date(2023, 4, 1), date(2024, 3, 31)
# Methods 8a: c1..c5 in Apr 2023-Mar 2024, plus the two earlier crimes the table cites.
EXAMPLE = [  # (ref, victim, date)
    ("c0a", "A", date(2022, 11, 1)),
    ("c0b", "B", date(2022, 3, 1)),
    ("c1", "A", date(2023, 5, 10)),
    ("c2", "B", date(2023, 6, 1)),
    ("c3", "A", date(2023, 9, 15)),
    ("c4", "C", date(2024, 1, 20)),
    ("c5", "B", date(2024, 2, 1)),
]


def _columns(events: list[tuple[str, str, date]]) -> tuple[list[str], list[date], list[str]]:
    return [e[1] for e in events], [e[2] for e in events], [e[0] for e in events]


def test_worked_example_flags() -> None:
    victims, dates, refs = _columns(EXAMPLE)
    flags = dict(zip(refs, repeat_flags(victims, dates, refs), strict=True))
    assert [flags[c] for c in ("c1", "c2", "c3", "c4", "c5")] == [True, False, True, False, True]


def test_worked_example_crime_based_rate_is_3_of_5() -> None:
    result = crime_repeat_rate(*_columns(EXAMPLE), P_START, P_END)
    assert (result.numerator, result.denominator) == (3, 5)
    assert result.rate == Fraction(3, 5)


def test_worked_example_person_based_rate_is_2_of_3() -> None:
    result = person_repeat_rate(*_columns(EXAMPLE), P_START, P_END)
    assert (result.numerator, result.denominator, result.rate) == (2, 3, Fraction(2, 3))


def test_marac_worked_example_36_of_120() -> None:
    assert rate_from_counts(36, 120).rate == Fraction(3, 10)


def test_marac_rate_from_referrals_36_of_120() -> None:
    """36 victims referred twice within 12 months and 48 referred once: 36 repeats of 120."""
    victims: list[str] = []
    dates: list[date] = []
    for i in range(36):
        victims += [f"R{i}", f"R{i}"]
        dates += [date(2023, 4, 10), date(2023, 10, 10)]
    for i in range(48):
        victims.append(f"S{i}")
        dates.append(date(2023, 6, 1))
    refs = [f"m{i:03d}" for i in range(len(victims))]
    result = marac_repeat_rate(victims, dates, refs, P_START, P_END)
    assert (result.numerator, result.denominator, result.rate) == (36, 120, Fraction(3, 10))


def test_marac_referral_after_more_than_12_months_is_new() -> None:
    flags = repeat_flags(["A", "A"], [date(2022, 1, 10), date(2023, 1, 11)], ["m1", "m2"])
    assert flags == [False, False]


@pytest.mark.parametrize(("earlier", "expected"), [
    (date(2022, 6, 1), True),    # exactly 12 calendar months before 2023-06-01: on or after
    (date(2022, 5, 31), False),  # one day more
])
def test_lookback_boundary_is_inclusive(earlier: date, expected: bool) -> None:
    flags = repeat_flags(["B", "B"], [earlier, date(2023, 6, 1)], ["x1", "x2"])
    assert flags == [False, expected]


def test_lookback_from_29_february_clamps_to_28_february() -> None:
    days = np.array(["2024-02-29", "2023-05-31"], dtype="datetime64[D]")
    assert shift_months(days, -12).astype(str).tolist() == ["2023-02-28", "2022-05-31"]
    assert shift_months(days[1:], -1).astype(str).tolist() == ["2023-04-30"]
    assert repeat_flags(["A", "A"], [date(2023, 2, 28), date(2024, 2, 29)], ["1", "2"]) == [
        False, True]


def test_same_day_events_are_ordered_by_reference() -> None:
    flags = repeat_flags(["A", "A"], [date(2024, 1, 5)] * 2, ["REF-2", "REF-1"])
    assert flags == [True, False]


def test_same_day_same_reference_is_neither_earlier() -> None:
    assert repeat_flags(["A", "A"], [date(2024, 1, 5)] * 2, ["R", "R"]) == [False, False]
    # ...but an earlier event still makes both repeats.
    assert repeat_flags(["A", "A", "A"], [date(2024, 1, 1)] + [date(2024, 1, 5)] * 2,
                        ["Q", "R", "R"]) == [False, True, True]


def test_other_victims_do_not_count() -> None:
    assert repeat_flags(["A", "B"], [date(2024, 1, 1), date(2024, 1, 2)], ["1", "2"]) == [
        False, False]


def test_dates_may_be_strings_or_numpy() -> None:
    as_text = repeat_flags(["A", "A"], ["2024-01-01", "2024-03-01"], ["1", "2"])
    as_numpy = repeat_flags(["A", "A"], np.array(["2024-01-01", "2024-03-01"],
                                                 dtype="datetime64[D]"), ["1", "2"])
    assert as_text == as_numpy == [False, True]


def test_lookback_reaching_before_the_data_is_not_assessable() -> None:
    victims, dates, refs = _columns(EXAMPLE)
    short = crime_repeat_rate(victims, dates, refs, P_START, P_END,
                              history_start=date(2022, 5, 1))
    assert short.assessable is False and short.rate is None
    enough = crime_repeat_rate(victims, dates, refs, P_START, P_END,
                               history_start=date(2022, 4, 1))
    assert enough.rate == Fraction(3, 5)


def test_no_events_gives_no_rate() -> None:
    assert repeat_flags([], [], []) == []
    assert crime_repeat_rate([], [], [], P_START, P_END).rate is None
    assert person_repeat_rate([], [], [], P_START, P_END).rate is None


@pytest.mark.parametrize(("call", "message"), [
    (lambda: repeat_flags(["A"], [], ["1"]), "same length"),
    (lambda: repeat_flags(["A"], [date(2024, 1, 1)], ["1"], lookback_months=0), "at least 1"),
    (lambda: repeat_flags(["A"], [None], ["1"]), "missing"),
    (lambda: repeat_flags(["A"], ["not a date"], ["1"]), "dates must be dates"),
    (lambda: crime_repeat_rate(["A"], [date(2024, 1, 1)], ["1"], P_END, P_START), "before"),
    (lambda: RepeatRate(3, 2), "numerator <= denominator"),
    (lambda: rate_from_counts(-1, 5), "numerator <= denominator"),
])
def test_bad_input_is_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def _reference_flags(victims: list[str], days: list[date], refs: list[str],
                     lookback: int) -> list[bool]:
    """The definition, written the slow obvious way (quadratic), to check the fast one."""
    out = []
    for v, d, r in zip(victims, days, refs, strict=True):
        month = d.month - 1 - lookback
        year = d.year + month // 12
        month = month % 12 + 1
        last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        bound = date(year, month, min(d.day, last_day))
        out.append(any(v2 == v and (d2, r2) < (d, r) and d2 >= bound
                       for v2, d2, r2 in zip(victims, days, refs, strict=True)))
    return out


events = st.lists(
    st.tuples(st.sampled_from("ABCD"),
              st.one_of(  # a few fixed days make same-day ties and exact boundaries common
                  st.sampled_from([date(2021, 2, 28), date(2021, 3, 31), date(2022, 2, 28),
                                   date(2020, 2, 29), date(2021, 3, 1)]),
                  st.dates(min_value=date(2020, 1, 1), max_value=date(2022, 12, 31))),
              st.text("xyz", min_size=1, max_size=2)),
    max_size=30)


@settings(max_examples=150, deadline=None)
@given(events, st.integers(min_value=1, max_value=24))
def test_flags_match_the_definition(rows: list[tuple[str, date, str]], lookback: int) -> None:
    victims, days, refs = ([r[i] for r in rows] for i in range(3))
    assert repeat_flags(victims, days, refs, lookback) == _reference_flags(
        victims, days, refs, lookback)


@settings(max_examples=100, deadline=None)
@given(events, st.randoms(use_true_random=False))
def test_input_order_does_not_change_flags(rows: list[tuple[str, date, str]],
                                           rnd: random.Random) -> None:
    shuffled = list(enumerate(rows))
    rnd.shuffle(shuffled)
    flags = repeat_flags(*([r[i] for r in rows] for i in range(3)))
    again = repeat_flags(*([r[i] for _, r in shuffled] for i in range(3)))
    assert [flags[k] for k, _ in shuffled] == again


@settings(max_examples=100, deadline=None)
@given(events)
def test_first_event_of_a_victim_is_never_a_repeat(rows: list[tuple[str, date, str]]) -> None:
    victims, days, refs = ([r[i] for r in rows] for i in range(3))
    flags = repeat_flags(victims, days, refs)
    for v in set(victims):
        first = min((days[i], refs[i]) for i in range(len(rows)) if victims[i] == v)
        for i in range(len(rows)):
            if victims[i] == v and (days[i], refs[i]) == first:
                assert flags[i] is False


@settings(max_examples=60, deadline=None)
@given(events)
def test_a_longer_lookback_never_removes_a_repeat(rows: list[tuple[str, date, str]]) -> None:
    columns = [[r[i] for r in rows] for i in range(3)]
    short, long = repeat_flags(*columns, lookback_months=6), repeat_flags(*columns)
    assert all(b for a, b in zip(short, long, strict=True) if a)
