"""Params: measures, partnerships, targets and bulletin defaults, loaded from YAML and validated.

Configuration is read once at the top (CLI or notebook parameters cell) and
passed down as plain typed, frozen objects.  Every validation failure names the
file, the YAML line, the dotted key (``targets[2].baseline.start``) and the
problem in one style ("`polarity` must be one of 'lower_is_better',
'higher_is_better', got 'down'"), and every problem in every file is reported
at once, so an analyst fixes the params in one pass.

Layout of a params folder::

    measures.yaml                  every measure (id, theme, source, polarity)
    bulletin.yaml                  bulletin-wide defaults (themes, methods, suppression)
    partnerships/<id>.yaml         one partnership: area, population, peers, targets
    reference/*.csv                LSOA code -> district lookups (boundary changes)

Months are strings ``YYYY-MM`` everywhere (PyYAML's safe loader keeps
``2019-01`` a string; a full date such as ``2019-01-01`` is rejected with a
message saying so).  Financial years are written ``2007/08``.

Decisions worth knowing:

* **Peers.**  ``peers`` lists the partnership's most similar group (the
  partnership itself is always included and must not be listed).  A peer is
  accepted when it is a partnership in ``partnerships/`` or a well-formed
  automatic district id (``slugify(name) == id``, e.g. ``hinckley-and-bosworth``).
  Whether an automatic district really exists depends on the data ingested, so
  that is checked where the store is at hand (assessment reports a missing peer
  as not assessed), not here.
* **Sub-areas.**  A partnership whose ``area.parent`` is set is a sub-area (a
  town centre, a ward); its parent must be a partnership in ``partnerships/``
  that is not itself a sub-area.  An area given only by LSOAs needs an explicit
  population: the store holds populations by district.  A target may name a
  sub-area (``sub_area: {name, partnership}``); without ``partnership`` the
  sub-area's LSOAs are not defined and the target cannot be computed.
* **Measure-less targets.**  Only ``kind: monitor`` targets may omit
  ``measure``: plans set targets on things no public or local extract holds
  (first-time entrants, re-offending cohorts, fires); they are kept, with the
  reason and the plan's own wording, so the bulletin can list them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from cdrp_lib.areas import PartnershipArea, slugify
from cdrp_lib.errors import NotFoundError, ParamsError, Problem
from cdrp_lib.periods import Month, financial_year_months, month_range
from cdrp_lib.stats.enums import Polarity as Polarity  # its owner; re-exported for callers
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.validation import (  # problems_from_validation re-exported for callers
    ParamsProblem as ParamsProblem,
)
from cdrp_lib.validation import (
    fail,
    problem,
    show,
    validation_problems,
)
from cdrp_lib.validation import (
    problems_from_validation as problems_from_validation,
)

DEFAULT_PARAMS_DIR = Path("params")
MEASURES_FILE = "measures.yaml"
BULLETIN_FILE = "bulletin.yaml"
PARTNERSHIPS_DIR = "partnerships"
LOOKUP_HEADER = ("lsoa_code", "district")
LOOKUP_COMMENT = "#"
MAX_PERCENT = 100.0
MAX_SOURCE_LAG_MONTHS = 36
FIRST_POPULATION_YEAR = 1900
LAST_POPULATION_YEAR = 2100

Theme = Literal["summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception"]
THEMES: tuple[str, ...] = get_args(Theme)
Source = Literal["police", "domestic_abuse", "survey"]
RagRating = Literal["G", "A", "R"]
RateUnit = Literal["percent", "per_1000", "per_100000"]
SurveyUnit = Literal["percent", "index"]

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LSOA_RE = re.compile(r"^[EW]01\d{6}$")


class TargetRounding(StrEnum):
    """How a count target is turned into whole crimes (methods §1).

    ``ceiling``: the drop is rounded up (Northamptonshire); ``half_up``: the
    target level is rounded to nearest (South Derbyshire's final targets);
    ``floor_steps``: yearly milestones ``floor(B - (B - T)·k/K)`` (South
    Derbyshire's steps).
    """

    CEILING = "ceiling"
    HALF_UP = "half_up"
    FLOOR_STEPS = "floor_steps"


# --------------------------------------------------------------------------- scalar types


def _month_text(value: object) -> str:
    expected = "a month 'YYYY-MM'"
    if isinstance(value, date):
        raise fail(
            f"must be a month 'YYYY-MM', got the full date {value.isoformat()} "
            "(YAML reads YYYY-MM-DD as a date: write the month only)",
            expected, value.isoformat(),
        )
    if not isinstance(value, str):
        raise fail(f"must be a month 'YYYY-MM', got {show(value)}", expected, show(value))
    try:
        return str(Month.parse(value))
    except ValueError:
        raise fail(f"must be a month 'YYYY-MM', got {show(value)}", expected,
                    show(value)) from None


def _financial_year_text(value: object) -> str:
    expected = "a financial year 'YYYY/YY' such as '2007/08'"
    if not isinstance(value, str):
        raise fail(f"must be a financial year 'YYYY/YY' such as '2007/08', got {show(value)}",
                    expected, show(value))
    try:
        financial_year_months(value)
    except ValueError:
        raise fail(f"must be a financial year 'YYYY/YY' such as '2007/08', got {show(value)}",
                    expected, show(value)) from None
    return value.strip()


def _non_empty_text(value: object) -> str:
    if not isinstance(value, str):
        raise fail(f"must be text, got {show(value)} (quote it in the YAML)", "text",
                    show(value))
    if not value.strip():
        raise fail("must not be empty", "non-empty text", repr(value))
    return value.strip()


def _slug_text(value: object) -> str:
    if not isinstance(value, str) or not _SLUG_RE.match(value):
        raise fail(
            f"must be a lower-case id of letters, digits and single hyphens such as "
            f"'calder-vale', got {show(value)}",
            "an id such as 'calder-vale'", show(value),
        )
    return value


def _lsoa_text(value: object) -> str:
    if not isinstance(value, str) or not _LSOA_RE.match(value.strip()):
        raise fail(f"must be an LSOA code such as 'E01027393', got {show(value)}",
                    "an LSOA code 'E01' or 'W01' and six digits", show(value))
    return value.strip()


MonthStr = Annotated[str, BeforeValidator(_month_text)]
FinancialYearStr = Annotated[str, BeforeValidator(_financial_year_text)]
Text = Annotated[str, BeforeValidator(_non_empty_text)]
Slug = Annotated[str, BeforeValidator(_slug_text)]
LsoaCode = Annotated[str, BeforeValidator(_lsoa_text)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- measures


class Measure(_Frozen):
    """One measure: where its numbers come from and which way is good."""

    id: str
    name: str
    theme: Theme
    source: Source
    kind: Literal["count", "proportion"] = "count"
    polarity: Polarity
    categories: tuple[str, ...] = ()
    question: str | None = None
    caveat: str | None = None


# --------------------------------------------------------------------------- periods


class Period(_Frozen):
    """A span of whole months: a strategy period, or (as :class:`Baseline`) a baseline.

    Written ``{start: 2024-04, end: 2027-03}``, or as a financial year
    ``2007/08`` (also ``{period: 2007/08}``), which keeps the year as its label.
    """

    start: MonthStr
    end: MonthStr
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand_financial_year(cls, data: Any) -> Any:
        if isinstance(data, (str, date)):
            return _period_from_year(data)
        if isinstance(data, dict) and "period" in data:
            rest = {k: v for k, v in data.items() if k != "period"}
            return {**rest, **_period_from_year(data["period"])}
        return data

    @property
    def first(self) -> Month:
        return Month.parse(self.start)

    @property
    def last(self) -> Month:
        return Month.parse(self.end)

    @property
    def months(self) -> int:
        """Number of months in the period, both ends included."""
        return self.last.minus(self.first) + 1

    @property
    def title(self) -> str:
        """``2007/08`` for a financial year, else ``April 2024 to March 2027``."""
        return self.label or f"{self.first.label} to {self.last.label}"

    def contains(self, month: str | Month) -> bool:
        m = month if isinstance(month, Month) else Month.parse(month)
        return self.first <= m <= self.last


def _period_from_year(value: object) -> dict[str, str]:
    fy = _financial_year_text(value)
    first, last = financial_year_months(fy)
    return {"start": str(first), "end": str(last), "label": fy}


class Baseline(Period):
    """The baseline period and, where the plan states it, the baseline figure.

    ``value`` is the figure as the plan printed it (913 recorded crimes, 20.7%);
    the assessment computes its own baseline from the store, so the two can be
    compared.
    """

    value: float | None = Field(None, ge=0)


# --------------------------------------------------------------------------- targets


class RagOverride(_Frozen):
    """An analyst's rating in place of the computed one; the bulletin prints the reason."""

    rating: RagRating
    reason: Text


class SubArea(_Frozen):
    """The part of the partnership a target is about (a ward, a town centre).

    ``partnership`` names the params partnership that defines the sub-area's
    LSOAs; without it the target is kept but cannot be computed.
    """

    name: Text
    partnership: Slug | None = None


class _TargetBase(_Frozen):
    """What every target states, whatever its kind."""

    id: Slug
    outcome: Text
    outcome_title: Text
    title: Text
    theme: Theme
    lead: Text
    polarity: Polarity
    rounding: TargetRounding = TargetRounding.CEILING
    sub_area: SubArea | None = None
    rag_override: RagOverride | None = None
    notes: tuple[Text, ...] = ()
    caveats: tuple[Text, ...] = ()
    data_source: Text | None = None
    lag_months: int | None = Field(None, ge=0, le=MAX_SOURCE_LAG_MONTHS)


class _SetTarget(_TargetBase):
    """A target with a measure, a baseline and a strategy period (every kind but monitor)."""

    measure: Slug
    baseline: Baseline
    strategy: Period

    @property
    def target_date(self) -> str:
        """The month by which the target is to be met (the strategy's last month)."""
        return self.strategy.end

    def in_force(self, month: str | Month) -> bool:
        return self.strategy.contains(month)


class ReductionTarget(_SetTarget):
    """A percentage reduction from the baseline by the end of the strategy."""

    kind: Literal["reduction"]
    percent: float = Field(gt=0, le=MAX_PERCENT)
    stated_change: float | None = Field(None, ge=0)  # the drop the plan printed, "5.0% (46)"


class LevelTarget(_SetTarget):
    """An absolute level to reach by the end of the strategy (a 12-month count)."""

    kind: Literal["level"]
    value: float = Field(ge=0)


class RateTarget(_SetTarget):
    """A rate or proportion to reach: a percentage of a proportion measure, or per population."""

    kind: Literal["rate"]
    value: float = Field(ge=0)
    unit: RateUnit = "percent"


class IncreaseTarget(_SetTarget):
    """An increase: by a percentage, by an absolute amount, or to a level (exactly one)."""

    kind: Literal["increase"]
    percent: float | None = Field(None, gt=0)
    amount: float | None = Field(None, gt=0)
    to: float | None = Field(None, ge=0)


class ImprovementTarget(_SetTarget):
    """Better than last year: the strategy's 12 months better than the baseline year."""

    kind: Literal["improvement"]


class MaintenanceTarget(_SetTarget):
    """No worse than the baseline."""

    kind: Literal["maintenance"]


class MilestonesTarget(_SetTarget):
    """Stepped yearly milestones: one level per strategy financial year, the last the target."""

    kind: Literal["milestones"]
    steps: dict[FinancialYearStr, Annotated[float, Field(ge=0)]]

    @property
    def final_level(self) -> float:
        return self.steps[max(self.steps)]


class SurveyTarget(_SetTarget):
    """A survey percentage to reach by the end of the strategy.

    ``unit`` is always ``percent``: survey measures are shares of respondents, so
    an index score (a Citizens Panel index, say) cannot be computed or compared
    with them.  ``index`` is refused with a pointer to ``kind: monitor``, which
    keeps the plan's wording in ``plan_target``.
    """

    kind: Literal["survey"]
    value: float = Field(ge=0)
    unit: SurveyUnit = "percent"


class MonitorTarget(_TargetBase):
    """No target, monitored only: always with the reason (data unreliable, no public data...).

    ``plan_target`` keeps the plan's own wording of a target that cannot be
    computed ("40 a year", "11% to 8% by 2007/08").
    """

    kind: Literal["monitor"]
    reason: Text
    measure: Slug | None = None
    baseline: Baseline | None = None
    strategy: Period | None = None
    plan_target: Text | None = None

    def in_force(self, month: str | Month) -> bool:
        return self.strategy is None or self.strategy.contains(month)


SetTarget = (ReductionTarget | LevelTarget | RateTarget | IncreaseTarget | ImprovementTarget
             | MaintenanceTarget | MilestonesTarget | SurveyTarget)
Target = Annotated[SetTarget | MonitorTarget, Field(discriminator="kind")]
TARGET_KINDS: tuple[str, ...] = (
    "reduction", "level", "rate", "increase", "improvement", "maintenance", "milestones",
    "survey", "monitor",
)
_TARGET_ADAPTER: TypeAdapter[SetTarget | MonitorTarget] = TypeAdapter(Target)
# Keys a partnership's `target_defaults` may set for all its targets.
TARGET_DEFAULT_KEYS = frozenset({
    "baseline", "strategy", "lead", "rounding", "data_source", "lag_months", "outcome",
    "outcome_title", "caveats", "notes",
})


# --------------------------------------------------------------------------- partnerships


class AreaParams(_Frozen):
    """Which LSOAs make a partnership: districts and/or an LSOA list.

    ``lsoa_lookup`` is a CSV ``lsoa_code,district`` relative to the params folder
    that carries codes across a boundary change; ``parent`` makes this a sub-area.
    """

    districts: tuple[Text, ...] = ()
    lsoas: tuple[LsoaCode, ...] = ()
    lsoa_lookup: Text | None = None
    parent: Slug | None = None

    @model_validator(mode="after")
    def _something_listed(self) -> AreaParams:
        if not self.districts and not self.lsoas:
            raise fail("must list `districts` or `lsoas` (or both), got neither",
                        "districts or lsoas", "neither")
        return self


class PopulationParams(_Frozen):
    """Either ``from_districts: true`` (the store's population table) or ``{year: count}``."""

    from_districts: bool = False
    counts: dict[int, int] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data: Any) -> Any:
        expected = "`from_districts: true` or a mapping `{year: count}`"
        if not isinstance(data, dict) or not data:
            raise fail(f"must be {expected}, got {show(data)}", expected, show(data))
        if set(data) == {"from_districts", "counts"}:  # the model's own dump, read back
            data = {"from_districts": True} if data["from_districts"] else data["counts"]
        if "from_districts" in data:
            if len(data) > 1 or data["from_districts"] is not True:
                raise fail(f"must be {expected}, not both, got {show(data)}", expected,
                            show(data))
            return {"from_districts": True}
        counts: dict[int, int] = {}
        for key, count in data.items():
            year = int(key) if isinstance(key, str) and key.isdigit() else key  # JSON keys
            if (not isinstance(year, int) or isinstance(year, bool)
                    or not FIRST_POPULATION_YEAR <= year <= LAST_POPULATION_YEAR):
                raise fail(f"must map years such as 2021 to counts, got the key {show(year)}",
                            "a year such as 2021", show(year))
            if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
                raise fail(f"must give a positive whole count for {year}, got {show(count)}",
                            "a positive whole number", show(count))
            counts[year] = count
        return {"counts": counts}

    def for_year(self, year: int) -> int | None:
        """The explicit count for ``year``, else the latest earlier year's; None if none.

        ``from_districts`` partnerships take their population from the store.
        """
        earlier = [y for y in self.counts if y <= year]
        return self.counts[max(earlier)] if earlier else None


class Partnership(_Frozen):
    """One partnership's params: its area, population, peer group, method settings, targets."""

    id: Slug
    name: Text
    synthetic: bool = False
    area: AreaParams
    population: PopulationParams = Field(
        default_factory=lambda: PopulationParams(from_districts=True))
    peers: tuple[Slug, ...] = ()
    settings: dict[str, Any] = Field(default_factory=dict)
    outcomes: dict[str, Text] = Field(default_factory=dict)
    notes: tuple[Text, ...] = ()
    targets: tuple[Target, ...] = ()
    _lookup: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def area_spec(self) -> PartnershipArea:
        """The area resolved for ingest: districts, LSOAs and the code -> district lookup."""
        return PartnershipArea(
            id=self.id, name=self.name, districts=frozenset(self.area.districts),
            lsoas=frozenset(self.area.lsoas), lookup=dict(self._lookup),
            synthetic=self.synthetic,
        )

    @property
    def peer_group(self) -> tuple[str, ...]:
        """The most similar group with the partnership itself first (methods §5 pools it in)."""
        return (self.id, *self.peers)

    @property
    def is_sub_area(self) -> bool:
        return self.area.parent is not None

    def target(self, target_id: str) -> SetTarget | MonitorTarget:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise NotFoundError(f"partnership {self.id!r} has no target {target_id!r} "
                            f"(has {', '.join(t.id for t in self.targets) or 'none'})")

    def targets_in_force(self, month: str | Month) -> tuple[SetTarget | MonitorTarget, ...]:
        """Targets whose strategy period contains ``month`` (monitor-only ones with none too)."""
        return tuple(t for t in self.targets if t.in_force(month))

    def targets_for_measure(self, measure: str) -> tuple[SetTarget | MonitorTarget, ...]:
        return tuple(t for t in self.targets if t.measure == measure)


# --------------------------------------------------------------------------- bulletin


class ThemeParams(_Frozen):
    id: Theme
    title: Text


class SuppressionParams(_Frozen):
    """Disclosure control (methods §9): which counts are suppressed.

    The thresholds themselves are method settings (``suppression_threshold``,
    ``min_denominator``) so that one value is recorded with every result.
    """

    sources: tuple[Source, ...] = ("domestic_abuse",)
    below_partnership: bool = True


class SourceParams(_Frozen):
    """A data source as the appendix lists it, with its usual publication lag."""

    name: Text
    lag_months: int = Field(ge=0, le=MAX_SOURCE_LAG_MONTHS)
    licence: Text | None = None
    url: Text | None = None


class BulletinParams(_Frozen):
    """Bulletin-wide defaults: pages and their order, methods, suppression, marking."""

    organisation: Text
    title: Text = "Performance Improvement Bulletin"
    security_marking: Text = "OFFICIAL"
    status: Text = "Final"
    themes: tuple[ThemeParams, ...]
    settings: dict[str, Any] = Field(default_factory=dict)
    suppression: SuppressionParams = Field(default_factory=SuppressionParams)
    sources: dict[Source, SourceParams] = Field(default_factory=dict)

    @property
    def theme_order(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    def theme_title(self, theme: str) -> str:
        for t in self.themes:
            if t.id == theme:
                return t.title
        raise NotFoundError(f"bulletin.yaml has no theme {theme!r}")


# --------------------------------------------------------------------------- YAML


# libyaml's C parser when PyYAML was built with it (the wheels are): the same safe
# resolution (``2019-01`` stays a string) at a fraction of the pure-Python cost.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError([Problem(str(path), "missing params file", "the project's params "
                                   "folder (run cdrp from the project folder, or pass --params "
                                   "DIR)", "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise ParamsError([Problem(str(path), "not UTF-8", "UTF-8 text",
                                   f"byte {exc.start}")]) from None


