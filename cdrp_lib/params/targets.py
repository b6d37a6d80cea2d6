"""Targets as the plans state them: periods, baselines and the nine target kinds.

A target is validated as a discriminated union on ``kind`` (:data:`Target`), so
an analyst who writes ``kind: reduction`` is told about a reduction's keys only.
What a target means in numbers (``B``, ``T``, the trajectory) is decided by
:mod:`cdrp_lib.assess`; here it is only the plan's wording, checked.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, model_validator

from cdrp_lib.params.fields import (
    MAX_PERCENT,
    MAX_SOURCE_LAG_MONTHS,
    FinancialYearStr,
    Frozen,
    MonthStr,
    RagRating,
    RateUnit,
    Slug,
    SurveyUnit,
    Text,
    Theme,
    financial_year_text,
)
from cdrp_lib.periods import Month, financial_year_months
from cdrp_lib.stats.enums import Polarity


class TargetRounding(StrEnum):
    """How a count target is turned into whole crimes (methods §1).

    ``ceiling``: the drop is rounded up (Northamptonshire); ``half_up``: the
    target level is rounded to nearest (South Derbyshire's final targets);
    ``floor_steps``: yearly milestones ``floor(B - (B - T)·k/K)`` (South
    Derbyshire's steps).
    """

    CEILING = "ceiling"
    HALF_UP = "half_up"
    FLOOR_STEPS = "floor_steps"


# --------------------------------------------------------------------------- periods


class Period(Frozen):
    """A span of whole months: a strategy period, or (as :class:`Baseline`) a baseline.

    Written ``{start: 2024-04, end: 2027-03}``, or as a financial year
    ``2007/08`` (also ``{period: 2007/08}``), which keeps the year as its label.
    """

    start: MonthStr
    end: MonthStr
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand_financial_year(cls, data: Any) -> Any:
        if isinstance(data, (str, date)):
            return _period_from_year(data)
        if isinstance(data, dict) and "period" in data:
            rest = {k: v for k, v in data.items() if k != "period"}
            return {**rest, **_period_from_year(data["period"])}
        return data

    @property
    def first(self) -> Month:
        return Month.parse(self.start)

    @property
    def last(self) -> Month:
        return Month.parse(self.end)

    @property
    def months(self) -> int:
        """Number of months in the period, both ends included."""
        return self.last.minus(self.first) + 1

    @property
    def title(self) -> str:
        """``2007/08`` for a financial year, else ``April 2024 to March 2027``."""
        return self.label or f"{self.first.label} to {self.last.label}"

    def contains(self, month: str | Month) -> bool:
        m = month if isinstance(month, Month) else Month.parse(month)
        return self.first <= m <= self.last


def _period_from_year(value: object) -> dict[str, str]:
    fy = financial_year_text(value)
    first, last = financial_year_months(fy)
    return {"start": str(first), "end": str(last), "label": fy}


class Baseline(Period):
    """The baseline period and, where the plan states it, the baseline figure.

    ``value`` is the figure as the plan printed it (913 recorded crimes, 20.7%);
    the assessment computes its own baseline from the store, so the two can be
    compared.
    """

    value: float | None = Field(None, ge=0)


# --------------------------------------------------------------------------- targets


class RagOverride(Frozen):
    """An analyst's rating in place of the computed one; the bulletin prints the reason.

    ``until`` (a month) ends it: for a later bulletin month the computed rating
    is shown again, and the run says the override has expired.  ``by`` names who
    set it (a person or a role), printed beside the reason.
    """

    rating: RagRating
    reason: Text
    until: MonthStr | None = None
    by: Text | None = None

    def applies_in(self, month: str | Month) -> bool:
        """Whether the override still applies to a bulletin for ``month``."""
        m = month if isinstance(month, Month) else Month.parse(month)
        return self.until is None or m <= Month.parse(self.until)


class SubArea(Frozen):
    """The part of the partnership a target is about (a ward, a town centre).

    ``partnership`` names the params partnership that defines the sub-area's
    LSOAs; without it the target is kept but cannot be computed.
    """

    name: Text
    partnership: Slug | None = None


class _TargetBase(Frozen):
    """What every target states, whatever its kind."""

    id: Slug
    outcome: Text
    outcome_title: Text
    title: Text
    theme: Theme
    lead: Text
    polarity: Polarity
    rounding: TargetRounding = TargetRounding.CEILING
    sub_area: SubArea | None = None
    rag_override: RagOverride | None = None
    notes: tuple[Text, ...] = ()
    caveats: tuple[Text, ...] = ()
    data_source: Text | None = None
    lag_months: int | None = Field(None, ge=0, le=MAX_SOURCE_LAG_MONTHS)
    # The measure as this plan names it in its sentences ("Vehicle Crime", "crimes committed
    # against school aged children"), where it differs from measures.yaml's name.
    measure_name: Text | None = None


class _SetTarget(_TargetBase):
    """A target with a measure, a baseline and a strategy period (every kind but monitor)."""

    measure: Slug
    baseline: Baseline
    strategy: Period

    @property
    def target_date(self) -> str:
        """The month by which the target is to be met (the strategy's last month)."""
        return self.strategy.end

    def in_force(self, month: str | Month) -> bool:
        return self.strategy.contains(month)


class ReductionTarget(_SetTarget):
    """A percentage reduction from the baseline by the end of the strategy."""

    kind: Literal["reduction"]
    percent: float = Field(gt=0, le=MAX_PERCENT)
    stated_change: float | None = Field(None, ge=0)  # the drop the plan printed, "5.0% (46)"


class LevelTarget(_SetTarget):
    """An absolute level to reach by the end of the strategy (a 12-month count)."""

    kind: Literal["level"]
    value: float = Field(ge=0)


class RateTarget(_SetTarget):
    """A rate or proportion to reach: a percentage of a proportion measure, or per population."""

    kind: Literal["rate"]
    value: float = Field(ge=0)
    unit: RateUnit = "percent"


class IncreaseTarget(_SetTarget):
    """An increase: by a percentage, by an absolute amount, or to a level (exactly one)."""

    kind: Literal["increase"]
    percent: float | None = Field(None, gt=0)
    amount: float | None = Field(None, gt=0)
    to: float | None = Field(None, ge=0)


class ImprovementTarget(_SetTarget):
    """Better than last year: the strategy's 12 months better than the baseline year."""

    kind: Literal["improvement"]


class MaintenanceTarget(_SetTarget):
    """No worse than the baseline."""

    kind: Literal["maintenance"]


class MilestonesTarget(_SetTarget):
    """Stepped yearly milestones: one level per strategy financial year, the last the target."""

    kind: Literal["milestones"]
    steps: dict[FinancialYearStr, Annotated[float, Field(ge=0)]]

    @property
    def final_level(self) -> float:
        return self.steps[max(self.steps)]


class SurveyTarget(_SetTarget):
    """A survey percentage to reach by the end of the strategy.

    ``unit`` is always ``percent``: survey measures are shares of respondents, so
    an index score (a Citizens Panel index, say) cannot be computed or compared
    with them.  ``index`` is refused with a pointer to ``kind: monitor``, which
    keeps the plan's wording in ``plan_target``.
    """

    kind: Literal["survey"]
    value: float = Field(ge=0)
    unit: SurveyUnit = "percent"


class CeilingTarget(_TargetBase):
    """A cohort's ceiling over a period: "the cohort of 371 young offenders should not
    commit more than 603 offences over 2009/10" (issue 11).

    ``limit`` is the most the cohort may reach over ``period`` (a financial year or
    months); ``cohort`` the cohort's size as the plan states it (the data carry their
    own, in the series' denominator).  It is tracked as the offences to date against a
    pro-rata allowance (:func:`cdrp_lib.stats.units.pro_rata_allowance`); the measure's
    unit is ``cohort_offences``.  Lower is better: a ceiling is never a floor.
    """

    kind: Literal["ceiling"]
    measure: Slug
    limit: float = Field(gt=0)
    cohort: int | None = Field(None, gt=0)
    cohort_noun: Text = "offenders"  # who the cohort are: "young offenders"
    period: Period

    @model_validator(mode="after")
    def _lower_is_better(self) -> CeilingTarget:
        if self.polarity is not Polarity.LOWER_IS_BETTER:
            raise ValueError("`polarity` must be lower_is_better for a ceiling (the most a "
                             f"cohort may reach), got {self.polarity.value}")
        return self

    @property
    def strategy(self) -> Period:
        """The period the ceiling covers (what other targets call their strategy)."""
        return self.period

    @property
    def baseline(self) -> None:
        """A ceiling has no baseline: it starts from none used."""
        return None

    def in_force(self, month: str | Month) -> bool:
        return self.period.contains(month)


class MonitorTarget(_TargetBase):
    """No target, monitored only: always with the reason (data unreliable, no public data...).

    ``plan_target`` keeps the plan's own wording of a target that cannot be
    computed ("40 a year", "11% to 8% by 2007/08").
    """

    kind: Literal["monitor"]
    reason: Text
    measure: Slug | None = None
    baseline: Baseline | None = None
    strategy: Period | None = None
    plan_target: Text | None = None

    def in_force(self, month: str | Month) -> bool:
        return self.strategy is None or self.strategy.contains(month)


SetTarget = (ReductionTarget | LevelTarget | RateTarget | IncreaseTarget | ImprovementTarget
             | MaintenanceTarget | MilestonesTarget | SurveyTarget)
#: Every target kind as a type (what ``Target`` validates to).
AnyTarget = SetTarget | CeilingTarget | MonitorTarget
Target = Annotated[AnyTarget, Field(discriminator="kind")]
TARGET_KINDS: tuple[str, ...] = (
    "reduction", "level", "rate", "increase", "improvement", "maintenance", "milestones",
    "survey", "ceiling", "monitor",
)
TARGET_ADAPTER: TypeAdapter[SetTarget | CeilingTarget | MonitorTarget] = TypeAdapter(Target)
# Keys a partnership's `target_defaults` may set for all its targets.
TARGET_DEFAULT_KEYS = frozenset({
    "baseline", "strategy", "lead", "rounding", "data_source", "lag_months", "outcome", "theme",
    "outcome_title", "caveats", "notes",
})
