"""The rules no single model can check: across keys, across models and across files.

A target's kind must fit its measure (a reduction is lower-is-better, a rate in
percent needs a proportion), milestones must give one level per strategy year,
an area's lookup must name its districts, and peers, parents and sub-area
targets must point at partnerships that exist.  Each rule adds a Problem to the
file's :class:`Parsed` instead of raising, so every problem in every file is
reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cdrp_lib.areas import slugify
from cdrp_lib.errors import Problem
from cdrp_lib.params.fields import MAX_PERCENT, SLUG_RE, SUMMARY_THEME, nearest
from cdrp_lib.params.files import MEASURES_FILE, PARTNERSHIPS_DIR
from cdrp_lib.params.lookup import read_lsoa_lookup
from cdrp_lib.params.models import Measure, Partnership, ThemeParams
from cdrp_lib.params.targets import (
    CeilingTarget,
    IncreaseTarget,
    MilestonesTarget,
    MonitorTarget,
    RateTarget,
    SetTarget,
    SurveyTarget,
)
from cdrp_lib.periods import month_range
from cdrp_lib.stats.enums import Polarity
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.validation import problem, validation_problems


class Parsed:
    """One partnership file's outcome: the model (if it validated) and its problems."""

    def __init__(self, path: Path, line_of: Callable[[Sequence[Any]], int | None]) -> None:
        self.path = path
        self.line_of = line_of
        self.partnership: Partnership | None = None
        self.problems: list[Problem] = []

    def add(self, key: Sequence[Any], rule: str, expected: str, found: str) -> None:
        self.problems.append(problem(self.path, key, rule, expected, found, self.line_of))


def drop_consequential(problems: list[Problem], merged: Any, measures: Mapping[str, Measure],
                        index: int) -> list[Problem]:
    """Drop "`theme`/`polarity` is required" when they would have come from an unknown measure."""
    if not isinstance(merged, dict) or merged.get("measure") is None:
        return problems
    if str(merged.get("measure")) in measures:
        return problems
    noise = {f"targets[{index}].theme", f"targets[{index}].polarity"}
    return [p for p in problems if not (p.column in noise and p.found == "nothing")]


def check_measure_known(parsed: Parsed, merged: Mapping[str, Any],
                         measures: Mapping[str, Measure], i: int) -> None:
    measure = merged.get("measure")
    if measure is None or not isinstance(measure, str) or not SLUG_RE.match(measure):
        return  # absent (monitor) or malformed: pydantic has said so
    if measure not in measures:
        parsed.add(("targets", i, "measure"),
                   f"`measure` must be a measure in {MEASURES_FILE}, got {measure!r}",
                   f"one of the {len(measures)} measures in {MEASURES_FILE}", repr(measure))


def check_header(parsed: Parsed, p: Partnership,
                  lookups: dict[Path, tuple[dict[str, str], list[Problem]]],
                  params_dir: Path) -> None:
    for key, values in (("districts", p.area.districts), ("lsoas", p.area.lsoas),
                        ("peers", p.peers)):
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            loc = ("peers",) if key == "peers" else ("area", key)
            parsed.add(loc, f"`{key}` lists {', '.join(map(repr, dupes))} more than once",
                       "each once", ", ".join(dupes))
    if p.id in p.peers:
        parsed.add(("peers",), "`peers` must not list the partnership itself "
                   "(it is always in its own most similar group)", "other partnerships",
                   repr(p.id))
    if p.area.parent == p.id:
        parsed.add(("area", "parent"), "`parent` must be another partnership, got itself",
                   "another partnership id", repr(p.id))
    if p.population.from_districts and not p.area.districts:
        parsed.add(("population",), "`population` must be explicit `{year: count}` for an "
                   "area given only by LSOAs (the store holds populations by district)",
                   "{year: count}", "from_districts: true")
    if p.area.lsoa_lookup:
        _check_lookup(parsed, p, lookups, params_dir)
    if p.settings:
        parsed.problems.extend(settings_problems(parsed.path, p.settings, parsed.line_of))


def _check_lookup(parsed: Parsed, p: Partnership,
                  lookups: dict[Path, tuple[dict[str, str], list[Problem]]],
                  params_dir: Path) -> None:
    rel = p.area.lsoa_lookup or ""
    path = params_dir / rel
    if Path(rel).is_absolute() or not path.is_file():
        parsed.add(("area", "lsoa_lookup"), f"`lsoa_lookup` must be a CSV file relative to "
                   f"{params_dir}, got {rel!r}", "an existing file such as "
                   "'reference/northamptonshire-lsoa-2011-districts.csv'", repr(rel))
        return
    if path not in lookups:
        lookups[path] = read_lsoa_lookup(path)
    lookup, problems = lookups[path]
    parsed.problems.extend(problems)
    known = set(lookup.values())
    for j, district in enumerate(p.area.districts):
        if lookup and district not in known:
            parsed.add(("area", "districts", j), f"`districts` names {district!r}, which "
                       f"{rel} does not (spell it as the LSOA names do)",
                       "one of " + ", ".join(sorted(known)), repr(district))


