"""``cdrp run``: make and publish the bulletins of a month with the Papermill batch.

The work is :func:`cdrp_lib.batch.run_batch`; this module maps options to it,
draws one progress bar on stderr (done, failed and remaining bulletins, ETA),
and ends with the summary table on stdout.  It exits 1 when any bulletin
failed, so a scheduled job notices, and 2, having written nothing, when another
``cdrp run`` is writing the same ``--outputs`` folder.  Ctrl-C and SIGTERM stop
it alike, and it still prints the table and the manifest (exit 130 or 143).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdrp_lib.batch import BatchReport, JobResult

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
    parser.add_argument("--month", metavar="YYYY-MM",
                        help="the bulletin month, or 'latest' for the store's latest police month "
                             "(with --stale: only that month's)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--partnership", dest="partnerships", nargs="+", metavar="ID",
                       help="partnership ids (as `cdrp export` lists them)")
    which.add_argument("--all", action="store_true", help="every partnership in the store")
    which.add_argument("--stale", action="store_true",
                       help="every published bulletin made from older inputs (the index marks "
                            "them), whatever its month")
    which.add_argument("--resume", action="store_true",
                       help="finish the last run's unfinished bulletins (interrupted or killed), "
                            "with its --force, without redoing what it completed")
    parser.add_argument("--themes", nargs="+", metavar="THEME",
                        help=f"pages to make, by theme id (default all: the partnership's "
                             f"theme list, by default {', '.join(THEME_NAMES)}); "
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
    parser.add_argument("--no-kernels-ahead", dest="kernels_ahead", action="store_false",
                        help="start each page's kernel when the page starts, not while the "
                             "bulletin's page before it runs (slower; for comparison)")
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

        if result.attempts == 0 and result.status is JobStatus.FAILED:  # refused when planned
            self._say(f"{result.partnership} {result.month}: {result.error}")
        self._remaining -= 1
        if result.status is JobStatus.OK:
            self._ok += 1
        else:
            self._failed += 1
        if self._bar is not None:
            self._show()
            self._bar.update(1)

    def _say(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=self._file)
        else:
            print(line, file=self._file)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run(args: argparse.Namespace) -> int:
    """Run the batch, print the summary table; 1 if any bulletin failed.

    Ctrl-C and SIGTERM stop the batch the same way (its workers stop with it)
    and still print the table and the manifest: exit 130 and 143, as a shell
    reports a process ended by those signals.
    """
    from cdrp_lib.batch import BatchInterrupted, BatchSettings, run_batch

    if args.month is None and not (args.stale or args.resume):
        print("cdrp run: error: --month is required (except with --stale or --resume)",
              file=sys.stderr)
        return 2
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
        kernels_ahead=args.kernels_ahead,
    )
    from cdrp_lib.coverage import stale_measures_message

    stale = stale_measures_message(settings.store, settings.params_dir)
    if stale:
        print(stale, file=sys.stderr)
    progress = _TqdmProgress()
    stopped_by: list[int] = []
    try:
        with _sigterm_as_interrupt(stopped_by):
            report = run_batch(
                settings,
                month=args.month,
                partnerships=None if args.all else args.partnerships,
                themes=args.themes,
                workers=args.workers,
                scheduler=args.scheduler,
                force=args.force,
                progress=progress,
                stale=args.stale,
                resume=args.resume,
            )
    except BatchInterrupted as stop:
        progress.close()
        _print_report(stop.report, root)
        signum = stopped_by[0] if stopped_by else signal.SIGINT
        print(f"cdrp run: stopped by {signal.Signals(signum).name}; `cdrp run --resume` "
              "finishes it", file=sys.stderr)
        return 128 + signum
    except KeyboardInterrupt:
        if not stopped_by:
            raise  # Ctrl-C while planning: the CLI's own "interrupted" line and exit 130
        # SIGTERM before any bulletin started (while planning): nothing ran and nothing
        # was written, but the exit code still says which signal stopped it.
        progress.close()
        signum = stopped_by[0]
        print(f"cdrp run: stopped by {signal.Signals(signum).name} while planning; no "
              "bulletin was started", file=sys.stderr)
        return 128 + signum
    finally:
        progress.close()
    _print_report(report, root)
    return 0 if report.ok else 1


def _print_report(report: BatchReport, root: Path) -> None:
    from cdrp_lib.batch import summary_table

    print(summary_table(report))
    print(f"site: {_shown(report.index, root)}")
    print(f"manifest: {_shown(report.manifest, root)}", flush=True)


@contextlib.contextmanager
def _sigterm_as_interrupt(stopped_by: list[int]) -> Iterator[None]:
    """Handle SIGTERM as Ctrl-C for the ``with`` block; ``stopped_by`` gets the signal.

    A service manager or ``kill`` stops the batch as a user at the terminal
    would: workers stopped, the manifest, index and summary written.
    """
    def interrupt(signum: int, frame: FrameType | None) -> None:
        del frame
        stopped_by.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # handlers: main thread only
        yield
        return
    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
