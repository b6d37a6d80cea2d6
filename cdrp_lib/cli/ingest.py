"""``cdrp ingest``: police.uk street files and local extracts into the store (cdrp_lib.ingest)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cdrp_lib.store import DEFAULT_STORE  # light: the store imports duckdb only when used

HELP = "read data.police.uk street files (folders, zips) and local extracts into the store"
DEFAULT_PARAMS = Path("params")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="street CSVs (YYYY-MM-<force>-street.csv), month folders, flat "
                             "folders or zips; domestic_abuse*.csv, survey*.csv, population*.csv")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE, metavar="FILE",
                        help=f"the DuckDB store to create or update (default {DEFAULT_STORE})")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS, metavar="DIR",
                        help="params folder with measures.yaml and partnerships/ "
                             f"(default {DEFAULT_PARAMS})")
    parser.add_argument("--strict", action="store_true",
                        help="write nothing and exit 1 if any row or file is rejected "
                             "(default: keep the good rows; exit 1 only for unreadable files)")


def run(args: argparse.Namespace) -> int:
    from cdrp_lib.ingest import format_report, ingest

    report = ingest(args.paths, store=args.store, params_dir=args.params, strict=args.strict)
    print(format_report(report))
    return report.exit_code
