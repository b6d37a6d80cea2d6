"""One batch from request to report: plan, skip what is current, run, record, index.

:func:`run_batch` is what ``cdrp run`` calls.  It never raises for a bulletin
that fails (that is in the report); it raises for a request it cannot plan
(unknown partnership, missing notebook...) and re-raises ``KeyboardInterrupt``
after writing the manifest and the index, so an interrupted batch still says
what it finished.  Finished bulletins are published with their key as they
finish, so running the same command again resumes where it stopped.  One batch
at a time writes an outputs folder (:func:`hold_outputs`).
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cdrp_lib.batch.executors import DaskCluster, Executor, LocalWorkers, run_all
from cdrp_lib.batch.jobs import BatchSettings, Job, JobResult, JobStatus
from cdrp_lib.batch.manifest import manifest_document, rebuild_index, write_manifest
from cdrp_lib.batch.plan import is_current, plan_jobs, read_store_facts, without_data
from cdrp_lib.locking import exclusive, folder_label, outputs_lock_file

LOG_DIR = "logs"
# Widest error shown in the terminal summary (the manifest keeps the whole line).
SUMMARY_ERROR_CHARS = 120


@dataclass(frozen=True)
class BatchReport:
    """The outcome of a batch: one result per planned bulletin, in plan order."""

    run_id: str
    jobs: tuple[Job, ...]
    results: tuple[JobResult, ...]
    manifest: Path
    index: Path
    seconds: float
    left_out: tuple[str, ...] = ()  # partnerships with no data, left out of ``--all``

    def count(self, status: JobStatus) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def ok(self) -> bool:
        """True when nothing failed or was interrupted."""
        return all(r.status in (JobStatus.OK, JobStatus.SKIPPED) for r in self.results)


class BatchProgress(Protocol):
    """What a progress display is told (the CLI's tqdm bar is one)."""

    def planned(self, total: int, skipped: int) -> None:
        """Called once: ``total`` bulletins, of which ``skipped`` are already current."""

    def finished(self, result: JobResult) -> None:
        """Called as each bulletin that ran ends, with its final result."""


class NoProgress:
    """A progress display that shows nothing."""

    def planned(self, total: int, skipped: int) -> None:
        del total, skipped

    def finished(self, result: JobResult) -> None:
        del result


def new_run_id(now: datetime.datetime | None = None) -> str:
    """``20251231T101112Z-12345``: sortable by time, unique per process."""
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}"


def _skipped(job: Job) -> JobResult:
    return JobResult(job.partnership, job.month, JobStatus.SKIPPED, attempts=0)


def make_executor(
    to_run: Sequence[Job], settings: BatchSettings, run_id: str, workers: int,
    scheduler: str | None,
) -> Executor:
    """A dask cluster client when ``scheduler`` is given, else ``workers`` local processes."""
    if scheduler:
        return DaskCluster(scheduler)
    return LocalWorkers(min(workers, max(len(to_run), 1)), settings.runs_dir / LOG_DIR, run_id,
                        fork_kernels=settings.fork_kernels)


def hold_outputs(outputs_dir: Path) -> AbstractContextManager[None]:
    """The lock on the outputs folder, which one batch holds at a time.

    Held from planning to the manifest: two batches into one folder would both
    make the same bulletins, race each other's swaps and index rebuilds, and
    plan from a site the other is changing.  A second ``cdrp run`` fails at once
    naming the first (:class:`~cdrp_lib.errors.InUseError`).  The workers, local
    or on a dask cluster, only ever work for the process holding it.
    """
    outputs_dir.mkdir(parents=True, exist_ok=True)
    return exclusive(outputs_lock_file(outputs_dir), what=folder_label(outputs_dir),
                     activity="cdrp run",
                     hint="wait for it to finish, or point --outputs elsewhere")


