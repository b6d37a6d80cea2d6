"""The comparison with similar areas: each measure against its most similar group (§5)."""

from __future__ import annotations

from collections.abc import Sequence

from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.tables.base import Cell, Table, _make_table
from cdrp_lib.tables.performance import _peer_distance_cell, _peer_position_cell

PEER_COLUMNS = ("Measure", "Difference from the group average", "Position")


def peers_table(assessments: Sequence[PublicAssessment],
                caption: str = "Comparison with the most similar group") -> Table:
    """One row per measure: its distance from the group average (with both rates) and its
    position, the same cells as its performance table, so the two cannot disagree."""
    views = [public_view(a) for a in assessments]
    rows = [(Cell(a.target_title or a.measure_name), _peer_distance_cell(a),
             _peer_position_cell(a)) for a in views]
    return _make_table(caption, PEER_COLUMNS, rows)
