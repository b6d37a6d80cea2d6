"""``cdrp fetch``: download a month's data.police.uk archive and install its street files.

The work is :func:`cdrp_lib.sources.fetch.fetch_month`; this module only maps
arguments to it, draws progress on stderr when that is a terminal, and prints a
one-line summary on stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Standard library only underneath, so importing it keeps `cdrp --help` fast.
from cdrp_lib.sources.fetch import DEFAULT_BASE_URL, DEFAULT_DEST, TIMEOUT_SECONDS

HELP = "download a month's street-level archive from data.police.uk (resumable, verified)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``cdrp fetch``."""
    parser.add_argument("--month", required=True, metavar="YYYY-MM",
                        help="the month to install (its archive holds every month up to it)")
    parser.add_argument(
        "--force", dest="forces", nargs="+", default=[], metavar="SLUG",
        help="only these police forces, as data.police.uk names them "
             "(e.g. northamptonshire city-of-london); default every force",
    )
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST,
                        help="folder receiving YYYY-MM/YYYY-MM-<force>-street.csv "
                             "(default: %(default)s)")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL,
                        help="site serving /data/archive/YYYY-MM.zip (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, metavar="SECONDS",
                        help="network timeout per connect or read (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    """Fetch, then print what was installed (or that nothing needed doing)."""
    from cdrp_lib.sources.fetch import fetch_month, progress_for

    progress = progress_for(sys.stderr, f"{args.month}.zip")
    try:
        result = fetch_month(args.month, dest=args.dest, forces=args.forces,
                             base_url=args.base_url, timeout=args.timeout, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    print(result.summary())
    return 0
