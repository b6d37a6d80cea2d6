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
sees half an index, and the same pages give the same bytes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

from cdrp_lib.errors import CdrpError
from cdrp_lib.pages import links
from cdrp_lib.pages.part import bulletin_css
from cdrp_lib.render import write_text_atomic

#: The index folder in the site, and what the search page loads from it.
INDEX_DIR = "pagefind"
SEARCH_SCRIPT = "search.js"
#: What Pagefind reads: the bulletin pages and the reading guide (working folders, whose
#: names start with ".", are never matched by ``*``).  The list by partnership, always
#: there and never a result once any page is marked ``data-pagefind-body``, keeps a site
#: with no bulletin yet indexable (Pagefind refuses a site without pages).
GLOB = "{*/*/*.html," + links.GUIDE_FILE + "," + links.PARTNERSHIPS_FILE + "}"
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


def build_search_index(site_dir: Path) -> Path:
    """Index every bulletin page of ``site_dir`` into ``site_dir/pagefind`` (swapped in whole)."""
    site = Path(site_dir).resolve()
    staging = site / f".{INDEX_DIR}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    command = [str(pagefind_executable()), "--site", str(site), "--output-path", str(staging),
               "--glob", GLOB, "--keep-index-url", "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=False, stdin=subprocess.DEVNULL)
        if done.returncode != 0 or not (staging / "pagefind.js").is_file():
            said = (done.stderr or done.stdout).strip().splitlines()
            raise SearchIndexError("Pagefind could not index the site: "
                                   + (said[-1] if said else f"exit status {done.returncode}"))
        final = site / INDEX_DIR
        old = site / f".{INDEX_DIR}.old-{os.getpid()}-{secrets.token_hex(4)}"
        if final.exists():
            os.rename(final, old)
        os.rename(staging, final)
        shutil.rmtree(old, ignore_errors=True)
        return final
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
  var ui = new PagefindUI({
    element: "#search", baseUrl: here, bundlePath: here + "pagefind/",
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
        f"<style>\n{bulletin_css()}</style>",
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


def write_search(site_dir: Path) -> Path:
    """Write the search page and its script, then build the index (returns the index folder)."""
    site = Path(site_dir)
    write_text_atomic(site / links.SEARCH_FILE, search_page())
    write_text_atomic(site / SEARCH_SCRIPT, SCRIPT)
    return build_search_index(site)
