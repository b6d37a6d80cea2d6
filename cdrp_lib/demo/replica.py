"""A SYNTHETIC replica of the data behind the Kettering December 2009 bulletin.

``cdrp demo-data --replica kettering-2009 --out DIR`` writes, in the real input
formats, the files from which ``cdrp run --month 2009-12 --partnership
kettering-2009`` (params/partnerships/kettering-2009.yaml) rebuilds the model
bulletin (../shared/seeds/kettering-performance-improvement-bulletin-2009-12.txt):

* ``police_uk/YYYY-MM/YYYY-MM-northamptonshire-street.csv``, April 2006 to
  December 2009, in Kettering's 2011 LSOAs (real codes from
  params/reference/northamptonshire-lsoa-2011-districts.csv; names, locations and
  every row SYNTHETIC, the coordinates in the North Sea as Demoshire's are);
* ``local/domestic_abuse.csv`` from April 2005 (repeat victims, MARAC referrals),
  ``local/survey_responses.csv`` (quarterly waves);
* ``local/series-*.csv``, one per partner agency (fire, road safety, youth
  justice, probation, the police's own extract with victim ages);
* ``reference/population.csv`` and a ``README.md`` saying it is all SYNTHETIC.

Whatever the bulletin prints as a baseline is the exact sum of the replica's
baseline period (913 vehicle crimes in 2007/08, 145 repeats of 700 domestic
crimes = 20.7%...); every other figure is made up
(:mod:`cdrp_lib.demo.replica_figures`).  Same seed, same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cdrp_lib.demo.allocate import monthly, share_out
from cdrp_lib.demo.common import (
    ASB,
    LATITUDES,
    LONGITUDES,
    OUTCOMES,
    README_MARKER,
    STREET_CSV_HEADER,
    STREETS,
    lsoa_name,
    prepare_out_dir,
)
from cdrp_lib.demo.common import digest as digest_files
from cdrp_lib.demo.replica_figures import (
    BULLETIN_MONTH,
    COUNTY_DA_CRIMES,
    COUNTY_DA_REPEATS,
    DISTRICT,
    FIRST_MONTH,
    FIRST_TIME_ENTRANTS,
    FORCE_ID,
    FORCE_NAME,
    PARTNERSHIP,
    POLICE,
    POPULATION,
    SERIES_MONTHLY,
    TOWN_CENTRE_LSOAS,
    TOWN_CENTRE_VIOLENCE,
    YOUTH_COHORT,
    Monthly,
)
from cdrp_lib.demo.replica_people import write_domestic_abuse, write_survey
from cdrp_lib.periods import Month

#: The replicas `cdrp demo-data --replica` knows.
REPLICAS: tuple[str, ...] = (PARTNERSHIP,)
DEFAULT_SEED = 20091231
VIOLENCE = "Violence and sexual offences"
#: Which partner agency's file each series measure is written to.
SERIES_FILES: dict[str, tuple[str, ...]] = {
    "local/series-fire.csv": ("refuse-container-fires", "primary-fires", "primary-fire-deaths",
                              "primary-fire-injuries"),
    "local/series-road-safety.csv": ("road-casualties-ksi",),
    "local/series-probation.csv": ("ppo-convictions",),
    "local/series-police-local.csv": ("crimes-against-children", "assault-with-injury",
                                      "repeat-domestic-burglary"),
    "local/series-county.csv": ("county-serious-acquisitive-crime", "county-assault-with-injury"),
}
COUNTY_RATE_FILE = "local/series-county-repeats.csv"
YOUTH_FILE = "local/series-youth-justice.csv"
COHORT_FILE = "local/series-youth-justice-cohort.csv"


@dataclass(frozen=True)
class ReplicaManifest:
    """What :func:`write_replica` wrote, for the CLI summary and for tests."""

    out_dir: Path
    replica: str
    seed: int
    first_month: str
    last_month: str
    files: tuple[str, ...]
    police_rows: int
    da_events: int
    survey_rows: int
    series_rows: int


def kettering_lsoas(reference: Path) -> list[str]:
    """Kettering's 2011 LSOA codes, in code order, from the shipped Northamptonshire lookup."""
    codes = []
    for line in reference.read_text(encoding="utf-8").splitlines():
        code, _, district = line.partition(",")
        if district.strip() == DISTRICT:
            codes.append(code.strip())
    if not codes:
        raise ValueError(f"{reference}: no LSOA of {DISTRICT}")
    return sorted(codes)


