"""Comparison with similar areas: each measure of a page against its comparison group.

The group is named member by member with each member's rate (a reader should know
who "similar areas" are and where each stands), a funnel chart shows every member's
rate against its population with the limits of methods §5, and the figures are the
Assessment's own, so nothing here can disagree with the performance tables above it.
With no params peers the group is the other partnerships of the same police force.

A funnel is drawn for each target's measure and for each other measure outside the
inner limits (:func:`needs_funnel`): an indicator in line with its group is a row of
the table and its members' rates a line of text, and a funnel of it would say nothing
more.  A funnel for every indicator made half of a page's weight and a third of its
CPU (issue 13: eight funnels, 74 kB, on the demo's acquisitive crime page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cdrp_lib.pages import fragments as f
from cdrp_lib.pages.part import Part
from cdrp_lib.stats.rounding import fmt_number

if TYPE_CHECKING:
    from cdrp_lib.charts import Chart
    from cdrp_lib.pages.page import PageBase
    from cdrp_lib.public import PublicAssessment
    from cdrp_lib.tables import Table

HEADING = '<h2 id="similar-areas">Comparison with similar areas</h2>'
INTRO = ("<p>Rates per 1,000 residents (percentages for a proportion) against the average "
         "of the partnership's comparison group. 'Significantly' above or below means "
         "outside the limits the group's own variation allows around that average.</p>")
RATE_DECIMALS = 1
FUNNELS_DRAWN = ("A funnel chart is drawn for each target, and for each other measure "
                 "significantly above or below the group's average; the others are in line "
                 "with it.")


def _compared(assessments: Sequence[PublicAssessment]) -> list[PublicAssessment]:
    return [a for a in assessments if a.measure and (a.peer_members or a.peer_position)]


def _name(page: PageBase, pid: str) -> str:
    if pid == page.config.partnership:
        return page.config.name
    return page.config.partnership_names.get(pid, pid)


def _members(page: PageBase, ids: Sequence[str]) -> str:
    return ", ".join(_name(page, i) for i in ids)


def _rates(page: PageBase, a: PublicAssessment) -> str:
    """``Burglary: North Northamptonshire 3.0, West Northamptonshire 3.7 per 1,000.``"""
    unit = "%" if a.kind == "proportion" else " per 1,000"
    listed = ", ".join(f"{_name(page, i)} {fmt_number(r, RATE_DECIMALS)}"
                       for i, r, _ in (a.peer_member_rates or ()) if r is not None)
    missing = [_name(page, i) for i, r, _ in (a.peer_member_rates or ()) if r is None]
    text = f"{a.measure_name}: {listed}{unit}" if listed else f"{a.measure_name}: no rates"
    if missing:
        text += f" (not shown for {', '.join(missing)}: no population or too few to publish)"
    return text + "."


def population_caveat(compared: Sequence[PublicAssessment]) -> str | None:
    """Which year's population the rates use, said when it is not the bulletin's own."""
    from cdrp_lib.periods import Month
    from cdrp_lib.stats.peers import population_year

    years = sorted({a.population_year for a in compared if a.population_year is not None})
    if not years:
        return None
    end = Month.parse(compared[0].data_to or compared[0].month)
    used = ", ".join(map(str, years))
    if years == [population_year(end)]:
        return f"Rates use the ONS mid-{used} population estimates."
    return (f"Caveat: rates for the 12 months to {end.label} use the ONS mid-{used} population "
            "estimates, the latest the project holds, so a population that has grown since "
            "makes the rates read high. Councils formed later (North Northamptonshire, "
            "Somerset...) use the sum of their former districts.")


def peers_part(page: PageBase, assessments: Sequence[PublicAssessment]) -> Part:
    """The "Comparison with similar areas" section (nothing when no measure is compared)."""
    compared = _compared(assessments)
    if not compared:
        return page._html("peers", "")
    groups = sorted({a.peer_members for a in compared if a.peer_members})
    said = [f"The comparison group: {_members(page, g)}." for g in groups]
    said += [_rates(page, a) for a in compared if (a.peer_member_rates or ())]
    caveat = population_caveat(compared)
    if caveat:
        said.append(caveat)
    if any(not needs_funnel(a) for a in compared):
        said.append(FUNNELS_DRAWN)
    top = "\n".join([HEADING, INTRO, f.paragraph(said)])
    return page._figures("peers", top, lambda: _items(page, compared))


def _items(page: PageBase, compared: Sequence[PublicAssessment]
           ) -> list[tuple[Chart | Table, tuple[str, ...]]]:
    from cdrp_lib.charts import funnel_chart
    from cdrp_lib.tables import peers_table

    items: list[tuple[Chart | Table, tuple[str, ...]]] = [
        (peers_table(compared), ("similar-areas",))]
    names = {i: _name(page, i) for a in compared for i in a.peer_members}
    for a in compared:
        rates = [r for _, r, _ in (a.peer_member_rates or ()) if r is not None]
        if a.peer_average is not None and rates and needs_funnel(a):
            items.append((funnel_chart(a, names), (a.measure, "funnel-chart")))
    return items


def needs_funnel(a: PublicAssessment) -> bool:
    """A target's measure, or a measure significantly above or below its group."""
    from cdrp_lib.stats.enums import PeerPosition

    return a.target_id is not None or a.peer_position in (PeerPosition.ABOVE,
                                                          PeerPosition.BELOW)
