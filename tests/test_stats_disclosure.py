"""Disclosure control for small geographies (methods.md §9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdrp_lib.stats.disclosure import (
    SECONDARY_MARK,
    disclosed_months,
    hidden_totals,
    primary_mark,
    requires_suppression,
    show_count,
    show_percentage,
    suppress_table,
    window_months,
)
from cdrp_lib.stats.enums import Suppression


def test_ward_worked_example() -> None:
    t = suppress_table({"A": 3, "B": 12, "C": 7})
    assert t.shown() == {"A": "<5", "B": "12", "C": "[c]", "Total": "22"}
    assert [c.status for c in t.cells] == [Suppression.PRIMARY, Suppression.SHOWN,
                                           Suppression.SECONDARY]


def test_hidden_cells_that_sum_below_the_threshold_get_company() -> None:
    # A + B = 22 - 20 = 2 would reveal both are 1: hide C too
    assert suppress_table({"A": 1, "B": 1, "C": 20}).shown() == {
        "A": "<5", "B": "<5", "C": "[c]", "Total": "22"}


def test_total_is_hidden_when_no_other_cell_can_be() -> None:
    assert suppress_table({"A": 3}).shown() == {"A": "<5", "Total": "[c]"}
    assert suppress_table([("A", 3), ("B", 0)]).shown() == {"A": "<5", "B": "0", "Total": "[c]"}


def test_nothing_to_hide() -> None:
    t = suppress_table({"A": 30, "B": 0, "C": 1234})
    assert t.shown() == {"A": "30", "B": "0", "C": "1,234", "Total": "1,264"}
    assert suppress_table({}).shown() == {"Total": "0"}


def test_threshold_is_a_parameter() -> None:
    assert suppress_table({"A": 7, "B": 12, "C": 30}, threshold=10).shown() == {
        "A": "<10", "B": "[c]", "C": "30", "Total": "49"}
    assert primary_mark(10) == "<10"


def test_single_counts() -> None:
    assert [show_count(n) for n in (0, 1, 4, 5, 1650)] == ["0", "<5", "<5", "5", "1,650"]
    with pytest.raises(ValueError, match="negative"):
        show_count(-1)
    with pytest.raises(ValueError, match="B"):
        suppress_table({"A": 1, "B": -2})


def test_percentages_need_ten_in_the_denominator() -> None:
    assert show_percentage(3, 9) == SECONDARY_MARK
    assert show_percentage(0, 0) == SECONDARY_MARK
    assert show_percentage(3, 10) == "30.0%"
    assert show_percentage(3, 12, min_denominator=20) == SECONDARY_MARK
    with pytest.raises(ValueError):
        show_percentage(-1, 10)


def test_which_figures_need_control() -> None:
    assert requires_suppression("domestic_abuse", below_csp=False)
    assert requires_suppression("acquisitive_crime", below_csp=True)
    assert not requires_suppression("acquisitive_crime", below_csp=False)


# --------------------------------------------------------------------------- across months


def test_two_rolling_totals_give_back_a_hidden_month_beside_the_same_month_last_year() -> None:
    # methods §9: publishing R[t] and R[t-1] reveals c[t] - c[t-12]
    t = 23
    totals = [window_months(t, 12), window_months(t - 1, 12)]
    assert disclosed_months({t}, {t - 12}, totals, 24) == {t}
    assert disclosed_months({t}, set(), totals, 24) == frozenset()  # c[t-12] hidden too


def test_one_rolling_total_gives_back_its_only_hidden_month() -> None:
    n, hidden = 30, {15}
    shown = set(range(n)) - hidden
    totals = {f"R{e}": window_months(e, 12) for e in range(11, n)}
    assert disclosed_months(hidden, shown, totals.values(), n) == {15}
    to_hide = hidden_totals(hidden, totals)
    assert to_hide == {f"R{e}" for e in range(15, 27)}  # that month and the eleven after it
    kept = [m for name, m in totals.items() if name not in to_hide]
    assert disclosed_months(hidden, shown, kept, n) == frozenset()


def test_totals_without_any_monthly_value_disclose_nothing() -> None:
    # consecutive 12-month sums alone leave 11 degrees of freedom: no month is pinned down
    n = 40
    totals = [window_months(e, 12) for e in range(11, n)]
    assert disclosed_months(set(range(n)), set(), totals, n) == frozenset()


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=12, max_value=72).flatmap(
    lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1, max_size=n))))
def test_hiding_the_totals_over_hidden_months_leaves_every_hidden_month_undisclosed(
        case: tuple[int, set[int]]) -> None:
    n, hidden = case
    shown = set(range(n)) - hidden
    totals = {e: window_months(e, 12) for e in range(11, n)}
    # every full window holding exactly one hidden month gives it back
    lone = {next(iter(hidden.intersection(w))) for w in totals.values()
            if len(hidden.intersection(w)) == 1}
    assert lone <= disclosed_months(hidden, shown, totals.values(), n)
    kept = [w for e, w in totals.items() if e not in hidden_totals(hidden, totals)]
    assert disclosed_months(hidden, shown, kept, n) == frozenset()
