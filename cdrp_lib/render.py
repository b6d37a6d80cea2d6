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

The page is the notebook's cells in order: Markdown cells as they are (an
analyst's note appears where it is in the notebook), and each code cell's rich
outputs.  Cells are published according to the tags JupyterLab, Jupyter Book
and nbconvert's ``TagRemovePreprocessor`` use (:func:`publishable`):
``remove-cell`` publishes nothing of the cell, ``remove-output`` drops its
outputs (also as a tag on one output), ``remove-input`` changes nothing since
code is never published; papermill's ``injected-parameters`` cell is dropped.

Alt text for a chart comes from the output's metadata, as IPython's
``display(..., metadata={"image/png": {"alt": "..."}})`` records it (a top-level
``"alt"`` key also works; :mod:`cdrp_lib.analyst` puts a figure's title there).
A published image without alt text, as an output, an ``<img>`` in an HTML
output or an image in Markdown, fails the render with a :class:`RenderError`
naming the notebook and the cell, rather than inventing a description.

The page gets exactly one ``<h1>``: the notebook's own first-level heading if it
has one, otherwise the ``title``.  The same notebook always gives byte-identical
HTML: no timestamps, random ids, cell metadata or absolute paths are written.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdrp_lib.errors import InputError, Problem
from cdrp_lib.pages.part import STYLESHEET, inline_css, publishable_html
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
    "check_alt_text",
    "notebook_to_html",
    "publishable",
    "render_page",
    "write_text_atomic",
]

log = logging.getLogger(__name__)

RENDERERS = ("nbconvert", "quarto")
TEMPLATE_DIR = STYLESHEET.parents[1]
# Output types a reader may see, best first; anything else (text/plain, JavaScript,
# widgets, LaTeX) is never published.
PUBLISHED_MIMETYPES = ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg")
# Known types that are chosen only to be dropped silently (nbconvert warns about an
# output with no type in its priority list).
DROPPED_MIMETYPES = (
    "text/plain", "text/latex", "text/vnd.mermaid", "application/javascript",
    "application/vnd.jupyter.widget-view+json", "application/pdf",
)

# Cell tags (as Jupyter Book and nbconvert's TagRemovePreprocessor name them).
REMOVE_CELL = "remove-cell"
REMOVE_OUTPUT = "remove-output"
REMOVE_INPUT = "remove-input"  # code is never published, so it changes nothing
INJECTED_PARAMETERS = "injected-parameters"  # papermill's cell: not part of the notebook
IMAGE_MIMETYPES = ("image/svg+xml", "image/png", "image/jpeg")
# A Markdown image with no alt text: ![](chart.png) or ![ ](chart.png "title").
_MD_IMAGE_NO_ALT = re.compile(r"!\[\s*\]\(")
SOURCE_LINE_CHARS = 60

