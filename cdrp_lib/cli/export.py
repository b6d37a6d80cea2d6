"""``cdrp export series``: the store's monthly series as CSV on stdout (cdrp_lib.store)."""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from cdrp_lib.store import DEFAULT_STORE  # light: the store imports duckdb only when used

HELP = "write the store's data as CSV to stdout (`cdrp export series`)"
SERIES_HEADER = ("partnership", "measure", "month", "value")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    series = sub.add_parser(
        "series", help="monthly series: partnership,measure,month,value (empty in a gap)",
        description="One row per partnership, measure and month, from the first to the last "
                    "month its force published; 0 when the force published and none fell in "
                    "the area; an empty value in a publication gap.")
    series.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback when the command fails")
    series.add_argument("--store", type=Path, default=DEFAULT_STORE, metavar="FILE",
                        help=f"the DuckDB store (default {DEFAULT_STORE})")
    series.add_argument("--partnership", metavar="ID", help="only this partnership")
    series.add_argument("--measure", metavar="ID", help="only this measure")
    series.add_argument("--from", dest="first", metavar="YYYY-MM", help="first month")
    series.add_argument("--to", dest="last", metavar="YYYY-MM", help="last month")


def format_value(value: float | None) -> str:
    """'' for a gap, ``12`` for a whole number (not ``12.0``), else the shortest exact text."""
    if value is None or math.isnan(value):
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def write_series(rows: Iterable[tuple[str, str, str, float | None]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SERIES_HEADER)
    for partnership, measure, month, value in rows:
        writer.writerow((partnership, measure, month, format_value(value)))


def run(args: argparse.Namespace) -> int:
    from cdrp_lib.errors import NotFoundError
    from cdrp_lib.periods import Month
    from cdrp_lib.store import Store

    first = str(Month.parse(args.first)) if args.first else None
    last = str(Month.parse(args.last)) if args.last else None
    with Store(args.store) as store:
        if args.partnership is not None and args.partnership not in dict(store.partnerships()):
            raise NotFoundError(f"no partnership {args.partnership!r} in {args.store} "
                                "(`cdrp export series` with no --partnership lists all)")
        if args.measure is not None and args.measure not in store.measures():
            raise NotFoundError(f"no series for measure {args.measure!r} in {args.store} "
                                f"(has {', '.join(store.measures()) or 'none'})")
        frame = store.series_frame(args.partnership, args.measure, first, last)
    rows = zip(frame["partnership"], frame["measure"], frame["month"], frame["value"],
               strict=True)
    write_series(((str(p), str(m), str(mo), None if v is None else float(v))
                  for p, m, mo, v in rows), sys.stdout)
    return 0