def run_batch(
    settings: BatchSettings,
    *,
    month: str,
    partnerships: Sequence[str] | None,
    themes: Sequence[str] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    progress: BatchProgress | None = None,
    executor_factory: Callable[[Sequence[Job]], Executor] | None = None,
) -> BatchReport:
    """Make the bulletins of ``partnerships`` (``None``: all) for ``month`` and publish them.

    A bulletin whose published key equals its inputs' key is skipped unless
    ``force``.  ``executor_factory`` replaces the local/dask choice (tests).
    Raises :class:`~cdrp_lib.errors.InUseError`, having written nothing, while
    another batch holds the outputs folder (:func:`hold_outputs`).
    """
    if workers < 1:
        raise ValueError(f"`--workers` must be at least 1, got {workers}")
    with hold_outputs(settings.outputs_dir):
        progress = progress if progress is not None else NoProgress()
        started = datetime.datetime.now(datetime.UTC)
        t0 = time.perf_counter()
        run_id = new_run_id(started)
        facts = read_store_facts(settings.store)
        jobs = plan_jobs(settings, month=month, partnerships=partnerships, themes=themes,
                         facts=facts)
        left_out = tuple(without_data(facts)) if partnerships is None else ()
        to_run = list(jobs) if force else [j for j in jobs if not is_current(j)]
        running = {(j.partnership, j.month) for j in to_run}
        done: dict[tuple[str, str], JobResult] = {
            (j.partnership, j.month): _skipped(j) for j in jobs
            if (j.partnership, j.month) not in running}
        progress.planned(len(jobs), len(done))

        def finished(result: JobResult) -> None:
            done[(result.partnership, result.month)] = result
            progress.finished(result)

        interrupted = False
        if to_run:
            executor = (executor_factory(to_run) if executor_factory is not None
                        else make_executor(to_run, settings, run_id, workers, scheduler))
            try:
                run_all(executor, to_run, finished)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                executor.close()
        results = tuple(
            done.get((j.partnership, j.month))
            or JobResult(j.partnership, j.month, JobStatus.INTERRUPTED, attempts=0,
                         error="the batch was interrupted before this bulletin finished")
            for j in jobs)
        failures = [(j, r) for j, r in zip(jobs, results, strict=True)
                    if r.status is JobStatus.FAILED]
        index = rebuild_index(settings.site_dir, failures)
        seconds = time.perf_counter() - t0
        request = {
            "month": month,
            "resolved_month": jobs[0].month if jobs else None,
            "partnerships": list(partnerships) if partnerships is not None else "all",
            "themes": list(jobs[0].themes) if jobs else list(themes or []),
            "workers": workers,
            "scheduler": scheduler,
            "force": force,
            "interrupted": interrupted,
            "left_out_without_data": list(left_out),
        }
        timing = {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
        }
        manifest = write_manifest(settings, run_id, manifest_document(
            run_id, settings, request, jobs, results, timing))
        if interrupted:
            raise KeyboardInterrupt
        return BatchReport(run_id, tuple(jobs), results, manifest, index, seconds, left_out)


def summary_table(report: BatchReport) -> str:
    """The end-of-batch table: partnership, month, status, seconds, error."""
    header = ("partnership", "month", "status", "seconds", "error")
    rows = [header]
    for r in report.results:
        error = r.error or ""
        if len(error) > SUMMARY_ERROR_CHARS:
            error = error[: SUMMARY_ERROR_CHARS - 1] + "…"
        status = r.status.value + (f" ({r.attempts} attempts)" if r.attempts > 1 else "")
        rows.append((r.partnership, r.month, status, f"{r.seconds:.1f}", error))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) if i != 3 else row[i].rjust(widths[i]) for i in range(4)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  -----")
    totals = (f"{len(report.results)} bulletins: {report.count(JobStatus.OK)} made, "
              f"{report.count(JobStatus.SKIPPED)} unchanged, {report.count(JobStatus.FAILED)} "
              f"failed")
    interrupted = report.count(JobStatus.INTERRUPTED)
    if interrupted:
        totals += f", {interrupted} interrupted"
    notes = [f"{r.partnership} {r.month}: {r.note}" for r in report.results if r.note]
    notes.append(f"{totals} in {report.seconds:.1f} s")
    if report.left_out:
        notes.append(f"left out, no data in the store: {', '.join(report.left_out)}")
    return "\n".join([*lines, "", *notes])

