"""Each bulletin page's previous and next month, and the list of every month by partnership.

A bulletin page is made once and must stay the same bytes when later months are
published (the batch re-uses a page whose inputs are unchanged, and a re-run
must write identical files).  So a page cannot name its neighbours: when it is
made, next month does not exist yet, and a month published later out of order
(a back-filled bulletin) would change who is "previous".  Instead the page links
to a fixed address per direction (:func:`cdrp_lib.pages.links.history_file`),
``history/<partnership>/<month>/previous-<page>.html``, and this module writes
those small pages whenever the index is rebuilt, from the folders then
published: each sends the reader on (an instant ``<meta http-equiv="refresh">``,
no script, with the same link to follow by hand) to the same page of the
nearest published month that has it, or says there is none.  Only files whose
bytes change are rewritten, and those of bulletins no longer published removed.

``partnerships.html`` lists every published bulletin by partnership (all months,
latest first), with its pages and the cdrp_lib version that made it.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdrp_lib.pages import links
from cdrp_lib.pages.part import FRONT_PAGE, inline_css
from cdrp_lib.periods import Month
from cdrp_lib.render import write_text_atomic

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: From ``history/<partnership>/<month>/`` up to the site folder.
_UP = "../../../"


@dataclass(frozen=True)
class Published:
    """One published bulletin folder as the site-level pages need it."""

    partnership: str
    name: str
    month: str
    pages: tuple[str, ...]  # its page files, front page first
    version: str
    produced_on: str
    synthetic: bool


def page_title(page: str) -> str:
    """``index.html`` -> ``Summary``, ``acquisitive_crime.html`` -> ``Acquisitive crime``."""
    if page == FRONT_PAGE:
        return "Summary"
    return Path(page).stem.replace("_", " ").capitalize()


def published_bulletins(site_dir: Path, records: Iterable[Mapping[str, Any]]
                        ) -> tuple[Published, ...]:
    """The bulletins of ``records`` (each folder's ``bulletin.json``) whose folder holds
    pages, by partnership then month; records with unsafe names are left out."""
    out = []
    for r in records:
        pid, month = str(r.get("partnership", "")), str(r.get("month", ""))
        if not _SAFE.match(pid) or not _SAFE.match(month):
            continue
        try:
            Month.parse(month)
        except ValueError:
            continue
        folder = site_dir / pid / month
        pages = sorted((p.name for p in folder.glob("*.html")),
                       key=lambda n: (n != FRONT_PAGE, n))
        if pages:
            out.append(Published(pid, str(r.get("partnership_name") or pid), month,
                                 tuple(pages), str(r.get("cdrp_lib_version", "")),
                                 str(r.get("produced_on", "")), bool(r.get("synthetic"))))
    return tuple(sorted(out, key=lambda b: (b.partnership, b.month)))


def neighbour(bulletins: Sequence[Published], b: Published, page: str, direction: str
              ) -> Published | None:
    """The nearest published month before (``previous``) or after (``next``) ``b`` of the
    same partnership whose bulletin has ``page``."""
    same = [x for x in bulletins if x.partnership == b.partnership and page in x.pages]
    if direction == links.PREVIOUS:
        earlier = [x for x in same if x.month < b.month]
        return earlier[-1] if earlier else None
    later = [x for x in same if x.month > b.month]
    return later[0] if later else None


def _document(title: str, body: str, refresh: str | None) -> str:
    head = ['<!DOCTYPE html>', '<html lang="en-GB">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">']
    if refresh is not None:
        head.append(f'<meta http-equiv="refresh" content="0; url={html.escape(refresh)}">')
    else:  # a page a reader stays on gets the bulletin's look
        head.append(f"<style>\n{inline_css()}</style>")
    return "\n".join([*head, f"<title>{html.escape(title)}</title>", "</head>", "<body>",
                      '<main id="main">', body, "</main>", "</body>", "</html>", ""])


def history_page(bulletins: Sequence[Published], b: Published, page: str, direction: str
                 ) -> str:
    """The page at ``history/<partnership>/<month>/<direction>-<page>``."""
    to = neighbour(bulletins, b, page, direction)
    what = page_title(page)
    name = html.escape(b.name)
    if to is not None:
        href = f"{_UP}{to.partnership}/{to.month}/{page}"
        label = f"{what}: {to.name}, {Month.parse(to.month).label}"
        e = html.escape
        return _document(label, f'<h1>{e(label)}</h1>\n<p><a href="{e(href)}">Go to {e(label)}'
                         "</a></p>", refresh=href)
    word = "earlier" if direction == links.PREVIOUS else "later"
    here = f"{_UP}{b.partnership}/{b.month}/{page}"
    every = f"{_UP}{links.PARTNERSHIPS_FILE}#{links.partnership_anchor(b.partnership)}"
    title = f"No {word} {what.lower()} page for {b.name}"
    e, month = html.escape, html.escape(Month.parse(b.month).label)
    body = (f"<h1>{e(title)}</h1>\n<p>{month} is the "
            f"{'first' if direction == links.PREVIOUS else 'latest'} month published with this "
            f'page for {name}.</p>\n<ul><li><a href="{e(here)}">Back to {e(what)}, {month}</a>'
            f'</li><li><a href="{e(every)}">Every month for {name}</a></li></ul>')
    return _document(title, body, refresh=None)


def history_files(bulletins: Sequence[Published]) -> dict[str, str]:
    """Every history page, by its path relative to the site."""
    return {links.history_file(b.partnership, b.month, d, page): history_page(bulletins, b, page, d)
            for b in bulletins for page in b.pages for d in (links.PREVIOUS, links.NEXT)}


def write_history(site_dir: Path, bulletins: Sequence[Published]) -> int:
    """Write ``history/`` under ``site_dir``: changed files only, stale ones removed.

    Returns how many files were written.
    """
    wanted = history_files(bulletins)
    root = site_dir / links.HISTORY_DIR
    written = 0
    for rel, text in wanted.items():
        path = site_dir / rel
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
        written += 1
    if root.is_dir():
        keep = {site_dir / rel for rel in wanted}
        for folder, _dirs, files in os.walk(root, topdown=False):
            for name in files:
                if Path(folder, name) not in keep:
                    Path(folder, name).unlink()
            if folder != str(root) and not os.listdir(folder):
                shutil.rmtree(folder)
    return written


def partnerships_html(bulletins: Sequence[Published]) -> str:
    """``partnerships.html``: each partnership's bulletins, latest month first."""
    title = "Bulletins by partnership"
    by: dict[str, list[Published]] = {}
    for b in bulletins:
        by.setdefault(b.partnership, []).append(b)
    order = sorted(by, key=lambda p: (by[p][-1].name.casefold(), p))
    out = [f'<p class="breadcrumb"><a href="index.html">All bulletins by month</a> | '
           f'<a href="{links.GUIDE_FILE}">How to read the bulletins</a></p>',
           f"<h1>{title}</h1>", links.search_form(to_site="", field_id="partnerships-search")]
    if not bulletins:
        out.append("<p>No bulletins have been published yet.</p>")
    else:
        out.append("<ul>" + "".join(
            f'<li><a href="#{links.partnership_anchor(p)}">{html.escape(by[p][-1].name)}</a></li>'
            for p in order) + "</ul>")
    for p in order:
        rows = by[p][::-1]
        name = html.escape(rows[0].name)
        out += [f'<h2 id="{links.partnership_anchor(p)}">{name}</h2>',
                '<div class="table-wrap"><table>',
                f"<caption>Every published bulletin for {name}, latest month first</caption>",
                '<thead><tr><th scope="col">Month</th><th scope="col">Pages</th>'
                '<th scope="col">Made with cdrp_lib</th></tr></thead><tbody>']
        for b in rows:
            label = html.escape(Month.parse(b.month).label)
            pages = " | ".join(
                f'<a href="{html.escape(f"{b.partnership}/{b.month}/{pg}")}">'
                f"{html.escape(page_title(pg))}<span class=\"visually-hidden\">, {label}</span></a>"
                for pg in b.pages)
            out.append(f'<tr><th scope="row">{label}</th><td>{pages}</td>'
                       f"<td>{html.escape(b.version)}</td></tr>")
        out.append("</tbody></table></div>")
    body = "\n".join(out)
    return _document(title, body, refresh=None).replace(
        '<main id="main">', '<a class="skip-link" href="#main">Skip to main content</a>\n'
        '<main id="main" tabindex="-1">', 1)


def write_partnerships(site_dir: Path, bulletins: Sequence[Published]) -> Path:
    return write_text_atomic(site_dir / links.PARTNERSHIPS_FILE, partnerships_html(bulletins))
