"""``cdrp demo-data``: write the synthetic Demoshire county, or with ``--national`` a country."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("write a deterministic SYNTHETIC demo county, a country with --national, or with "
        "--replica kettering-2009 the data of the model bulletin (police.uk files, DA, "
        "survey, partner agencies' series, population)")
DEFAULT_OUT = Path("data/raw/demo")
DEFAULT_DEMO_SEED = 20251231


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder to write (empty, new or an earlier demo; "
                             f"default {DEFAULT_OUT})")
    parser.add_argument("--national", action="store_true",
                        help="a fictional country instead of one county: 2 to 8 forces, "
                             "multi-district partnerships, one force with a publication gap")
    parser.add_argument("--replica", metavar="ID", default=None,
                        help="a replica of a model bulletin's data instead: kettering-2009 "
                             "(the Kettering December 2009 bulletin; its baselines exactly)")
    parser.add_argument("--partnerships", type=int, default=None,
                        help="number of partnerships: 1 to 44 fictional districts (default 6), "
                             "with --national 4 to 400 (default 300)")
    parser.add_argument("--months", type=int, default=None,
                        help="months of data, at least 13 (default 60, with --national 40)")
    parser.add_argument("--last-month", default="2025-12", metavar="YYYY-MM",
                        help="last month of the series (default 2025-12)")
    parser.add_argument("--seed", type=int, default=DEFAULT_DEMO_SEED,
                        help="random seed; the same arguments give byte-identical files")


def run(args: argparse.Namespace) -> int:
    if args.replica is not None:
        return _run_replica(args)
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


def _run_replica(args: argparse.Namespace) -> int:
    from cdrp_lib.demo.replica import DEFAULT_SEED, REPLICAS, write_replica
    from cdrp_lib.errors import CdrpError

    if args.national or args.partnerships or args.months:
        raise CdrpError("--replica writes one fixed dataset: leave out --national, "
                        "--partnerships and --months")
    if args.replica not in REPLICAS:
        raise CdrpError(f"--replica must be one of {', '.join(REPLICAS)}, got {args.replica!r}")
    seed = DEFAULT_SEED if args.seed == DEFAULT_DEMO_SEED else args.seed
    m = write_replica(args.out, args.replica, seed=seed)
    print(f"Wrote a SYNTHETIC replica of the data of {m.replica} ({m.first_month} to "
          f"{m.last_month}) to {m.out_dir}")
    print(f"  police_uk: {m.police_rows:,} rows; local/domestic_abuse.csv: {m.da_events:,} "
          f"events; local/survey_responses.csv: {m.survey_rows:,} answers; "
          f"local/series-*.csv: {m.series_rows:,} rows")
    print(f"  next: cdrp ingest {m.out_dir} && cdrp run --month {m.last_month} "
          f"--partnership {m.replica}")
    return 0
