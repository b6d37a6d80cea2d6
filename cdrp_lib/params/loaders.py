"""Loading a params folder: measures, every partnership, bulletin defaults, method settings.

Each loader validates everything it reads and raises one
:class:`~cdrp_lib.errors.ParamsError` carrying every problem in every file, in
file and line order, so an analyst fixes the params in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cdrp_lib.errors import NotFoundError, ParamsError, Problem
from cdrp_lib.params.checks import (
    Parsed,
    check_header,
    check_measure_known,
    check_outcomes,
    check_references,
    check_target,
    drop_consequential,
    settings_problems,
    theme_list_problems,
    unlisted_source_problems,
)
from cdrp_lib.params.fields import DEFAULT_THEMES, POLICE_CATEGORIES, THEMES_CONTEXT
from cdrp_lib.params.files import (
    BULLETIN_FILE,
    DEFAULT_PARAMS_DIR,
    MEASURES_FILE,
    PARTNERSHIPS_DIR,
    line_finder,
    parse_yaml,
    read_text,
)
from cdrp_lib.params.models import BulletinParams, Measure, Partnership, themes_in_force
from cdrp_lib.params.targets import (
    TARGET_ADAPTER,
    TARGET_DEFAULT_KEYS,
    TARGET_KINDS,
    CeilingTarget,
    MonitorTarget,
    SetTarget,
)
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.validation import problem, show, validation_problems


def load_measures(params_dir: Path | str = DEFAULT_PARAMS_DIR) -> dict[str, Measure]:
    """All measures declared in ``<params_dir>/measures.yaml``, keyed by id."""
    path = Path(params_dir) / MEASURES_FILE
    text = read_text(path)
    data = parse_yaml(path, text)
    line_of = line_finder(text)
    if not isinstance(data, dict) or not isinstance(data.get("measures"), list):
        raise ParamsError([Problem(str(path), "`measures` is missing", "a list of measures",
                                   type(data).__name__)])
    measures: dict[str, Measure] = {}
    problems: list[Problem] = []
    indexed: list[tuple[int, Measure]] = []
    context = {THEMES_CONTEXT: declared_theme_ids(Path(params_dir))}
    for i, raw in enumerate(data["measures"]):
        try:
            m = Measure.model_validate(raw, context=context)
        except ValidationError as exc:
            problems.extend(validation_problems(path, exc, ("measures", i), line_of))
            continue
        if m.id in measures:
            problems.append(problem(path, ("measures", i, "id"), "duplicate measure id",
                                     "unique ids", m.id, line_of))
        problems.extend(_unknown_categories(path, m, i, line_of))
        measures[m.id] = m
        indexed.append((i, m))
    listed = _listed_sources(Path(params_dir) / BULLETIN_FILE)
    if listed is not None:
        problems.extend(unlisted_source_problems(path, indexed, listed, BULLETIN_FILE, line_of))
    if problems:
        raise ParamsError(problems)
    return measures


def _listed_sources(path: Path) -> list[str] | None:
    """The source ids ``bulletin.yaml`` lists under ``sources:``; None without the file.

    Read as plain YAML: a bulletin.yaml that does not validate is load_bulletin's to
    report, and measures are checked against what it lists all the same.
    """
    if not path.is_file():
        return None
    try:
        data = parse_yaml(path, read_text(path))
    except ParamsError:
        return None
    sources = data.get("sources") if isinstance(data, dict) else None
    return [str(k) for k in sources] if isinstance(sources, dict) else []
def _listed_ids(path: Path) -> list[str]:
    """The theme ids a params file's `themes:` lists, read leniently (its own loader reports
    what is wrong with it); none when it lists none or cannot be read."""
    try:
        data = parse_yaml(path, read_text(path))
    except ParamsError:
        return []
    themes = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(themes, list):
        return []
    return [str(t["id"]) for t in themes if isinstance(t, dict) and "id" in t]


def declared_theme_ids(params_dir: Path) -> tuple[str, ...]:
    """Every theme a measure's default theme may be: bulletin.yaml's list (the default one
    without the file) and every partnership's own `themes:`, in that order."""
    bulletin = params_dir / BULLETIN_FILE
    # A bulletin.yaml whose list cannot be read is reported by load_bulletin; the default
    # list stands in for it here rather than failing every measure as well.
    ids = (_listed_ids(bulletin) if bulletin.is_file() else []) or list(DEFAULT_THEMES)
    for path in sorted((params_dir / PARTNERSHIPS_DIR).glob("*.yaml")):
        ids.extend(_listed_ids(path))
    return tuple(dict.fromkeys(ids))


def _bulletin_for_checks(params_dir: Path) -> BulletinParams | None:
    """bulletin.yaml for the partnership checks, or None without it (or when it does not
    validate: :func:`load_bulletin` reports that, and the checks use its theme ids as read)."""
    if not (params_dir / BULLETIN_FILE).is_file():
        return None
    try:
        return load_bulletin(params_dir)
    except ParamsError:
        return None