def _parse_yaml(path: Path, text: str) -> Any:
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


def _line_finder(text: str) -> Callable[[Sequence[Any]], int | None]:
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


# --------------------------------------------------------------------------- measures


def load_measures(params_dir: Path | str = DEFAULT_PARAMS_DIR) -> dict[str, Measure]:
    """All measures declared in ``<params_dir>/measures.yaml``, keyed by id."""
    path = Path(params_dir) / MEASURES_FILE
    text = _read_text(path)
    data = _parse_yaml(path, text)
    line_of = _line_finder(text)
    if not isinstance(data, dict) or not isinstance(data.get("measures"), list):
        raise ParamsError([Problem(str(path), "`measures` is missing", "a list of measures",
                                   type(data).__name__)])
    measures: dict[str, Measure] = {}
    problems: list[Problem] = []
    for i, raw in enumerate(data["measures"]):
        try:
            m = Measure.model_validate(raw)
        except ValidationError as exc:
            problems.extend(validation_problems(path, exc, ("measures", i), line_of))
            continue
        if m.id in measures:
            problems.append(problem(path, ("measures", i, "id"), "duplicate measure id",
                                     "unique ids", m.id, line_of))
        measures[m.id] = m
    if problems:
        raise ParamsError(problems)
    return measures


# --------------------------------------------------------------------------- lookups


