"""Every method's settings with its documented default, validated, recorded with results.

methods.md fixes defaults but lets a partnership choose alternatives in its
params (tolerance, z threshold, trend window and method, funnel level, SPC run
lengths, rounding...).  One frozen :class:`MethodSettings` carries them all so
that an Assessment can record exactly which were used (:meth:`record`); the
choice of method can decide a label (§4), so it must travel with the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from statistics import NormalDist
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cdrp_lib.errors import ParamsError
from cdrp_lib.stats.enums import (
    PastMonthMethod,
    PeerAverage,
    PeerLimitMethod,
    RoundingRule,
    TrendMethod,
)
from cdrp_lib.validation import problems_from_validation

DEFAULT_TOLERANCE = 0.10
DEFAULT_Z_THRESHOLD = 2.0
DEFAULT_MIN_MONTHS = 12
SHORTEST_HISTORY_MONTHS = 6
DEFAULT_TREND_WINDOW = 24
DEFAULT_FUNNEL_LEVEL = 0.95
DEFAULT_FUNNEL_OUTER_LEVEL = 0.998
DEFAULT_MIN_MEMBERS_FOR_PHI = 5
DEFAULT_EXACT_POISSON_BELOW = 10.0
DEFAULT_SPC_RUN_LENGTH = 7
DEFAULT_SPC_TREND_LENGTH = 7
DEFAULT_SPC_MIN_POINTS = 13
SPC_MIN_FIX_AFTER = 12
DEFAULT_SUPPRESSION_THRESHOLD = 5
DEFAULT_MIN_DENOMINATOR = 10
DEFAULT_SURVEY_LEVEL = 0.95
DEFAULT_SIGNIFICANCE_LEVEL = 0.05

__all__ = ["MethodSettings", "load_method_settings", "two_sided_z"]


def two_sided_z(level: float) -> float:
    """The normal quantile for a two-sided ``level``: 0.95 -> 1.959964, 0.998 -> 3.090232."""
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


class MethodSettings(BaseModel):
    """The settings of every method in methods.md, each defaulting as documented.

    >>> MethodSettings().tolerance, MethodSettings().trend_method.value
    (0.1, 'ols')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # §1 trajectory
    tolerance: float = Field(DEFAULT_TOLERANCE, ge=0, lt=1)
    rounding: RoundingRule = RoundingRule.CEILING
    # §2 past month
    past_month_method: PastMonthMethod = PastMonthMethod.POISSON_Z
    z_threshold: float = Field(DEFAULT_Z_THRESHOLD, gt=0)
    min_months: int = Field(DEFAULT_MIN_MONTHS, ge=SHORTEST_HISTORY_MONTHS, le=12)
    # §3 comparison
    comparison_test: bool = False
    significance_level: float = Field(DEFAULT_SIGNIFICANCE_LEVEL, gt=0, lt=1)
    # §4 trend
    trend_window: int = Field(DEFAULT_TREND_WINDOW, ge=3)
    trend_method: TrendMethod = TrendMethod.OLS
    # §5 peers
    peer_average: PeerAverage = PeerAverage.POOLED
    peer_limits: PeerLimitMethod = PeerLimitMethod.FUNNEL
    funnel_level: float = Field(DEFAULT_FUNNEL_LEVEL, gt=0.5, lt=1)
    funnel_outer_level: float = Field(DEFAULT_FUNNEL_OUTER_LEVEL, gt=0.5, lt=1)
    peer_overdispersion: bool = True
    min_members_for_phi: int = Field(DEFAULT_MIN_MEMBERS_FOR_PHI, ge=2)
    exact_poisson_below: float = Field(DEFAULT_EXACT_POISSON_BELOW, ge=0)
    # §6 survey
    survey_level: float = Field(DEFAULT_SURVEY_LEVEL, gt=0.5, lt=1)
    # §7 SPC
    spc_shift_length: int = Field(DEFAULT_SPC_RUN_LENGTH, ge=2)
    spc_trend_length: int = Field(DEFAULT_SPC_TREND_LENGTH, ge=3)
    screen_outliers: bool = True
    spc_fix_after_n_points: int | None = Field(None, ge=SPC_MIN_FIX_AFTER)
    spc_min_points: int = Field(DEFAULT_SPC_MIN_POINTS, ge=2)
    # §9 disclosure
    suppression_threshold: int = Field(DEFAULT_SUPPRESSION_THRESHOLD, ge=1)
    min_denominator: int = Field(DEFAULT_MIN_DENOMINATOR, ge=1)

    @model_validator(mode="after")
    def _outer_wider_than_inner(self) -> MethodSettings:
        if self.funnel_outer_level <= self.funnel_level:
            raise ValueError(
                f"`funnel_outer_level` must be above `funnel_level` ({self.funnel_level}), "
                f"got {self.funnel_outer_level}"
            )
        return self

    @property
    def funnel_z(self) -> float:
        """z for the inner funnel (1.959964 at the default 95%)."""
        return two_sided_z(self.funnel_level)

    @property
    def funnel_outer_z(self) -> float:
        """z for the outer funnel (3.090232 at the default 99.8%)."""
        return two_sided_z(self.funnel_outer_level)

    @property
    def survey_z(self) -> float:
        """z for survey intervals and the change test (1.959964 at 95%)."""
        return two_sided_z(self.survey_level)

    def record(self) -> dict[str, Any]:
        """Every setting as plain JSON values, for the Assessment and the run manifest."""
        return self.model_dump(mode="json")


def load_method_settings(
    raw: Mapping[str, Any] | None, file: Path | str, prefix: str = "methods"
) -> MethodSettings:
    """Validate a params mapping (e.g. the ``methods:`` block of bulletin.yaml).

    Raises ParamsError naming the file and every bad key at once.
    """
    try:
        return MethodSettings.model_validate(dict(raw or {}))
    except ValidationError as exc:
        raise ParamsError(problems_from_validation(file, exc, prefix=prefix)) from None
