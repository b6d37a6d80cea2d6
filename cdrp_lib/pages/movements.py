"""What changed since last month: each target's rating now and last month.

Last month's rating is computed from the store, with this month's params, by
the same assessment that rates this month (targets only, so it costs one
target's assessment per target): it is deterministic, needs no earlier
bulletin to have been published, and is what last month's bulletin would have
said had it been made with today's params and data.  A rating that only the
data revised since then changed is still a change the board should see.

The board reads movements as better or worse, so ``up`` means a better rating
(R -> A -> G) and ``down`` a worse one; ``new`` is a target rated now that had
no rating last month, ``unrated`` one rated last month that has none now.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cdrp_lib.periods import Month

if TYPE_CHECKING:
    from pathlib import Path

    from cdrp_lib.public import PublicAssessment
    from cdrp_lib.stats.enums import Rag
    from cdrp_lib.store import Store
    from cdrp_lib.tables import MovementRow

#: figures.json keys a target's entry gains (PageBase.figures_doc): last month's rating
#: letter (``None``: not rated) and the movement's value.
LAST_MONTH_KEY = "rating_last_month"
MOVEMENT_KEY = "rating_movement"


class Movement(enum.StrEnum):
    """How a target's rating moved since last month, in the board's words."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    NEW = "new"
    UNRATED = "unrated"

    @property
    def changed(self) -> bool:
        """Whether the board should look at it first (anything but "same")."""
        return self is not Movement.SAME

    @property
    def word(self) -> str:
        return {"up": "Up", "down": "Down", "same": "Same", "new": "New",
                "unrated": "No rating now"}[self.value]


def movement(now: Rag | None, before: Rag | None) -> Movement:
    """The movement from ``before`` to ``now`` (a lower score is a better rating)."""
    if now is None:
        return Movement.SAME if before is None else Movement.UNRATED
    if before is None:
        return Movement.NEW
    if now.score == before.score:
        return Movement.SAME
    return Movement.UP if now.score < before.score else Movement.DOWN


@dataclass(frozen=True)
class RatingMovement:
    """One target's rating now and last month, and how it moved."""

    target_id: str
    title: str
    theme: str
    now: Rag | None
    before: Rag | None

    @property
    def movement(self) -> Movement:
        return movement(self.now, self.before)


def previous_month(month: str) -> str:
    return str(Month.parse(month) - 1)


def ratings_last_month(store: Store, params_dir: Path, partnership: str, month: str,
                       theme: str | None = None) -> dict[str, Rag | None]:
    """Each target's rating (public view, overrides applied) in the month before ``month``.

    Only targets are assessed (``theme`` narrows them to one page's), so this
    costs a fraction of the bulletin's own assessment.
    """
    from cdrp_lib.assess import assess_partnership
    from cdrp_lib.public import public_view

    before = assess_partnership(store, params_dir, partnership, previous_month(month),
                                theme=theme, targets_only=True)
    return {a.target_id: public_view(a).rag for a in before if a.target_id is not None}


def movements(targets: Sequence[PublicAssessment], before: Mapping[str, Rag | None]
              ) -> tuple[RatingMovement, ...]:
    """Every target's movement: those whose rating changed first, each group in page order."""
    rows = [RatingMovement(a.target_id or "", a.target_title or a.measure_name, a.theme,
                           a.rag, before.get(a.target_id or "")) for a in targets
            if a.target_id is not None]
    return tuple(sorted(rows, key=lambda r: not r.movement.changed))


def figures_fields(a: PublicAssessment, before: Mapping[str, Rag | None]) -> dict[str, Any]:
    """What a target's figures.json entry records of last month (nothing for an indicator)."""
    if a.target_id is None:
        return {}
    was = before.get(a.target_id)
    return {LAST_MONTH_KEY: was.letter if was is not None else None,
            MOVEMENT_KEY: movement(a.rag, was).value}


def table_rows(rows: Sequence[RatingMovement], theme_titles: Mapping[str, str]
               ) -> tuple[MovementRow, ...]:
    """The rows of the front page's movements table (:func:`cdrp_lib.tables.movements_table`)."""
    from cdrp_lib.tables import MovementRow

    return tuple(MovementRow(r.title, theme_titles.get(r.theme, r.theme), r.now, r.before,
                             r.movement.word, r.movement.changed) for r in rows)


def introduction(rows: Sequence[RatingMovement], month: str) -> str:
    """The sentence above the table: how many changed, and where last month's rating is from."""
    last = Month.parse(previous_month(month)).label
    changed = sum(r.movement.changed for r in rows)
    n = len(rows)
    return (f"{changed} of the {n} target{'s' if n != 1 else ''} changed rating since {last}; "
            "they are listed first. Last month's rating is worked out again from today's "
            "data and targets, so it can differ from the bulletin published then where "
            "the data have been revised.")
