"""The reference bulletin's six-row performance table of one measure."""

from __future__ import annotations

from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.narrative import PEER_RATE_UNIT
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.enums import (
    Polarity,
)
from cdrp_lib.stats.rounding import (
    fmt_number,
    fmt_pct,
    fmt_signed,
    fmt_signed_pct,
    round_half_up_int,
)
from cdrp_lib.stats.units import fmt_level, is_rate, noun_for
from cdrp_lib.tables.base import (
    DECIMALS_PEER_RATE,
    DECIMALS_PERCENT,
    GOOD,
    NOT_APPLICABLE,
    Cell,
    Table,
    _first,
    _judgement,
    _label,
    _level,
    _level_noun,
    _make_table,
    _not_assessed,
    _numeric,
    _position_good,
    _withheld,
)

ROW_REDUCTION = "Reduction required from current position to meet target"
ROW_INCREASE = "Increase required from current position to meet target"
ROW_TREND = "Long-term trend sufficient to meet target"
ROW_PAST_MONTH = "Performance over the past month"
ROW_COMPARISON = "Comparative performance over the past 12 months ending in current month"
ROW_PEER_DISTANCE = "Distance away from MS group average"
ROW_PEER_POSITION = "Position against MS group average"


# ----------------------------------------------------------------------------- performance


def _reduction_cell(a: PublicAssessment) -> Cell:
    if a.is_withheld("reduction_required_pct"):
        return _withheld()
    if a.target_achieved:
        return Cell(NOT_APPLICABLE, "target met", GOOD)
    if a.reduction_required_pct is not None:
        return _numeric(Cell(fmt_pct(a.reduction_required_pct, DECIMALS_PERCENT)))
    return _not_assessed(_first(a, AssessmentPart.TARGET, AssessmentPart.ROLLING,
                                AssessmentPart.TRAJECTORY))


def _trend_cell(a: PublicAssessment) -> Cell:
    if a.trend_sufficient is None:
        reason = _first(a, AssessmentPart.TARGET, AssessmentPart.TREND)
        return _not_assessed(reason)
    note = ""
    if a.trend_projection is not None:
        by = f" by {_label(a.target_by)}" if a.target_by else ""
        note = f"projected {_level(a, a.trend_projection)}{by}"
    return Cell("Yes" if a.trend_sufficient else "No", note, _judgement(a.trend_sufficient))


def _past_month_cell(a: PublicAssessment) -> Cell:
    if a.past_month is None:
        return _not_assessed(_first(a, AssessmentPart.PAST_MONTH))
    note = ""
    if a.month_value is not None:
        when = f" in {_label(a.data_to)}" if a.data_to else ""
        # a rate's month is a count (the Poisson test is on counts)
        shown = (fmt_level("count", a.month_value, a.count_noun) if is_rate(a.unit)
                 else _level_noun(a, a.month_value))
        note = f"{shown}{when}"
        if a.expected_low is not None and a.expected_high is not None:
            note += f"; expected {fmt_number(a.expected_low)} to {fmt_number(a.expected_high)}"
    return Cell(a.past_month.words, note, _judgement(_position_good(a.past_month, a.polarity)))


def _comparison_cell(a: PublicAssessment) -> Cell:
    if a.is_withheld("change_12m", "change_12m_pct", "change_12m_pp", "rolling_12"):
        return _withheld()
    if a.is_proportion:
        pp = a.change_12m_pp if a.change_12m_pp is not None else a.change_12m
        if pp is None:
            return _not_assessed(_first(a, AssessmentPart.COMPARISON))
        return _numeric(Cell(f"{fmt_signed(pp, DECIMALS_PERCENT)} percentage points",
                             _significance_note(a)))
    if a.change_12m is None:
        return _not_assessed(_first(a, AssessmentPart.COMPARISON))
    if a.unit not in COUNTED_UNITS:  # a rate or a mean: the two positions, in the unit
        previous = a.previous_rolling_12
        note = "" if a.rolling_12 is None or previous is None else (
            f"{_level_noun(a, a.rolling_12)} against {_level_noun(a, previous)}")
        if a.change_12m_pct is None:
            return _numeric(Cell("n/a", note))
        return _numeric(Cell(fmt_signed_pct(a.change_12m_pct, DECIMALS_PERCENT), note))
    size = fmt_number(abs(a.change_12m))
    word = "fewer" if a.change_12m < 0 else "more"
    change = f"{size} {word} {noun_for(size, a.count_noun)}"
    if a.change_12m_pct is None:
        return _numeric(Cell("n/a", f"{change}; none in the previous 12 months"))
    note = change if round_half_up_int(a.change_12m) else ""
    extra = _significance_note(a)
    note = "; ".join(x for x in (note, extra) if x)
    return _numeric(Cell(fmt_signed_pct(a.change_12m_pct, DECIMALS_PERCENT), note))


