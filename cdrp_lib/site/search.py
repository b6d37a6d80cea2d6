"""Search across every bulletin of the site, built with the site (Pagefind).

Pagefind (pinned from PyPI as ``pagefind[bin]``, a wheel carrying its binary)
reads the published HTML and writes a static, chunked index beside it in
``pagefind/``; the browser loads only the chunks a query needs, from the same
server, so the site stays offline-safe and works from ``cdrp serve``, any plain
web server, or a copy made by ``cdrp publish`` (which copies the folder with the
rest).  Chosen over an index of our own because it is well kept, needs no
server-side code or Node, and handles stemming, excerpts and filters.

What is indexed is marked in the pages: bulletin pages' ``<main>`` carries
``data-pagefind-body`` (so the site index, history and search pages are not
results), and furniture that would pollute results (protective marking,
breadcrumbs, navigation, "how to read" links, the footer) carries
``data-pagefind-ignore``.  Each page gives partnership, month and page filters.

Bulletin pages carry no script: their search box is a plain form that opens
``search.html?q=...``, the only page with scripts.  With scripts off it says so
and points to the lists by month and by partnership.

The index is written to a working folder and swapped in, so a reader never
sees half an index, and the same pages give the same bytes.  Each month of
bulletins is a bundle of its own (``pagefind/months/YYYY-MM/``), which the search
page merges with the site's (Pagefind's multisite search): a run re-indexes only
the months whose pages changed, so a national month costs the same however many
months the site already holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cdrp_lib.errors import CdrpError
from cdrp_lib.pages import links
from cdrp_lib.pages.part import inline_css
from cdrp_lib.render import write_text_atomic

#: The index folder in the site, and what the search page loads from it.
INDEX_DIR = "pagefind"
SEARCH_SCRIPT = "search.js"
#: What Pagefind reads into the site's own bundle (``pagefind/``): the reading guide, and
#: the list by partnership, always there and never a result once any page is marked
#: ``data-pagefind-body``, which keeps a site with no bulletin yet indexable (Pagefind
#: refuses a site without pages).
GLOB = "{" + links.GUIDE_FILE + "," + links.PARTNERSHIPS_FILE + "}"
#: The bulletin pages are indexed a month at a time, each month into a bundle of its own
#: (``pagefind/months/YYYY-MM/``, merged by the search page), and a month's bundle is made
#: again only when its pages changed: Pagefind cannot update an index in place (its issue
#: #71), and indexing every month of a national site on every run grows with the site.
MONTHS_DIR = "months"
#: In each month's bundle: the digest of the pages it was made from.
STAMP_FILE = "cdrp-pages.sha256"
_MONTH_NAME = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TIMEOUT_S = 600


class SearchIndexError(CdrpError):
    """Pagefind is missing or failed: the site's search index could not be built."""


