"""Every status, label, rating and method choice the statistics can produce.

Statuses are enums, never free strings, so that tables, charts and narrative
can only say what the statistics said (methods.md §0, §11).  Values are the
lower-case words used in JSON output (``past_month: "in_line"``).

"Cannot be computed" is never an exception and never a made-up number: it is a
:class:`NotAssessedReason` from the fixed list below, each carrying the one
sentence the bulletin prints for it.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from fractions import Fraction

__all__ = [
    "AssuranceIcon",
    "ChangeLabel",
    "ImprovementDirection",
    "NotAssessedReason",
    "PastMonth",
    "PastMonthMethod",
    "PeerAverage",
    "PeerLimitMethod",
    "PeerPosition",
    "Polarity",
    "Rag",
    "RoundingRule",
    "SignificanceLabel",
    "SpcPointType",
    "SpcRule",
    "Suppression",
    "SurveyTargetPosition",
    "TrajectoryStatus",
    "TrendMethod",
    "VariationIcon",
    "flip_polarity",
]


class Polarity(StrEnum):
    """Which way is good for a measure or target: the sign every label and rating turns on."""

    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


def flip_polarity(polarity: Polarity) -> Polarity:
    """The other polarity; used by tests that check good and bad swap."""
    if polarity is Polarity.LOWER_IS_BETTER:
        return Polarity.HIGHER_IS_BETTER
    return Polarity.LOWER_IS_BETTER


class TrajectoryStatus(StrEnum):
    """Position of the rolling 12-month count against the trajectory band (§1).

    Position only: whether "below" is good depends on the measure's polarity.
    """

    BELOW = "below"
    ON = "on"
    ABOVE = "above"

    @property
    def words(self) -> str:
        return {"below": "below target", "on": "on target", "above": "above target"}[self.value]


class PastMonth(StrEnum):
    """"Performance over the past month" (§2): this month against its expected level."""

    ABOVE = "above"
    IN_LINE = "in_line"
    BELOW = "below"

    @property
    def words(self) -> str:
        return {
            "above": "Above Expected Level",
            "in_line": "In Line",
            "below": "Below Expected Level",
        }[self.value]


class ChangeLabel(StrEnum):
    """Direction of a 12-month comparison (§3); "no change" only when both are equal."""

    INCREASE = "increase"
    DECREASE = "decrease"
    NO_CHANGE = "no_change"

    @classmethod
    def between(cls, new: float | Fraction, old: float | Fraction) -> ChangeLabel:
        """From ``old`` to ``new``: the 12-month change (§3) or a trend's projection (§4)."""
        if new > old:
            return cls.INCREASE
        if new < old:
            return cls.DECREASE
        return cls.NO_CHANGE


class PeerPosition(StrEnum):
    """Position against the most similar group average (§5)."""

    ABOVE = "above"
    IN_LINE = "in_line"
    BELOW = "below"

    @property
    def words(self) -> str:
        return {
            "above": "Significantly Above",
            "in_line": "In Line",
            "below": "Significantly Below",
        }[self.value]


class SignificanceLabel(StrEnum):
    """Survey change from baseline by the two-proportion z-test (§6)."""

    SIGNIFICANT_INCREASE = "significant_increase"
    SIGNIFICANT_DECREASE = "significant_decrease"
    NO_SIGNIFICANT_CHANGE = "no_significant_change"

    @property
    def words(self) -> str:
        return {
            "significant_increase": "a significant increase",
            "significant_decrease": "a significant decrease",
            "no_significant_change": "no significant change",
        }[self.value]


class SurveyTargetPosition(StrEnum):
    """The latest survey wave against its target, allowing for sampling error (§6, §11).

    A wave is a sample, so "short of the target" means two different things: the
    target may still lie inside the wave's 95% interval (the shortfall could be
    sampling noise), or the whole interval may lie on the wrong side of it (the
    shortfall is significant).  "Met" follows polarity, as for counts.
    """

    MET = "met"
    WITHIN_MARGIN = "within_margin"
    SHORT = "short"


