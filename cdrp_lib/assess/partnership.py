"""A partnership's bulletin from the store and params: every Assessment for one month.

:func:`assess_partnership` gathers series, targets, peers and populations
(each series read once, by :class:`_StoreContext`) and calls
:func:`~cdrp_lib.assess.assess` per measure; :func:`cached_params` validates a
params folder once per version of its files, so the pages of a bulletin do
not parse params again for every theme.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdrp_lib.assess.levels import SurveyWave, is_nan
from cdrp_lib.assess.measure import assess
from cdrp_lib.assess.targets import AnyTarget, monitor_words
from cdrp_lib.assessment import (
    Assessment,
    AssessmentPart,
)
from cdrp_lib.errors import ParamsError, Problem
from cdrp_lib.narrative import narrate
from cdrp_lib.params import (
    BulletinParams,
    Measure,
    Partnership,
    SuppressionParams,
)
from cdrp_lib.periods import Month
from cdrp_lib.public import public_view
from cdrp_lib.stats.enums import (
    NotAssessedReason,
)
from cdrp_lib.stats.settings import MethodSettings

if TYPE_CHECKING:
    from cdrp_lib.store import Store


# --------------------------------------------------------------------------- from the store


def assess_partnership(
    store: Store,
    params_dir: Path | str,
    partnership: str,
    month: str,
    theme: str | None = None,
    measure: str | None = None,
    targets_only: bool = False,
    measures: Collection[str] | None = None,
) -> list[Assessment]:
    """Every Assessment of one partnership's bulletin for ``month`` (optionally one theme/measure).

    One per target in params order (a sub-area target reads its sub-area's
    series), then one per measure the store holds for the partnership that has
    no target ("no target has been set").  A partnership found only in the
    data (a district with no params file) has no targets and no peer group.
    A measure the store has no data for is assessed as "source late", never an error.
    ``targets_only`` leaves out the measures without a target and the comparison with
    the peer group (last month's ratings need only the targets' ratings, at a fraction
    of the cost).  ``measures`` keeps only the
    Assessments of those measures (targets on them included), each as the whole
    bulletin's would be, and reads only their series.
    """
    return assess_months(store, params_dir, partnership, [month], theme=theme, measure=measure,
                         targets_only=targets_only, measures=measures)[month]


def assess_months(
    store: Store,
    params_dir: Path | str,
    partnership: str,
    months: Sequence[str],
    *,
    theme: str | None = None,
    measure: str | None = None,
    targets_only: bool = False,
    measures: Collection[str] | None = None,
) -> dict[str, list[Assessment]]:
    """:func:`assess_partnership` for each of ``months``, the store read once for them all.

    A survey chart draws each of its last waves with its own interval, one
    Assessment per wave month; reading params, the peer group and every series
    once for all of them, rather than once per month, is what makes that cheap.
    Each month's Assessments are those :func:`assess_partnership` gives for it.
    """
    from cdrp_lib.errors import NotFoundError
    from cdrp_lib.params import method_settings

    root = Path(params_dir)
    known_measures, params, bulletin = cached_params(root)
    names = dict(store.partnerships())
    p = params.get(partnership)
    if p is None and partnership not in names:
        known = ", ".join(sorted(set(names) | set(params))) or "none"
        raise NotFoundError(f"no partnership {partnership!r} in the store or in "
                            f"{root / 'partnerships'} (known: {known})")
    for asked in ([measure] if measure is not None else []) + sorted(measures or ()):
        if asked not in known_measures:
            raise NotFoundError(f"no measure {asked!r} in {root / 'measures.yaml'} "
                                f"(known: {', '.join(sorted(known_measures))})")
    settings = method_settings(bulletin, p) if bulletin is not None else MethodSettings()
    # a rating never rests on the peer comparison, so last month's ratings skip it
    group = () if targets_only else _peer_group(store, p, partnership)
    _check_peers(root, partnership, group, [*names, *params])
    wanted = frozenset(measures) if measures is not None else None
    if measure is not None:
        wanted = frozenset({measure}) & wanted if wanted is not None else frozenset({measure})
    part = _Partnership(
        partnership=partnership, p=p, measures=known_measures, bulletin=bulletin,
        settings=settings, group=group,
        name=p.name if p is not None else names.get(partnership, partnership),
        synthetic=p.synthetic if p is not None else False)
    reads = _StoreReads(store, max(months), wanted) if months else None
    suppression = bulletin.suppression if bulletin is not None else None
    return {month: part.assess(_StoreContext(store, params, month, suppression, reads),
                               theme=theme, measure=measure, targets_only=targets_only,
                               measures=wanted)
            for month in months}


@dataclasses.dataclass(frozen=True)
class _Partnership:
    """What every month of one partnership's assessments shares: its params and peers."""

    partnership: str
    p: Partnership | None
    measures: Mapping[str, Measure]
    bulletin: BulletinParams | None
    settings: MethodSettings
    group: tuple[str, ...]
    name: str
    synthetic: bool

    def assess(self, context: _StoreContext, *, theme: str | None, measure: str | None,
               targets_only: bool, measures: frozenset[str] | None) -> list[Assessment]:
        """One month's Assessments (see :func:`assess_partnership`)."""
        p, partnership, month = self.p, self.partnership, context.month
        out: list[Assessment] = []
        targeted: set[str] = set()
        for target in (p.targets if p is not None else ()):
            m = self.measures.get(target.measure) if target.measure else None
            if measures is not None and target.measure not in measures:
                continue
            if theme is not None and target.theme != theme:
                continue
            if m is None:
                out.append(_measureless(target, partnership, self.name, month, self.settings,
                                        self.synthetic,
                                        p.outcomes.get(target.outcome) if p else None))
                continue
            sub = target.sub_area
            source_id = sub.partnership if sub is not None else partnership
            if sub is None:
                targeted.add(m.id)
            else:  # the narrative must say which area it is about
                m = m.model_copy(update={"name": f"{m.name} in {sub.name}"})
            lag = (target.lag_months if target.lag_months is not None
                   else _source_lag(self.bulletin, m))
            out.append(context.assess(
                m, target, partnership, self.name, source_id, self.settings, self.synthetic,
                lag, peers=() if sub is not None else self.group,
                sub_area=sub is not None or (p is not None and p.is_sub_area),
                outcome_title=p.outcomes.get(target.outcome) if p else None))
        for m in () if targets_only else self.measures.values():
            if m.id in targeted or (measures is not None and m.id not in measures):
                continue
            if theme is not None and m.theme != theme:
                continue
            if measure is None and not context.has_data(partnership, m):
                continue
            out.append(context.assess(
                m, None, partnership, self.name, partnership, self.settings, self.synthetic,
                _source_lag(self.bulletin, m), peers=self.group,
                sub_area=p is not None and p.is_sub_area, outcome_title=None))
        return out


