"""Months and financial years, kept as ``YYYY-MM`` strings at every boundary.

Months are strings in params, the store and notebooks (papermill's lesson: a
YAML ``2019-01`` must stay a string); arithmetic goes through :class:`Month`.
Financial years run April to March and are written ``2024/25``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import total_ordering

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_FY_RE = re.compile(r"^(\d{4})/(\d{2})$")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


@total_ordering
@dataclass(frozen=True)
class Month:
    """A calendar month; ``Month.parse("2025-03") + 1 == Month(2025, 4)``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1-12, got {self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``; raises ValueError naming the bad text.

        Months are immutable, so each text is parsed once per process: one bulletin's
        assessment parses the same few hundred month strings some 60,000 times.
        """
        try:
            return _parse_month(text)
        except TypeError:  # unhashable: parse it without the cache
            return _parse_month.__wrapped__(text)

    @property
    def index(self) -> int:
        """Months since year 0, so that differences are month counts."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return _month_at(index)

    def __add__(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def __sub__(self, other: int) -> Month:
        return Month.from_index(self.index - other)

    def minus(self, other: Month) -> int:
        """Number of months from ``other`` to ``self``."""
        return self.index - other.index

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Month):
            return NotImplemented
        return self.index < other.index

    def __str__(self) -> str:
        return self.text

    @functools.cached_property
    def text(self) -> str:
        """``YYYY-MM``, made once per month: months are interned (:meth:`parse`,
        :meth:`from_index`) and one bulletin's assessment writes them some 50,000 times."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """``March 2025``, as the bulletin writes it."""
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"

    @property
    def financial_year(self) -> str:
        """The April-March year containing this month, e.g. ``2024/25``."""
        start = self.year if self.month >= 4 else self.year - 1
        return f"{start}/{(start + 1) % 100:02d}"


@functools.lru_cache(maxsize=4096)
def _parse_month(text: str) -> Month:
    m = _MONTH_RE.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must be YYYY-MM, got {text!r}")
    return Month(int(m.group(1)), int(m.group(2)))


@functools.lru_cache(maxsize=4096)
def _month_at(index: int) -> Month:
    return Month(index // 12, index % 12 + 1)


def month_range(first: Month | str, last: Month | str) -> Iterator[Month]:
    """Every month from ``first`` to ``last`` inclusive."""
    a = first if isinstance(first, Month) else Month.parse(first)
    b = last if isinstance(last, Month) else Month.parse(last)
    for i in range(a.index, b.index + 1):
        yield Month.from_index(i)


def financial_year_months(fy: str) -> tuple[Month, Month]:
    """First and last month of a financial year ``2024/25`` (April 2024 to March 2025)."""
    m = _FY_RE.match(fy.strip())
    if not m:
        raise ValueError(f"financial year must be YYYY/YY, got {fy!r}")
    start = int(m.group(1))
    if (start + 1) % 100 != int(m.group(2)):
        raise ValueError(f"financial year must be consecutive years, got {fy!r}")
    return Month(start, 4), Month(start + 1, 3)


# --------------------------------------------------------------------------- reporting periods

#: The kinds of period a partner agency reports in (issue 11): a month, a calendar or
#: financial quarter, a financial year.  Quarters of either kind are three months.
PERIOD_MONTH = "month"
PERIOD_QUARTER = "quarter"
PERIOD_FINANCIAL_YEAR = "financial_year"
MONTHS_IN: dict[str, int] = {PERIOD_MONTH: 1, PERIOD_QUARTER: 3, PERIOD_FINANCIAL_YEAR: 12}
_CALENDAR_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
_FINANCIAL_QUARTER_RE = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
FINANCIAL_YEAR_START = 4  # April
PERIOD_FORMS = "a month 2009-07, a quarter 2009Q3 or 2009/10 Q2, or a financial year 2009/10"


@dataclass(frozen=True)
class Period:
    """A reporting period: its first and last month and its kind.

    A series stores a period at its last month (a quarter at its third month, a
    financial year at its March), so monthly, quarterly and annual figures share
    one month axis and a period is dated when it is complete.
    """

    first: Month
    last: Month
    kind: str

    @property
    def months(self) -> int:
        return self.last.minus(self.first) + 1


def parse_period(text: str) -> Period:
    """``2009-07``, ``2009Q3`` (Jul-Sep 2009), ``2009/10 Q1`` (Apr-Jun 2009) or ``2009/10``.

    Raises ValueError naming the text and the forms accepted.  Spaces around the
    text are ignored, and inside it a financial quarter needs its one space.
    """
    try:
        return _parse_period(str(text).strip())
    except ValueError:
        raise ValueError(f"period must be {PERIOD_FORMS}, got {text!r}") from None


def _parse_period(value: str) -> Period:
    if _MONTH_RE.match(value):
        month = Month.parse(value)
        return Period(month, month, PERIOD_MONTH)
    m = _CALENDAR_QUARTER_RE.match(value)
    if m:
        first = Month(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1)
        return Period(first, first + 2, PERIOD_QUARTER)
    m = _FINANCIAL_QUARTER_RE.match(value)
    if m:
        start, _ = financial_year_months(f"{m.group(1)}/{m.group(2)}")
        first = start + (int(m.group(3)) - 1) * 3
        return Period(first, first + 2, PERIOD_QUARTER)
    if _FY_RE.match(value):
        first, last = financial_year_months(value)
        return Period(first, last, PERIOD_FINANCIAL_YEAR)
    raise ValueError(value)


def calendar_quarter(month: Month) -> str:
    """The calendar quarter containing ``month``: ``2009-08`` -> ``2009Q3``."""
    return f"{month.year}Q{(month.month - 1) // 3 + 1}"


def financial_quarter(month: Month) -> str:
    """The financial quarter containing ``month``: ``2009-08`` -> ``2009/10 Q2``."""
    fy = month.financial_year
    return f"{fy} Q{(month.month - FINANCIAL_YEAR_START) % 12 // 3 + 1}"
