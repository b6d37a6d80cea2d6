"""The job function: make one bulletin, in whatever process runs it.

:func:`run_job` is what a local worker process and a dask.distributed worker
both call.  For each page it executes the theme notebook with Papermill in this
process (a fresh kernel per notebook), keeps the executed notebook under
``outputs/runs/<partnership>/<month>/``, renders it to HTML in-process with
:mod:`cdrp_lib.render` into a staging folder, and when every page rendered,
merges the pages' figures into ``figures.json``, records the bulletin's key in
``bulletin.json`` and publishes the staging folder over
``outputs/site/<partnership>/<month>/`` with :func:`cdrp_lib.site.publish_folder`
(atomic: a failed bulletin leaves the published one as it was).

A notebook that raises fails its page; the other pages still run so that one
batch reports every broken page.  A kernel that dies is a failure of the
machinery, not of the notebook: the job stops and asks to be run again.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from cdrp_lib.batch.jobs import (
    BULLETIN_FILE,
    FIGURES_FILE,
    PAGE_TITLES,
    SUMMARY,
    Job,
    JobResult,
    JobStatus,
    PageResult,
    PageStatus,
    figures_file,
    page_file,
)
from cdrp_lib.errors import InputError, Problem
from cdrp_lib.version import __version__

# Set by every batch worker process (local or dask) and so inherited by its
# kernels: the worker's pid.  A notebook can tell it runs under the batch, and
# the test notebook that kills its worker checks it never kills anything else.
# run_job itself does not set it: run in the caller's process it is no worker.
WORKER_ENV = "CDRP_BATCH_WORKER_PID"
# Keys every Assessment in a figures file must carry (the notebook contract).
ASSESSMENT_KEYS = ("partnership", "measure", "rag", "not_assessed_reason")
RAG_NONE = "none"
RAG_VALUES = {"G": "G", "A": "A", "R": "R", None: RAG_NONE}
# Loaded into every kernel: a matplotlib figure's title becomes its alt text.
KERNEL_ARGUMENTS = ("--IPKernelApp.extra_extensions=cdrp_lib.analyst",)


class KernelDied(Exception):
    """The kernel (or something under it) died: not the notebook's fault, so run again."""


def one_line(message: str) -> str:
    """One line with no paths or user/host names, fit for the public index."""
    from cdrp_lib.site import one_line_error

    return one_line_error(message)


