"""Measures, partnerships and the bulletin's own settings: the shapes of the params files.

Each model is frozen and forbids unknown keys, so a misspelt key is an error
naming the key rather than a setting silently ignored.  Rules that need more
than one model (a target's kind against its measure, peers and parents across
files) are in :mod:`cdrp_lib.params.checks`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, PrivateAttr, model_validator

from cdrp_lib.areas import PartnershipArea
from cdrp_lib.errors import NotFoundError
from cdrp_lib.params.fields import (
    DEFAULT_THEMES,
    MAX_SOURCE_LAG_MONTHS,
    SUMMARY_THEME,
    Frequency,
    Frozen,
    LsoaCode,
    MeasureUnit,
    Slug,
    Source,
    Text,
    Theme,
    ThemeId,
)
from cdrp_lib.params.targets import AnyTarget, CeilingTarget, MonitorTarget, SetTarget, Target
from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import Polarity
from cdrp_lib.validation import fail, show

FIRST_POPULATION_YEAR = 1900
LAST_POPULATION_YEAR = 2100


# --------------------------------------------------------------------------- measures


class Measure(Frozen):
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
    # What the values are and how often they come (issue 11). ``unit`` None means the
    # kind's own: a count for ``count``, a percentage for ``proportion``.
    unit: MeasureUnit | None = None
    frequency: Frequency = "monthly"
    # This measure's usual lag in months when it differs from its source's (bulletin.yaml).
    lag_months: int | None = Field(None, ge=0, le=MAX_SOURCE_LAG_MONTHS)
    # What one counted thing is called in sentences ("primary fires", "offences"); the
    # default is "crimes", "incidents" or "referrals" by the measure's id.
    noun: str | None = None

    @property
    def value_unit(self) -> MeasureUnit:
        """The unit its values are in: the declared one, else the kind's own."""
        if self.unit is not None:
            return self.unit
        return "percent" if self.kind == "proportion" else "count"


# --------------------------------------------------------------------------- themes

#: The notebook of a theme that names none: ``notebooks/theme.ipynb``, parameterised by theme.
GENERIC_THEME_NOTEBOOK = "theme"


class ThemeParams(Frozen):
    """One page of a bulletin: its id (``<id>.html``), title, place and notebook.

    ``order`` places it among the theme pages (lower first; unset: its place in the
    list); the summary is always the front page.  ``notebook`` names
    ``notebooks/<notebook>.ipynb``; unset, the generic theme notebook serves it (the
    summary's own for the summary).
    """

    id: ThemeId
    title: Text
    order: int | None = Field(None, ge=0)
    notebook: ThemeId | None = None
    #: The page's name in the navigation bar and the browser's title, when shorter than
    #: ``title`` ("Anti-social behaviour" for "Anti-social behaviour and criminal damage").
    short_title: Text | None = None

    @property
    def nav_title(self) -> str:
        """What the navigation bar calls the page: ``short_title``, else ``title``."""
        return self.short_title or self.title

    @property
    def notebook_name(self) -> str:
        """The notebook that makes this page, without ``.ipynb``."""
        if self.notebook is not None:
            return self.notebook
        return SUMMARY_THEME if self.id == SUMMARY_THEME else GENERIC_THEME_NOTEBOOK


#: The pages when params give no bulletin.yaml: the summary and the five crime themes.
DEFAULT_THEME_PARAMS: tuple[ThemeParams, ...] = tuple(
    ThemeParams(id=t, title=title, notebook=t, short_title=short)
    for t, title, short in zip(DEFAULT_THEMES, (
        "Executive summary", "Violence", "Acquisitive crime",
        "Anti-social behaviour and criminal damage", "Domestic abuse",
        "Perception and confidence"), ("Summary", None, None, "Anti-social behaviour", None,
                                       "Perception"), strict=True))


def ordered_themes(themes: tuple[ThemeParams, ...],
                   front: ThemeParams | None = None) -> tuple[ThemeParams, ...]:
    """The summary first (``themes``' own, else ``front``), then the theme pages by
    ``order`` (unset: their 1-based place in the list), ties in list order."""
    summary = next((t for t in themes if t.id == SUMMARY_THEME), front)
    rest = sorted(((t.order if t.order is not None else i + 1, i, t)
                   for i, t in enumerate(themes) if t.id != SUMMARY_THEME),
                  key=lambda x: (x[0], x[1]))
    return ((summary,) if summary is not None else ()) + tuple(t for _o, _i, t in rest)


