"""A small wrapper around the quarto CLI, the optional second renderer.

``quarto render`` is run on a copy of the executed notebook in a private folder
beside the destination, so quarto's side files (``*_files/``, caches) never land
in ``outputs/runs`` and the finished page is moved into place with one rename.
The notebook is not executed again (``--no-execute``): it already holds its
outputs.  Code is hidden and every resource embedded, through a front-matter raw
cell added to the copy (quarto's documented way to configure an ``.ipynb``) and
the equivalent ``-M`` options on the command line.

A quarto that fails raises :class:`RenderError` carrying quarto's own message,
so the batch summary shows what quarto said rather than "exit status 1".

The page gets the same navigation bar as an nbconvert page (links to the
bulletin's other pages and the site index, the current one marked
``aria-current="page"``): :func:`nav_html` builds it for both renderers, and it
is put right after quarto's ``<body>`` tag before the page is moved into place.
Inserting it ourselves, rather than through quarto's ``include-before-body``,
keeps it independent of quarto's version and of any front matter the notebook
brings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from html import escape
from pathlib import Path

from cdrp_lib.errors import CdrpError

__all__ = [
    "QUARTO_ENV",
    "RenderError",
    "find_quarto",
    "nav_html",
    "quarto_command",
    "render_with_quarto",
]

QUARTO_ENV = "QUARTO_PATH"  # an explicit quarto executable wins over PATH
DEFAULT_TIMEOUT_S = 600.0
# How much of quarto's stderr a RenderError carries: enough for its error block.
MESSAGE_MAX_LINES = 12
MESSAGE_MAX_CHARS = 2000
# Files written for the web must be world-readable whatever mkstemp chose.
PUBLISHED_FILE_MODE = 0o644

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BODY_TAG = re.compile(r"<body(?:\s[^>]*)?>", re.IGNORECASE)
# Document options: self-contained page, no code, no math script, British English.
_FORMAT_OPTIONS = {
    "embed-resources": True,
    "echo": False,
    "html-math-method": "plain",
    "lang": "en-GB",
}


class RenderError(CdrpError):
    """A page that could not be rendered; ``stderr`` is the renderer's own message."""

    def __init__(self, message: str, *, stderr: str = "", returncode: int | None = None) -> None:
        super().__init__(message)
        self.stderr = stderr
        self.returncode = returncode


def nav_html(nav: Sequence[tuple[str, str]], current_name: str = "") -> str:
    """The bulletin's navigation bar: ``(label, relative href)`` links, all escaped.

    The link whose href is ``current_name`` is marked ``aria-current="page"``.
    An empty ``nav`` gives an empty string (a page with no bar).
    """
    if not nav:
        return ""
    current = ' aria-current="page"'
    items = "".join(
        f'<li><a{current if href == current_name else ""} '
        f'href="{escape(href)}">{escape(label)}</a></li>\n'
        for label, href in nav)
    return ('<header class="site-header">\n<nav aria-label="Bulletin pages">\n<ul>\n'
            f"{items}</ul>\n</nav>\n</header>")


def _with_nav(page: Path, nav: str, source: Path) -> None:
    """Put the navigation bar right after the page's ``<body>`` tag (in place)."""
    text = page.read_text(encoding="utf-8")
    body = _BODY_TAG.search(text)
    if body is None:
        raise RenderError(f"quarto wrote a page without a <body> tag for {source.name}: "
                          "cannot add the navigation bar")
    page.write_text(f"{text[:body.end()]}\n{nav}\n{text[body.end():]}", encoding="utf-8")


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_quarto() -> Path | None:
    """The quarto executable: ``$QUARTO_PATH``, then PATH, then beside this Python.

    The last place covers a conda environment (environment.yml installs quarto)
    used without being activated.  ``None`` when there is none.
    """
    explicit = os.environ.get(QUARTO_ENV)
    if explicit and _is_executable(Path(explicit)):
        return Path(explicit)
    on_path = shutil.which("quarto")
    if on_path:
        return Path(on_path)
    beside = Path(sys.executable).parent / "quarto"
    return beside if _is_executable(beside) else None


def quarto_command(quarto: Path, ipynb_name: str, html_name: str) -> list[str]:
    """The argument list for one render (run in the folder holding the notebook copy)."""
    command = [str(quarto), "render", ipynb_name, "--to", "html", "--no-execute",
               "--output", html_name]
    for key, value in _FORMAT_OPTIONS.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        command += ["-M", f"{key}:{text}"]
    return command


