"""A deterministic SYNTHETIC country: several forces, a few hundred partnerships.

England and Wales have about 300 Community Safety Partnerships in 43 force
areas; a national run of the bulletins must be measured on something that size.
:func:`write_national` writes a fictional country of up to eight forces in the
real formats, built from the same parts as the county demo:

* ``police_uk/YYYY-MM/YYYY-MM-<force>-street.csv`` for every force and month,
  except one month of one force (the **publication gap**, kept out of the last 36
  months when there are enough months);
* ``local/domestic_abuse.csv`` (events located by LSOA, a few by partnership) and
  ``local/survey_responses.csv`` (one survey per partnership);
* ``reference/population.csv`` by district and year;
* ``reference/lad-to-csp-to-pfa.csv``: district -> CSP -> force in the columns
  of the ONS lookup (``LAD17CD,LAD17NM,CSP17CD,CSP17NM,PFA17CD,PFA17NM,FID``,
  with a byte-order mark), fictional codes (``E079``, ``E229``, ``E239``: never
  real), which ``cdrp ingest`` reads (cdrp_lib.sources.csp_lookup) so that each CSP is
  one partnership.  Most CSPs are one district; in each force the first CSP joins three
  districts and, in forces of eight CSPs or more, the next three join two, as
  real CSPs such as Dorset or North Yorkshire do;
* ``README.md`` saying that all of it is SYNTHETIC.

District names are made by joining a fictional stem and a place-name ending
("Alderwick", "Brackenthorpe"); LSOA codes are ``E018`` + five digits, numbered
across the country.  The coordinates lie in the North Sea, one box per force.
Same arguments, same bytes: each part draws from its own generator seeded with
``seed``, and forces are written one at a time (the memory of one force).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cdrp_lib.areas import slugify
from cdrp_lib.demo.common import (
    MIN_MONTHS,
    POPULATION_RANGE,
    README_MARKER,
    District,
    gap_index,
    lsoas_for,
    populations,
    prepare_out_dir,
    write_population,
)
from cdrp_lib.demo.county import DISTRICT_NAMES
from cdrp_lib.demo.partners import (
    DOMESTIC_ABUSE_FILE,
    SURVEY_FILE,
    write_domestic_abuse,
    write_survey,
)
from cdrp_lib.demo.police import Force, write_police
from cdrp_lib.periods import Month, month_range

COUNTRY = "Demoland"
#: The fictional forces, in order; ``(id, name)``.  Their ids are in
#: cdrp_lib.ingest.report.SYNTHETIC_FORCES, so every page made from them is marked SYNTHETIC.
NATIONAL_FORCES: tuple[tuple[str, str], ...] = (
    ("aldermoor", "Aldermoor Constabulary"), ("brightwater", "Brightwater Police"),
    ("cresswold", "Cresswold Constabulary"), ("drayhurst", "Drayhurst Police"),
    ("elverdale", "Elverdale Constabulary"), ("fairholt", "Fairholt Police"),
    ("glenmarch", "Glenmarch Constabulary"), ("harrowfield", "Harrowfield Police"),
)
#: The force with a publication gap (its index in NATIONAL_FORCES; the last when fewer).
GAP_FORCE = 2
LOOKUP_FILE = "reference/lad-to-csp-to-pfa.csv"
LOOKUP_HEADER = "LAD17CD,LAD17NM,CSP17CD,CSP17NM,PFA17CD,PFA17NM,FID"
MIN_NATIONAL = 4
PARTNERSHIPS_PER_FORCE = 40
MAX_NATIONAL = len(NATIONAL_FORCES) * 50
DEFAULT_NATIONAL = 300
DEFAULT_NATIONAL_MONTHS = 40
#: Districts of the multi-district CSPs at the head of each force: one of three, then
#: (in forces of at least MANY_CSPS partnerships) three of two.
MULTI_LARGE, MULTI_SMALL, MANY_CSPS = 3, (2, 2, 2), 8
#: Stems and endings of district names: 40 x 12 = 480 fictional names (476 once the
#: county's are left out).
STEMS = (
    "Alder", "Bracken", "Coldhar", "Dunstan", "Elder", "Fallow", "Gorse", "Hazel", "Ivy",
    "Juniper", "Kestrel", "Linnet", "Mallow", "Nettle", "Osier", "Plover", "Quill", "Rowan",
    "Sedge", "Teasel", "Umber", "Vetch", "Wren", "Yarrow", "Ambler", "Bitter", "Curlew",
    "Dapple", "Eyot", "Fernly", "Gannet", "Heron", "Ingle", "Jessam", "Kittiwake", "Lapwing",
    "Merlin", "Nightjar", "Oxlip", "Pipit",
)
ENDINGS = ("wick", "thorpe", "combe", "ford", "mere", "stow", "by", "field", "hythe",
           "worth", "dale", "ham")
#: The country's box in the North Sea, split into 4 x 2 force boxes.
COUNTRY_LONGITUDES, COUNTRY_LATITUDES = (1.0, 4.2), (54.2, 55.8)
BOX_COLUMNS = 4


@dataclass(frozen=True)
class Partnership:
    """One CSP of the country: its id, name, force and districts (names)."""

    id: str
    name: str
    force: str
    districts: tuple[str, ...]


@dataclass(frozen=True)
class NationalManifest:
    """What :func:`write_national` wrote, for the CLI summary, the benchmark and tests."""

    out_dir: Path
    seed: int
    forces: tuple[str, ...]
    partnerships: tuple[Partnership, ...]
    districts: tuple[str, ...]
    first_month: str
    last_month: str
    gap_force: str
    gap_month: str
    files: tuple[str, ...]
    police_rows: int
    da_events: int
    survey_rows: int

    @property
    def partnership_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.partnerships)


def csp_sizes(count: int) -> list[int]:
    """Districts per CSP of a force with ``count`` CSPs: the multi-district ones first."""
    multi = [MULTI_LARGE, *MULTI_SMALL] if count >= MANY_CSPS else [2]
    multi = multi[:count]
    return multi + [1] * (count - len(multi))


def force_shares(partnerships: int) -> list[int]:
    """CSPs per force: as few forces as keep them near 40 each (at least two), spread evenly."""
    forces = min(len(NATIONAL_FORCES), max(2, math.ceil(partnerships / PARTNERSHIPS_PER_FORCE)))
    base, extra = divmod(partnerships, forces)
    return [base + (1 if f < extra else 0) for f in range(forces)]


def district_names(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct fictional names, a seeded draw from STEMS x ENDINGS.

    The county's names are left out, so the two demos never share a district.
    """
    every = [stem + ending for stem in STEMS for ending in ENDINGS
             if stem + ending not in DISTRICT_NAMES]
    picked = rng.permutation(len(every))[:count]
    return [every[i] for i in picked]


