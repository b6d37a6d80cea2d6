"""The repeat-victimisation table: repeats, cases and rate under §9 disclosure control."""

from __future__ import annotations

from collections.abc import Sequence

from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.disclosure import SECONDARY_MARK
from cdrp_lib.stats.rounding import (
    fmt_number,
    fmt_pct,
    round_half_up_int,
)
from cdrp_lib.tables.base import (
    DECIMALS_PERCENT,
    Cell,
    Table,
    _first,
    _label,
    _make_table,
    _not_assessed,
    _numeric,
)

# ----------------------------------------------------------------------------- repeats


def _repeat_row(a: PublicAssessment) -> tuple[Cell, ...]:
    period = Cell(f"12 months to {_label(a.data_to or a.month)}")
    num_mark = a.mark_of("rolling_12_numerator")
    den_mark = a.mark_of("rolling_12_denominator")
    num, den = a.rolling_12_numerator, a.rolling_12_denominator
    if (num is None and num_mark is None) or (den is None and den_mark is None):
        missing = _not_assessed(_first(a, AssessmentPart.ROLLING))
        return (Cell(a.measure_name), period, missing, missing, missing)
    repeats_text = num_mark or fmt_number(round_half_up_int(num or 0))
    total_text = den_mark or fmt_number(round_half_up_int(den or 0))
    rate = SECONDARY_MARK if a.rolling_12 is None else fmt_pct(a.rolling_12, DECIMALS_PERCENT)
    return (Cell(a.measure_name), period, _numeric(Cell(repeats_text)),
            _numeric(Cell(total_text)), _numeric(Cell(rate)))


def repeat_table(assessments: Sequence[PublicAssessment]) -> Table:
    """Repeat counts and rates over the rolling 12 months, with §9 disclosure control.

    Counts of 1-4 print as ``<5``; a second cell is withheld as ``[c]`` when the
    hidden count could otherwise be worked out from the total
    (:func:`cdrp_lib.stats.disclosure.suppress_table`); no rate is shown on
    fewer than ``min_denominator`` cases or when either count is hidden, since
    the rate and total together would give the count away.
    """
    threshold = assessments[0].settings.suppression_threshold if assessments else 5
    min_den = assessments[0].settings.min_denominator if assessments else 10
    caption = (f"Repeat victimisation, rolling 12 months. Counts of 1 to {threshold - 1} are "
               f"shown as <{threshold}; {SECONDARY_MARK} marks a figure withheld so that a "
               f"small count cannot be worked out; no rate is given on fewer than {min_den} "
               "cases.")
    return _make_table(caption, ("Measure", "Period", "Repeat cases", "All cases",
                                 "Repeat rate"),
                       [_repeat_row(public_view(a)) for a in assessments], "repeat-table")