def describe_failure(exc: BaseException) -> str:
    """``ValueError: no series for x`` from papermill's error, or the exception's type and text."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        evalue = str(exc.evalue).strip().splitlines()
        return one_line(f"{exc.ename}: {evalue[0]}" if evalue else str(exc.ename))
    text = str(exc).strip().splitlines()
    return one_line(f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__)


def _execute_page(job: Job, theme: str) -> tuple[Path, str]:
    """Run one notebook with a fresh kernel; returns the executed notebook and how it started.

    The kernel's working directory is the project root, given to nbclient as
    ``resources.metadata.path`` rather than papermill's ``cwd`` (which changes
    the whole process's directory and so is unsafe in a threaded dask worker).
    In a batch worker with a zygote (see :mod:`cdrp_lib.batch.kernels`) the
    fresh kernel is forked from it instead of started from scratch.
    """
    import papermill
    from nbclient.exceptions import DeadKernelError

    from cdrp_lib.batch.kernels import current_zygote, forking_kernel_manager_class

    s = job.settings
    executed = job.run_dir / f"{theme}.ipynb"
    engine: dict[str, Any] = {"extra_arguments": list(KERNEL_ARGUMENTS)}
    fork = False
    if s.fork_kernels and current_zygote() is not None:
        engine["kernel_manager_class"] = forking_kernel_manager_class()
        fork = True
    try:
        papermill.execute_notebook(
            str(s.notebooks_dir / f"{theme}.ipynb"),
            str(executed),
            parameters=job.parameters(theme),
            kernel_name=s.kernel_name,
            progress_bar=False,
            start_timeout=s.start_timeout,
            resources={"metadata": {"path": str(s.project_root)}},
            # Every output has arrived when the last cell ends: the kernel is killed
            # rather than asked to shut down and waited for (~0.1 s a page).
            shutdown_kernel="immediate",
            **engine,
        )
    except DeadKernelError as exc:
        raise KernelDied(describe_failure(exc)) from exc
    # A zygote that failed is dropped and the kernel started the usual way.
    return executed, "forked" if fork and current_zygote() is not None else "started"


def _render_page(job: Job, theme: str, executed: Path) -> tuple[Path, str]:
    """Render the executed notebook into the staging folder; returns the page and the renderer."""
    from cdrp_lib.render import render_page

    nav = [(PAGE_TITLES[t], page_file(t)) for t in job.themes]
    out = job.staging_dir / page_file(theme)
    result = render_page(executed, out, title=job.title(theme), renderer=job.settings.renderer,
                         nav=nav)
    return result.path, result.renderer


def _run_page(job: Job, theme: str) -> PageResult:
    t0 = time.perf_counter()
    try:
        executed, kernel = _execute_page(job, theme)
    except KernelDied:
        raise
    except Exception as exc:  # the notebook's own failure, recorded; the batch goes on
        notebook = job.run_dir / f"{theme}.ipynb"
        return PageResult(theme, PageStatus.FAILED, time.perf_counter() - t0,
                          error=f"{theme}: {describe_failure(exc)}",
                          notebook=notebook if notebook.is_file() else None)
    t1 = time.perf_counter()
    try:
        html, renderer = _render_page(job, theme, executed)
    except Exception as exc:
        return PageResult(theme, PageStatus.FAILED, t1 - t0, time.perf_counter() - t1,
                          error=f"{theme}: rendering failed: {describe_failure(exc)}",
                          kernel=kernel, notebook=executed)
    return PageResult(theme, PageStatus.OK, t1 - t0, time.perf_counter() - t1,
                      renderer=renderer, kernel=kernel, notebook=executed, html=html)


def merge_figures(job: Job) -> list[dict[str, Any]]:
    """Every page's Assessments, in page order, checked against the notebook contract.

    Exact repeats (a summary page showing a theme's measure) are kept once.
    Raises :class:`InputError` naming each file and entry that breaks the contract.
    """
    merged: list[dict[str, Any]] = []
    seen: set[str] = set()
    problems: list[Problem] = []
    for theme in job.themes:
        path = job.staging_dir / figures_file(theme)
        name = f"{job.partnership}/{job.month}/{path.name}"
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(Problem(name, "figures file missing",
                                    f"the {theme} notebook to write it", "no such file"))
            continue
        except (OSError, ValueError) as exc:
            problems.append(Problem(name, "figures file unreadable", "a JSON list",
                                    describe_failure(exc)))
            continue
        if not isinstance(entries, list):
            problems.append(Problem(name, "figures file is not a list",
                                    "a JSON list of Assessments", type(entries).__name__))
            continue
        for i, entry in enumerate(entries):
            where = f"[{i}]"
            if not isinstance(entry, dict):
                problems.append(Problem(name, "not an Assessment", "a JSON object",
                                        type(entry).__name__, column=where))
                continue
            missing = [k for k in ASSESSMENT_KEYS if k not in entry]
            if missing:
                problems.append(Problem(name, "Assessment incomplete",
                                        f"keys {', '.join(ASSESSMENT_KEYS)}",
                                        f"no {', '.join(missing)}", column=where))
                continue
            if entry["partnership"] != job.partnership:
                problems.append(Problem(name, "Assessment of another partnership",
                                        repr(job.partnership), repr(entry["partnership"]),
                                        column=f"{where}.partnership"))
            if entry["rag"] not in RAG_VALUES:
                problems.append(Problem(name, "unknown RAG", "'G', 'A', 'R' or null",
                                        repr(entry["rag"]), column=f"{where}.rag"))
            canonical = json.dumps(entry, sort_keys=True)
            if canonical not in seen:
                seen.add(canonical)
                merged.append(entry)
    if problems:
        raise InputError(problems)
    return merged


def rag_counts(assessments: list[dict[str, Any]]) -> dict[str, int]:
    """``{"G": n, "A": n, "R": n, "none": n}`` over the bulletin's targets.

    Monitoring indicators (no target, so never rated) are not counted, so the
    index agrees with the front page's "Of the 11 targets, ... not assessed".
    """
    counts = Counter(RAG_VALUES[a["rag"]] for a in assessments
                     if a["rag"] is not None or a.get("target_id") is not None)
    return {code: counts.get(code, 0) for code in ("G", "A", "R", RAG_NONE)}


def bulletin_record(job: Job, counts: dict[str, int]) -> dict[str, Any]:
    """``bulletin.json``: what the folder holds and the key it was made from.

    It carries the RAG counts so that the site index is rebuilt from these small
    files alone, and no timings or run ids, so that a re-run writes the same bytes.
    """
    return {
        "rag_counts": counts,
        "partnership": job.partnership,
        "partnership_name": job.partnership_name,
        "synthetic": job.synthetic,
        "month": job.month,
        "themes": list(job.themes),
        "produced_on": job.settings.produced_on,
        "cdrp_lib_version": __version__,
        "key": job.key,
        "inputs": dict(job.inputs),
    }


def _write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _publish(job: Job) -> dict[str, int]:
    """Merge figures, record the key, and swap the staging folder into the site."""
    from cdrp_lib.site import publish_folder

    assessments = merge_figures(job)
    counts = rag_counts(assessments)
    for theme in job.themes:  # merged into figures.json: one copy of each figure is published
        (job.staging_dir / figures_file(theme)).unlink(missing_ok=True)
    _write_json(job.staging_dir / FIGURES_FILE, assessments)
    _write_json(job.staging_dir / BULLETIN_FILE, bulletin_record(job, counts))
    required = [page_file(t) for t in job.themes] + [FIGURES_FILE, BULLETIN_FILE]
    publish_folder(job.staging_dir, job.site_dir, required=required)
    shutil.rmtree(job.staging_dir, ignore_errors=True)
    return counts


def _execution_order(themes: tuple[str, ...]) -> list[str]:
    """Theme pages first, the summary last (so it may read what theme pages wrote)."""
    return [t for t in themes if t != SUMMARY] + [t for t in themes if t == SUMMARY]


def run_job(job: Job, attempt: int = 1) -> JobResult:
    """Make one bulletin and publish it if every page rendered; never raises for a bad page.

    Returns a :class:`JobResult`; ``retriable`` is set when a kernel died, so the
    caller may run the job once more.
    """
    t0 = time.perf_counter()
    shutil.rmtree(job.staging_dir, ignore_errors=True)
    job.staging_dir.mkdir(parents=True)
    pages: list[PageResult] = []
    try:
        for theme in _execution_order(job.themes):
            pages.append(_run_page(job, theme))
    except KernelDied as exc:
        return JobResult(job.partnership, job.month, JobStatus.FAILED,
                         time.perf_counter() - t0, error=f"kernel died: {exc}",
                         pages=tuple(pages), attempts=attempt, retriable=True)
    failed = [p for p in pages if p.status is PageStatus.FAILED]
    error: str | None = None
    counts: dict[str, int] = {}
    if failed:
        more = len(failed) - 1
        error = (failed[0].error or "failed") + (
            f" (and {more} more page{'s' if more > 1 else ''})" if more else "")
    else:
        try:
            counts = _publish(job)
        except Exception as exc:
            error = f"not published: {describe_failure(exc)}"
    if error is not None:
        return JobResult(job.partnership, job.month, JobStatus.FAILED, time.perf_counter() - t0,
                         error=one_line(error), pages=tuple(pages), attempts=attempt)
    published = tuple(replace(p, html=job.site_dir / page_file(p.theme)) for p in pages)
    return JobResult(job.partnership, job.month, JobStatus.OK, time.perf_counter() - t0,
                     pages=published, attempts=attempt, rag_counts=tuple(counts.items()))