def _unknown_categories(path: Path, m: Measure, i: int,
                        line_of: Callable[[Sequence[Any]], int | None]) -> list[Problem]:
    """A police measure's categories must be data.police.uk crime types: a misspelt one would
    match no row and show "no data" for ever."""
    if m.source != "police":
        return []
    allowed = ", ".join(sorted(POLICE_CATEGORIES))
    return [problem(path, ("measures", i, "categories", k),
                    f"unknown police category {c!r} in measure {m.id!r}; allowed: {allowed}",
                    "a data.police.uk crime type", repr(c), line_of)
            for k, c in enumerate(m.categories) if c not in POLICE_CATEGORIES]


def _target_input(raw: Any, defaults: Mapping[str, Any], outcomes: Mapping[str, Any],
                  measures: Mapping[str, Measure]) -> Any:
    """A target's raw mapping with partnership defaults and measure defaults filled in.

    Returns a new mapping; the YAML data is never changed.
    """
    if not isinstance(raw, dict):
        return raw
    merged: dict[str, Any] = {**defaults, **raw}
    if raw.get("kind") == "ceiling":  # a ceiling has its own `period` and no baseline
        merged = {k: v for k, v in merged.items()
                  if k not in ("baseline", "strategy") or k in raw}
    measure = measures.get(str(merged.get("measure")))
    if measure is not None:
        merged.setdefault("theme", measure.theme)
        merged.setdefault("polarity", measure.polarity.value)
    code = merged.get("outcome")
    if isinstance(code, str) and "outcome_title" not in merged and code in outcomes:
        merged["outcome_title"] = outcomes[code]
    return merged


def _parse_partnership(path: Path, measures: Mapping[str, Measure],
                       lookups: dict[Path, tuple[dict[str, str], list[Problem]]],
                       params_dir: Path, bulletin: BulletinParams | None = None) -> Parsed:
    try:
        text = read_text(path)
        data = parse_yaml(path, text)
    except ParamsError as exc:  # unreadable: report it with the other files' problems
        unreadable = Parsed(path, lambda _loc: None)
        unreadable.problems.extend(exc.problems)
        return unreadable
    parsed = Parsed(path, line_finder(text))
    if not isinstance(data, dict):
        parsed.add((), "a partnership file must be a mapping", "keys id, name, area, ...",
                   type(data).__name__)
        return parsed
    defaults = data.get("target_defaults") or {}
    if not isinstance(defaults, dict):
        parsed.add(("target_defaults",), "`target_defaults` must be a mapping",
                   "a mapping of target keys", show(defaults))
        defaults = {}
    for key in defaults:
        if key not in TARGET_DEFAULT_KEYS:
            parsed.add(("target_defaults", key), f"`{key}` cannot be a target default",
                       "one of " + ", ".join(sorted(TARGET_DEFAULT_KEYS)), repr(key))
    defaults = {k: v for k, v in defaults.items() if k in TARGET_DEFAULT_KEYS}
    raw_targets = data.get("targets") or []
    if not isinstance(raw_targets, list):
        parsed.add(("targets",), "`targets` must be a list", "a list of targets",
                   show(raw_targets))
        raw_targets = []
    stem = path.stem
    if isinstance(data.get("id"), str) and data["id"] != stem:
        parsed.add(("id",), f"`id` must equal the file name {stem!r}, got {data['id']!r}",
                   repr(stem), repr(data["id"]))
    header_raw = {k: v for k, v in data.items() if k not in ("targets", "target_defaults")}
    header: Partnership | None = None
    try:
        header = Partnership.model_validate(header_raw)
    except ValidationError as exc:
        parsed.problems.extend(validation_problems(path, exc, (), parsed.line_of))
    outcomes = header.outcomes if header else {}
    themes = _theme_ids(header, data, bulletin)
    context = {THEMES_CONTEXT: themes} if themes is not None else None
    targets: list[SetTarget | CeilingTarget | MonitorTarget] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_targets):
        merged = _target_input(raw, defaults, outcomes, measures)
        try:
            target = TARGET_ADAPTER.validate_python(merged, context=context)
        except ValidationError as exc:
            problems = validation_problems(path, exc, ("targets", i), parsed.line_of,
                                           TARGET_KINDS)
            problems = _say_theme_defaulted(problems, raw, merged, i)
            parsed.problems.extend(drop_consequential(problems, merged, measures, i))
        else:
            targets.append(target)
            check_target(parsed, target, i, measures, seen)
        if isinstance(merged, dict):
            check_measure_known(parsed, merged, measures, i)
    if header is None:
        return parsed
    check_header(parsed, header, lookups, params_dir)
    if header.themes is not None:
        parsed.problems.extend(theme_list_problems(path, header.themes, parsed.line_of,
                                                   require_summary=False))
    if themes is not None:
        check_outcomes(parsed, header.model_copy(update={"targets": tuple(targets)}), themes)
    if not parsed.problems:
        partnership = header.model_copy(update={"targets": tuple(targets)})
        if header.area.lsoa_lookup:
            partnership._lookup = dict(lookups[params_dir / header.area.lsoa_lookup][0])
        parsed.partnership = partnership
    return parsed