_H1_MARKER = "<!--cdrp:h1-->"
_H1_TAG = re.compile(r"<h1[\s>]", re.IGNORECASE)
# A heading with no attributes: one a notebook's Markdown wrote (the library's have ids).
_BARE_HEADING = re.compile(r"<h([2-6])>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


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


@functools.lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    """One configured exporter per process: building its Jinja environment is the slow part."""
    from traitlets.config import Config

    priority = {"display_data_priority": [*PUBLISHED_MIMETYPES, *DROPPED_MIMETYPES]}
    return _exporter_class()(
        config=Config({"NbConvertBase": priority}),
        template_name=str(TEMPLATE_DIR),
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_output_stdin=True,
        exclude_anchor_links=True,
        embed_images=True,
        sanitize_html=False,
        # Validate the notebook once, after the preprocessors, not after each of them
        # (eleven schema validations of the whole page, most after a preprocessor that
        # is not enabled): a third of rendering a page (issue 13).
        optimistic_validation=True,
    )


@functools.lru_cache(maxsize=1)
def _exporter_class() -> type[HTMLExporter]:
    """nbconvert's HTMLExporter without the BeautifulSoup pass it ends with.

    That pass parses the whole page and prints it again to give images without alt
    text a placeholder and make JupyterLab's input and output areas focusable: about
    60% of rendering a bulletin page (issue 13).  Neither applies here: this
    template writes no JupyterLab areas, and a page whose chart lacks alt text is
    refused by :func:`check_alt_text` before it is rendered, rather than published
    with a placeholder.  The rest is HTMLExporter's own: the same filters, then the
    template.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class BulletinExporter(HTMLExporter):
        def from_notebook_node(  # type: ignore[override]
                self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name", None))
            highlight = self.filters.get("highlight_code") or Highlight2HTML(  # type: ignore[no-untyped-call]
                pygments_lexer=lexer, parent=self)
            self.register_filter("highlight_code", highlight)  # type: ignore[no-untyped-call]
            resources = self._init_resources(resources)  # type: ignore[no-untyped-call]
            data_type = WidgetsDataTypeFilter(  # type: ignore[no-untyped-call]
                notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("filter_data_type", data_type)  # type: ignore[no-untyped-call]
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return BulletinExporter


def warm_up() -> None:
    """Build the exporter and render a one-cell notebook, so the template is compiled.

    A batch worker calls it once when it starts: the first page it renders then
    costs what every later one does, rather than also loading and compiling the
    Jinja templates (a quarter of a second).
    """
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[  # type: ignore[no-untyped-call]
        nbformat.v4.new_markdown_cell("# Warm-up")])  # type: ignore[no-untyped-call]
    notebook_to_html(nb, title="Warm-up")


def _tags(node: Any) -> set[str]:
    tags = node.get("metadata", {}).get("tags", [])
    return {str(t) for t in tags} if isinstance(tags, list) else set()


def publishable(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` holding only what may be published, by the cells' tags.

    ``remove-cell`` and papermill's ``injected-parameters`` cells are left out;
    ``remove-output`` (on a cell, or on one output) drops outputs; every HTML output
    is made as the site shows it (:func:`cdrp_lib.pages.part.publishable_html`: no
    JupyterLab style block, links to their published targets), so a notebook run in
    JupyterLab renders as one run by the batch.  The notebook given is not modified.
    """
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        tags = _tags(cell)
        if REMOVE_CELL in tags or INJECTED_PARAMETERS in tags:
            continue
        if cell.get("cell_type") == "code":
            if REMOVE_OUTPUT in tags:
                cell.outputs = []
            else:
                cell.outputs = [o for o in cell.get("outputs", []) if REMOVE_OUTPUT not in _tags(o)]
            for output in cell.outputs:
                data = output.get("data", {})
                if "text/html" in data:
                    text = data["text/html"]
                    data["text/html"] = publishable_html(text if isinstance(text, str)
                                                         else "".join(text))
        cells.append(cell)
    out.cells = cells
    return out


class _Images(HTMLParser):
    """Counts ``<img>`` tags with no alt text in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.without_alt = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and not (dict(attrs).get("alt") or "").strip():
            self.without_alt += 1


def _html_images_without_alt(text: str) -> int:
    if "<img" not in text.lower():  # no image tag (a chart is inline SVG): nothing to parse
        return 0
    parser = _Images()
    parser.feed(text)
    parser.close()
    return parser.without_alt


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _output_lacks_alt(output: Any) -> bool:
    """Whether the output's published representation is an image without alt text."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False
    data = output.get("data", {})
    chosen = next((m for m in PUBLISHED_MIMETYPES if m in data), None)
    if chosen in IMAGE_MIMETYPES:
        metadata = output.get("metadata", {})
        per_type = metadata.get(chosen)
        alt = per_type.get("alt") if isinstance(per_type, dict) else None
        alt = alt or metadata.get("alt")
        return not (isinstance(alt, str) and alt.strip())
    if chosen == "text/html":
        return _html_images_without_alt(_text(data[chosen])) > 0
    if chosen == "text/markdown":
        text = _text(data[chosen])
        return bool(_MD_IMAGE_NO_ALT.search(text)) or _html_images_without_alt(text) > 0
    return False


def _first_line(source: str) -> str:
    line = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    return line if len(line) <= SOURCE_LINE_CHARS else line[:SOURCE_LINE_CHARS - 3] + "..."


def check_alt_text(nb: NotebookNode, name: str) -> None:
    """Raise :class:`RenderError` if anything ``nb`` publishes is an image without alt text.

    The message names the notebook (``name``) and each such cell by its number
    (counting from 1, leaving out papermill's injected cell) and its first line,
    and says how to give the chart alt text.
    """
    from cdrp_lib.analyst import HOW_TO_GIVE_ALT

    found: list[str] = []
    number = 0
    for cell in nb.cells:
        tags = _tags(cell)
        if INJECTED_PARAMETERS in tags:
            continue
        number += 1
        if REMOVE_CELL in tags:
            continue
        source = _text(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            lacks = bool(_MD_IMAGE_NO_ALT.search(source)) or _html_images_without_alt(source) > 0
        elif cell.get("cell_type") == "code" and REMOVE_OUTPUT not in tags:
            lacks = any(_output_lacks_alt(o) for o in cell.get("outputs", [])
                        if REMOVE_OUTPUT not in _tags(o))
        else:
            lacks = False
        if lacks:
            found.append(f"cell {number} ({json.dumps(_first_line(source), ensure_ascii=False)})")
    if not found:
        return
    more = f" (and {', '.join(found[1:])})" if len(found) > 1 else ""
    raise RenderError(f"{name} {found[0]}{more}: a chart has no alt text; {HOW_TO_GIVE_ALT}")


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
    written into the page.  Only what :func:`publishable` keeps is rendered.
    The notebook is not modified.
    """
    resources: dict[str, Any] = {
        "metadata": {"name": "bulletin", "path": str(base_dir) if base_dir else ""},
        "cdrp": {
            "title": title,
            "css": inline_css(),
            "nav": nav_html(nav, current_name),
        },
    }
    body, _ = _exporter().from_notebook_node(publishable(nb), resources=resources)
    body = _heading_ids(body)
    heading = "" if _H1_TAG.search(body) else f"<h1>{escape(title)}</h1>"
    html: str = body.replace(_H1_MARKER, heading, 1)
    return html if html.endswith("\n") else html + "\n"


def _heading_ids(body: str) -> str:
    """Give each Markdown heading an id from its words (``## Data sources`` ->
    ``id="data-sources"``) unless the page already uses that id, so sections can be
    linked (``index.html#data-sources``) as the library's own headings can."""
    from html import unescape

    from cdrp_lib.areas import slugify

    used = set(re.findall(r'\bid="([^"]+)"', body))

    def add(match: re.Match[str]) -> str:
        slug = slugify(unescape(_TAG.sub("", match.group(2))))
        if not slug or slug in used:
            return match.group(0)
        used.add(slug)
        return f'<h{match.group(1)} id="{slug}">{match.group(2)}</h{match.group(1)}>'

    return _BARE_HEADING.sub(add, body)


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


def _quarto_page(nb: NotebookNode, name: str, out_html: Path, *, quarto: Path, title: str,
                 nav: Sequence[tuple[str, str]]) -> None:
    """quarto on a copy of what :func:`publishable` keeps, under the notebook's own name."""
    import nbformat

    private = Path(tempfile.mkdtemp(prefix="cdrp-quarto-"))
    try:
        copy_path = private / name
        nbformat.write(publishable(nb), copy_path)  # type: ignore[no-untyped-call]
        render_with_quarto(copy_path, out_html, quarto=quarto, title=title, nav=nav,
                           current_name=out_html.name)
    finally:
        shutil.rmtree(private, ignore_errors=True)


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
    silently replaced.  Either renderer gets only what :func:`publishable` keeps,
    and a page showing an image without alt text is refused before either runs
    (:func:`check_alt_text`).
    """
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}, got {renderer!r}")
    executed_ipynb = Path(executed_ipynb)
    out_html = Path(out_html)
    if not executed_ipynb.is_file():
        raise FileNotFoundError(f"{executed_ipynb}: no such notebook")

    nb = _read_notebook(executed_ipynb)
    check_alt_text(nb, executed_ipynb.name)
    fallback: str | None = None
    if renderer == "quarto":
        quarto = find_quarto()
        if quarto is not None:
            _quarto_page(nb, executed_ipynb.name, out_html, quarto=quarto, title=title,
                         nav=nav)
            return RenderResult(out_html, renderer, "quarto")
        fallback = "quarto not found (install it or put it on PATH); rendered with nbconvert"
        log.warning("%s: %s", executed_ipynb.name, fallback)

    html = notebook_to_html(nb, title=title, nav=nav, current_name=out_html.name,
                            base_dir=executed_ipynb.resolve().parent)
    write_text_atomic(out_html, html)
    return RenderResult(out_html, renderer, "nbconvert", fallback)
