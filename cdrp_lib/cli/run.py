"""``cdrp run``: make and publish the bulletins of a month with the Papermill batch.

The work is :func:`cdrp_lib.batch.run_batch`; this module maps options to it,
draws one progress bar on stderr (done, failed and remaining bulletins, ETA),
and ends with the summary table on stdout.  It exits 1 when any bulletin
failed, so a scheduled job notices, and 2, having written nothing, when another
``cdrp run`` is writing the same ``--outputs`` folder.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdrp_lib.batch import JobResult

HELP = "execute the theme notebooks per partnership and month, and publish the HTML bulletins"
THEME_NAMES = ("summary", "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def iso_date(text: str) -> str:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got {text!r}") from None


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """``--store``, ``--params`` and ``--notebooks``: what a page is made from (run, preview)."""
    parser.add_argument("--store", type=Path, default=Path("outputs/store.duckdb"),
                        help="the store (default: %(default)s)")
    parser.add_argument("--params", type=Path, default=Path("params"),
                        help="params folder (default: %(default)s)")
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"),
                        help="folder of the theme notebooks (default: %(default)s)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``cdrp run``."""
    parser.add_argument("--month", required=True, metavar="YYYY-MM",
                        help="the bulletin month, or 'latest' for the store's latest police month")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--partnership", dest="partnerships", nargs="+", metavar="ID",
                       help="partnership ids (as `cdrp export` lists them)")
    which.add_argument("--all", action="store_true", help="every partnership in the store")
    parser.add_argument("--themes", nargs="+", choices=THEME_NAMES, metavar="THEME",
                        help=f"pages to make (default all: {', '.join(THEME_NAMES)}); "
                             "the summary is always made")
    add_input_arguments(parser)
    parser.add_argument("--outputs", type=Path, default=Path("outputs"),
                        help="receives runs/ (executed notebooks, manifests) and site/ "
                             "(default: %(default)s)")
    parser.add_argument("--renderer", choices=("nbconvert", "quarto"), default="nbconvert",
                        help="HTML renderer; quarto falls back to nbconvert when not installed "
                             "(default: %(default)s)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                       help="local worker processes running bulletins in parallel "
                            "(default: %(default)s)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on a dask.distributed cluster instead (see the README)")
    parser.add_argument("--force", action="store_true",
                        help="re-make bulletins even when nothing they depend on changed")
    parser.add_argument("--no-preload", dest="fork_kernels", action="store_false",
                        help="start every kernel from scratch instead of forking it from a "
                             "process that has imported pandas, matplotlib and cdrp_lib "
                             "(slower; for comparison)")
    parser.add_argument("--produced-on", type=iso_date, metavar="YYYY-MM-DD",
                        help="the 'produced on' date printed on pages (default: today); "
                             "pin it for byte-identical re-runs")


class _TqdmProgress:
    """One tqdm bar over the bulletins that run, with done/failed/remaining counts."""

    def __init__(self, file: Any = None) -> None:
        self._file = file if file is not None else sys.stderr
        self._bar: Any = None
        self._ok = self._failed = self._remaining = 0

    def planned(self, total: int, skipped: int) -> None:
        from tqdm import tqdm

        self._remaining = total - skipped
        if skipped:
            print(f"{skipped} of {total} bulletins unchanged since published: skipped",
                  file=self._file)
        if self._remaining:
            self._bar = tqdm(total=self._remaining, file=self._file, unit="bulletin",
                             dynamic_ncols=True, disable=None)
            self._show()

    def _show(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(
                f"done {self._ok}, failed {self._failed}, remaining {self._remaining}")

    def finished(self, result: JobResult) -> None:
        from cdrp_lib.batch import JobStatus

        self._remaining -= 1
        if result.status is JobStatus.OK:
            self._ok += 1
        else:
            self._failed += 1
        if self._bar is not None:
            self._show()
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run(args: argparse.Namespace) -> int:
    """Run the batch, print the summary table; 1 if any bulletin failed."""
    from cdrp_lib.batch import BatchSettings, run_batch, summary_table

    root = Path.cwd()
    settings = BatchSettings(
        store=args.store.resolve(),
        params_dir=args.params.resolve(),
        notebooks_dir=args.notebooks.resolve(),
        outputs_dir=args.outputs.resolve(),
        project_root=root,
        produced_on=args.produced_on or datetime.date.today().isoformat(),
        renderer=args.renderer,
        fork_kernels=args.fork_kernels,
    )
    progress = _TqdmProgress()
    try:
        report = run_batch(
            settings,
            month=args.month,
            partnerships=None if args.all else args.partnerships,
            themes=args.themes,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            progress=progress,
        )
    finally:
        progress.close()
    print(summary_table(report))
    print(f"site: {_shown(report.index, root)}")
    print(f"manifest: {_shown(report.manifest, root)}")
    return 0 if report.ok else 1


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