def _peer_group(store: Store, p: Partnership | None, partnership: str) -> tuple[str, ...]:
    """The params' peers, or by default the other CSPs of the same force (none for a
    sub-area, which is compared with its parent's group by its parent's bulletin, and
    none for a synthetic partnership that lists none: the CSPs its made-up rows fall in
    are built from those same rows, not a group it could be compared with)."""
    if p is not None and (p.peers or p.is_sub_area or p.synthetic):
        return tuple(p.peers)
    from cdrp_lib.coverage import default_peers

    return default_peers(store.con, partnership)


def _check_peers(root: Path, partnership: str, peers: Sequence[str],
                 known: Sequence[str]) -> None:
    from cdrp_lib.errors import ParamsError
    from cdrp_lib.params.checks import unknown_peer_problems

    problems = unknown_peer_problems(root, partnership, peers, known)
    if problems:
        raise ParamsError(problems)


def cached_params(params_dir: Path | str
                  ) -> tuple[dict[str, Measure], dict[str, Partnership], BulletinParams | None]:
    """Measures, partnerships and bulletin defaults (``None`` without bulletin.yaml) of
    ``params_dir``, validated once per version of its files.

    The pages read their titles and names through this too, so a page parses
    params once, not once for itself and again for its assessments.
    """
    root = Path(params_dir)
    return _load_params(root, _params_stamp(root))