def settings_problems(file: Path, settings: Mapping[str, Any],
                       line_of: Callable[[Sequence[Any]], int | None]) -> list[Problem]:
    """Problems with a ``settings`` block, checked against the methods' MethodSettings."""
    try:
        MethodSettings.model_validate(dict(settings))
    except ValidationError as exc:
        return validation_problems(file, exc, ("settings",), line_of)
    return []


def check_target(parsed: Parsed, t: SetTarget | CeilingTarget | MonitorTarget, i: int,
                  measures: Mapping[str, Measure], seen: set[str]) -> None:
    if t.id in seen:
        parsed.add(("targets", i, "id"), f"`id` {t.id!r} is used by another target",
                   "unique target ids", repr(t.id))
    seen.add(t.id)
    baseline, strategy = t.baseline, t.strategy
    if baseline is not None and baseline.first > baseline.last:
        parsed.add(("targets", i, "baseline", "start"), "`start` must not be after `end` "
                   f"({baseline.end}), got {baseline.start}", f"a month up to {baseline.end}",
                   baseline.start)
    if strategy is not None and strategy.first > strategy.last:
        parsed.add(("targets", i, "strategy", "end"), "`end` must not be before `start` "
                   f"({strategy.start}), got {strategy.end}", f"a month from {strategy.start}",
                   strategy.end)
    if baseline is not None and strategy is not None and not baseline.last < strategy.last:
        parsed.add(("targets", i, "baseline", "end"), "`end` must be before the strategy "
                   f"ends ({strategy.end}), got {baseline.end}",
                   f"a month before {strategy.end}", baseline.end)
    measure = measures.get(t.measure) if t.measure else None
    if measure is not None:
        _check_kind_fits_measure(parsed, t, i, measure)
    if isinstance(t, IncreaseTarget):
        given = [k for k in ("percent", "amount", "to") if getattr(t, k) is not None]
        if len(given) != 1:
            parsed.add(("targets", i), "an increase target must give exactly one of "
                       "`percent`, `amount`, `to`", "exactly one",
                       ", ".join(given) or "none")
    if isinstance(t, MilestonesTarget):
        _check_milestones(parsed, t, i)


def _check_kind_fits_measure(parsed: Parsed, t: SetTarget | CeilingTarget | MonitorTarget, i: int,
                             measure: Measure) -> None:
    wanted = {"reduction": Polarity.LOWER_IS_BETTER, "increase": Polarity.HIGHER_IS_BETTER}
    if t.kind in wanted and t.polarity is not wanted[t.kind]:
        parsed.add(("targets", i, "polarity"), f"`polarity` must be "
                   f"'{wanted[t.kind].value}' for a {t.kind} target, got '{t.polarity.value}' "
                   "(set `polarity` on the target to override the measure's)",
                   repr(wanted[t.kind].value), repr(t.polarity.value))
    if isinstance(t, RateTarget):
        needs = "proportion" if t.unit == "percent" else "count"
        if measure.kind != needs:
            parsed.add(("targets", i, "unit"), f"`unit` {t.unit!r} needs a {needs} measure, "
                       f"got {measure.id!r}, a {measure.kind}", f"a {needs} measure",
                       repr(measure.id))
        if t.unit == "percent" and t.value > MAX_PERCENT:
            parsed.add(("targets", i, "value"), f"`value` must be a percentage up to 100, "
                       f"got {t.value}", "0 to 100", str(t.value))
    if isinstance(t, CeilingTarget) != (measure.value_unit == "cohort_offences") and \
            t.kind != "monitor":
        parsed.add(("targets", i, "kind"), "a cohort ceiling (`kind: ceiling`) needs a measure "
                   f"with `unit: cohort_offences` and such a measure a ceiling, got {t.kind!r} "
                   f"on {measure.id!r} (unit {measure.value_unit})",
                   "kind: ceiling on a cohort_offences measure", f"{t.kind} on {measure.id}")
    if isinstance(t, SurveyTarget):
        if measure.source != "survey":
            parsed.add(("targets", i, "measure"), f"`measure` must be a survey measure for a "
                       f"survey target, got {measure.id!r} (source {measure.source})",
                       "a measure with source survey", repr(measure.id))
        if t.unit == "index":
            parsed.add(("targets", i, "unit"), "an index score cannot be assessed against a "
                       f"survey measure ({measure.id!r} is a percentage of respondents); write "
                       "the target as `kind: monitor` with the plan's wording in `plan_target`",
                       "unit: percent", "unit: index")
        elif t.value > MAX_PERCENT:
            parsed.add(("targets", i, "value"), f"`value` must be a percentage up to 100, "
                       f"got {t.value}", "0 to 100", str(t.value))


