"""The funnel chart: each member of the comparison group, rate against population (§5).

Limits narrow as the population grows, so a small partnership's high rate is not
mistaken for a real difference.  The curves are :func:`cdrp_lib.stats.peers.funnel_curve`
at the inner (95%) and outer (99.8%) levels around the group average, with the group's
own overdispersion: the limits the comparison table's position was decided by, so a
point drawn outside the inner curve is one the table calls significantly different.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdrp_lib import palette
from cdrp_lib.charts.base import (
    DECIMALS_RATE,
    LINE_WIDTH,
    MARKER_SIZE,
    WIDE_SIZE,
    Chart,
    _chart,
    _csv,
    _csv_number,
    _legend,
    _style,
)
from cdrp_lib.charts.svg import _figure
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.peers import PER_HUNDRED, PER_THOUSAND, funnel_curve
from cdrp_lib.stats.rounding import fmt_number

CURVE_POINTS = 60
OWN_MARKER = "D"
MEMBER_MARKER = "o"


def funnel_chart(a: PublicAssessment, names: dict[str, str] | None = None) -> Chart:
    """Rate per 1,000 (or %) of every group member against its population, with limits.

    ``names`` maps member ids to the names printed in the CSV and alt text.  Raises
    ValueError when the Assessment has no group average to draw around (the page
    shows a funnel only for a measure compared).
    """
    a = public_view(a)
    names = names or {}
    members = [(i, r, n) for i, r, n in (a.peer_member_rates or ()) if r is not None and n]
    if a.peer_average is None or not members:
        raise ValueError(f"{a.measure_name}: no comparison to draw a funnel for")
    proportion = a.kind == "proportion"
    unit = "%" if proportion else " per 1,000"
    per = PER_HUNDRED if proportion else PER_THOUSAND
    sizes = [float(n) for _, _, n in members if n is not None]
    low, high = min(sizes) * 0.5, max(sizes) * 1.2
    grid = [low + (high - low) * k / (CURVE_POINTS - 1) for k in range(CURVE_POINTS)]
    curve = funnel_curve(a.peer_average, grid, a.settings, phi=a.peer_phi or 1.0, per=per,
                         binomial=proportion)
    what = "Denominator" if proportion else "Population"
    title = f"{a.measure_name}: rate against {what.lower()}, {a.partnership_name} and its group"
    from matplotlib.ticker import FuncFormatter

    with _style():
        fig, (ax,) = _figure(WIDE_SIZE)
        xs = [c[0] for c in curve]
        ax.axhline(a.peer_average, color=palette.MUTED, linewidth=LINE_WIDTH,
                   label=f"Group average ({fmt_number(a.peer_average, DECIMALS_RATE)}{unit})")
        ax.plot(xs, [c[1].upper for c in curve], color=palette.INK, linestyle="--",
                label=f"{a.settings.funnel_level:.0%} limits")
        ax.plot(xs, [c[1].lower for c in curve], color=palette.INK, linestyle="--")
        ax.plot(xs, [c[2].upper for c in curve], color=palette.INK, linestyle=":",
                label=f"{a.settings.funnel_outer_level:.1%} limits")
        ax.plot(xs, [c[2].lower for c in curve], color=palette.INK, linestyle=":")
        others = [(n, r) for i, r, n in members if i != a.partnership]
        ax.plot([float(n) for n, _ in others if n], [r for _, r in others], MEMBER_MARKER,
                color=palette.MUTED, markersize=MARKER_SIZE, label="Other members")
        own = [(n, r) for i, r, n in members if i == a.partnership]
        ax.plot([float(n) for n, _ in own if n], [r for _, r in own], OWN_MARKER,
                color=palette.INK, markersize=MARKER_SIZE + 1, label=a.partnership_name)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(float(v), 0)))
        ax.set_xlabel(what)
        ax.set_ylabel(f"Rate{unit}")
        _legend(fig)
        rows = [(names.get(i, i), _csv_number(n), _csv_number(r)) for i, r, n in members]
        rate = "rate_percent" if proportion else "rate_per_1000"
        table = _csv(("member", what.lower(), rate), rows)
        # no month axis: the legend's markers are read back, no point is a month
        return _chart(fig, title, _alt(a, members, names, unit), table, labels=())


def _alt(a: PublicAssessment, members: Sequence[tuple[str, float | None, float | None]],
         names: dict[str, str], unit: str) -> str:
    assert a.peer_average is not None
    pct = "%" if unit == "%" else ""
    listed = "; ".join(f"{names.get(i, i)} {fmt_number(r, DECIMALS_RATE)}{pct}"
                       for i, r, _ in members if r is not None)
    where = {"above": "above the upper limit", "below": "below the lower limit",
             "in_line": "within the limits"}
    position = a.peer_position.value if a.peer_position is not None else None
    said = f" {a.partnership_name} is {where[position]}." if position in where else ""
    return (f"Funnel chart of {a.measure_name}: group average "
            f"{fmt_number(a.peer_average, DECIMALS_RATE)}{unit}; members' "
            f"{'percentages' if pct else 'rates' + unit}: "
            f"{listed}.{said}")
