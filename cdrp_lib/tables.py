"""The bulletin's tables, from Assessments: accessible HTML and the same figures as CSV.

Every table is a frozen :class:`Table` holding its cells, the HTML (a
``<table>`` with a ``<caption>``, ``<th scope="col">`` column headers and
``<th scope="row">`` row headers) and the CSV of exactly the text shown (each
cell's note in a column of its own), so the download and the page cannot
disagree.  Numbers are formatted by
:mod:`cdrp_lib.stats.rounding` (ROUND_HALF_UP, thousands separators, signed
percentages with one decimal), the same helpers the narrative uses, so a table
and the sentence beside it print the same figure.

Safety and accessibility:

* every text from params or data goes through :func:`html.escape` in one
  place (:func:`_cell_html`); markup is built only from constants;
* statuses are always words ("Above Expected Level", "Yes", "G Green"); the
  CSS classes (``status-good``/``status-bad``/``status-neutral``, ``rag-G`` ...
  ``rag-none``, ``not-assessed``) only add colour;
* a figure that cannot be given is a grey "–" with the short reason ("not
  applicable" for a part that does not apply to the measure, such as the
  past-month test of a proportion); a figure hidden by disclosure control
  (methods §9) is never printed;
* a survey's status is its latest wave against the target allowing for the
  95% interval (met / within the margin of error / significantly short), the
  same test its rating uses (:func:`cdrp_lib.stats.rag.survey_target_position`).
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cdrp_lib.assessment import Assessment, AssessmentPart
from cdrp_lib.narrative import PEER_RATE_UNIT, RATE_DECIMALS
from cdrp_lib.periods import Month
from cdrp_lib.stats.disclosure import SECONDARY_MARK, suppress_table
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    PastMonth,
    PeerPosition,
    Polarity,
    Rag,
    SignificanceLabel,
    Suppression,
    SurveyTargetPosition,
    TrajectoryStatus,
)
from cdrp_lib.stats.rag import (
    NOT_ASSESSED_MARK,
    NOT_ASSESSED_WORD,
    outcome_rag,
    survey_target_position,
)
from cdrp_lib.stats.rounding import (
    fmt_number,
    fmt_pct,
    fmt_signed,
    fmt_signed_pct,
    round_half_up_int,
)
from cdrp_lib.version import __version__

__all__ = [
    "NOT_APPLICABLE",
    "REASON_SHORT",
    "BulletinMeta",
    "Cell",
    "OutcomeRow",
    "SourceRow",
    "Table",
    "metadata_block",
    "outcome_rows",
    "outcome_table",
    "performance_table",
    "rag_cell",
    "repeat_table",
    "safe_csv_cell",
    "short_reason",
    "sources_table",
    "survey_table",
    "targets_table",
]

#: What the reference bulletin prints for "reduction required" once the target is met.
NOT_APPLICABLE = "N/A"
DECIMALS_COUNT = 0
DECIMALS_PERCENT = 1
DECIMALS_PEER_RATE = RATE_DECIMALS  # rates per 1,000 residents, as the narrative prints them
PERCENT = 100

# CSS classes: colour only, the words always carry the meaning.
GOOD = "status-good"
BAD = "status-bad"
NEUTRAL = "status-neutral"
NOT_ASSESSED = "not-assessed"
NUMERIC = "num"
RAG_NONE = "rag-none"

#: The short form of each reason, for a table cell ("–" and these words).
REASON_SHORT: dict[NotAssessedReason, str] = {
    NotAssessedReason.NO_TARGET: "no target set",
    NotAssessedReason.TARGET_NOT_IN_FORCE: "target not yet in force",
    NotAssessedReason.INSUFFICIENT_DATA: "not enough data yet",
    NotAssessedReason.MISSING_MONTHS: "months of data missing",
    NotAssessedReason.SOURCE_LATE: "data not yet available",
    NotAssessedReason.NO_POPULATION: "no population estimate",
    NotAssessedReason.NO_PEER_GROUP: "no most similar group set",
    NotAssessedReason.NOT_IN_PEER_GROUP: "not in its most similar group",
    NotAssessedReason.DENOMINATOR_TOO_SMALL: "too few cases",
    NotAssessedReason.SUPPRESSED: "withheld to protect identities",
    NotAssessedReason.MONITOR_ONLY: "monitored only",
    NotAssessedReason.TARGET_TOO_SMALL: "target too small to monitor",
    NotAssessedReason.NOT_APPLICABLE: "not applicable",
}

ROW_REDUCTION = "Reduction required from current position to meet target"
ROW_INCREASE = "Increase required from current position to meet target"
ROW_TREND = "Long-term trend sufficient to meet target"
ROW_PAST_MONTH = "Performance over the past month"
ROW_COMPARISON = "Comparative performance over the past 12 months ending in current month"
ROW_PEER_DISTANCE = "Distance away from MS group average"
ROW_PEER_POSITION = "Position against MS group average"


def short_reason(reason: NotAssessedReason) -> str:
    """``"no target set"``: the reason as a table cell prints it beside "–"."""
    return REASON_SHORT[reason]


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Cell:
    """One cell: its main text, an optional note printed smaller below it, CSS classes."""

    text: str
    note: str = ""
    css: str = ""

    @property
    def plain(self) -> str:
        """The cell as one string: ``text (note)``."""
        return f"{self.text} ({self.note})" if self.note else self.text


@dataclass(frozen=True)
class Table:
    """A table: caption, column headers, rows (first cell the row header), HTML and CSV."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    html: str
    csv: str

    def cell(self, row_header: str, column: str) -> Cell:
        """The cell in the row whose header text is ``row_header``, under ``column``."""
        j = self.columns.index(column)
        for row in self.rows:
            if row[0].text == row_header:
                return row[j]
        raise KeyError(f"no row {row_header!r} in table {self.caption!r}")

    def to_html(self, download_href: str) -> str:
        """The table in a scrolling wrapper, with the CSV download link beside it.

        ``download_href`` must be relative; an absolute path or URL raises ValueError.
        """
        return (
            f'<div class="table-wrap">{self.html}</div>\n'
            + download_link(download_href, self.caption)
        )