def _check_milestones(parsed: Parsed, t: MilestonesTarget, i: int) -> None:
    first, last = t.strategy.first, t.strategy.last
    if first.month != 4 or last.month != 3:
        parsed.add(("targets", i, "strategy"), "`strategy` must run from an April to a March "
                   f"for yearly milestones, got {t.strategy.start} to {t.strategy.end}",
                   "April to March", f"{t.strategy.start} to {t.strategy.end}")
        return
    years = sorted({m.financial_year for m in month_range(first, last)})
    given = sorted(t.steps)
    if given != years:
        parsed.add(("targets", i, "steps"), "`steps` must give one level for each strategy "
                   f"year {', '.join(years)}, got {', '.join(given) or 'none'}",
                   ", ".join(years), ", ".join(given) or "none")


def nearest_ids(wanted: str, known: Sequence[str], n: int = 3) -> list[str]:
    """The known ids closest to a misspelt one (difflib), closest first."""
    return nearest(wanted, known, n)


def unknown_peer_problems(params_dir: Path, partnership: str, peers: Sequence[str],
                          known: Sequence[str]) -> list[Problem]:
    """A peer that is no partnership of the store or the params: file, line, key and the
    nearest known ids.  Checked against the store (where automatic partnerships live),
    since params alone cannot know which districts the data holds."""
    from cdrp_lib.params.files import line_finder, read_text

    path = params_dir / PARTNERSHIPS_DIR / f"{partnership}.yaml"
    line_of = line_finder(read_text(path)) if path.is_file() else None
    out = []
    for j, peer in enumerate(peers):
        if peer in known:
            continue
        near = nearest_ids(peer, known)
        out.append(problem(path, ("peers", j), f"`peers` names {peer!r}, which is no "
                           "partnership of the store or the params"
                           + (f" (nearest: {', '.join(near)})" if near else ""),
                           "a partnership id", repr(peer), line_of))
    return out


def check_references(parsed: Mapping[str, Parsed], files: Mapping[str, Path]) -> None:
    """Cross-file rules: peers, parents and sub-area targets point at partnerships that exist."""
    for result in parsed.values():
        p = result.partnership
        if p is None:
            continue
        for j, peer in enumerate(p.peers):
            if peer not in files and slugify(peer) != peer:
                result.add(("peers", j), f"`peers` names {peer!r}, which is neither a "
                           "partnership in partnerships/ nor a district id",
                           "a partnership id", repr(peer))
        parent = p.area.parent
        if parent is not None and parent != p.id:
            if parent not in files:
                result.add(("area", "parent"), f"`parent` must be a partnership in "
                           f"{PARTNERSHIPS_DIR}/, got {parent!r}",
                           "one of " + ", ".join(sorted(files)), repr(parent))
            else:
                other = parsed[parent].partnership
                if other is not None and other.area.parent is not None:
                    result.add(("area", "parent"), f"`parent` {parent!r} is itself a sub-area "
                               f"of {other.area.parent!r}: sub-areas cannot nest",
                               "a partnership that is not a sub-area", repr(parent))
        for i, t in enumerate(p.targets):
            name = t.sub_area.partnership if t.sub_area else None
            if name is None:
                continue
            key = ("targets", i, "sub_area", "partnership")
            if name not in files:
                result.add(key, f"`partnership` must be a partnership in {PARTNERSHIPS_DIR}/, "
                           f"got {name!r}", "a sub-area partnership id", repr(name))
                continue
            sub = parsed[name].partnership
            if sub is not None and sub.area.parent != p.id:
                result.add(key, f"`partnership` {name!r} must be a sub-area of {p.id!r} "
                           f"(its `area.parent`), got parent {sub.area.parent!r}",
                           f"area.parent: {p.id}", repr(sub.area.parent))


