"""One batch from request to report: plan, skip what is current, run, record, index.

:func:`run_batch` is what ``cdrp run`` calls.  It never raises for a bulletin
that fails (that is in the report); it raises for a request it cannot plan
(unknown partnership, missing notebook, a params file every bulletin reads that
does not validate) and raises :class:`BatchInterrupted` (a ``KeyboardInterrupt``
carrying the report) after writing the manifest and the index, so an
interrupted batch still says what it finished.  Finished bulletins are
published with their key as they finish, so running the same command again
resumes where it stopped (``--resume`` finishes a ``--force`` run).  One batch
at a time writes an outputs folder (:func:`hold_outputs`), and only it: its
workers publish nothing once it no longer holds the lock.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from cdrp_lib.batch.checks import check_params
from cdrp_lib.batch.executors import DaskCluster, Executor, LocalWorkers, run_all
from cdrp_lib.batch.jobs import BatchSettings, Job, JobResult, JobStatus
from cdrp_lib.batch.manifest import (
    MANIFEST_DIR,
    ManifestTexts,
    manifest_head,
    manifest_text,
    published_records,
    rebuild_index,
    record_outcome,
    write_manifest,
)
from cdrp_lib.batch.plan import LATEST, is_current, plan_jobs, read_store_facts, without_data
from cdrp_lib.batch.selection import Wanted, plan_wanted, unfinished
from cdrp_lib.batch.stale import stale_bulletins
from cdrp_lib.errors import CdrpError
from cdrp_lib.locking import exclusive, folder_label, outputs_lock_file
from cdrp_lib.site import one_line_error

LOG_DIR = "logs"
# The staging folder of a bulletin in its runs folder (Job.staging_dir).
STAGING = "site"
# Room kept on the disk for the last index and manifest (see _Recorder.reserve).
RESERVE_BYTES = 1 << 20
RESERVE_BYTES_PER_JOB = 1 << 13
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
    stale: int = 0  # published bulletins made from older inputs (``cdrp run --stale``)
    warnings: tuple[str, ...] = ()  # what the batch could not record (a full disk)

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


def hold_outputs(outputs_dir: Path, token: str = "") -> AbstractContextManager[None]:
    """The lock on the outputs folder, which one batch holds at a time.

    Held from planning to the manifest: two batches into one folder would both
    make the same bulletins, race each other's swaps and index rebuilds, and
    plan from a site the other is changing.  A second ``cdrp run`` fails at once
    naming the first (:class:`~cdrp_lib.errors.InUseError`).  The workers, local
    or on a dask cluster, only ever work for the process holding it: ``token``
    is recorded with the lock, and a job publishes only while the lock is held
    with its batch's token (:func:`cdrp_lib.batch.execute.check_batch_alive`).
    """
    outputs_dir.mkdir(parents=True, exist_ok=True)
    return exclusive(outputs_lock_file(outputs_dir), what=folder_label(outputs_dir),
                     activity="cdrp run", token=token,
                     hint="wait for it to finish, or point --outputs elsewhere")


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, which ``cdrp run`` turns into it) stopped the batch; ``report``
    says what it finished, and the manifest and index were written."""

    def __init__(self, report: BatchReport) -> None:
        super().__init__()
        self.report = report


def clean_leftovers(settings: BatchSettings) -> None:
    """Remove staging folders a killed batch left (it held the lock, so nobody uses them now).

    Bulletin staging folders under ``runs/``, half-copied swaps beside
    bulletin folders in ``site/`` (``.<month>.staging-*``) and the room a
    killed batch kept for its manifest: on a full disk they are what keeps it full.
    """
    for pattern in (f"*/*/{STAGING}", "*/.*.staging-*", "*/.*.old-*"):
        base = settings.runs_dir if pattern.endswith(STAGING) else settings.site_dir
        for folder in base.glob(pattern) if base.is_dir() else []:
            shutil.rmtree(folder, ignore_errors=True)
    manifests = settings.runs_dir / MANIFEST_DIR
    for reserve in manifests.glob(".*.reserve") if manifests.is_dir() else []:
        reserve.unlink(missing_ok=True)


