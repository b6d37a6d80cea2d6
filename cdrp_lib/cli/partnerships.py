"""``cdrp partnerships``: the partnerships the store can report on, and for which months."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "list the partnerships the store can report on: districts, forces, months covered"
DEFAULT_STORE = Path("outputs/store.duckdb")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE,
                        help=f"the store written by `cdrp ingest` (default {DEFAULT_STORE})")
    parser.add_argument("--month", metavar="YYYY-MM", default=None,
                        help="only the partnerships every force of which published this month")


def format_coverage(rows: list[tuple[str, str, str, str, str]]) -> str:
    """A fixed-width table: id, districts, forces, months, source."""
    header = ("partnership", "districts", "force", "months covered", "source")
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  "
                     + r[-1] for r in table)


def run(args: argparse.Namespace) -> int:
    from cdrp_lib.coverage import coverage
    from cdrp_lib.errors import NotFoundError
    from cdrp_lib.periods import Month
    from cdrp_lib.store import Store

    if not args.store.is_file():
        raise NotFoundError(f"{args.store}: no store; run `cdrp ingest` first")
    month = None if args.month is None else str(Month.parse(args.month))
    with Store(args.store) as store:
        found = [c for c in coverage(store.con, month) if c.months]
    if not found:
        print("No partnership can be reported" + (f" for {month}" if month else "")
              + ": no force policing a partnership's districts published then.")
        return 0
    print(format_coverage([(c.id, ", ".join(c.districts) or "(LSOA list)", ", ".join(c.forces),
                            c.span, c.source) for c in found]))
    return 0
