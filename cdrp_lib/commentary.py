"""The month's commentary: an analyst's words for one partnership's bulletin, kept as params.

Every real bulletin carries a few sentences no figure can say ("Operation Lantern
began in November in the town centre").  They live beside the other params, one
file per partnership and month, so they are versioned, reviewed and re-made like
the rest::

    params/commentary/<partnership>/<YYYY-MM>.yaml

    themes:
      violence: |
        Operation Lantern began in November in the town centre ...
    targets:
      violent-crime: "The rise in October follows a change in recording ..."

``themes`` is keyed by the bulletin's theme ids, ``targets`` by the partnership's
target ids; the text is Markdown.  A file is validated like every params file:
each problem (an unknown theme or target id, an unknown key, text that is not
text or is empty, a key given twice, a file whose folder is not a partnership or
whose name is not a month) is one line naming the file, the YAML line and the key,
and every problem in every file is reported at once.

:func:`load_commentary` reads one bulletin's file (none is an empty
:class:`Commentary`); :func:`check_commentary_tree` checks every file under
``params/commentary``; :func:`commentary_html` renders one text as the page's
"Commentary" box, with the Markdown made safe: raw HTML in the text is shown as
text, never run; links go only to the bulletin's own pages (an http(s) address is
printed beside its text, since a published site links only to itself).
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml

from cdrp_lib.errors import ParamsError, Problem, clip_found
from cdrp_lib.params import (
    PARTNERSHIPS_DIR,
    ParamsProblem,
    Partnership,
    parse_params_yaml,
    read_params_text,
    yaml_line_finder,
)
from cdrp_lib.periods import Month

if TYPE_CHECKING:
    from mistune import HTMLRenderer

__all__ = [
    "COMMENTARY_DIR",
    "Commentary",
    "check_commentary_tree",
    "commentary_html",
    "commentary_path",
    "load_commentary",
    "safe_link",
]

COMMENTARY_DIR = "commentary"
SECTIONS = ("themes", "targets")
SUFFIX = ".yaml"
# Files a commentary folder may hold besides commentary: notes for the analysts.
IGNORED_NAMES = frozenset({"README.md"})
# How many known ids a message lists before "and N more".
_LISTED_IDS = 8
_CLOSE_MATCHES = 3
_CLOSE_CUTOFF = 0.8
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NOUNS = {"themes": "theme", "targets": "target"}


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Commentary:
    """One bulletin's commentary: Markdown text by theme id and by target id.

    ``path`` is the file it was read from (``None`` when there is none, and the
    commentary is empty).
    """

    partnership: str
    month: str
    path: Path | None = None
    themes: Mapping[str, str] = field(default_factory=_empty)
    targets: Mapping[str, str] = field(default_factory=_empty)

    def __post_init__(self) -> None:
        # A frozen dataclass is only immutable if its mappings are too.
        for name in SECTIONS:
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    @property
    def empty(self) -> bool:
        return not self.themes and not self.targets

    def for_theme(self, theme_id: str) -> str | None:
        """The Markdown text under the theme's heading, or ``None``."""
        return self.themes.get(theme_id)

    def for_target(self, target_id: str) -> str | None:
        """The Markdown text under the target's heading, or ``None``."""
        return self.targets.get(target_id)

    def to_json(self) -> dict[str, dict[str, str]]:
        """``{"themes": {...}, "targets": {...}}`` for figures.json, each only when non-empty."""
        return {name: dict(getattr(self, name)) for name in SECTIONS if getattr(self, name)}


# --------------------------------------------------------------------------- loading


def commentary_path(params_dir: Path | str, partnership: str, month: str) -> Path:
    """``<params_dir>/commentary/<partnership>/<YYYY-MM>.yaml`` (whether or not it exists).

    Raises ValueError for a partnership that is not an id or a month that is not
    ``YYYY-MM``, so no other file can be named.
    """
    if not _SLUG_RE.match(partnership):
        raise ValueError(f"partnership must be an id such as 'calder-vale', got {partnership!r}")
    return Path(params_dir) / COMMENTARY_DIR / partnership / f"{Month.parse(month)}{SUFFIX}"


def load_commentary(params_dir: Path | str, partnership: str, month: str, *,
                    themes: Collection[str], targets: Collection[str]) -> Commentary:
    """The commentary of ``partnership``'s bulletin for ``month``, validated.

    ``themes`` are the bulletin's theme ids and ``targets`` the partnership's
    target ids: text for any other id is an error, as are the other rules in the
    module docstring (ParamsError, every problem in the file at once).  No file
    means an empty Commentary: most months have none.
    """
    path = commentary_path(params_dir, partnership, month)
    month = str(Month.parse(month))
    if not path.is_file():
        return Commentary(partnership, month)
    commentary, problems = _parse(path, partnership, month, themes, targets)
    if problems or commentary is None:
        raise ParamsError(problems)
    return commentary


