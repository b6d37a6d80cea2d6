"""Disclosure control for small geographies (methods.md §9)."""

from __future__ import annotations

import pytest

from cdrp_lib.stats.disclosure import (
    SECONDARY_MARK,
    primary_mark,
    requires_suppression,
    show_count,
    show_percentage,
    suppress_table,
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