def _significance_note(a: PublicAssessment) -> str:
    if a.change_12m_significant is None:
        return ""
    return "statistically significant" if a.change_12m_significant else "not significant"


def _peer_distance_cell(a: PublicAssessment) -> Cell:
    if a.is_withheld("peer_distance_pct"):
        return _withheld()
    if a.peer_distance_pct is None:
        return _not_assessed(_first(a, AssessmentPart.PEERS))
    note = ""
    if a.peer_rate is not None and a.peer_average is not None:
        if a.is_proportion:
            note = f"{fmt_pct(a.peer_rate)} against {fmt_pct(a.peer_average)}"
        else:
            note = (f"{fmt_number(a.peer_rate, DECIMALS_PEER_RATE)} {PEER_RATE_UNIT} against "
                    f"{fmt_number(a.peer_average, DECIMALS_PEER_RATE)}")
    return _numeric(Cell(fmt_signed_pct(a.peer_distance_pct, DECIMALS_PERCENT), note))


def _peer_position_cell(a: PublicAssessment) -> Cell:
    if a.peer_position is None:
        return _not_assessed(_first(a, AssessmentPart.PEERS))
    return Cell(a.peer_position.words, "",
                _judgement(_position_good(a.peer_position, a.polarity)))


#: Units whose 12-month change is a number of things (crimes, offences), not of a rate.
COUNTED_UNITS = frozenset({"count", "percent", "cohort_offences"})
ROW_CEILING = "Offences to date against the pro-rata allowance"


def _position_row(a: PublicAssessment) -> tuple[Cell, Cell] | None:
    """The current position in its unit, first, for a measure not counted in plain
    crimes: a rate, a twelve-month mean (its span) or a cohort's offences to date."""
    if a.unit in ("count", "percent"):
        return None
    if a.unit == "cohort_offences":
        if a.is_withheld("rolling_12"):
            return Cell(ROW_CEILING), _withheld()
        if a.rolling_12 is None:
            return Cell(ROW_CEILING), _not_assessed(_first(a, AssessmentPart.ROLLING))
        note = "" if a.trajectory_target is None else \
            f"allowance {fmt_number(a.trajectory_target, 1)} of {fmt_number(a.ceiling_limit)}"
        return Cell(ROW_CEILING), _numeric(Cell(_level_noun(a, a.rolling_12), note))
    label = (f"Twelve-month mean over the last {(a.mean_span_months or 12) // 12} years"
             if a.unit == "mean_12_months" else "Current rate, rolling 12 months")
    if a.is_withheld("rolling_12"):
        return Cell(label), _withheld()
    if a.rolling_12 is None:
        return Cell(label), _not_assessed(_first(a, AssessmentPart.ROLLING))
    when = f"to {_label(a.data_to)}" if a.data_to else ""
    return Cell(label), _numeric(Cell(_level_noun(a, a.rolling_12), when))


def performance_table(a: PublicAssessment) -> Table:
    """The reference bulletin's six-row performance table for one measure.

    Reduction (or increase) required, long-term trend sufficient, performance
    over the past month with the expected range, the 12-month comparison, and
    the distance from and position against the most similar group average.  A
    measure in a unit other than crimes or a percentage starts with its position
    in that unit (a rate, a twelve-month mean, a cohort's offences to date).
    """
    a = public_view(a)
    first = ROW_INCREASE if a.polarity is Polarity.HIGHER_IS_BETTER else ROW_REDUCTION
    position = _position_row(a)
    if a.unit == "cohort_offences":  # as the model bulletin's NI19: the allowance, the pace
        rows = [r for r in (position, (Cell(ROW_TREND), _trend_cell(a)),
                            (Cell(ROW_PAST_MONTH), _past_month_cell(a))) if r is not None]
        return _make_table(f"{a.measure_name}: performance summary, "
                           f"{_label(a.data_to or a.month)}", ("Measure", "Assessment"), rows,
                           "performance-table")
    rows = [
        *([position] if position is not None else []),
        (Cell(first), _reduction_cell(a)),
        (Cell(ROW_TREND), _trend_cell(a)),
        (Cell(ROW_PAST_MONTH), _past_month_cell(a)),
        (Cell(ROW_COMPARISON), _comparison_cell(a)),
        (Cell(ROW_PEER_DISTANCE), _peer_distance_cell(a)),
        (Cell(ROW_PEER_POSITION), _peer_position_cell(a)),
    ]
    when = _label(a.data_to or a.month)
    caption = f"{a.measure_name}: performance summary, {when}"
    return _make_table(caption, ("Measure", "Assessment"), rows, "performance-table")