class Rag(StrEnum):
    """A computed rating (§11).  Never shown by colour alone: letter and word go together."""

    GREEN = "G"
    AMBER = "A"
    RED = "R"

    @property
    def letter(self) -> str:
        return self.value

    @property
    def word(self) -> str:
        return {"G": "Green", "A": "Amber", "R": "Red"}[self.value]

    @property
    def score(self) -> int:
        """Outcome scoring: G=1, A=2, R=3."""
        return {"G": 1, "A": 2, "R": 3}[self.value]

    @property
    def label(self) -> str:
        """``"G Green"``: what a table cell shows, readable in black and white."""
        return f"{self.letter} {self.word}"


class SpcRule(StrEnum):
    """The four Making Data Count special-cause rules, in label precedence order (§7)."""

    OUTSIDE_LIMITS = "outside_limits"
    TREND = "trend"
    TWO_IN_THREE = "two_in_three"
    SHIFT = "shift"


class SpcPointType(StrEnum):
    """Classification of one point on an SPC chart (NHSRplotthedots ``point_type``)."""

    COMMON_CAUSE = "common_cause"
    SPECIAL_CAUSE_IMPROVEMENT = "special_cause_improvement"
    SPECIAL_CAUSE_CONCERN = "special_cause_concern"
    SPECIAL_CAUSE_NEUTRAL_HIGH = "special_cause_neutral_high"
    SPECIAL_CAUSE_NEUTRAL_LOW = "special_cause_neutral_low"


class VariationIcon(StrEnum):
    """The Making Data Count variation icon: the classification of the latest point."""

    COMMON_CAUSE = "common_cause"
    IMPROVEMENT_HIGH = "improvement_high"
    IMPROVEMENT_LOW = "improvement_low"
    CONCERN_HIGH = "concern_high"
    CONCERN_LOW = "concern_low"
    NEUTRAL_HIGH = "neutral_high"
    NEUTRAL_LOW = "neutral_low"


class AssuranceIcon(StrEnum):
    """The Making Data Count assurance icon: can the process meet its target?"""

    CONSISTENT_PASS = "consistent_pass"
    CONSISTENT_FAIL = "consistent_fail"
    INCONSISTENT = "inconsistent"


class Suppression(StrEnum):
    """Why a published cell shows what it shows (§9)."""

    SHOWN = "shown"
    PRIMARY = "primary"
    SECONDARY = "secondary"


class ImprovementDirection(StrEnum):
    """SPC improvement direction, derived from polarity (``None`` polarity is neutral)."""

    INCREASE = "increase"
    DECREASE = "decrease"
    NEUTRAL = "neutral"

    @classmethod
    def from_polarity(cls, polarity: Polarity | None) -> ImprovementDirection:
        if polarity is None:
            return cls.NEUTRAL
        if polarity is Polarity.HIGHER_IS_BETTER:
            return cls.INCREASE
        return cls.DECREASE


class RoundingRule(StrEnum):
    """How a count target is rounded (§1): ceiling of the drop, or target to nearest."""

    CEILING = "ceiling"
    HALF_UP = "half_up"


class PastMonthMethod(StrEnum):
    """Method for "performance over the past month" (§2)."""

    POISSON_Z = "poisson_z"
    XMR = "xmr"
    EXACT_BINOMIAL = "exact_binomial"
    E_TEST = "e_test"


class TrendMethod(StrEnum):
    """Method for the long-term trend projection (§4)."""

    OLS = "ols"
    THEIL_SEN = "theil_sen"
    YEAR_ON_YEAR = "year_on_year"
    ETS = "ets"


class PeerAverage(StrEnum):
    """How the most similar group average is formed (§5)."""

    POOLED = "pooled"
    UNWEIGHTED = "unweighted"