def check_commentary_tree(params_dir: Path | str, partnerships: Mapping[str, Partnership],
                          themes: Collection[str]) -> tuple[Commentary, ...]:
    """Every file under ``<params_dir>/commentary``, validated; raises ParamsError with all
    problems in all files.

    Besides each file's own rules: a folder must be named after a partnership in
    ``partnerships`` and a file after a month ``YYYY-MM.yaml``.  Hidden files and
    ``README.md`` are left alone.  Returns the commentaries, by partnership and month.
    """
    root = Path(params_dir) / COMMENTARY_DIR
    if not root.is_dir():
        return ()
    problems: list[Problem] = []
    found: list[Commentary] = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(p.startswith(".") for p in parts) or path.name in IGNORED_NAMES:
            continue
        if path.is_dir():
            if len(parts) > 1:
                problems.append(_misplaced(path, root))
            continue
        where = _place(path, root, partnerships)
        if isinstance(where, Problem):
            problems.append(where)
            continue
        p, month = where
        commentary, own = _parse(path, p.id, month, themes, [t.id for t in p.targets])
        problems.extend(own)
        if commentary is not None:
            found.append(commentary)
    if problems:
        raise ParamsError(problems)
    return tuple(found)


def _misplaced(path: Path, root: Path) -> Problem:
    rel = path.relative_to(root.parent).as_posix()
    return _problem(path, None, "not where commentary goes",
                    f"{COMMENTARY_DIR}/<partnership>/YYYY-MM{SUFFIX}", repr(rel))


def _place(path: Path, root: Path, partnerships: Mapping[str, Partnership]
           ) -> tuple[Partnership, str] | Problem:
    """The partnership and month a file's place names, or the problem with its place."""
    parts = path.relative_to(root).parts
    if len(parts) != 2:  # <partnership>/<month>.yaml
        return _misplaced(path, root)
    folder, name = parts
    stem = name.removesuffix(SUFFIX)
    if folder not in partnerships:
        known = sorted(partnerships)
        return _problem(path, None, "unknown partnership folder",
                        f"a partnership in {PARTNERSHIPS_DIR}/ ({_listing(known)})",
                        repr(folder), _nearest(folder, known))
    if not name.endswith(SUFFIX) or not _is_month(stem):
        return _problem(path, None, "file name is not a month",
                        f"YYYY-MM{SUFFIX}, such as 2025-12{SUFFIX}", repr(name))
    return partnerships[folder], stem


def _is_month(text: str) -> bool:
    try:
        return str(Month.parse(text)) == text
    except ValueError:
        return False


# --------------------------------------------------------------------------- one file


def _parse(path: Path, partnership: str, month: str, themes: Collection[str],
           targets: Collection[str]) -> tuple[Commentary | None, list[Problem]]:
    """One file's Commentary (``None`` when it has problems) and every problem in it."""
    try:
        text = read_params_text(path)
        data = parse_params_yaml(path, text)
    except ParamsError as exc:
        return None, list(exc.problems)
    line_of = yaml_line_finder(text)
    problems: list[Problem] = []

    def add(key: tuple[Any, ...], what: str, expected: str, found: str,
            hint: str | None = None) -> None:
        problems.append(_problem(path, key, what, expected, found, hint,
                                 line_of(key) if key else None))

    if not isinstance(data, dict):
        add((), "not a commentary file", "a mapping with `themes` and/or `targets`",
            "an empty file" if data is None else f"a {type(data).__name__}")
        return None, problems
    for key in data:
        if key not in SECTIONS:
            add((key,), "unknown key", " or ".join(SECTIONS), _found(key),
                _nearest(str(key), SECTIONS))
    known = {"themes": list(themes), "targets": list(targets)}
    whose = {"themes": "the bulletin's themes", "targets": f"{partnership}'s target ids"}
    sections: dict[str, dict[str, str]] = {}
    for name in SECTIONS:
        section = data.get(name)
        sections[name] = {}
        if section is None:
            continue
        if not isinstance(section, dict):
            add((name,), "not a mapping", f"lines `<{_NOUNS[name]} id>: text`",
                _found(section))
            continue
        for key, value in section.items():
            loc = (name, key)
            if key not in known[name]:
                add(loc, f"unknown {_NOUNS[name]}",
                    f"one of {whose[name]} ({_listing(known[name])})", _found(key),
                    _nearest(str(key), known[name]))
            elif not isinstance(value, str):
                add(loc, "not text", "Markdown text (quote it, or write `|` and the text "
                    "on the lines below)", _found(value))
            elif not value.strip():
                add(loc, "empty text", "Markdown text (or leave the key out)", repr(value))
            else:
                sections[name][str(key)] = value.strip()
    problems.extend(_duplicates(path, text))
    if problems:
        return None, sorted(problems, key=lambda p: p.line or 0)
    return Commentary(partnership, month, path, sections["themes"], sections["targets"]), []