def unlisted_source_problems(path: Path, measures: Sequence[tuple[int, Measure]],
                             listed: Sequence[str], bulletin: str,
                             line_of: Callable[[Sequence[Any]], int | None]) -> list[Problem]:
    """A measure whose ``source`` ``bulletin`` does not list under ``sources:``.

    Every source needs its name and usual lag there (the appendix and the "data
    to" sentence read them), and a misspelt source would otherwise read no file
    and show "no data" for ever.  ``measures`` are ``(index in the file, measure)``.
    """
    names = ", ".join(sorted(listed)) or "none"
    out = []
    for i, m in measures:
        if m.source in listed:
            continue
        near = nearest_ids(m.source, listed)
        out.append(problem(path, ("measures", i, "source"),
                           f"measure {m.id!r} names the source {m.source!r}, which {bulletin} "
                           f"`sources:` does not list (it lists {names})"
                           + (f"; did you mean {', '.join(near)}?" if near else "")
                           + ": add it there with its name and lag_months",
                           f"a source listed in {bulletin}", repr(m.source), line_of))
    return out


# --------------------------------------------------------------------------- themes


def theme_list_problems(path: Path, themes: Sequence[ThemeParams],
                        line_of: Callable[[Sequence[Any]], int | None],
                        require_summary: bool) -> list[Problem]:
    """A theme list's rules: ids and orders once each, the summary listed (bulletin.yaml,
    whose summary every bulletin's front page is), and at least one theme page."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    orders: dict[int, str] = {}
    for j, t in enumerate(themes):
        if t.id in seen:
            out.append(problem(path, ("themes", j, "id"), f"`id` {t.id!r} is listed twice "
                               f"(also themes[{seen[t.id]}])", "each theme once", repr(t.id),
                               line_of))
        seen.setdefault(t.id, j)
        if t.order is not None and t.id != SUMMARY_THEME:
            if t.order in orders:
                out.append(problem(path, ("themes", j, "order"), f"`order` {t.order} is "
                                   f"already the order of {orders[t.order]!r}",
                                   "a different order per theme",
                                   str(t.order), line_of))
            orders.setdefault(t.order, t.id)
    if require_summary and SUMMARY_THEME not in seen:
        out.append(problem(path, ("themes",), f"`themes` must list {SUMMARY_THEME!r} (the "
                           "front page)", f"a theme with id {SUMMARY_THEME}",
                           ", ".join(seen) or "none", line_of))
    if not any(t != SUMMARY_THEME for t in seen):
        out.append(problem(path, ("themes",), "`themes` must list at least one theme page "
                           "besides the summary", "a theme such as 'violence'",
                           ", ".join(seen) or "none", line_of))
    return out


def check_outcomes(parsed: Parsed, p: Partnership, themes: Sequence[str]) -> None:
    """Outcome rules: `same_as` names another outcome of the file that is not itself shared,
    an outcome assessed as another has no targets of its own, an outcome's `theme` is in force."""
    codes = list(p.outcome_params)
    for code, o in p.outcome_params.items():
        if o.theme is not None and o.theme not in themes:
            near = nearest(o.theme, themes)
            parsed.add(("outcomes", code, "theme"), f"`theme` must be a theme of the list in "
                       f"force ({', '.join(themes)}), got {o.theme!r}"
                       + (f" (nearest: {', '.join(near)})" if near else ""),
                       "one of " + ", ".join(themes), repr(o.theme))
        if o.same_as is None:
            continue
        key = ("outcomes", code, "same_as")
        if o.same_as == code:
            parsed.add(key, "`same_as` must name another outcome, got itself",
                       "another outcome code", repr(code))
        elif o.same_as not in p.outcome_params:
            near = nearest(o.same_as, [c for c in codes if c != code])
            parsed.add(key, f"`same_as` must be an outcome of `outcomes`, got {o.same_as!r}"
                       + (f" (nearest: {', '.join(near)})" if near else ""),
                       "one of " + ", ".join(codes), repr(o.same_as))
        elif p.outcome_params[o.same_as].same_as is not None:
            parsed.add(key, f"`same_as` {o.same_as!r} is itself assessed as "
                       f"{p.outcome_params[o.same_as].same_as!r}: name that outcome",
                       "an outcome with its own assessment", repr(o.same_as))
    for i, t in enumerate(p.targets):
        shared = p.outcome_params.get(t.outcome)
        if shared is not None and shared.same_as is not None:
            parsed.add(("targets", i, "outcome"), f"`outcome` {t.outcome!r} is assessed as "
                       f"{shared.same_as!r} (its `same_as`), so it has no targets of its own: "
                       f"give this target outcome {shared.same_as!r}",
                       f"an outcome other than {t.outcome!r}", repr(t.outcome))
