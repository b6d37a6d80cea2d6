"""The immutable result of assessing one measure for one partnership and one month.

An :class:`Assessment` is everything a bulletin states about a measure: the
figures and statuses of every method in methods.md (§1-§11), the rating, the
reasons for whatever could not be computed, the history the charts draw and
the sentences of the narrative.  Tables, charts and narrative read it and never
compute anything themselves, so they cannot disagree with one another (§12).

Conventions (fixed here because every consumer relies on them):

* every figure is ``None`` when it cannot be computed, and ``reasons`` then
  maps the part (an :class:`AssessmentPart`) to a
  :class:`~cdrp_lib.stats.enums.NotAssessedReason`; nothing is ever made up;
* months are ``YYYY-MM`` strings;
* figures are unrounded floats: display rounding belongs to tables and
  narrative (ROUND_HALF_UP, :mod:`cdrp_lib.stats.rounding`);
* count measures carry counts (rolling 12-month sums of crimes or incidents);
  proportion measures (``kind == "proportion"``: repeat rates, detection rates,
  survey percentages) carry **percentages in 0..100** everywhere a level is
  given (``rolling_12``, ``month_value``, ``baseline_value``, ``target_value``,
  trajectory, trend, history), and their changes are in percentage points
  (``change_12m`` and ``change_12m_pp``).

:meth:`Assessment.to_json` gives plain JSON types; :func:`assessment_from_json`
reads that back, so a notebook may load a saved Assessment.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Literal, get_args

from cdrp_lib.stats.enums import (
    AssuranceIcon,
    NotAssessedReason,
    PastMonth,
    PeerPosition,
    Polarity,
    Rag,
    SignificanceLabel,
    SpcPointType,
    SpcRule,
    TrajectoryStatus,
    TrendMethod,
    VariationIcon,
)
from cdrp_lib.stats.settings import MethodSettings

__all__ = [
    "Assessment",
    "AssessmentPart",
    "HistoryPoint",
    "MeasureKind",
    "SpcPoint",
    "TrendDirection",
    "assessment_from_json",
]

MeasureKind = Literal["count", "proportion"]


class AssessmentPart(StrEnum):
    """The parts of an Assessment that can each fail to be computed (keys of ``reasons``)."""

    TARGET = "target"  # §1 baseline, target and whether it is in force
    ROLLING = "rolling"  # §0 the current rolling 12-month position
    TRAJECTORY = "trajectory"  # §1 position against the trajectory band
    PAST_MONTH = "past_month"  # §2 expected level
    COMPARISON = "comparison"  # §3 12-month comparison
    TREND = "trend"  # §4 long-term trend projection
    PEERS = "peers"  # §5 most similar group
    SURVEY = "survey"  # §6 survey interval and change
    SPC = "spc"  # §7 SPC classification
    RAG = "rag"  # §11 the measure rating


class TrendDirection(StrEnum):
    """Which way the long-term projection goes from the current position (§4)."""

    FALLING = "falling"
    RISING = "rising"
    FLAT = "flat"


@dataclass(frozen=True)
class HistoryPoint:
    """One month of the performance chart: the month, its value, the rolling position
    and, from the strategy start, the trajectory with its band and the status."""

    month: str
    value: float | None
    rolling_12: float | None
    trajectory_target: float | None = None
    trajectory_lower: float | None = None
    trajectory_upper: float | None = None
    trajectory_status: TrajectoryStatus | None = None
    suppressed: bool = False  # §9: this month's figures must not be shown or plotted
    # §9 across months: the rolling 12-month figure adds up a suppressed month, so it
    # must not be shown either (the month's own value may still be)
    rolling_suppressed: bool = False


@dataclass(frozen=True)
class SpcPoint:
    """One month of the SPC chart with its Making Data Count classification (§7).

    ``value`` and ``point_type`` are ``None`` for a missing month (a gap breaks runs).
    """

    month: str
    value: float | None
    point_type: SpcPointType | None
    rules: tuple[SpcRule, ...] = ()


def _empty_reasons() -> Mapping[AssessmentPart, NotAssessedReason]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Assessment:
    """One measure, one partnership, one month: every figure, status and reason.

    Built by :func:`cdrp_lib.assess.assess`; see the module docstring for units.
    """

    # ---- identity -------------------------------------------------------------
    partnership: str
    partnership_name: str
    measure: str
    measure_name: str
    theme: str
    kind: MeasureKind
    polarity: Polarity
    month: str
    data_to: str | None = None  # §13 latest month of the source not after `month`
    synthetic: bool = False
    count_noun: str = "crimes"  # what a count counts ("crimes", "incidents"...)
    # ---- unit and frequency (issue 11; cdrp_lib.stats.units) --------------------
    # what every level is in: count, percent, per_1000, per_100000 (rates per
    # population), mean_12_months (the mean 12-month total over ``mean_span_months``),
    # cohort_offences (a cohort's offences to date in the ceiling period)
    unit: str = "count"
    frequency: str = "monthly"  # monthly, quarterly or annual: one value per period
    source: str | None = None  # the measure's source (police, fire, youth-justice...)
    lag_months: int | None = None  # the source's usual lag (the measure's own, else its source's)
    rate_population: float | None = None  # the population a rate's position divides by
    rate_population_year: int | None = None
    mean_span_months: int | None = None  # mean_12_months: the span averaged over
    baseline_start: str | None = None
    baseline_end: str | None = None
    # a cohort ceiling ("371 young offenders ... not more than 603 offences over 2009/10"):
    # the position is the offences to date, the trajectory the pro-rata allowance
    cohort_size: float | None = None
    ceiling_limit: float | None = None
    ceiling_period: str | None = None  # "2009/10", or the period's months
    # the expected 12-month count the small-number rule judged (stats.units.small_numbers)
    expected_12_months: float | None = None

    # ---- target (§1) ----------------------------------------------------------
    target_id: str | None = None
    target_kind: str | None = None
    target_title: str | None = None
    outcome_code: str | None = None
    outcome_title: str | None = None
    lead_agency: str | None = None
    baseline_label: str | None = None  # e.g. "2023/24"
    baseline_value: float | None = None  # B
    target_value: float | None = None  # T
    required_change: float | None = None  # D = B - T (negative for an increase)
    target_text: str | None = None  # "a reduction of 5.0% (46) by March 2027"
    target_by: str | None = None  # last month of the strategy
    strategy_start: str | None = None
    target_too_small: bool = False
    target_achieved: bool | None = None
    reduction_required_pct: float | None = None  # change still needed; None when achieved
    monitor_reason: str | None = None  # a monitor target's own reason for having no target
    plan_target: str | None = None  # a monitor target's target as the plan words it

    # ---- §1 position and trajectory ------------------------------------------
    rolling_12: float | None = None
    rolling_12_numerator: float | None = None  # proportions only
    rolling_12_denominator: float | None = None  # proportions only
    previous_rolling_12: float | None = None
    change_from_baseline_pct: float | None = None
    trajectory_month_index: int | None = None  # m
    trajectory_months: int | None = None  # M
    trajectory_target: float | None = None  # tau[m]
    trajectory_lower: float | None = None
    trajectory_upper: float | None = None
    trajectory_status: TrajectoryStatus | None = None

    # ---- §2 past month ---------------------------------------------------------
    month_value: float | None = None
    expected_value: float | None = None  # lam
    expected_low: float | None = None
    expected_high: float | None = None
    past_month: PastMonth | None = None
    past_month_z: float | None = None

    # ---- §3 12-month comparison ----------------------------------------------
    change_12m: float | None = None  # absolute (crimes, or pp for proportions)
    change_12m_pct: float | None = None  # None when previous is 0 and current > 0
    change_12m_pp: float | None = None  # proportions only
    change_12m_p_value: float | None = None  # when the test is enabled
    change_12m_significant: bool | None = None

    # ---- §4 long-term trend ----------------------------------------------------
    trend_method: TrendMethod | None = None
    trend_projection: float | None = None
    trend_direction: TrendDirection | None = None
    trend_sufficient: bool | None = None
    # the fitted line as the chart draws it: (month, value) at the start and end of the
    # fitted window, then the projection; empty for a method with no line (ETS, year on year)
    trend_line: tuple[tuple[str, float], ...] = ()

    # ---- §5 peers --------------------------------------------------------------
    peer_rate: float | None = None  # per 1,000 residents
    peer_average: float | None = None  # per 1,000 residents
    peer_distance: float | None = None  # per 1,000
    peer_distance_pct: float | None = None
    peer_excess: float | None = None  # crimes above (+) or below (-) the average
    peer_lower: float | None = None
    peer_upper: float | None = None
    peer_position: PeerPosition | None = None
    peer_phi: float | None = None
    peer_members: tuple[str, ...] = ()
    # (id, rate, population or denominator) of every member, itself included: the page
    # names each with its rate and the funnel chart plots them; rate None when unknown
    peer_member_rates: tuple[tuple[str, float | None, float | None], ...] = ()
    # the mid-year population estimate the rates used (the latest held when the bulletin's
    # own year has none): the page states it as a caveat
    population_year: int | None = None

    # ---- §6 survey ---------------------------------------------------------------
    survey_wave: str | None = None
    survey_percent: float | None = None
    survey_ci_low: float | None = None
    survey_ci_high: float | None = None
    survey_n: float | None = None  # effective sample size
    baseline_percent: float | None = None
    survey_change_pp: float | None = None
    survey_significance: SignificanceLabel | None = None

    # ---- §7 SPC --------------------------------------------------------------------
    spc_points: tuple[SpcPoint, ...] = ()
    spc_mean: float | None = None
    spc_lower: float | None = None  # LPL
    spc_upper: float | None = None  # UPL
    spc_near_lower: float | None = None  # mean - (2/3)*2.66*AMR
    spc_near_upper: float | None = None
    spc_target: float | None = None  # the target on the chart's monthly scale (T/12 for counts)
    spc_trial_limits: bool = False  # fewer points than the minimum: limits will change
    spc_warnings: tuple[str, ...] = ()
    variation_icon: VariationIcon | None = None
    assurance_icon: AssuranceIcon | None = None

    # ---- §9 disclosure ---------------------------------------------------------------
    suppressed: bool = False
    suppressed_fields: tuple[str, ...] = ()

    # ---- §11 rating --------------------------------------------------------------------
    rag: Rag | None = None
    rag_computed: Rag | None = None  # before any override in params
    rag_override_reason: str | None = None
    rag_override_by: str | None = None  # who set an override in force (a name or role)
    # an override whose `until` has passed: it no longer applies, and this says so
    rag_override_expired: str | None = None
    not_assessed_reason: NotAssessedReason | None = None
    reasons: Mapping[AssessmentPart, NotAssessedReason] = field(default_factory=_empty_reasons)

    # ---- charts, settings, narrative --------------------------------------------------
    history: tuple[HistoryPoint, ...] = ()
    settings: MethodSettings = field(default_factory=MethodSettings)
    narrative: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A frozen dataclass is only immutable if its mapping is too.
        if not isinstance(self.reasons, MappingProxyType):
            object.__setattr__(self, "reasons", MappingProxyType(dict(self.reasons)))

    @property
    def is_proportion(self) -> bool:
        return self.kind == "proportion"

    @property
    def is_small_numbers(self) -> bool:
        """Too few events for a control chart, trend or trajectory (stats.units)."""
        return NotAssessedReason.SMALL_NUMBERS in self.reasons.values()

    @property
    def rag_override_text(self) -> str | None:
        """An override's reason as printed beside the rating, with who set it when known."""
        if not self.rag_override_reason:
            return None
        by = f" (set by {self.rag_override_by})" if self.rag_override_by else ""
        return self.rag_override_reason + by

    def reason(self, part: AssessmentPart) -> NotAssessedReason | None:
        """Why ``part`` was not computed, or ``None`` when it was."""
        return self.reasons.get(part)

    def is_suppressed(self, name: str) -> bool:
        """Whether field ``name`` must not be shown (§9)."""
        return name in self.suppressed_fields

    def to_json(self) -> dict[str, Any]:
        """Every field as plain JSON types: enums as their values, tuples as lists.

        Floats stay unrounded; ``settings`` is :meth:`MethodSettings.record`.
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "settings":
                out[f.name] = value.record()
            elif f.name == "reasons":
                out[f.name] = {str(k.value): v.value for k, v in value.items()}
            else:
                out[f.name] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, float):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


_ENUM_FIELDS: dict[str, type[enum.Enum]] = {
    "polarity": Polarity,
    "trajectory_status": TrajectoryStatus,
    "past_month": PastMonth,
    "trend_method": TrendMethod,
    "trend_direction": TrendDirection,
    "peer_position": PeerPosition,
    "survey_significance": SignificanceLabel,
    "variation_icon": VariationIcon,
    "assurance_icon": AssuranceIcon,
    "rag": Rag,
    "rag_computed": Rag,
    "not_assessed_reason": NotAssessedReason,
}


def _opt_enum(cls: type[enum.Enum], value: Any) -> Any:
    return None if value is None else cls(value)


def assessment_from_json(data: Mapping[str, Any]) -> Assessment:
    """Read back what :meth:`Assessment.to_json` wrote (unknown keys are an error)."""
    names = {f.name for f in dataclasses.fields(Assessment)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"unknown Assessment keys: {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in _ENUM_FIELDS:
            kwargs[key] = _opt_enum(_ENUM_FIELDS[key], value)
        elif key == "kind":
            if value not in get_args(MeasureKind):
                raise ValueError(f"`kind` must be one of {get_args(MeasureKind)}, got {value!r}")
            kwargs[key] = value
        elif key == "trend_line":
            kwargs[key] = tuple((str(m), float(v)) for m, v in value)
        elif key == "peer_member_rates":
            kwargs[key] = tuple((str(i), r, n) for i, r, n in value)
        elif key == "reasons":
            kwargs[key] = {AssessmentPart(k): NotAssessedReason(v) for k, v in value.items()}
        elif key == "settings":
            kwargs[key] = MethodSettings.model_validate(value)
        elif key == "history":
            kwargs[key] = tuple(
                HistoryPoint(**{**p, "trajectory_status": _opt_enum(
                    TrajectoryStatus, p.get("trajectory_status"))})
                for p in value
            )
        elif key == "spc_points":
            kwargs[key] = tuple(
                SpcPoint(p["month"], p["value"], _opt_enum(SpcPointType, p["point_type"]),
                         tuple(SpcRule(r) for r in p.get("rules", ())))
                for p in value
            )
        elif isinstance(value, list):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    return Assessment(**kwargs)
