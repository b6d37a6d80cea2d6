"""``cdrp demo-data``: write the synthetic Demoshire dataset (cdrp_lib.demo)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write a deterministic SYNTHETIC demo county (police.uk files, DA, survey, population)"
DEFAULT_OUT = Path("data/raw/demo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder to write (empty, new or an earlier demo; "
                             f"default {DEFAULT_OUT})")
    parser.add_argument("--partnerships", type=int, default=6,
                        help="number of fictional districts, 1 to 44 (default 6)")
    parser.add_argument("--months", type=int, default=60,
                        help="months of data, at least 13 (default 60)")
    parser.add_argument("--last-month", default="2025-12", metavar="YYYY-MM",
                        help="last month of the series (default 2025-12)")
    parser.add_argument("--seed", type=int, default=20251231,
                        help="random seed; the same arguments give byte-identical files")


def run(args: argparse.Namespace) -> int:
    from cdrp_lib.demo import write_demo

    manifest = write_demo(args.out, partnerships=args.partnerships, months=args.months,
                          last_month=args.last_month, seed=args.seed)
    police_files = sum(1 for f in manifest.files if f.startswith("police_uk/"))
    print(f"Wrote SYNTHETIC demo data for {len(manifest.districts)} fictional partnerships "
          f"({manifest.first_month} to {manifest.last_month}) to {manifest.out_dir}")
    print(f"  police_uk: {manifest.police_rows:,} rows in {police_files} monthly files "
          f"(publication gap: {manifest.gap_month})")
    print(f"  local/domestic_abuse.csv: {manifest.da_events:,} events; "
          f"local/survey_responses.csv: {manifest.survey_rows:,} answers")
    print(f"  partnerships: {', '.join(manifest.partnership_ids)}")
    return 0
