"""Partner agencies' figures for a synthetic area: ``local/series-*.csv`` (docs/data.md).

Demoshire's bulletins report more than police-recorded crime, as the model
bulletin does: every kind of measure the partner agencies send, in the shape
each sends it.

* ``series-fire.csv``: primary fires (a rate per 100,000 population, the
  population from the store) and secondary fires, monthly, a month behind;
* ``series-road-safety.csv``: people killed or seriously injured on the roads,
  monthly, reported as a twelve-month mean, three months behind;
* ``series-youth-justice.csv``: first time entrants, by calendar quarter
  (``2025Q3``), whole quarters three months behind;
* ``series-probation.csv``: a reoffending cohort's offences by financial quarter
  (``2025/26 Q1``) with the cohort's size, six months behind: the lagged source.

Each source ends where its lag (params/bulletin.yaml ``sources:``) says the
bulletin month's data would end.  Counts are Poisson draws around levels per
1,000 residents typical of an English district, with a season for fires and a
gentle trend; everything is SYNTHETIC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cdrp_lib.periods import Month

FIRE_FILE = "local/series-fire.csv"
ROAD_FILE = "local/series-road-safety.csv"
YOUTH_FILE = "local/series-youth-justice.csv"
PROBATION_FILE = "local/series-probation.csv"
#: Months each source is behind the last month of the demo (its lag).
LAGS = {FIRE_FILE: 1, ROAD_FILE: 3, YOUTH_FILE: 3, PROBATION_FILE: 6}
FINANCIAL_YEAR_START = 4


@dataclass(frozen=True)
class Level:
    """A count's yearly level per 1,000 residents, its season and its yearly trend."""

    per_1000_a_year: float
    amplitude: float = 0.0
    peak: int = 1
    trend: float = -0.03


PRIMARY_FIRES = Level(2.3, 0.10, 7, -0.02)
SECONDARY_FIRES = Level(3.4, 0.45, 4, -0.04)
KSI = Level(0.45, 0.10, 11, -0.03)
FIRST_TIME_ENTRANTS = Level(0.30, 0.0, 1, -0.06)
#: The probation cohort: offenders per 1,000 residents, offences each per quarter.
COHORT_PER_1000 = 0.9
OFFENCES_PER_OFFENDER_QUARTER = 0.32


def _lam(level: Level, population: npt.NDArray[np.float64], months: list[Month],
         rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Mean count per month x partnership."""
    years = np.arange(len(months)) / 12
    season = np.array([1 + level.amplitude * math.cos(2 * math.pi * (m.month - level.peak) / 12)
                       for m in months])
    trend = level.trend + rng.normal(0, 0.03, size=population.shape[1])
    lam: npt.NDArray[np.float64] = (level.per_1000_a_year / 12 * population / 1000
                                    * season[:, None] * np.exp(np.outer(years, trend)))
    return lam


def _monthly_rows(measure: str, ids: list[str], months: list[Month], counts: npt.NDArray[np.int64],
                  until: Month) -> list[str]:
    return [f"{pid},{measure},{m},{int(counts[i, j])}"
            for j, pid in enumerate(ids) for i, m in enumerate(months) if m <= until]


def _quarters(months: list[Month], until: Month, financial: bool) -> list[tuple[str, list[int]]]:
    """Whole quarters in ``months`` ending by ``until``: (name, month indexes)."""
    out = []
    for i, m in enumerate(months):
        first_of_quarter = (m.month - 1) % 3 == 0
        if not first_of_quarter or i + 2 >= len(months) or months[i + 2] > until:
            continue
        if financial:
            fy = m.financial_year
            name = f"{fy} Q{(m.month - FINANCIAL_YEAR_START) % 12 // 3 + 1}"
        else:
            name = f"{m.year}Q{(m.month - 1) // 3 + 1}"
        out.append((name, [i, i + 1, i + 2]))
    return out


def write_agencies(out_dir: Path, ids: list[str], months: list[Month],
                   population: npt.NDArray[np.float64], rng: np.random.Generator
                   ) -> tuple[list[str], int]:
    """The four partner files for partnerships ``ids`` (population: month x partnership)."""
    last = months[-1]
    until = {f: last - lag for f, lag in LAGS.items()}
    draw = {name: rng.poisson(_lam(level, population, months, rng)) for name, level in (
        ("primary", PRIMARY_FIRES), ("secondary", SECONDARY_FIRES), ("ksi", KSI),
        ("fte", FIRST_TIME_ENTRANTS))}
    header = "partnership,measure,period,value"
    files = {
        FIRE_FILE: [header, *_monthly_rows("primary-fires", ids, months, draw["primary"],
                                           until[FIRE_FILE]),
                    *_monthly_rows("secondary-fires", ids, months, draw["secondary"],
                                   until[FIRE_FILE])],
        ROAD_FILE: [header, *_monthly_rows("road-casualties-ksi", ids, months, draw["ksi"],
                                           until[ROAD_FILE])],
        YOUTH_FILE: [header] + [
            f"{pid},first-time-entrants,{name},{int(draw['fte'][idx, j].sum())}"
            for j, pid in enumerate(ids)
            for name, idx in _quarters(months, until[YOUTH_FILE], financial=False)],
    }
    probation = [f"{header},cohort"]
    for j, pid in enumerate(ids):
        cohorts: dict[str, int] = {}
        for name, idx in _quarters(months, until[PROBATION_FILE], financial=True):
            # A new cohort each financial year, sized by the partnership's population then.
            cohort = cohorts.setdefault(name.split()[0], round(
                COHORT_PER_1000 * float(population[idx[0], j]) / 1000))
            offences = int(rng.poisson(cohort * OFFENCES_PER_OFFENDER_QUARTER))
            probation.append(f"{pid},probation-cohort-reoffending,{name},{offences},{cohort}")
    files[PROBATION_FILE] = probation
    rows = 0
    for relative, lines in files.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        rows += len(lines) - 1
    return sorted(files), rows
