"""Measure and outcome RAG ratings (methods.md §11).

A rating is computed, never typed in.  For a measure with a target ("worse"
and "better" follow its polarity):

* **G** the target is already met on the rolling 12-month position; or the
  position is on or better than the trajectory (§1) *and* the trend is sufficient (§4);
* **A** exactly one of those two is unfavourable;
* **R** both are unfavourable;
* **not assessed** (a grey "–" with the reason) when there is no target, it is
  not in force, data are insufficient or late.  When either input is unknown
  the rating is not assessed rather than guessed from the other one.

A **survey** measure has no rolling 12 months and no §4 trend (a wave is a sample
taken every quarter or so), so §11's two conditions are read in its own terms:
position is the latest wave against the target *allowing for sampling error*
(its 95% Wilson interval), progress is a significant improvement on the baseline
(§6 two-proportion test).  See :func:`survey_rag`.

An outcome scores its assessed measures G=1, A=2, R=3: mean <= 1.5 is G,
mean >= 2.5 is R, otherwise A (vehicle crime G + domestic burglary R -> 2.0 -> A).

An analyst may override a rating only with a reason, which the bulletin prints
beside it.  A rating is never shown by colour alone: :attr:`RagResult.label`
is always a letter and a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from cdrp_lib.stats.enums import (
    NotAssessedReason,
    Polarity,
    Rag,
    SignificanceLabel,
    SurveyTargetPosition,
    TrajectoryStatus,
)
from cdrp_lib.stats.survey import change_is_good

GREEN_AT_MOST = Fraction(3, 2)
RED_AT_LEAST = Fraction(5, 2)
NOT_ASSESSED_MARK = "\u2013"
NOT_ASSESSED_WORD = "Not assessed"

__all__ = [
    "GREEN_AT_MOST",
    "NOT_ASSESSED_MARK",
    "RED_AT_LEAST",
    "RagResult",
    "apply_override",
    "measure_rag",
    "outcome_rag",
    "split_outcome",
    "survey_rag",
    "survey_target_position",
    "trajectory_favourable",
]


@dataclass(frozen=True)
class RagResult:
    """A rating, or ``None`` with a reason; ``computed`` keeps the rules' rating if overridden."""

    rating: Rag | None
    reason: NotAssessedReason | None = None
    computed: Rag | None = None
    override_reason: str | None = None

    @property
    def overridden(self) -> bool:
        return self.override_reason is not None

    @property
    def label(self) -> str:
        """``"G Green"``, or ``"– Not assessed"``: never colour alone."""
        if self.rating is None:
            return f"{NOT_ASSESSED_MARK} {NOT_ASSESSED_WORD}"
        return self.rating.label


def trajectory_favourable(status: TrajectoryStatus, polarity: Polarity) -> bool:
    """On target, or beyond it in the good direction (below if lower is better)."""
    if status is TrajectoryStatus.ON:
        return True
    good = (TrajectoryStatus.ABOVE if polarity is Polarity.HIGHER_IS_BETTER
            else TrajectoryStatus.BELOW)
    return status is good


def measure_rag(
    polarity: Polarity,
    *,
    target_achieved: bool | None,
    trajectory: TrajectoryStatus | None,
    trend_sufficient: bool | None,
    reason: NotAssessedReason | None = None,
) -> RagResult:
    """The measure's rating from target achieved, position vs trajectory and trend.

    ``reason`` (e.g. no target, monitor only, target too small) makes it not
    assessed whatever the other inputs say.

    >>> measure_rag(Polarity.LOWER_IS_BETTER, target_achieved=False,
    ...             trajectory=TrajectoryStatus.ABOVE, trend_sufficient=True).rating.value
    'A'
    """
    if reason is not None:
        return RagResult(None, reason)
    if target_achieved:
        return _computed(Rag.GREEN)
    if trajectory is None or trend_sufficient is None:
        return RagResult(None, NotAssessedReason.INSUFFICIENT_DATA)
    unfavourable = (not trajectory_favourable(trajectory, polarity)) + (not trend_sufficient)
    return _computed((Rag.GREEN, Rag.AMBER, Rag.RED)[unfavourable])


def survey_target_position(
    polarity: Polarity, *, percent: float, ci_low: float, ci_high: float, target: float,
) -> SurveyTargetPosition:
    """The latest wave against its target: met, short within the margin of error, or short.

    "Met" is the wave's own percentage on the right side of the target (or on it);
    otherwise the target either lies inside the 95% interval ``[ci_low, ci_high]``
    (the wave is not significantly short of it) or the whole interval lies on the
    wrong side.  All figures are percentages on the same scale.

    >>> survey_target_position(Polarity.HIGHER_IS_BETTER, percent=58.0, ci_low=54.9,
    ...                        ci_high=61.0, target=60.0).value
    'within_margin'
    """
    higher = polarity is Polarity.HIGHER_IS_BETTER
    if (percent >= target) if higher else (percent <= target):
        return SurveyTargetPosition.MET
    if ci_low <= target <= ci_high:
        return SurveyTargetPosition.WITHIN_MARGIN
    return SurveyTargetPosition.SHORT


