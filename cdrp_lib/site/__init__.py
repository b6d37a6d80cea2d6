"""The bulletin site: its index page, atomic publication, checks and preview.

``outputs/site`` holds ``index.html`` and one folder per partnership and month.
Everything here keeps three promises of the published site:

* readers never see a half-written page or folder: a bulletin folder, and a
  whole publication, are built in a staging folder beside their destination and
  swapped in with renames; the previous version stays until the new one is
  complete (on Linux the swap is a single ``renameat2(RENAME_EXCHANGE)``);
* everything from params and data is HTML-escaped, and an error shown on the
  index is one line with no paths, user or host names;
* the site is self-contained: :func:`check_site` finds links that leave the
  site or do not resolve, leaked paths and identities, and the structural
  accessibility rules (alt text, captions, header cells, heading order);
  ``cdrp publish`` keeps what it learnt of each file beside the site
  (:func:`check_cache_file`), so a publication re-reads only what changed.

Names starting with ``.`` inside the site are working files (staging folders,
temporary files) and are never checked or published.
"""

from cdrp_lib.site.build import SitePages, build_site_pages
from cdrp_lib.site.check import TEXT_SUFFIXES, check_site
from cdrp_lib.site.check_cache import check_cache_file
from cdrp_lib.site.index import (
    RAG_CODES,
    RAG_LABELS,
    SITE_TITLE,
    STATUSES,
    BulletinEntry,
    index_html,
    mark_stale,
    write_index,
)
from cdrp_lib.site.publish import PREVIOUS_SUFFIX, publish_folder, publish_site
from cdrp_lib.site.redact import ERROR_MAX_CHARS, one_line_error
from cdrp_lib.site.serve import make_server

__all__ = [
    "ERROR_MAX_CHARS",
    "PREVIOUS_SUFFIX",
    "RAG_CODES",
    "RAG_LABELS",
    "SITE_TITLE",
    "STATUSES",
    "TEXT_SUFFIXES",
    "BulletinEntry",
    "SitePages",
    "build_site_pages",
    "check_cache_file",
    "check_site",
    "index_html",
    "make_server",
    "mark_stale",
    "one_line_error",
    "publish_folder",
    "publish_site",
    "write_index",
]
