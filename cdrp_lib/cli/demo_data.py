"""``cdrp demo-data``: write the synthetic Demoshire county, or with ``--national`` a country."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("write a deterministic SYNTHETIC demo county, or a country with --national "
        "(police.uk files, DA, survey, population)")
DEFAULT_OUT = Path("data/raw/demo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder to write (empty, new or an earlier demo; "
                             f"default {DEFAULT_OUT})")
    parser.add_argument("--national", action="store_true",
                        help="a fictional country instead of one county: 2 to 8 forces, "
                             "multi-district partnerships, one force with a publication gap")
    parser.add_argument("--partnerships", type=int, default=None,
                        help="number of partnerships: 1 to 44 fictional districts (default 6), "
                             "with --national 4 to 400 (default 300)")
    parser.add_argument("--months", type=int, default=None,
                        help="months of data, at least 13 (default 60, with --national 40)")
    parser.add_argument("--last-month", default="2025-12", metavar="YYYY-MM",
                        help="last month of the series (default 2025-12)")
    parser.add_argument("--seed", type=int, default=20251231,
                        help="random seed; the same arguments give byte-identical files")


def run(args: argparse.Namespace) -> int:
    if args.national:
        return _run_national(args)
    from cdrp_lib.demo import write_demo

    manifest = write_demo(args.out, partnerships=args.partnerships or 6,
                          months=args.months or 60, last_month=args.last_month, seed=args.seed)
    police_files = sum(1 for f in manifest.files if f.startswith("police_uk/"))
    print(f"Wrote SYNTHETIC demo data for {len(manifest.districts)} fictional partnerships "
          f"({manifest.first_month} to {manifest.last_month}) to {manifest.out_dir}")
    print(f"  police_uk: {manifest.police_rows:,} rows in {police_files} monthly files "
          f"(publication gap: {manifest.gap_month})")
    print(f"  local/domestic_abuse.csv: {manifest.da_events:,} events; "
          f"local/survey_responses.csv: {manifest.survey_rows:,} answers")
    print(f"  partnerships: {', '.join(manifest.partnership_ids)}")
    return 0


def _run_national(args: argparse.Namespace) -> int:
    from cdrp_lib.demo.national import (
        DEFAULT_NATIONAL,
        DEFAULT_NATIONAL_MONTHS,
        write_national,
    )

    manifest = write_national(args.out, partnerships=args.partnerships or DEFAULT_NATIONAL,
                              months=args.months or DEFAULT_NATIONAL_MONTHS,
                              last_month=args.last_month, seed=args.seed)
    multi = sum(1 for p in manifest.partnerships if len(p.districts) > 1)
    police_files = sum(1 for f in manifest.files if f.startswith("police_uk/"))
    print(f"Wrote SYNTHETIC national demo data: {len(manifest.partnerships)} fictional "
          f"partnerships ({multi} of several districts; {len(manifest.districts)} districts) "
          f"in {len(manifest.forces)} forces, {manifest.first_month} to {manifest.last_month}, "
          f"to {manifest.out_dir}")
    print(f"  police_uk: {manifest.police_rows:,} rows in {police_files} monthly files "
          f"(publication gap: {manifest.gap_force} {manifest.gap_month})")
    print(f"  local/domestic_abuse.csv: {manifest.da_events:,} events; "
          f"local/survey_responses.csv: {manifest.survey_rows:,} answers")
    print(f"  forces: {', '.join(manifest.forces)}")
    return 0