def survey_rag(
    polarity: Polarity,
    *,
    percent: float | None,
    ci_low: float | None,
    ci_high: float | None,
    target: float | None,
    change: SignificanceLabel | None,
    reason: NotAssessedReason | None = None,
) -> RagResult:
    """A survey measure's rating: §11's position and progress, read for a sampled wave.

    Why not :func:`measure_rag`: a survey has no rolling 12-month position to set
    against a trajectory and too few waves for a §4 trend, so every survey would
    be "not enough data" for ever.  The two conditions keep §11's spirit:

    * **G** the latest wave meets the target (by polarity), as "target already
      achieved" is G for counts;
    * **A** not met, but either the target lies inside the wave's 95% Wilson
      interval (the shortfall may be sampling noise) or the change from the
      baseline is a significant improvement (§6): one condition is favourable;
    * **R** the whole interval lies on the wrong side of the target and there is
      no significant improvement: both conditions are unfavourable.

    ``change`` is the §6 label of the latest wave against the pooled baseline;
    when it is unknown and the wave is significantly short, amber cannot be told
    from red, so the rating is not assessed rather than guessed.  ``reason``
    (no target, not in force...) makes it not assessed whatever the figures say.

    >>> survey_rag(Polarity.HIGHER_IS_BETTER, percent=55.0, ci_low=51.9, ci_high=58.1,
    ...            target=60.0, change=SignificanceLabel.SIGNIFICANT_INCREASE).rating.value
    'A'
    """
    if reason is not None:
        return RagResult(None, reason)
    if percent is None or ci_low is None or ci_high is None or target is None:
        return RagResult(None, NotAssessedReason.INSUFFICIENT_DATA)
    position = survey_target_position(polarity, percent=percent, ci_low=ci_low,
                                      ci_high=ci_high, target=target)
    if position is SurveyTargetPosition.MET:
        return _computed(Rag.GREEN)
    if position is SurveyTargetPosition.WITHIN_MARGIN:
        return _computed(Rag.AMBER)
    if change is None:
        return RagResult(None, NotAssessedReason.INSUFFICIENT_DATA)
    return _computed(Rag.AMBER if change_is_good(change, polarity) else Rag.RED)


def _computed(rating: Rag) -> RagResult:
    return RagResult(rating, None, rating)


def outcome_rag(ratings: Sequence[Rag | RagResult | None]) -> RagResult:
    """Mean score of the assessed measures: <= 1.5 G, >= 2.5 R, else A.

    With no assessed measure the outcome is not assessed, with the measures'
    shared reason when they all give the same one, else insufficient data.
    """
    assessed: list[Rag] = []
    reasons: set[NotAssessedReason] = set()
    for r in ratings:
        rating = r.rating if isinstance(r, RagResult) else r
        if rating is not None:
            assessed.append(rating)
        elif isinstance(r, RagResult) and r.reason is not None:
            reasons.add(r.reason)
    if not assessed:
        reason = reasons.pop() if len(reasons) == 1 else NotAssessedReason.INSUFFICIENT_DATA
        return RagResult(None, reason)
    mean = Fraction(sum(r.score for r in assessed), len(assessed))
    if mean <= GREEN_AT_MOST:
        return _computed(Rag.GREEN)
    if mean >= RED_AT_LEAST:
        return _computed(Rag.RED)
    return _computed(Rag.AMBER)


def split_outcome(ratings: Sequence[Rag | RagResult | None]) -> tuple[Rag, Rag] | None:
    """The two ratings an outcome is shown with when its measures disagree evenly, better
    first; None when one letter says it (docs/assumptions.md, Ratings).

    Two letters exactly when the mean score of the assessed measures lies on a boundary of
    :func:`outcome_rag` (1.5: ``G/A``; 2.5: ``A/R``): the measures pull as hard one way as
    the other, and the methods' tie (G at 1.5, R at 2.5) would hide it.  Any other mean is
    one letter, so green and red measures still average to amber (the bulletin's D3a),
    while amber and red show as the bulletin's O1c does, ``A/R``.
    """
    assessed = [r.rating if isinstance(r, RagResult) else r for r in ratings]
    scores = [r.score for r in assessed if r is not None]
    if len(set(scores)) < 2:  # one rating, or none: no disagreement
        return None
    mean = Fraction(sum(scores), len(scores))
    if mean == GREEN_AT_MOST:
        return Rag.GREEN, Rag.AMBER
    if mean == RED_AT_LEAST:
        return Rag.AMBER, Rag.RED
    return None


def apply_override(result: RagResult, rating: Rag, reason: str) -> RagResult:
    """An analyst's rating from params, which must give a reason (printed beside it).

    Raises ValueError for a blank reason: params validation should have caught it.
    """
    if not reason or not reason.strip():
        raise ValueError("a RAG override needs a reason, which the bulletin prints beside it")
    return RagResult(rating, None, result.rating, reason.strip())
