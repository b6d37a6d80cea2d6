"""Display rounding is ROUND_HALF_UP on exact values, as Excel rounds (methods.md §0)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdrp_lib.stats.rounding import (
    _fmt_decimal,
    fmt_number,
    fmt_pct,
    fmt_proportion,
    fmt_signed,
    fmt_signed_pct,
    round_half_up,
    round_half_up_int,
    to_fraction,
)


@pytest.mark.parametrize(
    ("x", "ndigits", "expected"),
    [
        (2.5, 0, "3"),  # Python's round() gives 2
        (-2.5, 0, "-3"),  # half away from zero, like Excel
        (0.125, 2, "0.13"),  # round(0.125, 2) == 0.12
        (2.675, 2, "2.68"),  # the float is read as the decimal it prints as
        (-4.40324449594438, 1, "-4.4"),
        (Fraction(1, 3), 3, "0.333"),
        (1234.5, -1, "1230"),
        (1235, -1, "1240"),
        (0, 2, "0.00"),
    ],
)
def test_round_half_up_matches_excel(x: float, ndigits: int, expected: str) -> None:
    assert str(round_half_up(x, ndigits)) == expected


def test_round_half_up_differs_from_builtin_round_on_halves() -> None:
    assert round(0.5) == 0 and round_half_up_int(0.5) == 1
    assert round(2.5) == 2 and round_half_up_int(2.5) == 3


def test_negative_that_rounds_to_zero_has_no_sign() -> None:
    assert round_half_up(-0.04, 1) == Decimal("0.0")
    assert fmt_signed_pct(-0.04) == "0.0%"
    assert fmt_signed(-0.4) == "0"


def test_thousands_separators_and_decimals() -> None:
    assert fmt_number(1650) == "1,650"
    assert fmt_number(-1234567.891, 2) == "-1,234,567.89"
    assert fmt_number(14.910714, 1) == "14.9"
    assert fmt_number(None) == "n/a"


def test_signed_percentages_have_one_decimal() -> None:
    assert fmt_signed_pct(-4.40324449594438) == "-4.4%"
    assert fmt_signed_pct(1.25) == "+1.3%"
    assert fmt_signed_pct(None) == "n/a"
    assert fmt_signed(158.92857, 1) == "+158.9"
    assert fmt_pct(60) == "60.0%"
    assert fmt_proportion(0.9999999999999999) == "100.0%"


def test_to_fraction_reads_floats_as_decimals() -> None:
    assert to_fraction(0.05) == Fraction(1, 20)
    assert to_fraction(Decimal("0.10")) == Fraction(1, 10)
    assert to_fraction("0.3") == Fraction(3, 10)
    assert math.ceil(to_fraction(0.05) * 1000) == 50  # Fraction(0.05)*1000 would ceil to 51


@pytest.mark.parametrize("bad", [math.nan, math.inf, True])
def test_to_fraction_rejects_non_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        to_fraction(bad)


@given(st.lists(st.one_of(st.integers(-10**9, 10**9),
                          st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
                          st.fractions(-10**9, 10**9, max_denominator=1000),
                          st.decimals(-10**6, 10**6, allow_nan=False, allow_infinity=False,
                                      places=4)),
                min_size=1, max_size=20),
       st.integers(0, 3))
def test_fmt_number_kept_texts_are_the_exact_rounding(values: list[Any], decimals: int) -> None:
    """fmt_number keeps its texts; each is still the exact half-up rounding of its own
    number, whatever was formatted before it (equal numbers of other types included)."""
    for x in values + [Fraction(x) for x in values if isinstance(x, float)]:
        assert fmt_number(x, decimals) == _fmt_decimal(round_half_up(x, decimals), decimals)


def test_fmt_number_rounds_a_float_and_the_fraction_equal_to_it_each_its_own_way() -> None:
    exact = Fraction(2.675)  # the binary value, just below 2.675
    assert exact == 2.675
    assert (fmt_number(2.675, 2), fmt_number(exact, 2), fmt_number(2.675, 2)) == (
        "2.68", "2.67", "2.68")
    with pytest.raises(ValueError, match="boolean"):
        fmt_number(True)
