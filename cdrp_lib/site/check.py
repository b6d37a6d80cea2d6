"""The site check: links that leave the site or do not resolve, leaked paths and
identities, and the structural accessibility rules (alt text, captions, header
cells, heading order).

Each file is read once for what it says on its own (:func:`_facts`, cacheable by
content: :mod:`cdrp_lib.site.check_cache`); what depends on other files (where a
link leads, whether its target has that id) is resolved afresh on every check.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from cdrp_lib.errors import Problem
from cdrp_lib.site.check_cache import FactsCache, SiteTree, content_key
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


def _search_scripts(rel: str, scripts: list[tuple[str | None, int]]) -> set[int]:
    """Lines of the scripts the search page may have: files of the site's own, no inline
    code (Pagefind's interface and the script starting it; every bulletin page has none)."""
    from cdrp_lib.pages.links import SEARCH_FILE
    from cdrp_lib.site.search import INDEX_DIR, SEARCH_SCRIPT

    if rel != SEARCH_FILE:
        return set()
    return {line for src, line in scripts
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


_TO_A_FOLDER = ("link to a folder", "a link to a file (folders show no page opened from disk)")


@dataclass
class _Links:
    """Where the links of one check lead: the site's tree and the ids of its pages.

    A link's target is worked out from the names the walk saw
    (:meth:`SiteTree.lexical`) and looked up in the tree; only when the names cannot
    say (symbolic links, a path leaving the site or entering a working folder) or the
    tree has no such name is the disk asked, as the check always did.
    """

    site: Path
    tree: SiteTree
    page_ids: dict[str, frozenset[str]]  # ids of each checked page, by relative path
    parsed: dict[Path, set[str]] = field(default_factory=dict)  # pages parsed for their ids

    def problem(self, page_folder: str, url: str, own_ids: frozenset[str]
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
        path = unquote(parts.path)
        rel = self.tree.lexical(page_folder, path)
        if rel is not None and rel in self.tree.folders:
            return (*_TO_A_FOLDER, url)
        if rel is None or rel not in self.tree.files:
            found = self._on_disk(page_folder, url, path)
            if found is not None:
                return found
        target = self.site / rel if rel is not None else (
            self.site / page_folder / path).resolve()
        if parts.fragment and target.suffix.lower() in (".html", ".htm"):
            ids = self.page_ids.get(rel) if rel is not None else None
            if ids is None:
                if target not in self.parsed:
                    parsed = _Page()
                    parsed.feed(target.read_text(encoding="utf-8", errors="replace"))
                    self.parsed[target] = parsed.ids
                ids = frozenset(self.parsed[target])
            if unquote(parts.fragment) not in ids:
                return ("broken fragment", f"an element with that id in {parts.path}", url)
        return None

    def _on_disk(self, page_folder: str, url: str, path: str) -> tuple[str, str, str] | None:
        """The check of a link's target on disk: outside, a folder, or no file."""
        target = (self.site / page_folder / path).resolve()
        if not _contains(self.site, target):
            return ("link outside the site", "a target inside the site folder", url)
        if target.is_dir():
            return (*_TO_A_FOLDER, url)
        if not target.is_file():
            return ("broken link", "an existing file", url)
        return None


def _structure_problems(rel: str, page: dict[str, Any], allow_scripts: bool) -> list[Problem]:
    """The page's own structure problems, with the scripts it may have taken out."""
    allowed = _search_scripts(rel, page["scripts"])
    out = [Problem(rel, rule, expected, found, line=line)
           for rule, expected, found, line in page["problems"]
           if not (rule == "script in page" and ((allow_scripts and found == "<script>")
                                                 or line in allowed))]
    if not page["lang"]:
        out.append(Problem(rel, "page language missing", '<html lang="en-GB">', "no lang"))
    if not page["title"]:
        out.append(Problem(rel, "page title missing", "a non-empty <title>", "none"))
    h1 = [line for level, line in page["headings"] if level == 1]
    if len(h1) != 1:
        out.append(Problem(rel, "not exactly one h1", "one <h1>", f"{len(h1)} <h1>",
                           line=h1[1] if len(h1) > 1 else None))
    previous = 0
    for level, line in page["headings"]:
        if level > previous + 1:
            out.append(Problem(rel, "heading level skipped",
                               f"h{previous + 1} or higher after h{previous}" if previous
                               else "the first heading to be h1", f"h{level}", line=line))
        previous = level
    return out


def _environment(site: Path) -> dict[str, Any]:
    """What the leak rules look for besides a file's text: cached facts hold for these only."""
    return {"site": sorted({str(site), str(site.absolute())}), "home": str(Path.home()),
            "identities": list(_identities())}


def _leaks(text: str, env: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """Absolute paths, user and host names in published text (data: URIs excluded)."""
    out: list[tuple[str, str, str, int]] = []
    stripped = _DATA_URI.sub("data:", text)
    lines = stripped.splitlines()
    home = env["home"]
    literal = set(env["site"])
    if len(home) > 1:
        literal.add(home)
    words = env["identities"]
    for number, line in enumerate(lines, start=1):
        unescaped = html.unescape(line)
        for needle in sorted(literal):
            if needle in unescaped:
                out.append(("absolute path in page", "no local paths", needle, number))
        match = _ABS_PATH_TEXT.search(unescaped)
        if match:
            out.append(("absolute path in page", "no local paths",
                        unescaped[match.start(): match.start() + 40], number))
        for word in words:
            if re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", unescaped, re.IGNORECASE):
                out.append(("user or host name in page", "no user or host names", word, number))
    return out


def _facts(text: str, env: dict[str, Any], is_page: bool) -> dict[str, Any]:
    """What one file says on its own: its leaks and, for a page, what one parse finds
    (structure problems, scripts, headings, ids, ``@import`` lines and every link, CSS
    ``url()`` included).  JSON-ready, so it can be cached by content."""
    facts: dict[str, Any] = {"leaks": _leaks(text, env), "page": None}
    if not is_page:
        return facts
    page = _Page()
    page.feed(text)
    page.close()
    links = list(page.links)
    imports: list[int] = []
    for css, line in page.css:
        if _CSS_IMPORT.search(css):
            imports.append(line)
        links += [("style", m.group(2).strip(), line) for m in _CSS_URL.finditer(css)]
    facts["page"] = {"problems": page.problems, "scripts": page.scripts,
                     "lang": bool(page.html_lang), "title": bool((page.title_text or "").strip()),
                     "headings": page.headings, "ids": sorted(page.ids), "imports": imports,
                     "links": links}
    return facts


def _read_facts(path: Path, env: dict[str, Any], cache: FactsCache) -> dict[str, Any]:
    """A file's facts: from the cache when its content was checked before, else found."""
    data = path.read_bytes()
    is_page = path.suffix.lower() in (".html", ".htm")
    key = f"{content_key(data)}.{'page' if is_page else 'text'}"
    facts = cache.get(key)
    if not isinstance(facts, dict):
        # decoded as Path.read_text does (universal newlines), so lines number alike
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace").read()
        facts = json.loads(json.dumps(_facts(text, env, is_page)))  # as a cached entry reads
        cache.put(key, facts)
    return cast("dict[str, Any]", facts)


# What a cached entry of the wrong shape raises when read: the check is then made afresh.
_MALFORMED = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def check_site(site_dir: Path, *, allow_scripts: bool = False,
               cache_file: Path | None = None) -> list[str]:
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

    With ``cache_file`` (``cdrp publish`` gives
    :func:`~cdrp_lib.site.check_cache.check_cache_file`), what each file says on its
    own is kept there by content hash, so a file checked before is not parsed again;
    links between files are resolved afresh every time, so a cached page whose link
    target went is still reported.  The result is the same with or without it.
    """
    site = Path(site_dir).resolve()
    if not site.is_dir():
        return [str(Problem(str(site_dir), "site folder missing", "a folder", "nothing"))]
    tree = SiteTree.walk(site, _WORKING_PREFIXES)
    env = _environment(site)
    cache = FactsCache.load(cache_file, env)
    try:
        problems = _check(site, tree, env, cache, allow_scripts)
    except _MALFORMED:
        if not cache.stored:
            raise
        cache = FactsCache(cache_file, env)  # a cache file of the wrong shape: start afresh
        problems = _check(site, tree, env, cache, allow_scripts)
    cache.save()
    return [str(p) for p in problems]


def _check(site: Path, tree: SiteTree, env: dict[str, Any], cache: FactsCache,
           allow_scripts: bool) -> list[Problem]:
    """The problems of the files ``tree`` lists, in its order: each file's leaks, then a
    page's structure, ``@import`` and link problems."""
    files: list[tuple[str, dict[str, Any]]] = []
    for path in tree.checked:
        if path.suffix.lower() in TEXT_SUFFIXES:
            files.append((path.relative_to(site).as_posix(), _read_facts(path, env, cache)))
    links = _Links(site, tree, {rel: frozenset(facts["page"]["ids"]) for rel, facts in files
                                if facts["page"] is not None})
    problems: list[Problem] = []
    for rel, facts in files:
        problems += [Problem(rel, rule, expected, found, line=line)
                     for rule, expected, found, line in facts["leaks"]]
        page = facts["page"]
        if page is None:
            continue
        problems += _structure_problems(rel, page, allow_scripts)
        problems += [Problem(rel, "CSS @import", "no @import (styles are inline)", "@import",
                             line=line) for line in page["imports"]]
        folder = rel.rpartition("/")[0]
        own_ids = links.page_ids[rel]
        for tag, url, line in page["links"]:
            found = links.problem(folder, url, own_ids)
            if found:
                problems.append(Problem(rel, found[0], found[1],
                                        found[2] if len(found[2]) < 120 else found[2][:117] + "...",
                                        line=line, column=f"<{tag}>"))
    return problems
