"""Reading one params file: its text, its YAML, and the line of any key in it.

Every reader here raises :class:`~cdrp_lib.errors.ParamsError` naming the file
(missing, not UTF-8, not YAML with the line of the fault), so the loaders in
:mod:`cdrp_lib.params.loaders` only deal with well-formed data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from cdrp_lib.errors import ParamsError, Problem

DEFAULT_PARAMS_DIR = Path("params")
MEASURES_FILE = "measures.yaml"
BULLETIN_FILE = "bulletin.yaml"
PARTNERSHIPS_DIR = "partnerships"


# libyaml's C parser when PyYAML was built with it (the wheels are): the same safe
# resolution (``2019-01`` stays a string) at a fraction of the pure-Python cost.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError([Problem(str(path), "missing params file", "the project's params "
                                   "folder (run cdrp from the project folder, or pass --params "
                                   "DIR)", "no such file")]) from None
    except UnicodeDecodeError as exc:
        data = exc.object
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParamsError([Problem(str(path), "not UTF-8", "UTF-8 text (save the file as UTF-8)",
                                   f"the byte 0x{data[exc.start]:02x} (byte {column} of the line)",
                                   line=line)]) from None


#: Values a params file may hold once YAML aliases are expanded.  Aliases are
#: references, so loading is quick, but validation walks every reference: nine
#: nested aliases of nine ("billion laughs") would run for minutes and gigabytes.
MAX_EXPANDED_VALUES = 100_000


def parse_yaml(path: Path, text: str) -> Any:
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        found = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None:
            found += f" ({context} from line {start.line + 1})"
        raise ParamsError([Problem(str(path), "not valid YAML", "YAML", found,
                                   line=(mark.line + 1) if mark else None)]) from None
    if "*" in text:  # no alias, no bomb: the common case costs one search
        size = expanded_size(data, MAX_EXPANDED_VALUES)
        if size > MAX_EXPANDED_VALUES:
            raise ParamsError([Problem(
                str(path), "YAML alias bomb",
                f"at most {MAX_EXPANDED_VALUES:,} values once aliases (*name) are expanded",
                f"more than {MAX_EXPANDED_VALUES:,}: aliases of aliases multiply them",
                line=_first_alias_line(text))]) from None
    return data


def expanded_size(data: Any, limit: int) -> int:
    """Values in ``data`` counting each reference again (as validation visits them).

    Shared lists and mappings are sized once (memoised by identity), so the walk is
    linear in the text, and stops as soon as the count passes ``limit``; a value
    that contains itself (``&a [*a]``) counts as past it.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(value: Any) -> int:
        if not isinstance(value, list | dict):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            return limit + 1
        open_ids.add(key)
        total = 1
        for child in (value.values() if isinstance(value, dict) else value):
            total += size(child)
            if total > limit:
                break
        open_ids.discard(key)
        sizes[key] = total
        return total

    return size(data)


def _first_alias_line(text: str) -> int | None:
    """The line of the first alias in ``text`` (events, by libyaml: no node tree built)."""
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
                return int(event.start_mark.line) + 1
    except yaml.YAMLError:
        return None
    return None


def line_finder(text: str) -> Callable[[Sequence[Any]], int | None]:
    """A function giving the 1-based YAML line of a key path (the deepest part present).

    The node tree is composed only when a problem needs a line number: composing
    every params file in pure Python cost each notebook kernel ~0.5 s.
    """
    composed: list[Any] = []

    def root_node() -> Any:
        if not composed:
            try:
                composed.append(yaml.compose(text, Loader=_FAST_LOADER))
            except yaml.YAMLError:
                composed.append(None)
        return composed[0]

    def line_of(loc: Sequence[Any]) -> int | None:
        node = root_node()
        if node is None:
            return None
        for part in loc:
            child = None
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if str(k.value) == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                child = node.value[part] if 0 <= part < len(node.value) else None
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1

    return line_of
