"""Pydantic validation errors as Problems, in the one message style of every YAML setting.

Two layers validate YAML with pydantic: :mod:`cdrp_lib.params` (measures,
partnerships, targets, bulletin.yaml) and :mod:`cdrp_lib.stats.settings` (the
methods' settings, which a params file may override).  Both report a bad value
the same way, naming the file, the YAML line when known and the dotted key
(``targets[2].baseline.start``), with a rule that reads "`polarity` must be one
of 'lower_is_better', 'higher_is_better', got 'down'".  The conversion lives
here, at the bottom of the layers beside :mod:`cdrp_lib.errors`, so that the
statistics never import params to report a bad setting (params is built on the
statistics, not the other way round).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from cdrp_lib.errors import Problem

__all__ = [
    "LineOf",
    "ParamsProblem",
    "fail",
    "key_path",
    "problem",
    "problems_from_validation",
    "show",
    "validation_problems",
]

#: Characters of a bad value quoted as *found*.
MAX_FOUND_CHARS = 80
#: The pydantic error type of :func:`fail`: our own message, expected and found kept apart.
PARAMS_ERROR = "cdrp_params"

#: The 1-based YAML line of a key path, when the text is at hand.
LineOf = Callable[[Sequence[Any]], int | None]

_SHOULD = re.compile(r"^(Input|String|Value|Dictionary|Tuple|List|Number) should ")


def fail(message: str, expected: str, found: str) -> PydanticCustomError:
    """A validation error whose message is ours, with expected/found kept apart."""
    return PydanticCustomError(
        PARAMS_ERROR, "{message}", {"message": message, "expected": expected, "found": found}
    )


def show(value: object) -> str:
    """A short printable form of a bad value (dates as ISO text, long values cut)."""
    text = value.isoformat() if isinstance(value, date) else repr(value)
    return text if len(text) <= MAX_FOUND_CHARS else text[: MAX_FOUND_CHARS - 3] + "..."


def key_path(loc: Sequence[Any]) -> str:
    """``("targets", 2, "baseline")`` -> ``targets[2].baseline``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(err: Mapping[str, Any], loc: Sequence[Any],
              union_tags: Sequence[str]) -> tuple[str, str, str]:
    """(rule, expected, found) for one pydantic error, in the "`x` must be ..., got ..." style."""
    names = [p for p in loc if isinstance(p, str)]
    name = names[-1] if names else "value"
    kind = err["type"]
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    found = show(err["input"]) if "input" in err else "nothing"
    if kind == PARAMS_ERROR:
        return f"`{name}` {ctx['message']}", str(ctx["expected"]), str(ctx["found"])
    if kind in ("literal_error", "enum"):
        options = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"`{name}` must be one of {options}, got {found}", f"one of {options}", found
    if kind == "missing" and name == "reason" and "rag_override" in loc:
        return ("`reason` is required: a RAG override must say why it replaces the computed "
                "rating (the bulletin prints it)", "a reason", "nothing")
    if kind == "missing":
        return f"`{name}` is required", "a value", "nothing"
    if kind == "extra_forbidden":
        return f"`{name}` is not a known key here", "a documented key", repr(name)
    if kind == "union_tag_invalid":
        tags = str(ctx.get("expected_tags", ""))
        tag = show(ctx.get("tag"))
        return f"`kind` must be one of {tags}, got {tag}", f"one of {tags}", tag
    if kind == "union_tag_not_found":
        expected = "one of " + ", ".join(repr(k) for k in union_tags) if union_tags else "a value"
        return "`kind` is required", expected, "nothing"
    if kind == "value_error":  # a model's own check, already a full sentence
        message = str(err["msg"]).removeprefix("Value error, ")
        return f"`{name}`: {message}", message, found
    message = _SHOULD.sub("must ", str(err["msg"]))
    return f"`{name}` {message}, got {found}", message, found


def validation_problems(
    file: Path | str, exc: ValidationError, prefix: Sequence[Any] = (),
    line_of: LineOf | None = None, union_tags: Sequence[str] = (),
) -> list[Problem]:
    """One Problem per pydantic error, keyed ``prefix`` + the error's location.

    ``union_tags`` are the ``kind`` values of a discriminated union being
    validated (the target kinds): pydantic puts the tag at the head of each
    location, where the YAML has no such key, so it is dropped; a missing
    ``kind`` lists them as expected.
    """
    out: list[Problem] = []
    for err in exc.errors():
        loc = [part for part in err["loc"] if part != "[key]"]  # a bad mapping key
        if loc and loc[0] in union_tags:
            loc = loc[1:]  # the discriminated union puts the kind in the location
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = [*loc, "kind"]
        full = [*prefix, *loc]
        rule, expected, found = _describe(err, full, union_tags)
        out.append(problem(file, full, rule, expected, found, line_of))
    return out


def problems_from_validation(
    file: Path | str, exc: ValidationError, prefix: str = ""
) -> list[Problem]:
    """Turn pydantic's errors into Problems naming the file and the dotted key.

    ``prefix`` is prepended to every key (``measures[3]``, ``settings``).
    """
    problems = validation_problems(file, exc)
    if not prefix:
        return problems
    out: list[Problem] = []
    for p in problems:
        key = p.column or ""
        joined = f"{prefix}{'.' if key and not key.startswith('[') else ''}{key}"
        out.append(ParamsProblem(p.file, p.rule, p.expected, p.found, p.line, joined))
    return out


class ParamsProblem(Problem):
    """A Problem in a YAML params file, printed as "file, line N, key K: rule".

    The rule already reads "`x` must be ..., got ..." (expected and found stay
    in their fields for tables), so printing them again would only repeat it.
    """

    def __str__(self) -> str:
        return f"{self.where('key', quote=False)}: {self.rule}"


def problem(file: Path | str, key: Sequence[Any], rule: str, expected: str, found: str,
            line_of: LineOf | None = None) -> Problem:
    """A :class:`ParamsProblem` at ``key``, with its YAML line when ``line_of`` is given."""
    return ParamsProblem(file=str(file), rule=rule, expected=expected, found=found,
                         line=line_of(key) if line_of else None, column=key_path(key))
