"""A deterministic SYNTHETIC county, "Demoshire", in exactly the real input formats.

The demo lets the whole pipeline (ingest, store, statistics, notebooks, site)
run and be tested with no downloads and no personal data.  Everything is
written in the formats the real readers take, so the demo exercises them:

* ``police_uk/YYYY-MM/YYYY-MM-demoshire-street.csv`` as data.police.uk publishes
  street files: the 12 standard columns, 64-hex Crime IDs, ASB rows with an empty
  Crime ID and outcome, a few rows with "No Location", a few Crime IDs repeated
  within a month, and one **publication gap** (a month with no file);
* ``local/domestic_abuse.csv``: DA crimes and incidents with pseudonymised
  victims who come back (repeat victims) and MARAC referrals;
* ``local/survey_responses.csv``: quarterly waves, one row per answer, for the
  three perception questions of params/measures.yaml;
* ``reference/population.csv``: mid-year population by district and year;
* ``README.md`` saying that all of it is SYNTHETIC.

Districts are fictional (none is a real local authority) and the coordinates
lie on the Dogger Bank, in the North Sea, so no real address is implicated.
Monthly counts are Poisson draws around a level per 1,000 residents typical of
an English district, times a seasonal factor (violence and ASB peak in summer,
burglary in the dark months, shoplifting before Christmas) and a log-linear
trend that differs by district and crime type and changes slope half way, so
that bulletins show reds, ambers and greens.  Ashcombe's town centre (LSOAs
E01901001-E01901004, params/partnerships/ashcombe-town-centre.yaml) holds a
large share of Ashcombe's violence and shoplifting.

Same arguments, same bytes: every random draw comes from one seeded generator
in a fixed order and nothing depends on the clock.  Generation is vectorised
with numpy so that 20 districts over 60 months take a few seconds.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cdrp_lib.areas import slugify
from cdrp_lib.errors import CdrpError
from cdrp_lib.periods import Month, month_range

DEMO_FORCE = "demoshire"
FORCE_NAME = "Demoshire Police"
COUNTY = "Demoshire"
README_MARKER = "# SYNTHETIC demo data"

#: Fictional districts in a fixed order; the first six are the demo partnerships.
DISTRICT_NAMES: tuple[str, ...] = (
    "Ashcombe", "Brackenford", "Calder Vale", "Dunmore", "Eastwick and Fenby", "Greyhaven",
    "Hollowmere", "Ingleby Marsh", "Juniper Vale", "Kestrel Bay", "Larkspur Downs",
    "Millbrook Fen", "Northwold Heath", "Oakhurst Vale", "Pennymoor", "Quarrington Edge",
    "Ravensmere", "Saltcombe Hythe", "Thornbury Edge", "Underwood Forest", "Veryan Downs",
    "Wexcombe", "Yarrowby", "Zennor Moor", "Amberleigh", "Blackmere", "Coldharbour Vale",
    "Dunstanworth", "Elmsworth", "Foxcote", "Gallowtree Heath", "Hartsford", "Ivelmere",
    "Kingsmere", "Lowmarsh", "Merrowdale", "Nettlecombe", "Orchardleigh", "Pinewick",
    "Rushmere Vale", "Stonecross", "Tidewell", "Wolverley Heath", "Yeldham Cross",
)
MAX_PARTNERSHIPS = len(DISTRICT_NAMES)
#: The lookback of the DA repeat rate needs 12 months before any month is assessable.
MIN_MONTHS = 13
#: The publication gap is kept out of the last 36 months, the history the latest
#: bulletin's rolling sums and 24-point trend need (methods sections 0 and 4).
GAP_CLEAR_MONTHS = 37
TOWN_CENTRE_DISTRICT = 1
TOWN_CENTRE_LSOAS: tuple[str, ...] = tuple(f"E01901{j:03d}" for j in range(1, 5))
SURVEY_QUESTIONS = ("deal_with_issues", "feel_safe_night", "asb_problem")

#: Populations of the first six districts (60-150k); later ones are drawn.
FIRST_POPULATIONS = (128_400, 94_300, 71_800, 112_600, 146_200, 63_900)
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
#: The county sits on the Dogger Bank: lon/lat box of the district centres.
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
_ID_MODULUS = 1 << 48


@dataclass(frozen=True)
class District:
    """One fictional district: its number (1-based, in LSOA codes), name and size."""

    number: int
    name: str
    population: int
    lsoas: int

    @property
    def id(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class DemoManifest:
    """What :func:`write_demo` wrote, for the CLI summary and for tests."""

    out_dir: Path
    seed: int
    force: str
    districts: tuple[str, ...]
    partnership_ids: tuple[str, ...]
    first_month: str
    last_month: str
    gap_month: str
    town_centre_lsoas: tuple[str, ...]
    files: tuple[str, ...]
    police_rows: int
    da_events: int
    survey_rows: int


def lsoa_code(district: int, lsoa: int) -> str:
    """``E019`` + district (2 digits) + LSOA (3 digits): never a real code (real ones are below)."""
    return f"E019{district:02d}{lsoa:03d}"


def lsoa_name(district_name: str, lsoa: int) -> str:
    """``Ashcombe 001A`` in the real style: an MSOA number then a letter."""
    msoa, letter = divmod(lsoa - 1, LSOAS_PER_MSOA)
    return f"{district_name} {msoa + 1:03d}{chr(ord('A') + letter)}"


def gap_index(months: int) -> int:
    """Position of the one publication gap: the middle, unless that is in the last 36 months."""
    middle = months // 2
    latest_allowed = months - GAP_CLEAR_MONTHS
    return min(middle, latest_allowed) if latest_allowed >= 1 else middle


def _districts(count: int, rng: np.random.Generator) -> list[District]:
    drawn = rng.integers(POPULATION_RANGE[0] // 100, POPULATION_RANGE[1] // 100 + 1,
                         size=MAX_PARTNERSHIPS) * 100
    out = []
    for i in range(count):
        population = FIRST_POPULATIONS[i] if i < len(FIRST_POPULATIONS) else int(drawn[i])
        out.append(District(i + 1, DISTRICT_NAMES[i], population,
                            max(8, round(population / RESIDENTS_PER_LSOA))))
    return out


def _prepare_out_dir(out_dir: Path) -> None:
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


def _seasonal(months: list[Month]) -> npt.NDArray[np.float64]:
    """Factor per month x crime type."""
    month_of_year = np.array([m.month for m in months], dtype=float)[:, None]
    amplitude = np.array([t.amplitude for t in CRIME_TYPES])[None, :]
    peak = np.array([t.peak for t in CRIME_TYPES], dtype=float)[None, :]
    result: npt.NDArray[np.float64] = 1 + amplitude * np.cos(
        2 * np.pi * (month_of_year - peak) / 12)
    return result


def _piecewise_years(n_months: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Years elapsed before and after the mid-series slope change, per month."""
    t = np.arange(n_months, dtype=float)
    brk = n_months // 2
    return np.minimum(t, brk) / 12, np.maximum(t - brk, 0) / 12