def _params_stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every params file with its modification time and size: the cache key of a load."""
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


@functools.lru_cache(maxsize=8)
def _load_params(root: Path, stamp: tuple[tuple[str, int, int], ...]
                 ) -> tuple[dict[str, Measure], dict[str, Partnership], BulletinParams | None]:
    """Measures, partnerships and bulletin defaults, validated once per version of the files.

    A bulletin assesses a partnership once per theme page; validating every params
    file each time would cost more than the assessments.  ``stamp`` changes with
    any file, so an edited params folder is always read afresh.
    """
    from cdrp_lib.params import BULLETIN_FILE, load_bulletin, load_measures, load_partnerships_apart

    del stamp  # part of the cache key only
    measures = load_measures(root)
    valid, broken = load_partnerships_apart(root)
    bulletin = load_bulletin(root) if (root / BULLETIN_FILE).is_file() else None
    return measures, _Partnerships(valid, broken), bulletin


class _Partnerships(dict[str, Partnership]):
    """The params partnerships that validate; asking for one that does not raises its problems.

    So one partnership's broken file fails its own bulletins (and theirs that
    name it: a peer's population is read through ``get``), not every bulletin,
    and is never mistaken for a partnership with no params file.
    """

    def __init__(self, valid: Mapping[str, Partnership],
                 broken: Mapping[str, Sequence[Problem]]) -> None:
        super().__init__(valid)
        self.broken = dict(broken)

    def _check(self, key: object) -> None:
        if isinstance(key, str) and key in self.broken:
            raise ParamsError(list(self.broken[key]))

    def __getitem__(self, key: str) -> Partnership:
        self._check(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._check(key)
        return super().get(key, default)


def _source_lag(bulletin: Any, measure: Measure) -> int | None:
    """The measure's usual lag: its own (issue 11), else its source's in bulletin.yaml."""
    if measure.lag_months is not None:
        return measure.lag_months
    if bulletin is None:
        return None
    source = bulletin.sources.get(measure.source)
    return None if source is None else int(source.lag_months)


def _measureless(target: AnyTarget, partnership: str, name: str, month: str,
                 settings: MethodSettings, synthetic: bool,
                 outcome_title: str | None) -> Assessment:
    """A monitor-only target on something no extract holds: listed, never rated.

    No part can be computed without data, so every part carries "monitor only".
    """
    reasons = dict.fromkeys(AssessmentPart, NotAssessedReason.MONITOR_ONLY)
    reason, plan = monitor_words(target)
    a = Assessment(
        partnership=partnership, partnership_name=name, measure="", measure_name=target.title,
        theme=target.theme, kind="count", polarity=target.polarity, month=month,
        synthetic=synthetic, target_id=target.id, target_kind=target.kind,
        target_title=target.title, outcome_code=target.outcome,
        outcome_title=outcome_title or target.outcome_title, lead_agency=target.lead,
        not_assessed_reason=NotAssessedReason.MONITOR_ONLY, reasons=reasons, settings=settings,
        monitor_reason=reason, plan_target=plan)
    return dataclasses.replace(a, narrative=narrate(public_view(a)))


class _StoreReads:
    """The store's series and survey waves, read once for every month assessed.

    Series are read up to the latest month assessed (``last``), each
    partnership's in one query, and cut at each month as it is assessed;
    ``measures`` (None: every one) limits the query to the measures assessed.
    """

    def __init__(self, store: Store, last: str, measures: frozenset[str] | None) -> None:
        self.store = store
        self.last = last
        self.measures = measures
        self._frames: dict[tuple[str, str], tuple[dict[str, float | None],
                                                  dict[str, float | None]]] = {}
        self._loaded: set[str] = set()
        self._waves: dict[tuple[str, str | None], list[SurveyWave]] = {}
        #: The population years held, latest first, standing in for each year asked for.
        self.years: dict[int, list[int]] = {}

    def series(self, partnership: str, measure: str, month: str
               ) -> tuple[dict[str, float | None], dict[str, float | None]]:
        """(values, denominators) by month up to ``month``; empty when absent."""
        if partnership not in self._loaded:
            self._loaded.add(partnership)
            frame = self.store.series_frame(partnership=partnership, last=self.last,
                                            measures=self.measures)
            columns = [frame[c].tolist() for c in ("measure", "month", "value", "denominator")]
            for m, when, value, den in zip(*columns, strict=True):
                values, dens = self._frames.setdefault((partnership, str(m)), ({}, {}))
                values[str(when)] = None if _missing(value) else float(value)
                dens[str(when)] = None if _missing(den) else float(den)
        values, dens = self._frames.get((partnership, measure), ({}, {}))
        if month >= self.last:
            return values, dens
        # Months are YYYY-MM strings, compared as the store's query compares them.
        return ({k: v for k, v in values.items() if k <= month},
                {k: v for k, v in dens.items() if k <= month})

    def waves(self, partnership: str, question: str | None) -> list[SurveyWave]:
        """A partnership's waves of one survey question (every month's: ``assess`` keeps
        those up to its own)."""
        key = (partnership, question)
        if key not in self._waves:
            self._waves[key] = self._read_waves(partnership, question)
        return list(self._waves[key])

    def _read_waves(self, partnership: str, question: str | None) -> list[SurveyWave]:
        from cdrp_lib.errors import NotFoundError

        try:
            frame = self.store.survey_waves(partnership, question)
        except NotFoundError:  # a partnership the store does not hold has no waves
            return []
        out = []
        for row in frame.to_dict("records"):
            if any(_missing(row[k]) for k in ("n_eff", "weighted_n", "weighted_yes")):
                continue  # a wave without its counts cannot be used
            n_eff, weighted_n = float(row["n_eff"]), float(row["weighted_n"])
            share = 0.0 if weighted_n <= 0 else float(row["weighted_yes"]) / weighted_n
            out.append(SurveyWave(str(row["wave"]), str(row["month"]), share * n_eff, n_eff))
        return out


class _StoreContext:
    """Reads what :func:`assess` needs for one month from the store, each series once."""

    def __init__(self, store: Store, params: Mapping[str, Any], month: str,
                 suppression: SuppressionParams | None = None,
                 reads: _StoreReads | None = None) -> None:
        self.store = store
        self.params = params
        self.month = month
        self.suppression = suppression
        self.reads = reads if reads is not None else _StoreReads(store, month, None)
        self._frames: dict[tuple[str, str], tuple[dict[str, float | None],
                                                  dict[str, float | None]]] = {}
        #: The population year each rate used (the latest held when its own is not).
        self.population_year_used: dict[str, int] = {}

    def series(self, partnership: str, measure: str
               ) -> tuple[dict[str, float | None], dict[str, float | None]]:
        """(values, denominators) by month up to the bulletin month; empty when absent.

        Every measure of a partnership is read in one query, the first time any is asked for.
        """
        key = (partnership, measure)
        if key not in self._frames:
            self._frames[key] = self.reads.series(partnership, measure, self.month)
        return self._frames[key]

    def has_data(self, partnership: str, measure: Measure) -> bool:
        values, _ = self.series(partnership, measure.id)
        return any(v is not None for v in values.values())

    def population(self, partnership: str, year: int) -> float | None:
        p = self.params.get(partnership)
        if p is not None and not p.population.from_districts:
            found = p.population.for_year(year)
            return None if found is None else float(found)
        from cdrp_lib.coverage import population_years

        years = self.reads.years
        if year not in years:  # asked for every peer of every measure and month: read once
            years[year] = population_years(self.store.con, year)
        for held in years[year]:
            value = self.store.population(partnership, held)
            if value is not None:
                self.population_year_used[partnership] = held
                return float(value)
        return None

    def _populations_by_year(self, partnership: str, measure: Measure,
                             data: Sequence[Month]) -> dict[int, float | None] | None:
        """A rate measure's populations for every year its 12-month windows need (the
        latest held standing in for a year not yet published, as for peer rates)."""
        if measure.value_unit not in ("per_1000", "per_100000") or not data:
            return None
        first, last = min(data).year - 1, max(data).year
        return {year: self.population(partnership, year) for year in range(first, last + 1)}

    def waves(self, partnership: str, measure: Measure) -> list[SurveyWave] | None:
        if measure.source != "survey":
            return None
        return self.reads.waves(partnership, measure.question)

    def assess(self, m: Measure, target: AnyTarget | None, partnership: str, name: str,
               source_id: str | None, settings: MethodSettings, synthetic: bool,
               lag: int | None, *, peers: Sequence[str], sub_area: bool,
               outcome_title: str | None) -> Assessment:
        from cdrp_lib.stats.peers import population_year

        values, dens = self.series(source_id, m.id) if source_id else ({}, {})
        data = [Month.parse(k) for k, v in values.items() if v is not None]
        year = population_year(max(data) if data else Month.parse(self.month))
        peer_values = {pid: self.series(pid, m.id)[0] for pid in peers}
        peer_dens = {pid: self.series(pid, m.id)[1] for pid in peers}
        populations = {pid: self.population(pid, year) for pid in (source_id or partnership,
                                                                     *peers)}
        populations[partnership] = populations.get(source_id or partnership)
        waves = self.waves(source_id, m) if source_id else None
        used = self.population_year_used.get(source_id or partnership)
        by_year = self._populations_by_year(source_id or partnership, m, data)
        result = assess(values, target, self.month, measure=m, partnership=partnership,
                        partnership_name=name, peers=peer_values or None,
                        peer_denominators=peer_dens or None, populations=populations,
                        settings=settings, denominators=dens, survey=waves,
                        synthetic=synthetic, sub_area=sub_area, max_lag_months=lag,
                        outcome_title=outcome_title, suppression=self.suppression,
                        population_by_year=by_year)
        if used is None or m.kind != "count" or populations.get(partnership) is None:
            return result
        return dataclasses.replace(result, population_year=used)


def _missing(value: Any) -> bool:
    return value is None or is_nan(value)
