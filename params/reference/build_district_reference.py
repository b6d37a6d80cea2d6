"""Rebuild the shipped reference tables from the ONS files (run by hand, not at run time).

    python params/reference/build_district_reference.py ../shared/data/ons cdrp_lib/data

Reads the January 2017 LAD -> CSP -> PFA lookup, applies every district change
since (listed in ``CHANGES`` below, with the month each took effect), and writes

* ``districts.csv``: every district name an LSOA name can begin with (2011 and
  2021 vintages, and the short forms data.police.uk uses) -> the district that
  covers it today -> today's CSP -> police force area -> data.police.uk force id;
* ``district-population.csv``: the population of every current district from
  the ONS mid-2019 estimates (2018 and 2019) and Census 2011, summing former
  districts for councils formed later.

Standard library only, so that it documents itself and needs nothing installed.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

# (new district code, new name, CSP name, month in force, former districts)
CHANGES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("E06000058", "Bournemouth, Christchurch and Poole", "Bournemouth, Christchurch and Poole",
     "2019-04", ("Bournemouth", "Christchurch", "Poole")),
    ("E06000059", "Dorset", "Dorset", "2019-04",
     ("East Dorset", "North Dorset", "Purbeck", "West Dorset", "Weymouth and Portland")),
    ("E07000244", "East Suffolk", "East Suffolk", "2019-04", ("Suffolk Coastal", "Waveney")),
    ("E07000245", "West Suffolk", "Western Suffolk", "2019-04",
     ("Forest Heath", "St Edmundsbury")),
    ("E07000246", "Somerset West and Taunton", "Somerset", "2019-04",
     ("Taunton Deane", "West Somerset")),
    ("E06000060", "Buckinghamshire", "Buckinghamshire", "2020-04",
     ("Aylesbury Vale", "Chiltern", "South Bucks", "Wycombe")),
    ("E06000061", "North Northamptonshire", "North Northamptonshire", "2021-04",
     ("Corby", "East Northamptonshire", "Kettering", "Wellingborough")),
    ("E06000062", "West Northamptonshire", "West Northamptonshire", "2021-04",
     ("Daventry", "Northampton", "South Northamptonshire")),
    ("E06000063", "Cumberland", "Cumberland", "2023-04", ("Allerdale", "Carlisle", "Copeland")),
    ("E06000064", "Westmorland and Furness", "Westmorland and Furness", "2023-04",
     ("Barrow-in-Furness", "Eden", "South Lakeland")),
    ("E06000065", "North Yorkshire", "North Yorkshire", "2023-04",
     ("Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough", "Selby")),
    ("E06000066", "Somerset", "Somerset", "2023-04",
     ("Mendip", "Sedgemoor", "South Somerset", "Somerset West and Taunton")),
)
# Renamed with the same code (Shepway became Folkestone and Hythe in April 2018).
RENAMES: tuple[tuple[str, str, str], ...] = (("Shepway", "Folkestone and Hythe", "2018-04"),)
# Short forms data.police.uk LSOA names use for ONS names with a qualifier.
LSOA_NAME_FORMS: dict[str, str] = {
    "Bristol": "Bristol, City of",
    "Herefordshire": "Herefordshire, County of",
    "Kingston upon Hull": "Kingston upon Hull, City of",
    "The Vale of Glamorgan": "Vale of Glamorgan",
}
# Census 2011 names that differ from the mid-2019 ones.
CENSUS_NAME_FORMS: dict[str, str] = {
    "King\u2019s Lynn and West Norfolk": "King's Lynn and West Norfolk",
    "The Vale of Glamorgan": "Vale of Glamorgan",
}
# ONS police force area name -> data.police.uk force id (the rest: lowercase, hyphens).
FORCE_IDS = {"Devon & Cornwall": "devon-and-cornwall", "London, City of": "city-of-london",
             "Metropolitan Police": "metropolitan"}
HEADER = ("district", "district_code", "current_district", "csp", "force_area", "force",
          "changed")


def force_id(area: str) -> str:
    return FORCE_IDS.get(area) or re.sub(r"[^a-z0-9]+", "-", area.lower()).strip("-")


def districts(lookup: Path) -> list[tuple[str, ...]]:
    with lookup.open(encoding="utf-8-sig", newline="") as f:
        rows = {r["LAD17NM"]: r for r in csv.DictReader(f)}
    current: dict[str, tuple[str, str, str, str]] = {  # name -> code, csp, area, changed
        name: (r["LAD17CD"], r["CSP17NM"], r["PFA17NM"], "") for name, r in rows.items()}
    successor: dict[str, tuple[str, str]] = {}  # former name -> (new name, month)
    for old, new, month in RENAMES:
        code, csp, area, _ = current.pop(old)
        current[new] = (code, new if csp == old else csp, area, month)
        successor[old] = (new, month)
    for code, new, csp, month, former in CHANGES:
        areas = {current[f][2] for f in former}
        assert len(areas) == 1, (new, areas)
        for f in former:
            current.pop(f)
            successor[f] = (new, month)
        current[new] = (code, csp, areas.pop(), month)

    def today(name: str) -> str:
        while name in successor:
            name = successor[name][0]
        return name

    codes = {name: r["LAD17CD"] for name, r in rows.items()}
    codes.update({new: code for code, new, *_ in CHANGES})
    codes.update({new: codes[old] for old, new, _ in RENAMES})
    out = []
    for name in sorted({*current, *successor}):
        now = today(name)
        _, csp, area, _ = current[now]
        changed = successor[name][1] if name in successor else ""
        out.append((name, codes[name], now, csp, area, force_id(area), changed))
    for short, full in LSOA_NAME_FORMS.items():
        row = next(r for r in out if r[0] == full)
        out.append((short, *row[1:]))
    return sorted(out)


def _counts(path: Path, year_columns: bool) -> dict[tuple[str, int], int]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.reader(f))
    out: dict[tuple[str, int], int] = {}
    if not year_columns:  # Census 2011: "Local Authority,Population"
        for r in records[1:]:
            if len(r) >= 2 and r[1].strip().isdigit():
                out[(re.sub(r"\s+UA$", "", r[0].strip()), 2011)] = int(r[1])
        return out
    at = next(i for i, r in enumerate(records) if r[:2] == ["Code", "Name"])
    header = [" ".join(c.split()) for c in records[at]]
    years = {i: int(m.group(1)) for i, c in enumerate(header)
             if (m := re.fullmatch(r"Estimated Population mid-(\d{4})", c))}
    for r in records[at + 1:]:
        if re.fullmatch(r"[EW]0[6789]\d{6}", r[0].strip()):
            for i, year in years.items():
                out[(r[1].strip(), year)] = int(r[i].replace(",", ""))
    return out


def population(ons: Path, table: list[tuple[str, ...]]) -> list[tuple[str, str, int, int, str]]:
    counts = _counts(ons / "population-mid2019-lad.csv", True)
    counts.update(_counts(ons / "population-census2011-lad.csv", False))
    for census, ons in CENSUS_NAME_FORMS.items():
        if (census, 2011) in counts:
            counts[(ons, 2011)] = counts.pop((census, 2011))
    current = {r[0]: r[1] for r in table if r[0] not in LSOA_NAME_FORMS}
    former: dict[str, list[str]] = {new: list(old) for _, new, _, _, old in CHANGES}
    former.update({new: [old] for old, new, _ in RENAMES})

    def value(name: str, year: int) -> tuple[int, str] | None:
        if (name, year) in counts:
            return counts[(name, year)], "ONS"
        parts = [value(f, year) for f in former.get(name, [])]
        if parts and all(parts):
            return sum(p[0] for p in parts if p), "sum of former districts"
        return None

    out = []
    for name, code in sorted(current.items()):
        for year in (2011, 2018, 2019):
            found = value(name, year)
            if found:
                out.append((name, code, year, found[0], found[1]))
    return out


def main(ons: Path, dest: Path) -> None:
    table = districts(ons / "lad-to-csp-to-pfa-2017.csv")
    with (dest / "districts.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(table)
    with (dest / "district-population.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("district", "district_code", "year", "population", "basis"))
        w.writerows(population(ons, table))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
