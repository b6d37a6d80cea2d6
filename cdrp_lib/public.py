"""What may be published of an Assessment: disclosure control (methods §9) applied once.

:func:`cdrp_lib.assess.assess` decides *which* figures disclosure control withholds
(``Assessment.suppressed_fields`` and the flags of its history months, from
bulletin.yaml's ``suppression`` settings and the §9 thresholds in the method
settings); :func:`public_view` turns that into a :class:`PublicAssessment`, and
charts, tables, narrative, ``figures.json`` and ``cdrp assess`` read only that
view.  None of them decides anything about disclosure: they print what the view
holds and, where it holds nothing, the mark it gives.

In the view a withheld figure is gone, not flagged: its value is ``None`` (so no
formatter can print it by accident) and :attr:`PublicAssessment.withheld` maps its
name (only of figures that were computed: one that was not keeps its reason) to
the mark a reader sees (``"<5"`` for a count of 1-4, ``"[c]"`` for anything
withheld so that such a count cannot be worked back).  History months carry their
marks on the points: ``suppressed`` means the month's value (and its rolling
total) is withheld, ``rolling_suppressed`` that it had a rolling 12-month total
and that total is withheld (alone, when it adds up a withheld month); SPC months
are :class:`PublicSpcPoint` with ``withheld``.  The view also applies the field rules of
:data:`cdrp_lib.stats.disclosure.WITHHELD_WITH` (a change whose end is withheld,
a trajectory drawn from a withheld baseline...), so it is consistent even for an
Assessment built by hand.

Every consumer calls :func:`public_view` on what it is given (it returns a view
unchanged), so passing a raw Assessment cannot leak either; library code passes
views, which the type hints (``PublicAssessment``) make mypy check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cdrp_lib.assessment import Assessment, HistoryPoint, SpcPoint
from cdrp_lib.periods import Month
from cdrp_lib.stats.disclosure import SECONDARY_MARK, primary_mark, withheld_closure
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR

__all__ = ["PublicAssessment", "PublicSpcPoint", "public_view"]

#: Count-valued fields of a count measure: a value of 1 to threshold-1 is shown as "<5".
_COUNT_LEVELS = ("month_value", "rolling_12", "previous_rolling_12", "baseline_value",
                 "target_value")
#: The count-valued fields of a proportion (its repeats and cases).
_RATE_COUNTS = ("rolling_12_numerator", "rolling_12_denominator")
_TARGET = frozenset({"baseline_value", "target_value", "target_text"})
_FIELDS = frozenset(f.name for f in dataclasses.fields(Assessment))
#: What the view adds to an Assessment's fields; figures.json leaves them out.
_VIEW_FIELDS = ("withheld",)


def _counted_levels(a: Assessment) -> tuple[str, ...]:
    """The levels that are counts: all of them for a count or a cohort's offences; only
    the month's value for a rate or a twelve-month mean (their levels are not counts, and
    their hidden months are withheld through the rolling totals assess flags)."""
    if a.unit in ("count", "cohort_offences"):
        return _COUNT_LEVELS
    return ("month_value",)


def _no_marks() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class PublicSpcPoint(SpcPoint):
    """An SPC month as published: ``withheld`` when §9 hides its value (then ``None``)."""

    withheld: bool = False


@dataclass(frozen=True)
class PublicAssessment(Assessment):
    """An Assessment as it may be published: every withheld figure is ``None``.

    ``withheld`` maps each withheld field to its mark; the history and SPC points
    carry their own (see the module docstring).  Same attribute names as
    :class:`~cdrp_lib.assessment.Assessment`; build it with :func:`public_view`.
    """

    spc_points: tuple[PublicSpcPoint, ...] = ()
    withheld: Mapping[str, str] = field(default_factory=_no_marks)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.withheld, MappingProxyType):
            object.__setattr__(self, "withheld", MappingProxyType(dict(self.withheld)))

    def is_withheld(self, *names: str) -> bool:
        """Whether any of the fields ``names`` is withheld (§9)."""
        return any(n in self.withheld for n in names)

    def is_suppressed(self, name: str) -> bool:
        """The Assessment's question answered by the view: :meth:`is_withheld`."""
        return self.is_withheld(name)

    def mark_of(self, name: str) -> str | None:
        """What a reader sees for field ``name`` when it is withheld, else None."""
        return self.withheld.get(name)

    @property
    def count_mark(self) -> str:
        """``"<5"``: a count of 1 to threshold-1 (§9 primary suppression)."""
        return primary_mark(self.settings.suppression_threshold)

    @property
    def mark(self) -> str:
        """The mark of a withheld level of this measure: ``"<5"`` for a count, ``"[c]"``
        for a rate (withheld because it rests on too few cases)."""
        return SECONDARY_MARK if self.is_proportion else self.count_mark

    @property
    def withheld_months(self) -> frozenset[str]:
        """Months whose own value is withheld (history or SPC)."""
        return frozenset([p.month for p in self.history if p.suppressed]
                         + [p.month for p in self.spc_points if p.withheld])

    def to_json(self) -> dict[str, Any]:
        """The published ``figures.json`` record: :meth:`Assessment.to_json`'s format, with
        every withheld figure ``null``."""
        doc = super().to_json()
        for name in _VIEW_FIELDS:
            doc.pop(name, None)
        for point in doc["spc_points"]:
            point.pop("withheld", None)
        return doc


