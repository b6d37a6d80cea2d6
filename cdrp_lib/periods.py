"""Months and financial years, kept as ``YYYY-MM`` strings at every boundary.

Months are strings in params, the store and notebooks (papermill's lesson: a
YAML ``2019-01`` must stay a string); arithmetic goes through :class:`Month`.
Financial years run April to March and are written ``2024/25``.
"""

from __future__ import annotations

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
        """Parse ``YYYY-MM``; raises ValueError naming the bad text."""
        m = _MONTH_RE.match(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"month must be YYYY-MM, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def index(self) -> int:
        """Months since year 0, so that differences are month counts."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

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