def _csp_name(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _force_box(f: int) -> tuple[tuple[float, float], tuple[float, float]]:
    row, col = divmod(f, BOX_COLUMNS)
    rows = math.ceil(len(NATIONAL_FORCES) / BOX_COLUMNS)
    width = (COUNTRY_LONGITUDES[1] - COUNTRY_LONGITUDES[0]) / BOX_COLUMNS
    height = (COUNTRY_LATITUDES[1] - COUNTRY_LATITUDES[0]) / rows
    lon0 = COUNTRY_LONGITUDES[0] + col * width
    lat1 = COUNTRY_LATITUDES[1] - row * height
    return (lon0, lon0 + width), (lat1 - height, lat1)


def _country(partnerships: int, rng: np.random.Generator
             ) -> tuple[list[list[District]], list[Partnership]]:
    """Districts per force (numbered within it, LSOA codes across the country) and CSPs."""
    shares = force_shares(partnerships)
    sizes = [csp_sizes(n) for n in shares]
    names = iter(district_names(sum(sum(s) for s in sizes), rng))
    by_force: list[list[District]] = []
    csps: list[Partnership] = []
    next_code = 1
    for f, force_sizes in enumerate(sizes):
        force_id = NATIONAL_FORCES[f][0]
        districts: list[District] = []
        for size in force_sizes:
            members = [next(names) for _ in range(size)]
            name = _csp_name(members)
            csps.append(Partnership(slugify(name), name, force_id, tuple(members)))
            for member in members:
                population = int(rng.integers(POPULATION_RANGE[0] // 100,
                                              POPULATION_RANGE[1] // 100 + 1)) * 100
                lsoas = lsoas_for(population)
                districts.append(District(len(districts) + 1, member, population, lsoas,
                                          code_start=next_code))
                next_code += lsoas
        by_force.append(districts)
    return by_force, csps


def _write_lookup(out_dir: Path, by_force: list[list[District]],
                  csps: list[Partnership]) -> str:
    """The district -> CSP -> force lookup in the ONS columns, with its byte-order mark.

    Names with a comma ("A, B and C") are quoted, as a CSV writer does.
    """
    csp_of = {d: (i, p) for i, p in enumerate(csps) for d in p.districts}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LOOKUP_HEADER.split(","))
    fid = 0
    for f, districts in enumerate(by_force):
        for d in districts:
            fid += 1
            i, p = csp_of[d.name]
            writer.writerow([f"E079{fid:05d}", d.name, f"E229{i + 1:05d}", p.name,
                             f"E239{f + 1:05d}", NATIONAL_FORCES[f][1], fid])
    (out_dir / LOOKUP_FILE).write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    return LOOKUP_FILE


def write_national(
    out_dir: Path,
    partnerships: int = DEFAULT_NATIONAL,
    months: int = DEFAULT_NATIONAL_MONTHS,
    last_month: str = "2025-12",
    seed: int = 20251231,
) -> NationalManifest:
    """Write the synthetic country under ``out_dir`` and say what was written.

    ``partnerships`` CSPs (:data:`MIN_NATIONAL` to :data:`MAX_NATIONAL`) over the
    ``months`` months ending ``last_month`` (at least :data:`MIN_MONTHS`).
    ``out_dir`` must be empty, new, or a previous demo (which is replaced).
    Raises ValueError for arguments out of range and CdrpError for a directory
    holding other files.
    """
    if not MIN_NATIONAL <= partnerships <= MAX_NATIONAL:
        raise ValueError(f"`partnerships` must be {MIN_NATIONAL} to {MAX_NATIONAL} with "
                         f"--national, got {partnerships}")
    if months < MIN_MONTHS:
        raise ValueError(f"`months` must be at least {MIN_MONTHS} (the DA repeat lookback "
                         f"needs 12 months of history), got {months}")
    last = Month.parse(last_month)
    first = last - (months - 1)
    month_list = list(month_range(first, last))
    out_dir = Path(out_dir)
    prepare_out_dir(out_dir)

    by_force, csps = _country(partnerships, np.random.default_rng([seed, 0]))
    everyone = [d for districts in by_force for d in districts]
    monthly, by_year = populations(everyone, month_list, np.random.default_rng([seed, 4]))
    gap, gap_force = gap_index(months), min(GAP_FORCE, len(by_force) - 1)
    files: list[str] = []
    police_rows, start = 0, 0
    owners, weights = [], []
    for f, districts in enumerate(by_force):
        force_id, force_name = NATIONAL_FORCES[f]
        police = write_police(out_dir, Force(force_id, force_name, _force_box(f)), districts,
                              month_list, monthly[:, start:start + len(districts)],
                              gap if f == gap_force else None,
                              np.random.default_rng([seed, 1, f]))
        files += police.files
        police_rows += police.rows
        owners.append(police.owner + start)
        weights.append(police.weights)
        start += len(districts)
    csp_of = {d: p.id for p in csps for d in p.districts}
    da_events = write_domestic_abuse(out_dir, everyone, [csp_of[d.name] for d in everyone],
                                     month_list, monthly, np.vstack(weights),
                                     np.concatenate(owners), np.random.default_rng([seed, 2]))
    survey_rows = write_survey(out_dir, [p.id for p in csps], month_list,
                               np.random.default_rng([seed, 3]))
    files += [DOMESTIC_ABUSE_FILE, SURVEY_FILE, write_population(out_dir, everyone, by_year),
              _write_lookup(out_dir, by_force, csps), "README.md"]
    manifest = NationalManifest(
        out_dir=out_dir, seed=seed, forces=tuple(f for f, _ in NATIONAL_FORCES[:len(by_force)]),
        partnerships=tuple(csps), districts=tuple(d.name for d in everyone),
        first_month=str(first), last_month=str(last),
        gap_force=NATIONAL_FORCES[gap_force][0], gap_month=str(month_list[gap]),
        files=tuple(sorted(files)),
        police_rows=police_rows, da_events=da_events, survey_rows=survey_rows)
    (out_dir / "README.md").write_text(_readme(manifest, months, partnerships), encoding="utf-8")
    return manifest


def _readme(manifest: NationalManifest, months: int, partnerships: int) -> str:
    multi = [p for p in manifest.partnerships if len(p.districts) > 1]
    forces = ", ".join(f"`{f}`" for f in manifest.forces)
    return f"""{README_MARKER}: the fictional country of {COUNTRY}

**Every number in this folder is SYNTHETIC.** It was generated by `cdrp demo-data --national`
(cdrp_lib/demo/national.py) to measure and test the bulletin pipeline at national scale. No
row describes a real crime, person, survey respondent or place: the districts, partnerships
and forces are fictional and the coordinates lie in the North Sea. Do not use it for any
analysis or decision.

Generated with: `cdrp demo-data --national --partnerships {partnerships} --months {months} \
--last-month {manifest.last_month} --seed {manifest.seed}` (same arguments, same bytes).

- Forces: {forces}; {len(manifest.partnerships)} partnerships (CSPs) of \
{len(manifest.districts)} districts, {len(multi)} of them spanning several districts \
(`{LOOKUP_FILE}` says which; `cdrp ingest` reads it and makes each CSP one \
partnership).
- Months: {manifest.first_month} to {manifest.last_month}. Publication gap: force \
`{manifest.gap_force}` has no file for **{manifest.gap_month}** on purpose.

| path | format | rows |
|---|---|---|
| `police_uk/YYYY-MM/YYYY-MM-<force>-street.csv` | data.police.uk street-level crime | \
{manifest.police_rows} |
| `{DOMESTIC_ABUSE_FILE}` | DA extract (docs/data.md) | {manifest.da_events} |
| `{SURVEY_FILE}` | survey, one row per answer, quarterly waves | {manifest.survey_rows} |
| `reference/population.csv` | `district,year,population` mid-year estimates | \
{len(manifest.districts) * (int(manifest.last_month[:4]) - int(manifest.first_month[:4]) + 1)} |
| `{LOOKUP_FILE}` | district -> CSP -> force, ONS lookup columns | {len(manifest.districts)} |
"""
