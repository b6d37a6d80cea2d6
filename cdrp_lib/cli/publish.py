"""``cdrp publish DEST``: copy the checked site into a share or web root atomically.

The site is checked first (links, leaks, accessibility structure) and not
published if any problem is found, unless ``--no-check``.  What the check learnt
of each file is kept beside the site (``.<site name>.check-cache.json``, never
published), so publishing again parses only the files that changed; links
between files are resolved afresh every time.  Readers of DEST see
the old publication or the new one, never a half-copied site; the replaced one
is kept beside DEST as ``<DEST>.previous``.  A second publication to the same
DEST while one is under way fails at once, naming the first (exit 2); so does a
publication while a ``cdrp run`` is writing the site, unless ``--wait``, which
says it waits and for which run, and publishes once the run has finished.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "copy the bulletin site into DEST (a share or web root) so readers never see a half copy"
DEFAULT_SITE = Path("outputs/site")
SHOWN_PROBLEMS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", type=Path, metavar="DEST",
                        help="destination folder (inside a mounted share or a web root)")
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE,
                        help=f"the site folder to publish (default {DEFAULT_SITE})")
    parser.add_argument("--no-check", action="store_true",
                        help="publish even if the site check finds problems")
    parser.add_argument("--wait", action="store_true",
                        help="if a `cdrp run` is writing the site, wait for it to finish "
                             "(default: refuse at once, naming it)")


def run(args: argparse.Namespace) -> int:
    from cdrp_lib.site import PREVIOUS_SUFFIX, check_cache_file, check_site, publish_site

    def waiting(holder: str) -> None:
        print(f"cdrp publish: waiting for {holder} to finish with {args.site}",
              file=sys.stderr, flush=True)

    if not args.no_check:
        problems = check_site(args.site, cache_file=check_cache_file(args.site))
        if problems:
            for line in problems[:SHOWN_PROBLEMS]:
                print(line, file=sys.stderr)
            more = len(problems) - SHOWN_PROBLEMS
            if more > 0:
                print(f"... and {more} more", file=sys.stderr)
            print(f"cdrp publish: {len(problems)} problem(s) in {args.site}; nothing published "
                  "(fix them, or use --no-check)", file=sys.stderr)
            return 1
    had_previous = args.dest.exists()
    dest = publish_site(args.site, args.dest, waiting=waiting if args.wait else None)
    files = sum(1 for p in dest.rglob("*") if p.is_file())
    kept = (f"; the previous publication is kept as {dest.name}{PREVIOUS_SUFFIX}"
            if had_previous else "")
    print(f"Published {files} files to {args.dest}{kept}")
    return 0
