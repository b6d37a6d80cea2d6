"""The front page's tables: outcomes with their ratings, targets, data sources, metadata."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.periods import Month
from cdrp_lib.public import PublicAssessment, public_view
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    Rag,
    SurveyTargetPosition,
)
from cdrp_lib.stats.rag import (
    NOT_ASSESSED_MARK,
    NOT_ASSESSED_WORD,
    outcome_rag,
    survey_target_position,
)
from cdrp_lib.stats.rounding import (
    fmt_pct,
)
from cdrp_lib.tables.base import (
    BAD,
    DECIMALS_PERCENT,
    GOOD,
    NEUTRAL,
    NOT_ASSESSED,
    RAG_NONE,
    Cell,
    Table,
    _cell_html,
    _first,
    _judgement,
    _label,
    _level,
    _make_table,
    _not_assessed,
    _numeric,
    _position_good,
    _withheld,
    short_reason,
)
from cdrp_lib.version import __version__

# ----------------------------------------------------------------------------- RAG


def _rag(rag: Rag | None, reason: NotAssessedReason | str | None = None,
         override_reason: str | None = None) -> Cell:
    if rag is None:
        why = reason if isinstance(reason, str) else short_reason(
            reason or NotAssessedReason.INSUFFICIENT_DATA)
        return Cell(NOT_ASSESSED_MARK, f"{NOT_ASSESSED_WORD}: {why}", RAG_NONE)
    note = f"Rating set by the partnership: {override_reason}" if override_reason else ""
    return Cell(rag.label, note, f"rag-{rag.letter}")


def _split(split: tuple[Rag, Rag]) -> Cell:
    """Two ratings in one cell ("G/A Green/Amber"), coloured half and half (``rag-GA``)."""
    better, worse = split
    return Cell(f"{better.letter}/{worse.letter} {better.word}/{worse.word}",
                "its measures are split evenly", f"rag-{better.letter}{worse.letter}")


def rag_cell(rag: Rag | None, reason: NotAssessedReason | str | None = None,
             override_reason: str | None = None) -> str:
    """A ``<td>`` with the rating's letter and word ("G Green") and class ``rag-G``/``A``/``R``.

    Not assessed: a grey "–" (class ``rag-none``) with the reason.  An analyst's
    override prints its reason beside the rating.
    """
    return _cell_html(_rag(rag, reason, override_reason), "td")


# ----------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class OutcomeRow:
    """One row of the executive summary: an outcome, its paragraph and its rating.

    ``split``: the two ratings of an outcome whose measures disagree evenly, better first
    (:func:`cdrp_lib.stats.rag.split_outcome`), shown in place of ``rag``.
    """

    code: str
    title: str
    narrative: str
    rag: Rag | None
    reason: NotAssessedReason | None = None
    override_reason: str | None = None
    split: tuple[Rag, Rag] | None = None


#: The sentence an outcome's paragraph ends with when one rating says it (narrative's).
RATED = "The outcome is rated {word} ({letter})."


def split_sentence(split: tuple[Rag, Rag]) -> str:
    """What a split outcome's paragraph says of its rating."""
    better, worse = split
    return (f"The outcome is rated {better.word} and {worse.word} "
            f"({better.letter}/{worse.letter}): its measures are split evenly between them.")


def outcome_row(code: str, title: str, members: Sequence[PublicAssessment]) -> OutcomeRow:
    """One outcome's row from its measures: the paragraph of
    :func:`cdrp_lib.narrative.narrate_outcome`, the rating of
    :func:`cdrp_lib.stats.rag.outcome_rag`, two letters when they disagree evenly."""
    from cdrp_lib.narrative import narrate_outcome
    from cdrp_lib.stats.rag import RagResult, split_outcome

    members = [public_view(a) for a in members]
    ratings = [RagResult(a.rag, a.not_assessed_reason) for a in members]
    result = outcome_rag(ratings)
    split = split_outcome(ratings)
    text = narrate_outcome(members)
    if split is not None and result.rating is not None:
        single = RATED.format(word=result.rating.word, letter=result.rating.letter)
        text = text.removesuffix(single).rstrip() + " " + split_sentence(split)
    return OutcomeRow(code, title, text, result.rating, result.reason, split=split)


