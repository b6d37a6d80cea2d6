"""Exact numbers for classification, ROUND_HALF_UP for display (methods.md §0).

Classification compares exact values (:class:`fractions.Fraction`), so a count
that equals a limit is "on target" however the limit was computed.  Rounding
happens only when a number is shown, and then half away from zero as Excel's
``ROUND`` does: Python's ``round()`` rounds halves to even (``round(0.125, 2)``
is ``0.12``) and would disagree with an analyst's spreadsheet.

A float is read as the decimal it prints as (``0.05`` is five hundredths, not
the binary number nearest to it): ``Fraction(0.05) * 1000`` is a hair above 50
and its ceiling would be 51 crimes, not 50.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from fractions import Fraction
from typing import TypeAlias

Number: TypeAlias = int | float | Fraction | Decimal

MINUS = "-"
NOT_AVAILABLE = "n/a"

__all__ = [
    "MINUS",
    "NOT_AVAILABLE",
    "Number",
    "fmt_number",
    "fmt_pct",
    "fmt_proportion",
    "fmt_signed",
    "fmt_signed_pct",
    "round_half_up",
    "round_half_up_int",
    "to_fraction",
]


def to_fraction(x: Number | str) -> Fraction:
    """``x`` as an exact fraction; a float is taken as the decimal it prints as.

    Raises ValueError for NaN, infinities and booleans (a programmer error: a
    missing value must be ``None`` and handled before arithmetic).
    """
    if isinstance(x, bool):
        raise ValueError(f"expected a number, got the boolean {x!r}")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"expected a finite number, got {x!r}")
        return Fraction(repr(x))
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise ValueError(f"expected a finite number, got {x!r}")
        return Fraction(x)
    if isinstance(x, str):
        return Fraction(x.strip())
    # numpy scalars and other numbers: go through their float value
    return to_fraction(float(x))


def round_half_up(x: Number, ndigits: int = 0) -> Decimal:
    """Round half away from zero to ``ndigits`` decimals, exactly (Excel ``ROUND``).

    >>> str(round_half_up(-4.4025, 1)), str(round_half_up(0.125, 2)), str(round_half_up(2.5))
    ('-4.4', '0.13', '3')
    """
    f = to_fraction(x)
    scale = Fraction(10) ** ndigits
    q = math.floor(abs(f) * scale + Fraction(1, 2))
    if ndigits > 0:
        d = Decimal(q).scaleb(-ndigits).quantize(Decimal(1).scaleb(-ndigits))
    else:
        d = Decimal(q * 10 ** (-ndigits))
    return -d if f < 0 and q != 0 else d


def round_half_up_int(x: Number) -> int:
    """Nearest whole number, halves away from zero (``T = round_half_up(B·(1−r))``)."""
    return int(round_half_up(x, 0))


def _fmt_decimal(d: Decimal, decimals: int) -> str:
    text = f"{abs(d):,.{max(decimals, 0)}f}"
    return (MINUS + text) if d < 0 else text


def fmt_number(x: Number | None, decimals: int = 0) -> str:
    """``1650 -> "1,650"``, ``14.9107 -> "14.9"`` (1 decimal); ``None -> "n/a"``."""
    if x is None:
        return NOT_AVAILABLE
    try:
        return _fmt_number(x, decimals)
    except TypeError:  # unhashable
        return _fmt_decimal(round_half_up(x, decimals), decimals)


@functools.lru_cache(maxsize=8192, typed=True)
def _fmt_number(x: Number, decimals: int) -> str:
    """:func:`fmt_number` of a number, kept: exact rounding is slow, and a page prints the
    same numbers again and again (every chart's tick labels: 12,000 calls a bulletin).
    Kept per type as well as value: a float is rounded as the decimal it prints as, so
    the float 2.675 and the Fraction equal to it round differently (and True is refused)."""
    return _fmt_decimal(round_half_up(x, decimals), decimals)


def fmt_signed(x: Number | None, decimals: int = 0) -> str:
    """A signed number, ``+1.59`` / ``-76``; zero after rounding has no sign."""
    if x is None:
        return NOT_AVAILABLE
    d = round_half_up(x, decimals)
    text = _fmt_decimal(d, decimals)
    return ("+" + text) if d > 0 else text


def fmt_pct(pct: Number | None, decimals: int = 1) -> str:
    """A percentage already in percent units: ``60 -> "60.0%"``."""
    if pct is None:
        return NOT_AVAILABLE
    return fmt_number(pct, decimals) + "%"


def fmt_proportion(p: Number | None, decimals: int = 1) -> str:
    """A proportion 0..1 shown as a percentage: ``0.6 -> "60.0%"``."""
    if p is None:
        return NOT_AVAILABLE
    return fmt_pct(to_fraction(p) * 100, decimals)


def fmt_signed_pct(pct: Number | None, decimals: int = 1) -> str:
    """A signed percentage in percent units: ``-4.403 -> "-4.4%"``, ``1.25 -> "+1.3%"``.

    A change that rounds to zero prints ``"0.0%"`` (never ``"-0.0%"``).
    """
    if pct is None:
        return NOT_AVAILABLE
    return fmt_signed(pct, decimals) + "%"
