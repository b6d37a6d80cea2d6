"""Police street files of a synthetic force, as data.police.uk publishes them.

Monthly counts are Poisson draws around a level per 1,000 residents typical of
an English district, times a seasonal factor (violence and ASB peak in summer,
burglary in the dark months, shoplifting before Christmas) and a log-linear
trend that differs by district and crime type and changes slope half way, so
that bulletins show reds, ambers and greens.  The first district's centre holds
a large share of its violence and shoplifting.  Rows are in the real format: the
12 standard columns, 64-hex Crime IDs, ASB rows with an empty Crime ID and
outcome, a few rows with "No Location", a few Crime IDs repeated within a month.

One force is written at a time, one month at a time, so a country of forces
costs the memory of its largest force.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cdrp_lib.demo.common import (
    ASB,
    CENTRE_LSOAS,
    CENTRE_STREETS,
    CRIME_TYPES,
    DISTRICT_SPREAD,
    DISTRICT_TREND_SD,
    DUPLICATE_ID_SHARE,
    DUPLICATE_OUTCOME,
    LATITUDES,
    LONGITUDES,
    MAX_ANNUAL_CHANGE,
    NO_LOCATION_SHARE,
    OTHER_CENTRE_FACTOR,
    OUTCOMES,
    RECENT_UNDER_INVESTIGATION,
    SLOPE_CHANGE_SD,
    SNAP_POINTS_PER_LSOA,
    SNAP_SPREAD,
    STREET_CSV_HEADER,
    STREETS,
    TOWN_CENTRE_DISTRICT,
    TOWN_CENTRE_VIOLENCE_TREND,
    TYPE_TREND_SD,
    UNDER_INVESTIGATION,
    District,
    lsoa_name,
)
from cdrp_lib.periods import Month


@dataclass(frozen=True)
class Force:
    """A synthetic force: its file id (``2025-12-<id>-street.csv``), its name, where it lies.

    ``box`` is the (longitudes, latitudes) of its district centres.
    """

    id: str
    name: str
    box: tuple[tuple[float, float], tuple[float, float]] = (LONGITUDES, LATITUDES)


@dataclass(frozen=True)
class PoliceWritten:
    """What :func:`write_police` wrote: files, rows, and the LSOAs for the partner files."""

    files: list[str]
    rows: int
    owner: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]


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
        in_centre = np.arange(1, d.lsoas + 1) <= CENTRE_LSOAS
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


def _snap_points(districts: list[District], force: Force, rng: np.random.Generator
                 ) -> list[bytes]:
    """``lon,lat,On or near X,code,name`` for every snap point, LSOA by LSOA."""
    columns = 7
    (lon_lo, lon_hi), (lat_lo, lat_hi) = force.box
    out: list[bytes] = []
    for d in districts:
        row, col = divmod(d.number - 1, columns)
        lon0 = lon_lo + (col + 0.5) * (lon_hi - lon_lo) / columns
        lat0 = lat_hi - (row + 0.5) * (lat_hi - lat_lo) / columns
        for j in range(1, d.lsoas + 1):
            lon1, lat1 = lon0 + rng.normal(0, DISTRICT_SPREAD), lat0 + rng.normal(
                0, DISTRICT_SPREAD)
            is_centre = j <= CENTRE_LSOAS
            names = CENTRE_STREETS if is_centre else STREETS
            picks = rng.integers(0, len(names), size=SNAP_POINTS_PER_LSOA)
            code, name = d.lsoa_code(j), lsoa_name(d.name, j)
            for p in picks:
                lon = lon1 + rng.normal(0, SNAP_SPREAD)
                lat = lat1 + rng.normal(0, SNAP_SPREAD)
                out.append(f"{lon:.6f},{lat:.6f},On or near {names[p]},{code},{name}".encode())
    return out


def write_police(out_dir: Path, force: Force, districts: list[District], months: list[Month],
                 populations: npt.NDArray[np.float64], gap: int | None,
                 rng: np.random.Generator) -> PoliceWritten:
    """Street files of ``force`` for every month but ``gap`` (None: no gap).

    Also returns each LSOA's district (``owner``) and share of each crime type
    (``weights``), which the domestic-abuse extract reuses.
    """
    counts, owner, weights = _police_counts(districts, months, populations, rng)
    n_m, n_l, _ = counts.shape
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    month_idx, lsoa_idx, type_idx = np.unravel_index(cells, counts.shape)
    n = cells.size
    asb = np.array([t.name == ASB for t in CRIME_TYPES])[type_idx]

    snaps = np.array([*_snap_points(districts, force, rng), b",,No Location,,"])
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

    month_text = np.array([f",{m},{force.name},{force.name},".encode() for m in months])
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
        relative = f"police_uk/{month}/{month}-{force.id}-street.csv"
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(header + b"\n".join(chunk.tolist()) + b"\n")
        files.append(relative)
        rows += chunk.size
    return PoliceWritten(files, rows, owner, weights)

