"""What every synthetic demo shares: crime types, outcomes, districts, LSOA codes, months.

The county demo (:mod:`cdrp_lib.demo.county`) and the national one
(:mod:`cdrp_lib.demo.national`) are made of the same parts: districts of LSOAs
whose police counts come from :mod:`cdrp_lib.demo.police` and whose partner
extracts (domestic abuse, survey, population) come from
:mod:`cdrp_lib.demo.partners`.  The levels, seasons and shares below are those of
an English district; everything is SYNTHETIC.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cdrp_lib.areas import slugify
from cdrp_lib.errors import CdrpError
from cdrp_lib.periods import Month

README_MARKER = "# SYNTHETIC demo data"
#: The lookback of the DA repeat rate needs 12 months before any month is assessable.
MIN_MONTHS = 13
#: The publication gap is kept out of the last 36 months, the history the latest
#: bulletin's rolling sums and 24-point trend need (methods sections 0 and 4).
GAP_CLEAR_MONTHS = 37
SURVEY_QUESTIONS = ("deal_with_issues", "feel_safe_night", "asb_problem")
POPULATION_RANGE = (60_000, 150_000)
RESIDENTS_PER_LSOA = 1_650
LSOAS_PER_MSOA = 4
SNAP_POINTS_PER_LSOA = 8
STREET_CSV_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                     "LSOA code,LSOA name,Crime type,Last outcome category,Context")


@dataclass(frozen=True)
class CrimeType:
    """How one data.police.uk category behaves in the demo.

    ``per_1000`` is the monthly level per 1,000 residents; the seasonal factor is
    ``1 + amplitude * cos(2 pi (month - peak) / 12)``; ``trend`` the mean annual
    change; ``centre_share`` the share of Ashcombe's count in its town centre.
    """

    name: str
    per_1000: float
    amplitude: float
    peak: int
    trend: float
    centre_share: float = 0.0


ASB = "Anti-social behaviour"
CRIME_TYPES: tuple[CrimeType, ...] = (
    CrimeType(ASB, 2.00, 0.22, 7, -0.05, 0.20),
    CrimeType("Bicycle theft", 0.10, 0.35, 8, -0.05),
    CrimeType("Burglary", 0.45, 0.12, 12, -0.04),
    CrimeType("Criminal damage and arson", 0.65, 0.08, 10, -0.02),
    CrimeType("Drugs", 0.20, 0.05, 3, 0.02),
    CrimeType("Other theft", 0.55, 0.08, 7, -0.02),
    CrimeType("Possession of weapons", 0.07, 0.05, 6, 0.03),
    CrimeType("Public order", 0.75, 0.12, 7, -0.01, 0.25),
    CrimeType("Robbery", 0.08, 0.10, 12, 0.00, 0.20),
    CrimeType("Shoplifting", 0.60, 0.08, 12, 0.08, 0.45),
    CrimeType("Theft from the person", 0.08, 0.10, 12, 0.02, 0.35),
    CrimeType("Vehicle crime", 0.55, 0.08, 11, -0.03),
    CrimeType("Violence and sexual offences", 2.90, 0.10, 7, 0.01, 0.30),
    CrimeType("Other crime", 0.12, 0.03, 1, 0.00),
)
#: Spread of the annual trends around each type's mean: by district, and by district x type.
DISTRICT_TREND_SD, TYPE_TREND_SD, SLOPE_CHANGE_SD = 0.03, 0.04, 0.05
MAX_ANNUAL_CHANGE = 0.25
#: Annual change of Ashcombe town-centre violence after the mid-series (a night-time scheme).
TOWN_CENTRE_VIOLENCE_TREND = -0.10
#: Other districts' centres hold this fraction of the Ashcombe concentration.
OTHER_CENTRE_FACTOR = 0.6
NO_LOCATION_SHARE = 0.01
DUPLICATE_ID_SHARE = 0.0015
OUTCOMES: tuple[tuple[str, float], ...] = (
    ("Investigation complete; no suspect identified", 0.36),
    ("Unable to prosecute suspect", 0.30),
    ("Court result unavailable", 0.08),
    ("Under investigation", 0.06),
    ("Status update unavailable", 0.05),
    ("Action to be taken by another organisation", 0.04),
    ("Local resolution", 0.04),
    ("Awaiting court outcome", 0.03),
    ("Offender given a caution", 0.02),
    ("Further investigation is not in the public interest", 0.02),
)
UNDER_INVESTIGATION = 3  # index in OUTCOMES
DUPLICATE_OUTCOME = 4  # "Status update unavailable", as real duplicate rows often show
RECENT_UNDER_INVESTIGATION = (0.7, 0.5, 0.3)  # share in the last, second-last... month
STREETS = (
    "High Street", "Church Lane", "Station Road", "Mill Lane", "Park Road", "Victoria Street",
    "Queen Street", "King Street", "Manor Road", "School Lane", "The Green", "Chapel Street",
    "North Street", "South Street", "West Street", "London Road", "Green Lane", "Orchard Close",
    "Meadow Way", "Willow Close", "Beech Avenue", "Oak Drive", "Elm Grove", "Ash Close",
    "Harbour Road", "Quay Street", "Market Street", "Bridge Street", "Castle Street",
    "Windmill Hill", "Ferry Lane", "Saltings Way", "Dune Road", "Lighthouse Lane",
    "Marsh Road", "Fen Lane", "Heath Road", "Moor Lane", "Vale View", "Brook Street",
    "Petrol Station", "Sports/Recreation Area", "Park/Open Space", "Parking Area",
    "Supermarket", "Further/Higher Educational Building", "Hospital", "Police Station",
)
CENTRE_STREETS = ("Nightclub", "Shopping Area", "Supermarket", "Market Place",
                  "Pedestrian Subway", "Theatre/Concert Hall", "Bus/Coach Station", "High Street")
#: The demo sits on the Dogger Bank: lon/lat box of the district centres.
LONGITUDES, LATITUDES = (1.2, 3.2), (54.3, 55.3)
DISTRICT_SPREAD, SNAP_SPREAD = 0.02, 0.003

#: Domestic abuse: new victims per 1,000 residents a month, share of events that
#: are crimes, chance of a further event (by risk), days between events, MARAC.
DA_NEW_VICTIMS_PER_1000 = 0.8
DA_CRIME_SHARE = 0.62
DA_CONTINUE = (0.30, 0.55)  # standard, high risk
DA_CONTINUE_SPREAD = 0.08
DA_HIGH_RISK_SHARE = 0.12
DA_MEAN_GAP_DAYS = 75.0
DA_MARAC_SHARE_HIGH_RISK = 0.55
DA_PARTNERSHIP_ONLY_SHARE = 0.06
DA_TREND_SD = 0.05
#: Survey: respondents per partnership and wave, base proportions, spread.
SURVEY_RESPONDENTS = 180
SURVEY_BASE = {"deal_with_issues": 0.55, "feel_safe_night": 0.72, "asb_problem": 0.14}
SURVEY_DISTRICT_SD, SURVEY_TREND_SD, WEIGHT_SD = 0.25, 0.08, 0.35
POPULATION_GROWTH = (0.003, 0.009)
ID_MODULUS = 1 << 48



#: The first LSOAs of every district are its centre (a night-time economy, shops).
CENTRE_LSOAS = 4
#: The district whose centre holds the full concentration of violence and shoplifting.
TOWN_CENTRE_DISTRICT = 1


@dataclass(frozen=True)
class District:
    """One fictional district: its number (1-based within its force), name and size.

    ``code_start`` 0 gives the county's LSOA codes (``E019`` + district + LSOA);
    otherwise LSOA ``j`` is ``E018`` + ``code_start + j - 1`` on five digits, so a
    country's districts can number tens of thousands of LSOAs without a collision.
    Neither prefix is a real code (real LSOA codes are below ``E0104``).
    """

    number: int
    name: str
    population: int
    lsoas: int
    code_start: int = 0

    @property
    def id(self) -> str:
        return slugify(self.name)

    def lsoa_code(self, lsoa: int) -> str:
        if self.code_start:
            return f"E018{self.code_start + lsoa - 1:05d}"
        return lsoa_code(self.number, lsoa)


def lsoa_code(district: int, lsoa: int) -> str:
    """``E019`` + district (2 digits) + LSOA (3 digits): never a real code (real ones are below)."""
    return f"E019{district:02d}{lsoa:03d}"


def lsoa_name(district_name: str, lsoa: int) -> str:
    """``Ashcombe 001A`` in the real style: an MSOA number then a letter."""
    msoa, letter = divmod(lsoa - 1, LSOAS_PER_MSOA)
    return f"{district_name} {msoa + 1:03d}{chr(ord('A') + letter)}"


def lsoas_for(population: int) -> int:
    """LSOAs of a district of ``population`` residents (at least 8)."""
    return max(8, round(population / RESIDENTS_PER_LSOA))


def gap_index(months: int) -> int:
    """Position of the one publication gap: the middle, unless that is in the last 36 months."""
    middle = months // 2
    latest_allowed = months - GAP_CLEAR_MONTHS
    return min(middle, latest_allowed) if latest_allowed >= 1 else middle


def prepare_out_dir(out_dir: Path) -> None:
    """Refuse to mix with other files; clear a previous demo so no stale month survives."""
    if out_dir.exists() and any(out_dir.iterdir()):
        readme = out_dir / "README.md"
        is_demo = readme.is_file() and readme.read_text(encoding="utf-8").startswith(
            README_MARKER)
        if not is_demo:
            raise CdrpError(f"{out_dir} is not empty and was not written by `cdrp demo-data`; "
                            "choose an empty or new --out directory")
        for part in ("police_uk", "local", "reference"):
            shutil.rmtree(out_dir / part, ignore_errors=True)
        readme.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def populations(districts: list[District], months: list[Month], rng: np.random.Generator
                ) -> tuple[npt.NDArray[np.float64], dict[int, list[int]]]:
    """Population per month x district, and the mid-year estimate per year."""
    growth = rng.uniform(*POPULATION_GROWTH, size=len(districts))
    last_year = months[-1].year
    years = range(months[0].year, last_year + 1)
    by_year = {y: [round(d.population * (1 + g) ** (y - last_year))
                   for d, g in zip(districts, growth, strict=True)] for y in years}
    monthly = np.array([by_year[m.year] for m in months], dtype=float)
    return monthly, by_year


def write_population(out_dir: Path, districts: list[District],
                     by_year: dict[int, list[int]]) -> str:
    """``reference/population.csv``: ``district,year,population``; returns its relative path."""
    lines = ["district,year,population"] + [
        f"{d.name},{year},{values[i]}" for i, d in enumerate(districts)
        for year, values in by_year.items()]
    relative = "reference/population.csv"
    (out_dir / "reference").mkdir(parents=True, exist_ok=True)
    (out_dir / relative).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return relative


def digest(out_dir: Path, files: tuple[str, ...]) -> str:
    """SHA-256 over ``files`` in order: equal digests mean byte-identical demos."""
    import hashlib

    h = hashlib.sha256()
    for relative in files:
        h.update(relative.encode())
        h.update((out_dir / relative).read_bytes())
    return h.hexdigest()
