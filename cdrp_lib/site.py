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
  accessibility rules (alt text, captions, header cells, heading order).

Names starting with ``.`` inside the site are working files (staging folders,
temporary files) and are never checked or published.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import getpass
import html
import os
import re
import secrets
import shutil
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from cdrp_lib.errors import InputError, NotFoundError, Problem
from cdrp_lib.locking import exclusive, folder_label, lock_file_beside
from cdrp_lib.pages.part import bulletin_css
from cdrp_lib.periods import Month
from cdrp_lib.render import write_text_atomic

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

__all__ = [
    "RAG_CODES",
    "RAG_LABELS",
    "BulletinEntry",
    "check_site",
    "index_html",
    "make_server",
    "one_line_error",
    "publish_folder",
    "publish_site",
    "write_index",
]

SITE_TITLE = "Community Safety Partnership performance bulletins"
STATUSES = ("ok", "failed")
RAG_CODES = ("G", "A", "R", "none")
# Letter and word together, so a rating is never told by colour alone.
RAG_LABELS: Mapping[str, str] = MappingProxyType(
    {"G": "G Green", "A": "A Amber", "R": "R Red", "none": "Not assessed"}
)
ERROR_MAX_CHARS = 300
PREVIOUS_SUFFIX = ".previous"
# Account names that identify no one, so finding them in text is not a leak
# (and "root" is an ordinary English word).
GENERIC_ACCOUNTS = frozenset(
    {"root", "user", "admin", "runner", "jovyan", "ubuntu", "debian", "localhost", "nobody"}
)
MIN_IDENTITY_CHARS = 3
# Files whose text is published and so must not leak paths or identities.
TEXT_SUFFIXES = frozenset({".html", ".htm", ".css", ".csv", ".json", ".txt", ".svg", ".md"})

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_WORKING_PREFIXES = (".",)

# renameat2(2) flags for an atomic swap of two directories on Linux.
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


# --------------------------------------------------------------------------- index


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


@functools.lru_cache(maxsize=1)
def _identities() -> tuple[str, ...]:
    """This machine's user and host names worth hiding (generic accounts are not)."""
    names: set[str] = set()
    with contextlib.suppress(OSError, KeyError):  # no user database entry in some containers
        names.add(getpass.getuser())
    host = socket.gethostname()
    names.update({host, host.split(".")[0]})
    return tuple(sorted(
        n for n in names
        if len(n) >= MIN_IDENTITY_CHARS and n.lower() not in GENERIC_ACCOUNTS
    ))


_PATH_CHARS = r"[^\s/'\"<>()\[\],;:]"
# Two components at least ("/srv/x"), so "</b>" or "a /b" are left alone.
_POSIX_PATH = re.compile(rf"(?<![\w.:/~<-])~?/(?:{_PATH_CHARS}+/)+({_PATH_CHARS}+)/?")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\s\\'\"<>]+\\)*([^\s\\'\"<>]*)")
_FILE_URL = re.compile(r"file://\S*?([^\s/'\"<>]*)(?=[\s'\"<>]|$)")


def one_line_error(message: str) -> str:
    """An error message fit for the public index: one line, no paths or identities.

    Absolute paths become their last component (``/home/ann/runs/x.ipynb`` ->
    ``x.ipynb``), this machine's user and host names become ``[redacted]``,
    whitespace collapses to single spaces, and the text is cut at
    ``ERROR_MAX_CHARS``.  The result still needs HTML-escaping.
    """
    text = _FILE_URL.sub(lambda m: m.group(1), message)
    text = _WINDOWS_PATH.sub(lambda m: m.group(1), text)
    text = _POSIX_PATH.sub(lambda m: m.group(1), text)
    for name in _identities():
        text = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", "[redacted]", text,
                      flags=re.IGNORECASE)
    text = " ".join(text.split())
    if len(text) > ERROR_MAX_CHARS:
        text = text[: ERROR_MAX_CHARS - 1].rstrip() + "…"
    return text or "unknown error"


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
        status = "<td>Published</td>"
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
        f"<style>\n{bulletin_css()}</style>",
        "</head>",
        "<body>",
        '<a class="skip-link" href="#main">Skip to main content</a>',
        '<main id="main" tabindex="-1">',
        f"<h1>{html.escape(SITE_TITLE)}</h1>",
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


# --------------------------------------------------------------------- publication


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2; False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # kernel or filesystem (e.g. some network shares) without exchange
    raise OSError(err, os.strerror(err), str(b))


