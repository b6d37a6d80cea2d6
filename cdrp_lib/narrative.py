"""Sentences from an Assessment, by rule, so narrative can never contradict its table (§12).

Each sentence states one fact of the :class:`~cdrp_lib.assessment.Assessment`
and prints its numbers with the same display helpers as the tables
(:mod:`cdrp_lib.stats.rounding`: ROUND_HALF_UP, thousands separators, one
decimal for percentages, "fewer"/"more" rather than negative counts).  A fact
that is unavailable gives no sentence; a figure withheld by disclosure control
(§9) is not in the public view it reads (:func:`cdrp_lib.public.public_view`), so it
cannot be printed; a part that could not be computed says why with its
:class:`~cdrp_lib.stats.enums.NotAssessedReason` sentence, once per reason.

Wording follows the reference bulletin.  Positions ("above the target
trajectory") describe position only; the verdicts ("the target will be met")
carry good and bad, so a higher-is-better measure that rises is good news.
Every key sentence names the measure, so that :func:`narrate_outcome` can join
several measures' sentences into one paragraph in the fixed order position,
projection, notable month, peers, followed by the outcome rating.

A survey measure has no trajectory and no trend (methods §6): its position is
the wave with its interval and change from baseline, then whether the target is
met, not yet met but within the margin of error, or significantly short, the
same test :func:`cdrp_lib.stats.rag.survey_rag` rates it by.  A part marked
``NOT_APPLICABLE`` is simply not mentioned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cdrp_lib.assessment import AssessmentPart, TrendDirection
from cdrp_lib.periods import Month
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    PastMonth,
    PeerPosition,
    Polarity,
    Rag,
    SurveyTargetPosition,
    TrajectoryStatus,
)
from cdrp_lib.stats.rag import RagResult, outcome_rag, survey_target_position
from cdrp_lib.stats.rounding import Number, fmt_number, fmt_pct, round_half_up
from cdrp_lib.stats.units import fmt_level, is_rate
from cdrp_lib.unit_sentences import (
    ceiling_position,
    data_sentence,
    level,
    small_numbers_sentence,
    unit_comparison,
    unit_target,
)

__all__ = ["Fact", "Sentence", "narrate", "narrate_outcome", "past_month_in_range", "sentences"]

RATE_DECIMALS = 1  # rates per 1,000 residents, as in the tables
PERCENT_DECIMALS = 1
PERCENT_SCALE = 100
PEER_RATE_UNIT = "per 1,000 residents"
# Reasons whose sentence concerns the peer comparison, not the whole measure.
_PEER_REASONS = frozenset({NotAssessedReason.NO_PEER_GROUP, NotAssessedReason.NOT_IN_PEER_GROUP,
                           NotAssessedReason.NO_POPULATION})


class Fact(StrEnum):
    """Which fact of the Assessment a sentence states (the rows of methods §12)."""

    TARGET = "target"
    BASELINE_CHANGE = "baseline_change"
    POSITION = "position"
    ACHIEVED = "achieved"
    PROJECTION = "projection"
    PAST_MONTH = "past_month"
    COMPARISON = "comparison"
    PEERS = "peers"
    SURVEY = "survey"
    SURVEY_TARGET = "survey_target"
    MONITOR = "monitor"  # a monitor-only target: its own reason and the plan's wording
    DATA = "data"  # how often the data come and their lag (a partner agency's, a quarter's)
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class Sentence:
    """One sentence and the fact it states."""

    fact: Fact
    text: str


# The order of an outcome paragraph (methods §12), slot by slot: every measure's sentences
# of one slot come before the next slot's.  A survey's position is its wave (with the
# change that may make it amber) followed by its target sentence, kept together.
OUTCOME_ORDER: tuple[tuple[Fact, ...], ...] = (
    (Fact.POSITION,), (Fact.SURVEY, Fact.SURVEY_TARGET), (Fact.PROJECTION,),
    (Fact.PAST_MONTH,), (Fact.PEERS,))


def _count(a: PublicAssessment, x: Number) -> str:
    """``1,650 crimes`` / ``1 crime``: a count with its noun, singular when it shows 1."""
    return fmt_level("count", x, a.count_noun)


def _level(a: PublicAssessment, x: Number) -> str:
    """A level as the tables print it: a count with its noun, or a percentage; a rate
    in its unit (``249.4 primary fires per 100,000 population``)."""
    if is_rate(a.unit):
        return level(a, x)
    return fmt_pct(x, PERCENT_DECIMALS) if a.is_proportion else _count(a, x)


def _bare_level(a: PublicAssessment, x: Number) -> str:
    if is_rate(a.unit):
        return level(a, x, noun=False)
    return fmt_pct(x, PERCENT_DECIMALS) if a.is_proportion else fmt_number(x)


def _article(shown: str) -> str:
    """"a" or "an" before a number as it is read aloud: an 8%, an 11.3%, an 18, a 1,800."""
    digits = shown.lstrip("+-").split(".")[0].replace(",", "")
    if not digits.isdigit():
        return "a"
    if digits.startswith("8") or (len(digits) % 3 == 2 and digits[:2] in ("11", "18")):
        return "an"
    return "a"


def _is_zero(x: Number, decimals: int) -> bool:
    return round_half_up(x, decimals) == 0


def _is_survey(a: PublicAssessment) -> bool:
    """A survey measure: it has a wave, or a survey part that applies but failed."""
    reason = a.reason(AssessmentPart.SURVEY)
    return a.survey_wave is not None or (
        reason is not None and reason is not NotAssessedReason.NOT_APPLICABLE)


def _target(a: PublicAssessment) -> Iterable[Sentence]:
    own = unit_target(a)
    if own is not None:
        yield Sentence(Fact.TARGET, own)
        return
    if a.baseline_value is None:
        return
    noun = "" if a.is_proportion else " recorded"
    level = _level(a, a.baseline_value)
    if not a.is_proportion:
        level = level.replace(" ", noun + " ", 1)
    label = a.baseline_label or "baseline"
    text = f"The {label} baseline for {a.measure_name} was {level}."
    if a.target_text:
        text += " " + _target_and_date(a)
    yield Sentence(Fact.TARGET, text)


def _target_and_date(a: PublicAssessment) -> str:
    """The target as the model bulletin words it, its date in a sentence of its own.

    "The target is a reduction of 5.0% (46)." ends where the bulletin's does, so
    its sentence can be read back whole; the date the summary table gives with
    the target ("... (46) by March 2011") follows: "It is to be met by March 2011."
    A rate to reach that lies the good way from the baseline is "a reduction to
    18.0%" (or "an increase to"), as the bulletin says it; one that allows worse
    than the baseline keeps "32.0% or lower".
    """
    text = a.target_text or ""
    by = f" by {Month.parse(a.target_by).label}" if a.target_by else ""
    if not by or not text.endswith(by):
        return f"The target is {text}."
    words = text.removesuffix(by)
    t, b = a.target_value, a.baseline_value
    if a.target_kind == "rate" and a.is_proportion and t is not None and b is not None:
        lower = a.polarity is Polarity.LOWER_IS_BETTER
        if (t < b) == lower and t != b:
            words = f"{'a reduction' if lower else 'an increase'} to " \
                    f"{fmt_pct(t, PERCENT_DECIMALS)}"
    return f"The target is {words}. It is to be met{by}."


def _baseline_change(a: PublicAssessment) -> Iterable[Sentence]:
    """Change from baseline: percentage points for a proportion, a percentage for a count."""
    if a.is_proportion:
        if a.rolling_12 is None or a.baseline_value is None:
            return
        change = a.rolling_12 - a.baseline_value
        shown = fmt_number(abs(change), PERCENT_DECIMALS)
        size = f"{shown} percentage point"
    else:
        if a.change_from_baseline_pct is None:
            return
        change = a.change_from_baseline_pct
        shown = size = fmt_pct(abs(change), PERCENT_DECIMALS)
    if _is_zero(change, PERCENT_DECIMALS):
        yield Sentence(Fact.BASELINE_CHANGE,
                       f"There has been no change in {a.measure_name} from the baseline.")
        return
    word = "reduction" if change < 0 else "increase"
    yield Sentence(Fact.BASELINE_CHANGE,
                   f"{_article(shown).title()} {size} {word} in {a.measure_name} "
                   "has been recorded from the baseline.")


_POSITION_WORDS = {
    TrajectoryStatus.BELOW: "below",
    TrajectoryStatus.ON: "in line with",
    TrajectoryStatus.ABOVE: "above",
}


def _position(a: PublicAssessment) -> Iterable[Sentence]:
    if a.trajectory_status is None or _is_survey(a):
        return
    yield Sentence(Fact.POSITION, f"The current position for {a.measure_name} is "
                   f"{_POSITION_WORDS[a.trajectory_status]} the target trajectory.")


def _achieved(a: PublicAssessment) -> Iterable[Sentence]:
    if a.target_achieved and not _is_survey(a):  # a survey says so in its target sentence
        yield Sentence(Fact.ACHIEVED, f"The {a.measure_name} target is currently met.")


def _past_target_date(a: PublicAssessment) -> bool:
    return a.target_by is not None and a.data_to is not None and \
        Month.parse(a.data_to) >= Month.parse(a.target_by)


def _projection(a: PublicAssessment) -> Iterable[Sentence]:
    withheld = a.is_withheld("trend_projection")
    if ((a.trend_projection is None and not withheld) or a.trend_direction is None
            or _past_target_date(a) or _is_survey(a)):
        return
    with_target = a.target_by is not None and a.trend_sufficient is not None
    flat = a.trend_direction is TrendDirection.FLAT
    if with_target and a.target_by:
        when = f"{'until' if flat else 'by'} {Month.parse(a.target_by).label}"
    else:
        when = "over the next twelve months"
    if a.trend_projection is None:  # withheld with the position it starts from
        to = ""
    elif flat:
        to = f" at {_bare_level(a, a.trend_projection)}"
    else:
        to = f" to {_bare_level(a, a.trend_projection)}"
    move = {TrendDirection.FALLING: "fall", TrendDirection.RISING: "rise",
            TrendDirection.FLAT: "stay level"}[a.trend_direction]
    change = _recent_change(a)
    if change is not None and _contradicts(change[0], a.trend_direction):
        # the chart shows the last year going one way and the fitted line the other:
        # say both, so the sentence never contradicts the picture
        noun = {TrendDirection.FALLING: "fall", TrendDirection.RISING: "rise"}[a.trend_direction]
        text = (f"{a.measure_name} has {change[1]} over the last 12 months, although the "
                f"{_window(a)} trend projects {_article(noun)} {noun}{to} {when}")
    else:
        text = (f"If current performance is maintained, the figure for {a.measure_name} is "
                f"projected to {move}{to} {when}")
    if with_target:
        text += " and the target will be met" if a.trend_sufficient \
            else " and the target will not be met"
    yield Sentence(Fact.PROJECTION, text + ".")


def past_month_in_range(a: PublicAssessment) -> str | None:
    """The sentence for a last month inside its expected range (the key sentences say only
    a month outside it); None when it is outside, withheld or not computed."""
    if a.past_month is not PastMonth.IN_LINE or a.month_value is None:
        return None
    when = Month.parse(a.data_to).label if a.data_to else "the latest month"
    text = f"The {when} figure for {a.measure_name}, {_count(a, a.month_value)}, was within " \
           "the expected range"
    if a.expected_low is not None and a.expected_high is not None:
        text += f" ({fmt_number(a.expected_low)} to {fmt_number(a.expected_high)})"
    return text + "."


#: Rolling 12-month figures a line (and a fitted trend) needs: one is a lone dot.
MIN_ROLLING_POINTS = 2


def rolling_points(a: PublicAssessment) -> int:
    """How many months have a rolling 12-month figure that may be shown (§1, §9)."""
    return sum(1 for p in public_view(a).history
               if p.rolling_12 is not None and not (p.suppressed or p.rolling_suppressed))


def rolling_too_short(a: PublicAssessment) -> str | None:
    """Why the rolling 12-month chart is not drawn yet, or None when it can be.

    A store that starts less than 13 months before the bulletin (a force's first year of
    files) gives one rolling figure or none: a chart of one dot, with no line and no
    trend, says nothing a sentence cannot.
    """
    n = rolling_points(a)
    if n >= MIN_ROLLING_POINTS:
        return None
    have = ("only one month, " + Month.parse(a.data_to).label if n == 1 and a.data_to
            else "no month yet")
    return (f"The rolling 12-month figure for {a.measure_name} needs 12 months of data for "
            f"each point, so it has {have}; its chart and trend start once there are two.")


def _recent_change(a: PublicAssessment) -> tuple[float, str] | None:
    """The 12-month change as (signed size, "risen 28%"), or None when not shown or nil."""
    if a.is_proportion:
        if a.change_12m_pp is None or _is_zero(a.change_12m_pp, PERCENT_DECIMALS):
            return None
        size = f"{fmt_number(abs(a.change_12m_pp), PERCENT_DECIMALS)} percentage points"
        return a.change_12m_pp, f"{'risen' if a.change_12m_pp > 0 else 'fallen'} {size}"
    if a.change_12m_pct is None or a.change_12m is None or _is_zero(a.change_12m, 0):
        return None
    shown = fmt_pct(abs(a.change_12m_pct))  # as the 12-month comparison sentence says it
    return a.change_12m_pct, f"{'risen' if a.change_12m_pct > 0 else 'fallen'} {shown}"


def _contradicts(change: float, direction: TrendDirection) -> bool:
    return (change > 0 and direction is TrendDirection.FALLING) or \
        (change < 0 and direction is TrendDirection.RISING)


def _window(a: PublicAssessment) -> str:
    """"two-year" for the default 24-point window; "18-month" otherwise."""
    months = a.settings.trend_window
    return f"{_NUMBER_WORDS[months // 12]}-year" if months % 12 == 0 and \
        months // 12 in _NUMBER_WORDS else f"{months}-month"


_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def _past_month(a: PublicAssessment) -> Iterable[Sentence]:
    if a.past_month is None or a.past_month is PastMonth.IN_LINE:
        return
    word = "above" if a.past_month is PastMonth.ABOVE else "below"
    when = Month.parse(a.data_to).label if a.data_to else "the latest month"
    if a.month_value is None:
        yield Sentence(Fact.PAST_MONTH, f"The {when} figure for {a.measure_name} was {word} "
                       "the expected level.")
        return
    text = (f"The {when} figure for {a.measure_name}, {_count(a, a.month_value)}, was {word} "
            "the expected level")
    if a.expected_low is not None and a.expected_high is not None:
        text += f" (expected {fmt_number(a.expected_low)} to {fmt_number(a.expected_high)})"
    yield Sentence(Fact.PAST_MONTH, text + ".")


def _comparison(a: PublicAssessment) -> Iterable[Sentence]:
    if a.rolling_12 is None or a.change_12m is None:
        return
    own = unit_comparison(a)
    if own is not None:
        yield Sentence(Fact.COMPARISON, own)
        return
    if a.is_proportion:
        pp = a.change_12m_pp if a.change_12m_pp is not None else a.change_12m
        head = (f"Over the last 12 months, the figure for {a.measure_name} was "
                f"{fmt_pct(a.rolling_12, PERCENT_DECIMALS)}")
        if _is_zero(pp, PERCENT_DECIMALS):
            yield Sentence(Fact.COMPARISON, head + ", the same as in the previous 12 months.")
            return
        word = "lower" if pp < 0 else "higher"
        yield Sentence(Fact.COMPARISON, f"{head}, {fmt_number(abs(pp), PERCENT_DECIMALS)} "
                       f"percentage points {word} than in the previous 12 months.")
        return
    head = f"Over the last 12 months, {a.measure_name} totalled {_count(a, a.rolling_12)}"
    if _is_zero(a.change_12m, 0):
        yield Sentence(Fact.COMPARISON, head + ", the same as in the previous 12 months.")
        return
    word = "fewer" if a.change_12m < 0 else "more"
    size = fmt_number(abs(a.change_12m))
    if a.change_12m_pct is None:
        yield Sentence(Fact.COMPARISON, f"{head}, {size} {word} than in the previous 12 "
                       "months, when there were none.")
        return
    yield Sentence(Fact.COMPARISON, f"{head}, {size} ({fmt_pct(abs(a.change_12m_pct))}) "
                   f"{word} than in the previous 12 months.")


_PEER_WORDS = {
    PeerPosition.ABOVE: "significantly above",
    PeerPosition.IN_LINE: "in line with",
    PeerPosition.BELOW: "significantly below",
}


def _peers(a: PublicAssessment) -> Iterable[Sentence]:
    if a.peer_position is None:
        return
    where = _PEER_WORDS[a.peer_position]
    if a.is_withheld("peer_rate", "peer_average"):
        yield Sentence(Fact.PEERS, f"The {a.measure_name} rate is {where} the most similar "
                       "group average.")
        return
    if a.peer_rate is None or a.peer_average is None:
        return
    if a.is_proportion:
        yield Sentence(Fact.PEERS, f"The {a.measure_name} of {fmt_pct(a.peer_rate)} is {where} "
                       f"the most similar group average of {fmt_pct(a.peer_average)}.")
        return
    rate, avg = fmt_number(a.peer_rate, RATE_DECIMALS), fmt_number(a.peer_average, RATE_DECIMALS)
    yield Sentence(Fact.PEERS, f"The {a.measure_name} rate of {rate} {PEER_RATE_UNIT} is "
                   f"{where} the most similar group average of {avg}.")


def _survey(a: PublicAssessment) -> Iterable[Sentence]:
    if a.survey_percent is None or a.survey_ci_low is None or a.survey_ci_high is None:
        return
    level = fmt_pct(a.settings.survey_level * PERCENT_SCALE, 0)
    wave = f" in the {a.survey_wave} survey" if a.survey_wave else ""
    text = (f"{a.measure_name}: {fmt_pct(a.survey_percent)} ({level} CI "
            f"{fmt_pct(a.survey_ci_low)} to {fmt_pct(a.survey_ci_high)}){wave}")
    if a.survey_significance is not None and a.baseline_percent is not None:
        label = a.baseline_label or "baseline"
        text += (f", {a.survey_significance.words} from the {label} baseline of "
                 f"{fmt_pct(a.baseline_percent)}")
    yield Sentence(Fact.SURVEY, text + ".")


_SURVEY_TARGET_WORDS = {
    SurveyTargetPosition.MET: "is met",
    SurveyTargetPosition.WITHIN_MARGIN: "is not yet met; it is within the margin of error",
    SurveyTargetPosition.SHORT: "is not met and the shortfall is significant",
}


def _survey_target(a: PublicAssessment) -> Iterable[Sentence]:
    """Whether the latest wave meets the target, allowing for its 95% interval (§6, §11).

    Only for a target in force: before the strategy starts there is nothing to meet.
    """
    if (not _is_survey(a) or a.target_value is None or a.survey_percent is None
            or a.survey_ci_low is None or a.survey_ci_high is None
            or a.reason(AssessmentPart.TARGET) is not None):
        return
    position = survey_target_position(a.polarity, percent=a.survey_percent,
                                      ci_low=a.survey_ci_low, ci_high=a.survey_ci_high,
                                      target=a.target_value)
    yield Sentence(Fact.SURVEY_TARGET, f"The target of {fmt_pct(a.target_value)} for "
                   f"{a.measure_name} {_SURVEY_TARGET_WORDS[position]}.")


def _not_assessed_reasons(a: PublicAssessment) -> list[NotAssessedReason]:
    """The reasons worth a sentence: the rating's, the peers' and suppression, once each."""
    found: list[NotAssessedReason] = []
    if a.rag is None and a.not_assessed_reason is not None:
        found.append(a.not_assessed_reason)
    peer = a.reason(AssessmentPart.PEERS)
    if peer in _PEER_REASONS:
        found.append(peer)
    if a.is_small_numbers:  # said even when the target is met (no chart, trend, trajectory)
        found.append(NotAssessedReason.SMALL_NUMBERS)
    if a.suppressed:
        found.append(NotAssessedReason.SUPPRESSED)
    return [r for r in dict.fromkeys(found) if r is not NotAssessedReason.NOT_APPLICABLE]


def _not_assessed(a: PublicAssessment) -> Iterable[Sentence]:
    for reason in _not_assessed_reasons(a):
        yield Sentence(Fact.NOT_ASSESSED, reason.sentence)


def _units(a: PublicAssessment) -> Iterable[Sentence]:
    """A cohort's offences against its allowance; how often and how late the data come."""
    position = ceiling_position(a)
    if position is not None:
        yield Sentence(Fact.POSITION, position)
    data = data_sentence(a)
    if data is not None:
        yield Sentence(Fact.DATA, data)
    small = small_numbers_sentence(a)
    if small is not None:
        yield Sentence(Fact.DATA, small)


