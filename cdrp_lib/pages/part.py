"""A part of a bulletin page: one block of HTML that displays itself in JupyterLab as published.

A notebook shows a page one part at a time (header, targets at a glance, one
section per target, monitoring indicators, footer...), each from one short
cell; the batch renders the executed notebook's outputs in order.  So a part
must look the same in both places, and this module is where that is arranged:

* **Styles.** JupyterLab does not load the bulletin's stylesheet, and a
  ``<style>`` in an output applies to the whole Lab window.  Outside the batch a
  part carries the stylesheet *scoped* to its own wrapper (``.cdrp-page``), so
  RAG colours, the banner box, table borders and visually hidden link texts look
  as they do on the site without restyling Lab.  The style block is marked
  ``data-cdrp-lab`` and :func:`publishable_html` drops it: the published page
  inlines the stylesheet once.  Under the batch (``CDRP_BATCH_WORKER_PID`` set)
  it is not written at all, so executed notebooks stay small.
* **Links.** A published page links ``data/<name>.csv`` beside it and the
  bulletin's front page and site index.  In JupyterLab those files are
  elsewhere (the CSVs in the output folder, the site under ``outputs/site``), so
  outside the batch each such link points where the file really is from the
  notebook's folder and keeps the published target in ``data-cdrp-href``, which
  :func:`publishable_html` puts back.
* **Downloads.** A part knows the CSVs its charts and tables offer; creating a
  part registers them with its page, and the page's ``write()`` writes them.
"""

from __future__ import annotations

import functools
import html
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BATCH_ENV",
    "DATA_DIR",
    "FRONT_PAGE",
    "SITE_INDEX",
    "STYLESHEET",
    "Download",
    "Part",
    "bulletin_css",
    "inline_css",
    "publishable_html",
    "scoped_css",
]

#: Set by every batch worker process and inherited by its kernels (see
#: cdrp_lib.batch.execute): parts then write only what is published.
BATCH_ENV = "CDRP_BATCH_WORKER_PID"
#: The bulletin's front page and the site index, relative to a bulletin folder
#: ``site/<partnership>/<month>/`` (the layout cdrp_lib.batch publishes).
FRONT_PAGE = "index.html"
SITE_INDEX = "../../index.html"
DATA_DIR = "data"
SCOPE = "cdrp-page"
# What a part's links point to in JupyterLab, from the notebooks folder: the front
# page is the summary notebook beside it; the site index is the one `make demo` builds.
LAB_FRONT_PAGE = "summary.ipynb"
SITE_FOLDER = "site"

#: The bulletin stylesheet: inlined once into every published page and the site index
#: (cdrp_lib.render, cdrp_lib.site), and scoped into each part shown in JupyterLab.
STYLESHEET = Path(__file__).resolve().parents[1] / "templates/bulletin/static/bulletin.css"

_LAB_STYLE = re.compile(r"<style data-cdrp-lab>.*?</style>\n?", re.DOTALL)
_LAB_LINK = re.compile(r'href="[^"]*" data-cdrp-href="([^"]*)"')
#: From a bulletin page up to the site folder: the index, the guide, history, search.
TO_SITE = "../../"
_PUBLISHED_LINK = re.compile(
    r'href="((?:' + re.escape(DATA_DIR) + r'/[^"]+)|' + re.escape(FRONT_PAGE) + "|"
    + re.escape(TO_SITE) + r'[^"]+)"')


def publishable_html(text: str) -> str:
    """A part's HTML as published: no JupyterLab style block, every link its published target.

    The renderer calls this on every HTML output, so a notebook executed in
    JupyterLab renders to the same page as one executed by the batch.
    """
    return _LAB_LINK.sub(r'href="\1"', _LAB_STYLE.sub("", text))


# The class twice: JupyterLab styles its outputs' tables and cells with rules of one class
# and one or two elements (right-aligned cells, striped rows); the bulletin's must win.
_SCOPED = f".{SCOPE}.{SCOPE}"
# What JupyterLab's output styles set and the bulletin's stylesheet leaves to the browser.
LAB_RESET = """
table { table-layout: auto; width: auto; margin-left: 0; margin-right: 0; }
tbody tr, tbody tr:nth-child(odd), tbody tr:hover { background: transparent; }
th, td { max-width: none; }
"""


def _scope_selector(selector: str) -> str:
    s = selector.strip()
    if s in (":root", "html", "body", "main"):
        return _SCOPED
    for root in ("body ", "main ", "html "):
        if s.startswith(root):
            return f"{_SCOPED} {s[len(root):]}"
    return f"{_SCOPED} {s}"