def _theme_ids(header: Partnership | None, data: Mapping[str, Any],
               bulletin: BulletinParams | None) -> tuple[str, ...] | None:
    """The theme ids in force for a partnership's targets: its own list, else bulletin.yaml's
    (the default list without the file); None when its own list did not validate (its
    problems are reported; its targets' themes cannot be judged)."""
    if header is None and data.get("themes") is not None:
        return None
    return tuple(t.id for t in themes_in_force(bulletin, header))


def _say_theme_defaulted(problems: list[Problem], raw: Any, merged: Any, i: int
                         ) -> list[Problem]:
    """A theme the target took from its measure says so, and how to give its own."""
    import dataclasses

    if not isinstance(raw, dict) or "theme" in raw or not isinstance(merged, dict):
        return problems
    note = (f" (the theme of measure {merged.get('measure')!r}: give the target its own "
            "`theme`)")
    return [dataclasses.replace(p, rule=p.rule + note) if p.column == f"targets[{i}].theme"
            else p for p in problems]


def load_partnerships(params_dir: Path | str = DEFAULT_PARAMS_DIR) -> dict[str, Partnership]:
    """Every partnership in ``<params_dir>/partnerships/*.yaml``, validated, keyed by id.

    Raises ParamsError with every problem in every file.  No folder means no
    params partnerships (districts in the data still are partnerships).
    """
    valid, broken = load_partnerships_apart(params_dir)
    problems = [p for found in broken.values() for p in found]
    if problems:
        raise ParamsError(_unique(problems))
    return valid


def load_partnerships_apart(params_dir: Path | str = DEFAULT_PARAMS_DIR
                            ) -> tuple[dict[str, Partnership], dict[str, list[Problem]]]:
    """The partnerships whose files validate, keyed by id, and the problems of each other file.

    Problems are keyed by the file's stem (its partnership id), in line order;
    a problem of a lookup a file uses, or a reference to a broken file, is that
    file's.  For the batch, which makes the bulletins of the partnerships that
    validate and fails the others'; :func:`load_partnerships` raises for any.
    Raises ParamsError for ``measures.yaml``, which every file needs.
    """
    root = Path(params_dir)
    folder = root / PARTNERSHIPS_DIR
    if not folder.is_dir():
        return {}, {}
    measures = load_measures(root)
    files = {path.stem: path for path in sorted(folder.glob("*.yaml"))}
    lookups: dict[Path, tuple[dict[str, str], list[Problem]]] = {}
    bulletin = _bulletin_for_checks(root)
    parsed = {stem: _parse_partnership(path, measures, lookups, root, bulletin)
              for stem, path in files.items()}
    check_references(parsed, files)
    broken = {stem: sorted(result.problems, key=lambda p: p.line or 0)
              for stem, result in parsed.items() if result.problems}
    valid = {r.partnership.id: r.partnership for stem, r in parsed.items()
             if r.partnership is not None and stem not in broken}
    return valid, broken


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    """Problems once each (a shared lookup's problems are found by each user of it)."""
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def load_partnership(params_dir: Path | str, partnership_id: str) -> Partnership:
    """One params partnership, validated with all the others (they refer to each other)."""
    partnerships = load_partnerships(params_dir)
    try:
        return partnerships[partnership_id]
    except KeyError:
        known = ", ".join(sorted(partnerships)) or "none"
        raise NotFoundError(
            f"no partnership {partnership_id!r} in {Path(params_dir) / PARTNERSHIPS_DIR} "
            f"(params partnerships: {known}; districts found in the data need no params file)"
        ) from None


# --------------------------------------------------------------------------- bulletin


def load_bulletin(params_dir: Path | str = DEFAULT_PARAMS_DIR) -> BulletinParams:
    """Bulletin-wide defaults from ``<params_dir>/bulletin.yaml``, validated."""
    path = Path(params_dir) / BULLETIN_FILE
    text = read_text(path)
    data = parse_yaml(path, text)
    line_of = line_finder(text)
    try:
        bulletin = BulletinParams.model_validate(data)
    except ValidationError as exc:
        raise ParamsError(validation_problems(path, exc, (), line_of)) from None
    problems = theme_list_problems(path, bulletin.themes, line_of, require_summary=True)
    if bulletin.settings:
        problems.extend(settings_problems(path, bulletin.settings, line_of))
    if problems:
        raise ParamsError(problems)
    return bulletin


def method_settings(bulletin: BulletinParams, partnership: Partnership | None = None
                    ) -> MethodSettings:
    """The method settings for a partnership: bulletin defaults, then its own overrides."""
    merged = {**bulletin.settings, **(partnership.settings if partnership else {})}
    try:
        return MethodSettings.model_validate(merged)
    except ValidationError as exc:
        where = f"{PARTNERSHIPS_DIR}/{partnership.id}.yaml" if partnership else BULLETIN_FILE
        raise ParamsError(validation_problems(where, exc, ("settings",))) from None
