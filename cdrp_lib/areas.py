"""Which LSOAs make up a partnership, and which CSP and force each district belongs to.

A data.police.uk LSOA name begins with its district's name at the time of the
LSOA vintage ("Kettering 001A" in 2011 LSOAs, "North Northamptonshire 001A" in
2021 LSOAs), so every district in the data is a partnership with no params at
all.  Params can group districts, supply a code-to-district lookup to carry a
series across a boundary change, or define a sub-area by an explicit LSOA list.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

#: The shipped district lookup and populations (cdrp_lib/data/README.md says how they were made).
REFERENCE_DIR = Path(__file__).resolve().parent / "data"
DISTRICTS_FILE = REFERENCE_DIR / "districts.csv"
DISTRICT_POPULATION_FILE = REFERENCE_DIR / "district-population.csv"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LSOA_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")
#: ONS police force area names whose data.police.uk force id is not their slug (the
#: same table as params/reference/build_district_reference.py, which made districts.csv).
FORCE_IDS = {"Devon & Cornwall": "devon-and-cornwall", "London, City of": "city-of-london",
             "Metropolitan Police": "metropolitan"}
#: Words a force's own name adds to its area's ("Cleveland Police", "Kent Police"...).
_FORCE_WORDS = ("-police-service", "-constabulary", "-police")


def slugify(name: str) -> str:
    """Partnership id from a district name: ``Hinckley and Bosworth`` -> ``hinckley-and-bosworth``.

    Lowercase, with every run of other characters turned into one hyphen
    (leading and trailing hyphens dropped).
    """
    return _NON_ALNUM.sub("-", name.lower()).strip("-")


def force_id(area: str) -> str:
    """The data.police.uk force id (``northamptonshire``, its street files' name) of an ONS
    police force area name (``Northamptonshire``) or a force's name (``Kent Police``)."""
    if area in FORCE_IDS:
        return FORCE_IDS[area]
    slug = slugify(area)
    for word in _FORCE_WORDS:
        if slug.endswith(word) and len(slug) > len(word):
            return slug.removesuffix(word)
    return slug


def district_from_lsoa_name(lsoa_name: str) -> str | None:
    """``Kettering 001A`` -> ``Kettering``; ``None`` when the name has no ``NNNX`` suffix."""
    name = lsoa_name.strip()
    if not _LSOA_SUFFIX.search(name):
        return None
    return _LSOA_SUFFIX.sub("", name)


@dataclass(frozen=True)
class PartnershipArea:
    """The area of one partnership, resolved against LSOA codes and names.

    An LSOA belongs to the area when its code is listed in ``lsoas``, or when
    its district (from ``lookup`` by code if present, else from the name) is
    one of ``districts``.  ``lookup`` maps LSOA code -> district name.
    """

    id: str
    name: str
    districts: frozenset[str] = frozenset()
    lsoas: frozenset[str] = frozenset()
    lookup: Mapping[str, str] = field(default_factory=dict)
    synthetic: bool = False

    def contains(self, lsoa_code: str, lsoa_name: str) -> bool:
        if lsoa_code in self.lsoas:
            return True
        if not self.districts:
            return False
        district = self.lookup.get(lsoa_code) or district_from_lsoa_name(lsoa_name)
        if district in self.districts:
            return True
        # A lookup that carries a code back to an old district must not hide the
        # district the name itself gives (the current unitary keeps its LSOAs).
        return district_from_lsoa_name(lsoa_name) in self.districts


def district_area(district: str) -> PartnershipArea:
    """The automatic partnership for one district found in the data."""
    return PartnershipArea(id=slugify(district), name=district, districts=frozenset({district}))


@dataclass(frozen=True)
class DistrictRef:
    """One district name as LSOA names give it, and where it sits today."""

    district: str
    current: str
    csp: str
    force: str


@dataclass(frozen=True)
class Reference:
    """The shipped lookup: district name -> :class:`DistrictRef`; and every force it knows."""

    districts: Mapping[str, DistrictRef]

    def overridden(self, rows: Iterable[DistrictRef]) -> Reference:
        """This reference with ``rows`` (a user's own lookup) in place of the districts they
        name; every other district is kept as shipped.

        A CSP is the districts naming it, so a lookup that puts two districts in one CSP
        groups them, and one that moves a district out of a shipped CSP leaves the rest.
        """
        districts = dict(self.districts)
        districts.update((r.district, r) for r in rows)
        return Reference(districts)

    @property
    def forces(self) -> frozenset[str]:
        return frozenset(d.force for d in self.districts.values())

    def csp_districts(self, csp: str) -> tuple[str, ...]:
        """Every district name (old and current) that lies in ``csp`` today."""
        return tuple(sorted(d.district for d in self.districts.values() if d.csp == csp))

    def current_districts(self, csp: str) -> tuple[str, ...]:
        """The districts of ``csp`` today: its population is theirs."""
        return tuple(sorted({d.current for d in self.districts.values() if d.csp == csp}))


@lru_cache(maxsize=1)
def reference() -> Reference:
    """The shipped district reference, read once per process."""
    with DISTRICTS_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return Reference({r["district"]: DistrictRef(r["district"], r["current_district"], r["csp"],
                                                 r["force"]) for r in rows})


def known_partnership_ids() -> frozenset[str]:
    """Ids an automatic partnership can have: every CSP's and every district's slug."""
    ref = reference()
    return frozenset({slugify(d.csp) for d in ref.districts.values()}
                     | {slugify(name) for name in ref.districts})
