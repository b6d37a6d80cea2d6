"""The site check: links that leave the site or do not resolve, leaked paths and
identities, and the structural accessibility rules (alt text, captions, header
cells, heading order).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from cdrp_lib.errors import Problem

if TYPE_CHECKING:
    pass
from cdrp_lib.site.publish import _WORKING_PREFIXES, _contains
from cdrp_lib.site.redact import _identities

# Files whose text is published and so must not leak paths or identities.
TEXT_SUFFIXES = frozenset({".html", ".htm", ".css", ".csv", ".json", ".txt", ".svg", ".md"})

_LINK_ATTRS = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src",), "script": ("src",),
    "iframe": ("src",), "frame": ("src",), "embed": ("src",), "source": ("src",),
    "track": ("src",), "audio": ("src",), "video": ("src", "poster"), "object": ("data",),
    "input": ("src",), "form": ("action",),
}
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)
_DATA_URI = re.compile(r"data:[\w/+.-]*(?:;[\w=.+-]+)*,[^\"'\s)<>]*", re.IGNORECASE)
_ABS_PATH_TEXT = re.compile(
    r"(?<![\w.:/~-])/(?:home|Users|root|tmp|var|srv|opt|mnt|media|work|usr|etc|private|Volumes)/"
    r"|\b[A-Za-z]:\\[^\s\\]|\\\\[\w.-]+\\[\w$.-]+"
)


_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"]+)", re.IGNORECASE)


def _search_scripts(rel: str, page: _Page) -> set[int]:
    """Lines of the scripts the search page may have: files of the site's own, no inline
    code (Pagefind's interface and the script starting it; every bulletin page has none)."""
    from cdrp_lib.pages.links import SEARCH_FILE
    from cdrp_lib.site.search import INDEX_DIR, SEARCH_SCRIPT

    if rel != SEARCH_FILE:
        return set()
    return {line for src, line in page.scripts
            if src is not None and (src == SEARCH_SCRIPT or src.startswith(f"{INDEX_DIR}/"))}


class _Page(HTMLParser):
    """What the checks need from one page, gathered in one parsing pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, int]] = []  # (tag, url, line)
        self.scripts: list[tuple[str | None, int]] = []  # (src or None when inline, line)
        self.css: list[tuple[str, int]] = []  # (style text, line)
        self.headings: list[tuple[int, int]] = []  # (level, line)
        self.ids: set[str] = set()
        self.problems: list[tuple[str, str, str, int]] = []  # (rule, expected, found, line)
        self.html_lang: str | None = None
        self.title_text: str | None = None
        self._tables: list[list[bool]] = []  # per open table: [has caption, has th]
        self._table_lines: list[int] = []
        self._in_title = False
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = {k: (v or "") for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        for attr in _LINK_ATTRS.get(tag, ()):
            if attr in values:
                self.links.append((tag, values[attr].strip(), line))
        if "srcset" in values:
            for candidate in values["srcset"].split(","):
                if candidate.strip():
                    self.links.append((tag, candidate.split()[0], line))
        if "style" in values:
            self.css.append((values["style"], line))
        if tag == "html":
            self.html_lang = values.get("lang", "")
        elif tag == "title":
            self._in_title = True
            self.title_text = ""
        elif tag == "style":
            self._in_style = True
        elif tag == "base":
            self.problems.append(("<base> element", "no <base> (it changes where links go)",
                                  "<base>", line))
        elif tag == "script":
            self.scripts.append((values.get("src"), line))
            self.problems.append(("script in page", "no <script> (pages are static)",
                                  f"<script{' src' if 'src' in values else ''}>", line))
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            # "0; url=..." sends the reader on: the target must resolve like a link
            target = _REFRESH_URL.search(values.get("content", ""))
            if target:
                self.links.append((tag, target.group(1).strip(), line))
        elif tag == "img" and not values.get("alt", "").strip():
            self.problems.append(("image without alt text", 'a non-empty alt="..." stating '
                                  "its finding", "no alt" if "alt" not in values else 'alt=""',
                                  line))
        elif tag == "table":
            self._tables.append([False, False])
            self._table_lines.append(line)
        elif tag == "caption" and self._tables:
            self._tables[-1][0] = True
        elif tag == "th" and self._tables:
            self._tables[-1][1] = True
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.headings.append((int(tag[1]), line))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "style":
            self._in_style = False
        elif tag == "table" and self._tables:
            has_caption, has_th = self._tables.pop()
            line = self._table_lines.pop()
            if not has_caption:
                self.problems.append(("table without caption", "a <caption>", "none", line))
            if not has_th:
                self.problems.append(("table without header cells", "<th> cells", "none", line))

    def handle_data(self, data: str) -> None:
        if self._in_title and self.title_text is not None:
            self.title_text += data
        if self._in_style:
            self.css.append((data, self.getpos()[0]))


def _link_problem(
    site: Path, page: Path, url: str, targets: dict[Path, set[str]], own_ids: set[str],
) -> tuple[str, str, str] | None:
    """(rule, expected, found) for a link that leaves the site or does not resolve."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "data":
        return None
    if parts.scheme or parts.netloc or url.startswith("//"):
        return ("link outside the site", "a relative link inside the site", url)
    if parts.path.startswith(("/", "\\")):
        return ("absolute link", "a relative link inside the site", url)
    if not parts.path:
        if parts.fragment and unquote(parts.fragment) not in own_ids:
            return ("broken fragment", "an element with that id on this page", url)
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    if not _contains(site, target):
        return ("link outside the site", "a target inside the site folder", url)
    if target.is_dir():
        return ("link to a folder", "a link to a file (folders show no page opened from disk)",
                url)
    if not target.is_file():
        return ("broken link", "an existing file", url)
    if parts.fragment and target.suffix.lower() in (".html", ".htm"):
        if target not in targets:
            parsed = _Page()
            parsed.feed(target.read_text(encoding="utf-8", errors="replace"))
            targets[target] = parsed.ids
        if unquote(parts.fragment) not in targets[target]:
            return ("broken fragment", f"an element with that id in {parts.path}", url)
    return None


def _structure_problems(rel: str, page: _Page) -> list[Problem]:
    out = [Problem(rel, rule, expected, found, line=line)
           for rule, expected, found, line in page.problems]
    if not page.html_lang:
        out.append(Problem(rel, "page language missing", '<html lang="en-GB">', "no lang"))
    if not (page.title_text or "").strip():
        out.append(Problem(rel, "page title missing", "a non-empty <title>", "none"))
    h1 = [line for level, line in page.headings if level == 1]
    if len(h1) != 1:
        out.append(Problem(rel, "not exactly one h1", "one <h1>", f"{len(h1)} <h1>",
                           line=h1[1] if len(h1) > 1 else None))
    previous = 0
    for level, line in page.headings:
        if level > previous + 1:
            out.append(Problem(rel, "heading level skipped",
                               f"h{previous + 1} or higher after h{previous}" if previous
                               else "the first heading to be h1", f"h{level}", line=line))
        previous = level
    return out


def _leak_problems(rel: str, text: str, site: Path) -> list[Problem]:
    """Absolute paths, user and host names in published text (data: URIs excluded)."""
    out: list[Problem] = []
    stripped = _DATA_URI.sub("data:", text)
    lines = stripped.splitlines()
    home = str(Path.home())
    literal = {str(site), str(site.absolute())}
    if len(home) > 1:
        literal.add(home)
    words = _identities()
    for number, line in enumerate(lines, start=1):
        unescaped = html.unescape(line)
        for needle in sorted(literal):
            if needle in unescaped:
                out.append(Problem(rel, "absolute path in page", "no local paths", needle,
                                   line=number))
        match = _ABS_PATH_TEXT.search(unescaped)
        if match:
            out.append(Problem(rel, "absolute path in page", "no local paths",
                               unescaped[match.start(): match.start() + 40], line=number))
        for word in words:
            if re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", unescaped, re.IGNORECASE):
                out.append(Problem(rel, "user or host name in page",
                                   "no user or host names", word, line=number))
    return out


def _site_files(site: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(site):
        dirs[:] = sorted(d for d in dirs if not d.startswith(_WORKING_PREFIXES))
        for name in sorted(files):
            if not name.startswith(_WORKING_PREFIXES) and not name.endswith(".tmp"):
                yield Path(root) / name


def check_site(site_dir: Path, *, allow_scripts: bool = False) -> list[str]:
    """Every problem with the published site, one line each (empty when it is fine).

    For every HTML page: each relative ``href``/``src`` (and CSS ``url()``)
    resolves to a file inside the site, fragments included; nothing points
    outside (``http:``, ``https:``, ``//``, ``file:``, absolute paths), there is
    no ``@import``, ``<base>`` or ``<script>`` (``allow_scripts`` accepts
    inline scripts, for pages quarto renders; the search page may load the
    search scripts from the site's own files); a refresh ``<meta>`` resolves
    like a link; every ``<img>`` has non-empty
    alt text; every ``<table>`` a ``<caption>`` and ``<th>`` cells; headings
    start at h1 and never skip a level; exactly one h1; ``lang`` and
    ``<title>`` are set.  For every published text file: no absolute paths
    (the site's own, the home folder, or any under common system roots), and
    no user or host name of this machine.
    """
    site = Path(site_dir).resolve()
    if not site.is_dir():
        return [str(Problem(str(site_dir), "site folder missing", "a folder", "nothing"))]
    problems: list[Problem] = []
    targets: dict[Path, set[str]] = {}
    for path in _site_files(site):
        rel = path.relative_to(site).as_posix()
        if path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += _leak_problems(rel, text, site)
        if path.suffix.lower() not in (".html", ".htm"):
            continue
        page = _Page()
        page.feed(text)
        page.close()
        if allow_scripts:
            page.problems = [p for p in page.problems
                             if not (p[0] == "script in page" and p[2] == "<script>")]
        allowed = _search_scripts(rel, page)
        page.problems = [p for p in page.problems
                         if not (p[0] == "script in page" and p[3] in allowed)]
        problems += _structure_problems(rel, page)
        links = list(page.links)
        for css, line in page.css:
            if _CSS_IMPORT.search(css):
                problems.append(Problem(rel, "CSS @import", "no @import (styles are inline)",
                                        "@import", line=line))
            links += [("style", m.group(2).strip(), line) for m in _CSS_URL.finditer(css)]
        for tag, url, line in links:
            found = _link_problem(site, path, url, targets, page.ids)
            if found:
                problems.append(Problem(rel, found[0], found[1],
                                        found[2] if len(found[2]) < 120 else found[2][:117] + "...",
                                        line=line, column=f"<{tag}>"))
    return [str(p) for p in problems]
