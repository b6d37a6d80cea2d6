"""One measure, one partnership, one month -> an :class:`~cdrp_lib.assessment.Assessment`.

:func:`assess` is a pure function of in-memory data (pandas Series indexed by
``YYYY-MM`` with NaN for a missing month).  It computes nothing itself: every
figure comes from :mod:`cdrp_lib.stats` (one method per module, methods.md
§0-§11).  What it adds is the glue the methods leave open, decided here once:

* **The month assessed (§13).**  A bulletin for month ``M`` uses the source up
  to its latest month with data not after ``M`` (``data_to``); every figure is
  for that month.  No data at all, or data older than ``max_lag_months``,
  gives "source late".
* **Targets (§1).**  Each target kind in params becomes a baseline ``B``, a
  target ``T`` and a trajectory.  ``B`` is always computed from the same
  series as the current position (the rolling 12 months ending at the
  baseline's last month), never copied from a plan, so the two are comparable:

  ==============  ===========================================================
  reduction       count: ``D = ceil(B*r)`` (or half-up); proportion: ``B*(1-r)``
  level / rate    ``T`` = the level (a rate per 1,000 is turned into a count
                  with the partnership's population)
  increase        ``percent`` as a negative reduction; ``amount``: ``B + a``; ``to``
  improvement     better than the baseline year: one crime fewer (more, when
                  higher is better); for a proportion, no worse
  maintenance     ``T = B`` (a zero-width band)
  milestones      each strategy year is its own §1 trajectory from the previous
                  year's level to this year's; the last level is ``T``
  survey          ``T`` = the percentage (or index); ``B`` = the baseline waves pooled
  monitor         no target: everything but the rating is still computed
  ==============  ===========================================================

  Strategy month ``m = t - start + 1``; a month before the strategy start is
  "target not in force"; after the end ``T`` is held (§1 edge cases).
* **Proportions (§8).**  Repeat and detection rates come as numerator and
  denominator series; the rolling rate is ``100*sum(num)/sum(den)`` over 12
  months, and every level of a proportion measure is a percentage.  The
  past-month test (§2) is for counts, so it is not applied to proportions;
  their 12-month change is in percentage points and is not tested.
* **Surveys (§6).**  The position is the latest wave, the baseline the waves
  of the baseline period pooled; rolling sums, the trajectory, the past-month
  test, the 12-month comparison, peers, SPC and the trend (a handful of waves
  cannot support a 24-point fit) do not apply.  The rating is
  :func:`~cdrp_lib.stats.rag.survey_rag`: the wave against the target allowing
  for its 95% interval, and the significance of the change from the baseline.
* **Parts that do not apply** to a measure (those above for a survey, the
  Poisson past-month test for a proportion, the survey part for anything else)
  are ``None`` with :attr:`~cdrp_lib.stats.enums.NotAssessedReason.NOT_APPLICABLE`
  in ``reasons``, so every missing figure carries a reason; narrative never
  prints that one.
* **SPC (§7)** charts the last :data:`SPC_MONTHS` monthly values; its target
  is the target on the monthly scale (``T/12`` for counts).
* **Disclosure (§9)** applies to domestic-abuse measures and sub-areas.

:func:`assess_partnership` gathers series, targets, peers and populations from
the store and params and calls :func:`assess` per measure.

The package is split by step: :mod:`~cdrp_lib.assess.levels` (the series on
one month axis), :mod:`~cdrp_lib.assess.targets` (a target as numbers),
:mod:`~cdrp_lib.assess.parts` (one function per methods section),
:mod:`~cdrp_lib.assess.measure` (:func:`assess` itself, with disclosure
control) and :mod:`~cdrp_lib.assess.partnership` (from the store and params).
Import from ``cdrp_lib.assess``: every public name is here.
"""

from __future__ import annotations

from cdrp_lib.assess.levels import PERCENT, SurveyWave
from cdrp_lib.assess.measure import assess, count_noun
from cdrp_lib.assess.partnership import assess_months, assess_partnership, cached_params
from cdrp_lib.assess.parts import MONTHLY_PER_ANNUAL, SPC_MONTHS
from cdrp_lib.assess.targets import PER_UNIT, AnyTarget

__all__ = [
    "MONTHLY_PER_ANNUAL",
    "PERCENT",
    "PER_UNIT",
    "SPC_MONTHS",
    "AnyTarget",
    "SurveyWave",
    "assess",
    "assess_months",
    "assess_partnership",
    "cached_params",
    "count_noun",
]