def _lsoa_weights(districts: list[District], rng: np.random.Generator
                  ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64],
                             npt.NDArray[np.bool_]]:
    """Share of each district's count per LSOA x type; LSOA -> district; town-centre mask."""
    n_types = len(CRIME_TYPES)
    weights, owner, centre = [], [], []
    for d in districts:
        base = rng.gamma(2.0, 1.0, size=d.lsoas)
        w = np.repeat((base / base.sum())[:, None], n_types, axis=1)
        in_centre = np.arange(1, d.lsoas + 1) <= len(TOWN_CENTRE_LSOAS)
        factor = 1.0 if d.number == TOWN_CENTRE_DISTRICT else OTHER_CENTRE_FACTOR
        for k, ctype in enumerate(CRIME_TYPES):
            share = ctype.centre_share * factor
            if share > 0:
                rest = w[~in_centre, k]
                w[~in_centre, k] = rest / rest.sum() * (1 - share)
                w[in_centre, k] = share / in_centre.sum()
        weights.append(w)
        owner.append(np.full(d.lsoas, d.number - 1))
        centre.append(in_centre & (d.number == TOWN_CENTRE_DISTRICT))
    return np.vstack(weights), np.concatenate(owner), np.concatenate(centre)


def _police_counts(districts: list[District], months: list[Month], populations:
                   npt.NDArray[np.float64], rng: np.random.Generator
                   ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                              npt.NDArray[np.float64]]:
    """Poisson counts per month x LSOA x type, the LSOA -> district map and LSOA weights."""
    n_d, n_t = len(districts), len(CRIME_TYPES)
    before, after = _piecewise_years(len(months))
    level = np.array([t.per_1000 for t in CRIME_TYPES])
    deprivation = np.exp(rng.normal(0, 0.2, size=n_d))
    deprivation[0] = 1.25  # Ashcombe is the most urban
    mean_trend = np.array([t.trend for t in CRIME_TYPES])
    annual1 = (mean_trend[None, :] + rng.normal(0, DISTRICT_TREND_SD, size=(n_d, 1))
               + rng.normal(0, TYPE_TREND_SD, size=(n_d, n_t)))
    annual2 = annual1 + rng.normal(0, SLOPE_CHANGE_SD, size=(n_d, n_t))
    slope1 = np.log1p(np.clip(annual1, -MAX_ANNUAL_CHANGE, MAX_ANNUAL_CHANGE))
    slope2 = np.log1p(np.clip(annual2, -MAX_ANNUAL_CHANGE, MAX_ANNUAL_CHANGE))
    log_trend = before[:, None, None] * slope1[None] + after[:, None, None] * slope2[None]
    district_rate = (level[None, None, :] * deprivation[None, :, None]
                     * populations[:, :, None] / 1000 * np.exp(log_trend)
                     * _seasonal(months)[:, None, :])  # month x district x type
    weights, owner, centre = _lsoa_weights(districts, rng)
    lam = district_rate[:, owner, :] * weights[None, :, :]
    violence = next(k for k, t in enumerate(CRIME_TYPES) if t.name.startswith("Violence"))
    centre_trend = np.exp(after * math.log1p(TOWN_CENTRE_VIOLENCE_TREND))
    lam[:, centre, violence] *= centre_trend[:, None]
    return rng.poisson(lam), owner, weights