def run_batch(
    settings: BatchSettings,
    *,
    month: str | None,
    partnerships: Sequence[str] | None,
    themes: Sequence[str] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    progress: BatchProgress | None = None,
    executor_factory: Callable[[Sequence[Job]], Executor] | None = None,
    stale: bool = False,
    resume: bool = False,
) -> BatchReport:
    """Make the bulletins of ``partnerships`` (``None``: all) for ``month`` and publish them.

    A bulletin whose published key equals its inputs' key is skipped unless
    ``force``.  ``stale`` makes every published bulletin made from older inputs
    instead (``month``, when given, only that month's), ``resume`` the
    bulletins the newest run did not finish, with that run's ``force``
    (:mod:`cdrp_lib.batch.selection`).  ``executor_factory`` replaces the
    local/dask choice (tests).  Raises :class:`~cdrp_lib.errors.InUseError`,
    having written nothing, while another batch holds the outputs folder
    (:func:`hold_outputs`), and :class:`BatchInterrupted` (a KeyboardInterrupt)
    carrying the report when interrupted.  The manifest is written once the
    batch is planned, as each bulletin ends and at the end, so even a killed
    batch leaves one saying what it finished.
    """
    if workers < 1:
        raise ValueError(f"`--workers` must be at least 1, got {workers}")
    started = datetime.datetime.now(datetime.UTC)
    run_id = new_run_id(started)
    token = f"{run_id}-{secrets.token_hex(4)}"
    settings = replace(settings, run_token=token)
    with hold_outputs(settings.outputs_dir, token):
        progress = progress if progress is not None else NoProgress()
        t0 = time.perf_counter()
        clean_leftovers(settings)
        facts = read_store_facts(settings.store)
        check = check_params(settings.params_dir, [p.id for p in facts.partnerships])
        if resume:
            last = unfinished(settings)
            force = last.force
            jobs = plan_wanted(settings, facts, last.wanted, check.references)
        elif stale:
            found = stale_bulletins(settings, facts, published_records(settings.site_dir),
                                    check.references)
            jobs = plan_wanted(settings, facts, [
                Wanted(s.partnership, s.month, s.themes) for s in found
                if month is None or s.month == month], check.references)
        else:
            jobs = plan_jobs(settings, month=month or LATEST, partnerships=partnerships,
                             themes=themes, facts=facts, references=check.references)
        left_out = tuple(without_data(facts)) if partnerships is None and not (
            stale or resume) else ()
        done: dict[tuple[str, str], JobResult] = {}
        for job in jobs:  # said first: bulletins whose params do not validate are not run
            if job.partnership in check.broken:
                done[(job.partnership, job.month)] = JobResult(
                    job.partnership, job.month, JobStatus.FAILED, attempts=0,
                    error=one_line_error(f"not made: {check.broken[job.partnership]}"))
        to_run = [j for j in jobs if (j.partnership, j.month) not in done
                  and (force or not is_current(j))]
        running = {(j.partnership, j.month) for j in to_run}
        for job in jobs:
            if (job.partnership, job.month) not in running and (job.partnership,
                                                                job.month) not in done:
                done[(job.partnership, job.month)] = _skipped(job)
        by_key = {(j.partnership, j.month): j for j in jobs}
        for key, result in done.items():
            record_outcome(by_key[key], result)
        progress.planned(len(jobs), sum(r.status is JobStatus.SKIPPED for r in done.values()))
        for result in done.values():
            if result.status is JobStatus.FAILED:
                progress.finished(result)
        request = {
            "month": month,
            "resolved_month": jobs[0].month if jobs else None,
            "partnerships": list(partnerships) if partnerships is not None else "all",
            "themes": list(jobs[0].themes) if jobs else list(themes or []),
            "workers": workers,
            "scheduler": scheduler,
            "force": force,
            "stale": stale,
            "resume": resume,
            "interrupted": False,
            "complete": False,
            "left_out_without_data": list(left_out),
        }
        record = _Recorder(settings, run_id, request, jobs, started)
        record.write(done, t0)  # first: even a batch killed now leaves a manifest
        record.reserve()

        def finished(result: JobResult) -> None:
            key = (result.partnership, result.month)
            done[key] = result
            record_outcome(by_key[key], result)
            progress.finished(result)
            record.write(done, t0)

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
                for job in to_run:
                    if (job.partnership, job.month) not in done:
                        shutil.rmtree(job.staging_dir, ignore_errors=True)
        results = record.results(done)
        stale_marks = {}
        with contextlib.suppress(OSError):
            stale_marks = {(s.partnership, s.month): s.mark for s in stale_bulletins(
                settings, facts, published_records(settings.site_dir), check.references)}
        record.release()  # the room kept for the last index and manifest on a full disk
        index = settings.site_dir / "index.html"
        try:
            index = rebuild_index(settings.site_dir, runs_dir=settings.runs_dir,
                                  stale=stale_marks, params_dir=settings.params_dir)
        except OSError as exc:
            record.warnings.append(f"the site index could not be rewritten: "
                                   f"{one_line_error(str(exc))}")
        except CdrpError as exc:  # search or the guide; the index itself was written
            record.warnings.append(f"the site's search or reading guide could not be "
                                   f"rebuilt: {one_line_error(str(exc))}")
        request["interrupted"] = interrupted
        request["complete"] = True
        manifest = record.write(done, t0, last=True)
        report = BatchReport(run_id, tuple(jobs), results, manifest, index,
                             time.perf_counter() - t0, left_out,
                             stale=len(stale_marks), warnings=tuple(record.warnings))
        if interrupted:
            raise BatchInterrupted(report)
        return report