def series_counts(spec: Monthly, rng: np.random.Generator) -> dict[Month, int]:
    """Every month of ``spec``'s spans with its count; each span sums to its total."""
    out: dict[Month, int] = {}
    for span in spec.spans:
        months = span.months
        out.update(zip(months, monthly(span.total, months, spec.amplitude, spec.peak, rng),
                       strict=True))
    return out


def _street_lines(month: Month, crime_type: str, lsoas: Sequence[int], codes: Sequence[str],
                  centres: np.ndarray, rng: np.random.Generator) -> list[str]:
    n = len(lsoas)
    ids = rng.bytes(32 * n).hex()
    streets = rng.integers(0, len(STREETS), size=n)
    probs = np.array([p for _, p in OUTCOMES])
    outcomes = rng.choice(len(OUTCOMES), size=n, p=probs / probs.sum())
    jitter = rng.normal(0, 0.003, size=(n, 2))
    lines = []
    for k, j in enumerate(lsoas):
        lon, lat = centres[j] + jitter[k]
        asb = crime_type == ASB
        crime_id = "" if asb else ids[64 * k:64 * (k + 1)]
        outcome = "" if asb else OUTCOMES[int(outcomes[k])][0]
        lines.append(f"{crime_id},{month},{FORCE_NAME},{FORCE_NAME},{lon:.6f},{lat:.6f},"
                     f"On or near {STREETS[int(streets[k])]},{codes[j]},"
                     f"{lsoa_name(DISTRICT, j + 1)},{crime_type},{outcome},")
    return lines


def write_police(out_dir: Path, codes: Sequence[str], rng: np.random.Generator
                 ) -> tuple[list[str], int]:
    """One street file a month; town-centre violence in the first LSOAs, as its own series."""
    counts = {t: series_counts(spec, rng) for t, spec in POLICE.items()}
    centre = series_counts(TOWN_CENTRE_VIOLENCE, rng)
    n_lsoa = len(codes)
    weights = rng.gamma(2.0, 1.0, size=n_lsoa)
    weights /= weights.sum()
    rest = weights.copy()
    rest[:TOWN_CENTRE_LSOAS] = 0
    rest /= rest.sum()
    centres = np.column_stack([rng.uniform(*LONGITUDES, size=n_lsoa),
                               rng.uniform(*LATITUDES, size=n_lsoa)])
    files, rows = [], 0
    for month in sorted(counts[VIOLENCE]):
        lines = [STREET_CSV_HEADER]
        for crime_type, by_month in counts.items():
            n = by_month[month]
            if crime_type == VIOLENCE:
                in_centre = centre[month]
                if in_centre > n:
                    raise ValueError(f"{month}: town-centre violence {in_centre} exceeds {n}")
                picks = list(rng.integers(0, TOWN_CENTRE_LSOAS, size=in_centre)) + list(
                    rng.choice(n_lsoa, size=n - in_centre, p=rest))
            else:
                picks = list(rng.choice(n_lsoa, size=n, p=weights))
            lines += _street_lines(month, crime_type, [int(j) for j in picks], codes,
                                   centres, rng)
        relative = f"police_uk/{month}/{month}-{FORCE_ID}-street.csv"
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(relative)
        rows += len(lines) - 1
    return files, rows


def write_series(out_dir: Path, rng: np.random.Generator) -> tuple[list[str], int]:
    """Each partner agency's ``series-*.csv``: monthly counts, quarters, a cohort."""
    files, rows = [], 0
    for relative, measures in SERIES_FILES.items():
        lines = ["partnership,measure,period,value"]
        for measure in measures:
            counts = series_counts(SERIES_MONTHLY[measure], rng)
            lines += [f"{PARTNERSHIP},{measure},{m},{v}" for m, v in sorted(counts.items())]
        files.append(_write(out_dir, relative, lines))
        rows += len(lines) - 1
    fte = ["partnership,measure,period,value"] + [
        f"{PARTNERSHIP},first-time-entrants,{q},{v}" for q, v in FIRST_TIME_ENTRANTS.items()]
    cohort = ["partnership,measure,period,value,cohort"] + [
        f"{PARTNERSHIP},youth-reoffending,{q},{v},{size}"
        for q, (v, size) in YOUTH_COHORT.items()]
    repeats = series_counts(COUNTY_DA_REPEATS, rng)
    crimes = series_counts(COUNTY_DA_CRIMES, rng)
    rate = ["partnership,measure,period,value,denominator"] + [
        f"{PARTNERSHIP},county-da-repeat-rate,{m},{repeats[m]},{crimes[m]}"
        for m in sorted(crimes)]
    files += [_write(out_dir, YOUTH_FILE, fte), _write(out_dir, COHORT_FILE, cohort),
              _write(out_dir, COUNTY_RATE_FILE, rate)]
    return files, rows + len(fte) + len(cohort) + len(rate) - 3