def shared_row(code: str, title: str, other: OutcomeRow, above: bool) -> OutcomeRow:
    """An outcome assessed as another ("Performance assessment is the same as V1c"): the
    other's rating, and a sentence saying where its assessment is."""
    where = "see above" if above else "see below"
    return OutcomeRow(code, title, f"Performance assessment is the same as {other.code} "
                      f"({where}).", other.rag, other.reason, other.override_reason,
                      other.split)


def unset_row(code: str, title: str) -> OutcomeRow:
    """An outcome of the plan with no target yet ("Unable to assess performance as target
    not yet set")."""
    return OutcomeRow(code, title, "Unable to assess performance as no target is set for "
                      "this outcome yet.", None, NotAssessedReason.NO_TARGET)


def outcome_rows(assessments: Sequence[PublicAssessment]) -> tuple[OutcomeRow, ...]:
    """Group Assessments by outcome code (first-seen order) into executive-summary rows.

    The paragraph is :func:`cdrp_lib.narrative.narrate_outcome` and the rating
    :func:`cdrp_lib.stats.rag.outcome_rag`, so the row agrees with both.
    Assessments without an outcome code are left out.
    """
    groups: dict[str, list[PublicAssessment]] = {}
    for a in map(public_view, assessments):
        if a.outcome_code:
            groups.setdefault(a.outcome_code, []).append(a)
    return tuple(outcome_row(code, next((a.outcome_title for a in members if a.outcome_title),
                                        "") or "", members)
                 for code, members in groups.items())


def outcome_table(theme_title: str, outcomes: Sequence[OutcomeRow]) -> Table:
    """The executive summary table of one theme: outcome, summary of performance, RAG."""
    rows = [
        (Cell(f"{o.code}: {o.title}" if o.title else o.code),
         Cell(o.narrative),
         _split(o.split) if o.split else _rag(o.rag, o.reason, o.override_reason))
        for o in outcomes
    ]
    return _make_table(f"{theme_title}: outcomes and ratings",
                       ("Outcome", "Summary of performance", "RAG"), rows, "outcome-table")


# ----------------------------------------------------------------------------- targets


def _current_cell(a: PublicAssessment) -> Cell:
    if a.survey_percent is not None:
        wave = a.survey_wave or _label(a.month)
        return _numeric(Cell(fmt_pct(a.survey_percent, DECIMALS_PERCENT), wave))
    if a.is_withheld("rolling_12"):
        return _withheld()
    if a.rolling_12 is None:
        return _not_assessed(_first(a, AssessmentPart.ROLLING, AssessmentPart.SURVEY))
    return _numeric(Cell(_level(a, a.rolling_12), f"12 months to {_label(a.data_to or a.month)}"))


_SURVEY_STATUS = {
    SurveyTargetPosition.MET: Cell("Target met", "", GOOD),
    SurveyTargetPosition.WITHIN_MARGIN: Cell("Not yet met", "within the margin of error",
                                             NEUTRAL),
    SurveyTargetPosition.SHORT: Cell("Not met", "significantly short", BAD),
}


def _status_cell(a: PublicAssessment) -> Cell:
    if a.target_achieved:
        return Cell("Target met", "", GOOD)
    if (a.survey_percent is not None and a.survey_ci_low is not None
            and a.survey_ci_high is not None and a.target_value is not None
            and a.reason(AssessmentPart.TARGET) is None):
        return _SURVEY_STATUS[survey_target_position(
            a.polarity, percent=a.survey_percent, ci_low=a.survey_ci_low,
            ci_high=a.survey_ci_high, target=a.target_value)]
    if a.trajectory_status is not None:
        words = a.trajectory_status.words
        return Cell(words[:1].upper() + words[1:], "trajectory",
                    _judgement(_position_good(a.trajectory_status, a.polarity)))
    return _not_assessed(_first(a, AssessmentPart.TARGET, AssessmentPart.SURVEY,
                                AssessmentPart.TRAJECTORY))


def _baseline_cell(a: PublicAssessment) -> Cell:
    if a.is_withheld("baseline_value"):
        return _withheld()
    if a.baseline_value is None:
        return _not_assessed(_first(a, AssessmentPart.TARGET))
    return _numeric(Cell(_level(a, a.baseline_value), a.baseline_label or ""))