def _duplicates(path: Path, text: str) -> list[Problem]:
    """A key given twice in one mapping: YAML keeps the last, and the first would be lost."""
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:  # parse_params_yaml has said so
        return []
    out: list[Problem] = []

    def walk(node: Any, loc: tuple[str, ...]) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        first: dict[str, int] = {}
        for key, value in node.value:
            name, line = str(key.value), int(key.start_mark.line) + 1
            if name in first:
                out.append(_problem(path, (*loc, name), "key given twice",
                                    f"each key once (the first is on line {first[name]})",
                                    repr(name), None, line))
            else:
                first[name] = line
            walk(value, (*loc, name))

    walk(root, ())
    return out


def _problem(path: Path, key: tuple[Any, ...] | None, what: str, expected: str, found: str,
             hint: str | None = None, line: int | None = None) -> Problem:
    """``file, line N, key K: what; expected E, found F`` (and ``; did you mean ...?``)."""
    rule = f"{what}; expected {expected}, found {found}"
    if hint:
        rule += f"; did you mean {hint}?"
    column = ".".join(str(k) for k in key) if key else None
    return ParamsProblem(file=str(path), rule=rule, expected=expected, found=found, line=line,
                         column=column)


def _found(value: object) -> str:
    return clip_found(repr(value))


def _listing(ids: Iterable[str]) -> str:
    shown = list(ids)
    if not shown:
        return "none"
    more = len(shown) - _LISTED_IDS
    head = ", ".join(shown[:_LISTED_IDS])
    return head + (f" and {more} more" if more > 0 else "")


def _nearest(word: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(known), n=_CLOSE_MATCHES, cutoff=_CLOSE_CUTOFF)
    return " or ".join(repr(c) for c in close) or None


# --------------------------------------------------------------------------- HTML

#: Link schemes a commentary may point to; anything else is shown as plain text.
LINK_SCHEMES = frozenset({"http", "https"})
# Characters a browser drops from a URL before it reads the scheme ("java\tscript:").
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f]")
_SCHEME = re.compile(r"^([^/?#:]*):")
_MAX_HEADING = 6


def safe_link(url: str) -> bool:
    """Whether a link may point at ``url``: http(s), or relative (no scheme at all)."""
    seen = _URL_IGNORED.sub("", html.unescape(url))
    scheme = _SCHEME.match(seen)
    return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


def commentary_html(text: str, *, heading: str = "Commentary", level: int = 3,
                    label: str | None = None) -> str:
    """``text`` (Markdown) as the page's commentary box; ``""`` for blank text.

    ``<aside class="commentary" aria-label="...">`` holding an ``<h{level}>``
    heading (3 under a target's ``<h2>``, 2 under the page's ``<h1>``) and the
    text as HTML.  ``label`` names the box for screen readers (default: the
    heading); give each box on a page its own, such as "Commentary on violent
    crime".  Headings in the text all become one level below the box's heading,
    so the page's headings never skip a level.

    Safe whatever the text holds: raw HTML is escaped (shown, never run), links
    go only to relative addresses, http(s) ones are printed after their text (since
    a published site links only to itself), and others keep their text (without
    the link), and images are shown as their alt text, so a page still fetches
    nothing.
    """
    if not text.strip():
        return ""
    if not 1 <= level < _MAX_HEADING:
        raise ValueError(f"level must be 1 to {_MAX_HEADING - 1}, got {level}")
    body = _markdown(level)(text)
    name = html.escape(label or heading, quote=True)
    return (f'<aside class="commentary" aria-label="{name}">\n'
            f'<h{level} class="commentary-heading">{html.escape(heading)}</h{level}>\n'
            f"{body}</aside>\n")


def _markdown(level: int) -> Any:
    """A mistune Markdown parser with :func:`_renderer`'s safe output."""
    import mistune  # nbconvert's own Markdown renderer; here so that params stays light

    return mistune.create_markdown(renderer=_renderer(level))


def _renderer(level: int) -> HTMLRenderer:
    from mistune import HTMLRenderer

    class SafeRenderer(HTMLRenderer):
        """HTML with raw HTML escaped, only safe links, no images, headings demoted."""

        def __init__(self) -> None:
            super().__init__(escape=True)

        def link(self, text: str, url: str, title: str | None = None) -> str:
            if not safe_link(url):
                return text
            if _SCHEME.match(_URL_IGNORED.sub("", html.unescape(url))):
                # An outside address is printed, not linked: a published site links only
                # to itself (cdrp_lib.site.check_site), and a reader can still copy it.
                return f"{text} ({html.escape(url)})"
            return super().link(text, url, title)

        def image(self, text: str, url: str, title: str | None = None) -> str:
            return text  # alt text: a page fetches nothing and shows no unchecked image

        def heading(self, text: str, level: int, **attrs: Any) -> str:
            return f"<h{below}>{text}</h{below}>\n"

    below = level + 1  # every heading in the text: one level below the box's, never skipping
    return SafeRenderer()