def _snap_points(districts: list[District], rng: np.random.Generator) -> list[bytes]:
    """``lon,lat,On or near X,code,name`` for every snap point, LSOA by LSOA."""
    columns = 7
    out: list[bytes] = []
    for d in districts:
        row, col = divmod(d.number - 1, columns)
        lon0 = LONGITUDES[0] + (col + 0.5) * (LONGITUDES[1] - LONGITUDES[0]) / columns
        lat0 = LATITUDES[1] - (row + 0.5) * (LATITUDES[1] - LATITUDES[0]) / columns
        for j in range(1, d.lsoas + 1):
            lon1, lat1 = lon0 + rng.normal(0, DISTRICT_SPREAD), lat0 + rng.normal(
                0, DISTRICT_SPREAD)
            is_centre = j <= len(TOWN_CENTRE_LSOAS)
            names = CENTRE_STREETS if is_centre else STREETS
            picks = rng.integers(0, len(names), size=SNAP_POINTS_PER_LSOA)
            code, name = lsoa_code(d.number, j), lsoa_name(d.name, j)
            for p in picks:
                lon = lon1 + rng.normal(0, SNAP_SPREAD)
                lat = lat1 + rng.normal(0, SNAP_SPREAD)
                out.append(f"{lon:.6f},{lat:.6f},On or near {names[p]},{code},{name}".encode())
    return out