def _write(out_dir: Path, relative: str, lines: list[str]) -> str:
    path = out_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return relative


def write_population(out_dir: Path) -> str:
    lines = ["district,year,population"] + [f"{DISTRICT},{y},{p}" for y, p in POPULATION.items()]
    return _write(out_dir, "reference/population.csv", lines)


def _readme(m: ReplicaManifest) -> str:
    return f"""{README_MARKER}: a replica of the Kettering December 2009 bulletin's data

**Every number in this folder is SYNTHETIC.** It was generated by `cdrp demo-data --replica
{m.replica} --seed {m.seed}` (cdrp_lib/demo/replica.py) so that `cdrp run --month
{BULLETIN_MONTH} --partnership {m.replica}` rebuilds the model bulletin (ComPaSS, Kettering
CDRP Performance Improvement Bulletin, December 2009, ref SCB 091204D). Each baseline the
bulletin prints is the exact total of its baseline period here (913 vehicle crimes in
2007/08, 303 domestic burglaries, 176 crimes against school aged children, 137 secondary
fires in refuse containers in 2008/09...); every other figure is made up. No row describes a
real crime, person, survey respondent, fire or collision. The LSOA codes are Kettering's real
2011 codes, so the partnership can be found; their names and every location are invented
(the coordinates lie in the North Sea). Do not use it for any analysis or decision.

- Police: `police_uk/YYYY-MM/YYYY-MM-{FORCE_ID}-street.csv`, {m.first_month} to {m.last_month},
  {m.police_rows} rows. Every Burglary row is a domestic burglary.
- `local/domestic_abuse.csv`: {m.da_events} events (crimes, incidents, MARAC referrals).
- `local/survey_responses.csv`: {m.survey_rows} answers in quarterly waves.
- `local/series-*.csv`: {m.series_rows} rows from the partner agencies (fire, road safety,
  youth justice, probation, the police's extract with victim ages), each ending where the
  bulletin's data ended (its lags).
- `reference/population.csv`: Kettering's mid-year population by year.
"""


def write_replica(out_dir: Path, replica: str = PARTNERSHIP, seed: int = DEFAULT_SEED,
                  reference: Path | None = None) -> ReplicaManifest:
    """Write the replica ``replica`` under ``out_dir`` (empty, new, or an earlier demo).

    ``reference`` is the LSOA lookup whose Kettering codes the files use (default:
    params/reference/northamptonshire-lsoa-2011-districts.csv beside the package).
    Raises ValueError for an unknown replica, CdrpError for a folder of other files.
    """
    if replica not in REPLICAS:
        raise ValueError(f"`replica` must be one of {', '.join(REPLICAS)}, got {replica!r}")
    lookup = reference or (Path(__file__).resolve().parents[2] / "params" / "reference"
                           / "northamptonshire-lsoa-2011-districts.csv")
    codes = kettering_lsoas(lookup)
    out_dir = Path(out_dir)
    prepare_out_dir(out_dir)
    police_rng, da_rng, survey_rng, series_rng = (
        np.random.default_rng([seed, part]) for part in (1, 2, 3, 4))
    police_files, police_rows = write_police(out_dir, codes, police_rng)
    da_file, da_events = write_domestic_abuse(out_dir, codes, da_rng)
    survey_file, survey_rows = write_survey(out_dir, PARTNERSHIP, survey_rng)
    series_files, series_rows = write_series(out_dir, series_rng)
    files = [*police_files, da_file, survey_file, *series_files, write_population(out_dir),
             "README.md"]
    manifest = ReplicaManifest(
        out_dir=out_dir, replica=replica, seed=seed, first_month=FIRST_MONTH,
        last_month=BULLETIN_MONTH, files=tuple(sorted(files)), police_rows=police_rows,
        da_events=da_events, survey_rows=survey_rows, series_rows=series_rows)
    (out_dir / "README.md").write_text(_readme(manifest), encoding="utf-8")
    return manifest


def digest(manifest: ReplicaManifest) -> str:
    """SHA-256 over every written file in order: equal digests mean byte-identical replicas."""
    return digest_files(manifest.out_dir, manifest.files)


__all__ = ["DEFAULT_SEED", "REPLICAS", "ReplicaManifest", "digest", "kettering_lsoas",
           "series_counts", "share_out", "write_replica"]
