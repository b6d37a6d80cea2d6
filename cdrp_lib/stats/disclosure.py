"""Disclosure control for small geographies (methods.md §9).

data.police.uk does not suppress counts (it moves each crime to a snap point
instead), and there is no single Home Office rule for CSP bulletins, so the
recommended default is written here:

* standard categories at CSP level are already public: no suppression;
* domestic abuse (and repeat victims, MARAC), and **any** breakdown below CSP:
  a count of 1-4 is shown as ``"<5"`` (primary suppression);
* secondary suppression so that a published total cannot be differenced back
  to a hidden cell: while only one cell is hidden, or the hidden cells add up
  to fewer than the threshold, the smallest other non-zero cell is hidden too
  (``"[c]"``), and the total itself when no cell is left;
* no percentage whose denominator is under 10.

Worked example: ward DA crimes A=3, B=12, C=7, total 22 -> A "<5", B 12, C "[c]", total 22.

Publishing ``R[t]`` and ``R[t-1]`` reveals ``c[t] - c[t-12]``, so suppression
must be applied consistently across months.  Worse, a rolling total is the sum of
twelve monthly counts: beside the other eleven, which a chart shows, it gives back
the one that was hidden.  So a series is suppressed as a whole
(:func:`hidden_totals`): a month of 1-4 is hidden, and so is every published total
whose months include it (the rolling 12 months of that month and the eleven after
it, a baseline year).  Every total left then adds up shown months only, so nothing
published, alone or differenced, pins a hidden month down; :func:`disclosed_months`
checks that by linear algebra and the tests hold every series to it.  Estimates
(means, trends, expected ranges) are rounded and not exact sums; they are outside
this rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from cdrp_lib.stats.enums import Suppression
from cdrp_lib.stats.rounding import Number, fmt_number, fmt_pct, to_fraction
from cdrp_lib.stats.settings import DEFAULT_MIN_DENOMINATOR, DEFAULT_SUPPRESSION_THRESHOLD

SECONDARY_MARK = "[c]"
SENSITIVE_THEMES = frozenset({"domestic_abuse"})
#: The sources whose counts are under disclosure control when params say nothing
#: (bulletin.yaml ``suppression.sources`` replaces it).
SENSITIVE_SOURCES = frozenset({"domestic_abuse"})
PERCENT = 100

#: The field rules of §9 (secondary suppression across the figures of one measure):
#: when any field of the left set is withheld, every field of the right set is withheld
#: too, because beside the figures left shown it would give the withheld one back.
WITHHELD_WITH: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    # a rate and the cases it rests on give back the count of repeats (and vice versa)
    (frozenset({"rolling_12_numerator", "rolling_12_denominator"}), frozenset({"rolling_12"})),
    # a change whose either end is hidden differences back to it
    (frozenset({"rolling_12", "previous_rolling_12"}),
     frozenset({"change_12m", "change_12m_pct", "change_12m_pp"})),
    # a rate per 1,000 on a public population is the total in disguise, and the pooled
    # group average (with its funnel limits) adds this partnership's total to its peers'
    (frozenset({"rolling_12", "rolling_12_numerator"}),
     frozenset({"peer_rate", "peer_distance", "peer_distance_pct", "peer_excess",
                "peer_average", "peer_lower", "peer_upper", "peer_member_rates"})),
    (frozenset({"rolling_12", "baseline_value"}),
     frozenset({"change_from_baseline_pct", "reduction_required_pct"})),
    # the projection starts from the current position it extends
    (frozenset({"rolling_12"}), frozenset({"trend_projection", "trend_line"})),
    # the target is the baseline less a published percentage
    (frozenset({"baseline_value"}), frozenset({"target_value", "required_change", "target_text"})),
    # the trajectory runs from the baseline to the target: two of its points give both
    (frozenset({"baseline_value", "target_value", "target_text"}),
     frozenset({"trajectory_target", "trajectory_lower", "trajectory_upper", "spc_target"})),
)

__all__ = [
    "SECONDARY_MARK",
    "SENSITIVE_SOURCES",
    "SENSITIVE_THEMES",
    "WITHHELD_WITH",
    "Cell",
    "SuppressedTable",
    "disclosed_months",
    "hidden_totals",
    "primary_mark",
    "requires_suppression",
    "show_count",
    "show_percentage",
    "suppress_table",
    "window_months",
    "withheld_closure",
]


def primary_mark(threshold: int = DEFAULT_SUPPRESSION_THRESHOLD) -> str:
    """``"<5"`` for the default threshold."""
    return f"<{threshold}"


def requires_suppression(source: str, below_csp: bool,
                         sources: Collection[str] = SENSITIVE_SOURCES,
                         below_partnership: bool = True) -> bool:
    """Whether a measure's counts need disclosure control: those of a sensitive source,
    or any breakdown below a partnership.

    ``sources`` and ``below_partnership`` are bulletin.yaml's ``suppression`` settings.
    """
    return (below_partnership and below_csp) or source in sources


def withheld_closure(names: Iterable[str]) -> frozenset[str]:
    """``names`` with every field :data:`WITHHELD_WITH` withholds alongside them."""
    out = set(names)
    grew = True
    while grew:
        grew = False
        for when, then in WITHHELD_WITH:
            if out & when and not then <= out:
                out |= then
                grew = True
    return frozenset(out)


def _count(n: int, what: str) -> int:
    if n < 0:
        raise ValueError(f"{what}: counts must not be negative, got {n!r}")
    return n


def show_count(n: int, threshold: int = DEFAULT_SUPPRESSION_THRESHOLD) -> str:
    """One count as published: 1 to ``threshold - 1`` is ``"<5"``; 0 and the rest are shown."""
    _count(n, "count")
    return primary_mark(threshold) if 0 < n < threshold else fmt_number(n)


def show_percentage(
    numerator: Number, denominator: Number,
    min_denominator: int = DEFAULT_MIN_DENOMINATOR, decimals: int = 1,
) -> str:
    """A percentage, or ``"[c]"`` when its denominator is under ``min_denominator``."""
    if numerator < 0 or denominator < 0:
        raise ValueError(
            f"percentage parts must not be negative, got {numerator!r}/{denominator!r}")
    if denominator < min_denominator or denominator == 0:
        return SECONDARY_MARK
    return fmt_pct(to_fraction(numerator) / to_fraction(denominator) * PERCENT, decimals)


@dataclass(frozen=True)
class Cell:
    """One published cell: its label, what is printed and why."""

    label: str
    value: int
    shown: str
    status: Suppression


@dataclass(frozen=True)
class SuppressedTable:
    """Cells in their input order, and the total row."""

    cells: tuple[Cell, ...]
    total: Cell

    def shown(self) -> dict[str, str]:
        """``{label: printed text}`` for the cells and ``"Total"``."""
        out = {c.label: c.shown for c in self.cells}
        out[self.total.label] = self.total.shown
        return out


def suppress_table(
    cells: Mapping[str, int] | Sequence[tuple[str, int]],
    threshold: int = DEFAULT_SUPPRESSION_THRESHOLD,
    total_label: str = "Total",
) -> SuppressedTable:
    """Primary and secondary suppression of one row of counts with a published total.

    >>> suppress_table({"A": 3, "B": 12, "C": 7}).shown()
    {'A': '<5', 'B': '12', 'C': '[c]', 'Total': '22'}
    """
    items = list(cells.items()) if isinstance(cells, Mapping) else list(cells)
    values = [_count(v, label) for label, v in items]
    primary = {i for i, v in enumerate(values) if 0 < v < threshold}
    hidden = set(primary)
    total_hidden = False

    def exposed() -> bool:
        return len(hidden) == 1 or 0 < sum(values[i] for i in hidden) < threshold

    while hidden and exposed():
        candidates = [i for i, v in enumerate(values) if i not in hidden and v > 0]
        if not candidates:
            total_hidden = True
            break
        hidden.add(min(candidates, key=lambda i: (values[i], i)))

    out: list[Cell] = []
    for i, (label, v) in enumerate(items):
        if i in primary:
            out.append(Cell(label, v, primary_mark(threshold), Suppression.PRIMARY))
        elif i in hidden:
            out.append(Cell(label, v, SECONDARY_MARK, Suppression.SECONDARY))
        else:
            out.append(Cell(label, v, fmt_number(v), Suppression.SHOWN))
    total = sum(values)
    total_cell = (Cell(total_label, total, SECONDARY_MARK, Suppression.SECONDARY) if total_hidden
                  else Cell(total_label, total, fmt_number(total), Suppression.SHOWN))
    return SuppressedTable(tuple(out), total_cell)


# --------------------------------------------------------------------------- across months


def window_months(end: int, length: int) -> range:
    """The month positions a total of ``length`` months ending at position ``end`` adds up."""
    return range(end + 1 - length, end + 1)


def hidden_totals(hidden_months: Collection[int],
                  totals: Mapping[str, Iterable[int]]) -> frozenset[str]:
    """The totals that must be hidden because one of the months they add up is hidden.

    ``totals`` maps a name to the month positions it sums (see :func:`window_months`).
    Hiding every such total is the whole of the cross-month rule: what stays
    published then depends on shown months only.
    """
    hidden = set(hidden_months)
    return frozenset(name for name, months in totals.items() if hidden.intersection(months))


def disclosed_months(hidden_months: Collection[int], shown_months: Collection[int],
                     totals: Iterable[Iterable[int]], months: int) -> frozenset[int]:
    """The hidden months that the published figures determine exactly.

    The published figures are the ``shown_months`` (each month's own count) and the
    ``totals`` (sums of month positions); any difference or other combination of
    them is published too.  A hidden month is disclosed when its indicator vector
    lies in the span of the published ones, which is when the orthogonal
    projection onto that span leaves it unchanged.  ``months`` is the length of the
    series.  Used by the tests as the measure of the rule; exact for the small 0/1
    matrices of a bulletin's history (a few hundred months at most).
    """
    import numpy as np

    rows = [sorted(set(m)) for m in totals] + [[m] for m in sorted(set(shown_months))]
    if not hidden_months or not rows:
        return frozenset()
    published = np.zeros((len(rows), months))
    for i, row in enumerate(rows):
        published[i, row] = 1.0
    projection = np.linalg.pinv(published) @ published
    return frozenset(h for h in hidden_months if abs(projection[h, h] - 1.0) < 1e-6)