def _own_words(text: str) -> str:
    """A params text as one clause: on one line, without its final full stop."""
    return " ".join(text.split()).rstrip(".")


def _monitor(a: PublicAssessment) -> Iterable[Sentence]:
    """A monitor-only target in its own words: why it has no target, and the plan's target."""
    if a.monitor_reason:
        yield Sentence(Fact.MONITOR,
                       f"This target is monitored only: {_own_words(a.monitor_reason)}.")
    if a.plan_target:
        yield Sentence(Fact.MONITOR, f"The plan's target: {_own_words(a.plan_target)}.")


def _monitor_or_not_assessed(a: PublicAssessment) -> Iterable[Sentence]:
    """The reasons worth a sentence, a monitor target's own words replacing the generic one."""
    own = tuple(_monitor(a))
    generic = NotAssessedReason.MONITOR_ONLY.sentence
    yield from own
    yield from (s for s in _not_assessed(a) if not (own and s.text == generic))


_RULES = (_target, _units, _baseline_change, _position, _achieved, _projection, _past_month,
          _comparison, _peers, _survey, _survey_target, _monitor_or_not_assessed)


def sentences(a: PublicAssessment) -> tuple[Sentence, ...]:
    """Every sentence of ``a`` with the fact it states, in bulletin order."""
    view = public_view(a)
    return tuple(Sentence(s.fact, _capitalised(s.text)) for rule in _RULES for s in rule(view))


