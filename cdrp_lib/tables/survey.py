"""The survey table: each wave with its interval, sample size and change from baseline (§6)."""

from __future__ import annotations

from collections.abc import Sequence

from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    Polarity,
    SignificanceLabel,
)
from cdrp_lib.stats.rounding import (
    fmt_number,
    fmt_pct,
    fmt_signed,
)
from cdrp_lib.tables.base import (
    DECIMALS_PERCENT,
    PERCENT,
    Cell,
    Table,
    _first,
    _judgement,
    _label,
    _make_table,
    _not_assessed,
    _numeric,
)

# ----------------------------------------------------------------------------- survey


def _significance_good(label: SignificanceLabel, polarity: Polarity) -> bool | None:
    if label is SignificanceLabel.NO_SIGNIFICANT_CHANGE:
        return None
    up = label is SignificanceLabel.SIGNIFICANT_INCREASE
    return up if polarity is Polarity.HIGHER_IS_BETTER else not up


def _survey_row(a: PublicAssessment) -> tuple[Cell, ...]:
    wave = Cell(a.survey_wave or _label(a.month))
    measure = Cell(a.measure_name)
    if a.survey_percent is None:
        missing = _not_assessed(_first(a, AssessmentPart.SURVEY))
        return (wave, measure, missing, missing, missing, missing, missing)
    ci = (f"{fmt_pct(a.survey_ci_low, DECIMALS_PERCENT)} to "
          f"{fmt_pct(a.survey_ci_high, DECIMALS_PERCENT)}"
          if a.survey_ci_low is not None and a.survey_ci_high is not None else None)
    n = _numeric(Cell(fmt_number(a.survey_n))) if a.survey_n is not None else \
        _not_assessed(NotAssessedReason.INSUFFICIENT_DATA)
    if a.survey_change_pp is not None and a.baseline_percent is not None:
        base = f"baseline {a.baseline_label} " if a.baseline_label else "baseline "
        change = _numeric(Cell(fmt_signed(a.survey_change_pp, DECIMALS_PERCENT),
                               base + fmt_pct(a.baseline_percent, DECIMALS_PERCENT)))
    else:
        change = _not_assessed(_first(a, AssessmentPart.TARGET) or
                               NotAssessedReason.INSUFFICIENT_DATA)
    if a.survey_significance is not None:
        words = a.survey_significance.words.removeprefix("a ")
        significance = Cell(words[:1].upper() + words[1:], "",
                            _judgement(_significance_good(a.survey_significance, a.polarity)))
    else:
        significance = _not_assessed(_first(a, AssessmentPart.TARGET) or
                                     NotAssessedReason.INSUFFICIENT_DATA)
    return (wave, measure, _numeric(Cell(fmt_pct(a.survey_percent, DECIMALS_PERCENT))),
            Cell(ci) if ci else _not_assessed(_first(a, AssessmentPart.SURVEY)),
            n, change, significance)


def survey_table(assessments: Sequence[PublicAssessment]) -> Table:
    """Survey waves: %, 95% CI, effective sample size, change from baseline, significance.

    One row per PublicAssessment (pass one per wave to list every wave), ordered by
    measure and month.
    """
    ordered = sorted(map(public_view, assessments), key=lambda a: (a.measure_name, a.month))
    names = list(dict.fromkeys(a.measure_name for a in ordered))
    caption = "Survey results" + (f": {names[0]}" if len(names) == 1 else "")
    level = fmt_pct(ordered[0].settings.survey_level * PERCENT, 0) if ordered else "95%"
    return _make_table(
        caption,
        ("Wave", "Measure", "Percentage", f"{level} confidence interval",
         "Effective sample size", "Change from baseline (percentage points)", "Significance"),
        [_survey_row(a) for a in ordered], "survey-table")