def read_lsoa_lookup(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """Read an LSOA code -> district CSV (``lsoa_code,district``; ``#`` lines are comments).

    Returns the mapping of every good row and a Problem for every bad one
    (line numbers as an editor shows them).
    """
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return {}, [Problem(str(path), "cannot read the LSOA lookup", "a readable CSV file",
                            exc.strerror or type(exc).__name__)]
    except UnicodeDecodeError as exc:
        return {}, [Problem(str(path), "not UTF-8", "UTF-8 text", f"byte {exc.start}")]
    lookup: dict[str, str] = {}
    header_seen = False
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (row[0].startswith(LOOKUP_COMMENT)):
            continue
        cells = tuple(c.strip() for c in row)
        if not header_seen:
            header_seen = True
            if cells != LOOKUP_HEADER:
                problems.append(Problem(str(path), "wrong header", ",".join(LOOKUP_HEADER),
                                        ",".join(cells), line=number))
            continue
        if len(cells) != len(LOOKUP_HEADER):
            problems.append(Problem(str(path), "wrong number of fields",
                                    f"{len(LOOKUP_HEADER)} fields", f"{len(cells)} fields",
                                    line=number))
            continue
        code, district = cells
        if not _LSOA_RE.match(code):
            problems.append(Problem(str(path), "not an LSOA code", "'E01' or 'W01' and six digits",
                                    repr(code), line=number, column="lsoa_code"))
        elif not district:
            problems.append(Problem(str(path), "empty district", "a district name", "''",
                                    line=number, column="district"))
        elif lookup.get(code, district) != district:
            problems.append(Problem(str(path), "LSOA code given two districts",
                                    f"one district ({lookup[code]!r})", repr(district),
                                    line=number, column="lsoa_code"))
        else:
            lookup[code] = district
    if not header_seen:
        problems.append(Problem(str(path), "empty LSOA lookup", ",".join(LOOKUP_HEADER),
                                "no rows"))
    return lookup, problems


# --------------------------------------------------------------------------- partnerships


class _Parsed:
    """One partnership file's outcome: the model (if it validated) and its problems."""

    def __init__(self, path: Path, line_of: Callable[[Sequence[Any]], int | None]) -> None:
        self.path = path
        self.line_of = line_of
        self.partnership: Partnership | None = None
        self.problems: list[Problem] = []

    def add(self, key: Sequence[Any], rule: str, expected: str, found: str) -> None:
        self.problems.append(problem(self.path, key, rule, expected, found, self.line_of))


def _target_input(raw: Any, defaults: Mapping[str, Any], outcomes: Mapping[str, Any],
                  measures: Mapping[str, Measure]) -> Any:
    """A target's raw mapping with partnership defaults and measure defaults filled in.

    Returns a new mapping; the YAML data is never changed.
    """
    if not isinstance(raw, dict):
        return raw
    merged: dict[str, Any] = {**defaults, **raw}
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
                       params_dir: Path) -> _Parsed:
    try:
        text = _read_text(path)
        data = _parse_yaml(path, text)
    except ParamsError as exc:  # unreadable: report it with the other files' problems
        unreadable = _Parsed(path, lambda _loc: None)
        unreadable.problems.extend(exc.problems)
        return unreadable
    parsed = _Parsed(path, _line_finder(text))
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
    targets: list[SetTarget | MonitorTarget] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_targets):
        merged = _target_input(raw, defaults, outcomes, measures)
        try:
            target = _TARGET_ADAPTER.validate_python(merged)
        except ValidationError as exc:
            problems = validation_problems(path, exc, ("targets", i), parsed.line_of,
                                           TARGET_KINDS)
            parsed.problems.extend(_drop_consequential(problems, merged, measures, i))
        else:
            targets.append(target)
            _check_target(parsed, target, i, measures, seen)
        if isinstance(merged, dict):
            _check_measure_known(parsed, merged, measures, i)
    if header is None:
        return parsed
    _check_header(parsed, header, lookups, params_dir)
    if not parsed.problems:
        partnership = header.model_copy(update={"targets": tuple(targets)})
        if header.area.lsoa_lookup:
            partnership._lookup = dict(lookups[params_dir / header.area.lsoa_lookup][0])
        parsed.partnership = partnership
    return parsed