def _front_matter(title: str | None) -> str:
    """YAML front matter; values are JSON strings, which YAML reads verbatim."""
    lines = ["---"]
    if title is not None:
        lines.append(f"title: {json.dumps(title)}")
    lines += [
        f"lang: {json.dumps(_FORMAT_OPTIONS['lang'])}",
        "format:",
        "  html:",
        "    embed-resources: true",
        f"    html-math-method: {json.dumps(_FORMAT_OPTIONS['html-math-method'])}",
        "execute:",
        "  echo: false",
        "---",
    ]
    return "\n".join(lines)


def _has_front_matter(nb: dict[str, object]) -> bool:
    cells = nb.get("cells")
    if not isinstance(cells, list) or not cells or not isinstance(cells[0], dict):
        return False
    first = cells[0]
    source = first.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    return first.get("cell_type") == "raw" and text.lstrip().startswith("---")


def _copy_with_front_matter(ipynb: Path, dest: Path, title: str | None) -> None:
    """Copy the notebook, adding a front-matter raw cell unless it already has one."""
    try:
        nb = json.loads(ipynb.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RenderError(f"{ipynb}: not a readable notebook: {exc}") from None
    if not isinstance(nb, dict):
        raise RenderError(f"{ipynb}: not a notebook: expected a JSON object")
    if not _has_front_matter(nb):
        cell = {"cell_type": "raw", "metadata": {}, "source": _front_matter(title)}
        old = nb.get("cells")
        cells: list[object] = old if isinstance(old, list) else []
        nb = {**nb, "cells": [cell, *cells]}
    dest.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


def _message(stderr: str, private_dir: Path) -> str:
    """The tail of quarto's stderr: no colour codes, no private folder paths."""
    text = _ANSI.sub("", stderr).replace(f"{private_dir}{os.sep}", "")
    text = text.replace(str(private_dir), ".")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    tail = "\n".join(lines[-MESSAGE_MAX_LINES:])
    return tail[-MESSAGE_MAX_CHARS:] or "(quarto wrote nothing to stderr)"


def render_with_quarto(
    ipynb: Path,
    out_html: Path,
    *,
    quarto: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    title: str | None = None,
    nav: Sequence[tuple[str, str]] = (),
    current_name: str | None = None,
) -> Path:
    """Render ``ipynb`` to ``out_html`` with ``quarto render``; returns ``out_html``.

    ``nav`` is the navigation bar as for nbconvert (``(label, relative href)``);
    the link to ``current_name`` (default: ``out_html``'s name) is marked current.
    Raises :class:`RenderError` when quarto is missing, times out, exits non-zero
    (with quarto's stderr as the message) or exits zero without writing the page.
    ``out_html`` is replaced only by a complete page.
    """
    ipynb = Path(ipynb)
    out_html = Path(out_html)
    exe = quarto if quarto is not None else find_quarto()
    if exe is None:
        raise RenderError(f"quarto not found: install it or set {QUARTO_ENV}")
    if not ipynb.is_file():
        raise RenderError(f"{ipynb}: no such notebook")
    out_html.parent.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(dir=out_html.parent, prefix=".quarto-"))
    try:
        copy_name = "page.ipynb"
        html_name = "page.html"
        _copy_with_front_matter(ipynb, private / copy_name, title)
        try:
            done = subprocess.run(
                quarto_command(exe, copy_name, html_name), cwd=private, capture_output=True,
                text=True, encoding="utf-8", errors="replace", timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise RenderError(
                f"quarto did not finish rendering {ipynb.name} within {timeout:g} s"
            ) from None
        except OSError as exc:
            raise RenderError(f"quarto could not be started ({exe.name}): {exc.strerror}") from None
        if done.returncode != 0:
            message = _message(done.stderr, private)
            raise RenderError(
                f"quarto failed (exit {done.returncode}) rendering {ipynb.name}: {message}",
                stderr=done.stderr, returncode=done.returncode,
            )
        produced = private / html_name
        if not produced.is_file() or produced.stat().st_size == 0:
            message = _message(done.stderr, private)
            raise RenderError(
                f"quarto exited 0 but wrote no page for {ipynb.name}: {message}",
                stderr=done.stderr, returncode=done.returncode,
            )
        if nav:
            _with_nav(produced, nav_html(nav, current_name or out_html.name), ipynb)
        produced.chmod(PUBLISHED_FILE_MODE)
        os.replace(produced, out_html)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return out_html