def _small(x: Any, threshold: int) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x < threshold


def _month_of(a: Assessment, name: str) -> str | None:
    """The history month whose figures equal the headline field ``name``."""
    end = a.data_to or a.month
    if name in ("rolling_12", "month_value"):
        return end
    if name == "previous_rolling_12":
        return str(Month.parse(end) - MONTHS_IN_YEAR)
    return None


def public_view(a: Assessment) -> PublicAssessment:
    """``a`` as it may be published (methods §9); a view is returned unchanged.

    Withholds what assess() flagged, and with it every figure the field rules tie to
    it; for a count measure under disclosure control (``a.suppressed``) also any
    count of 1 to threshold-1 left unflagged.  ``a`` itself is not changed.
    """
    if isinstance(a, PublicAssessment):
        return a
    k = a.settings.suppression_threshold
    guard = a.kind == "count" and a.suppressed  # counts under §9: no small count shown
    names = set(a.suppressed_fields) & _FIELDS - {"history", "spc_points"}
    counts = _counted_levels(a)
    if guard:
        names |= {n for n in counts if _small(getattr(a, n), k)}
    # withheld means a figure was there and is not shown: a figure that could not be
    # computed stays "not computed", with its reason
    names = {n for n in withheld_closure(names) & _FIELDS if getattr(a, n) is not None}

    hidden_at = {m for n in ("month_value",) if n in names and (m := _month_of(a, n))}
    total_at = {m for n in ("rolling_12", "previous_rolling_12")
                if n in names and (m := _month_of(a, n))}
    target_hidden = bool(names & _TARGET)
    history: list[HistoryPoint] = []
    for p in a.history:
        hidden = (p.suppressed or p.month in hidden_at
                  or (guard and (_small(p.value, k)
                                 or ("rolling_12" in counts and _small(p.rolling_12, k)))))
        # a rolling total is marked withheld only where there is one to withhold
        total = p.rolling_12 is not None and (
            hidden or p.rolling_suppressed or p.month in total_at)
        changes: dict[str, Any] = {}
        if hidden:
            changes.update(value=None, rolling_12=None, suppressed=True)
        if total != p.rolling_suppressed:
            changes["rolling_suppressed"] = total
        if total:
            changes["rolling_12"] = None
        if target_hidden:
            changes.update(trajectory_target=None, trajectory_lower=None, trajectory_upper=None)
        history.append(dataclasses.replace(p, **changes) if changes else p)
    hidden_months = {p.month for p in history if p.suppressed}
    spc = tuple(
        PublicSpcPoint(p.month, None, p.point_type, p.rules, withheld=True)
        if p.value is not None and (p.month in hidden_months or (guard and _small(p.value, k)))
        else PublicSpcPoint(p.month, p.value, p.point_type, p.rules)
        for p in a.spc_points)

    def mark(name: str) -> str:  # "<5" only for a count of 1-4 itself
        counted = (a.kind == "count" and name in counts) or name in _RATE_COUNTS
        return primary_mark(k) if counted and _small(getattr(a, name), k) else SECONDARY_MARK

    values = {f.name: getattr(a, f.name) for f in dataclasses.fields(Assessment)}
    values.update(dict.fromkeys(names))
    values.update(history=tuple(history), spc_points=spc)
    return PublicAssessment(**values, withheld={n: mark(n) for n in sorted(names)})