def _write_police(out_dir: Path, districts: list[District], months: list[Month],
                  populations: npt.NDArray[np.float64], gap: int,
                  rng: np.random.Generator
                  ) -> tuple[list[str], int, npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Street files for every month but the gap; also returns the LSOA owners and weights."""
    counts, owner, weights = _police_counts(districts, months, populations, rng)
    n_m, n_l, _ = counts.shape
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    month_idx, lsoa_idx, type_idx = np.unravel_index(cells, counts.shape)
    n = cells.size
    asb = np.array([t.name == ASB for t in CRIME_TYPES])[type_idx]

    snaps = np.array([*_snap_points(districts, rng), b",,No Location,,"])
    snap_idx = lsoa_idx * SNAP_POINTS_PER_LSOA + rng.integers(0, SNAP_POINTS_PER_LSOA, size=n)
    no_location = ~asb & (rng.random(n) < NO_LOCATION_SHARE)
    snap_idx[no_location] = len(snaps) - 1

    probs = np.array([p for _, p in OUTCOMES])
    outcome = rng.choice(len(OUTCOMES), size=n, p=probs / probs.sum())
    age = n_m - 1 - month_idx
    for a, share in enumerate(RECENT_UNDER_INVESTIGATION):
        outcome[(age == a) & (rng.random(n) < share)] = UNDER_INVESTIGATION
    id_bytes = np.frombuffer(rng.bytes(32 * n), dtype=np.uint8).reshape(n, 32)

    # A few Crime IDs appear twice in a month, the repeat in a neighbouring LSOA
    # of the same district with another outcome, as in real files.
    dup = np.flatnonzero(~asb & ~no_location & (rng.random(n) < DUPLICATE_ID_SHARE))
    neighbour = np.where((lsoa_idx[dup] + 1 < n_l) & (owner[np.minimum(lsoa_idx[dup] + 1,
                                                                       n_l - 1)]
                                                      == owner[lsoa_idx[dup]]),
                         lsoa_idx[dup] + 1, lsoa_idx[dup] - 1)
    source = np.concatenate([np.arange(n), dup])  # the row whose Crime ID each row carries
    all_month = np.concatenate([month_idx, month_idx[dup]])
    all_snap = np.concatenate([snap_idx, neighbour * SNAP_POINTS_PER_LSOA])
    all_type = np.concatenate([type_idx, type_idx[dup]])
    all_outcome = np.concatenate([outcome, np.full(dup.size, DUPLICATE_OUTCOME)])
    all_asb = np.concatenate([asb, asb[dup]])
    position = np.concatenate([np.arange(n) * 2, dup * 2 + 1])
    last_in_file = all_snap == len(snaps) - 1  # no-location rows close each file
    order = np.lexsort((position, last_in_file, all_month))

    month_text = np.array([f",{m},{FORCE_NAME},{FORCE_NAME},".encode() for m in months])
    tail_text = np.array([f",{t.name},{o},".encode() for t in CRIME_TYPES for o, _ in OUTCOMES]
                         + [f",{ASB},,".encode()])
    tail_idx = np.where(all_asb, len(tail_text) - 1, all_type * len(OUTCOMES) + all_outcome)
    bounds = np.searchsorted(all_month[order], np.arange(n_m + 1))
    files: list[str] = []
    rows = 0
    header = STREET_CSV_HEADER.encode() + b"\n"
    for i, month in enumerate(months):
        if i == gap:
            continue
        at = order[bounds[i]:bounds[i + 1]]  # one month at a time keeps memory small
        crime_ids = np.frombuffer(id_bytes[source[at]].tobytes().hex().encode("ascii"),
                                  dtype="S64").copy()
        crime_ids[all_asb[at]] = b""
        chunk = np.strings.add(np.strings.add(crime_ids, month_text[i]),
                               np.strings.add(snaps[all_snap[at]], tail_text[tail_idx[at]]))
        relative = f"police_uk/{month}/{month}-{DEMO_FORCE}-street.csv"
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(header + b"\n".join(chunk.tolist()) + b"\n")
        files.append(relative)
        rows += chunk.size
    return files, rows, owner, weights


def _pseudonyms(count: int, rng: np.random.Generator, prefix: str) -> list[str]:
    """Distinct opaque ids: an affine bijection on 48 bits, so no two collide."""
    multiplier = int(rng.integers(1 << 40, 1 << 47)) | 1
    offset = int(rng.integers(0, _ID_MODULUS))
    return [f"{prefix}{(i * multiplier + offset) % _ID_MODULUS:012x}" for i in range(count)]


def _write_domestic_abuse(out_dir: Path, districts: list[District], months: list[Month],
                          populations: npt.NDArray[np.float64], weights: npt.NDArray[np.float64],
                          owner: npt.NDArray[np.int64], rng: np.random.Generator) -> int:
    """Victims arrive monthly (from 12 months before the first month, so the first
    months already hold returning victims) and come back a geometric number of times."""
    burn_in = 12
    first_day = np.datetime64(f"{months[0]}-01", "D")
    end_day = np.datetime64(f"{months[-1] + 1}-01", "D")
    n_months, n_d = len(months) + burn_in, len(districts)
    pop = np.vstack([np.repeat(populations[:1], burn_in, axis=0), populations])
    years = (np.arange(n_months) - burn_in) / 12
    trend = rng.normal(0.02, DA_TREND_SD, size=n_d)
    new = rng.poisson(pop / 1000 * DA_NEW_VICTIMS_PER_1000 * np.exp(np.outer(years, trend)))
    cont_shift = rng.normal(0, DA_CONTINUE_SPREAD, size=n_d)
    cont_trend = rng.normal(0, 0.02, size=n_d)

    cell = np.repeat(np.arange(new.size), new.ravel())
    v_month, v_district = np.unravel_index(cell, new.shape)
    n_v = cell.size
    month_start = (first_day.astype("datetime64[M]") + (v_month - burn_in)).astype(
        "datetime64[D]")
    start = month_start + rng.integers(0, 28, size=n_v).astype("timedelta64[D]")
    high_risk = rng.random(n_v) < DA_HIGH_RISK_SHARE
    q = (np.where(high_risk, DA_CONTINUE[1], DA_CONTINUE[0]) + cont_shift[v_district]
         + cont_trend[v_district] * (v_month - burn_in) / 12)
    further = rng.geometric(1 - np.clip(q, 0.05, 0.9)) - 1
    victim = np.repeat(np.arange(n_v), further + 1)
    gaps = rng.exponential(DA_MEAN_GAP_DAYS, size=victim.size).astype(np.int64) + 1
    first_of_victim = np.concatenate([[True], victim[1:] != victim[:-1]])
    gaps[first_of_victim] = 0
    cum = np.cumsum(gaps)
    offset = cum - np.maximum.accumulate(np.where(first_of_victim, cum, 0))
    day = start[victim] + offset.astype("timedelta64[D]")
    keep = (day >= first_day) & (day < end_day)
    victim, day = victim[keep], day[keep]
    n = victim.size
    is_crime = rng.random(n) < DA_CRIME_SHARE
    marac = high_risk[victim] & (rng.random(n) < DA_MARAC_SHARE_HIGH_RISK)
    district = v_district[victim]
    # An LSOA of the event's district, weighted like violence; a few rows give only the partnership.
    violence = next(k for k, t in enumerate(CRIME_TYPES) if t.name.startswith("Violence"))
    lsoa_cum = np.cumsum(weights[:, violence])
    starts = np.searchsorted(owner, np.arange(n_d))
    base = np.concatenate([[0.0], lsoa_cum])[starts]
    total = lsoa_cum[np.searchsorted(owner, np.arange(n_d), side="right") - 1] - base
    target = base[district] + rng.random(n) * total[district]
    lsoa = np.minimum(np.searchsorted(lsoa_cum, target, side="right"), len(owner) - 1)
    partnership_only = rng.random(n) < DA_PARTNERSHIP_ONLY_SHARE
    victim_ids = _pseudonyms(n_v, rng, "V")

    codes = [lsoa_code(int(owner[i]) + 1, int(i - starts[owner[i]]) + 1)
             for i in range(len(owner))]
    ids = [d.id for d in districts]
    order = np.lexsort((victim, day))
    lines = ["event_id,date,kind,victim_id,lsoa_code,partnership,marac_referral"]
    for seq, k in enumerate(order.tolist(), start=1):
        area = f",{ids[district[k]]}" if partnership_only[k] else f"{codes[lsoa[k]]},"
        lines.append(f"DA{seq:07d},{day[k]},{'crime' if is_crime[k] else 'incident'},"
                     f"{victim_ids[victim[k]]},{area},{'Y' if marac[k] else 'N'}")
    path = out_dir / "local" / "domestic_abuse.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return int(n)


def _answer_words(question: str, yes: bool, pick: int) -> str:
    if question == "deal_with_issues":
        words = (("Strongly agree", "Tend to agree") if yes else
                 ("Neither agree nor disagree", "Tend to disagree", "Strongly disagree"))
        return words[pick % len(words)]
    if question == "feel_safe_night":
        return "Yes" if yes else "No"
    return "1" if yes else "0"


def _write_survey(out_dir: Path, districts: list[District], months: list[Month],
                  rng: np.random.Generator) -> int:
    """Quarterly waves wholly inside the series; one row per respondent and question."""
    quarters = [m for m in months if m.month % 3 == 0 and months[0].minus(m - 2) <= 0]
    lines = ["respondent_id,date,wave,partnership,question,response,weight"]
    base = {q: math.log(p / (1 - p)) for q, p in SURVEY_BASE.items()}
    effect = rng.normal(0, SURVEY_DISTRICT_SD, size=(len(districts), len(SURVEY_QUESTIONS)))
    slope = rng.normal(0, SURVEY_TREND_SD, size=(len(districts), len(SURVEY_QUESTIONS)))
    for d_i, d in enumerate(districts):
        for last in quarters:
            quarter = (last.month - 1) // 3 + 1
            wave = f"{last.year}Q{quarter}"
            years = (last.index - months[0].index) / 12
            n = int(rng.poisson(SURVEY_RESPONDENTS))
            w = np.exp(rng.normal(0, WEIGHT_SD, size=n))
            w = w / w.mean()
            days = rng.integers(0, 89, size=n)
            first_day = np.datetime64(f"{last - 2}-01", "D")
            dates = np.minimum(first_day + days.astype("timedelta64[D]"),
                               np.datetime64(f"{last + 1}-01", "D") - np.timedelta64(1, "D"))
            for q_i, question in enumerate(SURVEY_QUESTIONS):
                logit = base[question] + effect[d_i, q_i] + slope[d_i, q_i] * years
                answers = rng.random(n) < 1 / (1 + math.exp(-logit))
                picks = rng.integers(0, 6, size=n)
                for r in range(n):
                    lines.append(f"{d.id}-{wave}-{r + 1:04d},{dates[r]},{wave},"
                                 f"{d.id},{question},"
                                 f"{_answer_words(question, bool(answers[r]), int(picks[r]))},"
                                 f"{w[r]:.4f}")
    path = out_dir / "local" / "survey_responses.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def _populations(districts: list[District], months: list[Month], rng: np.random.Generator
                 ) -> tuple[npt.NDArray[np.float64], dict[int, list[int]]]:
    """Population per month x district, and the mid-year estimate per year."""
    growth = rng.uniform(*POPULATION_GROWTH, size=len(districts))
    last_year = months[-1].year
    years = range(months[0].year, last_year + 1)
    by_year = {y: [round(d.population * (1 + g) ** (y - last_year))
                   for d, g in zip(districts, growth, strict=True)] for y in years}
    monthly = np.array([by_year[m.year] for m in months], dtype=float)
    return monthly, by_year


def _readme(manifest: DemoManifest, months: int, partnerships: int) -> str:
    names = ", ".join(manifest.districts)
    return f"""{README_MARKER}: the fictional county of {COUNTY}

**Every number in this folder is SYNTHETIC.** It was generated by `cdrp demo-data`
(cdrp_lib/demo.py) to demonstrate and test the bulletin pipeline. No row describes a real
crime, person, survey respondent or place: the districts are fictional and the coordinates
lie in the North Sea. Do not use it for any analysis or decision.

Generated with: `cdrp demo-data --partnerships {partnerships} --months {months} \
--last-month {manifest.last_month} --seed {manifest.seed}` (same arguments, same bytes).

- Force: `{manifest.force}` ({FORCE_NAME}); districts (partnerships): {names}.
- Months: {manifest.first_month} to {manifest.last_month}. Publication gap: **{manifest.gap_month}**
  has no police file on purpose (ingest must report it and treat it as missing, not zero).
- Ashcombe town centre: LSOAs {", ".join(manifest.town_centre_lsoas)} (a sub-area partnership in
  params/partnerships/ashcombe-town-centre.yaml), with a high share of violence and shoplifting.

| path | format | rows |
|---|---|---|
| `police_uk/YYYY-MM/YYYY-MM-{DEMO_FORCE}-street.csv` | data.police.uk street-level crime \
(12 columns; ASB has no Crime ID; some rows have No Location; a few Crime IDs repeat) | \
{manifest.police_rows} |
| `local/domestic_abuse.csv` | DA extract (docs/data.md): crimes and incidents, repeat victims, \
MARAC referrals | {manifest.da_events} |
| `local/survey_responses.csv` | survey, one row per answer, quarterly waves, questions \
{", ".join(SURVEY_QUESTIONS)} | {manifest.survey_rows} |
| `reference/population.csv` | `district,year,population` mid-year estimates | \
{len(manifest.districts) * (int(manifest.last_month[:4]) - int(manifest.first_month[:4]) + 1)} |
"""


def write_demo(
    out_dir: Path,
    partnerships: int = 6,
    months: int = 60,
    last_month: str = "2025-12",
    seed: int = 20251231,
) -> DemoManifest:
    """Write the synthetic Demoshire dataset under ``out_dir`` and say what was written.

    ``partnerships`` districts (1 to :data:`MAX_PARTNERSHIPS`, in the order of
    :data:`DISTRICT_NAMES`) over the ``months`` months ending ``last_month``
    (at least :data:`MIN_MONTHS`).  ``out_dir`` must be empty, new, or a previous
    demo (which is replaced).  Raises ValueError for arguments out of range and
    CdrpError for a directory holding other files.
    """
    if not 1 <= partnerships <= MAX_PARTNERSHIPS:
        raise ValueError(f"`partnerships` must be 1 to {MAX_PARTNERSHIPS}, got {partnerships}")
    if months < MIN_MONTHS:
        raise ValueError(f"`months` must be at least {MIN_MONTHS} (the DA repeat lookback "
                         f"needs 12 months of history), got {months}")
    last = Month.parse(last_month)
    first = last - (months - 1)
    month_list = list(month_range(first, last))
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir)

    rng = np.random.default_rng(seed)
    districts = _districts(partnerships, rng)
    populations, by_year = _populations(districts, month_list, rng)
    gap = gap_index(months)
    police_rng, da_rng, survey_rng = (np.random.default_rng([seed, part]) for part in (1, 2, 3))
    files, police_rows, owner, weights = _write_police(out_dir, districts, month_list,
                                                       populations, gap, police_rng)
    # DA events fall in LSOAs the way violence does, so they share the LSOA weights.
    da_events = _write_domestic_abuse(out_dir, districts, month_list, populations, weights,
                                      owner, da_rng)
    survey_rows = _write_survey(out_dir, districts, month_list, survey_rng)
    population_lines = ["district,year,population"] + [
        f"{d.name},{year},{values[i]}" for i, d in enumerate(districts)
        for year, values in by_year.items()]
    (out_dir / "reference").mkdir(parents=True, exist_ok=True)
    (out_dir / "reference" / "population.csv").write_text(
        "\n".join(population_lines) + "\n", encoding="utf-8")
    files += ["local/domestic_abuse.csv", "local/survey_responses.csv",
              "reference/population.csv", "README.md"]
    manifest = DemoManifest(
        out_dir=out_dir, seed=seed, force=DEMO_FORCE,
        districts=tuple(d.name for d in districts),
        partnership_ids=tuple(d.id for d in districts), first_month=str(first),
        last_month=str(last), gap_month=str(month_list[gap]),
        town_centre_lsoas=TOWN_CENTRE_LSOAS, files=tuple(sorted(files)),
        police_rows=police_rows, da_events=da_events, survey_rows=survey_rows)
    (out_dir / "README.md").write_text(_readme(manifest, months, partnerships), encoding="utf-8")
    return manifest


def digest(out_dir: Path, manifest: DemoManifest) -> str:
    """SHA-256 over every written file in order: equal digests mean byte-identical demos."""
    h = hashlib.sha256()
    for relative in manifest.files:
        h.update(relative.encode())
        h.update((out_dir / relative).read_bytes())
    return h.hexdigest()