def _drop_consequential(problems: list[Problem], merged: Any, measures: Mapping[str, Measure],
                        index: int) -> list[Problem]:
    """Drop "`theme`/`polarity` is required" when they would have come from an unknown measure."""
    if not isinstance(merged, dict) or merged.get("measure") is None:
        return problems
    if str(merged.get("measure")) in measures:
        return problems
    noise = {f"targets[{index}].theme", f"targets[{index}].polarity"}
    return [p for p in problems if not (p.column in noise and p.found == "nothing")]


def _check_measure_known(parsed: _Parsed, merged: Mapping[str, Any],
                         measures: Mapping[str, Measure], i: int) -> None:
    measure = merged.get("measure")
    if measure is None or not isinstance(measure, str) or not _SLUG_RE.match(measure):
        return  # absent (monitor) or malformed: pydantic has said so
    if measure not in measures:
        parsed.add(("targets", i, "measure"),
                   f"`measure` must be a measure in {MEASURES_FILE}, got {measure!r}",
                   f"one of the {len(measures)} measures in {MEASURES_FILE}", repr(measure))


def _check_header(parsed: _Parsed, p: Partnership,
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
        parsed.problems.extend(_settings_problems(parsed.path, p.settings, parsed.line_of))


def _check_lookup(parsed: _Parsed, p: Partnership,
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


def _settings_problems(file: Path, settings: Mapping[str, Any],
                       line_of: Callable[[Sequence[Any]], int | None]) -> list[Problem]:
    """Problems with a ``settings`` block, checked against the methods' MethodSettings."""
    try:
        MethodSettings.model_validate(dict(settings))
    except ValidationError as exc:
        return validation_problems(file, exc, ("settings",), line_of)
    return []


def _check_target(parsed: _Parsed, t: SetTarget | MonitorTarget, i: int,
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


def _check_kind_fits_measure(parsed: _Parsed, t: SetTarget | MonitorTarget, i: int,
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


def _check_milestones(parsed: _Parsed, t: MilestonesTarget, i: int) -> None:
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


def _check_references(parsed: Mapping[str, _Parsed], files: Mapping[str, Path]) -> None:
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


def load_partnerships(params_dir: Path | str = DEFAULT_PARAMS_DIR) -> dict[str, Partnership]:
    """Every partnership in ``<params_dir>/partnerships/*.yaml``, validated, keyed by id.

    Raises ParamsError with every problem in every file.  No folder means no
    params partnerships (districts in the data still are partnerships).
    """
    root = Path(params_dir)
    folder = root / PARTNERSHIPS_DIR
    if not folder.is_dir():
        return {}
    measures = load_measures(root)
    files = {path.stem: path for path in sorted(folder.glob("*.yaml"))}
    lookups: dict[Path, tuple[dict[str, str], list[Problem]]] = {}
    parsed = {stem: _parse_partnership(path, measures, lookups, root)
              for stem, path in files.items()}
    _check_references(parsed, files)
    problems = [p for result in parsed.values()
                for p in sorted(result.problems, key=lambda p: p.line or 0)]
    if problems:
        raise ParamsError(_unique(problems))
    return {r.partnership.id: r.partnership for r in parsed.values()
            if r.partnership is not None}


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
    text = _read_text(path)
    data = _parse_yaml(path, text)
    line_of = _line_finder(text)
    try:
        bulletin = BulletinParams.model_validate(data)
    except ValidationError as exc:
        raise ParamsError(validation_problems(path, exc, (), line_of)) from None
    problems: list[Problem] = []
    listed: list[str] = [t.id for t in bulletin.themes]
    for theme in THEMES:
        if listed.count(theme) != 1:
            problems.append(problem(path, ("themes",), f"`themes` must list {theme!r} once, "
                                     f"got it {listed.count(theme)} times",
                                     "each of " + ", ".join(THEMES) + " once",
                                     ", ".join(listed), line_of))
    if bulletin.settings:
        problems.extend(_settings_problems(path, bulletin.settings, line_of))
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