def download_link(download_href: str, label: str) -> str:
    """The "Download the figures (CSV)" paragraph every table and chart carries.

    ``download_href`` must be relative, so the site works copied to any folder or
    opened from disk; an absolute path or URL raises ValueError.  ``label`` (the
    caption) is read only by screen readers, to tell the links apart.
    """
    href = download_href.strip()
    if not href or href.startswith(("/", "\\")) or "://" in href or ":" in href.split("/")[0]:
        raise ValueError(
            f"download_href must be a relative link such as 'data/x.csv', got {download_href!r}")
    return (
        f'<p class="downloads"><a href="{html.escape(href)}">Download the figures (CSV)'
        f'<span class="visually-hidden">: {html.escape(label)}</span></a></p>'
    )


def _cell_html(cell: Cell, tag: str, scope: str | None = None) -> str:
    attrs = f' scope="{scope}"' if scope else ""
    if cell.css:
        attrs += f' class="{html.escape(cell.css)}"'
    body = html.escape(cell.text)
    if cell.note:
        body += f'<br><span class="cell-note">{html.escape(cell.note)}</span>'
    return f"<{tag}{attrs}>{body}</{tag}>"


def _make_table(caption: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]],
                css: str = "") -> Table:
    frozen_rows = tuple(tuple(r) for r in rows)
    for i, row in enumerate(frozen_rows):
        if len(row) != len(columns):
            raise ValueError(f"row {i} of {caption!r} has {len(row)} cells, "
                             f"expected {len(columns)}")
    head = "".join(_cell_html(Cell(c), "th", "col") for c in columns)
    body = "".join(
        "<tr>" + _cell_html(row[0], "th", "row")
        + "".join(_cell_html(c, "td") for c in row[1:]) + "</tr>"
        for row in frozen_rows)
    klass = f' class="{html.escape(css)}"' if css else ""
    markup = (f"<table{klass}><caption>{html.escape(caption)}</caption>"
              f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return Table(caption, tuple(columns), frozen_rows, markup, _table_csv(columns, frozen_rows))


def _table_csv(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """The cells' text, with a ``<column> (note)`` column after each column that has notes.

    Notes get their own column so a figure stays alone in its cell and a
    spreadsheet reads "-4.4%" as a number.
    """
    noted = [any(row[j].note for row in rows) for j in range(len(columns))]
    header: list[str] = []
    for column, has_note in zip(columns, noted, strict=True):
        header += [column, f"{column} (note)"] if has_note else [column]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_csv_cell(h) for h in header])
    for row in rows:
        line: list[str] = []
        for cell, has_note in zip(row, noted, strict=True):
            line += [cell.text, cell.note] if has_note else [cell.text]
        writer.writerow([safe_csv_cell(x) for x in line])
    return out.getvalue()


