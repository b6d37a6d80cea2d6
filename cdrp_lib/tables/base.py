"""What every table shares: the Cell and Table model, escaped HTML, safe CSV, cell helpers.

Every table is a frozen :class:`Table` holding its cells, the HTML (a
``<table>`` with a ``<caption>``, ``<th scope="col">`` column headers and
``<th scope="row">`` row headers) and the CSV of exactly the text shown (each
cell's note in a column of its own), so the download and the page cannot
disagree.  Every text from params or data goes through :func:`html.escape` in
one place (:func:`_cell_html`); markup is built only from constants.  A figure
that cannot be given is a grey "–" with the short reason; a figure the public view
withholds (methods §9) is "–" with "withheld to protect identities".
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cdrp_lib.assessment import AssessmentPart
from cdrp_lib.narrative import RATE_DECIMALS
from cdrp_lib.periods import Month
from cdrp_lib.public import PublicAssessment
from cdrp_lib.stats.enums import (
    NotAssessedReason,
    PastMonth,
    PeerPosition,
    Polarity,
    TrajectoryStatus,
)
from cdrp_lib.stats.rag import (
    NOT_ASSESSED_MARK,
)
from cdrp_lib.stats.rounding import (
    fmt_number,
    fmt_pct,
)
from cdrp_lib.stats.units import fmt_level, is_rate

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
    NotAssessedReason.QUARTERLY_DATA: "quarterly data: no month to test",
    NotAssessedReason.ANNUAL_DATA: "yearly data: no month to test",
    NotAssessedReason.SMALL_NUMBERS: "numbers too small to chart",
}

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


def _first(a: PublicAssessment, *parts: AssessmentPart) -> NotAssessedReason | None:
    """The first part's reason that explains something; "not applicable" only as a last resort.

    A cell drawing on several parts (a survey's status reads its survey part, a
    count's its trajectory) should give the reason of the part that applies.
    """
    found = [r for part in parts if (r := a.reason(part)) is not None]
    return next((r for r in found if r is not NotAssessedReason.NOT_APPLICABLE),
                found[0] if found else None)


def _level(a: PublicAssessment, x: float) -> str:
    """A level as the narrative prints it: a whole count or a percentage with one decimal;
    a rate per population in its unit."""
    if is_rate(a.unit):
        return fmt_level(a.unit, x)
    return fmt_pct(x, DECIMALS_PERCENT) if a.is_proportion else fmt_number(x, DECIMALS_COUNT)


def _level_noun(a: PublicAssessment, x: float) -> str:
    """``60 crimes``, ``1 crime``, ``32.4%`` or ``249.4 primary fires per 100,000
    population``, as the narrative writes a level."""
    if is_rate(a.unit):
        return fmt_level(a.unit, x, a.count_noun)
    if a.is_proportion:
        return _level(a, x)
    return fmt_level("count", x, a.count_noun)


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
