"""Params: measures, partnerships and targets, loaded from YAML and validated.

Configuration is read once at the top (CLI or notebook parameters cell) and
passed down as plain typed objects.  Every validation failure names the file,
the key and the problem ("`polarity` must be one of ..., got ...").
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from cdrp_lib.errors import ParamsError, Problem

DEFAULT_PARAMS_DIR = Path("params")


class Polarity(StrEnum):
    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


class Measure(BaseModel):
    """One measure: where its numbers come from and which way is good."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    theme: Literal[
        "summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception"
    ]
    source: Literal["police", "domestic_abuse", "survey"]
    kind: Literal["count", "proportion"] = "count"
    polarity: Polarity
    categories: tuple[str, ...] = ()
    question: str | None = None
    caveat: str | None = None


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_from_validation(
    file: Path | str, exc: ValidationError, prefix: str = ""
) -> list[Problem]:
    """Turn pydantic's errors into Problems naming the file and the dotted key."""
    out: list[Problem] = []
    for err in exc.errors():
        key = _key_path(tuple(err["loc"]))
        if prefix:
            key = f"{prefix}{'.' if key and not key.startswith('[') else ''}{key}"
        found = repr(err.get("input")) if "input" in err else "nothing"
        if len(found) > 80:
            found = found[:77] + "..."
        out.append(Problem(file=str(file), rule=f"`{key}` is invalid", expected=err["msg"],
                           found=found, column=key))
    return out


def read_yaml(path: Path) -> Any:
    """Read YAML keeping ``2019-01`` a string (PyYAML's safe loader does; dates stay text)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParamsError([Problem(str(path), "not UTF-8", "UTF-8 text",
                                   f"byte {exc.start}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ParamsError([Problem(str(path), "not valid YAML", "YAML", str(exc).splitlines()[0],
                                   line=(mark.line + 1) if mark else None)]) from None


def load_measures(params_dir: Path | str = DEFAULT_PARAMS_DIR) -> dict[str, Measure]:
    """All measures declared in ``<params_dir>/measures.yaml``, keyed by id."""
    path = Path(params_dir) / "measures.yaml"
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("measures"), list):
        raise ParamsError([Problem(str(path), "`measures` is missing", "a list of measures",
                                   type(data).__name__)])
    measures: dict[str, Measure] = {}
    problems: list[Problem] = []
    for i, raw in enumerate(data["measures"]):
        try:
            m = Measure.model_validate(raw)
        except ValidationError as exc:
            problems.extend(problems_from_validation(path, exc, prefix=f"measures[{i}]"))
            continue
        if m.id in measures:
            problems.append(Problem(str(path), "duplicate measure id", "unique ids", m.id,
                                    column=f"measures[{i}].id"))
        measures[m.id] = m
    if problems:
        raise ParamsError(problems)
    return measures