_NUMBER_RE = re.compile(r"[+-]?[\d,]*\.?\d+%?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_csv_cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection): a cell starting with
    ``= + - @`` that is not a plain number gets a leading apostrophe."""
    if text.startswith(_FORMULA_START) and not _NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


# ----------------------------------------------------------------------------- helpers


def _not_assessed(reason: NotAssessedReason | None) -> Cell:
    why = reason or NotAssessedReason.INSUFFICIENT_DATA
    return Cell(NOT_ASSESSED_MARK, short_reason(why), NOT_ASSESSED)


def _withheld() -> Cell:
    return _not_assessed(NotAssessedReason.SUPPRESSED)


def _first(a: Assessment, *parts: AssessmentPart) -> NotAssessedReason | None:
    """The first part's reason that explains something; "not applicable" only as a last resort.

    A cell drawing on several parts (a survey's status reads its survey part, a
    count's its trajectory) should give the reason of the part that applies.
    """
    found = [r for part in parts if (r := a.reason(part)) is not None]
    return next((r for r in found if r is not NotAssessedReason.NOT_APPLICABLE),
                found[0] if found else None)


def _hidden(a: Assessment, *names: str) -> bool:
    return any(a.is_suppressed(n) for n in names)


def _level(a: Assessment, x: float) -> str:
    """A level as the narrative prints it: a whole count or a percentage with one decimal."""
    return fmt_pct(x, DECIMALS_PERCENT) if a.is_proportion else fmt_number(x, DECIMALS_COUNT)


def _level_noun(a: Assessment, x: float) -> str:
    """``60 crimes``, ``1 crime`` or ``32.4%``, as the narrative writes a level."""
    if a.is_proportion:
        return _level(a, x)
    shown, noun = fmt_number(x, DECIMALS_COUNT), a.count_noun
    if shown == "1" and noun.endswith("s"):
        noun = noun[:-1]
    return f"{shown} {noun}"


def _label(month: str | None) -> str:
    return "" if month is None else Month.parse(month).label


def _judgement(good: bool | None) -> str:
    return NEUTRAL if good is None else (GOOD if good else BAD)


def _position_good(status: TrajectoryStatus | PastMonth | PeerPosition,
                   polarity: Polarity) -> bool | None:
    """Below is good when lower is better, above when higher is better; in line is neither."""
    if status.value in ("on", "in_line"):
        return None
    if polarity is Polarity.HIGHER_IS_BETTER:
        return status.value == "above"
    return status.value == "below"


def _numeric(cell: Cell) -> Cell:
    return Cell(cell.text, cell.note, f"{cell.css} {NUMERIC}".strip())


# ----------------------------------------------------------------------------- performance


def _reduction_cell(a: Assessment) -> Cell:
    if _hidden(a, "reduction_required_pct"):
        return _withheld()
    if a.target_achieved:
        return Cell(NOT_APPLICABLE, "target met", GOOD)
    if a.reduction_required_pct is not None:
        return _numeric(Cell(fmt_pct(a.reduction_required_pct, DECIMALS_PERCENT)))
    return _not_assessed(_first(a, AssessmentPart.TARGET, AssessmentPart.ROLLING,
                                AssessmentPart.TRAJECTORY))


def _trend_cell(a: Assessment) -> Cell:
    if a.trend_sufficient is None:
        reason = _first(a, AssessmentPart.TARGET, AssessmentPart.TREND)
        return _not_assessed(reason)
    note = ""
    if a.trend_projection is not None and not _hidden(a, "rolling_12"):
        by = f" by {_label(a.target_by)}" if a.target_by else ""
        note = f"projected {_level(a, a.trend_projection)}{by}"
    return Cell("Yes" if a.trend_sufficient else "No", note, _judgement(a.trend_sufficient))


def _past_month_cell(a: Assessment) -> Cell:
    if a.past_month is None:
        return _not_assessed(_first(a, AssessmentPart.PAST_MONTH))
    note = ""
    if a.month_value is not None and not _hidden(a, "month_value"):
        when = f" in {_label(a.data_to)}" if a.data_to else ""
        note = f"{_level_noun(a, a.month_value)}{when}"
        if a.expected_low is not None and a.expected_high is not None:
            note += f"; expected {fmt_number(a.expected_low)} to {fmt_number(a.expected_high)}"
    return Cell(a.past_month.words, note, _judgement(_position_good(a.past_month, a.polarity)))


def _comparison_cell(a: Assessment) -> Cell:
    if _hidden(a, "change_12m", "change_12m_pct", "change_12m_pp", "rolling_12"):
        return _withheld()
    if a.is_proportion:
        pp = a.change_12m_pp if a.change_12m_pp is not None else a.change_12m
        if pp is None:
            return _not_assessed(_first(a, AssessmentPart.COMPARISON))
        return _numeric(Cell(f"{fmt_signed(pp, DECIMALS_PERCENT)} percentage points",
                             _significance_note(a)))
    if a.change_12m is None:
        return _not_assessed(_first(a, AssessmentPart.COMPARISON))
    size = fmt_number(abs(a.change_12m))
    word = "fewer" if a.change_12m < 0 else "more"
    if a.change_12m_pct is None:
        return _numeric(Cell("n/a", f"{size} {word} {a.count_noun}; none in the previous "
                                    "12 months"))
    note = f"{size} {word} {a.count_noun}" if round_half_up_int(a.change_12m) else ""
    extra = _significance_note(a)
    note = "; ".join(x for x in (note, extra) if x)
    return _numeric(Cell(fmt_signed_pct(a.change_12m_pct, DECIMALS_PERCENT), note))


def _significance_note(a: Assessment) -> str:
    if a.change_12m_significant is None:
        return ""
    return "statistically significant" if a.change_12m_significant else "not significant"


def _peer_distance_cell(a: Assessment) -> Cell:
    if a.peer_distance_pct is None:
        return _not_assessed(_first(a, AssessmentPart.PEERS))
    if _hidden(a, "peer_distance_pct"):
        return _withheld()
    note = ""
    if (a.peer_rate is not None and a.peer_average is not None
            and not _hidden(a, "rolling_12", "rolling_12_numerator")):
        if a.is_proportion:
            note = f"{fmt_pct(a.peer_rate)} against {fmt_pct(a.peer_average)}"
        else:
            note = (f"{fmt_number(a.peer_rate, DECIMALS_PEER_RATE)} {PEER_RATE_UNIT} against "
                    f"{fmt_number(a.peer_average, DECIMALS_PEER_RATE)}")
    return _numeric(Cell(fmt_signed_pct(a.peer_distance_pct, DECIMALS_PERCENT), note))


def _peer_position_cell(a: Assessment) -> Cell:
    if a.peer_position is None:
        return _not_assessed(_first(a, AssessmentPart.PEERS))
    return Cell(a.peer_position.words, "",
                _judgement(_position_good(a.peer_position, a.polarity)))


def performance_table(a: Assessment) -> Table:
    """The reference bulletin's six-row performance table for one measure.

    Reduction (or increase) required, long-term trend sufficient, performance
    over the past month with the expected range, the 12-month comparison, and
    the distance from and position against the most similar group average.
    """
    first = ROW_INCREASE if a.polarity is Polarity.HIGHER_IS_BETTER else ROW_REDUCTION
    rows = [
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


# ----------------------------------------------------------------------------- RAG


def _rag(rag: Rag | None, reason: NotAssessedReason | str | None = None,
         override_reason: str | None = None) -> Cell:
    if rag is None:
        why = reason if isinstance(reason, str) else short_reason(
            reason or NotAssessedReason.INSUFFICIENT_DATA)
        return Cell(NOT_ASSESSED_MARK, f"{NOT_ASSESSED_WORD}: {why}", RAG_NONE)
    note = f"Rating set by the partnership: {override_reason}" if override_reason else ""
    return Cell(rag.label, note, f"rag-{rag.letter}")


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
    """One row of the executive summary: an outcome, its paragraph and its rating."""

    code: str
    title: str
    narrative: str
    rag: Rag | None
    reason: NotAssessedReason | None = None
    override_reason: str | None = None


def outcome_rows(assessments: Sequence[Assessment]) -> tuple[OutcomeRow, ...]:
    """Group Assessments by outcome code (first-seen order) into executive-summary rows.

    The paragraph is :func:`cdrp_lib.narrative.narrate_outcome` and the rating
    :func:`cdrp_lib.stats.rag.outcome_rag`, so the row agrees with both.
    Assessments without an outcome code are left out.
    """
    from cdrp_lib.narrative import narrate_outcome
    from cdrp_lib.stats.rag import RagResult

    groups: dict[str, list[Assessment]] = {}
    for a in assessments:
        if a.outcome_code:
            groups.setdefault(a.outcome_code, []).append(a)
    out: list[OutcomeRow] = []
    for code, members in groups.items():
        result = outcome_rag([RagResult(a.rag, a.not_assessed_reason) for a in members])
        title = next((a.outcome_title for a in members if a.outcome_title), "") or ""
        out.append(OutcomeRow(code, title, narrate_outcome(members), result.rating,
                              result.reason))
    return tuple(out)


def outcome_table(theme_title: str, outcomes: Sequence[OutcomeRow]) -> Table:
    """The executive summary table of one theme: outcome, summary of performance, RAG."""
    rows = [
        (Cell(f"{o.code}: {o.title}" if o.title else o.code),
         Cell(o.narrative),
         _rag(o.rag, o.reason, o.override_reason))
        for o in outcomes
    ]
    return _make_table(f"{theme_title}: outcomes and ratings",
                       ("Outcome", "Summary of performance", "RAG"), rows, "outcome-table")


# ----------------------------------------------------------------------------- targets


def _current_cell(a: Assessment) -> Cell:
    if a.survey_percent is not None:
        wave = a.survey_wave or _label(a.month)
        return _numeric(Cell(fmt_pct(a.survey_percent, DECIMALS_PERCENT), wave))
    if a.rolling_12 is None:
        return _not_assessed(_first(a, AssessmentPart.ROLLING, AssessmentPart.SURVEY))
    if _hidden(a, "rolling_12"):
        return _withheld()
    return _numeric(Cell(_level(a, a.rolling_12), f"12 months to {_label(a.data_to or a.month)}"))


_SURVEY_STATUS = {
    SurveyTargetPosition.MET: Cell("Target met", "", GOOD),
    SurveyTargetPosition.WITHIN_MARGIN: Cell("Not yet met", "within the margin of error",
                                             NEUTRAL),
    SurveyTargetPosition.SHORT: Cell("Not met", "significantly short", BAD),
}


def _status_cell(a: Assessment) -> Cell:
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


def _baseline_cell(a: Assessment) -> Cell:
    if a.baseline_value is None:
        return _not_assessed(_first(a, AssessmentPart.TARGET))
    if _hidden(a, "baseline_value"):
        return _withheld()
    return _numeric(Cell(_level(a, a.baseline_value), a.baseline_label or ""))


def _target_cell(a: Assessment) -> Cell:
    if a.target_text and not _hidden(a, "target_text"):
        return Cell(a.target_text)
    if a.target_text:
        return _withheld()
    return _not_assessed(_first(a, AssessmentPart.TARGET) or NotAssessedReason.NO_TARGET)


def targets_table(assessments: Sequence[Assessment],
                  caption: str = "Targets and monitoring indicators") -> Table:
    """Every target: measure, target, baseline, current position, status and RAG."""
    rows = [
        (Cell(a.measure_name, a.target_title or ""), _target_cell(a), _baseline_cell(a),
         _current_cell(a), _status_cell(a),
         _rag(a.rag, a.not_assessed_reason, a.rag_override_reason))
        for a in assessments
    ]
    return _make_table(caption, ("Measure", "Target", "Baseline", "Current position",
                                 "Status", "RAG"), rows, "targets-table")


# ----------------------------------------------------------------------------- survey


def _significance_good(label: SignificanceLabel, polarity: Polarity) -> bool | None:
    if label is SignificanceLabel.NO_SIGNIFICANT_CHANGE:
        return None
    up = label is SignificanceLabel.SIGNIFICANT_INCREASE
    return up if polarity is Polarity.HIGHER_IS_BETTER else not up


def _survey_row(a: Assessment) -> tuple[Cell, ...]:
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


def survey_table(assessments: Sequence[Assessment]) -> Table:
    """Survey waves: %, 95% CI, effective sample size, change from baseline, significance.

    One row per Assessment (pass one per wave to list every wave), ordered by
    measure and month.
    """
    ordered = sorted(assessments, key=lambda a: (a.measure_name, a.month))
    names = list(dict.fromkeys(a.measure_name for a in ordered))
    caption = "Survey results" + (f": {names[0]}" if len(names) == 1 else "")
    level = fmt_pct(ordered[0].settings.survey_level * PERCENT, 0) if ordered else "95%"
    return _make_table(
        caption,
        ("Wave", "Measure", "Percentage", f"{level} confidence interval",
         "Effective sample size", "Change from baseline (percentage points)", "Significance"),
        [_survey_row(a) for a in ordered], "survey-table")


# ----------------------------------------------------------------------------- repeats


def _repeat_row(a: Assessment) -> tuple[Cell, ...]:
    period = Cell(f"12 months to {_label(a.data_to or a.month)}")
    num, den = a.rolling_12_numerator, a.rolling_12_denominator
    if num is None or den is None:
        missing = _not_assessed(_first(a, AssessmentPart.ROLLING))
        return (Cell(a.measure_name), period, missing, missing, missing)
    threshold = a.settings.suppression_threshold
    repeats, total = round_half_up_int(num), round_half_up_int(den)
    published = suppress_table([("repeats", repeats), ("others", total - repeats)], threshold)
    repeat_cell = published.cells[0]
    repeats_text = repeat_cell.shown
    total_text = published.total.shown
    hidden = (repeat_cell.status is not Suppression.SHOWN
              or published.total.status is not Suppression.SHOWN
              or total < a.settings.min_denominator or _hidden(a, "rolling_12")
              or a.rolling_12 is None)
    rate = SECONDARY_MARK if hidden else fmt_pct(a.rolling_12, DECIMALS_PERCENT)
    return (Cell(a.measure_name), period, _numeric(Cell(repeats_text)),
            _numeric(Cell(total_text)), _numeric(Cell(rate)))


def repeat_table(assessments: Sequence[Assessment]) -> Table:
    """Repeat counts and rates over the rolling 12 months, with §9 disclosure control.

    Counts of 1-4 print as ``<5``; a second cell is withheld as ``[c]`` when the
    hidden count could otherwise be worked out from the total
    (:func:`cdrp_lib.stats.disclosure.suppress_table`); no rate is shown on
    fewer than ``min_denominator`` cases or when either count is hidden, since
    the rate and total together would give the count away.
    """
    threshold = assessments[0].settings.suppression_threshold if assessments else 5
    min_den = assessments[0].settings.min_denominator if assessments else 10
    caption = (f"Repeat victimisation, rolling 12 months. Counts of 1 to {threshold - 1} are "
               f"shown as <{threshold}; {SECONDARY_MARK} marks a figure withheld so that a "
               f"small count cannot be worked out; no rate is given on fewer than {min_den} "
               "cases.")
    return _make_table(caption, ("Measure", "Period", "Repeat cases", "All cases",
                                 "Repeat rate"),
                       [_repeat_row(a) for a in assessments], "repeat-table")


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
