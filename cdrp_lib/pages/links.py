"""Where a bulletin page links outside its own folder: the reading guide, the search
page, the history links to other months, the by-partnership list.

The one owner of these names: the pages write the links (they sit in the pages
layer) and :mod:`cdrp_lib.site` writes the files they point to when it builds the
index, so a page never needs rewriting when the site around it changes.  Every
href here is relative to a bulletin page, ``<site>/<partnership>/<month>/<page>``.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from cdrp_lib.areas import slugify
from cdrp_lib.pages.part import TO_SITE  # from a bulletin page up to the site folder

#: Site-level files, relative to the site folder.
GUIDE_FILE = "guide.html"
SEARCH_FILE = "search.html"
PARTNERSHIPS_FILE = "partnerships.html"
HISTORY_DIR = "history"

# The reading guide's sections (ids of its headings).
GUIDE_RATINGS = "ratings"
GUIDE_METHODS = "methods"
GUIDE_TRAJECTORY = "read-trajectory-chart"
GUIDE_CONTROL = "read-control-chart"
GUIDE_SMALL_MULTIPLES = "read-small-multiples"
GUIDE_SURVEY = "read-survey-chart"
GUIDE_REPEAT = "read-repeat-chart"
GUIDE_PERFORMANCE_TABLE = "read-performance-table"
GUIDE_TARGETS_TABLE = "read-targets-table"
GUIDE_COMPARISON = "read-comparison-table"
GUIDE_FUNNEL = "read-funnel-chart"
GUIDE_SOURCES = "sources-and-lags"
GUIDE_MOVEMENTS = "what-changed"

#: A figure's kind (the last part of its CSV's name, which every page passes when it
#: shows a chart or table) -> the guide section explaining how to read it.
GUIDE_FOR_FIGURE = MappingProxyType({
    "performance-chart": GUIDE_TRAJECTORY,
    "control-chart": GUIDE_CONTROL,
    "small-multiples": GUIDE_SMALL_MULTIPLES,
    "survey-chart": GUIDE_SURVEY,
    "survey-table": GUIDE_SURVEY,
    "repeat-rate-chart": GUIDE_REPEAT,
    "repeat-table": GUIDE_REPEAT,
    "performance-table": GUIDE_PERFORMANCE_TABLE,
    "targets": GUIDE_TARGETS_TABLE,
    "outcomes": GUIDE_RATINGS,
    "similar-areas": GUIDE_COMPARISON,
    "funnel-chart": GUIDE_FUNNEL,
    "sources": GUIDE_SOURCES,
    "movements": GUIDE_MOVEMENTS,
})

PREVIOUS = "previous"
NEXT = "next"


def guide_href(section: str) -> str:
    """A bulletin page's link to one section of the reading guide."""
    return f"{TO_SITE}{GUIDE_FILE}#{section}"


def guide_section(figure_kind: str) -> str | None:
    """The guide section for a figure of this kind (``None``: the guide has none)."""
    return GUIDE_FOR_FIGURE.get(figure_kind)


def history_file(partnership: str, month: str, direction: str, page: str) -> str:
    """The small navigation page, relative to the site, that sends a reader from ``page``
    of ``month`` to the same page of the previous or next published month.

    Written by :mod:`cdrp_lib.site.history` whenever the index is rebuilt, so the link
    in a page stays the same bytes when later months are published.
    """
    if direction not in (PREVIOUS, NEXT):
        raise ValueError(f"direction must be {PREVIOUS!r} or {NEXT!r}, got {direction!r}")
    return f"{HISTORY_DIR}/{partnership}/{month}/{direction}-{page}"


def history_href(partnership: str, month: str, direction: str, page: str) -> str:
    return TO_SITE + history_file(partnership, month, direction, page)


def partnership_anchor(partnership: str) -> str:
    """The id of a partnership's list on the by-partnership page."""
    return "p-" + slugify(partnership)


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def guide_link(section: str, what: str) -> str:
    """"How to read ..." beside a chart, table or rating (left out of search results)."""
    return (f'<p class="guide-link" data-pagefind-ignore><a href="{_esc(guide_href(section))}">'
            f"{_esc(what)}</a></p>")


def month_nav(partnership: str, partnership_name: str, month: str, page: str) -> str:
    """The links from a bulletin page to the same page of the previous and next published
    months, all months of the partnership, and the reading guide.

    Each link's target is fixed by this page alone (see :func:`history_file`), so the page
    is the same bytes whatever is published later.
    """
    links = [
        (history_href(partnership, month, PREVIOUS, page), "Previous month"),
        (history_href(partnership, month, NEXT, page), "Next month"),
        (f"{TO_SITE}{PARTNERSHIPS_FILE}#{partnership_anchor(partnership)}",
         f"Every month for {partnership_name}"),
        (f"{TO_SITE}{GUIDE_FILE}", "How to read this bulletin"),
    ]
    items = "".join(f'<li><a href="{_esc(href)}">{_esc(text)}</a></li>' for href, text in links)
    return (f'<nav class="month-nav" aria-label="Other months and the reading guide" '
            f"data-pagefind-ignore><ul>{items}</ul></nav>")


def search_form(to_site: str = TO_SITE, field_id: str = "site-search") -> str:
    """A plain GET form to the search page: no script on the page itself, so the page reads
    the same with scripts off; the search page runs the search (``?q=``)."""
    return (f'<form class="site-search" role="search" action="{_esc(to_site + SEARCH_FILE)}" '
            f'method="get" data-pagefind-ignore><label for="{_esc(field_id)}">Search every '
            f'bulletin</label> <input id="{_esc(field_id)}" type="search" name="q"> '
            '<button type="submit">Search</button></form>')


def search_filters(partnership_name: str, month_label: str, page_title: str) -> str:
    """Empty elements giving the search index its filters (partnership, month, page)."""
    return "".join(
        f'<span data-pagefind-filter="{key}:{_esc(value.replace(",", " "))}"></span>'
        for key, value in (("partnership", partnership_name), ("month", month_label),
                           ("page", page_title)))


def site_links(site_dir: Path) -> str:
    """The site index's links to the list by partnership, the guide and search: those whose
    file is in ``site_dir`` (they are written with the index)."""
    found = [(f, text) for f, text in ((PARTNERSHIPS_FILE, "Bulletins by partnership"),
                                       (GUIDE_FILE, "How to read the bulletins"))
             if (site_dir / f).is_file()]
    out = []
    if found:
        out.append('<p class="site-links">' + " | ".join(
            f'<a href="{_esc(f)}">{_esc(text)}</a>' for f, text in found) + "</p>")
    if (site_dir / SEARCH_FILE).is_file():
        out.append(search_form(to_site="", field_id="index-search"))
    return "\n".join(out)