def _target_cell(a: PublicAssessment) -> Cell:
    if a.is_withheld("target_text"):
        return _withheld()
    if a.target_text:
        return Cell(a.target_text)
    return _not_assessed(_first(a, AssessmentPart.TARGET) or NotAssessedReason.NO_TARGET)


def targets_table(assessments: Sequence[PublicAssessment],
                  caption: str = "Targets and monitoring indicators") -> Table:
    """Every target: measure, target, baseline, current position, status and RAG."""
    rows = [
        (Cell(a.measure_name, "" if a.target_title == a.measure_name else a.target_title or ""),
         _target_cell(a), _baseline_cell(a),
         _current_cell(a), _status_cell(a),
         _rag(a.rag, a.not_assessed_reason, a.rag_override_reason))
        for a in map(public_view, assessments)
    ]
    return _make_table(caption, ("Measure", "Target", "Baseline", "Current position",
                                 "Status", "RAG"), rows, "targets-table")




# ----------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceRow:
    """A data source, the latest month it covers (``YYYY-MM`` or None) and its usual lag."""

    name: str
    latest_month: str | None
    lag_months: int | None = None
    note: str = ""


def sources_table(rows: Sequence[SourceRow]) -> Table:
    """Data sources with the latest month each covers and their usual lag (methods §13)."""
    cells = []
    for r in rows:
        latest = (Cell(_label(r.latest_month)) if r.latest_month
                  else Cell(NOT_ASSESSED_MARK, "no data yet", NOT_ASSESSED))
        if r.lag_months is None:
            lag = Cell(NOT_ASSESSED_MARK, "not stated", NOT_ASSESSED)
        else:
            lag = Cell(f"{r.lag_months} month{'s' if r.lag_months != 1 else ''}")
        cells.append((Cell(r.name, r.note), latest, lag))
    return _make_table("Data sources and the latest month each covers",
                       ("Source", "Latest month covered", "Usual time lag"), cells,
                       "sources-table")


# ----------------------------------------------------------------------------- movements


@dataclass(frozen=True)
class MovementRow:
    """One target's rating now and last month, and the movement in words ("Up")."""

    title: str
    theme: str
    now: Rag | None
    before: Rag | None
    movement: str
    changed: bool


def movements_table(rows: Sequence[MovementRow], last_month: str) -> Table:
    """Each target's rating now and in ``last_month`` (``YYYY-MM``) with its movement;
    the rows in the order given (the front page puts changed ratings first)."""
    cells = [(Cell(r.title), Cell(r.theme), _rag(r.now, "no rating"),
              _rag(r.before, "no rating"),
              Cell(r.movement, "", f"movement {'changed' if r.changed else 'unchanged'}"))
             for r in rows]
    last = _label(last_month)
    return _make_table(f"Each target's rating now and in {last}, changes first",
                       ("Target", "Theme", "Rating now", f"Rating in {last}", "Movement"),
                       cells, "movements-table")


# ----------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class BulletinMeta:
    """The bulletin's metadata block (the reference bulletin's appendix)."""

    title: str
    partnership: str
    period: str  # the bulletin month, YYYY-MM (or any text)
    data_to: str | None
    produced_on: str
    status: str
    security_marking: str
    organisation: str | None = None
    version: str = __version__
    synthetic: bool = False


def _month_or_text(text: str | None) -> str:
    if not text:
        return NOT_ASSESSED_MARK
    try:
        return Month.parse(text).label
    except ValueError:
        return text


def metadata_block(meta: BulletinMeta) -> str:
    """A ``<dl class="metadata">`` of title, partnership, period, data to, produced on,
    cdrp_lib version, status and security marking (all escaped)."""
    items = [
        ("Title", meta.title),
        ("Partnership", meta.partnership),
        ("Period", _month_or_text(meta.period)),
        ("Data to", _month_or_text(meta.data_to)),
        ("Produced on", meta.produced_on or NOT_ASSESSED_MARK),
    ]
    if meta.organisation:
        items.append(("Produced by", meta.organisation))
    items += [
        ("Software", f"cdrp_lib {meta.version}"),
        ("Status", meta.status),
        ("Security marking", meta.security_marking),
    ]
    if meta.synthetic:
        items.append(("Data", "SYNTHETIC: demonstration data, not real crime figures"))
    body = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
    return f'<dl class="metadata">{body}</dl>'
