"""The Papermill batch behind ``cdrp run``: plan, execute, render, publish.

One *job* is one bulletin: every requested page (theme notebook) of one
partnership for one month.  The stages, one module each:

* :mod:`~cdrp_lib.batch.jobs`: settings, jobs and results (frozen, picklable);
* :mod:`~cdrp_lib.batch.plan`: which bulletins, and the hashes of their inputs;
* :mod:`~cdrp_lib.batch.execute`: the job function (Papermill -> HTML -> publish);
* :mod:`~cdrp_lib.batch.executors`: local worker processes or a dask cluster,
  with one retry for a job whose kernel or worker died;
* :mod:`~cdrp_lib.batch.manifest`: the run manifest and the site index;
* :mod:`~cdrp_lib.batch.runner`: :func:`run_batch`, which ties them together.

Running on a dask.distributed cluster
-------------------------------------
Every machine needs this project installed in the same environment and the
project folder (store, params, notebooks, outputs) at the same path, e.g. on a
shared mount.  Then::

    # on one machine: the scheduler (its address is printed, port 8786)
    DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1 .venv/bin/dask scheduler
    # on each machine: one single-threaded worker process per core
    .venv/bin/dask worker tcp://SCHEDULER-HOST:8786 --nworkers auto --nthreads 1
    # anywhere: the batch
    .venv/bin/cdrp run --all --month latest --scheduler tcp://SCHEDULER-HOST:8786

``--nthreads 1`` because every job runs its own kernels (CPU-bound, and one
job at a time per process keeps a dying worker's damage to one job).
``ALLOWED_FAILURES=1`` makes the scheduler give up on a job after its worker
died twice, the rule local workers follow (dask's default is 3).
"""

from cdrp_lib.batch.jobs import (
    THEMES,
    BatchSettings,
    Job,
    JobResult,
    JobStatus,
    PageResult,
    PageStatus,
)
from cdrp_lib.batch.plan import StoreFacts, is_current, plan_jobs, read_store_facts
from cdrp_lib.batch.runner import (
    BatchInterrupted,
    BatchProgress,
    BatchReport,
    run_batch,
    summary_table,
)

__all__ = [
    "THEMES",
    "BatchInterrupted",
    "BatchProgress",
    "BatchReport",
    "BatchSettings",
    "Job",
    "JobResult",
    "JobStatus",
    "PageResult",
    "PageStatus",
    "StoreFacts",
    "is_current",
    "plan_jobs",
    "read_store_facts",
    "run_batch",
    "summary_table",
]
