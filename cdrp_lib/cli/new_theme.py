"""``cdrp new-theme``: a theme of the partnership's plan, with a notebook of its own.

Writes ``notebooks/<id>.ipynb`` from the generic theme notebook (``notebooks/theme.ipynb``:
its ``theme`` parameter set to the new id) and adds ``{id, title, notebook}`` to the theme
list: ``params/bulletin.yaml``'s, or with ``--partnership P`` that partnership's own
``themes:`` (begun from bulletin.yaml's list when it has none, so its other pages stay).
The YAML is edited as text, one line added, so its comments and layout stay; the params
are validated again after the edit, and a failure puts both files back as they were.
An id already in the list, or a notebook already there, is refused with one line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HELP = "add a theme (a page of the bulletin) with its own notebook, made from the template"
DEFAULT_PARAMS = Path("params")
DEFAULT_NOTEBOOKS = Path("notebooks")
TEMPLATE = "theme"
THEME_PARAMETER = 'theme = "'
PARTNERSHIP_PARAMETER = 'partnership = "'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID",
                        help="the theme id: lower-case letters, digits, single hyphens or "
                             "underscores (the page is ID.html, the notebook ID.ipynb)")
    parser.add_argument("--title", required=True, help="the theme's title, as pages show it")
    parser.add_argument("--partnership", metavar="P", default=None,
                        help="add it to this partnership's own theme list (default: "
                             "params/bulletin.yaml's, every partnership's without its own)")
    parser.add_argument("--order", type=int, default=None, metavar="N",
                        help="its place among the theme pages (default: after the others)")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS,
                        help="the params folder (default: %(default)s)")
    parser.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS,
                        help="the notebooks folder, holding theme.ipynb (default: %(default)s)")


def _refuse(message: str) -> Exception:
    from cdrp_lib.errors import InputError, Problem

    return InputError([Problem("cdrp new-theme", message, "", "")], summary=message)


def _theme_node(text: str) -> Any:
    """The `themes:` sequence node of a params file's YAML, or None."""
    import yaml

    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "themes":
            return value
    return None


