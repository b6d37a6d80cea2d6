"""Measures, partnerships and the bulletin's own settings: the shapes of the params files.

Each model is frozen and forbids unknown keys, so a misspelt key is an error
naming the key rather than a setting silently ignored.  Rules that need more
than one model (a target's kind against its measure, peers and parents across
files) are in :mod:`cdrp_lib.params.checks`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from cdrp_lib.areas import PartnershipArea
from cdrp_lib.errors import NotFoundError
from cdrp_lib.params.fields import (
    MAX_SOURCE_LAG_MONTHS,
    Frequency,
    Frozen,
    LsoaCode,
    MeasureUnit,
    Slug,
    Source,
    Text,
    Theme,
)
from cdrp_lib.params.targets import MonitorTarget, SetTarget, Target
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

    @property
    def value_unit(self) -> MeasureUnit:
        """The unit its values are in: the declared one, else the kind's own."""
        if self.unit is not None:
            return self.unit
        return "percent" if self.kind == "proportion" else "count"


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


class ThemeParams(Frozen):
    id: Theme
    title: Text


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
        return tuple(t.id for t in self.themes)

    def theme_title(self, theme: str) -> str:
        for t in self.themes:
            if t.id == theme:
                return t.title
        raise NotFoundError(f"bulletin.yaml has no theme {theme!r}")