class _Recorder:
    """Writes the run manifest: first when planned, as each bulletin ends, and last.

    A write that fails (a full disk) does not stop the batch.  Room for the
    last index and manifest is kept from the start (:meth:`reserve`, a file
    of zeros freed just before they are written), so a batch that filled the
    disk still records every bulletin's reason; if even that fails, the
    summary says so and names the manifest written before.
    """

    def __init__(self, settings: BatchSettings, run_id: str, request: dict[str, Any],
                 jobs: Sequence[Job], started: datetime.datetime) -> None:
        self.settings, self.run_id, self.request, self.jobs = settings, run_id, request, jobs
        self.started = started
        self.path = settings.runs_dir / MANIFEST_DIR / f"{run_id}.json"
        self.warnings: list[str] = []
        self._reserve = self.path.with_name(f".{run_id}.reserve")
        self._texts = ManifestTexts()

    def results(self, done: dict[tuple[str, str], JobResult]) -> tuple[JobResult, ...]:
        return tuple(
            done.get((j.partnership, j.month))
            or JobResult(j.partnership, j.month, JobStatus.INTERRUPTED, attempts=0,
                         error="the batch was interrupted before this bulletin finished")
            for j in self.jobs)

    def reserve(self) -> None:
        """Hold room for the last writes: a file of zeros, as big as they may need."""
        size = RESERVE_BYTES + RESERVE_BYTES_PER_JOB * len(self.jobs)
        try:
            with open(self._reserve, "wb") as f:
                f.write(b"\0" * size)
        except OSError:
            self._reserve.unlink(missing_ok=True)  # no room even now: nothing to keep

    def release(self) -> None:
        self._reserve.unlink(missing_ok=True)

    def write(self, done: dict[tuple[str, str], JobResult], t0: float,
              last: bool = False) -> Path:
        timing = {
            "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        results = self.results(done)
        try:
            head = manifest_head(self.run_id, self.settings, self.request, results, timing)
            return write_manifest(self.settings, self.run_id, manifest_text(
                head, [self._texts(j, r) for j, r in zip(self.jobs, results, strict=True)]))
        except OSError as exc:
            if last:
                self.warnings.append(f"the manifest could not be written in full "
                                     f"({one_line_error(str(exc))}): it may lack the last "
                                     "bulletins")
            return self.path


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
    if report.stale:
        notes.append(f"{report.stale} published bulletin{'s are' if report.stale > 1 else ' is'}"
                     " made from older inputs (marked on the index): `cdrp run --stale` "
                     "re-makes them")
    notes += [f"warning: {w}" for w in report.warnings]
    return "\n".join([*lines, "", *notes])

