"""Where jobs run: local worker processes, or a dask.distributed cluster.

Both executors run the same function, :func:`cdrp_lib.batch.execute.run_job`,
and :func:`run_all` drives either one with the same retry rule: a job whose
kernel or worker process died runs once more (``MAX_ATTEMPTS`` in all), then is
reported failed; a notebook that raises is not retried (it would raise again).

Local processes (``--workers N``) are our own small pool rather than
``concurrent.futures.ProcessPoolExecutor`` or a dask ``LocalCluster``:

* a ``ProcessPoolExecutor`` whose worker dies breaks the whole pool
  (``BrokenProcessPool``) and fails every job in flight, not only the culprit;
* a ``LocalCluster`` attributes deaths well but adds a scheduler and a nanny
  process per worker (memory and start-up on a 2-core machine) and retries by
  its own count (``distributed.scheduler.allowed-failures``, 3 by default).

Here each worker is a ``spawn``-ed process (safe with threads in the parent,
and the only start method on Windows) with its own pipe; it imports Papermill,
nbconvert and the render template once and then runs many bulletins, one at a
time.  The parent waits on every pipe and every process sentinel, so a worker
that dies is known at once, with the job it was running.  Worker output (kernel
warnings included) goes to ``outputs/runs/logs/<run id>-worker<N>.log`` so the
terminal keeps one clean progress bar.

A cluster (``--scheduler tcp://HOST:PORT``) runs the same job function through
``distributed.Client``; see :mod:`cdrp_lib.batch` for how to start one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cdrp_lib.batch.jobs import MAX_ATTEMPTS, Job, JobResult, JobStatus

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

# Seconds a worker gets to finish after being asked to stop, before it is killed.
STOP_GRACE_SECONDS = 5.0
# How often a worker checks that its batch is still its parent (besides the death signal).
PARENT_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Outcome:
    """A job's attempt that ended, as an executor reports it."""

    job: Job
    attempt: int
    result: JobResult


class Executor(Protocol):
    """Runs job attempts somewhere and reports them as they end."""

    def submit(self, job: Job, attempt: int) -> None: ...

    def busy(self) -> bool:
        """True while any submitted attempt has not been reported."""
        ...

    def next_outcomes(self) -> list[Outcome]:
        """Block until at least one attempt ends; return every one that has."""
        ...

    def close(self) -> None: ...


def died(job: Job, attempt: int, why: str) -> JobResult:
    """The result of an attempt whose worker died under it (retriable)."""
    return JobResult(job.partnership, job.month, JobStatus.FAILED, error=why, attempts=attempt,
                     retriable=True)