def _capitalised(text: str) -> str:
    """A sentence starts with a capital, whatever it starts with: a plan may name its measure
    in lower case ("crimes committed against school aged children has fallen ...")."""
    return text[:1].upper() + text[1:]


def narrate(assessment: PublicAssessment) -> tuple[str, ...]:
    """The sentences of one measure's narrative (methods §12)."""
    return tuple(s.text for s in sentences(assessment))


def _outcome_reason_sentence(a: PublicAssessment) -> str | None:
    if (a.rag is not None or a.not_assessed_reason is None
            or a.not_assessed_reason is NotAssessedReason.NOT_APPLICABLE):
        return None
    if a.not_assessed_reason is NotAssessedReason.MONITOR_ONLY and a.monitor_reason:
        return f"{a.measure_name} is monitored only: {_own_words(a.monitor_reason)}."
    sentence = a.not_assessed_reason.sentence
    return f"For {a.measure_name}, {sentence[0].lower()}{sentence[1:]}"


def narrate_outcome(assessments: Sequence[PublicAssessment]) -> str:
    """One paragraph for an outcome: its measures' key sentences, then the outcome rating.

    Key sentences come in the fixed order position, projection, notable month,
    peers (all measures' positions first, and so on; a survey's position is its
    wave and its target sentence); a measure that cannot be rated says why.
    The rating is :func:`cdrp_lib.stats.rag.outcome_rag`.
    """
    parts: list[str] = []
    assessments = [public_view(a) for a in assessments]
    by_measure = [sentences(a) for a in assessments]
    for slot in OUTCOME_ORDER:
        for found in by_measure:
            parts.extend(s.text for s in found if s.fact in slot)
    parts.extend(s for a in assessments if (s := _outcome_reason_sentence(a)) is not None)
    result = outcome_rag([RagResult(a.rag, a.not_assessed_reason) for a in assessments])
    reasons = {a.not_assessed_reason for a in assessments}
    parts.append(_outcome_rating_sentence(result, shared=len(reasons) == 1))
    return " ".join(parts)


def _outcome_rating_sentence(result: RagResult, shared: bool) -> str:
    """The outcome rating in words and letter; unrated says why when the reason is shared."""
    if result.rating is None:
        if not shared or result.reason in (None, NotAssessedReason.NOT_APPLICABLE):
            return "The outcome is not rated because none of its measures can be assessed."
        sentence = result.reason.sentence
        return f"The outcome is not rated: {sentence[0].lower()}{sentence[1:]}"
    return f"The outcome is rated {_rag_words(result.rating)}."


def _rag_words(rating: Rag) -> str:
    return f"{rating.word} ({rating.letter})"
