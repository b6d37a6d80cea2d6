"""The site-level pages built with the index: history links, the list by partnership,
the reading guide, and the search page with its index.

:func:`build_site_pages` runs after each batch, once every bulletin folder is in
place, from the folders' ``bulletin.json`` records alone (plus params for the
guide).  Bulletin pages link to these files at fixed addresses
(:mod:`cdrp_lib.pages.links`), so the pages themselves never change when a
later month is published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdrp_lib.site.guide import write_guide
from cdrp_lib.site.history import published_bulletins, write_history, write_partnerships
from cdrp_lib.site.search import SearchIndex, write_search


@dataclass(frozen=True)
class SitePages:
    """What :func:`build_site_pages` wrote."""

    bulletins: int
    history_written: int
    guide: Path | None
    search_index: SearchIndex | None


def build_site_pages(site_dir: Path, records: Iterable[Mapping[str, Any]],
                     params_dir: Path | None, *, search: bool = True) -> SitePages:
    """Write history pages, ``partnerships.html``, ``guide.html`` (from ``params_dir``; none
    without it) and, unless ``search`` is off, ``search.html`` and the search index."""
    site = Path(site_dir)
    bulletins = published_bulletins(site, records)
    written = write_history(site, bulletins)
    write_partnerships(site, bulletins)
    guide = write_guide(site, params_dir, bulletins) if params_dir is not None else None
    index = write_search(site) if search else None
    return SitePages(len(bulletins), written, guide, index)