class PeerLimitMethod(StrEnum):
    """How the "in line with the MSG average" band is drawn (§5)."""

    FUNNEL = "funnel"
    TWO_SD = "two_sd"


class NotAssessedReason(Enum):
    """Why a figure or status cannot be given: a fixed list, one printed sentence each.

    The value is the machine word (JSON ``not_assessed_reason``); :attr:`sentence`
    is the plain-English sentence the bulletin prints, so narrative and tables agree.
    ``NOT_APPLICABLE`` marks a part that does not apply to the measure at all (no
    rolling 12 months for a survey, no Poisson month test for a proportion): it
    keeps the rule "every missing figure has a reason" and is never printed.
    """

    NO_TARGET = "no_target"
    TARGET_NOT_IN_FORCE = "target_not_in_force"
    INSUFFICIENT_DATA = "insufficient_data"
    MISSING_MONTHS = "missing_months"
    SOURCE_LATE = "source_late"
    NO_POPULATION = "no_population"
    NO_PEER_GROUP = "no_peer_group"
    NOT_IN_PEER_GROUP = "not_in_peer_group"
    DENOMINATOR_TOO_SMALL = "denominator_too_small"
    SUPPRESSED = "suppressed"
    MONITOR_ONLY = "monitor_only"
    TARGET_TOO_SMALL = "target_too_small"
    NOT_APPLICABLE = "not_applicable"
    # issue 11: a measure published by quarter or year has no month to test (§2); one
    # whose expected counts are too small for a chart, trend or trajectory to mean
    # anything (stats.units.SMALL_NUMBER_COUNT) says so rather than draw them
    QUARTERLY_DATA = "quarterly_data"
    ANNUAL_DATA = "annual_data"
    SMALL_NUMBERS = "small_numbers"

    @property
    def sentence(self) -> str:
        return _SENTENCES[self]


_SENTENCES: dict[NotAssessedReason, str] = {
    NotAssessedReason.NO_TARGET:
        "Performance cannot be assessed because no target has been set.",
    NotAssessedReason.TARGET_NOT_IN_FORCE:
        "Performance cannot be assessed because the target is not yet in force.",
    NotAssessedReason.INSUFFICIENT_DATA:
        "Performance cannot be assessed because there is not yet enough data.",
    NotAssessedReason.MISSING_MONTHS:
        "Performance cannot be assessed because data for some months are missing.",
    NotAssessedReason.SOURCE_LATE:
        "Performance cannot be assessed because the data are not yet available.",
    NotAssessedReason.NO_POPULATION:
        "A rate cannot be given because no population estimate is available.",
    NotAssessedReason.NO_PEER_GROUP:
        "No comparison with similar areas can be made because no most similar group "
        "has been set.",
    NotAssessedReason.NOT_IN_PEER_GROUP:
        "No comparison with similar areas can be made because the partnership is not "
        "in its most similar group.",
    NotAssessedReason.DENOMINATOR_TOO_SMALL:
        "A percentage is not shown because it is based on too few cases.",
    NotAssessedReason.SUPPRESSED:
        "The figure is not shown to protect the identity of the people involved.",
    NotAssessedReason.MONITOR_ONLY:
        "This measure is monitored only; no target has been set because the data are "
        "not reliable enough to set one.",
    NotAssessedReason.TARGET_TOO_SMALL:
        "Performance cannot be assessed because the target is too small to monitor.",
    NotAssessedReason.QUARTERLY_DATA:
        "There is no test of the latest month because the data are published quarterly.",
    NotAssessedReason.ANNUAL_DATA:
        "There is no test of the latest month because the data are published once a year.",
    NotAssessedReason.SMALL_NUMBERS:
        "The numbers are too small for a control chart, a trend or a trajectory to mean "
        "anything, so none is shown.",
    # Recorded so that every missing figure has a reason, but never printed in
    # narrative: a part that does not apply to a measure is simply not mentioned.
    NotAssessedReason.NOT_APPLICABLE:
        "This figure does not apply to this measure.",
}