def _scope_rules(css: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(css):
        brace = css.find("{", i)
        if brace < 0:
            break
        head = css[i:brace].strip()
        if head.startswith("@"):  # @media/@page: keep screen rules, drop print-only ones
            depth, j = 1, brace + 1
            while j < len(css) and depth:
                depth += {"{": 1, "}": -1}.get(css[j], 0)
                j += 1
            if head.startswith("@media") and "print" not in head:
                out.append(f"{head} {{{_scope_rules(css[brace + 1:j - 1])}}}")
            i = j
            continue
        end = css.find("}", brace)
        body = css[brace + 1:end].strip()
        selectors = ", ".join(_scope_selector(s) for s in head.split(","))
        out.append(f"{selectors} {{ {body} }}")
        i = end + 1
    return "\n".join(out)


def bulletin_css() -> str:
    """The bulletin stylesheet, shared by bulletin pages and the site index."""
    return STYLESHEET.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def inline_css() -> str:
    """The bulletin stylesheet as every published page inlines it: without its comments
    and spare whitespace (8.5 kB a page down to about half; the file keeps the comments
    that give each colour's contrast ratio)."""
    css = re.sub(r"/\*.*?\*/", "", bulletin_css(), flags=re.DOTALL)
    css = re.sub(r"\s+", " ", css)
    return re.sub(r" ?([{};,>]) ?", r"\1", css).replace(";}", "}").strip() + "\n"


@functools.lru_cache(maxsize=1)
def scoped_css() -> str:
    """The bulletin stylesheet with every rule scoped to ``.cdrp-page`` (for JupyterLab).

    Custom properties set on ``:root`` move to the wrapper, so a part styles
    itself and nothing else in the Lab window; print rules are left out.
    """
    css = re.sub(r"/\*.*?\*/", "", bulletin_css(), flags=re.DOTALL)
    return _scope_rules(LAB_RESET + css)


@dataclass(frozen=True)
class Download:
    """One CSV download: its file name inside ``data/`` and its text."""

    name: str
    csv: str

    @property
    def href(self) -> str:
        return f"{DATA_DIR}/{self.name}"


def _in_batch() -> bool:
    return bool(os.environ.get(BATCH_ENV))


def _relative(target: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(target, start)).as_posix()
    except ValueError:  # another drive (Windows): an absolute path still opens
        return target.as_posix()


@dataclass(frozen=True)
class Part:
    """One part of a page: its published HTML, its CSV downloads and its public figures.

    ``records`` are the figures of a part that has no CSV (a sentence, a
    rating): what :meth:`frame` returns for it.  ``output_dir`` is where the
    page writes its CSVs, used only to point JupyterLab's links at them.  An
    empty part (a section with nothing to say) displays nothing.
    """

    name: str
    html: str
    downloads: tuple[Download, ...] = ()
    records: tuple[Mapping[str, Any], ...] = ()
    output_dir: Path | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return bool(self.html)

    def __repr__(self) -> str:
        return f"Part({self.name!r})" if self.html else ""

    def frame(self) -> pd.DataFrame:
        """The part's public figures: its CSV (one frame for several, with a ``figure``
        column), else its records; withheld figures stay blank as on the page."""
        import pandas as pd

        if len(self.downloads) == 1:
            return pd.read_csv(io.StringIO(self.downloads[0].csv), dtype=str, keep_default_na=False)
        if self.downloads:
            frames = [pd.read_csv(io.StringIO(d.csv), dtype=str, keep_default_na=False)
                      .assign(figure=d.name) for d in self.downloads]
            return pd.concat(frames, ignore_index=True)
        return pd.DataFrame([dict(r) for r in self.records])

    def _repr_html_(self) -> str | None:
        if not self.html:
            return None
        if _in_batch():
            return f'<div class="{SCOPE}">\n{self.html}\n</div>'
        return (f'<div class="{SCOPE}">\n<style data-cdrp-lab>\n{scoped_css()}\n</style>\n'
                f"{self._lab_links(self.html)}\n</div>")

    def _lab_links(self, text: str) -> str:
        here = Path.cwd()
        out = self.output_dir or here
        targets = {FRONT_PAGE: LAB_FRONT_PAGE,
                   SITE_INDEX: _relative(out.parent / SITE_FOLDER / "index.html", here)}

        def lab(match: re.Match[str]) -> str:
            published = match.group(1)
            where = targets.get(published) or (
                _relative(out.parent / SITE_FOLDER / published[len(TO_SITE):], here)
                if published.startswith(TO_SITE) else _relative(out / published, here))
            return f'href="{html.escape(where)}" data-cdrp-href="{published}"'

        return _PUBLISHED_LINK.sub(lab, text)


def join(name: str, parts: Iterable[Part]) -> Part:
    """Several parts as one (a whole target section), in order, empty ones left out."""
    shown = [p for p in parts if p]
    out_dir = next((p.output_dir for p in shown if p.output_dir is not None), None)
    return Part(name, "\n".join(p.html for p in shown),
                tuple(d for p in shown for d in p.downloads),
                tuple(r for p in shown for r in p.records), out_dir)


def text_records(kind: str, texts: Sequence[str]) -> tuple[dict[str, str], ...]:
    """Records of a part made of sentences: one row per sentence."""
    return tuple({"part": kind, "text": t} for t in texts)
