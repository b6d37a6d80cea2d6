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

A job may make only some pages (``cdrp run --themes``): the other pages of the
bulletin published for that partnership and month are kept.  ``bulletin.json``
records per page the key and inputs that made it, the files it wrote and
which entries of ``figures.json`` are its own, so the kept pages' HTML, CSVs
and figures are copied into the staging folder, their navigation bars list
the pages of the new folder, and ``figures.json`` is merged again in page
order before the whole folder is swapped in.

:func:`run_page` (execute one notebook, render it) is also what
``cdrp preview`` runs, so a preview is made exactly as the batch makes a page.

A notebook that raises fails its page; the other pages still run so that one
batch reports every broken page.  A kernel that dies is a failure of the
machinery, not of the notebook: the job stops and asks to be run again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cdrp_lib.batch.ahead import kernels_ahead
from cdrp_lib.batch.failures import describe_failure, one_line
from cdrp_lib.batch.figures import (
    assessment_fields,
    bulletin_record,
    merge_page_figures,
    page_record,
    rag_counts,
    read_page_figures,
    write_json,
)
from cdrp_lib.batch.jobs import (
    BULLETIN_FILE,
    FIGURES_FILE,
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

# Set by every batch worker process (local or dask) and so inherited by its
# kernels: the worker's pid.  A notebook can tell it runs under the batch, and
# the test notebook that kills its worker checks it never kills anything else.
# run_job itself does not set it: run in the caller's process it is no worker.
WORKER_ENV = "CDRP_BATCH_WORKER_PID"
# Keys every Assessment in a figures file must carry (the notebook contract).
# Given to every kernel: the extension that makes a matplotlib figure's title its alt
# text; and no IPython history database (each kernel would otherwise open, write and
# commit to the one SQLite file every kernel of every worker shares, and start a thread
# to save to it, for a history no batch page ever reads: in memory it works the same).
KERNEL_ARGUMENTS = ("--IPKernelApp.extra_extensions=cdrp_lib.analyst",
                    "--HistoryManager.enabled=False")
# What jupyter_client raises for a kernel that died or hung while starting, before the
# notebook ran: the machinery's failure, retried like a kernel dying mid-page.
KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
# The navigation bar both renderers write (cdrp_lib.quarto.nav_html).
_NAV = re.compile(r'<header class="site-header">.*?</header>', re.DOTALL)


class KernelDied(Exception):
    """The kernel (or something under it) died: not the notebook's fault, so run again."""


def forking(job: Job) -> bool:
    """Whether this process's kernels for ``job`` are forked from a zygote."""
    from cdrp_lib.batch.kernels import current_zygote

    return job.settings.fork_kernels and current_zygote() is not None


def _execute_page(job: Job, theme: str, kernel: Any | None = None) -> tuple[Path, str]:
    """Run one notebook with a fresh kernel; returns the executed notebook and how it started.

    The kernel's working directory is the project root, given to nbclient as
    ``resources.metadata.path`` rather than papermill's ``cwd`` (which changes
    the whole process's directory and so is unsafe in a threaded dask worker).
    In a batch worker with a zygote (see :mod:`cdrp_lib.batch.kernels`) the
    fresh kernel is forked from it instead of started from scratch.  ``kernel``
    is a kernel's manager started ahead for this page
    (:mod:`cdrp_lib.batch.ahead`): it runs the notebook, and is shut down here.
    """
    import papermill
    from nbclient.exceptions import DeadKernelError

    from cdrp_lib.batch.ahead import close_kernel
    from cdrp_lib.batch.kernels import current_zygote, forking_kernel_manager_class

    s = job.settings
    executed = job.run_dir / f"{theme}.ipynb"
    engine: dict[str, Any] = {"extra_arguments": list(KERNEL_ARGUMENTS)}
    fork = forking(job)
    if kernel is not None:
        engine["km"] = kernel
    elif fork:
        engine["kernel_manager_class"] = forking_kernel_manager_class()
    try:
        papermill.execute_notebook(
            str(job.notebook(theme)),
            str(executed),
            parameters=job.parameters(theme),
            kernel_name=s.kernel_name,
            progress_bar=False,
            start_timeout=s.start_timeout,
            resources={"metadata": {"path": str(s.project_root)}},
            # Every output has arrived when the last cell ends: the kernel is killed
            # rather than asked to shut down and waited for (~0.1 s a page).
            shutdown_kernel="immediate",
            # The executed notebook is written once, when it ends (or fails), rather
            # than serialised and validated twice for every cell as it runs.
            request_save_on_cell_execute=False,
            **engine,
        )
    except DeadKernelError as exc:
        raise KernelDied(describe_failure(exc)) from exc
    except RuntimeError as exc:
        if any(sign in str(exc) for sign in KERNEL_START_FAILURES):
            raise KernelDied(describe_failure(exc)) from exc  # died starting: run again
        raise
    finally:
        if kernel is not None:
            close_kernel(kernel)
    # A zygote that failed is dropped and the kernel started the usual way.
    return executed, "forked" if fork and current_zygote() is not None else "started"


def bulletin_nav(job: Job, themes: Sequence[str]) -> list[tuple[str, str]]:
    """The navigation bar's links for a bulletin of ``job`` holding ``themes``, in page order."""
    return [(job.page(t).title, page_file(t)) for t in job.in_page_order(themes)]


def _render_page(job: Job, theme: str, executed: Path,
                 nav_themes: Sequence[str]) -> tuple[Path, str]:
    """Render the executed notebook into the staging folder; returns the page and the renderer."""
    from cdrp_lib.render import render_page

    out = job.staging_dir / page_file(theme)
    result = render_page(executed, out, title=job.title(theme), renderer=job.settings.renderer,
                         nav=bulletin_nav(job, nav_themes))
    return result.path, result.renderer


def run_page(job: Job, theme: str, nav_themes: Sequence[str] | None = None,
             started: Any | None = None) -> PageResult:
    """Execute one page's notebook and render it into ``job.staging_dir``; never raises for
    the notebook's or the render's failure (it is in the result), only :class:`KernelDied`.

    ``nav_themes`` are the pages the navigation bar links (default: the job's).
    ``started`` is a kernel started ahead for this page (:mod:`cdrp_lib.batch.ahead`).
    The notebook writes its CSVs and figures file into the staging folder too.
    """
    nav_themes = job.themes if nav_themes is None else nav_themes
    t0 = time.perf_counter()
    try:
        executed, kernel = _execute_page(job, theme, started)
    except KernelDied:
        raise
    except Exception as exc:  # the notebook's own failure, recorded; the batch goes on
        notebook = job.run_dir / f"{theme}.ipynb"
        return PageResult(theme, PageStatus.FAILED, time.perf_counter() - t0,
                          error=f"{theme}: {describe_failure(exc)}",
                          notebook=notebook if notebook.is_file() else None)
    t1 = time.perf_counter()
    try:
        html, renderer = _render_page(job, theme, executed, nav_themes)
    except Exception as exc:
        return PageResult(theme, PageStatus.FAILED, t1 - t0, time.perf_counter() - t1,
                          error=f"{theme}: rendering failed: {describe_failure(exc)}",
                          kernel=kernel, notebook=executed)
    return PageResult(theme, PageStatus.OK, t1 - t0, time.perf_counter() - t1,
                      renderer=renderer, kernel=kernel, notebook=executed, html=html)


class BatchGone(Exception):
    """The batch this job works for no longer holds the outputs lock: publish nothing."""


def check_batch_alive(job: Job) -> None:
    """Raise :class:`BatchGone` unless the job's batch still holds the outputs lock.

    Checked just before the swap into the site: a worker whose ``cdrp run`` was
    killed (or replaced by a newer run) must not publish.  A job run outside a
    batch (no ``run_token``) is not checked.
    """
    from cdrp_lib.locking import held_by, outputs_lock_file

    token = job.settings.run_token
    if token and not held_by(outputs_lock_file(job.settings.outputs_dir), token):
        raise BatchGone("the batch that started this bulletin no longer holds the outputs "
                        "lock (it was stopped)")


class KeepError(InputError):
    """The published bulletin's other pages cannot be kept (no per-page record, or damaged)."""


@dataclass(frozen=True)
class Kept:
    """What a job that makes some pages keeps of the published bulletin: pages and figures."""

    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    figures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _safe_relative(rel: object) -> bool:
    if not isinstance(rel, str) or not rel:
        return False
    parts = Path(rel).parts
    return not Path(rel).is_absolute() and ".." not in parts and not parts[0].startswith(".")


def kept_pages(job: Job) -> Kept:
    """The pages of the published bulletin this job does not make, with their records.

    Nothing when no bulletin is published (or the job makes every page it has).
    Raises :class:`KeepError` when a page to keep has no per-page record (a
    bulletin made before pages were recorded) or its record is unusable.
    """
    from cdrp_lib.batch.plan import published_record

    record = published_record(job.site_dir)
    if record is None:
        return Kept()
    others = [t for t in record["themes"] if t in job.page_ids and t not in job.themes]
    if not others:
        return Kept()
    where = f"{job.partnership}/{job.month}/{BULLETIN_FILE}"
    pages = record.get("pages")
    try:
        old = json.loads((job.site_dir / FIGURES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = None
    if not isinstance(pages, dict) or not isinstance(old, list):
        raise KeepError([Problem(where, "no record of the published pages",
                                 "a bulletin made with per-page records",
                                 "an older bulletin"),
                         ], summary=(f"{where}: the published bulletin does not record its "
                                     "pages, so its other pages cannot be kept; make the "
                                     "whole bulletin once (without --themes)"))
    kept = Kept()
    for theme in others:
        page = pages.get(theme)
        files = page.get("files") if isinstance(page, dict) else None
        refs = page.get("figures") if isinstance(page, dict) else None
        if (not isinstance(page, dict) or not isinstance(page.get("key"), str)
                or not isinstance(files, list) or not all(map(_safe_relative, files))
                or not isinstance(refs, list)
                or not all(isinstance(i, int) and 0 <= i < len(old) for i in refs)):
            raise KeepError([Problem(where, "unusable page record", "key, files, figures",
                                     repr(page)[:80], column=f"pages.{theme}")])
        kept.pages[theme] = page
        kept.figures[theme] = [old[i] for i in refs]
    return kept


def _with_nav(html: str, nav: str) -> str:
    """The page with its navigation bar replaced by ``nav``."""
    return _NAV.sub(lambda _: nav, html, count=1)


def _copy_kept(job: Job, kept: Kept, nav_themes: Sequence[str]) -> None:
    """Copy the kept pages, their files and their navigation bars into the staging folder.

    A file a page made now also wrote is the new one.  The kept pages' bars are
    rewritten to list the pages of the new folder.
    """
    from cdrp_lib.quarto import nav_html
    from cdrp_lib.render import write_text_atomic

    nav = bulletin_nav(job, nav_themes)
    for theme, page in kept.pages.items():
        name = page_file(theme)
        html = (job.site_dir / name).read_text(encoding="utf-8")
        write_text_atomic(job.staging_dir / name, _with_nav(html, nav_html(nav, name)))
        for rel in page["files"]:
            src, dst = job.site_dir / rel, job.staging_dir / rel
            if src.is_file() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)


def _publish(job: Job, files: dict[str, list[str]] | None = None,
             kept: Kept | None = None) -> tuple[dict[str, int], list[str]]:
    """Merge figures, record the pages' keys, and swap the staging folder into the site.

    ``files`` are the files each page made now wrote; ``kept`` the pages of the
    published bulletin to keep.  Returns the RAG counts and one line per rating
    override that has expired (the run prints them: the analyst must renew or drop it).
    """
    from cdrp_lib.assessment import assessment_from_json
    from cdrp_lib.overrides import expired_overrides
    from cdrp_lib.site import publish_folder

    files = files or {}
    kept = kept or Kept()
    per_page = {**read_page_figures(job), **kept.figures}
    assessments, refs = merge_page_figures(per_page, job.page_ids)
    counts = rag_counts(assessments)
    themes = job.in_page_order(per_page)
    _copy_kept(job, kept, themes)
    for theme in job.themes:  # merged into figures.json: one copy of each figure is published
        (job.staging_dir / figures_file(theme)).unlink(missing_ok=True)
    pages = {t: {**kept.pages[t], "figures": refs[t]} if t in kept.pages
             else page_record(job, t, files.get(t, ()), refs[t]) for t in themes}
    write_json(job.staging_dir / FIGURES_FILE, assessments)
    write_json(job.staging_dir / BULLETIN_FILE, bulletin_record(job, counts, pages))
    required = [page_file(t) for t in themes] + [FIGURES_FILE, BULLETIN_FILE]
    check_batch_alive(job)
    publish_folder(job.staging_dir, job.site_dir, required=required)
    shutil.rmtree(job.staging_dir, ignore_errors=True)
    expired = [d for d in assessments if d.get("rag_override_expired")]
    return counts, expired_overrides(assessment_from_json(assessment_fields(d))
                                     for d in expired)


def _execution_order(themes: tuple[str, ...]) -> list[str]:
    """Theme pages first, the summary last (so it may read what theme pages wrote)."""
    return [t for t in themes if t != SUMMARY] + [t for t in themes if t == SUMMARY]


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: relative name -> (size, mtime in ns)."""
    out: dict[str, tuple[int, int]] = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and _safe_relative(rel):
            st = path.stat()
            out[rel] = (st.st_size, st.st_mtime_ns)
    return out


def _written(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]],
             theme: str) -> list[str]:
    """The files a page wrote besides its HTML and figures file (those are recorded apart)."""
    own = {page_file(theme), figures_file(theme)}
    return sorted(rel for rel, stat in after.items() if before.get(rel) != stat and rel not in own)


def _note(job: Job, themes: Sequence[str]) -> str | None:
    """What to tell about a bulletin that does not hold every page."""
    missing = [t for t in job.page_ids if t not in themes]
    if not missing:
        return None
    return (f"the bulletin holds only {', '.join(themes)}: no {', '.join(missing)} page "
            f"{'was' if len(missing) == 1 else 'were'} published for {job.label} to keep")


@contextmanager
def _bulletin_cache() -> Iterator[None]:
    """A folder, for this job only, in which its pages' kernels share the bulletin's opening
    (:func:`cdrp_lib.pages.bulletin.cached_bulletin`): set in this process's environment,
    which each kernel inherits, and removed with everything in it when the job ends."""
    from cdrp_lib.pages.bulletin import CACHE_ENV

    folder = tempfile.mkdtemp(prefix="cdrp-bulletin-")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before
        shutil.rmtree(folder, ignore_errors=True)


def run_job(job: Job, attempt: int = 1) -> JobResult:
    """Make one bulletin and publish it if every page rendered; never raises for a bad page.

    Pages of the published bulletin that the job does not make are kept (see
    the module docstring).  Returns a :class:`JobResult`; ``retriable`` is set
    when a kernel died, so the caller may run the job once more.
    """
    t0 = time.perf_counter()
    try:
        result = _run_job(job, attempt, t0)
    except OSError as exc:  # a full disk, a vanished share: this bulletin's failure, said so
        result = JobResult(job.partnership, job.month, JobStatus.FAILED,
                           time.perf_counter() - t0,
                           error=one_line(f"not made: {describe_failure(exc)}"), attempts=attempt)
    if result.status is not JobStatus.OK:  # what a failure built must not keep the disk full
        shutil.rmtree(job.staging_dir, ignore_errors=True)
    return result


def _run_job(job: Job, attempt: int, t0: float) -> JobResult:
    shutil.rmtree(job.staging_dir, ignore_errors=True)
    job.staging_dir.mkdir(parents=True)
    try:
        kept = kept_pages(job)
    except KeepError as exc:
        return JobResult(job.partnership, job.month, JobStatus.FAILED, time.perf_counter() - t0,
                         error=one_line(f"not made: {exc}"), attempts=attempt)
    themes = tuple(job.in_page_order([*job.themes, *kept.pages]))
    pages: list[PageResult] = []
    files: dict[str, list[str]] = {}
    try:
        with _bulletin_cache(), kernels_ahead(job.settings, KERNEL_ARGUMENTS,
                                              forking(job)) as ahead:
            order = _execution_order(job.themes)
            for i, theme in enumerate(order):
                started = ahead.take()
                if i + 1 < len(order):
                    ahead.start()  # the next page's kernel starts while this page runs
                before = _snapshot(job.staging_dir)
                pages.append(run_page(job, theme, themes, started))
                files[theme] = _written(before, _snapshot(job.staging_dir), theme)
    except KernelDied as exc:
        return JobResult(job.partnership, job.month, JobStatus.FAILED,
                         time.perf_counter() - t0, error=f"kernel died: {exc}",
                         pages=tuple(pages), attempts=attempt, retriable=True)
    failed = [p for p in pages if p.status is PageStatus.FAILED]
    error: str | None = None
    counts: dict[str, int] = {}
    expired: list[str] = []
    if failed:
        more = len(failed) - 1
        error = (failed[0].error or "failed") + (
            f" (and {more} more page{'s' if more > 1 else ''})" if more else "")
    else:
        try:
            counts, expired = _publish(job, files, kept)
        except Exception as exc:
            error = f"not published: {describe_failure(exc)}"
    if error is not None:
        return JobResult(job.partnership, job.month, JobStatus.FAILED, time.perf_counter() - t0,
                         error=one_line(error), pages=tuple(pages), attempts=attempt)
    published = tuple(replace(p, html=job.site_dir / page_file(p.theme)) for p in pages)
    return JobResult(job.partnership, job.month, JobStatus.OK, time.perf_counter() - t0,
                     pages=published, attempts=attempt, rag_counts=tuple(counts.items()),
                     kept=tuple(kept.pages),
                     note="; ".join(filter(None, [_note(job, themes), *expired])) or None)
