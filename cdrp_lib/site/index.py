"""The site's index page: every bulletin, latest month first, with its RAG counts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cdrp_lib.errors import InputError, Problem
from cdrp_lib.pages.links import site_links
from cdrp_lib.pages.part import inline_css
from cdrp_lib.periods import Month
from cdrp_lib.render import write_text_atomic

if TYPE_CHECKING:
    pass
from cdrp_lib.site.redact import one_line_error

SITE_TITLE = "Community Safety Partnership performance bulletins"
STATUSES = ("ok", "failed")
RAG_CODES = ("G", "A", "R", "none")
# Letter and word together, so a rating is never told by colour alone.
RAG_LABELS: Mapping[str, str] = MappingProxyType(
    {"G": "G Green", "A": "A Amber", "R": "R Red", "none": "Not assessed"}
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class BulletinEntry:
    """One bulletin (a partnership and a month) as the index lists it.

    ``rag_counts`` maps ``G``/``A``/``R``/``none`` (not assessed) to a number of
    measures; missing codes count 0.  ``error`` is shown for failed bulletins.
    """

    partnership_id: str
    partnership_name: str
    month: str
    status: str
    rag_counts: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    synthetic: bool = False
    stale: str | None = None  # "made from older data: re-run with --month 2025-11"


def mark_stale(entry: BulletinEntry, why: str) -> BulletinEntry:
    """``entry`` marked as made from inputs that have changed since (``why``: one line)."""
    return replace(entry, stale=why)


def _stale_note(b: BulletinEntry) -> str:
    """The index's mark after "Published" for a stale bulletin, or nothing."""
    if not b.stale:
        return ""
    return f' <strong>Out of date:</strong> {html.escape(b.stale)}.'


def _entry_problems(bulletins: Sequence[BulletinEntry]) -> list[Problem]:
    source = "bulletin list"
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for row, b in enumerate(bulletins, start=1):
        def bad(column: str, rule: str, expected: str, found: object, row: int = row) -> None:
            problems.append(Problem(source, rule, expected, repr(found), line=row, column=column))

        if not isinstance(b.partnership_id, str) or not _SAFE_ID.match(b.partnership_id):
            bad("partnership_id", "not a safe folder name",
                "letters, digits, '.', '_' or '-', not starting with '.'", b.partnership_id)
        if not isinstance(b.partnership_name, str) or not b.partnership_name.strip():
            bad("partnership_name", "empty name", "a non-empty name", b.partnership_name)
        try:
            Month.parse(b.month)
        except (ValueError, TypeError):
            bad("month", "not a month", "YYYY-MM", b.month)
        if b.status not in STATUSES:
            bad("status", "unknown status", " or ".join(STATUSES), b.status)
        for code, count in b.rag_counts.items():
            if code not in RAG_CODES:
                bad("rag_counts", "unknown RAG code", ", ".join(RAG_CODES), code)
            elif isinstance(count, bool) or not isinstance(count, int) or count < 0:
                bad(f"rag_counts[{code}]", "not a count", "a whole number >= 0", count)
        key = (b.partnership_id, b.month)
        if key in seen:
            bad("partnership_id", "duplicate bulletin", f"one entry per partnership and month "
                f"(first at row {seen[key]})", f"{b.partnership_id} {b.month}")
        else:
            seen[key] = row
    return problems




def _counts_cells(b: BulletinEntry) -> str:
    cells = []
    for code in RAG_CODES:
        if b.status == "failed" and not b.rag_counts:
            cells.append('<td class="num">–<span class="visually-hidden"> not available</span>'
                         "</td>")
        else:
            cells.append(f'<td class="num rag-{code}">{int(b.rag_counts.get(code, 0))}</td>')
    return "".join(cells)


def _entry_row(site_dir: Path, b: BulletinEntry) -> str:
    href = f"{b.partnership_id}/{b.month}/index.html"
    name = html.escape(b.partnership_name)
    exists = (site_dir / b.partnership_id / b.month / "index.html").is_file()
    synthetic = ' <span class="synthetic">Synthetic data</span>' if b.synthetic else ""
    if b.status == "ok":
        head = f'<a href="{html.escape(href)}">{name}</a>'
        status = f"<td>Published{_stale_note(b)}</td>"
    else:
        error = html.escape(one_line_error(b.error or "the bulletin did not render"))
        if exists:
            head = f'<a href="{html.escape(href)}">{name}</a>'
            status = (f'<td><span class="status-failed">Failed:</span> {error} '
                      "The link shows the previous version.</td>")
        else:
            head = name
            status = f'<td><span class="status-failed">Failed:</span> {error}</td>'
    return f'<tr><th scope="row">{head}{synthetic}</th>{status}{_counts_cells(b)}</tr>'


def index_html(site_dir: Path, bulletins: Sequence[BulletinEntry]) -> str:
    """The index page as a string (see :func:`write_index`)."""
    problems = _entry_problems(bulletins)
    if problems:
        raise InputError(problems, summary=f"cannot write the site index: {problems[0]}")
    months = sorted({b.month for b in bulletins}, reverse=True)
    partnerships = {b.partnership_id for b in bulletins}
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(SITE_TITLE)}</title>",
        f"<style>\n{inline_css()}</style>",
        "</head>",
        "<body>",
        '<a class="skip-link" href="#main">Skip to main content</a>',
        '<main id="main" tabindex="-1">',
        f"<h1>{html.escape(SITE_TITLE)}</h1>",
        site_links(site_dir),
    ]
    if not bulletins:
        out.append("<p>No bulletins have been published yet.</p>")
    else:
        failed = sum(b.status == "failed" for b in bulletins)
        out.append(
            f"<p>{len(bulletins)} bulletin{'s' if len(bulletins) != 1 else ''} for "
            f"{len(partnerships)} partnership{'s' if len(partnerships) != 1 else ''}, "
            f"latest month first. RAG columns count targets rated G Green, A Amber, R Red "
            f"or not assessed.{f' {failed} failed to render.' if failed else ''}</p>"
        )
        if any(b.synthetic for b in bulletins):
            out.append('<p class="note">Bulletins marked <span class="synthetic">Synthetic '
                       "data</span> are built from made-up demonstration data, not real "
                       "records.</p>")
    for month in months:
        title = Month.parse(month).label
        rows = sorted((b for b in bulletins if b.month == month),
                      key=lambda b: (b.partnership_name.casefold(), b.partnership_id))
        out += [
            f'<h2 id="month-{month}">{title}</h2>',
            '<div class="table-wrap"><table>',
            f"<caption>Bulletins for {title}: status and RAG counts by partnership</caption>",
            '<thead><tr><th scope="col">Partnership</th><th scope="col">Status</th>'
            + "".join(f'<th scope="col" class="num rag-{c}">{RAG_LABELS[c]}</th>'
                      for c in RAG_CODES)
            + "</tr></thead>",
            "<tbody>",
            *(_entry_row(site_dir, b) for b in rows),
            "</tbody></table></div>",
        ]
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def write_index(site_dir: Path, bulletins: Sequence[BulletinEntry]) -> Path:
    """Write ``site_dir/index.html`` listing every partnership and month.

    Months run latest first, partnerships by name within a month; each row links
    to ``<id>/<month>/index.html`` and gives the RAG counts as numbers under
    letter-and-word headings.  A failed bulletin shows its error (one line,
    escaped, path-free) and links to the previous version only if one exists.
    Raises :class:`InputError` naming every bad entry.
    """
    site_dir = Path(site_dir)
    return write_text_atomic(site_dir / "index.html", index_html(site_dir, bulletins))