class OutcomeParams(Frozen):
    """One outcome of the plan: its title; ``same_as`` another outcome whose assessment it
    shares ("Performance assessment is the same as V1c"); ``theme`` the executive-summary
    table it sits in (unset: its first target's, or the shared outcome's)."""

    title: Text
    same_as: Text | None = None
    theme: ThemeId | None = None

    @model_validator(mode="before")
    @classmethod
    def _title_alone(cls, data: Any) -> Any:
        return {"title": data} if isinstance(data, str) or data is None else data


# --------------------------------------------------------------------------- partnerships


class AreaParams(Frozen):
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


class PopulationParams(Frozen):
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


class Partnership(Frozen):
    """One partnership's params: its area, population, peer group, method settings, targets."""

    # `outcomes` in YAML (and in a dump, read back), `outcome_params` in code.
    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True,
                              validate_by_name=True)
    id: Slug
    name: Text
    synthetic: bool = False
    area: AreaParams
    population: PopulationParams = Field(
        default_factory=lambda: PopulationParams(from_districts=True))
    peers: tuple[Slug, ...] = ()
    settings: dict[str, Any] = Field(default_factory=dict)
    # The partnership plan's own themes (pages); None: bulletin.yaml's list.
    themes: tuple[ThemeParams, ...] | None = None
    # Written `outcomes:` in YAML: code -> title, or code -> {title, same_as, theme}.
    outcome_params: dict[str, OutcomeParams] = Field(default_factory=dict, alias="outcomes")
    notes: tuple[Text, ...] = ()
    targets: tuple[Target, ...] = ()
    _lookup: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def outcomes(self) -> dict[str, str]:
        """Each outcome code's title, in params order."""
        return {code: o.title for code, o in self.outcome_params.items()}

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

    def target(self, target_id: str) -> SetTarget | CeilingTarget | MonitorTarget:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise NotFoundError(f"partnership {self.id!r} has no target {target_id!r} "
                            f"(has {', '.join(t.id for t in self.targets) or 'none'})")

    def targets_in_force(self, month: str | Month) -> tuple[AnyTarget, ...]:
        """Targets whose strategy period contains ``month`` (monitor-only ones with none too)."""
        return tuple(t for t in self.targets if t.in_force(month))

    def targets_for_measure(self, measure: str) -> tuple[AnyTarget, ...]:
        return tuple(t for t in self.targets if t.measure == measure)


# --------------------------------------------------------------------------- bulletin


class SuppressionParams(Frozen):
    """Disclosure control (methods §9): which counts are suppressed.

    The thresholds themselves are method settings (``suppression_threshold``,
    ``min_denominator``) so that one value is recorded with every result.
    """

    sources: tuple[Source, ...] = ("domestic_abuse",)
    below_partnership: bool = True


class SourceParams(Frozen):
    """A data source as the appendix lists it, with its usual publication lag."""

    name: Text
    lag_months: int = Field(ge=0, le=MAX_SOURCE_LAG_MONTHS)
    licence: Text | None = None
    url: Text | None = None


class BulletinParams(Frozen):
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
        return tuple(t.id for t in ordered_themes(self.themes))

    def theme_title(self, theme: str) -> str:
        for t in self.themes:
            if t.id == theme:
                return t.title
        raise NotFoundError(f"bulletin.yaml has no theme {theme!r}")

    def themes_for(self, partnership: Partnership | None) -> tuple[ThemeParams, ...]:
        """The pages of a partnership's bulletin, summary first: its own list when its
        params give `themes:` (bulletin.yaml's summary when the list has none), else
        bulletin.yaml's."""
        return themes_in_force(self, partnership)


def themes_in_force(bulletin: BulletinParams | None,
                    partnership: Partnership | None) -> tuple[ThemeParams, ...]:
    """The pages of a bulletin in order (see :meth:`BulletinParams.themes_for`); without
    bulletin.yaml, the default list."""
    default = bulletin.themes if bulletin is not None else DEFAULT_THEME_PARAMS
    front = next((t for t in default if t.id == SUMMARY_THEME), DEFAULT_THEME_PARAMS[0])
    if partnership is not None and partnership.themes is not None:
        return ordered_themes(partnership.themes, front)
    return ordered_themes(default, front)
