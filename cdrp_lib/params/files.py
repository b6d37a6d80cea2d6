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
        raise ParamsError([Problem(str(path), "not UTF-8", "UTF-8 text",
                                   f"byte {exc.start}")]) from None


def parse_yaml(path: Path, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        found = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None:
            found += f" ({context} from line {start.line + 1})"
        raise ParamsError([Problem(str(path), "not valid YAML", "YAML", found,
                                   line=(mark.line + 1) if mark else None)]) from None


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