def _token() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _swap_in(staging: Path, final: Path, previous: Path | None) -> None:
    """Put the complete ``staging`` folder at ``final``.

    The old ``final`` is moved to ``previous`` (replacing an older one) or
    deleted.  Without an atomic exchange there are two renames; if the second
    fails the old folder is put back, so ``final`` is never left half-done.
    """
    if not final.exists() and not final.is_symlink():
        os.rename(staging, final)
        return
    if _exchange(staging, final):
        old = staging
    else:
        old = final.with_name(f".{final.name}.old-{_token()}")
        os.rename(final, old)
        try:
            os.rename(staging, final)
        except BaseException:
            os.rename(old, final)
            raise
    if previous is None:
        shutil.rmtree(old, ignore_errors=True)
        return
    if previous.exists():
        shutil.rmtree(previous)
    os.rename(old, previous)


def _ignore_working_files(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n.startswith(_WORKING_PREFIXES) or n.endswith(".tmp")]


def _copy_then_swap(source: Path, final: Path, previous: Path | None) -> Path:
    staging = final.with_name(f".{final.name}.staging-{_token()}")
    try:
        shutil.copytree(source, staging, ignore=_ignore_working_files, symlinks=False)
        _swap_in(staging, final, previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def publish_folder(new_dir: Path, final_dir: Path, *, required: Sequence[str] = ()) -> Path:
    """Replace the bulletin folder ``final_dir`` with a copy of the complete ``new_dir``.

    ``required`` names files that must be in ``new_dir`` (e.g. ``index.html``);
    if any is missing nothing is touched.  The copy is built beside
    ``final_dir`` and swapped in, so a reader sees the old folder or the new one.
    ``new_dir`` is not modified.  Returns ``final_dir``.
    """
    new_dir, final_dir = Path(new_dir), Path(final_dir)
    if not new_dir.is_dir():
        raise NotFoundError(f"{new_dir}: no such folder to publish")
    missing = [name for name in required if not (new_dir / name).is_file()]
    if missing:
        raise InputError([Problem(str(new_dir), "incomplete bulletin", "file present", "missing",
                                  column=name) for name in missing],
                         summary=f"{new_dir}: incomplete bulletin, missing {', '.join(missing)}")
    if final_dir.exists() and not final_dir.is_dir():
        raise ValueError(f"{final_dir}: exists and is not a folder")
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    return _copy_then_swap(new_dir, final_dir, previous=None)


def _contains(outer: Path, inner: Path) -> bool:
    return inner == outer or outer in inner.parents


def publish_site(site_dir: Path, dest: Path) -> Path:
    """Copy the whole site into ``dest`` (a share or web root) atomically.

    The site is copied to ``.<dest>.staging-*`` beside ``dest`` and swapped in;
    the publication it replaces is kept as ``<dest>.previous`` beside ``dest``
    (one generation, for a quick roll-back).  If anything fails, ``dest`` is as
    it was.  ``dest`` must not be a mount point itself (a folder inside the
    share is fine): a mount point cannot be renamed.

    One publication to ``dest`` at a time: two would interleave their swaps
    (each moving the other's copy to ``.previous`` or deleting it), so a second
    raises :class:`~cdrp_lib.errors.InUseError` at once.  The lock file,
    ``.<dest>.cdrp.lock`` beside ``dest``, is deleted when the publication ends.
    """
    site_dir, dest = Path(site_dir).resolve(), Path(dest).absolute()
    if not (site_dir / "index.html").is_file():
        raise NotFoundError(f"{site_dir}: no site to publish (index.html missing; run `cdrp run`)")
    dest_real = dest.resolve()
    if _contains(site_dir, dest_real) or _contains(dest_real, site_dir):
        raise ValueError(f"{dest}: the destination must be outside the site folder and not "
                         "contain it")
    if dest_real.parent == dest_real:
        raise ValueError(f"{dest}: cannot publish to a filesystem root")
    if not dest.parent.is_dir():
        raise NotFoundError(f"{dest.parent}: folder does not exist (create it or mount the share)")
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"{dest}: exists and is not a folder")
    previous = dest.with_name(dest.name + PREVIOUS_SUFFIX)
    with exclusive(lock_file_beside(dest), what=folder_label(dest), activity="cdrp publish",
                   hint="wait for it to finish"):
        return _copy_then_swap(site_dir, dest, previous=previous)


# ----------------------------------------------------------------------- checking


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


class _Page(HTMLParser):
    """What the checks need from one page, gathered in one parsing pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, int]] = []  # (tag, url, line)
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
            self.problems.append(("script in page", "no <script> (pages are static)",
                                  f"<script{' src' if 'src' in values else ''}>", line))
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
    inline scripts, for pages quarto renders); every ``<img>`` has non-empty
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


# ------------------------------------------------------------------------ preview


def make_server(site_dir: Path, bind: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server previewing ``site_dir`` (port 0 picks a free port)."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    site = Path(site_dir).resolve()
    if not site.is_dir():
        raise NotFoundError(f"{site_dir}: no site folder (run `cdrp run` first)")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    return ThreadingHTTPServer((bind, port), handler)
