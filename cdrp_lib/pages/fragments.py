"""Small pieces of page markup shared by the theme pages and the front page.

Every text from params or data is escaped here; markup is written only from
constants and escaped text, so a page cannot be broken (or scripted) by a name
in a params file or a data extract.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cdrp_lib.areas import slugify
from cdrp_lib.pages.links import GUIDE_RATINGS, guide_href
from cdrp_lib.pages.part import FRONT_PAGE, SITE_INDEX
from cdrp_lib.periods import MONTH_NAMES, Month
from cdrp_lib.version import __version__

if TYPE_CHECKING:
    from cdrp_lib.public import PublicAssessment


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def month_label(month: str | None) -> str:
    return Month.parse(month).label if month else "no data"


def long_date(iso: str) -> str:
    """``2026-01-15`` -> ``15 January 2026``, as a reader writes a date."""
    day = datetime.date.fromisoformat(iso)
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def produced_on(text: str) -> str:
    """The date printed as 'produced on': ``text`` checked as YYYY-MM-DD, or today."""
    if not text:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"`produced_on` must be a date YYYY-MM-DD or '', got {text!r}") from None


def marking(text: str) -> str:
    return (f'<p class="security-marking" data-pagefind-ignore><strong>{esc(text)}</strong>'
            "</p>")


def synthetic_banner() -> str:
    return ('<p class="synthetic-banner"><strong class="synthetic">SYNTHETIC DATA</strong> '
            "Every figure on this page is made up for demonstration by <code>cdrp demo-data"
            "</code>. It describes no real place, person or crime.</p>")


def breadcrumb(front_page: bool) -> str:
    links = [f'<a href="{SITE_INDEX}">All bulletins</a>']
    if not front_page:
        links.append(f'<a href="{FRONT_PAGE}">This bulletin\'s summary</a>')
    return f'<p class="breadcrumb" data-pagefind-ignore>{" | ".join(links)}</p>'


def page_top(title: str, security_marking: str, synthetic: bool, front_page: bool,
             navigation: str = "") -> str:
    """Marking, breadcrumb, ``navigation`` (other months, search), the page's one ``<h1>``
    (the title of its search result) and, for demo data, the banner."""
    blocks = [marking(security_marking), breadcrumb(front_page), navigation,
              f'<h1 data-pagefind-meta="title">{esc(title)}</h1>']
    if synthetic:
        blocks.append(synthetic_banner())
    return "\n".join(b for b in blocks if b)


def page_foot(produced: str, security_marking: str) -> str:
    return (f'<p class="page-foot" data-pagefind-ignore>Produced on {esc(long_date(produced))} '
            f"with cdrp_lib {esc(__version__)}. Figures for every chart and table can be "
            "downloaded as CSV beside it.</p>\n" + marking(security_marking))


def rag_badge(a: PublicAssessment) -> str:
    """The measure's rating in words, never colour alone, with an override's reason."""
    from cdrp_lib.stats.rag import NOT_ASSESSED_MARK, NOT_ASSESSED_WORD
    from cdrp_lib.tables import short_reason

    if a.rag is None:
        why = f": {short_reason(a.not_assessed_reason)}" if a.not_assessed_reason else ""
        badge = (f'<span class="rag-none">{NOT_ASSESSED_MARK} {NOT_ASSESSED_WORD}'
                 f"{esc(why)}</span>")
    else:
        badge = f'<span class="rag-{esc(a.rag.letter)}">{esc(a.rag.label)}</span>'
    text = f'<p class="rating">Rating: {badge}'
    if a.rag_override_reason:
        text += f" (rating set by the partnership: {esc(a.rag_override_text)})"
    elif a.rag_override_expired:
        text += f" ({esc(a.rag_override_expired)})"
    guide = esc(guide_href(GUIDE_RATINGS))
    return (text + f' <span class="guide-link" data-pagefind-ignore><a href="{guide}">How '
            "ratings are set</a></span></p>")


def paragraph(texts: Sequence[str], css: str = "", strong: bool = False) -> str:
    if not texts:
        return ""
    klass = f' class="{css}"' if css else ""
    text = esc(" ".join(texts))
    return f"<p{klass}><strong>{text}</strong></p>" if strong else f"<p{klass}>{text}</p>"


def bullets(items: Sequence[str], css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f"<ul{klass}>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def key(a: PublicAssessment) -> str:
    """The id a measure's parts, CSVs and anchors are named by: its target, else its measure."""
    return a.target_id or a.measure or slugify(a.measure_name)


def heading_id(a: PublicAssessment) -> str:
    return "measure-" + slugify(key(a))