def pagefind_executable() -> Path:
    """The Pagefind binary installed with the ``pagefind[bin]`` wheel."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise SearchIndexError("the search index needs Pagefind: pip install 'pagefind[bin]' "
                               "(it is a dependency of cdrp_lib; reinstall the project)") from None
    try:
        return Path(get_executable())
    except FileNotFoundError as exc:
        raise SearchIndexError(f"Pagefind's binary is missing from its wheel: {exc}") from None


def _run_pagefind(site: Path, glob: str, output: Path) -> None:
    command = [str(pagefind_executable()), "--site", str(site), "--output-path", str(output),
               "--glob", glob, "--keep-index-url", "--silent"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not (output / "pagefind.js").is_file():
        said = (done.stderr or done.stdout).strip().splitlines()
        raise SearchIndexError("Pagefind could not index the site: "
                               + (said[-1] if said else f"exit status {done.returncode}"))


def month_glob(month: str) -> str:
    """What Pagefind reads into a month's bundle: its bulletin pages, and the list by
    partnership for the reason :data:`GLOB` has it (a month of pages Pagefind finds
    nothing in, such as a bare page left by hand, still makes a bundle)."""
    return "{*/" + month + "/*.html," + links.PARTNERSHIPS_FILE + "}"


def month_pages(site_dir: Path) -> dict[str, list[Path]]:
    """The bulletin pages of every month (``<partnership>/<YYYY-MM>/*.html``), by month.

    Working folders (names starting with ".") and the history pages (a level deeper) are
    not bulletin pages.
    """
    out: dict[str, list[Path]] = {}
    for page in sorted(Path(site_dir).glob("*/*/*.html")):
        partnership, month = page.parent.parent.name, page.parent.name
        if not partnership.startswith(".") and _MONTH_NAME.match(month):
            out.setdefault(month, []).append(page)
    return out


def _pages_digest(site: Path, pages: list[Path]) -> str:
    """What a month's bundle was made from: each page's path and bytes."""
    digest = hashlib.sha256(GLOB.encode())
    for page in pages:
        digest.update(page.relative_to(site).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(page.read_bytes()).digest())
    return digest.hexdigest()


def _link_tree(source: Path, dest: Path) -> None:
    """A copy of ``source`` at ``dest`` made of hard links (a copy where links cannot be)."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    shutil.copytree(source, dest, copy_function=link)


@dataclass(frozen=True)
class SearchIndex:
    """What :func:`build_search_index` made: the index folder, every month it holds and the
    months whose bundle it made again (the others were unchanged and kept)."""

    path: Path
    months: tuple[str, ...]
    indexed: tuple[str, ...]


def build_search_index(site_dir: Path) -> SearchIndex:
    """Index the site into ``site_dir/pagefind``: the guide into the folder itself, every
    month's bulletin pages into ``months/YYYY-MM/``, only the months whose pages changed
    since the index was last made.  The folder is swapped in whole."""
    site = Path(site_dir).resolve()
    final = site / INDEX_DIR
    staging = site / f".{INDEX_DIR}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    indexed: list[str] = []
    try:
        _run_pagefind(site, GLOB, staging)
        by_month = month_pages(site)
        for month, pages in by_month.items():
            digest = _pages_digest(site, pages)
            held, bundle = final / MONTHS_DIR / month, staging / MONTHS_DIR / month
            stamp = held / STAMP_FILE
            if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
                _link_tree(held, bundle)
                continue
            _run_pagefind(site, month_glob(month), bundle)
            (bundle / STAMP_FILE).write_text(digest, encoding="utf-8")
            indexed.append(month)
        old = site / f".{INDEX_DIR}.old-{os.getpid()}-{secrets.token_hex(4)}"
        if final.exists():
            os.rename(final, old)
        os.rename(staging, final)
        shutil.rmtree(old, ignore_errors=True)
        return SearchIndex(final, tuple(by_month), tuple(indexed))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


SCRIPT = """\
// The site's search (Pagefind's default interface), loaded only by search.html.
// Result links are made relative to this page, so the site works in any folder.
(function () {
  "use strict";
  var here = window.location.pathname.replace(/[^/]*$/, "");
  var notice = document.getElementById("search-needs-script");
  if (notice) { notice.hidden = true; }
  var months = MONTHS;  // a bundle per month of bulletins, merged into the site's own
  var ui = new PagefindUI({
    element: "#search", baseUrl: here, bundlePath: here + "pagefind/",
    mergeIndex: months.map(function (m) {
      return { bundlePath: here + "pagefind/months/" + m + "/" };
    }),
    showSubResults: true, showImages: false, resetStyles: false,
    translations: { placeholder: "Search every bulletin" }
  });
  // A visible label for the search box (Pagefind gives it only a placeholder).
  var input = document.querySelector("#search input[type=text], #search input");
  var label = document.getElementById("search-label");
  if (input && label) {
    input.id = "search-input";
    label.setAttribute("for", "search-input");
    label.hidden = false;
  }
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { ui.triggerSearch(query); }
})();
"""


def search_page() -> str:
    """``search.html``: Pagefind's interface, with a plain-text fallback without scripts."""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en-GB">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Search the bulletins</title>",
        f"<style>\n{inline_css()}</style>",
        f'<link rel="stylesheet" href="{INDEX_DIR}/pagefind-ui.css">',
        "</head>", "<body>",
        '<a class="skip-link" href="#main">Skip to main content</a>',
        '<main id="main" tabindex="-1">',
        '<p class="breadcrumb"><a href="index.html">All bulletins by month</a> | '
        f'<a href="{links.PARTNERSHIPS_FILE}">By partnership</a> | '
        f'<a href="{links.GUIDE_FILE}">How to read the bulletins</a></p>',
        "<h1>Search the bulletins</h1>",
        "<p>Search every published bulletin: partnerships, months, themes, measures, "
        "what the figures say and the analysts' commentary. Filter the results by "
        "partnership, month or page.</p>",
        '<p id="search-needs-script">Search needs JavaScript, which is off in this browser. '
        'Every bulletin is listed <a href="index.html">by month</a> and '
        f'<a href="{links.PARTNERSHIPS_FILE}">by partnership</a>.</p>',
        '<label id="search-label" hidden>Search every bulletin</label>',
        '<div id="search" role="search" aria-label="Search the bulletins"></div>',
        "</main>",
        f'<script src="{INDEX_DIR}/pagefind-ui.js"></script>',
        f'<script src="{SEARCH_SCRIPT}"></script>',
        "</body>", "</html>", ""])


def search_script(months: Iterable[str]) -> str:
    """``search.js``: :data:`SCRIPT` merging the bundles of ``months``."""
    return SCRIPT.replace("MONTHS", json.dumps(list(months)), 1)


def write_search(site_dir: Path) -> SearchIndex:
    """Build the index, then write the search page and its script (which lists the index's
    month bundles)."""
    site = Path(site_dir)
    index = build_search_index(site)
    write_text_atomic(site / links.SEARCH_FILE, search_page())
    write_text_atomic(site / SEARCH_SCRIPT, search_script(index.months))
    return index
