"""Executed notebook -> one self-contained, accessible HTML page.

Rendering runs nbconvert's ``HTMLExporter`` in-process (no ``jupyter nbconvert``
subprocess: a batch renders hundreds of pages and interpreter start-up would
dominate) with our own template, ``cdrp_lib/templates/bulletin``.  The stock lab
and classic templates load RequireJS and MathJax from a CDN; ours fetches
nothing: the stylesheet is inlined, images are ``data:`` URIs and there is no
``<script>`` at all.

What a reader sees is only what the notebook chose to display: code cells and
prompts are hidden, and only rich outputs (HTML, Markdown, SVG, PNG, JPEG) are
published.  Plain-text reprs, stdout/stderr (warnings) and tracebacks are dropped
because they leak paths, user names and memory addresses.  ``text/html`` outputs
are included as they are: the library escapes data before it builds HTML.

Alt text for a chart comes from the output's metadata, as IPython's
``display(..., metadata={"image/png": {"alt": "..."}})`` records it (a top-level
``"alt"`` key also works).  An image without one is written with ``alt=""`` so
that :func:`cdrp_lib.site.check_site` reports it, rather than inventing a
description.

The page gets exactly one ``<h1>``: the notebook's own first-level heading if it
has one, otherwise the ``title``.  The same notebook always gives byte-identical
HTML: no timestamps, random ids, cell metadata or absolute paths are written.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdrp_lib.errors import InputError, Problem
from cdrp_lib.quarto import (
    PUBLISHED_FILE_MODE,
    RenderError,
    find_quarto,
    nav_html,
    render_with_quarto,
)

if TYPE_CHECKING:
    from nbconvert import HTMLExporter
    from nbformat import NotebookNode

__all__ = [
    "PUBLISHED_MIMETYPES",
    "RENDERERS",
    "TEMPLATE_DIR",
    "RenderError",
    "RenderResult",
    "bulletin_css",
    "notebook_to_html",
    "render_page",
    "write_text_atomic",
]

log = logging.getLogger(__name__)

RENDERERS = ("nbconvert", "quarto")
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "bulletin"
# Output types a reader may see, best first; anything else (text/plain, JavaScript,
# widgets, LaTeX) is never published.
PUBLISHED_MIMETYPES = ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg")
# Known types that are chosen only to be dropped silently (nbconvert warns about an
# output with no type in its priority list).
DROPPED_MIMETYPES = (
    "text/plain", "text/latex", "text/vnd.mermaid", "application/javascript",
    "application/vnd.jupyter.widget-view+json", "application/pdf",
)

_H1_MARKER = "<!--cdrp:h1-->"
_H1_TAG = re.compile(r"<h1[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class RenderResult:
    """One rendered page and how it was made.

    ``renderer`` is the renderer actually used; ``fallback_reason`` says why it
    differs from the one requested (``None`` when it does not).
    """

    path: Path
    requested: str
    renderer: str
    fallback_reason: str | None = None


def bulletin_css() -> str:
    """The bulletin stylesheet, shared by bulletin pages and the site index."""
    return (TEMPLATE_DIR / "static" / "bulletin.css").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    """One configured exporter per process: building its Jinja environment is the slow part."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    priority = {"display_data_priority": [*PUBLISHED_MIMETYPES, *DROPPED_MIMETYPES]}
    return HTMLExporter(  # type: ignore[no-untyped-call]
        config=Config({"NbConvertBase": priority}),
        template_name=str(TEMPLATE_DIR),
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_output_stdin=True,
        exclude_anchor_links=True,
        embed_images=True,
        sanitize_html=False,
    )


def notebook_to_html(
    nb: NotebookNode,
    *,
    title: str,
    nav: Sequence[tuple[str, str]] = (),
    current_name: str = "",
    base_dir: Path | None = None,
) -> str:
    """The page for an in-memory notebook, as a string.

    ``nav`` is a list of ``(label, relative href)``; the entry whose href equals
    ``current_name`` is marked ``aria-current="page"``.  ``base_dir`` is where
    images referenced by Markdown cells are looked up to be embedded; it is never
    written into the page.  The notebook is not modified.
    """
    resources: dict[str, Any] = {
        "metadata": {"name": "bulletin", "path": str(base_dir) if base_dir else ""},
        "cdrp": {
            "title": title,
            "css": bulletin_css(),
            "nav": nav_html(nav, current_name),
        },
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    heading = "" if _H1_TAG.search(body) else f"<h1>{escape(title)}</h1>"
    html: str = body.replace(_H1_MARKER, heading, 1)
    return html if html.endswith("\n") else html + "\n"


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place.

    Readers (a web server, a browser refreshing) see the old file or the new one,
    never a half-written one.  The temporary file is removed if anything fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(PUBLISHED_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _read_notebook(path: Path) -> NotebookNode:
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), "notebook is not UTF-8 text",
                                  "a .ipynb file", f"undecodable byte at {exc.start}")]) from None
    try:
        nb: NotebookNode = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        line = getattr(exc, "lineno", None)
        raise InputError([Problem(str(path), "notebook is not valid JSON", "a .ipynb file",
                                  str(exc).splitlines()[0][:200], line=line)]) from None
    except Exception as exc:  # nbformat raises several unrelated types for bad structure
        raise InputError([Problem(str(path), "not a Jupyter notebook", "nbformat 4 JSON",
                                  f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")]
                         ) from None
    return nb


def render_page(
    executed_ipynb: Path,
    out_html: Path,
    *,
    title: str,
    renderer: str = "nbconvert",
    nav: Sequence[tuple[str, str]] = (),
) -> RenderResult:
    """Render an executed notebook to ``out_html`` and say which renderer did it.

    ``renderer="quarto"`` uses the quarto CLI when :func:`find_quarto` finds one
    and falls back to nbconvert otherwise, recording why in
    ``RenderResult.fallback_reason`` (and in the log).  A quarto that is present
    but fails raises :class:`RenderError` with quarto's own message: it is not
    silently replaced.
    """
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}, got {renderer!r}")
    executed_ipynb = Path(executed_ipynb)
    out_html = Path(out_html)
    if not executed_ipynb.is_file():
        raise FileNotFoundError(f"{executed_ipynb}: no such notebook")

    fallback: str | None = None
    if renderer == "quarto":
        quarto = find_quarto()
        if quarto is not None:
            render_with_quarto(executed_ipynb, out_html, quarto=quarto, title=title, nav=nav,
                               current_name=out_html.name)
            return RenderResult(out_html, renderer, "quarto")
        fallback = "quarto not found (install it or put it on PATH); rendered with nbconvert"
        log.warning("%s: %s", executed_ipynb.name, fallback)

    nb = _read_notebook(executed_ipynb)
    html = notebook_to_html(nb, title=title, nav=nav, current_name=out_html.name,
                            base_dir=executed_ipynb.resolve().parent)
    write_text_atomic(out_html, html)
    return RenderResult(out_html, renderer, "nbconvert", fallback)
