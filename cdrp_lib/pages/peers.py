"""Comparison with similar areas: each measure of a page against its most similar group.

The group is named member by member (a reader should know who "similar areas"
are), and the figures are the Assessment's own (methods §5), so this table
cannot disagree with the performance tables above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cdrp_lib.pages import fragments as f
from cdrp_lib.pages.part import Part

if TYPE_CHECKING:
    from cdrp_lib.pages.page import PageBase
    from cdrp_lib.public import PublicAssessment

HEADING = '<h2 id="similar-areas">Comparison with similar areas</h2>'
INTRO = ("<p>Rates per 1,000 residents (percentages for a proportion) against the average "
         "of the partnership's most similar group. 'Significantly' above or below means "
         "outside the limits the group's own variation allows around that average.</p>")


def _compared(assessments: Sequence[PublicAssessment]) -> list[PublicAssessment]:
    return [a for a in assessments if a.measure and (a.peer_members or a.peer_position)]


def _members(page: PageBase, ids: Sequence[str]) -> str:
    names = [page.config.name if i == page.config.partnership else page.config.partnership_names
             .get(i, i) for i in ids]
    return ", ".join(names)


def peers_part(page: PageBase, assessments: Sequence[PublicAssessment]) -> Part:
    """The "Comparison with similar areas" section (nothing when no measure is compared)."""
    from cdrp_lib.tables import peers_table

    compared = _compared(assessments)
    if not compared:
        return page._html("peers", "")
    groups = sorted({a.peer_members for a in compared if a.peer_members})
    said = [f"The most similar group: {_members(page, g)}." for g in groups]
    top = "\n".join([HEADING, INTRO, f.paragraph(said)])
    return page._figures("peers", top, lambda: [(peers_table(compared), ("similar-areas",))])