def run_all(
    executor: Executor,
    jobs: Sequence[Job],
    on_result: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Run every job on ``executor``; retry a dead kernel or worker once; return final results.

    ``on_result`` is called once per job with its final result, as it comes.
    Results are returned in the order of ``jobs``.
    """
    final: dict[tuple[str, str], JobResult] = {}
    for job in jobs:
        executor.submit(job, 1)
    while executor.busy():
        for outcome in executor.next_outcomes():
            job, result = outcome.job, outcome.result
            if result.retriable and outcome.attempt < MAX_ATTEMPTS:
                executor.submit(job, outcome.attempt + 1)
                continue
            if result.retriable:
                result = replace(result, retriable=False,
                                 error=f"{result.error} (after {outcome.attempt} attempts)")
            final[(job.partnership, job.month)] = result
            if on_result is not None:
                on_result(result)
    return [final[(j.partnership, j.month)] for j in jobs]


# ----------------------------------------------------------------- local processes


def _redirect_output(log_path: Path) -> None:
    """Send this process's stdout and stderr (and so its kernels') to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _warm_up(fork_kernels: bool) -> None:
    """Import what every job needs once per worker, not once per page.

    The kernel zygote starts first, so that its imports run while this process
    does its own.
    """
    if fork_kernels:
        from cdrp_lib.batch.kernels import start_zygote

        start_zygote()
    import papermill  # noqa: F401

    from cdrp_lib import render, site  # noqa: F401

    with contextlib.suppress(Exception):  # a broken template shows up in the first page
        render.warm_up()


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as ``parent_pid`` (the batch) is no longer its parent.

    A worker outliving its batch would go on publishing with no lock held, and
    race the next batch in the same staging folders.  On Linux the kernel sends
    SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and
    in case the death came before the ``prctl``, a daemon thread watches the
    parent pid twice a second.  The zygote and its kernels die in turn (see
    :mod:`cdrp_lib.batch.kernels`), and :func:`cdrp_lib.batch.execute.run_job`
    publishes nothing unless its batch still holds the outputs lock.
    """
    from cdrp_lib.batch.kernels import die_with_parent_signal

    die_with_parent_signal()
    if os.getppid() != parent_pid:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="cdrp-parent-watch", daemon=True).start()


def _worker_main(conn: Connection, log_path: str, fork_kernels: bool,
                 parent_pid: int | None = None) -> None:
    """A local worker: receive ``(job, attempt)``, send back a JobResult, until ``None``."""
    from cdrp_lib.batch.execute import WORKER_ENV, run_job
    from cdrp_lib.batch.kernels import stop_zygote

    if parent_pid is not None:
        die_with_parent(parent_pid)
    # The parent alone decides when the batch stops: a terminal's Ctrl-C goes to its
    # process group, and nbclient would otherwise catch it mid-page and kill the kernel.
    # SIGTERM (the parent stopping a busy worker) ends it at once, as by default.
    if hasattr(os, "setsid"):
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _redirect_output(Path(log_path))
    os.environ[WORKER_ENV] = str(os.getpid())
    _warm_up(fork_kernels)
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message is None:
                return
            job, attempt = message
            conn.send(run_job(job, attempt))
    finally:
        stop_zygote()


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    running: tuple[Job, int] | None = None


def _exit_description(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"worker process died (signal {signal.Signals(-code).name})"
        except ValueError:
            return f"worker process died (signal {-code})"
    return f"worker process died (exit code {code})"


class LocalWorkers:
    """``n`` spawned worker processes, each running one job at a time."""

    def __init__(self, n: int, log_dir: Path, run_id: str, fork_kernels: bool = True) -> None:
        if n < 1:
            raise ValueError(f"`workers` must be at least 1, got {n}")
        self._n = n
        self._fork_kernels = fork_kernels
        self._log_dir = log_dir
        self._run_id = run_id
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._queue: deque[tuple[Job, int]] = deque()
        self._started = 0
        for _ in range(n):
            self._start_worker()

    def _start_worker(self) -> _Worker:
        self._started += 1
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        log = self._log_dir / f"{self._run_id}-worker{self._started}.log"
        process = self._ctx.Process(target=_worker_main,
                                    args=(child_end, str(log), self._fork_kernels, os.getpid()),
                                    name=f"cdrp-worker-{self._started}", daemon=True)
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        self._workers.append(worker)
        return worker

    def submit(self, job: Job, attempt: int) -> None:
        self._queue.append((job, attempt))
        self._dispatch()

    def _dispatch(self) -> None:
        while self._queue:
            idle = next((w for w in self._workers if w.running is None), None)
            if idle is None:
                if len(self._workers) >= self._n:
                    return
                idle = self._start_worker()
            job, attempt = self._queue.popleft()
            idle.running = (job, attempt)
            try:
                idle.conn.send((job, attempt))
            except (BrokenPipeError, OSError):
                # It died while idle: the job was never started; it goes back in the queue.
                self._queue.appendleft((job, attempt))
                self._bury(idle)

    def _bury(self, worker: _Worker) -> None:
        worker.process.join(timeout=STOP_GRACE_SECONDS)
        worker.conn.close()
        self._workers.remove(worker)

    def busy(self) -> bool:
        return bool(self._queue) or any(w.running is not None for w in self._workers)

    def next_outcomes(self) -> list[Outcome]:
        self._dispatch()
        busy = [w for w in self._workers if w.running is not None]
        handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        ready = set(wait(handles))
        outcomes: list[Outcome] = []
        for worker in busy:
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            assert worker.running is not None
            job, attempt = worker.running
            worker.running = None
            try:
                result: JobResult = worker.conn.recv()
            except (EOFError, OSError):
                worker.process.join(timeout=STOP_GRACE_SECONDS)
                outcomes.append(Outcome(job, attempt,
                                        died(job, attempt,
                                             _exit_description(worker.process.exitcode))))
                self._bury(worker)
                continue
            outcomes.append(Outcome(job, attempt, result))
        self._dispatch()
        return outcomes

    def close(self) -> None:
        """Ask idle workers to stop; stop busy ones (an interrupted batch) after a grace period."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                if worker.running is None:
                    worker.conn.send(None)
                else:
                    worker.process.terminate()
        for worker in self._workers:
            worker.process.join(timeout=STOP_GRACE_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers.clear()
        self._queue.clear()


# ------------------------------------------------------------------- dask.distributed


def run_job_on_worker(job: Job, attempt: int) -> JobResult:
    """The task a dask worker runs: mark the process as a batch worker, then run the job.

    The worker process keeps its kernel zygote from one task to the next.
    """
    from cdrp_lib.batch.execute import WORKER_ENV, run_job
    from cdrp_lib.batch.kernels import start_zygote

    os.environ[WORKER_ENV] = str(os.getpid())
    if job.settings.fork_kernels:
        start_zygote()
    return run_job(job, attempt)


def _describe_remote_failure(exc: BaseException) -> str:
    from cdrp_lib.batch.failures import describe_failure

    return describe_failure(exc)


class DaskCluster:
    """Runs jobs on a dask.distributed cluster through ``distributed.Client(address)``.

    A worker that dies is retried by the scheduler itself, up to its
    ``distributed.scheduler.allowed-failures`` setting, then the job's future
    raises ``KilledWorker`` and it is reported failed.  Set that to 1 on the
    scheduler for the same "retried once" rule as local workers.

    Jobs are handed to the scheduler no faster than the cluster has threads, so
    a worker holds one of our jobs at a time: when it dies, only that job is
    counted against (a scheduler queueing a second task per worker would blame
    an innocent job for the death too).
    """

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        import distributed

        # distributed is not fully typed: its objects are handled as Any here.
        client_class: Any = distributed.Client
        as_completed: Any = distributed.as_completed
        self._client: Any = client_class(address, timeout=timeout, set_as_default=False)
        self._as_completed: Any = as_completed([], with_results=False, loop=self._client.loop)
        self._running: dict[Any, tuple[Any, Job, int]] = {}
        self._queue: deque[tuple[Job, int]] = deque()

    def _capacity(self) -> int:
        """Threads in the cluster now (at least 1: workers may be restarting)."""
        nthreads: dict[str, int] = self._client.nthreads()
        return max(1, sum(nthreads.values()))

    def _dispatch(self) -> None:
        capacity = self._capacity() if self._queue else 0
        while self._queue and len(self._running) < capacity:
            job, attempt = self._queue.popleft()
            key = f"cdrp-run-{job.partnership}-{job.month}-{job.key[:12]}-a{attempt}"
            future: Any = self._client.submit(run_job_on_worker, job, attempt, key=key,
                                              pure=False)
            self._running[future.key] = (future, job, attempt)
            self._as_completed.add(future)

    def submit(self, job: Job, attempt: int) -> None:
        self._queue.append((job, attempt))
        self._dispatch()

    def busy(self) -> bool:
        return bool(self._running) or bool(self._queue)

    def next_outcomes(self) -> list[Outcome]:
        from distributed import KilledWorker

        outcomes: list[Outcome] = []
        self._dispatch()
        futures: Iterable[Any] = self._as_completed.next_batch(block=True)
        for future in futures:
            _, job, attempt = self._running.pop(future.key)
            try:
                result: JobResult = future.result()
            except KilledWorker:
                result = JobResult(job.partnership, job.month, JobStatus.FAILED,
                                   error="worker process died (KilledWorker: the scheduler "
                                         "gave up after its allowed failures)",
                                   attempts=attempt)
            except Exception as exc:
                result = JobResult(job.partnership, job.month, JobStatus.FAILED,
                                   error=_describe_remote_failure(exc), attempts=attempt)
            outcomes.append(Outcome(job, attempt, result))
            future.release()
        self._dispatch()
        return outcomes

    def close(self) -> None:
        futures = [future for future, _, _ in self._running.values()]
        with contextlib.suppress(Exception):
            self._client.cancel(futures)
        self._running.clear()
        self._queue.clear()
        self._client.close()
