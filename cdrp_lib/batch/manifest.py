"""What a batch leaves behind besides the pages: its run manifest and the site index.

The manifest (``outputs/runs/manifests/<run id>.json``) records every job of
the batch: the hashes of its inputs, the parameters its notebooks got, timings
per page, status, attempts, and output paths relative to ``outputs/``.

The site index lists every bulletin published so far, read from the small
``bulletin.json`` each published folder holds, plus the failures of this batch
(a failed bulletin keeps its previously published folder, which the index links
to as the previous version).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cdrp_lib.batch.jobs import (
    BULLETIN_FILE,
    BatchSettings,
    Job,
    JobResult,
    JobStatus,
    PageResult,
)
from cdrp_lib.errors import CdrpError
from cdrp_lib.version import __version__

MANIFEST_DIR = "manifests"
# Kept in a bulletin's runs folder while its last attempt failed (see record_outcome).
FAILED_FILE = "failed.json"
RAG_KEYS = ("G", "A", "R", "none")


def _relative(path: Path | None, base: Path) -> str | None:
    """``path`` relative to ``base`` as a POSIX string, or absolute when outside it."""
    if path is None:
        return None
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def _page_record(page: PageResult, outputs: Path) -> dict[str, Any]:
    return {
        "theme": page.theme,
        "status": page.status.value,
        "execute_seconds": round(page.execute_seconds, 3),
        "render_seconds": round(page.render_seconds, 3),
        "renderer": page.renderer,
        "kernel": page.kernel,
        "notebook": _relative(page.notebook, outputs),
        "html": _relative(page.html, outputs),
        "error": page.error,
    }


def job_record(job: Job, result: JobResult) -> dict[str, Any]:
    """One job as the manifest records it."""
    outputs = job.settings.outputs_dir
    published = result.status in (JobStatus.OK, JobStatus.SKIPPED)
    return {
        "partnership": job.partnership,
        "partnership_name": job.partnership_name,
        "month": job.month,
        "themes": list(job.themes),
        "key": job.key,
        "inputs": dict(job.inputs),
        "parameters": {t: job.parameters(t) for t in job.themes},
        "status": result.status.value,
        "attempts": result.attempts,
        "retries": max(result.attempts - 1, 0),
        "seconds": round(result.seconds, 3),
        "error": result.error,
        "note": result.note,
        "kept_pages": list(result.kept),
        "published": _relative(job.site_dir, outputs) if published else None,
        "executed_notebooks": _relative(job.run_dir, outputs),
        "pages": [_page_record(p, outputs) for p in result.pages],
    }


def manifest_head(
    run_id: str,
    settings: BatchSettings,
    request: Mapping[str, Any],
    results: Sequence[JobResult],
    timing: Mapping[str, Any],
) -> dict[str, Any]:
    """The manifest without its ``jobs``: the run, its request, settings, timing and counts."""
    counts = {s.value: 0 for s in JobStatus}
    for r in results:
        counts[r.status.value] += 1
    return {
        "run_id": run_id,
        "cdrp_lib_version": __version__,
        "python": sys.version.split()[0],
        "request": dict(request),
        "settings": {
            "store": str(settings.store),
            "params_dir": str(settings.params_dir),
            "notebooks_dir": str(settings.notebooks_dir),
            "outputs_dir": str(settings.outputs_dir),
            "project_root": str(settings.project_root),
            "renderer": settings.renderer,
            "kernel_name": settings.kernel_name,
            "produced_on": settings.produced_on,
        },
        **dict(timing),
        "counts": counts,
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False)


def job_text(job: Job, result: JobResult) -> str:
    """One job's record as it appears in the manifest's text (its ``jobs`` list's indent)."""
    return "\n".join("  " + line for line in _dumps(job_record(job, result)).splitlines())


def manifest_text(head: Mapping[str, Any], job_texts: Sequence[str]) -> str:
    """The manifest's text from its head and each job's :func:`job_text`.

    The same text as dumping the whole document (``indent=1``): a batch writes
    its manifest as each bulletin ends, and a national run's 300 job records
    dumped again each time cost the batch's parent half a minute of CPU, on the
    cores its workers use; the records of jobs that did not change are kept as
    text (:class:`ManifestTexts`).
    """
    if not job_texts or not head:
        return _dumps({**head, "jobs": [json.loads(t) for t in job_texts]}) + "\n"
    opening = _dumps(dict(head))  # "{\n <head's keys>\n}": the jobs go before its "}"
    return (opening[:-2] + ',\n "jobs": [\n' + ",\n".join(job_texts) + "\n ]\n}\n")


class ManifestTexts:
    """Each job's manifest text, made again only when its result changed."""

    def __init__(self) -> None:
        self._texts: dict[tuple[str, str], tuple[JobResult, str]] = {}

    def __call__(self, job: Job, result: JobResult) -> str:
        key = (job.partnership, job.month)
        kept = self._texts.get(key)
        if kept is None or kept[0] != result:
            kept = (result, job_text(job, result))
            self._texts[key] = kept
        return kept[1]


def write_manifest(settings: BatchSettings, run_id: str, text: str) -> Path:
    """Write ``text`` as ``outputs/runs/manifests/<run id>.json`` and return its path."""
    from cdrp_lib.render import write_text_atomic

    path = settings.runs_dir / MANIFEST_DIR / f"{run_id}.json"
    return write_text_atomic(path, text)


def _published_entry(record: Mapping[str, Any]) -> Any:
    from cdrp_lib.site import BulletinEntry

    counts = record.get("rag_counts") or {}
    return BulletinEntry(
        partnership_id=str(record["partnership"]),
        partnership_name=str(record.get("partnership_name") or record["partnership"]),
        month=str(record["month"]),
        status="ok",
        rag_counts={k: int(counts.get(k, 0)) for k in RAG_KEYS},
        error=None,
        synthetic=bool(record.get("synthetic", False)),
    )


def published_records(site_dir: Path) -> list[dict[str, Any]]:
    """The ``bulletin.json`` of every published bulletin folder ``<partnership>/<month>``.

    Working folders (names starting with ``.``) and unreadable records are
    left out: a folder without a valid record was not published by a batch.
    """
    records: list[dict[str, Any]] = []
    if not site_dir.is_dir():
        return records
    for path in sorted(site_dir.glob(f"*/*/{BULLETIN_FILE}")):
        partnership_dir, month_dir = path.parent.parent.name, path.parent.name
        if partnership_dir.startswith(".") or month_dir.startswith("."):
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (isinstance(record, dict) and record.get("partnership") == partnership_dir
                and record.get("month") == month_dir):
            records.append(record)
    return records


def failure_mark(job: Job, result: JobResult) -> dict[str, Any]:
    """What ``failed.json`` records of a bulletin whose last attempt failed."""
    return {"partnership": job.partnership, "partnership_name": job.partnership_name,
            "month": job.month, "synthetic": job.synthetic, "error": result.error or "failed"}


def record_outcome(job: Job, result: JobResult) -> None:
    """Keep a failed bulletin's mark until it is made: ``runs/<partnership>/<month>/failed.json``.

    A failure writes the mark; a bulletin made (or found current) removes it;
    an interrupted one leaves it as it was.  The index is rebuilt from these
    marks, so a failure stays on it through later runs of other bulletins.
    A mark that cannot be written (a full disk) is left out: the manifest
    still has the failure.
    """
    path = job.run_dir / FAILED_FILE
    with contextlib.suppress(OSError):
        if result.status is JobStatus.FAILED:
            from cdrp_lib.render import write_text_atomic

            write_text_atomic(path, json.dumps(failure_mark(job, result), indent=1) + "\n")
        elif result.status in (JobStatus.OK, JobStatus.SKIPPED):
            path.unlink(missing_ok=True)


def failure_marks(runs_dir: Path) -> list[dict[str, Any]]:
    """Every ``runs/<partnership>/<month>/failed.json`` that is whole and names its folder."""
    marks: list[dict[str, Any]] = []
    for path in sorted(runs_dir.glob(f"*/*/{FAILED_FILE}")) if runs_dir.is_dir() else []:
        try:
            mark = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (isinstance(mark, dict) and mark.get("partnership") == path.parent.parent.name
                and mark.get("month") == path.parent.name):
            marks.append(mark)
    return marks


def _failed_entry(mark: Mapping[str, Any]) -> Any:
    from cdrp_lib.site import BulletinEntry

    return BulletinEntry(
        partnership_id=str(mark["partnership"]),
        partnership_name=str(mark.get("partnership_name") or mark["partnership"]),
        month=str(mark["month"]),
        status="failed",
        rag_counts={},
        error=str(mark.get("error") or "failed"),
        synthetic=bool(mark.get("synthetic", False)),
    )


def rebuild_index(site_dir: Path, failures: Sequence[tuple[Job, JobResult]] = (), *,
                  runs_dir: Path | None = None,
                  stale: Mapping[tuple[str, str], str] | None = None,
                  params_dir: Path | None = None) -> Path:
    """Rewrite ``site/index.html``: every published bulletin, failures, and stale marks;
    first the site-level pages the bulletins link to (history, list by partnership, the
    reading guide from ``params_dir``, search: :func:`cdrp_lib.site.build_site_pages`).

    A failure (this batch's, or a mark kept in ``runs_dir`` by an earlier one)
    replaces the entry of the bulletin published before it for the same
    partnership and month: the index shows it failed and links to the previous
    version.  ``stale`` maps a published bulletin to its "made from older data"
    mark (:mod:`cdrp_lib.batch.stale`).
    """
    from cdrp_lib.site import build_site_pages, mark_stale, write_index

    records = published_records(site_dir)
    try:  # the index is written even when search or the guide cannot be
        build_site_pages(site_dir, records, params_dir)
        site_pages_error: CdrpError | None = None
    except CdrpError as exc:
        site_pages_error = exc
    entries: dict[tuple[str, str], Any] = {}
    for record in records:
        entry = _published_entry(record)
        entries[(entry.partnership_id, entry.month)] = entry
    marks = failure_marks(runs_dir) if runs_dir is not None else []
    marks += [failure_mark(job, result) for job, result in failures]
    for mark in marks:
        entry = _failed_entry(mark)
        entries[(entry.partnership_id, entry.month)] = entry
    for key, why in (stale or {}).items():
        if key in entries and entries[key].status == "ok":
            entries[key] = mark_stale(entries[key], why)
    index = write_index(site_dir, list(entries.values()))
    if site_pages_error is not None:
        raise site_pages_error
    return index