def entry_line(theme: str, title: str, order: int | None, indent: str = "  ",
               notebook: str | None = None, short_title: str | None = None) -> str:
    """One theme as a YAML flow mapping on one line (titles JSON-quoted, valid YAML); its
    notebook is ``notebook``, by default its own."""
    parts = [f"id: {theme}", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if order is not None:
        parts.append(f"order: {order}")
    parts.append(f"notebook: {notebook or theme}")
    if short_title is not None:
        parts.append(f"short_title: {json.dumps(short_title, ensure_ascii=False)}")
    return f"{indent}- {{{', '.join(parts)}}}\n"


def with_theme(text: str, line: str, start_list: list[str] | None = None) -> str:
    """``text`` with ``line`` added after the last item of its `themes:` list; without a
    list, a new `themes:` of ``start_list``'s lines and ``line``, before `targets:` (or at
    the end)."""
    import yaml

    lines = text.splitlines(keepends=True)
    node = _theme_node(text)
    if isinstance(node, yaml.SequenceNode) and node.value:
        last = node.value[-1]
        at = last.end_mark.line + (1 if last.end_mark.column > 0 else 0)
        if at > 0 and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        return "".join([*lines[:at], line, *lines[at:]])
    block = ["# The partnership plan's own themes: they replace bulletin.yaml's list for its "
             "bulletins.\n", "themes:\n", *(start_list or []), line]
    at = next((i for i, text_line in enumerate(lines) if text_line.startswith("targets:")),
              len(lines))
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return "".join([*lines[:at], *block, "\n" if at < len(lines) else "", *lines[at:]])


def notebook_from_template(template: dict[str, Any], theme: str, title: str,
                           partnership: str | None) -> dict[str, Any]:
    """The template notebook for ``theme``: its title cell, and ``theme`` (and, for one
    partnership's theme, ``partnership``) defaulted in its parameters cell."""
    import copy

    nb = copy.deepcopy(template)
    cells = nb["cells"]
    cells[0]["source"] = [
        f"# {title}: notebook of the bulletin's {theme} page\n", "\n",
        f"The {title} theme of the partnership's plan: its targets, then the measures it "
        "monitors. Made by `cdrp new-theme` from `notebooks/theme.ipynb`; change it as the "
        "page needs.\n", "\n",
        "This notebook *is* the page: run all cells to see it as it will be published. Cells "
        "and Markdown tagged `remove-cell` (like this one) are for you and are not published. "
        "Every figure and sentence comes from `cdrp_lib`."]
    for cell in cells:
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"]).splitlines(keepends=True)
        for i, text in enumerate(source):
            if text.startswith(THEME_PARAMETER):
                source[i] = f"{THEME_PARAMETER}{theme}\"  # this page's theme id\n"
            elif partnership is not None and text.startswith(PARTNERSHIP_PARAMETER):
                source[i] = f"{PARTNERSHIP_PARAMETER}{partnership}\"\n"
        source[-1] = source[-1].rstrip("\n")
        cell["source"] = source
    return nb


def add_theme(params_dir: Path, notebooks_dir: Path, theme: str, title: str,
              partnership: str | None = None, order: int | None = None) -> tuple[Path, Path]:
    """Write the theme's notebook and add the theme to the list; returns (notebook, params
    file).  Raises a one-line error for a bad id, an id already listed, an existing
    notebook or params that do not validate after the edit (then nothing is changed)."""
    from cdrp_lib.errors import CdrpError
    from cdrp_lib.params import (
        BULLETIN_FILE,
        PARTNERSHIPS_DIR,
        load_bulletin,
        load_partnerships,
        themes_in_force,
    )
    from cdrp_lib.params.fields import THEME_ID_RE

    if not THEME_ID_RE.match(theme):
        raise _refuse(f"theme id must be lower-case letters, digits and single hyphens or "
                      f"underscores such as 'community-cohesion', got {theme!r}")
    notebook = notebooks_dir / f"{theme}.ipynb"
    template = notebooks_dir / f"{TEMPLATE}.ipynb"
    if notebook.exists():
        raise _refuse(f"{notebook} already exists: choose another id, or add the theme to "
                      "the list by hand with `notebook: " + theme + "`")
    if not template.is_file():
        raise _refuse(f"{template}: no template theme notebook to copy")
    bulletin = load_bulletin(params_dir) if (params_dir / BULLETIN_FILE).is_file() else None
    if partnership is None:
        path = params_dir / BULLETIN_FILE
        if bulletin is None:
            raise _refuse(f"{path}: no bulletin.yaml to add the theme to")
        listed, start = bulletin.themes, None
    else:
        path = params_dir / PARTNERSHIPS_DIR / f"{partnership}.yaml"
        partnerships = load_partnerships(params_dir)
        if partnership not in partnerships:
            raise _refuse(f"{path}: no such partnership params file")
        own = partnerships[partnership].themes
        listed = themes_in_force(bulletin, partnerships[partnership])
        start = None if own is not None else [
            entry_line(t.id, t.title, t.order, "  ", t.notebook_name, t.short_title)
            for t in (bulletin.themes if bulletin is not None else listed)]
    if any(t.id == theme for t in listed):
        raise _refuse(f"theme {theme!r} is already in the theme list of {path}")
    before = path.read_text(encoding="utf-8")
    after = with_theme(before, entry_line(theme, title, order), start)
    nb = notebook_from_template(json.loads(template.read_text(encoding="utf-8")), theme, title,
                                partnership)
    path.write_text(after, encoding="utf-8")
    try:
        notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        load_bulletin(params_dir) if bulletin is not None else None
        load_partnerships(params_dir)
    except (CdrpError, OSError):
        path.write_text(before, encoding="utf-8")
        notebook.unlink(missing_ok=True)
        raise
    return notebook, path


def run(args: argparse.Namespace) -> int:
    notebook, path = add_theme(args.params, args.notebooks, args.id, args.title,
                               args.partnership, args.order)
    print(f"wrote {notebook}; added theme {args.id!r} to {path}")
    return 0
